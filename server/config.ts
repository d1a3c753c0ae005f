import path from 'node:path';
import type { Synchronous } from './store/sqlite';

/** Everything the server can be configured with; `fromEnv` reads the documented variables. */
export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  /** `DATABASE_URL` (`postgres://…`): the PostgreSQL store instead of the SQLite file in dataDir; null when unset. */
  databaseUrl: string | null;
  /**
   * This instance's address as the other instances reach it (INSTANCE_URL), e.g. `http://10.0.0.5:3000`.
   * With DATABASE_URL it makes this one of several instances: sessions are owned by lease and their
   * traffic forwarded to the owner (docs/scaling.md). Null: the only instance.
   */
  instanceUrl: string | null;
  contentDir: string;
  /** Base of every public link (join, facilitator, presenter, QR); otherwise taken from each request. */
  publicUrl: string | null;
  /** Which peers may set X-Forwarded-Proto/-Host/-For (Express `trust proxy` syntax: `loopback`, `false`, addresses, CIDRs). */
  trustProxy: string;
  allowedOrigins: string[];
  synchronous: Synchronous;
  maxParticipants: number;
  maxLiveSessions: number;
  /** Failed lookups by code (unknown code, refused token) per client address per minute, before all lookups are refused; 0 = off. */
  codeGuessesPerMinute: number;
  /** Sessions one client address may create per hour; 0 = no limit. */
  sessionsPerHour: number;
  /** Paper and imported sessions one client address may add per hour (to any community); 0 = no limit. */
  paperSessionsPerHour: number;
  /** Live sessions one community may hold (counted in the store, across instances). */
  maxCommunitySessions: number;
  /** Paper and imported sessions one community may hold, together (counted in the store, across instances). */
  maxCommunityPaperSessions: number;
  /**
   * New participants one client address may add to one session per hour; 0 = no limit. Generous on
   * purpose (a whole class or company joins from one NAT address); rejoining with a participant token
   * is never counted. Against a flood of puppets the facilitator's lock is the main defence.
   */
  joinsPerAddress: number;
  /** Open socket.io connections (tabs, devices) of one participant or facilitator at once. */
  connectionsPerPerson: number;
  /** Sign-in attempts (passkey or recovery code, started or finished) per client address per ten minutes; 0 = no limit. */
  signInsPerTenMinutes: number;
  /** Accounts one client address may create per hour; 0 = no limit. */
  accountsPerHour: number;
  /** Sessions untouched for this many days are deleted; 0 keeps them forever. */
  purgeAfterDays: number;
  /** Sessions that never left the lobby are deleted after this many idle hours; 0 keeps them. */
  lobbyPurgeHours: number;
  /** Silent connections are noticed within about two of these (ms); tests shorten it. */
  heartbeatMs: number;
  /** Where the SvelteKit build lives; null serves the API only (tests, dev). */
  appDir: string | null;
  /** Refuse upgrades on unknown paths (not in dev, where Vite's HMR socket needs them). */
  destroyUnknownUpgrades: boolean;
}

export const DEFAULTS = {
  port: 3000,
  host: '0.0.0.0',
  maxParticipants: 500,
  maxLiveSessions: 1000,
  trustProxy: 'loopback',
  codeGuessesPerMinute: 20,
  sessionsPerHour: 20,
  // A community meeting monthly for 80 years holds under 1000 sessions; one entering decades of paper posters under 500.
  // Each bounds what one community's trend, exports and summary cost (issue 20).
  paperSessionsPerHour: 60,
  maxCommunitySessions: 1000,
  maxCommunityPaperSessions: 500,
  joinsPerAddress: 200,
  connectionsPerPerson: 8,
  signInsPerTenMinutes: 30,
  accountsPerHour: 10,
  purgeAfterDays: 90,
  lobbyPurgeHours: 48,
  heartbeatMs: 25_000
} as const;

function intFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a whole number, got "${value}"`);
  return parsed;
}

/** Reads the configuration from environment variables (see README). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const synchronous = (env.SQLITE_SYNCHRONOUS ?? 'FULL').toUpperCase();
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') throw new Error(`SQLITE_SYNCHRONOUS must be FULL or NORMAL, got "${env.SQLITE_SYNCHRONOUS}"`);
  return {
    port: intFrom(env.PORT, DEFAULTS.port, 'PORT'),
    host: env.HOST || DEFAULTS.host,
    dataDir: path.resolve(env.DATA_DIR || './data'),
    databaseUrl: env.DATABASE_URL ? databaseUrlFrom(env.DATABASE_URL) : null,
    instanceUrl: env.INSTANCE_URL ? instanceUrlFrom(env.INSTANCE_URL, env.DATABASE_URL) : null,
    contentDir: path.resolve(env.CONTENT_DIR || './content'),
    publicUrl: env.PUBLIC_URL ? publicUrlFrom(env.PUBLIC_URL) : null,
    trustProxy: env.TRUST_PROXY ?? DEFAULTS.trustProxy,
    allowedOrigins: (env.ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    synchronous,
    maxParticipants: intFrom(env.MAX_PARTICIPANTS, DEFAULTS.maxParticipants, 'MAX_PARTICIPANTS'),
    maxLiveSessions: intFrom(env.MAX_LIVE_SESSIONS, DEFAULTS.maxLiveSessions, 'MAX_LIVE_SESSIONS'),
    codeGuessesPerMinute: intFrom(env.CODE_GUESSES_PER_MINUTE, DEFAULTS.codeGuessesPerMinute, 'CODE_GUESSES_PER_MINUTE'),
    sessionsPerHour: intFrom(env.SESSIONS_PER_HOUR, DEFAULTS.sessionsPerHour, 'SESSIONS_PER_HOUR'),
    paperSessionsPerHour: intFrom(env.PAPER_SESSIONS_PER_HOUR, DEFAULTS.paperSessionsPerHour, 'PAPER_SESSIONS_PER_HOUR'),
    // At least one: a community that can hold nothing is a configuration mistake, not a limit.
    maxCommunitySessions: Math.max(1, intFrom(env.MAX_COMMUNITY_SESSIONS, DEFAULTS.maxCommunitySessions, 'MAX_COMMUNITY_SESSIONS')),
    maxCommunityPaperSessions: Math.max(1, intFrom(env.MAX_COMMUNITY_PAPER_SESSIONS, DEFAULTS.maxCommunityPaperSessions, 'MAX_COMMUNITY_PAPER_SESSIONS')),
    joinsPerAddress: intFrom(env.JOINS_PER_ADDRESS, DEFAULTS.joinsPerAddress, 'JOINS_PER_ADDRESS'),
    connectionsPerPerson: Math.max(1, intFrom(env.CONNECTIONS_PER_PERSON, DEFAULTS.connectionsPerPerson, 'CONNECTIONS_PER_PERSON')),
    signInsPerTenMinutes: intFrom(env.SIGN_INS_PER_TEN_MINUTES, DEFAULTS.signInsPerTenMinutes, 'SIGN_INS_PER_TEN_MINUTES'),
    accountsPerHour: intFrom(env.ACCOUNTS_PER_HOUR, DEFAULTS.accountsPerHour, 'ACCOUNTS_PER_HOUR'),
    purgeAfterDays: intFrom(env.PURGE_AFTER_DAYS, DEFAULTS.purgeAfterDays, 'PURGE_AFTER_DAYS'),
    lobbyPurgeHours: intFrom(env.LOBBY_PURGE_HOURS, DEFAULTS.lobbyPurgeHours, 'LOBBY_PURGE_HOURS'),
    heartbeatMs: DEFAULTS.heartbeatMs,
    appDir: path.resolve(env.APP_DIR || './build'),
    destroyUnknownUpgrades: true
  };
}

/** `DATABASE_URL` must name PostgreSQL: anything else is refused at start rather than silently ignored. */
function databaseUrlFrom(value: string): string {
  if (!/^postgres(ql)?:\/\//.test(value))
    throw new Error('DATABASE_URL must start with postgres:// or postgresql:// (unset it to use the SQLite file in DATA_DIR)');
  return value;
}

/** `INSTANCE_URL`: an http(s) origin, and only together with a shared PostgreSQL (several instances cannot share a SQLite file). */
function instanceUrlFrom(value: string, databaseUrl: string | undefined): string {
  if (!databaseUrl) throw new Error('INSTANCE_URL needs DATABASE_URL: several instances share one PostgreSQL database (docs/scaling.md)');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`INSTANCE_URL must be an absolute http(s) URL, got "${value}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash) {
    throw new Error(`INSTANCE_URL must be an origin such as http://10.0.0.5:3000, got "${value}"`);
  }
  return url.origin;
}

/**
 * `PUBLIC_URL` as an origin without a trailing slash. The app serves its pages,
 * API and WebSockets from the root of its host, so a path is refused rather
 * than producing links that cannot load.
 */
function publicUrlFrom(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`PUBLIC_URL must be an absolute http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`PUBLIC_URL must start with http:// or https://, got "${value}"`);
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new Error(`PUBLIC_URL must be an origin such as https://board.example.org; serving under a path is not supported, got "${value}"`);
  }
  return url.origin;
}

/** The browser origins allowed besides the served one: `ALLOWED_ORIGINS` plus `PUBLIC_URL`'s origin. */
export function extraAllowedOrigins(config: Pick<ServerConfig, 'allowedOrigins' | 'publicUrl'>): string[] {
  return config.publicUrl ? [...config.allowedOrigins, new URL(config.publicUrl).origin] : config.allowedOrigins;
}
