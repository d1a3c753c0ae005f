import type { ServerToClientEvents } from '../../src/lib/protocol';

type EventArgs<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>;

/**
 * How a session reaches its clients: socket.io rooms in this process. With
 * several instances every client of a session is routed to the one instance
 * that owns it (docs/scaling.md), so no cross-instance broadcast is needed.
 */
export interface RoomFanout {
  toAll<E extends keyof ServerToClientEvents>(code: string, event: E, ...args: EventArgs<E>): void;
  toFacilitators<E extends keyof ServerToClientEvents>(code: string, event: E, ...args: EventArgs<E>): void;
  toParticipants<E extends keyof ServerToClientEvents>(code: string, event: E, ...args: EventArgs<E>): void;
  /** Presenter screens only (they also get what goes to participants). */
  toPresenters<E extends keyof ServerToClientEvents>(code: string, event: E, ...args: EventArgs<E>): void;
  toParticipant<E extends keyof ServerToClientEvents>(code: string, participantId: string, event: E, ...args: EventArgs<E>): void;
  /**
   * A participant's connections other than `origin` (the connection that sent the change, which learns the
   * result from its ack): a second tab or device sees the change, the sender gets no echo of what it knows.
   */
  toParticipantElsewhere<E extends keyof ServerToClientEvents>(
    code: string,
    participantId: string,
    origin: string | undefined,
    event: E,
    ...args: EventArgs<E>
  ): void;
  /** The facilitator's connections other than `origin` (see toParticipantElsewhere). */
  toFacilitatorsElsewhere<E extends keyof ServerToClientEvents>(code: string, origin: string | undefined, event: E, ...args: EventArgs<E>): void;
  /** Each connected participant gets its own payload (e.g. its own dots). */
  toEachParticipant<E extends keyof ServerToClientEvents>(code: string, event: E, payloadFor: (participantId: string) => EventArgs<E>): void;
  disconnectParticipant(code: string, participantId: string): void;
  /** Ends the socket.io connections a co-facilitator's account holds to the session. */
  disconnectAccount(code: string, accountId: string): void;
  disconnectAll(code: string): void;
}
