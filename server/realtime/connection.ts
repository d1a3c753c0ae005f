import { LIMITS, type Ack, type ServerToClientEvents } from '../../src/lib/protocol';
import { isCommandName } from '../../src/lib/protocol/commands';
import { toProtocolError } from '../sessions/commands';
import type { Identity } from '../sessions/projections';
import type { LiveSession } from '../sessions/live-session';
import { TokenBucket, type RateLimits } from '../security/rate';
import { roomNames } from './socket-fanout';
import type { SocketData } from './socket-types';

/**
 * What a session's connection uses of its socket once the handshake has decided who it is: socket.io's `Socket`
 * is one, and tests drive the same code over an in-memory pair (tests/helpers/memory-socket.ts). Nothing here
 * knows HTTP, engine.io or the wire.
 */
export interface CommandSocket {
  /** Names the connection: an echo of a change skips the connection that sent it. */
  readonly id: string;
  /** Who the handshake decided this is, fixed until the connection closes. */
  readonly data: SocketData;
  /** Whether the connection is still open. */
  readonly connected: boolean;
  /** Joins a fan-out group (socket-fanout.ts names them). */
  join(room: string): unknown;
  emit<E extends keyof ServerToClientEvents>(event: E, ...args: Parameters<ServerToClientEvents[E]>): unknown;
  /** The connection's end. */
  on(event: 'disconnect', listener: (...args: unknown[]) => void): unknown;
  /** Every incoming event, known or not (commands come here; the ack callback comes last, when the client asked for one). */
  onAny(listener: (event: unknown, ...args: unknown[]) => void): unknown;
  disconnect(close?: boolean): unknown;
}

/** Where a connection finds its live session by code (SessionRegistry). */
export interface LiveSessions {
  get(code: string): Promise<LiveSession | null>;
}

/**
 * A connection the handshake admitted: served by its live session, unless the session went or the person was
 * removed while the handshake was in flight.
 */
export function acceptConnection(socket: CommandSocket, sessions: LiveSessions, limits?: RateLimits): void {
  const { code, identity } = socket.data;
  sessions.get(code).then(
    (live) => {
      // Closed while the session loaded: its 'disconnect' has passed, so served now it would stay counted as present.
      if (!socket.connected) return;
      if (!live || !live.isCurrent(identity)) {
        socket.disconnect(true);
        return;
      }
      serveConnection(socket, live, limits);
    },
    // The session could not be loaded (the store failed): the client reconnects, as after any drop.
    () => socket.disconnect(true)
  );
}

/** Joins the connection's fan-out groups, sends who it is and what it may see, and runs its commands at a bounded rate. */
export function serveConnection(socket: CommandSocket, live: LiveSession, limits?: RateLimits): void {
  const { identity } = socket.data;
  void socket.join(roomNames.all(live.code));
  if (identity.role === 'facilitator') {
    void socket.join(roomNames.facilitators(live.code));
    // A co-facilitator's connections, so that removing them ends these (server/accounts/revocation.ts).
    if (identity.accountId !== undefined) void socket.join(roomNames.account(live.code, identity.accountId));
  } else {
    // Presenter screens see what participants see, so they share the participants' socket.io room (never a participant's own).
    void socket.join(roomNames.participants(live.code));
    if (identity.role === 'participant') void socket.join(roomNames.participant(live.code, identity.participantId));
    else void socket.join(roomNames.presenters(live.code));
  }
  live.connected(identity);
  socket.emit('links', socket.data.links);
  socket.emit('state', live.snapshot(identity));
  // socket.io calls `onAny` listeners without asking whether the connection is still open (its per-event
  // dispatch did): a command decoded together with the transport's close (one polling body) is not run.
  let open = true;
  socket.on('disconnect', () => {
    open = false;
    live.disconnected(identity);
  });

  const bucket = new TokenBucket(limits?.commandsPerSecond ?? LIMITS.commandsPerSecond, limits?.commandBurst ?? LIMITS.commandBurst);
  // One listener for every event, known or not, instead of one per command and socket: fewer closures per
  // connection, and a command is handled as socket.io decodes it.
  socket.onAny((event: unknown, ...args: unknown[]) => {
    if (!open) return;
    // socket.io puts the ack callback last; a client that sends none gets no answer, but is still checked.
    const ack = args[args.length - 1];
    const answered = typeof ack === 'function';
    const payloads = answered ? args.length - 1 : args.length;
    const reply = answered ? (ack as Reply) : ignoreReply;
    // Every event counts, known or not: each is decoded and answered, so a flood of made-up names costs as much.
    if (!bucket.take()) {
      reply({ ok: false, error: { code: 'rate_limited', message: 'Too many messages; slow down a little.' } });
      return;
    }
    if (!isCommandName(event)) {
      // An event this protocol does not know gets the registry's typed refusal instead of silence.
      if (answered) handle(event, args[0], live, identity, socket.id, reply);
      return;
    }
    if (payloads !== 1) {
      reply({ ok: false, error: { code: 'bad_request', message: `The "${event}" message takes exactly one payload, got ${payloads}.` } });
      return;
    }
    handle(event, args[0], live, identity, socket.id, reply);
  });
}

type Reply = (response: Ack<unknown>) => void;
const ignoreReply: Reply = () => undefined;

/** Parsed against the contract, authorised by the policy and run by the command registry, all in the live session; answered by `reply`. */
function handle(name: unknown, payload: unknown, live: LiveSession, identity: Identity, origin: string, reply: Reply): void {
  // One reaction on the command's promise, no async wrapper: every vote comes through here.
  live.execute(name, payload, identity, origin).then(
    (data) => reply({ ok: true, data }),
    (error: unknown) => reply({ ok: false, error: toProtocolError(error) })
  );
}
