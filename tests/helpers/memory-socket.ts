/**
 * An in-memory socket pair for room and protocol tests where the transport is not what is tested: the server
 * end implements the connection's narrow socket interface (server/realtime/connection.ts, which socket.io's
 * Socket implements in production) and is served by the same `acceptConnection`; the client end has the surface
 * of `BoardClient` (tests/helpers/clients.ts). A hub implements the session's fan-out over the same group names
 * as socket.io's rooms (socket-fanout.ts). No HTTP, no engine.io: what stands in for the wire is a FIFO queue
 * each way, one message per macrotask, and every payload crosses it as JSON, as over socket.io, so no object is
 * shared between the two ends. The handshake is not modelled (its own tests use real sockets): a client is
 * admitted with the identity its token authenticates as.
 */
import { onTestFinished } from 'vitest';
import type { Ack, ServerToClientEvents, SessionSnapshot } from '../../src/lib/protocol';
import { acceptConnection, type CommandSocket, type LiveSessions } from '../../server/realtime/connection';
import { roomNames } from '../../server/realtime/socket-fanout';
import type { SocketData } from '../../server/realtime/socket-types';
import type { RoomFanout } from '../../server/sessions/fanout';
import type { RateLimits } from '../../server/security/rate';
import { sessionLinks } from '../../server/http/links';
import { PATIENCE_MS, waitFor, type AckOf, type ClientCommand, type EventArg, type PayloadOf, type Received, type ServerEvent } from './clients';

type Listener = (...args: unknown[]) => void;

/** JSON on the wire: the other end gets a copy (undefined fields dropped), never the sender's object. */
function overTheWire<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** One direction of the wire: messages arrive in the order sent, each in a later macrotask than its sending. */
class Wire {
  private readonly queue: (() => void)[] = [];
  private scheduled = false;

  send(deliver: () => void): void {
    this.queue.push(deliver);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const message = this.queue.shift();
    if (this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    message?.();
  }
}

/** The server's end of a pair: what the connection code sees. */
class ServerEnd implements CommandSocket {
  private readonly listeners = new Map<string, Listener[]>();
  private readonly anyListeners: ((event: unknown, ...args: unknown[]) => void)[] = [];
  open = true;

  constructor(
    readonly id: string,
    readonly data: SocketData,
    private readonly hub: MemorySockets,
    private readonly client: MemoryClient
  ) {}

  get connected(): boolean {
    return this.open;
  }

  join(room: string): void {
    if (this.open) this.hub.join(room, this);
  }

  emit<E extends keyof ServerToClientEvents>(event: E, ...args: Parameters<ServerToClientEvents[E]>): boolean {
    if (!this.open) return false;
    const payload = args.map(overTheWire);
    this.client.toClient.send(() => this.client.receive(event, payload));
    return true;
  }

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  onAny(listener: (event: unknown, ...args: unknown[]) => void): this {
    this.anyListeners.push(listener);
    return this;
  }

  /** The server ends the connection: it leaves every group, its `disconnect` listeners run, the client hears it after what was sent before. */
  disconnect(): this {
    this.close('server namespace disconnect');
    this.client.toClient.send(() => this.client.closedByServer());
    return this;
  }

  close(reason: string): void {
    if (!this.open) return;
    this.open = false;
    this.hub.leave(this);
    for (const listener of this.listeners.get('disconnect') ?? []) listener(reason);
  }

  /** An event from the client: every `onAny` listener, then the event's own (socket.io's order). */
  receive(event: string, args: unknown[]): void {
    if (!this.open) return;
    for (const listener of this.anyListeners) listener(event, ...args);
    for (const listener of this.listeners.get(event) ?? []) listener(...args);
  }
}

/** The client's end of a pair, with the surface of BoardClient. */
export class MemoryClient {
  /** Every server event, in order. */
  readonly received: Received[] = [];
  readonly toClient = new Wire();
  private readonly toServer = new Wire();
  private server: ServerEnd | null = null;
  private nextAck = 0;
  private readonly pending = new Map<number, { resolve: (ack: Ack<unknown>) => void; reject: (error: Error) => void }>();
  /** False once either end closed the connection. */
  connected = true;

  attach(server: ServerEnd): void {
    this.server = server;
  }

  receive(event: string, args: unknown[]): void {
    if (this.connected) this.received.push({ event, args });
  }

  closedByServer(): void {
    this.ended('the server closed the connection');
  }

  private ended(reason: string): void {
    if (!this.connected) return;
    this.connected = false;
    for (const { reject } of this.pending.values()) reject(new Error(`no acknowledgement: ${reason}`));
    this.pending.clear();
  }

  events<E extends ServerEvent>(name: E): EventArg<E>[] {
    return this.received.filter((r) => r.event === name).map((r) => r.args[0] as EventArg<E>);
  }

  get snapshot(): SessionSnapshot {
    const states = this.events('state');
    if (states.length === 0) throw new Error('no snapshot received yet');
    return states[states.length - 1];
  }

  waitForEvent<E extends ServerEvent>(name: E, predicate: (payload: EventArg<E>) => boolean = () => true, timeout = PATIENCE_MS): Promise<EventArg<E>> {
    return waitFor(
      () => {
        // By index: an event without a payload (`removed`) is a hit too.
        const list = this.events(name);
        const index = list.findIndex(predicate);
        return index < 0 ? null : { hit: list[index] };
      },
      { timeout, message: `event "${name}"` }
    ).then(({ hit }) => hit);
  }

  send<C extends ClientCommand>(command: C, payload: PayloadOf<C>): Promise<AckOf<C>> {
    return this.sendRaw(command, payload) as Promise<AckOf<C>>;
  }

  /** Sends anything (hostile input) with an ack callback last, as socket.io's emitWithAck does. */
  sendRaw(command: string, ...args: unknown[]): Promise<Ack<unknown>> {
    if (!this.connected || !this.server) return Promise.reject(new Error('not connected'));
    const id = this.nextAck++;
    const server = this.server;
    const promise = new Promise<Ack<unknown>>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    const payload = args.map(overTheWire);
    this.toServer.send(() =>
      server.receive(command, [
        ...payload,
        // Answered once, back over the wire (a second call is ignored, as socket.io ignores it).
        (response: Ack<unknown>) => {
          const copy = overTheWire(response);
          this.toClient.send(() => {
            const waiting = this.pending.get(id);
            this.pending.delete(id);
            waiting?.resolve(copy);
          });
        }
      ])
    );
    return promise;
  }

  emitNoAck(command: string, ...args: unknown[]): void {
    const server = this.server;
    if (!this.connected || !server) return;
    const payload = args.map(overTheWire);
    this.toServer.send(() => server.receive(command, payload));
  }

  async state(): Promise<SessionSnapshot> {
    const ack = await this.send('state:request', {});
    if (!ack.ok) throw new Error(`state:request failed: ${ack.error.code}`);
    return ack.data;
  }

  /** The client closes the connection: the server hears it after what the client sent before. */
  /** Closes the connection; settles once the server's end has heard it (its 'disconnect' listeners ran). */
  close(): Promise<void> {
    const server = this.server;
    if (!this.connected) return Promise.resolve();
    this.ended('closed by the client');
    return new Promise((resolve) => {
      if (!server) return resolve();
      this.toServer.send(() => {
        server.close('client namespace disconnect');
        resolve();
      });
    });
  }
}

/**
 * The in-memory transport: connects clients to live sessions and is their fan-out (hand `fanout` to the
 * SessionRegistry), with socket.io's room semantics: a group per audience, a person and an account.
 */
export class MemorySockets {
  private readonly groups = new Map<string, Set<ServerEnd>>();
  private sockets = 0;

  constructor(private readonly limits?: RateLimits) {}

  join(room: string, socket: ServerEnd): void {
    let group = this.groups.get(room);
    if (!group) this.groups.set(room, (group = new Set()));
    group.add(socket);
  }

  leave(socket: ServerEnd): void {
    for (const [room, group] of this.groups) if (group.delete(socket) && group.size === 0) this.groups.delete(room);
  }

  private members(room: string): ServerEnd[] {
    return [...(this.groups.get(room) ?? [])];
  }

  private to(room: string, except?: string) {
    return {
      emit: (event: keyof ServerToClientEvents, ...args: unknown[]) => {
        for (const socket of this.members(room)) if (socket.id !== except) (socket.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
      }
    };
  }

  readonly fanout: RoomFanout = {
    toAll: (code, event, ...args) => this.to(roomNames.all(code)).emit(event, ...args),
    toFacilitators: (code, event, ...args) => this.to(roomNames.facilitators(code)).emit(event, ...args),
    toParticipants: (code, event, ...args) => this.to(roomNames.participants(code)).emit(event, ...args),
    toPresenters: (code, event, ...args) => this.to(roomNames.presenters(code)).emit(event, ...args),
    toParticipant: (code, id, event, ...args) => this.to(roomNames.participant(code, id)).emit(event, ...args),
    toParticipantElsewhere: (code, id, origin, event, ...args) => this.to(roomNames.participant(code, id), origin).emit(event, ...args),
    toFacilitatorsElsewhere: (code, origin, event, ...args) => this.to(roomNames.facilitators(code), origin).emit(event, ...args),
    toEachParticipant: (code, event, payloadFor) => {
      for (const socket of this.members(roomNames.participants(code))) {
        const identity = socket.data.identity;
        if (identity.role === 'participant') socket.emit(event, ...payloadFor(identity.participantId));
      }
    },
    disconnectParticipant: (code, id) => this.members(roomNames.participant(code, id)).forEach((s) => s.disconnect()),
    disconnectAccount: (code, accountId) => this.members(roomNames.account(code, accountId)).forEach((s) => s.disconnect()),
    disconnectAll: (code) => this.members(roomNames.all(code)).forEach((s) => s.disconnect())
  };

  /**
   * A client connected to the session `code` with `token`, served by `acceptConnection` as a socket.io
   * connection is; resolves once its first snapshot arrived. Closed after the test.
   */
  async connect(
    sessions: LiveSessions,
    code: string,
    token: string,
    /** `served`: where the connection looks its session up (default `sessions`); `waitForState: false` returns at once. */
    { served = sessions, waitForState = true }: { served?: LiveSessions; waitForState?: boolean } = {}
  ): Promise<MemoryClient> {
    const live = await sessions.get(code);
    if (!live) throw new Error(`no session ${code}`);
    const identity = live.authenticate(token);
    if (!identity) throw new Error('that token is not valid for this session');
    const client = new MemoryClient();
    const server = new ServerEnd(`memory-${++this.sockets}`, { code: live.code, identity, links: sessionLinks('http://127.0.0.1', live.code) }, this, client);
    client.attach(server);
    acceptConnection(server, served, this.limits);
    onTestFinished(() => client.close());
    if (!waitForState) return client;
    await waitFor(() => client.events('state').length > 0 || !client.connected, { message: 'the first snapshot' });
    if (!client.connected) throw new Error('the connection was refused');
    return client;
  }
}
