import type { CommunityReviews } from '../communities/review-book';
import type { Server as HttpServer } from 'node:http';
import type { FrameworkCatalog } from '../content';
import { SessionRegistry } from '../sessions/registry';
import type { SessionLeases } from '../cluster/leases';
import { OriginPolicy } from '../security/origin';
import type { RateLimits } from '../security/rate';
import type { Store } from '../store/types';
import { YjsHub } from '../yjs/hub';
import { RequestContext } from '../http/links';
import { GuessLimiter, MemoryAddressEvents, type AddressEvents } from '../security/address-limits';
import { attachSocketHandlers, createSocketServer, type IO } from './socket-server';
import { socketFanout } from './socket-fanout';
import type { CommentBudget } from '../sessions/ballot-box';
import { LIMITS, SOCKET_PATH } from '../../src/lib/protocol';
import { FacilitatorAccess, type CookieAccounts, type MembershipReader } from '../accounts/access';
import { Revocations } from '../accounts/revocation';
import { LocalLeases } from '../cluster/leases';

export interface Realtime {
  io: IO;
  registry: SessionRegistry;
  yjs: YjsHub;
  /** Links and client addresses, shared with the REST API. */
  requests: RequestContext;
  /** Code guessing, shared by REST, socket.io and Yjs. */
  guesses: GuessLimiter;
  /** Where per-address limits count (this process, or PostgreSQL for a cluster); the REST creation limits count there too. */
  addressEvents: AddressEvents;
  /** The account cookie as a facilitator credential (REST, socket.io, and through tickets Yjs); null without accounts. */
  access: FacilitatorAccess | null;
  /** Ends a removed co-facilitator's connections, here and on the other instances; null without accounts. */
  revocations: Revocations | null;
  close(): Promise<void>;
}

/**
 * Attaches socket.io and the Yjs endpoint to an HTTP server (ours in
 * production, Vite's in dev). Upgrades are routed by path so the two never
 * fight over a socket.
 */
export function attachRealtime(
  httpServer: HttpServer,
  options: {
    store: Store;
    frameworks: FrameworkCatalog;
    allowedOrigins: string[];
    maxLiveSessions: number;
    /** Live sessions one community may hold (MAX_COMMUNITY_SESSIONS); unlimited when absent. */
    maxCommunitySessions?: number;
    destroyUnknownUpgrades: boolean;
    limits?: Partial<RateLimits>;
    publicUrl: string | null;
    trustProxy: string;
    codeGuessesPerMinute: number;
    connectionsPerPerson: number;
    /** How often silent connections are looked for, in ms (socket.io pings and Yjs WebSocket pings). */
    heartbeatMs?: number;
    /** Session ownership across instances (docs/scaling.md); one instance alone owns everything. */
    leases?: SessionLeases;
    /** Stamps creations and reveals (Date.now by default). */
    clock?: () => number;
    /** Per-address counts shared by every instance (docs/scaling.md); this process's memory by default. */
    addressEvents?: AddressEvents;
    /** Comment code units per round (LIMITS by default; tests set small ones). */
    commentBudget?: CommentBudget;
    /** How long after its last connection a session leaves memory (IDLE_UNLOAD_MS by default; tests shorten it). */
    idleUnloadMs?: number;
    /** Signed-in facilitators (issue 24): resolves the account cookie; without it only tokens authenticate. */
    accounts?: CookieAccounts;
    /** The community service's review books, which the rooms of a community share (the registry keeps its own without). */
    reviews?: CommunityReviews;
  }
): Realtime {
  const origins = new OriginPolicy(options.allowedOrigins);
  const requests = new RequestContext(options.publicUrl, options.trustProxy);
  const addressEvents = options.addressEvents ?? new MemoryAddressEvents();
  const guesses = new GuessLimiter(options.codeGuessesPerMinute, addressEvents);
  const io = createSocketServer(httpServer, origins, options.heartbeatMs);
  const limits: RateLimits = {
    commandsPerSecond: LIMITS.commandsPerSecond,
    commandBurst: LIMITS.commandBurst,
    yjsMessagesPerSecond: LIMITS.yjsMessagesPerSecond,
    yjsBurst: LIMITS.yjsBurst,
    ...options.limits
  };
  const registry = new SessionRegistry({
    store: options.store,
    frameworks: options.frameworks,
    fanout: socketFanout(io),
    maxLiveSessions: options.maxLiveSessions,
    maxCommunitySessions: options.maxCommunitySessions,
    yjsLimits: limits,
    commentBudget: options.commentBudget,
    leases: options.leases,
    // With several instances a new session goes to whichever instance its code is routed to first (docs/scaling.md).
    releaseNewSessions: options.leases !== undefined,
    clock: options.clock,
    idleUnloadMs: options.idleUnloadMs,
    reviews: options.reviews
  });
  const yjs = new YjsHub(registry, origins, { requests, guesses, connectionsPerPerson: options.connectionsPerPerson }, options.heartbeatMs);
  const access = options.accounts ? new FacilitatorAccess(options.accounts, options.store as Store & MembershipReader, origins) : null;
  const revocations = access ? new Revocations(registry, access, options.leases ?? new LocalLeases()) : null;
  attachSocketHandlers(io, { registry, requests, guesses, connectionsPerPerson: options.connectionsPerPerson, access: access ?? undefined }, limits);

  const onUpgrade = (request: import('node:http').IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
    if (YjsHub.matches(request.url)) yjs.handleUpgrade(request, socket, head);
    else if (options.destroyUnknownUpgrades && !request.url?.startsWith(`${SOCKET_PATH}/`)) socket.destroy();
  };
  httpServer.on('upgrade', onUpgrade);

  return {
    io,
    registry,
    yjs,
    requests,
    guesses,
    addressEvents,
    access,
    revocations,
    close: async () => {
      httpServer.off('upgrade', onUpgrade);
      yjs.close();
      // Unloading every session closes its board's WebSockets (1001 going away), as the process is.
      registry.close();
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
    }
  };
}
