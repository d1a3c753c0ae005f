import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { LIMITS, PROTOCOL_VERSION, SOCKET_PATH, type ProtocolError } from '../../src/lib/protocol';
import { HandshakeAuth } from '../../src/lib/protocol/schemas';
import { toProtocolError } from '../sessions/commands';
import { normalizeCode } from '../../src/lib/domain/codes';
import type { Identity } from '../sessions/projections';
import type { LiveSession } from '../sessions/live-session';
import type { SessionRegistry } from '../sessions/registry';
import type { OriginPolicy } from '../security/origin';
import type { RateLimits } from '../security/rate';
import { sessionLinks, type RequestContext } from '../http/links';
import { derivePresenterToken } from '../security/tokens';
import type { GuessLimiter } from '../security/address-limits';
import { acceptConnection } from './connection';
import type { FacilitatorAccess } from '../accounts/access';
import type { BoardSocket, IO } from './socket-types';

export type { IO, SocketData } from './socket-types';

export interface SocketDeps {
  registry: SessionRegistry;
  requests: RequestContext;
  guesses: GuessLimiter;
  /** Open connections one participant (or the facilitator) may hold at once. */
  connectionsPerPerson: number;
  /** A handshake without a token but with a signed-in facilitator's cookie (issue 24); absent: tokens only. */
  access?: FacilitatorAccess;
}

/** Creates the socket.io server on `/socket.io`, leaving other upgrades (Yjs) alone. */
export function createSocketServer(httpServer: HttpServer, origins: OriginPolicy, heartbeatMs = 25_000): IO {
  return new Server(httpServer, {
    path: SOCKET_PATH,
    serveClient: false,
    destroyUpgrade: false,
    maxHttpBufferSize: LIMITS.socketMessageBytes,
    // A silent client (locked phone, lost Wi-Fi) is dropped within two heartbeats and shows as away.
    pingInterval: heartbeatMs,
    pingTimeout: heartbeatMs,
    allowRequest: (request, callback) => {
      const allowed = origins.allows(request.headers.origin, request.headers.host);
      callback(allowed ? null : 'origin not allowed', allowed);
    }
  });
}

function connectError(error: ProtocolError): Error & { data: ProtocolError } {
  return Object.assign(new Error(error.message), { data: error });
}

/**
 * Authenticates each connection once (session code + token) and dispatches
 * commands: parse → authorise → domain → persist → broadcast → ack.
 */
export function attachSocketHandlers(io: IO, deps: SocketDeps, limits?: RateLimits): void {
  io.use((socket, next) => {
    const address = deps.requests.clientAddress(socket.request);
    deps.guesses.blocked(address).then(
      (blocked) => {
        if (blocked) next(connectError({ code: 'rate_limited', message: 'Too many unknown codes or keys from this address; wait a minute and try again.' }));
        else authenticate(socket, address, next);
      },
      (error) => next(connectError(toProtocolError(error)))
    );
  });

  /** Code and token once per connection: who this socket is stays fixed until it disconnects. */
  function authenticate(socket: BoardSocket, address: string, next: (error?: Error) => void): void {
    const parsed = HandshakeAuth.safeParse(socket.handshake.auth);
    if (!parsed.success) {
      next(connectError({ code: 'unauthorized', message: 'A session code and a token are required to connect.' }));
      return;
    }
    if (parsed.data.protocolVersion !== PROTOCOL_VERSION) {
      next(connectError({ code: 'version_mismatch', message: `This server speaks protocol ${PROTOCOL_VERSION}; reload the page.` }));
      return;
    }
    // Several instances route a connection by the code in its URL (server/cluster/forward.ts): a connection that is
    // routed by one session and asks for another would be served where the other's authority may not be.
    const routed = socket.handshake.query.code;
    if (routed !== undefined && (typeof routed !== 'string' || normalizeCode(routed) !== normalizeCode(parsed.data.code))) {
      next(connectError({ code: 'bad_request', message: 'The session code in the URL and in the handshake differ.' }));
      return;
    }
    deps.registry.get(parsed.data.code).then(
      (live) => {
        if (!live) {
          void deps.guesses.miss(address);
          return next(connectError({ code: 'not_found', message: 'There is no session with that code.' }));
        }
        const token = parsed.data.token;
        if (token === undefined) return authenticateAccount(socket, live, next);
        const identity = live.authenticate(token);
        if (!identity) {
          void deps.guesses.miss(address);
          return next(connectError({ code: 'unauthorized', message: 'This token is not valid for this session.' }));
        }
        admit(socket, live, identity, token, next);
      },
      (error) => next(connectError(toProtocolError(error)))
    );
  }

  /**
   * No token: the account cookie of a signed-in facilitator, decided once here (the origin was checked by
   * allowRequest; access refuses a cookie from elsewhere again). A co-facilitator's page has no facilitator
   * token, so it gets no facilitator or presenter link (both derive from the token) and says so.
   */
  function authenticateAccount(socket: BoardSocket, live: LiveSession, next: (error?: Error) => void): void {
    const refuse = () => next(connectError({ code: 'unauthorized', message: 'A token, or signing in as a facilitator of this session, is required.' }));
    if (!deps.access) return refuse();
    deps.access.sessionFacilitator(socket.request.headers, { id: live.id, communityId: live.communityId }).then(
      (identity) => (identity ? admit(socket, live, identity, null, next) : refuse()),
      (error) => next(connectError(toProtocolError(error)))
    );
  }

  function admit(socket: BoardSocket, live: LiveSession, identity: Identity, token: string | null, next: (error?: Error) => void): void {
    if (live.connectionsOf(identity) >= deps.connectionsPerPerson) {
      return next(
        connectError({
          code: 'too_many_connections',
          message: `This person already has ${deps.connectionsPerPerson} open connections to the session; close a tab or device first.`
        })
      );
    }
    const origin = deps.requests.origin(socket.request);
    const links =
      identity.role === 'facilitator' && token !== null
        ? sessionLinks(origin, live.code, { facilitatorToken: token, presenterToken: derivePresenterToken(token) })
        : identity.role === 'presenter' && token !== null
          ? sessionLinks(origin, live.code, { presenterToken: token })
          : sessionLinks(origin, live.code);
    socket.data = { code: live.code, identity, links };
    next();
  }

  // socket.io's Socket is the narrow connection interface (connection.ts, checked here by the compiler): nothing past the handshake knows socket.io.
  io.on('connection', (socket: BoardSocket) => acceptConnection(socket, deps.registry, limits));
}
