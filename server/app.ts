import http from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import express from 'express';
import helmet from 'helmet';
import { loadFrameworks } from './content';
import { configFromEnv, extraAllowedOrigins, oidcSettings, type ServerConfig } from './config';
import { mountBoardRoutes } from './http/api';
import { CommunityService } from './communities/service';
import { sendError } from './http/errors';
import { attachRealtime, type Realtime } from './realtime/attach';
import { openStore } from './store/open';
import { PgSessionLeases } from './cluster/leases';
import { INSTANCE_HEADER, checkInstanceUrl, newInstanceId } from './cluster/identity';
import { SessionForwarder } from './cluster/forward';
import { PgAddressEvents } from './cluster/shared-address-counts';
import { StoreHealth } from './store/health';
import type { RateLimits } from './security/rate';
import type { Store } from './store/types';
import type { CommentBudget } from './sessions/ballot-box';
import { OidcClient, StoredLogins } from './accounts/oidc';
import { createOidcRouter } from './accounts/oidc-routes';
import { AccountService } from './accounts/service';
import { createAccountRouter, crossSiteGuard } from './accounts/routes';
import { createPasskeyRouter } from './accounts/passkeys';

/** How often the check-in deadline sweep runs (a reveal lands at most this late when no room was timing it). */
const CHECKIN_SWEEP_MS = 60_000;

/**
 * How long shutdown waits for connections to end on their own (clients told "going away" reconnect elsewhere, a
 * request in flight finishes) before it ends them: a SIGTERM is answered in seconds, whatever the peers do.
 */
const DRAIN_GRACE_MS = 3_000;

/** A running server. */
export interface RunningServer {
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  port: number;
  realtime: Realtime;
  store: Store;
  /** Facilitator accounts and their signed-in browsers (issue 24): what OIDC sign-in builds on. */
  accounts: AccountService;
  /** Where the data lives: the SQLite file, or the PostgreSQL database without its password. */
  storeLocation: string;
  /**
   * Runs one purge pass as if it were `now` (epoch ms): idle sessions and
   * abandoned lobbies go, with their live rooms and boards. Returns the purged ids.
   */
  purgeNow(now?: number): Promise<string[]>;
  /** Runs one check-in deadline sweep now (it runs at start and every minute); resolves with the codes acted on. */
  sweepCheckins(): Promise<string[]>;
  /** Drains connections and closes the database. */
  close(): Promise<void>;
}

export type CreateServerOptions = Partial<ServerConfig> & {
  port?: number;
  host?: string;
  dataDir: string;
  /** Overrides the per-connection rate limits of LIMITS (tests that flood on purpose). */
  limits?: Partial<RateLimits>;
  /** Puts a layer between the server and its store (fault-injection tests); the default uses the store as is. */
  wrapStore?: (store: Store) => Store;
  /**
   * The clock of the instants the server stamps on what it dates (a session's or community's creation, a reveal, a
   * paper session) and of "today" where it checks a day: Date.now by default; tests pass a fixed instant.
   */
  clock?: () => number;
  /** Comment code units per round (LIMITS.commentUnitsPer…Round by default; tests set small ones). */
  commentBudget?: CommentBudget;
  /** How long after its last connection a session leaves memory (IDLE_UNLOAD_MS by default; tests shorten it). */
  idleUnloadMs?: number;
  /** How long shutdown lets open connections end on their own before ending them (DRAIN_GRACE_MS by default). */
  drainGraceMs?: number;
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
  // Settings given directly (tests) pass the same checks as those read from the environment.
  if (config.oidc) config.oidc = oidcSettings(config.oidc);
  const frameworks = loadFrameworks(config.contentDir);
  // The store behind its lock (DATA_DIR, or the database): a second server on the same data stops here, before it opens anything.
  const opened = await openStore(config);
  const store = opened.store;
  // Several instances on one database: each session is owned by one of them at a time (docs/scaling.md).
  let leases: PgSessionLeases | null = null;
  if (config.instanceUrl && config.databaseUrl) {
    try {
      leases = await PgSessionLeases.connect(config.databaseUrl, config.instanceUrl, {
        heartbeatMs: config.leaseHeartbeatMs,
        timeoutMs: config.leaseTimeoutMs
      });
    } catch (error) {
      await opened.close();
      throw error;
    }
    // Every write of a session commits only under the epoch of its current owner (docs/scaling.md, fencing).
    opened.fence?.(leases);
  }

  const addressEvents = leases && config.databaseUrl && config.instanceUrl ? PgAddressEvents.connect(config.databaseUrl, config.instanceUrl) : null;

  const app = express();
  app.disable('x-powered-by');
  // req.ip and req.protocol follow the same TRUST_PROXY rule as our links (server/http/links.ts).
  app.set('trust proxy', config.trustProxy === 'false' ? false : config.trustProxy === 'true' ? true : config.trustProxy);
  // SvelteKit sets the page CSP itself (svelte.config.js); helmet adds the other headers.
  app.use(helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }));
  app.use('/api', helmet.contentSecurityPolicy({ directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } }));

  // Answers /healthz with this process's id, so that an instance can check that INSTANCE_URL reaches itself.
  const instanceId = newInstanceId();
  if (leases) app.use('/healthz', (_req, res, next) => void (res.set(INSTANCE_HEADER, instanceId), next()));

  const server = http.createServer(app);
  // A client that announces a body and never sends it gets a 408 after 30 s, not Node's 5 minutes.
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;
  // Every connection, upgraded ones too (Node forgets those), so that shutdown can end what does not end itself.
  const connections = new Set<Duplex>();
  server.on('connection', (socket: Duplex) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
    // Node's HTTP server stops listening for a socket's errors when it hands it to an `upgrade` listener, and ours
    // answer after an await (the board's hub, socket.io's origin check, a forward to the instance holding the session)
    // or refuse with `end()`, after which the socket still reads. A client's reset in that gap was an unhandled
    // 'error' that ended the process (tests/integration/upgrade-resets.test.ts). The socket destroys itself on an
    // error anyway; this listener only keeps the error from being thrown.
    socket.on('error', ignoreSocketError);
  });
  const served: Store = options.wrapStore ? options.wrapStore(store) : store;
  // The account service needs the realtime layer's links and registry, and the realtime layer reads the account
  // cookie at each handshake: it asks through this holder, filled just below.
  const holder: { accounts: AccountService | null } = { accounts: null };
  // Made before the realtime layer: the community review is owned once, by the community service, and every room of a community reads its book.
  const communities = new CommunityService(
    served,
    frameworks,
    { sessions: config.maxCommunitySessions, paperSessions: config.maxCommunityPaperSessions },
    options.clock
  );
  const realtime = attachRealtime(server, {
    reviews: communities.reviews,
    // A signed-in owner or co-facilitator connects without the session's token (issue 24, server/accounts/access.ts).
    accounts: {
      accountOfCookieHeader: (header) => holder.accounts?.accountOfCookieHeader(header) ?? Promise.resolve(null),
      accountOf: (req, res) => holder.accounts?.accountOf(req, res) ?? Promise.resolve(null)
    },
    store: served,
    frameworks,
    allowedOrigins: extraAllowedOrigins(config),
    maxLiveSessions: config.maxLiveSessions,
    maxCommunitySessions: config.maxCommunitySessions,
    destroyUnknownUpgrades: config.destroyUnknownUpgrades,
    limits: options.limits,
    publicUrl: config.publicUrl,
    trustProxy: config.trustProxy,
    codeGuessesPerMinute: config.codeGuessesPerMinute,
    connectionsPerPerson: config.connectionsPerPerson,
    heartbeatMs: config.heartbeatMs,
    leases: leases ?? undefined,
    clock: options.clock,
    // A cluster counts per-address limits in PostgreSQL, so an address gets each limit once across instances.
    addressEvents: addressEvents ?? undefined,
    commentBudget: options.commentBudget,
    idleUnloadMs: options.idleUnloadMs
  });
  // Facilitator accounts (issue 24). Every state-changing request the cookie would authenticate must come from
  // a page of this board: checked before any route, so no route can forget it.
  const accounts = new AccountService(served, {
    requests: realtime.requests,
    allowedOrigins: extraAllowedOrigins(config),
    clock: options.clock,
    deleteOwned: async (kind, target) => {
      // An organisation outlives its admin's account: it stays reachable by its key, and its leads' memberships go.
      if (kind === 'organisation') return;
      if (kind === 'community') {
        for (const id of await served.deleteCommunity(target)) realtime.registry.evict(id);
      } else {
        await served.deleteSession(target);
        realtime.registry.evict(target);
      }
    }
  });
  holder.accounts = accounts;
  app.use('/api', crossSiteGuard(accounts));
  if (config.oidc) {
    app.use(
      '/api/auth/oidc',
      createOidcRouter({
        oidc: new OidcClient(config.oidc, new StoredLogins(served, options.clock), options.clock),
        requests: realtime.requests,
        addressEvents: realtime.addressEvents,
        signInsPerTenMinutes: config.signInsPerTenMinutes,
        // The provider vouched for the person: their account is found or made by (issuer, subject), and this browser signed in.
        signIn: async (identity, _req, res, next) => {
          const account = await accounts.findOrCreateByExternalIdentity(identity.issuer, identity.subject, identity.profile);
          await accounts.startSession(res, account.id);
          res.set('Cache-Control', 'no-store').redirect(303, next);
        }
      })
    );
  }
  const accountRoutes = {
    accounts,
    requests: realtime.requests,
    addressEvents: realtime.addressEvents,
    signInsPerTenMinutes: config.signInsPerTenMinutes,
    accountsPerHour: config.accountsPerHour,
    oidcEnabled: () => config.oidc !== null
  };
  app.use('/api/auth/passkey', createPasskeyRouter(accountRoutes));
  mountBoardRoutes(app, {
    // After the home's routes (its GET /api/me answers the contract's fields and more), before the board's API.
    accountRoutes: createAccountRouter(accountRoutes),
    realtime,
    frameworks,
    config,
    requests: realtime.requests,
    guesses: realtime.guesses,
    health: new StoreHealth(served),
    store: served,
    clock: options.clock,
    communities
  });

  // In front of everything (socket.io included, installed below): a session's requests go to the instance holding its lease.
  const forwarder = leases ? new SessionForwarder(leases, (code) => served.findSessionIdByCode(code)) : null;
  // How much of this instance's session traffic it forwarded, for operators and tests (the documented proxy keeps it internal).
  if (forwarder) app.get('/cluster/routing', (_req, res) => void res.set('Cache-Control', 'no-store').json(forwarder.routing()));

  const appHandler = config.appDir ? await loadAppHandler(config.appDir) : null;
  if (appHandler) app.use(appHandler);
  app.use((_req, res) => sendError(res, 'not_found', 'Not found.'));
  forwarder?.install(server);

  // Housekeeping in flight (purges, check-in sweeps): closing waits for it before closing the store, so a stop right
  // after the start does not fail the start's purge with "store is closed".
  const housekeeping = new Set<Promise<unknown>>();
  const tracked = <T>(work: Promise<T>): Promise<T> => {
    housekeeping.add(work);
    void work.finally(() => housekeeping.delete(work));
    return work;
  };
  const purgeNow = (now = Date.now()) => tracked(purgeOnce(served, realtime, config.purgeAfterDays, config.lobbyPurgeHours, now));
  const purge = config.purgeAfterDays > 0 || config.lobbyPurgeHours > 0 ? setInterval(() => void purgeNow(), 600_000).unref() : null;
  if (purge) void purgeNow();
  // Check-in deadlines that no loaded room is timing (idle unload, a restart after the deadline): at start, then every minute.
  const sweepCheckins = () =>
    tracked(
      realtime.registry.sweepCheckins().catch((error) => {
        console.error('Sweeping check-in deadlines failed', error);
        return [] as string[];
      })
    );
  const sweep = setInterval(() => void sweepCheckins(), CHECKIN_SWEEP_MS).unref();
  void sweepCheckins();

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
  const running: RunningServer = {
    url: `http://${urlHost}:${port}`,
    port,
    realtime,
    store,
    accounts,
    storeLocation: opened.where,
    purgeNow,
    sweepCheckins,
    close: () =>
      (closing ??= (async () => {
        if (purge) clearInterval(purge);
        clearInterval(sweep);
        // Draining is bounded: socket.io's close waits for the HTTP server's, which waits for every connection, and once
        // closing, Node no longer enforces its request timeouts. A peer that never answers a close frame, a request
        // that never finishes or a page that keeps polling on a kept-alive connection would hold shutdown (and a
        // test's teardown) open without end; after the grace whatever is still open is ended.
        const grace = setTimeout(() => {
          for (const socket of connections) socket.destroy();
        }, options.drainGraceMs ?? DRAIN_GRACE_MS).unref();
        // First refuse what arrives while draining (clients reconnect through the proxy to the other instance).
        forwarder?.close();
        await realtime.close();
        server.closeIdleConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        clearTimeout(grace);
        // Both catch their own failures, and their statements are bounded by the store's timeouts.
        await Promise.all(housekeeping);
        // The last board updates may wait in a commit window: stored while this instance still holds their sessions.
        await store.flush();
        await leases?.close();
        await addressEvents?.close();
        await opened.close();
      })())
  };
  if (leases && config.instanceUrl) {
    try {
      await checkInstanceUrl(config.instanceUrl, instanceId);
    } catch (error) {
      await running.close();
      throw error;
    }
  }
  return running;
}

/**
 * One purge pass (at start, then every ten minutes): sessions untouched for
 * `days`, and sessions that never left the lobby after `lobbyHours`, so that
 * sessions started and abandoned do not fill the server. Live rooms and
 * boards of purged sessions are dropped too, and their clients told.
 */
/** How long an expired invitation is kept so that a late click is told why it no longer works. */
const INVITE_KEPT_AFTER_EXPIRY_MS = 30 * 86_400_000;

async function purgeOnce(store: Store, realtime: Realtime, days: number, lobbyHours: number, now: number): Promise<string[]> {
  const purged: string[] = [];
  try {
    if (days > 0) {
      const ids = await store.purgeIdle(now - days * 86_400_000);
      if (ids.length > 0) console.log(`Purged ${ids.length} session(s) idle for more than ${days} days`);
      purged.push(...ids);
    }
    if (lobbyHours > 0) {
      const ids = await store.purgeAbandonedLobbies(now - lobbyHours * 3_600_000);
      if (ids.length > 0) console.log(`Purged ${ids.length} session(s) left in the lobby for more than ${lobbyHours} hours`);
      purged.push(...ids);
    }
    // Signed-in browsers past their expiry, and WebAuthn ceremonies nobody finished.
    await store.purgeExpiredAccountSessions(now);
    // Invitations (co-facilitators', programmes') a while after they expired: until then a late click still reads
    // "expired" or "used" rather than "unknown"; after it, the tables stop growing with every invitation ever made.
    await store.purgeExpiredInvites(now - INVITE_KEPT_AFTER_EXPIRY_MS);
    await store.purgeExpiredShareInvites(now - INVITE_KEPT_AFTER_EXPIRY_MS);
  } catch (error) {
    console.error('Purging sessions failed', error);
  }
  for (const id of purged) {
    realtime.registry.evict(id);
  }
  return purged;
}

export { configFromEnv };

/** A client connection's error (a reset, a broken pipe): the socket is destroyed by its stream; nothing to report. */
function ignoreSocketError(): void {}
