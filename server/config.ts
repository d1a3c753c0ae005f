import path from 'node:path';
import type { Synchronous } from './store/sqlite';

/** Everything the server can be configured with; `fromEnv` reads the documented variables. */
export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  contentDir: string;
  /** Base of join links and QR codes when behind a proxy; otherwise taken from each request. */
  publicUrl: string | null;
  allowedOrigins: string[];
  synchronous: Synchronous;
  maxParticipants: number;
  maxLiveSessions: number;
  joinsPerMinute: number;
  /** Sessions untouched for this many days are deleted; 0 keeps them forever. */
  purgeAfterDays: number;
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
  joinsPerMinute: 30,
  purgeAfterDays: 90
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
    contentDir: path.resolve(env.CONTENT_DIR || './content'),
    publicUrl: env.PUBLIC_URL ? env.PUBLIC_URL.replace(/\/+$/, '') : null,
    allowedOrigins: (env.ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    synchronous,
    maxParticipants: intFrom(env.MAX_PARTICIPANTS, DEFAULTS.maxParticipants, 'MAX_PARTICIPANTS'),
    maxLiveSessions: intFrom(env.MAX_LIVE_SESSIONS, DEFAULTS.maxLiveSessions, 'MAX_LIVE_SESSIONS'),
    joinsPerMinute: intFrom(env.JOINS_PER_MINUTE, DEFAULTS.joinsPerMinute, 'JOINS_PER_MINUTE'),
    purgeAfterDays: intFrom(env.PURGE_AFTER_DAYS, DEFAULTS.purgeAfterDays, 'PURGE_AFTER_DAYS'),
    appDir: path.resolve(env.APP_DIR || './build'),
    destroyUnknownUpgrades: true
  };
}

/** The browser origins allowed besides the served one: `ALLOWED_ORIGINS` plus `PUBLIC_URL`'s origin. */
export function extraAllowedOrigins(config: Pick<ServerConfig, 'allowedOrigins' | 'publicUrl'>): string[] {
  return config.publicUrl ? [...config.allowedOrigins, new URL(config.publicUrl).origin] : config.allowedOrigins;
}
