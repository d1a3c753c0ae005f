import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import * as Y from 'yjs';
import { actionsEditable } from '../../src/lib/domain/phases';
import { LIMITS, YJS_PATH, type ErrorCode } from '../../src/lib/protocol';
import type { SessionRegistry } from '../sessions/registry';
import type { SessionRoom } from '../sessions/room';
import type { Store } from '../store/types';
import type { OriginPolicy } from '../security/origin';
import type { RateLimits } from '../security/rate';
import { DocRoom } from './doc-room';
import { SERVER_ORIGIN } from '../../src/lib/board/origins';
import type { RequestContext } from '../http/links';
import type { GuessLimiter } from '../security/window-limiter';
import { TicketBook } from './tickets';

const IDLE_UNLOAD_MS = 10 * 60_000;
const IDLE_SWEEP_MS = 60_000;
/** How often silent connections are looked for (see `checkAlive`); socket.io uses the same interval. */
export const DEFAULT_HEARTBEAT_MS = 25_000;

/**
 * The Yjs endpoint (`/yjs/<CODE>?ticket=…`): authenticates at upgrade with a
 * single-use ticket from the socket.io connection (`board:ticket`), loads
 * each session's document once, and serves it to many WebSockets.
 */
export class YjsHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.yjsMessageBytes });
  private readonly docs = new Map<string, DocRoom>();
  private readonly loading = new Map<string, Promise<DocRoom>>();
  /** Open board sockets of each participant (`sessionId:participantId`), to cut them off on removal. */
  private readonly participantSockets = new Map<string, Set<WebSocket>>();
  /** Tickets for the upgrade, issued over socket.io. */
  readonly tickets = new TicketBook();

  constructor(
    private readonly registry: SessionRegistry,
    private readonly store: Store,
    private readonly origins: OriginPolicy,
    private readonly limits?: Pick<RateLimits, 'yjsMessagesPerSecond' | 'yjsBurst' | 'yjsClientsPerPerson' | 'yjsClientsPerDocument' | 'yjsDocumentBytes'>,
    /** Code guessing is limited across REST, socket.io and here; so are the connections one person holds. */
    private readonly guessing?: { requests: RequestContext; guesses: GuessLimiter; connectionsPerPerson: number },
    heartbeatMs = DEFAULT_HEARTBEAT_MS
  ) {
    this.heartbeat = setInterval(() => this.checkAlive(), heartbeatMs).unref();
  }

  /**
   * A board connection that goes silent without closing (a locked phone, a
   * laptop that left the Wi-Fi) is found by WebSocket pings: one that has not
   * answered the previous ping by the next one is closed, so its person shows
   * as away instead of connected for ever.
   */
  private readonly heartbeat: NodeJS.Timeout;
  private readonly alive = new WeakMap<WebSocket, boolean>();

  private checkAlive(): void {
    for (const ws of this.wss.clients) {
      if (this.alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      this.alive.set(ws, false);
      ws.ping();
    }
  }

  /** Whether an upgrade request is for this endpoint. */
  static matches(url: string | undefined): boolean {
    return url !== undefined && (url === YJS_PATH || url.startsWith(`${YJS_PATH}/`) || url.startsWith(`${YJS_PATH}?`));
  }

  /** When each document was last asked for, to unload idle ones. */
  private readonly lastUsed = new Map<string, number>();
  private readonly sweeper = setInterval(() => this.unloadIdle(), IDLE_SWEEP_MS).unref();

  /** The document of a session, loaded from the store once. */
  async docFor(room: SessionRoom): Promise<DocRoom> {
    this.lastUsed.set(room.id, Date.now());
    const existing = this.docs.get(room.id);
    if (existing) return existing;
    let pending = this.loading.get(room.id);
    if (!pending) {
      pending = DocRoom.load(room.id, this.store, this.limits).then((doc) => {
        this.docs.set(room.id, doc);
        return doc;
      });
      pending.finally(() => this.loading.delete(room.id)).catch(() => undefined);
      this.loading.set(room.id, pending);
    }
    return pending;
  }

  /** Runs a server-side change (facilitator commands) on a session's board. */
  async transact(room: SessionRoom, change: (doc: Y.Doc) => void): Promise<void> {
    const doc = await this.docFor(room);
    doc.doc.transact(() => change(doc.doc), SERVER_ORIGIN);
  }

  /** Creates the shared text of a new action point (idempotent); the structure itself lives in the session's store. */
  async createText(room: SessionRoom, actionId: string): Promise<Y.Text> {
    return (await this.docFor(room)).createText(actionId);
  }

  /** Called after a phase change so read-only clients hear about it again. */
  phaseChanged(room: SessionRoom): void {
    this.docs.get(room.id)?.resetDenials();
  }

  /** Closes the board connections of a participant the facilitator removed (4403: y-websocket does not reconnect). */
  disconnectParticipant(room: SessionRoom, participantId: string): void {
    this.tickets.revoke(room.id, participantId);
    const key = participantKey(room.id, participantId);
    for (const ws of this.participantSockets.get(key) ?? []) ws.close(4403, 'removed from the session');
    this.participantSockets.delete(key);
  }

  /** Closes and forgets a deleted session's document. */
  drop(sessionId: string): void {
    this.tickets.revoke(sessionId);
    this.docs.get(sessionId)?.destroy(4404, 'session deleted');
    this.docs.delete(sessionId);
    this.lastUsed.delete(sessionId);
  }

  /** Handles an HTTP upgrade on the Yjs path. Never throws. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.authorise(request).then(
      (result) => {
        if ('error' in result) {
          reject(socket, result.status, result.error, result.message);
          return;
        }
        const { room, identity, doc } = result;
        this.wss.handleUpgrade(request, socket, head, (ws) => {
          // Without a listener, a protocol error (e.g. a frame over maxPayload) is thrown and crashes the process;
          // ws already closes the connection itself (1009, 1002, …).
          ws.on('error', () => undefined);
          this.alive.set(ws, true);
          ws.on('pong', () => this.alive.set(ws, true));
          if (room.isDeleted) {
            ws.close(4404, 'session deleted');
            return;
          }
          let key: string | null = null;
          if (identity.role === 'participant') {
            // Removed while the upgrade was being authorised.
            if (!room.hasParticipant(identity.participantId)) {
              ws.close(4403, 'removed from the session');
              return;
            }
            key = participantKey(room.id, identity.participantId);
            this.participantSockets.set(key, (this.participantSockets.get(key) ?? new Set<WebSocket>()).add(ws));
          }
          room.connected(identity);
          ws.on('close', () => {
            if (key) {
              const set = this.participantSockets.get(key);
              set?.delete(ws);
              if (set?.size === 0) this.participantSockets.delete(key);
            }
            room.disconnected(identity);
            this.registry.scheduleUnload(room);
          });
          // A presenter screen only reads the board and publishes no presence.
          const stillMember = () => identity.role === 'facilitator' || (identity.role === 'participant' && room.hasParticipant(identity.participantId));
          const person = identity.role === 'participant' ? `participant:${identity.participantId}` : identity.role;
          doc.addConnection(ws, () => !room.isDeleted && actionsEditable(room.phase) && stillMember(), person, identity.role !== 'presenter');
        });
      },
      () => reject(socket, 500, 'internal', 'internal error')
    );
  }

  private async authorise(request: IncomingMessage) {
    const fail = (status: number, error: ErrorCode, message: string) => ({ status, error, message }) as const;
    if (!this.origins.allows(request.headers.origin, request.headers.host)) return fail(403, 'forbidden', 'origin not allowed');
    const address = this.guessing?.requests.clientAddress(request) ?? '';
    if (this.guessing?.guesses.blocked(address)) return fail(429, 'rate_limited', 'too many unknown codes or keys from this address');
    const url = new URL(request.url ?? '/', 'http://localhost');
    const code = decodeURIComponent(url.pathname.slice(YJS_PATH.length + 1));
    // A ticket, never a long-lived token: URLs end up in access logs.
    const ticket = url.searchParams.get('ticket');
    if (!ticket || ticket.length > 128) return fail(401, 'unauthorized', 'a ticket is required (board:ticket)');
    const room = await this.registry.get(code);
    if (!room) {
      this.guessing?.guesses.miss(address);
      return fail(404, 'not_found', 'unknown session');
    }
    const identity = this.tickets.take(ticket, room.id);
    if (!identity) {
      this.guessing?.guesses.miss(address);
      return fail(401, 'unauthorized', 'ticket not valid for this session (single use, 30 seconds)');
    }
    // Board connections count with the person's socket.io ones (a tab in the action phase holds two).
    if (this.guessing && room.connectionsOf(identity) >= this.guessing.connectionsPerPerson) {
      return fail(429, 'too_many_connections', 'this person already holds as many connections as allowed');
    }
    // Serve only once the stored document is loaded, so nobody syncs against an empty one.
    const doc = await this.docFor(room);
    return { room, identity, doc };
  }

  /** Drops documents nobody has been connected to or asked for in a while; they reload from the store. */
  private unloadIdle(now = Date.now()): void {
    for (const [sessionId, doc] of this.docs) {
      if (doc.connectionCount > 0 || now - (this.lastUsed.get(sessionId) ?? 0) < IDLE_UNLOAD_MS) continue;
      doc.destroy();
      this.docs.delete(sessionId);
      this.lastUsed.delete(sessionId);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    clearInterval(this.heartbeat);
    for (const doc of this.docs.values()) doc.destroy();
    this.docs.clear();
    this.wss.close();
  }
}

function participantKey(sessionId: string, participantId: string): string {
  return `${sessionId}:${participantId}`;
}

function reject(socket: Duplex, status: number, code: ErrorCode, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${httpReason(status)}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

function httpReason(status: number): string {
  return { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error' }[status] ?? 'Error';
}
