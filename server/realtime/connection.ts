import { LIMITS, type Ack, type CommandName, type ServerToClientEvents } from '../../src/lib/protocol';
import { COMMAND_NAMES, isCommandName } from '../../src/lib/protocol/commands';
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
  /** Joins a fan-out group (socket-fanout.ts names them). */
  join(room: string): unknown;
  emit<E extends keyof ServerToClientEvents>(event: E, ...args: Parameters<ServerToClientEvents[E]>): unknown;
  /** A command (the ack callback comes last, when the client asked for one), or the connection's end. */
  on(event: CommandName | 'disconnect', listener: (...args: unknown[]) => void): unknown;
  /** Every incoming event, known or not. */
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
  void sessions.get(code).then((live) => {
    if (!live || !live.isCurrent(identity)) {
      socket.disconnect(true);
      return;
    }
    serveConnection(socket, live, limits);
  });
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
  socket.on('disconnect', () => live.disconnected(identity));

  // An event this protocol does not know gets the registry's typed refusal instead of silence.
  socket.onAny((event: unknown, ...args: unknown[]) => {
    if (isCommandName(event)) return;
    const ack = args.at(-1);
    if (typeof ack === 'function') void handle(event, args.slice(0, -1)[0], live, identity, socket.id).then(ack as (response: Ack<unknown>) => void);
  });

  const bucket = new TokenBucket(limits?.commandsPerSecond ?? LIMITS.commandsPerSecond, limits?.commandBurst ?? LIMITS.commandBurst);
  for (const name of COMMAND_NAMES) {
    socket.on(name, (...args: unknown[]) => {
      // socket.io puts the ack callback last; a client that sends none gets no answer, but is still checked.
      const ack = args.at(-1);
      const reply = typeof ack === 'function' ? (ack as (response: Ack<unknown>) => void) : () => undefined;
      const payloads = typeof ack === 'function' ? args.slice(0, -1) : args;
      if (!bucket.take()) {
        reply({ ok: false, error: { code: 'rate_limited', message: 'Too many messages; slow down a little.' } });
        return;
      }
      if (payloads.length !== 1) {
        reply({ ok: false, error: { code: 'bad_request', message: `The "${name}" message takes exactly one payload, got ${payloads.length}.` } });
        return;
      }
      void handle(name, payloads[0], live, identity, socket.id).then(reply);
    });
  }
}

/** Parsed against the contract, authorised by the policy and run by the command registry, all in the live session. */
async function handle(name: unknown, payload: unknown, live: LiveSession, identity: Identity, origin: string): Promise<Ack<unknown>> {
  try {
    return { ok: true, data: await live.execute(name, payload, identity, origin) };
  } catch (error) {
    return { ok: false, error: toProtocolError(error) };
  }
}
