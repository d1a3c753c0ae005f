import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as authProtocol from 'y-protocols/auth';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import type { WebSocket } from 'ws';
import { LIMITS, YJS_FIELDS } from '../../src/lib/protocol';
import { actionsArray } from '../../src/lib/board/actions';
import type { Store } from '../store/types';
import { TokenBucket, type RateLimits } from '../security/rate';

const MESSAGE_SYNC = 0;
const MESSAGE_AWARENESS = 1;
const MESSAGE_AUTH = 2;
const MESSAGE_QUERY_AWARENESS = 3;

/** Awareness client ids one connection may introduce (y-websocket uses one per document). */
const AWARENESS_IDS_PER_CONNECTION = 4;

/** No one types 2^40 characters into one board: a larger clock is hostile. */
const MAX_CLOCK = 2 ** 40;

/** Merge the stored updates of a document into one after this many appends. */
const COMPACT_EVERY = 500;

interface Connection {
  canWrite: () => boolean;
  /** Awareness client ids this connection introduced: only it may change them, and they go when it closes. */
  awarenessIds: Set<number>;
  /** Whether this connection may publish presence (not a read-only presenter screen). */
  mayPresent: boolean;
  bucket: TokenBucket;
  deniedNotified: boolean;
}

/**
 * One session's shared action board: the Y.Doc, its awareness, and the
 * WebSockets editing it. Updates are persisted before they are relayed, so
 * whatever another person has seen is already on disk.
 */
export class DocRoom {
  readonly doc = new Y.Doc({ gc: true });
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  private readonly connections = new Map<WebSocket, Connection>();
  private appendsSinceCompaction = 0;
  private destroyed = false;

  private constructor(
    readonly sessionId: string,
    private readonly store: Store,
    private readonly limits?: Pick<RateLimits, 'yjsMessagesPerSecond' | 'yjsBurst'>
  ) {
    // The server holds no awareness state of its own.
    this.awareness.setLocalState(null);
    this.doc.on('update', (update: Uint8Array, origin: unknown) => this.onUpdate(update, origin));
    this.awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) => {
      const changed = [...added, ...updated, ...removed];
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
      encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed));
      this.broadcast(encoding.toUint8Array(encoder), null);
    });
  }

  /** Loads a document from the store; it is served only after this resolves. */
  static async load(sessionId: string, store: Store, limits?: Pick<RateLimits, 'yjsMessagesPerSecond' | 'yjsBurst'>): Promise<DocRoom> {
    const room = new DocRoom(sessionId, store, limits);
    const updates = await store.loadYjsUpdates(sessionId);
    room.doc.transact(() => {
      for (const [index, update] of updates.entries()) {
        // One unreadable update must not cost the whole board.
        try {
          Y.applyUpdate(room.doc, update);
        } catch (error) {
          console.error(`Yjs document of session ${sessionId}: stored update ${index + 1} of ${updates.length} does not apply; skipped`, error);
        }
      }
    }, 'load');
    room.appendsSinceCompaction = updates.length;
    if (room.dropPending()) console.warn(`Yjs document of session ${sessionId} had changes with missing dependencies; dropped them`);
    return room;
  }

  /**
   * Drops changes that wait for dependencies the server never got. A real client's updates never
   * have gaps (it reconnects and resyncs if they would); hostile ones would otherwise pile up in
   * memory unpersisted, be re-merged on every update and be sent to every client that syncs.
   */
  private dropPending(): boolean {
    const store = this.doc.store;
    if (store.pendingStructs === null && store.pendingDs === null) return false;
    store.pendingStructs = null;
    store.pendingDs = null;
    return true;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private onUpdate(update: Uint8Array, origin: unknown): void {
    if (origin === 'load' || this.destroyed) return;
    const persisted = this.store.appendYjsUpdate(this.sessionId, update);
    if (++this.appendsSinceCompaction >= COMPACT_EVERY) {
      this.appendsSinceCompaction = 0;
      void this.store.compactYjs(this.sessionId, Y.encodeStateAsUpdate(this.doc)).catch((error) => console.error('Yjs compaction failed', error));
    }
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeUpdate(encoder, update);
    const message = encoding.toUint8Array(encoder);
    const sender = origin instanceof Object && this.connections.has(origin as WebSocket) ? (origin as WebSocket) : null;
    persisted.then(
      () => this.broadcast(message, sender),
      (error) => console.error('Persisting a Yjs update failed; not relayed', error)
    );
  }

  private broadcast(message: Uint8Array, except: WebSocket | null): void {
    for (const ws of this.connections.keys()) if (ws !== except) send(ws, message);
  }

  /**
   * Starts serving a socket: greets it with sync step 1 and the current
   * awareness. A read-only viewer (`mayPresent` false: the presenter screen)
   * sees everyone's presence but publishes none of its own.
   */
  addConnection(ws: WebSocket, canWrite: () => boolean, mayPresent = true): void {
    const conn: Connection = {
      canWrite,
      mayPresent,
      awarenessIds: new Set(),
      bucket: new TokenBucket(this.limits?.yjsMessagesPerSecond ?? LIMITS.yjsMessagesPerSecond, this.limits?.yjsBurst ?? LIMITS.yjsBurst),
      deniedNotified: false
    };
    this.connections.set(ws, conn);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      if (!conn.bucket.take()) {
        // Dropping one update silently would leave this client out of step; closing with "try again
        // later" (1013) makes y-websocket reconnect after its back-off and resync everything it has.
        ws.close(1013, 'too many messages; reconnect later');
        return;
      }
      this.handleMessage(ws, conn, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    });
    ws.on('close', () => this.removeConnection(ws));
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(encoder, this.doc);
    send(ws, encoding.toUint8Array(encoder));
    const states = [...this.awareness.getStates().keys()];
    if (states.length > 0) {
      const aware = encoding.createEncoder();
      encoding.writeVarUint(aware, MESSAGE_AWARENESS);
      encoding.writeVarUint8Array(aware, awarenessProtocol.encodeAwarenessUpdate(this.awareness, states));
      send(ws, encoding.toUint8Array(aware));
    }
  }

  private removeConnection(ws: WebSocket): void {
    const conn = this.connections.get(ws);
    if (!conn) return;
    this.connections.delete(ws);
    awarenessProtocol.removeAwarenessStates(this.awareness, [...conn.awarenessIds], null);
    // Forget the clocks too, or random client ids would grow the meta map for as long as the document lives.
    for (const id of conn.awarenessIds) this.awareness.meta.delete(id);
  }

  /** Hostile input must never throw out of here: every branch is guarded. */
  private handleMessage(ws: WebSocket, conn: Connection, data: Uint8Array): void {
    try {
      const decoder = decoding.createDecoder(data);
      const type = decoding.readVarUint(decoder);
      switch (type) {
        case MESSAGE_SYNC: {
          const syncType = decoding.readVarUint(decoder);
          if (syncType === syncProtocol.messageYjsSyncStep1) {
            const encoder = encoding.createEncoder();
            encoding.writeVarUint(encoder, MESSAGE_SYNC);
            syncProtocol.readSyncStep1(decoder, encoder, this.doc);
            send(ws, encoding.toUint8Array(encoder));
          } else if (syncType === syncProtocol.messageYjsSyncStep2 || syncType === syncProtocol.messageYjsUpdate) {
            const update = decoding.readVarUint8Array(decoder);
            // y-websocket answers every sync step 1 with a step 2, usually empty: nothing to apply or refuse
            // (refusing it would log "permission denied" in every read-only browser on connect).
            if (isEmptyUpdate(update)) return;
            // Read-only is enforced here, where updates are applied, so a phase change takes effect at once.
            if (!conn.canWrite()) {
              this.denyWrite(ws, conn);
              return;
            }
            if (!storable(update)) throw new Error('implausible update');
            const before = new Set(actionsArray(this.doc).toArray());
            try {
              Y.applyUpdate(this.doc, update, ws);
            } finally {
              // Also when the update throws halfway: its structs may already wait as pending.
              if (this.dropPending()) ws.close(1008, 'update depends on changes the server does not have; reconnect to resync');
            }
            this.enforceBoardLimits(before);
          }
          break;
        }
        case MESSAGE_AWARENESS: {
          if (!conn.mayPresent) break;
          // Read whole before anything is applied. A connection changes only states it introduced; y-websocket
          // echoes everyone's changes back, and those echoes (like removals of unknown ids) change nothing here.
          const kept = readAwarenessEntries(decoding.readVarUint8Array(decoder)).filter((entry) => {
            if (conn.awarenessIds.has(entry.id)) return true;
            if (entry.removed || this.awareness.states.has(entry.id)) return false;
            conn.awarenessIds.add(entry.id);
            return true;
          });
          if (conn.awarenessIds.size > AWARENESS_IDS_PER_CONNECTION) throw new Error('too many awareness client ids');
          if (kept.length > 0) awarenessProtocol.applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(kept), ws);
          break;
        }
        case MESSAGE_QUERY_AWARENESS: {
          const encoder = encoding.createEncoder();
          encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
          encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...this.awareness.getStates().keys()]));
          send(ws, encoding.toUint8Array(encoder));
          break;
        }
        case MESSAGE_AUTH:
        default:
          break;
      }
    } catch {
      // A malformed message changes nothing; the sender is told once by closing with 1003.
      ws.close(1003, 'malformed message');
    }
  }

  private denyWrite(ws: WebSocket, conn: Connection): void {
    if (conn.deniedNotified) return;
    conn.deniedNotified = true;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_AUTH);
    authProtocol.writePermissionDenied(encoder, 'read-only: the action board is not open for editing');
    send(ws, encoding.toUint8Array(encoder));
  }

  /**
   * A CRDT cannot refuse part of an update, so the board's limits are kept by a
   * server change right after it: action points the update added beyond the cap
   * are removed again (never anyone else's, wherever the update put its own),
   * and texts beyond the maximum length are cut. Everyone receives the
   * correction like any other edit.
   */
  private enforceBoardLimits(before: ReadonlySet<unknown>): void {
    const array = actionsArray(this.doc);
    let excess = array.length - LIMITS.actionsPerSession;
    const added: number[] = [];
    if (excess > 0) {
      const items = array.toArray();
      for (let i = items.length - 1; i >= 0 && added.length < excess; i--) if (!before.has(items[i])) added.push(i);
    }
    const tooLong: Y.Text[] = [];
    for (const item of array) {
      const text = item instanceof Y.Map ? item.get(YJS_FIELDS.text) : null;
      if (text instanceof Y.Text && text.length > LIMITS.actionTextMax) tooLong.push(text);
    }
    if (added.length === 0 && tooLong.length === 0) return;
    this.doc.transact(() => {
      // Indices were collected from the end, so deleting in that order keeps the others valid.
      for (const index of added) array.delete(index, 1);
      excess -= added.length;
      for (const text of tooLong) if (text.doc) text.delete(LIMITS.actionTextMax, text.length - LIMITS.actionTextMax);
    }, 'server');
  }

  /** Lets read-only connections be told again after the phase changes. */
  resetDenials(): void {
    for (const conn of this.connections.values()) conn.deniedNotified = false;
  }

  /** Closes every connection (session deleted or server shutting down). */
  destroy(code = 1001, reason = 'going away'): void {
    this.destroyed = true;
    for (const ws of this.connections.keys()) ws.close(code, reason);
    this.connections.clear();
    this.awareness.destroy();
    this.doc.destroy();
  }
}

/**
 * Whether an update can be stored and loaded again. Yjs takes structs and deletions of length 0 (which it
 * cannot read back once encoded) and, from a few bytes, structs billions of clocks long (past 2^53 clocks
 * lose precision); either would leave a stored document that no longer loads. No real client sends them.
 */
function storable(update: Uint8Array): boolean {
  const { structs, ds } = Y.decodeUpdate(update);
  for (const struct of structs) if (!(struct.length > 0) || struct.id.clock + struct.length > MAX_CLOCK) return false;
  for (const ranges of ds.clients.values()) for (const { clock, len } of ranges) if (!(len > 0) || clock + len > MAX_CLOCK) return false;
  return true;
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

function send(ws: WebSocket, message: Uint8Array): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(message, (error) => {
    if (error) ws.terminate();
  });
}
