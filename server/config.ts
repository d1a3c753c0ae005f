import path from 'node:path';
import type { Synchronous } from './store/sqlite';
import { LEASE_HEARTBEAT_MS, LEASE_TIMEOUT_MS } from './cluster/leases';

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
  /** Programme view: revealed sessions (each met its k) a shared community needs before it appears (docs/privacy.md). */
  portfolioMinSessions: number;
  /** Programme view: communities a programme figure (count, median, trend point) must come from (docs/privacy.md). */
  portfolioMinCommunities: number;
  /** Sessions untouched for this many days are deleted; 0 keeps them forever. */
  purgeAfterDays: number;
  /** Sessions that never left the lobby are deleted after this many idle hours; 0 keeps them. */
  lobbyPurgeHours: number;
  /** Silent connections are noticed within about two of these (ms); tests shorten it. */
  heartbeatMs: number;
  /**
   * Several instances: how often the lease connection to PostgreSQL is checked, and after how much silence (ms) this
   * instance takes it for cut and gives its rooms up (server/cluster/leases.ts). The second must stay well below
   * PostgreSQL's keepalive (about 25 s), which frees the leases for another instance; tests shorten both.
   */
  leaseHeartbeatMs: number;
  leaseTimeoutMs: number;
  /** Where the SvelteKit build lives; null serves the API only (tests, dev). */
  appDir: string | null;
  /** Refuse upgrades on unknown paths (not in dev, where Vite's HMR socket needs them). */
  destroyUnknownUpgrades: boolean;
  /** Sign-in with the organisation's identity provider (OpenID Connect); null when not configured. */
  oidc: OidcSettings | null;
}

/** `OIDC_ISSUER`, `OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET`, `OIDC_ALLOWED_DOMAINS` (docs/deployment.md). */
export interface OidcSettings {
  /** The issuer identifier exactly as the provider names itself (discovery is at `<issuer>/.well-known/openid-configuration`). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Lower-case e-mail domains allowed to sign in; empty: any account the provider signs in. */
  allowedDomains: string[];
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
  portfolioMinSessions: 2,
  portfolioMinCommunities: 3,
  purgeAfterDays: 90,
  lobbyPurgeHours: 48,
  heartbeatMs: 25_000,
  leaseHeartbeatMs: LEASE_HEARTBEAT_MS,
  leaseTimeoutMs: LEASE_TIMEOUT_MS
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
    // At least 1 session and 2 communities: with one community a programme figure would be that community's own.
    portfolioMinSessions: Math.max(1, intFrom(env.PORTFOLIO_MIN_SESSIONS, DEFAULTS.portfolioMinSessions, 'PORTFOLIO_MIN_SESSIONS')),
    portfolioMinCommunities: Math.max(2, intFrom(env.PORTFOLIO_MIN_COMMUNITIES, DEFAULTS.portfolioMinCommunities, 'PORTFOLIO_MIN_COMMUNITIES')),
    purgeAfterDays: intFrom(env.PURGE_AFTER_DAYS, DEFAULTS.purgeAfterDays, 'PURGE_AFTER_DAYS'),
    lobbyPurgeHours: intFrom(env.LOBBY_PURGE_HOURS, DEFAULTS.lobbyPurgeHours, 'LOBBY_PURGE_HOURS'),
    heartbeatMs: DEFAULTS.heartbeatMs,
    // At least 100 ms: a check every moment would be the cost, not the safety.
    leaseHeartbeatMs: Math.max(100, intFrom(env.LEASE_HEARTBEAT_MS, DEFAULTS.leaseHeartbeatMs, 'LEASE_HEARTBEAT_MS')),
    leaseTimeoutMs: Math.max(100, intFrom(env.LEASE_TIMEOUT_MS, DEFAULTS.leaseTimeoutMs, 'LEASE_TIMEOUT_MS')),
    appDir: path.resolve(env.APP_DIR || './build'),
    destroyUnknownUpgrades: true,
    oidc: oidcFromEnv(env)
  };
}

/**
 * The OpenID Connect settings: all three of issuer, client id and secret, or none (then the
 * sign-in button is not offered). Half a configuration is refused at start rather than leaving
 * a button that cannot work.
 */
function oidcFromEnv(env: NodeJS.ProcessEnv): OidcSettings | null {
  const given = { OIDC_ISSUER: env.OIDC_ISSUER?.trim(), OIDC_CLIENT_ID: env.OIDC_CLIENT_ID?.trim(), OIDC_CLIENT_SECRET: env.OIDC_CLIENT_SECRET };
  const missing = Object.entries(given)
    .filter(([, value]) => !value)
    .map(([name]) => name);
  if (missing.length === 3) {
    if (env.OIDC_ALLOWED_DOMAINS?.trim()) throw new Error('OIDC_ALLOWED_DOMAINS needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET');
    return null;
  }
  if (missing.length > 0) throw new Error(`OpenID Connect needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together; missing: ${missing.join(', ')}`);
  return oidcSettings({
    issuer: given.OIDC_ISSUER!,
    clientId: given.OIDC_CLIENT_ID!,
    clientSecret: given.OIDC_CLIENT_SECRET!,
    allowedDomains: (env.OIDC_ALLOWED_DOMAINS ?? '').split(',')
  });
}

/** Whether a host is this machine's loopback (where plain http cannot be overheard). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Checks and normalises OpenID Connect settings (from the environment or given by tests).
 * The issuer must be https: the client secret and the tokens travel to it. Plain http is
 * allowed for a provider on this machine's loopback only (tests, a local try-out).
 */
export function oidcSettings(input: OidcSettings): OidcSettings {
  let url: URL;
  try {
    url = new URL(input.issuer);
  } catch {
    throw new Error(`OIDC_ISSUER must be an absolute https URL, got "${input.issuer}"`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname)))
    throw new Error(`OIDC_ISSUER must start with https:// (plain http only for a provider on localhost), got "${input.issuer}"`);
  if (url.search || url.hash || url.username || url.password)
    throw new Error(`OIDC_ISSUER is the provider's issuer identifier, without query, fragment or credentials; got "${input.issuer}"`);
  const allowedDomains = input.allowedDomains.map((d) => d.trim().replace(/^@/, '').toLowerCase()).filter(Boolean);
  for (const domain of allowedDomains) {
    if (domain.length > 253 || !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain))
      throw new Error(`OIDC_ALLOWED_DOMAINS holds e-mail domains such as example.org, separated by commas; got "${domain}"`);
  }
  if (input.clientId.length > 1000 || input.clientSecret.length > 1000) throw new Error('OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are at most 1000 characters');
  // The issuer is kept as written: the provider's metadata must name exactly this issuer (no added or removed slash).
  return { issuer: input.issuer, clientId: input.clientId, clientSecret: input.clientSecret, allowedDomains: [...new Set(allowedDomains)] };
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
