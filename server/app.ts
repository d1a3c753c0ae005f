import http from 'node:http';
import path from 'node:path';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import express from 'express';
import helmet from 'helmet';
import { loadFrameworks } from './content';
import { configFromEnv, extraAllowedOrigins, type ServerConfig } from './config';
import { mountBoardRoutes } from './http/api';
import { sendError } from './http/errors';
import { attachRealtime, type Realtime } from './realtime/attach';
import { SqliteStore } from './store/sqlite';
import { lockDataDir } from './store/lock';
import { StoreHealth } from './store/health';
import type { RateLimits } from './security/rate';
import type { Store } from './store/types';

/** A running server. */
export interface RunningServer {
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  port: number;
  realtime: Realtime;
  store: SqliteStore;
  /** Drains connections and closes the database. */
  close(): Promise<void>;
}

export type CreateServerOptions = Partial<ServerConfig> & {
  port?: number;
  host?: string;
  dataDir: string;
  /** Overrides the per-connection rate limits of LIMITS (tests that flood on purpose). */
  limits?: Partial<RateLimits>;
  /** Puts a layer between the server and its SQLite store (fault-injection tests); the default uses the store as is. */
  wrapStore?: (store: SqliteStore) => Store;
};

type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => void;

/** Loads the SvelteKit adapter-node handler from a build folder (a computed URL keeps it out of type-checking). */
async function loadAppHandler(appDir: string): Promise<RequestHandler | null> {
  const file = path.join(appDir, 'handler.js');
  if (!fs.existsSync(file)) return null;
  const module = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as { handler: RequestHandler };
  return module.handler;
}

/**
 * Builds the whole server (Express + REST + socket.io + Yjs + SvelteKit) and
 * listens on `port` (0 picks a free one). Only `server/index.ts` and tests call it.
 */
export async function createServer(options: CreateServerOptions): Promise<RunningServer> {
  const defaults = configFromEnv({});
  const config: ServerConfig = { ...defaults, appDir: null, host: '127.0.0.1', port: 0, ...options };
  const frameworks = loadFrameworks(config.contentDir);
  // First the data directory's lock: a second server on the same DATA_DIR stops here, before it opens anything.
  const lock = lockDataDir(config.dataDir);
  let store: SqliteStore;
  try {
    store = new SqliteStore({ dataDir: config.dataDir, synchronous: config.synchronous });
  } catch (error) {
    lock.release();
    throw error;
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // SvelteKit sets the page CSP itself (svelte.config.js); helmet adds the other headers.
  app.use(helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }));
  app.use('/api', helmet.contentSecurityPolicy({ directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } }));

  const server = http.createServer(app);
  // A client that announces a body and never sends it gets a 408 after 30 s, not Node's 5 minutes.
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;
  const served: Store = options.wrapStore ? options.wrapStore(store) : store;
  const realtime = attachRealtime(server, {
    store: served,
    frameworks,
    allowedOrigins: extraAllowedOrigins(config),
    maxLiveSessions: config.maxLiveSessions,
    destroyUnknownUpgrades: config.destroyUnknownUpgrades,
    limits: options.limits
  });
  mountBoardRoutes(app, { realtime, frameworks, config, health: new StoreHealth(served) });

  const appHandler = config.appDir ? await loadAppHandler(config.appDir) : null;
  if (appHandler) app.use(appHandler);
  app.use((_req, res) => sendError(res, 'not_found', 'Not found.'));

  const purge = schedulePurge(served, config.purgeAfterDays);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const urlHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;

  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    realtime,
    store,
    close: () =>
      (closing ??= (async () => {
        if (purge) clearInterval(purge);
        await realtime.close();
        server.closeIdleConnections();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Keep-alive HTTP connections would hold close() open; end them after a short grace.
          setTimeout(() => server.closeAllConnections(), 2000).unref();
        });
        await store.close();
        lock.release();
      })())
  };
}

/** Deletes idle sessions once at start and then every hour. */
function schedulePurge(store: Store, days: number): NodeJS.Timeout | null {
  if (days <= 0) return null;
  const run = () => {
    store.purgeIdle(Date.now() - days * 86_400_000).then(
      (ids) => ids.length > 0 && console.log(`Purged ${ids.length} session(s) idle for more than ${days} days`),
      (error) => console.error('Purging idle sessions failed', error)
    );
  };
  run();
  const timer = setInterval(run, 3_600_000);
  timer.unref();
  return timer;
}

export { configFromEnv };
