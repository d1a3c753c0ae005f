import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as authProtocol from 'y-protocols/auth';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import type { WebSocket } from 'ws';
import { LIMITS, YJS_CLOSE, type YjsRefusal } from '../../src/lib/protocol';
import { textsMap } from '../../src/lib/board/actions';
import { clientOrigin, docOrigin, LOAD_ORIGIN, SERVER_ORIGIN } from '../../src/lib/board/origins';
import { clampText } from '../../src/lib/domain/text';
import type { Store } from '../store/types';
import { TokenBucket, type RateLimits } from '../security/rate';
import { checkUpdate, type GateLimits } from './update-gate';
import { readAwarenessState } from './awareness-gate';

const MESSAGE_SYNC = 0;
const MESSAGE_AWARENESS = 1;
const MESSAGE_AUTH = 2;
const MESSAGE_QUERY_AWARENESS = 3;

const GATE: GateLimits = {
  clientsPerUpdate: LIMITS.yjsClientsPerUpdate,
  structsPerUpdate: LIMITS.yjsStructsPerUpdate,
  deleteRangesPerUpdate: LIMITS.yjsDeleteRangesPerUpdate,
  deletedItemsPerUpdate: LIMITS.yjsDeletedItemsPerUpdate,
  textMax: LIMITS.actionTextMax,
  textUnits: LIMITS.actionTextUnits
};

export type YjsLimits = Pick<RateLimits, 'yjsMessagesPerSecond' | 'yjsBurst' | 'yjsClientsPerPerson' | 'yjsClientsPerDocument' | 'yjsDocumentBytes'>;

/** Per-board caps the gate cannot see in one update. */
interface DocLimits {
  clientsPerPerson: number;
  clientsPerDocument: number;
  documentBytes: number;
}

/** Merge the stored updates of a document into one after this many appends. */
const COMPACT_EVERY = 500;

interface Connection {
  canWrite: () => boolean;
  /** Who is connected (facilitator, presenter or one participant): Yjs client ids are counted per person. */
  person: string;
  /** The one awareness client id this connection speaks for (its y-websocket document's); it goes when it closes. */
  awarenessId: number | null;
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
export class BoardDocument {
  readonly doc = new Y.Doc({ gc: true });
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  /** The sockets this document serves, each with its protocol state (who is connected is counted once, by the live session's presence). */
  private readonly connections = new Map<WebSocket, Connection>();
  private appendsSinceCompaction = 0;
  /** Stored size of the document: its encoded state at load or compaction plus the updates appended since. */
  private storedBytes = 0;
  /** Yjs client ids each person introduced while this document was loaded. */
  private readonly clientsByPerson = new Map<string, Set<number>>();
  private destroyed = false;
  private readonly docLimits: DocLimits;

  private constructor(
    readonly sessionId: string,
    private readonly store: Store,
    private readonly limits?: YjsLimits
  ) {
    this.docLimits = {
      clientsPerPerson: limits?.yjsClientsPerPerson ?? LIMITS.yjsClientsPerPerson,
      clientsPerDocument: limits?.yjsClientsPerDocument ?? LIMITS.yjsClientsPerDocument,
      documentBytes: limits?.yjsDocumentBytes ?? LIMITS.yjsDocumentBytes
    };
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
  static async load(sessionId: string, store: Store, limits?: YjsLimits): Promise<BoardDocument> {
    const board = new BoardDocument(sessionId, store, limits);
    const updates = await store.loadYjsUpdates(sessionId);
    board.doc.transact(() => {
      for (const [index, update] of updates.entries()) {
        // One unreadable update must not cost the whole board.
        try {
          Y.applyUpdate(board.doc, update);
        } catch (error) {
          console.error(`Yjs document of session ${sessionId}: stored update ${index + 1} of ${updates.length} does not apply; skipped`, error);
        }
      }
    }, LOAD_ORIGIN);
    board.appendsSinceCompaction = updates.length;
    board.storedBytes = Y.encodeStateAsUpdate(board.doc).length;
    if (board.dropPending()) console.warn(`Yjs document of session ${sessionId} had changes with missing dependencies; dropped them`);
    const cut = board.cutOverlong();
    if (cut > 0) console.warn(`Yjs document of session ${sessionId}: ${cut} action text(s) over the length limits, cut`);
    return board;
  }

  /**
   * Cuts action texts a board stored before the unit bound (or written past the gate) may hold beyond the
   * limits, at a grapheme boundary, as the server's own change (stored and sent like any other). Otherwise
   * such a text would go to every client on every sync and into every export. Answers how many were cut.
   */
  private cutOverlong(): number {
    let cut = 0;
    this.doc.transact(() => {
      textsMap(this.doc).forEach((text) => {
        if (!(text instanceof Y.Text) || text.length <= LIMITS.actionTextUnits) return;
        const whole = text.toString();
        // The gate lets only strings into these texts, so string offsets are the text's positions.
        if (whole.length !== text.length) return;
        const kept = clampText(whole, LIMITS.actionTextMax, LIMITS.actionTextUnits);
        text.delete(kept.length, text.length - kept.length);
        cut++;
      });
    }, SERVER_ORIGIN);
    return cut;
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

  private onUpdate(update: Uint8Array, origin: unknown): void {
    const from = docOrigin(origin);
    if (from.kind === 'load' || this.destroyed) return;
    const persisted = this.store.appendYjsUpdate(this.sessionId, update);
    this.storedBytes += update.length;
    if (++this.appendsSinceCompaction >= COMPACT_EVERY) {
      this.appendsSinceCompaction = 0;
      const state = Y.encodeStateAsUpdate(this.doc);
      this.storedBytes = state.length;
      void this.store.compactYjs(this.sessionId, state).catch((error) => console.error('Yjs compaction failed', error));
    }
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeUpdate(encoder, update);
    const message = encoding.toUint8Array(encoder);
    // A client's change goes to everyone else; the server's own to everyone.
    let sender: WebSocket | null;
    switch (from.kind) {
      case 'client':
        sender = this.connections.has(from.connection as WebSocket) ? (from.connection as WebSocket) : null;
        break;
      case 'server':
        sender = null;
        break;
      default: {
        const unreachable: never = from;
        throw new Error(`unknown origin ${String(unreachable)}`);
      }
    }
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
  addConnection(ws: WebSocket, canWrite: () => boolean, person = 'anyone', mayPresent = true): void {
    const conn: Connection = {
      canWrite,
      person,
      mayPresent,
      awarenessId: null,
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
    if (conn.awarenessId === null) return;
    awarenessProtocol.removeAwarenessStates(this.awareness, [conn.awarenessId], null);
    // Forget the clock too, or random client ids would grow the meta map for as long as the document lives.
    this.awareness.meta.delete(conn.awarenessId);
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
            this.applyClientUpdate(ws, conn, update);
          }
          break;
        }
        case MESSAGE_AWARENESS: {
          if (!conn.mayPresent) break;
          // Read whole before anything is applied. A connection speaks only for its own client id (the first it
          // introduces); y-websocket echoes everyone's changes back, and those echoes change nothing here.
          const kept: AwarenessEntry[] = [];
          for (const entry of readAwarenessEntries(decoding.readVarUint8Array(decoder))) {
            if (conn.awarenessId === null && !entry.removed && !this.awareness.states.has(entry.id)) conn.awarenessId = entry.id;
            if (entry.id !== conn.awarenessId) continue;
            // Only the fields the board knows, each checked; anything else is dropped (see awareness-gate.ts).
            const state = entry.removed ? null : readAwarenessState(entry.json);
            if (state === undefined) continue;
            kept.push({ ...entry, json: JSON.stringify(state), removed: state === null });
          }
          if (kept.length > 0) awarenessProtocol.applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(kept.slice(-1)), ws);
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
   * Applies a client's update only if the board allows all of it (a CRDT cannot take back part of an
   * update once applied): the gate checks the update against the document's schema first, then the
   * caps on client ids per person and per document and the stored size. A refused update changes
   * nothing; its sender is told once by the close code and reason (`YJS_CLOSE.refused` + `YjsRefusal`).
   */
  private applyClientUpdate(ws: WebSocket, conn: Connection, update: Uint8Array): void {
    const verdict = checkUpdate(this.doc, update, GATE);
    if (!verdict.ok) {
      if (verdict.reason === 'malformed') ws.close(YJS_CLOSE.malformed, 'malformed message');
      else if (verdict.reason === 'missing_dependency')
        ws.close(YJS_CLOSE.missingDependency, 'update depends on changes the server does not have; reconnect to resync');
      else this.refuse(ws, verdict.reason);
      return;
    }
    const mine = this.clientsByPerson.get(conn.person) ?? new Set<number>();
    const fresh = verdict.newClients.filter((client) => !mine.has(client));
    if (fresh.length > 0) {
      if (mine.size + fresh.length > this.docLimits.clientsPerPerson || this.doc.store.clients.size + fresh.length > this.docLimits.clientsPerDocument) {
        this.refuse(ws, 'too_many_clients');
        return;
      }
    }
    if (this.storedBytes + update.length > this.docLimits.documentBytes) {
      this.refuse(ws, 'document_full');
      return;
    }
    for (const client of fresh) mine.add(client);
    if (mine.size > 0) this.clientsByPerson.set(conn.person, mine);
    try {
      Y.applyUpdate(this.doc, update, clientOrigin(ws));
    } finally {
      // The gate refuses gaps, so nothing should wait; if Yjs still keeps something pending, drop it and resync that client.
      if (this.dropPending()) ws.close(YJS_CLOSE.missingDependency, 'update depends on changes the server does not have; reconnect to resync');
    }
  }

  private refuse(ws: WebSocket, reason: YjsRefusal): void {
    ws.close(YJS_CLOSE.refused, `refused: ${reason}`);
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
