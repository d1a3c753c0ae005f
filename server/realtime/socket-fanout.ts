import type { RoomFanout } from '../sessions/fanout';
import type { IO } from './socket-types';
import type { ServerToClientEvents } from '../../src/lib/protocol';

/** socket.io room names for a session. */
export const roomNames = {
  all: (code: string) => `s:${code}`,
  facilitators: (code: string) => `f:${code}`,
  participants: (code: string) => `p:${code}`,
  presenters: (code: string) => `r:${code}`,
  participant: (code: string, id: string) => `u:${code}:${id}`,
  /** A co-facilitator's connections, by account (removed together when their membership goes). */
  account: (code: string, accountId: string) => `a:${code}:${accountId}`
};

/** The in-process fan-out over socket.io rooms. */
export function socketFanout(io: IO): RoomFanout {
  /** To a room but not the sending socket; nothing at all (no broadcast machinery) when the sender is alone in it, the usual case. */
  const elsewhere = <E extends keyof ServerToClientEvents>(
    room: string,
    origin: string | undefined,
    event: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ) => {
    const members = io.sockets.adapter.rooms.get(room);
    if (!members || (origin !== undefined && members.size === 1 && members.has(origin))) return;
    if (origin === undefined) io.to(room).emit(event, ...args);
    else
      io.to(room)
        .except(origin)
        .emit(event, ...args);
  };
  return {
    toAll: (code, event, ...args) => io.to(roomNames.all(code)).emit(event, ...args),
    toFacilitators: (code, event, ...args) => io.to(roomNames.facilitators(code)).emit(event, ...args),
    toParticipants: (code, event, ...args) => io.to(roomNames.participants(code)).emit(event, ...args),
    toPresenters: (code, event, ...args) => io.to(roomNames.presenters(code)).emit(event, ...args),
    toParticipant: (code, id, event, ...args) => io.to(roomNames.participant(code, id)).emit(event, ...args),
    toParticipantElsewhere: (code, id, origin, event, ...args) => elsewhere(roomNames.participant(code, id), origin, event, ...args),
    toFacilitatorsElsewhere: (code, origin, event, ...args) => elsewhere(roomNames.facilitators(code), origin, event, ...args),
    toEachParticipant: (code, event, payloadFor) => {
      const ids = io.sockets.adapter.rooms.get(roomNames.participants(code));
      for (const socketId of ids ?? []) {
        const socket = io.sockets.sockets.get(socketId);
        const identity = socket?.data.identity;
        if (socket && identity?.role === 'participant') socket.emit(event, ...payloadFor(identity.participantId));
      }
    },
    disconnectParticipant: (code, id) => io.in(roomNames.participant(code, id)).disconnectSockets(true),
    disconnectAccount: (code, accountId) => io.in(roomNames.account(code, accountId)).disconnectSockets(true),
    disconnectAll: (code) => io.in(roomNames.all(code)).disconnectSockets(true)
  };
}
