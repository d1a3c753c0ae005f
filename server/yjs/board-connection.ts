import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as authProtocol from 'y-protocols/auth';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { LIMITS, YJS_CLOSE } from '../../src/lib/protocol';
import { TokenBucket } from '../security/rate';
import { readAwarenessState } from './awareness-gate';
import { MESSAGE_AUTH, MESSAGE_AWARENESS, MESSAGE_QUERY_AWARENESS, MESSAGE_SYNC, type BoardDocument, type BoardPeer, type YjsLimits } from './board-document';

/**
 * The small socket a board connection speaks over: bytes out and a close. The WebSocket adapter is
 * `ws-board-socket.ts`; tests drive a connection with a socket of their own. Messages come in through
 * `BoardConnection.receive` and the end through `BoardConnection.closed`.
 */
export interface BoardSocket {
  /** Sends one binary message (dropped when the socket is no longer open). */
  send(message: Uint8Array): void;
  close(code: number, reason: string): void;
}

/** Who a connection speaks for, decided once when it was authorised (the ticket at the upgrade). */
export interface BoardConnectionOptions {
  /** Who is connected (facilitator, presenter or one participant): Yjs client ids are counted per person. */
  person: string;
  /** Asked at the document's gate on every update: the policy's `board:edit` row, so a phase change takes effect at once. */
  canWrite: () => boolean;
  /** Whether this connection may publish presence (not a read-only presenter screen). */
  mayPresent: boolean;
  limits?: YjsLimits;
}

/**
 * One socket's side of the board (as hocuspocus's Connection and tldraw's sockets beside TLSyncRoom):
 * the y-protocols codec, the message rate limit, the awareness filter and telling a read-only writer
 * once. What the document accepts is decided by the document (`BoardDocument.applyClientUpdate`).
 */
export class BoardConnection implements BoardPeer {
  /** The one awareness client id this connection speaks for (its y-websocket document's); it goes when it closes. */
  private awarenessId: number | null = null;
  private readonly bucket: TokenBucket;
  private deniedNotified = false;
  private open = true;

  constructor(
    private readonly doc: BoardDocument,
    private readonly socket: BoardSocket,
    private readonly options: BoardConnectionOptions
  ) {
    this.bucket = new TokenBucket(options.limits?.yjsMessagesPerSecond ?? LIMITS.yjsMessagesPerSecond, options.limits?.yjsBurst ?? LIMITS.yjsBurst);
  }

  /**
   * Starts serving the socket: greets it with sync step 1 and the current
   * awareness. A read-only viewer (`mayPresent` false: the presenter screen)
   * sees everyone's presence but publishes none of its own.
   */
  start(): this {
    this.doc.join(this);
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(encoder, this.doc.doc);
    this.socket.send(encoding.toUint8Array(encoder));
    const states = [...this.doc.awareness.getStates().keys()];
    if (states.length > 0) {
      const aware = encoding.createEncoder();
      encoding.writeVarUint(aware, MESSAGE_AWARENESS);
      encoding.writeVarUint8Array(aware, awarenessProtocol.encodeAwarenessUpdate(this.doc.awareness, states));
      this.socket.send(encoding.toUint8Array(aware));
    }
    return this;
  }

  get person(): string {
    return this.options.person;
  }

  send(message: Uint8Array): void {
    if (this.open) this.socket.send(message);
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  /** Lets a read-only connection be told again after the phase changes. */
  phaseChanged(): void {
    this.deniedNotified = false;
  }

  /** A binary message from the socket. */
  receive(data: Uint8Array): void {
    if (!this.open) return;
    if (!this.bucket.take()) {
      // Dropping one update silently would leave this client out of step; closing with "try again
      // later" (1013) makes y-websocket reconnect after its back-off and resync everything it has.
      this.socket.close(1013, 'too many messages; reconnect later');
      return;
    }
    this.handleMessage(data);
  }

  /** The socket closed: this connection's presence goes with it. */
  closed(): void {
    if (!this.open) return;
    this.open = false;
    this.doc.leave(this, this.awarenessId);
  }

  /** Hostile input must never throw out of here: every branch is guarded. */
  private handleMessage(data: Uint8Array): void {
    try {
      const decoder = decoding.createDecoder(data);
      const type = decoding.readVarUint(decoder);
      switch (type) {
        case MESSAGE_SYNC: {
          const syncType = decoding.readVarUint(decoder);
          if (syncType === syncProtocol.messageYjsSyncStep1) {
            const encoder = encoding.createEncoder();
            encoding.writeVarUint(encoder, MESSAGE_SYNC);
            syncProtocol.readSyncStep1(decoder, encoder, this.doc.doc);
            const reply = encoding.toUint8Array(encoder);
            // The document as it is now, sent once all of it is stored: nobody is shown a change the disk may not have.
            const send = () => this.send(reply);
            void this.doc.stored().then(send);
          } else if (syncType === syncProtocol.messageYjsSyncStep2 || syncType === syncProtocol.messageYjsUpdate) {
            const update = decoding.readVarUint8Array(decoder);
            // y-websocket answers every sync step 1 with a step 2, usually empty: nothing to apply or refuse
            // (refusing it would log "permission denied" in every read-only browser on connect).
            if (isEmptyUpdate(update)) return;
            const verdict = this.doc.applyClientUpdate(this, this.options, update);
            if (verdict === 'read_only') this.denyWrite();
            else if (verdict !== 'applied') this.socket.close(verdict.code, verdict.reason);
          }
          break;
        }
        case MESSAGE_AWARENESS: {
          if (!this.options.mayPresent) break;
          const awareness = this.doc.awareness;
          // Read whole before anything is applied. A connection speaks only for its own client id (the first it
          // introduces); y-websocket echoes everyone's changes back, and those echoes change nothing here.
          const kept: AwarenessEntry[] = [];
          for (const entry of readAwarenessEntries(decoding.readVarUint8Array(decoder))) {
            if (this.awarenessId === null && !entry.removed && !awareness.states.has(entry.id)) this.awarenessId = entry.id;
            if (entry.id !== this.awarenessId) continue;
            // Only the fields the board knows, each checked; anything else is dropped (see awareness-gate.ts).
            const state = entry.removed ? null : readAwarenessState(entry.json);
            if (state === undefined) continue;
            kept.push({ ...entry, json: JSON.stringify(state), removed: state === null });
          }
          if (kept.length > 0) awarenessProtocol.applyAwarenessUpdate(awareness, encodeAwarenessEntries(kept.slice(-1)), this);
          break;
        }
        case MESSAGE_QUERY_AWARENESS: {
          const encoder = encoding.createEncoder();
          encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
          encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(this.doc.awareness, [...this.doc.awareness.getStates().keys()]));
          this.socket.send(encoding.toUint8Array(encoder));
          break;
        }
        case MESSAGE_AUTH:
        default:
          break;
      }
    } catch {
      // A malformed message changes nothing; the sender is told once by closing with 1003.
      this.socket.close(YJS_CLOSE.malformed, 'malformed message');
    }
  }

  private denyWrite(): void {
    if (this.deniedNotified) return;
    this.deniedNotified = true;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_AUTH);
    authProtocol.writePermissionDenied(encoder, 'read-only: the action board is not open for editing');
    this.socket.send(encoding.toUint8Array(encoder));
  }
}

interface AwarenessEntry {
  id: number;
  clock: number;
  json: string;
  removed: boolean;
}

/** The entries of an awareness update; throws if any is malformed (a state must be JSON). */
function readAwarenessEntries(update: Uint8Array): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update);
  const entries: AwarenessEntry[] = [];
  for (let count = decoding.readVarUint(decoder); count > 0; count--) {
    const id = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const json = decoding.readVarString(decoder);
    entries.push({ id, clock, json, removed: JSON.parse(json) === null });
  }
  return entries;
}

function encodeAwarenessEntries(entries: AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const { id, clock, json } of entries) {
    encoding.writeVarUint(encoder, id);
    encoding.writeVarUint(encoder, clock);
    encoding.writeVarString(encoder, json);
  }
  return encoding.toUint8Array(encoder);
}

/** An update without structs or deletions (v1 encoding: two zero counts). */
function isEmptyUpdate(update: Uint8Array): boolean {
  return update.length === 2 && update[0] === 0 && update[1] === 0;
}
