/**
 * Typed socket.io clients that record everything they receive, a polling
 * `waitFor`, and Yjs clients (y-websocket provider and raw `ws`).
 * Every factory closes what it opened after the test (`onTestFinished`).
 */
import { io, type Socket } from 'socket.io-client';
import { onTestFinished } from 'vitest';
import { scaled } from './patience';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { connectWithTickets } from '../../src/lib/client/yjs-ticket';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import {
  PROTOCOL_VERSION,
  YJS_PATH,
  type Ack,
  type ClientToServerEvents,
  type ProtocolError,
  type ServerToClientEvents,
  type SessionSnapshot
} from '../../src/lib/protocol';

export type BoardSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ServerEvent = keyof ServerToClientEvents;
export type ClientCommand = keyof ClientToServerEvents;
export type PayloadOf<C extends ClientCommand> = Parameters<ClientToServerEvents[C]>[0];
export type AckOf<C extends ClientCommand> = Parameters<Parameters<ClientToServerEvents[C]>[1]>[0];
export type EventArg<E extends ServerEvent> = Parameters<ServerToClientEvents[E]>[0];

/**
 * How long a helper waits for something that should happen before it fails the test, in ms on an
 * idle machine; the helpers grow every such bound with the machine's load when they wait
 * (tests/helpers/patience.ts). Generous on purpose: it only bounds a failing wait, and a full run
 * shares two cores with browsers, PostgreSQL and nginx (a connection once took over 5 s there under load).
 */
export const PATIENCE_MS = 15_000;

/** Polls `predicate` until it returns something truthy; fails after `timeout` ms (idle machine; grown with the load). */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeout: idleTimeout = PATIENCE_MS, interval = 10, message = 'condition' } = {}
): Promise<NonNullable<T>> {
  const timeout = scaled(idleTimeout);
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`waitFor: ${message} not met within ${timeout} ms${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

export interface Received {
  event: string;
  args: unknown[];
}

/** A connected client with a log of every event and every decoded packet it received. */
export class BoardClient {
  /** Every server event, in order. */
  readonly received: Received[] = [];
  /** Every decoded socket.io packet (events, acks, connect and connect errors). */
  readonly packets: unknown[] = [];

  constructor(readonly socket: BoardSocket) {
    socket.onAny((event: string, ...args: unknown[]) => this.received.push({ event, args }));
    socket.io.on('packet', (packet) => this.packets.push(packet));
  }

  /** Payloads of one event, in order. */
  events<E extends ServerEvent>(name: E): EventArg<E>[] {
    return this.received.filter((r) => r.event === name).map((r) => r.args[0] as EventArg<E>);
  }

  /** The latest snapshot received. */
  get snapshot(): SessionSnapshot {
    const states = this.events('state');
    if (states.length === 0) throw new Error('no snapshot received yet');
    return states[states.length - 1];
  }

  /** Waits for an event whose payload satisfies `predicate` (already received ones count). */
  waitForEvent<E extends ServerEvent>(name: E, predicate: (payload: EventArg<E>) => boolean = () => true, timeout = PATIENCE_MS): Promise<EventArg<E>> {
    const found = () => {
      const list = this.events(name);
      const index = list.findIndex(predicate);
      return index >= 0 ? { payload: list[index] } : null;
    };
    return waitFor(found, { timeout, message: `event "${name}"` }).then((hit) => hit.payload);
  }

  /** Sends a typed command and resolves with its ack. */
  send<C extends ClientCommand>(command: C, payload: PayloadOf<C>): Promise<AckOf<C>> {
    return this.sendRaw(command, payload) as Promise<AckOf<C>>;
  }

  /** Sends anything (hostile input); resolves with whatever the server acks. */
  sendRaw(command: string, ...args: unknown[]): Promise<Ack<unknown>> {
    const loose = this.socket as unknown as { timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<Ack<unknown>> } };
    return loose.timeout(scaled(5000)).emitWithAck(command, ...args);
  }

  /** Sends without an ack callback. */
  emitNoAck(command: string, ...args: unknown[]): void {
    (this.socket as unknown as { emit(event: string, ...args: unknown[]): void }).emit(command, ...args);
  }

  /** A fresh snapshot from the server. */
  async state(): Promise<SessionSnapshot> {
    const ack = await this.send('state:request', {});
    if (!ack.ok) throw new Error(`state:request failed: ${ack.error.code}`);
    return ack.data;
  }

  close(): void {
    this.socket.disconnect();
  }
}

export interface ConnectAuth {
  code?: string;
  token?: string;
  protocolVersion?: number;
}

function openSocket(url: string, auth: ConnectAuth | undefined): BoardSocket {
  const socket: BoardSocket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...(auth ? { auth: auth as Record<string, unknown> } : {}),
    // As the browser does: the code in the URL lets several instances route the connection to the session's owner.
    ...(typeof auth?.code === 'string' ? { query: { code: auth.code } } : {})
  });
  onTestFinished(() => {
    socket.disconnect();
  });
  return socket;
}

/** Connects and resolves once the first snapshot arrived; rejects on a connect error. */
export function connectClient(url: string, auth: ConnectAuth, timeout = PATIENCE_MS): Promise<BoardClient> {
  const client = new BoardClient(openSocket(url, { protocolVersion: PROTOCOL_VERSION, ...auth }));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('connectClient: no snapshot in time')), scaled(timeout));
    client.socket.once('state', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.socket.once('connect_error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export const connectFacilitator = (url: string, code: string, token: string) => connectClient(url, { code, token });
export const connectParticipant = (url: string, code: string, token: string) => connectClient(url, { code, token });

/** Connects expecting a refusal; resolves with the connect error's `data`. */
export function connectRefused(url: string, auth: ConnectAuth | undefined, timeout = PATIENCE_MS): Promise<ProtocolError> {
  const socket = openSocket(url, auth);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('connectRefused: no connect_error in time')), scaled(timeout));
    socket.once('connect', () => {
      clearTimeout(timer);
      reject(new Error('connectRefused: the connection was accepted'));
    });
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      resolve((error as Error & { data: ProtocolError }).data);
    });
  });
}

// ---------------------------------------------------------------- Yjs

export const yjsBase = (url: string) => `${url.replace(/^http/, 'ws')}${YJS_PATH}`;

export interface YjsClient {
  doc: Y.Doc;
  provider: WebsocketProvider;
  destroy(): void;
}

/**
 * A single-use ticket for the Yjs endpoint, fetched like the browser does: over a socket.io connection
 * authenticated with `token` (`board:ticket`). That connection is closed again at once, so it does not
 * show up as presence. When socket.io refuses the token, the token itself is returned as a (bogus)
 * ticket, so the Yjs upgrade can be seen refusing it too.
 */
export async function ticketFor(url: string, code: string, token: string): Promise<string> {
  let client: BoardClient;
  try {
    client = await connectClient(url, { code, token });
  } catch {
    return token;
  }
  try {
    const ack = await client.send('board:ticket', {});
    if (!ack.ok) throw new Error(`board:ticket refused: ${ack.error.code}`);
    return ack.data.ticket;
  } finally {
    client.close();
  }
}

/** A y-websocket provider (no BroadcastChannel) that has synced with the server; it reconnects with fresh tickets. */
export async function connectYjs(url: string, code: string, token: string, { sync = true } = {}): Promise<YjsClient> {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(yjsBase(url), code, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    connect: false,
    maxBackoffTime: 200
  });
  const stopTickets = connectWithTickets(provider, () => ticketFor(url, code, token));
  const client: YjsClient = {
    doc,
    provider,
    destroy: () => {
      stopTickets();
      provider.destroy();
      doc.destroy();
    }
  };
  onTestFinished(() => client.destroy());
  if (sync) await waitFor(() => provider.synced, { message: 'Yjs provider synced' });
  return client;
}

/** Tries a Yjs upgrade with a ticket got with `token`; resolves with the HTTP status (101 when it was accepted). */
export async function yjsUpgradeStatus(url: string, code: string, token: string | null, headers: Record<string, string> = {}): Promise<number> {
  const query = token === null ? '' : `?ticket=${encodeURIComponent(await ticketFor(url, code, token))}`;
  return upgradeStatus(`${yjsBase(url)}/${encodeURIComponent(code)}${query}`, headers);
}

/** Tries a Yjs upgrade of exactly `address`; resolves with the HTTP status (101 when it was accepted). */
export function upgradeStatus(address: string, headers: Record<string, string> = {}): Promise<number> {
  const ws = new WebSocket(address, { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_request, response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (error) => reject(error));
  });
}

export const YJS_MESSAGE = { sync: 0, awareness: 1, auth: 2, queryAwareness: 3 } as const;

/** A raw WebSocket on the Yjs endpoint, for hostile input and exact protocol checks. */
export class RawYjs {
  readonly messages: Uint8Array[] = [];
  closeCode: number | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.messages.push(new Uint8Array(data)));
    ws.on('close', (code) => (this.closeCode = code));
    ws.on('error', () => undefined);
  }

  /** Opens with a ticket got with `token`, or from `tickets` (e.g. a long-lived socket.io client, when opening often). */
  static async open(url: string, code: string, token: string, tickets?: () => Promise<string>): Promise<RawYjs> {
    const ticket = tickets ? await tickets() : await ticketFor(url, code, token);
    const ws = new WebSocket(`${yjsBase(url)}/${encodeURIComponent(code)}?ticket=${encodeURIComponent(ticket)}`);
    onTestFinished(() => ws.terminate());
    const client = new RawYjs(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`Yjs upgrade refused: ${res.statusCode}`)));
    });
  }

  /** Message types (first varuint) received so far. */
  types(): number[] {
    return this.messages.map((m) => decoding.readVarUint(decoding.createDecoder(m)));
  }

  send(bytes: Uint8Array | Buffer): void {
    this.ws.send(bytes);
  }

  /** Sends a Yjs update as a sync "update" message. */
  sendUpdate(update: Uint8Array): void {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, YJS_MESSAGE.sync);
    syncProtocol.writeUpdate(encoder, update);
    this.send(encoding.toUint8Array(encoder));
  }

  waitForType(type: number, timeout = 5000): Promise<boolean> {
    return waitFor(() => this.types().includes(type), { timeout, message: `Yjs message type ${type}` });
  }

  waitForClose(timeout = 5000): Promise<number> {
    return waitFor(() => this.closeCode, { timeout, message: 'raw Yjs socket closed' });
  }
}
