import type { ServerToClientEvents } from '../../src/lib/protocol';

type EventArgs<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>;

/**
 * How a room reaches its clients. socket.io implements it in one process; a
 * Redis adapter behind the same calls spreads it across instances later.
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
  disconnectAll(code: string): void;
}
