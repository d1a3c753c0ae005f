import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as encoding from 'lib0/encoding';
import { LIMITS, YJS_CLOSE, type YjsRefusal } from '../../src/lib/protocol';
import { textsMap } from '../../src/lib/board/actions';
import { clientOrigin, docOrigin, LOAD_ORIGIN, SERVER_ORIGIN } from '../../src/lib/board/origins';
import { clampText } from '../../src/lib/domain/text';
import type { Store } from '../store/types';
import type { RateLimits } from '../security/rate';
import { BOARD_GATE_LIMITS, checkUpdate } from './update-gate';

/** The y-protocols message types (y-websocket's numbering). */
export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
export const MESSAGE_AUTH = 2;
export const MESSAGE_QUERY_AWARENESS = 3;

const GATE = BOARD_GATE_LIMITS;

export type YjsLimits = Pick<RateLimits, 'yjsMessagesPerSecond' | 'yjsBurst' | 'yjsClientsPerPerson' | 'yjsClientsPerDocument' | 'yjsDocumentBytes'>;

/** Per-board caps the gate cannot see in one update. */
interface DocLimits {
  clientsPerPerson: number;
  clientsPerDocument: number;
  documentBytes: number;
}

/** Merge the stored updates of a document into one after this many appends. */
const COMPACT_EVERY = 500;

/** What the document needs of a connection it serves (a BoardConnection): where to relay, how to end it. */
export interface BoardPeer {
  /** Who the connection speaks for (personKey): a removed person's connections are closed by it. */
  readonly person: string;
  send(message: Uint8Array): void;
  close(code: number, reason: string): void;
  /** The phase changed: a read-only connection may be told again when it next tries to write. */
  phaseChanged(): void;
}

/** Who sends an update, as decided once when the connection was authorised. */
export interface BoardWriter {
  /** Yjs client ids are counted per person. */
  readonly person: string;
  /** The policy's `board:edit` row, asked for every update (a phase change takes effect at once). */
  canWrite(): boolean;
}

/** What the gate made of a client's update: applied, refused because the board is read-only for its sender, or refused with a close. */
export type UpdateVerdict = 'applied' | 'read_only' | { code: number; reason: string };

/**
 * One session's shared action board (as hocuspocus's Document and tldraw's
 * TLSyncRoom): the Y.Doc, its awareness, the update gate, persistence and
 * compaction. The sockets are BoardConnections (board-connection.ts), which
 * speak the protocol; the document relays to them. Updates are persisted
 * before they are relayed, and a connecting client is sent the document once
 * what it holds is stored (`stored`), so whatever another person has seen is
 * already on disk.
 */
export class BoardDocument {
  readonly doc = new Y.Doc({ gc: true });
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  /** The connections this document serves (who is connected is counted once, by the live session's presence). */
  private readonly connections = new Set<BoardPeer>();
  private appendsSinceCompaction = 0;
  /** The last update's append, settled (never rejecting): appends commit in call order, so every earlier one is stored too. */
  private lastAppend: Promise<unknown> = Promise.resolve();
  /** Stored size of the document: its encoded state at load or compaction plus the updates appended since. */
  private storedBytes = 0;
  /** Yjs client ids each person introduced while this document was loaded. */
  private readonly clientsByPerson = new Map<string, Set<number>>();
  private destroyed = false;
  private readonly docLimits: DocLimits;

  private constructor(
    readonly sessionId: string,
    private readonly store: Store,
    limits?: YjsLimits
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
    let updates: Uint8Array[];
    try {
      updates = await store.loadYjsUpdates(sessionId);
    } catch (error) {
      // Nobody will serve or destroy this document: its awareness check (an interval) would run for good.
      board.destroy();
      throw error;
    }
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
    this.lastAppend = persisted.then(ignoreOutcome, ignoreOutcome);
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
    let sender: BoardPeer | null;
    switch (from.kind) {
      case 'client':
        sender = this.connections.has(from.connection as BoardPeer) ? (from.connection as BoardPeer) : null;
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

  /**
   * Settles once every update applied to the document so far has been stored (or failed to be): what a sync answers
   * with is then what is on disk, although a board update may wait a few milliseconds for its commit (the store's
   * commit window).
   */
  stored(): Promise<unknown> {
    return this.lastAppend;
  }

  private broadcast(message: Uint8Array, except: BoardPeer | null): void {
    for (const peer of this.connections) if (peer !== except) peer.send(message);
  }

  /** A connection starts being served: it hears every change from now on. */
  join(peer: BoardPeer): void {
    this.connections.add(peer);
  }

  /** Closes every connection of one person (removed from the session); each leaves as its socket's close arrives. */
  closePerson(person: string, code: number, reason: string): void {
    for (const peer of this.connections) if (peer.person === person) peer.close(code, reason);
  }

  /** A connection closed: it hears nothing more, and the awareness client id it spoke for goes. */
  leave(peer: BoardPeer, awarenessId: number | null): void {
    if (!this.connections.delete(peer)) return;
    if (awarenessId === null) return;
    awarenessProtocol.removeAwarenessStates(this.awareness, [awarenessId], null);
    // Forget the clock too, or random client ids would grow the meta map for as long as the document lives.
    this.awareness.meta.delete(awarenessId);
  }

  /**
   * The gate: applies a client's update only if the board allows all of it (a CRDT cannot take back part of an
   * update once applied). Read-only is enforced here, where updates are applied, so a phase change takes effect
   * at once. Then the update is checked against the document's schema, the caps on client ids per person and
   * per document and the stored size. A refused update changes nothing; the verdict says how its sender is told
   * (`YJS_CLOSE.refused` + `YjsRefusal`, malformed, or a missing dependency).
   */
  applyClientUpdate(from: BoardPeer, writer: BoardWriter, update: Uint8Array): UpdateVerdict {
    if (!writer.canWrite()) return 'read_only';
    const verdict = checkUpdate(this.doc, update, GATE);
    if (!verdict.ok) {
      if (verdict.reason === 'malformed') return { code: YJS_CLOSE.malformed, reason: 'malformed message' };
      if (verdict.reason === 'missing_dependency') return MISSING_DEPENDENCY;
      return refused(verdict.reason);
    }
    const mine = this.clientsByPerson.get(writer.person) ?? new Set<number>();
    const fresh = verdict.newClients.filter((client) => !mine.has(client));
    if (fresh.length > 0) {
      if (mine.size + fresh.length > this.docLimits.clientsPerPerson || this.doc.store.clients.size + fresh.length > this.docLimits.clientsPerDocument) {
        return refused('too_many_clients');
      }
    }
    if (this.storedBytes + update.length > this.docLimits.documentBytes) return refused('document_full');
    for (const client of fresh) mine.add(client);
    if (mine.size > 0) this.clientsByPerson.set(writer.person, mine);
    // The gate refuses gaps, so nothing should wait; if Yjs still keeps something pending, drop it and resync that client.
    try {
      Y.applyUpdate(this.doc, update, clientOrigin(from));
    } catch (error) {
      if (this.dropPending()) from.close(MISSING_DEPENDENCY.code, MISSING_DEPENDENCY.reason);
      throw error;
    }
    return this.dropPending() ? MISSING_DEPENDENCY : 'applied';
  }

  /** Lets read-only connections be told again after the phase changes. */
  resetDenials(): void {
    for (const peer of this.connections) peer.phaseChanged();
  }

  /** Closes every connection (session deleted or server shutting down). */
  destroy(code = 1001, reason = 'going away'): void {
    this.destroyed = true;
    for (const peer of this.connections) peer.close(code, reason);
    this.connections.clear();
    this.awareness.destroy();
    this.doc.destroy();
  }
}

const ignoreOutcome = () => undefined;

const MISSING_DEPENDENCY = { code: YJS_CLOSE.missingDependency, reason: 'update depends on changes the server does not have; reconnect to resync' };

function refused(reason: YjsRefusal): { code: number; reason: string } {
  return { code: YJS_CLOSE.refused, reason: `refused: ${reason}` };
}
