import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CommandError, LIMITS, YJS_PATH, type ErrorCode } from '../../src/lib/protocol';
import type { SessionRegistry } from '../sessions/registry';
import type { OriginPolicy } from '../security/origin';
import type { RequestContext } from '../http/links';
import type { GuessLimiter } from '../security/address-limits';

/** How often silent connections are looked for (see `checkAlive`); socket.io uses the same interval. */
export const DEFAULT_HEARTBEAT_MS = 25_000;

/**
 * The Yjs transport (`/yjs/<CODE>?ticket=…`): authenticates at upgrade with a
 * single-use ticket from the socket.io connection (`board:ticket`) and hands
 * the WebSocket to its live session, which owns the document and its
 * connections. Holds no documents of its own: one map of sessions (the registry).
 */
export class YjsHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.yjsMessageBytes });

  constructor(
    private readonly registry: SessionRegistry,
    private readonly origins: OriginPolicy,
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

  /** Handles an HTTP upgrade on the Yjs path. Never throws. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.authorise(request).then(
      (result) => {
        if ('error' in result) {
          reject(socket, result.status, result.error, result.message);
          return;
        }
        const { live, identity, doc } = result;
        this.wss.handleUpgrade(request, socket, head, (ws) => {
          // Without a listener, a protocol error (e.g. a frame over maxPayload) is thrown and crashes the process;
          // ws already closes the connection itself (1009, 1002, …).
          ws.on('error', () => undefined);
          this.alive.set(ws, true);
          ws.on('pong', () => this.alive.set(ws, true));
          live.attachBoard(ws, socket, identity, doc);
        });
      },
      () => reject(socket, 500, 'internal', 'internal error')
    );
  }

  private async authorise(request: IncomingMessage) {
    const fail = (status: number, error: ErrorCode, message: string) => ({ status, error, message }) as const;
    if (!this.origins.allows(request.headers.origin, request.headers.host)) return fail(403, 'forbidden', 'origin not allowed');
    const address = this.guessing?.requests.clientAddress(request) ?? '';
    if (await this.guessing?.guesses.blocked(address)) return fail(429, 'rate_limited', 'too many unknown codes or keys from this address');
    const url = new URL(request.url ?? '/', 'http://localhost');
    const code = decodeURIComponent(url.pathname.slice(YJS_PATH.length + 1));
    // A ticket, never a long-lived token: URLs end up in access logs.
    const ticket = url.searchParams.get('ticket');
    if (!ticket || ticket.length > 128) return fail(401, 'unauthorized', 'a ticket is required (board:ticket)');
    const live = await this.registry.get(code);
    if (!live) {
      await this.guessing?.guesses.miss(address);
      return fail(404, 'not_found', 'unknown session');
    }
    const identity = this.registry.tickets.take(ticket, live.id);
    if (!identity) {
      await this.guessing?.guesses.miss(address);
      return fail(401, 'unauthorized', 'ticket not valid for this session (single use, 30 seconds)');
    }
    // Board connections count with the person's socket.io ones (a tab in the action phase holds two).
    if (this.guessing && live.connectionsOf(identity) >= this.guessing.connectionsPerPerson) {
      return fail(429, 'too_many_connections', 'this person already holds as many connections as allowed');
    }
    // Serve only once the stored document is loaded, so nobody syncs against an empty one.
    // Deleted or unloaded meanwhile (a typed refusal); a store that cannot load it still answers 500.
    const doc = await live.doc().catch((error: unknown) => {
      if (error instanceof CommandError) return null;
      throw error;
    });
    if (!doc) return fail(404, 'not_found', 'unknown session');
    return { live, identity, doc };
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.wss.close();
  }
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
