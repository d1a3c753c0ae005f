import http from 'node:http';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import { normalizeCode } from '../../src/lib/domain/codes';
import { SOCKET_PATH, YJS_PATH } from '../../src/lib/protocol';
import type { SessionLeases } from './leases';

/** Set on a request one instance forwards to another, so it is never forwarded twice. */
export const FORWARDED_HEADER = 'x-seeds-forwarded';

/**
 * The session code a request is about, or null for requests that touch no
 * live room (pages, creating a session, communities, frameworks, health):
 * `/api/sessions/CODE…`, `/yjs/CODE`, and socket.io requests, which carry the
 * code as a `code` query parameter (the client adds it for this).
 *
 * Each path is read the way the handler that serves it reads it, so that the
 * routing and the serving decide on the same session: socket.io (engine.io) and
 * the Yjs hub match a literal, case-sensitive prefix of the raw request target;
 * Express matches `/api/sessions/:code` in any letter case, on the path of an
 * origin-form or absolute-form target. Never throws, whatever the target.
 */
export function sessionCodeOf(url: string | undefined): string | null {
  if (!url) return null;
  const query = url.indexOf('?');
  let raw: string | null = null;
  if (url.startsWith(`${SOCKET_PATH}/`)) raw = query < 0 ? null : new URLSearchParams(url.slice(query + 1)).get('code');
  else if (url.startsWith(`${YJS_PATH}/`)) raw = url.slice(YJS_PATH.length + 1).split(/[/?]/)[0];
  else {
    const path = expressPath(url);
    const match = path === null ? null : /^\/api\/sessions\/([^/]+)/i.exec(path);
    raw = match ? match[1] : null;
  }
  if (!raw) return null;
  try {
    return normalizeCode(decodeURIComponent(raw));
  } catch {
    return null;
  }
}

/** The path Express routes on (as its `parseurl` does): the target up to `?`, or an absolute-form target's path; null when unparseable. */
function expressPath(url: string): string | null {
  if (url.startsWith('/')) return url.split('?')[0];
  try {
    return new URL(url).pathname;
  } catch {
    return null;
  }
}

/**
 * `none`: not about a session, served here; `peer`: forwarded by another instance, served here (never a
 * second hop); `here`: a session this instance holds or may take; `forward`: a session another instance
 * holds; `retry`: its holder is not known yet.
 */
type Decision = { to: 'none' } | { to: 'peer' } | { to: 'here' } | { to: 'forward'; target: string } | { to: 'retry' };

/** How many requests about a session arrived at one instance, by where they went (`GET /cluster/routing`). */
export interface RoutingCounts {
  /** Plain HTTP requests (`/api/sessions/CODE…`, socket.io polling) and WebSocket upgrades (socket.io, the Yjs board), each: */
  http: RouteCount;
  websocket: RouteCount;
}
export interface RouteCount {
  /** Arrived from a client (the proxy) and served here. */
  served: number;
  /** Arrived from a client and forwarded to the instance holding the session. */
  forwarded: number;
  /** Arrived forwarded by another instance (counted there as forwarded). */
  fromPeers: number;
  /** Answered "try again": the session's holder was not known yet. */
  refused: number;
}

const emptyCount = (): RouteCount => ({ served: 0, forwarded: 0, fromPeers: 0, refused: 0 });

/**
 * Sends each session's HTTP requests and WebSocket upgrades to the instance
 * that holds its lease, so a session's room lives in exactly one process while
 * its people may reach any instance (through a proxy that balances as it
 * likes). An instance that finds a session's lease free serves the session
 * itself (its room takes the lease as it loads, server/sessions/registry.ts).
 * Installed in front of every other handler of the HTTP
 * server, socket.io's included (which otherwise answers /socket.io first).
 */
export class SessionForwarder {
  private readonly proxy = httpProxy.createProxyServer({ xfwd: true, ws: true, proxyTimeout: 30_000 });
  /**
   * Forwarded HTTP requests reuse connections to the other instances (http-proxy's default opens and
   * closes one per request). WebSocket upgrades take a connection of their own (agent: false): once
   * upgraded, http-proxy pipes its bytes both ways without parsing a frame.
   */
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16, timeout: 60_000 });
  private readonly counts: RoutingCounts = { http: emptyCount(), websocket: emptyCount() };
  /** WebSocket connections piped to another instance: ended on close (the HTTP server no longer tracks upgraded sockets). */
  private readonly tunnels = new Set<Duplex>();
  /** Shutting down: new requests and upgrades are refused, so none can hold the drain open. */
  private closed = false;

  constructor(
    private readonly leases: SessionLeases,
    private readonly findSessionId: (code: string) => Promise<string | null>
  ) {
    this.proxy.on('error', (error, _req, res) => {
      // The owner went away mid-request: the client retries, and the lease will have moved.
      if ('writeHead' in res && !res.headersSent) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(JSON.stringify({ error: { code: 'store_unavailable', message: 'The instance holding this session is not reachable; try again.' } }));
      } else res.destroy();
      console.error('cluster: forwarding failed:', error.message);
    });
    // A tunnel ends with its client, however the client went: http-proxy ends the owner's side only on a clean end
    // or an error it sees, and a client reset before the owner's answer left the connection to the owner open.
    this.proxy.on('proxyReqWs', (proxyReq, _req, socket) => {
      const endRequest = () => proxyReq.destroy();
      socket.once('close', endRequest);
      proxyReq.once('upgrade', (_res, proxySocket) => {
        socket.off('close', endRequest);
        if (socket.destroyed) proxySocket.destroy();
        else socket.once('close', () => proxySocket.destroy());
      });
    });
  }

  /** A copy of the counters since start. */
  routing(): RoutingCounts {
    return { http: { ...this.counts.http }, websocket: { ...this.counts.websocket } };
  }

  private async decide(req: http.IncomingMessage): Promise<Decision> {
    const code = sessionCodeOf(req.url);
    if (!code) return { to: 'none' };
    // A request another instance forwarded is served here, whatever happens: never a second hop.
    if (req.headers[FORWARDED_HEADER]) return { to: 'peer' };
    // Looked up every time (one indexed read): a deleted session's code can be handed out again, so a cache could route to the wrong session.
    const id = await this.findSessionId(code);
    if (!id || this.leases.holds(id)) return { to: 'here' };
    // Only looked at, not taken: the room takes the lease when it loads (server/sessions/registry.ts), so a
    // request that loads no room leaves no lock behind; should another instance take it first, the load refuses.
    const where = await this.leases.locate(id);
    switch (where.at) {
      case 'here':
      case 'nobody':
        // Free: served (and taken) here, the instance the proxy routes this code to — how new sessions are placed (docs/scaling.md).
        return { to: 'here' };
      case 'elsewhere':
        return where.ownerUrl ? { to: 'forward', target: where.ownerUrl } : { to: 'retry' };
    }
  }

  private count(kind: RouteCount, decision: Decision): void {
    if (decision.to === 'here') kind.served++;
    else if (decision.to === 'forward') kind.forwarded++;
    else if (decision.to === 'peer') kind.fromPeers++;
    else if (decision.to === 'retry') kind.refused++;
  }

  /** Wraps the server's `request` and `upgrade` listeners (install after socket.io and Express are attached). */
  install(server: http.Server): void {
    const requests = server.listeners('request') as ((req: http.IncomingMessage, res: http.ServerResponse) => void)[];
    const upgrades = server.listeners('upgrade') as ((req: http.IncomingMessage, socket: Duplex, head: Buffer) => void)[];
    server.removeAllListeners('request');
    server.removeAllListeners('upgrade');
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (this.closed) return unavailable(res, true);
      this.decide(req).then(
        (decision) => {
          this.count(this.counts.http, decision);
          if (decision.to === 'retry') return unavailable(res);
          if (decision.to !== 'forward') for (const listener of requests) listener.call(server, req, res);
          else {
            req.headers[FORWARDED_HEADER] = '1';
            this.proxy.web(req, res, { target: decision.target, agent: this.agent });
          }
        },
        (error) => {
          console.error('cluster: routing a request failed:', error);
          unavailable(res);
        }
      );
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.closed) return refuseUpgrade(socket);
      this.decide(req).then(
        (decision) => {
          this.count(this.counts.websocket, decision);
          if (decision.to === 'retry') return refuseUpgrade(socket);
          if (decision.to !== 'forward') for (const listener of upgrades) listener.call(server, req, socket, head);
          else {
            // The client went while the owner was looked up: nothing to forward (http-proxy would still open a tunnel).
            if (socket.destroyed) return;
            req.headers[FORWARDED_HEADER] = '1';
            this.tunnels.add(socket);
            socket.once('close', () => this.tunnels.delete(socket));
            this.proxy.ws(req, socket, head, { target: decision.target, agent: false });
          }
        },
        (error) => {
          console.error('cluster: routing an upgrade failed:', error);
          refuseUpgrade(socket);
        }
      );
    });
  }

  /** Ends every forwarded connection (their clients reconnect, to an instance that is not shutting down). */
  close(): void {
    this.closed = true;
    for (const socket of this.tunnels) socket.destroy();
    this.tunnels.clear();
    this.proxy.close();
    this.agent.destroy();
  }
}

function unavailable(res: http.ServerResponse, closing = false): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1', ...(closing ? { connection: 'close' } : {}) });
  res.end(JSON.stringify({ error: { code: 'store_unavailable', message: 'This session is moving to another instance; try again in a moment.' } }));
}

function refuseUpgrade(socket: Duplex): void {
  socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
}
