import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../src/lib/protocol';
import type { SessionLinks } from '../http/links';
import type { Identity } from '../sessions/room';

/** What the server remembers about each socket after the handshake. */
export interface SocketData {
  code: string;
  identity: Identity;
  /** The links this connection may show, built once from its handshake request. */
  links: SessionLinks;
}

/** The typed socket.io server and socket, shared by the handlers and the fan-out without an import cycle. */
export type IO = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type BoardSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
