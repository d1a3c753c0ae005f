import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { newActionId, textOf, textsMap } from '../board/actions';
import { clampText } from '../domain/text';
import { Backoff } from './backoff';
import { connectWithTickets } from './yjs-ticket';
import { loadUnsavedTexts, saveUnsavedTexts } from './storage';
import {
  LIMITS,
  PRESENCE_PALETTE,
  RETRY_LATER,
  YJS_CLOSE,
  YJS_PATH,
  type Ack,
  type ActionStatus,
  type ActionView,
  type CommandName,
  type CommandPayload,
  type ProtocolError
} from '../protocol';
import type { SessionConnection } from './session.svelte';

export type BoardStatus = 'connecting' | 'online' | 'offline';

/** What each person shares about themselves on the board (awareness). */
export interface BoardPresence {
  name: string;
  /** Index into PRESENCE_PALETTE: a colour is never a CSS string on the wire (the server rebuilds presence from checked fields). */
  colour: number;
  editing: string | null;
  /** Where their caret is in that action's text, as a Yjs relative position (it survives others' edits). */
  cursor?: unknown;
}

/** Another person's caret in one action's text. */
export interface RemoteCaret {
  name: string;
  /** Index into PRESENCE_PALETTE. */
  colour: number;
  index: number;
}

/** An action point as the page draws it: the server's structure, with pending changes of this page applied. */
export interface BoardPoint extends ActionView {
  /** Created on this page and not acknowledged yet (e.g. offline). */
  pending: boolean;
  /** Points merged into this one (their texts are kept and shown with it). */
  parts: ActionView[];
}

/** A command waiting to be acknowledged; resent after a reconnect (the ids make that safe). */
interface PendingCommand {
  key: string;
  name: CommandName;
  payload: Record<string, unknown>;
  sending: boolean;
}

/** A palette index from untrusted awareness: anything else becomes the first colour. */
export function paletteIndex(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < PRESENCE_PALETTE.length ? value : 0;
}

/** The CSS colour of a palette index (our own constant, never a string from another browser). */
export function paletteColour(index: number): string {
  return PRESENCE_PALETTE[paletteIndex(index)];
}

const MESSAGE_SYNC = 0;
const MESSAGE_AUTH = 2;
/** Owner and due date are sent this long after the last keystroke, so others see them while they are typed. */
const FIELD_DEBOUNCE_MS = 400;
/** How long after the last keystroke the page asks the server to confirm that its edits were stored. */
const PROBE_DELAY_MS = 500;

/**
 * The shared action board of one session. Structure (which points, order,
 * factor, owner, due date, status, merges, dots) comes from the server over
 * socket.io; each point's free text is a Y.Text in a Yjs document synced with
 * `/yjs/<code>`. Structural commands made offline wait in `pending` and are
 * resent on reconnect; text typed offline stays in the document and is sent by
 * y-websocket on reconnect. What the server refuses to store (the session
 * closed meanwhile) is kept in `unsaved`, to be shown and copied.
 */
export class BoardClient {
  readonly doc = new Y.Doc();
  private readonly provider: WebsocketProvider;
  status = $state<BoardStatus>('connecting');
  synced = $state(false);
  /** Bumped on every change of any text, so derived views that read texts recompute. */
  textVersion = $state(0);
  /** Who edits which action point now (other people only). */
  editors = $state<Record<string, BoardPresence[]>>({});
  /** Commands not yet acknowledged, in order. */
  pending = $state<PendingCommand[]>([]);
  /** Text typed into a point whose Y.Text has not arrived yet (created offline): put into the text when it comes. */
  drafts = $state<Record<string, string>>({});
  /** The last refusal of a structural command, for the page to show. */
  error = $state<ProtocolError | null>(null);
  /**
   * Points whose text this page changed and the server has not yet confirmed
   * storing, with the number of the last such edit (read only when needed: no
   * reactivity). A connection can look open while the network is gone, so every
   * local edit counts until confirmed, not only those typed while offline.
   */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly unconfirmed = new Map<string, number>();
  private editCount = 0;
  private probeTimer: ReturnType<typeof setTimeout> | null = null;
  /** Set when the server refused to store this page's text (permission denied, or an edit the board does not allow). */
  refused = $state(false);
  /** Why the server refused an edit (`YjsRefusal`, close 4422); the page stops syncing its text until reloaded. */
  refusedReason = $state<string | null>(null);
  private readonly stopTickets: () => void;
  /** Texts the server did not store, by point id: filled when the session closes (or this person is removed) with edits outstanding. */
  unsaved = $state<Record<string, string>>({});
  // Timers, not state.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly fieldTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly stopStateListener: () => void;

  constructor(
    private readonly code: string,
    name: string,
    private readonly connection: SessionConnection
  ) {
    // What a reload (or a phone that dropped the page) would otherwise lose: texts refused earlier, until dismissed.
    this.unsaved = loadUnsavedTexts(code);
    const base = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${YJS_PATH}`;
    // No token in the URL (proxies log URLs): every connection attempt carries a fresh single-use ticket from socket.io.
    this.provider = new WebsocketProvider(base, code, this.doc, { connect: false, maxBackoffTime: 5000 });
    this.stopTickets = connectWithTickets(this.provider, async () => {
      const ack = await connection.send('board:ticket', {});
      if (!ack.ok) throw new Error(ack.error.code);
      return ack.data.ticket;
    });
    // An edit the board does not allow closes the connection with 4422 (y-websocket does not reconnect):
    // what this page typed since is not stored, so it is kept to show, like after a close.
    this.provider.on('closed', ({ code: closeCode, reason }) => {
      if (closeCode !== YJS_CLOSE.refused) return;
      this.refused = true;
      this.refusedReason = reason.replace(/^refused: /, '');
      this.checkUnsaved();
    });
    this.watchServerAnswers();
    const colour = this.doc.clientID % PRESENCE_PALETTE.length;
    this.provider.awareness.setLocalState({ name: clampText(name, LIMITS.nameMax, LIMITS.nameUnits), colour, editing: null } satisfies BoardPresence);
    this.provider.on('status', ({ status }) => {
      this.status = status === 'connected' ? 'online' : status === 'connecting' && !this.synced ? 'connecting' : 'offline';
      // A new connection must confirm again what is still outstanding.
      if (status !== 'connected') this.awaitingConfirmation = null;
    });
    this.provider.on('sync', (synced: boolean) => {
      if (!synced) return;
      this.synced = true;
      this.probeSoon();
    });
    textsMap(this.doc).observeDeep((events) => {
      this.textVersion++;
      for (const event of events) {
        // Text typed here may not reach the server: remember which, until the server confirms it.
        if (event.transaction.local && event.target instanceof Y.Text) {
          const key = event.target._item?.parentSub;
          if (key) this.unconfirmed.set(key, ++this.editCount);
        }
      }
      if (this.unconfirmed.size > 0) this.probeSoon();
      this.applyDrafts();
    });
    this.provider.awareness.on('change', () => {
      const editors: Record<string, BoardPresence[]> = {};
      for (const [clientId, state] of this.provider.awareness.getStates()) {
        const presence = state as Partial<BoardPresence>;
        if (clientId === this.doc.clientID || typeof presence.editing !== 'string') continue;
        (editors[presence.editing] ??= []).push({
          // Shown as text only, and the colour only through our palette.
          name: clampText(typeof presence.name === 'string' ? presence.name : '', LIMITS.nameMax, LIMITS.nameUnits),
          colour: paletteIndex(presence.colour),
          editing: presence.editing,
          cursor: presence.cursor
        });
      }
      this.editors = editors;
    });
    this.stopStateListener = connection.onState((snapshot) => {
      if (snapshot.phase === 'actions') this.flush();
      else this.dropPending();
      this.checkUnsaved();
    });
  }

  /**
   * The server answers a refused write with "permission denied" (y-protocols
   * auth). To learn that edits were stored, the page sends a sync step 1 after
   * them (a probe): the server handles a connection's messages in order, so its
   * step 2 answer arriving without a refusal before it means every edit sent
   * before the probe was taken. `awaitingConfirmation` holds the number of the
   * last edit the outstanding probe covers.
   */
  private awaitingConfirmation: number | null = null;
  private watchServerAnswers(): void {
    const handlers = this.provider.messageHandlers;
    const auth = handlers[MESSAGE_AUTH];
    handlers[MESSAGE_AUTH] = (...args) => {
      this.refused = true;
      this.awaitingConfirmation = null;
      this.checkUnsaved();
      return auth(...args);
    };
    const sync = handlers[MESSAGE_SYNC];
    handlers[MESSAGE_SYNC] = (...args) => {
      const decoder = args[1];
      const covered = this.awaitingConfirmation;
      if (covered !== null && decoding.readVarUint(decoding.createDecoder(decoder.arr.subarray(decoder.pos))) === syncProtocol.messageYjsSyncStep2) {
        this.awaitingConfirmation = null;
        if (!this.refused) for (const [id, edit] of this.unconfirmed) if (edit <= covered) this.unconfirmed.delete(id);
        if (this.unconfirmed.size > 0) this.probeSoon();
      }
      return sync(...args);
    };
  }

  /** Sends a probe shortly after typing pauses (one small message, not one per keystroke). */
  private probeSoon(): void {
    if (this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      this.probe();
    }, PROBE_DELAY_MS);
  }

  private probe(): void {
    const ws = this.provider.ws;
    if (this.unconfirmed.size === 0 || this.awaitingConfirmation !== null || this.refused || !ws || ws.readyState !== WebSocket.OPEN || !this.synced) return;
    this.awaitingConfirmation = this.editCount;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(encoder, this.doc);
    ws.send(encoding.toUint8Array(encoder));
  }

  /** When the session is closed (or this person removed) with edits not known to be stored, keep them to show. */
  checkUnsaved(removed = false): void {
    const phase = this.connection.snapshot?.phase;
    if (!removed && phase !== 'closed' && !this.refused) return;
    const texts: Record<string, string> = { ...this.unsaved };
    for (const id of this.unconfirmed.keys()) {
      const text = textOf(this.doc, id)?.toString();
      if (text) texts[id] = text;
    }
    for (const [id, draft] of Object.entries(this.drafts)) if (draft) texts[id] = draft;
    this.unsaved = texts;
    saveUnsavedTexts(this.code, texts);
  }

  /** The author has copied (or given up) the texts the server did not store: forget them here and in local storage. */
  dismissUnsaved(): void {
    this.unsaved = {};
    saveUnsavedTexts(this.code, {});
  }

  /** Every point with its pending changes, parts and text version, in board order. */
  points(views: readonly ActionView[]): BoardPoint[] {
    // Throwaway lookups for this call, not state.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const byId = new Map<string, ActionView>(views.map((v) => [v.id, { ...v }]));
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const pendingIds = new Set<string>();
    let last = Math.max(0, ...views.map((v) => v.position));
    for (const command of this.pending) {
      const p = command.payload;
      const id = String(p.actionId ?? '');
      if (command.name === 'action:create' && !byId.has(id)) {
        byId.set(id, {
          id,
          factor: (p.factor as number | null) ?? null,
          position: ++last,
          owner: '',
          due: null,
          status: 'open',
          createdAt: Date.now(),
          mergedInto: null,
          removed: false,
          origin: null
        });
        pendingIds.add(id);
      } else if (command.name === 'action:update' && byId.has(id)) {
        const view = byId.get(id)!;
        if (p.owner !== undefined) view.owner = String(p.owner);
        if (p.due !== undefined) view.due = p.due ? String(p.due) : null;
        if (p.status !== undefined) view.status = p.status as ActionStatus;
      }
    }
    const all = [...byId.values()].sort((a, b) => a.position - b.position || a.createdAt - b.createdAt);
    return all
      .filter((v) => !v.removed && v.mergedInto === null)
      .map((v) => ({ ...v, pending: pendingIds.has(v.id), parts: all.filter((p) => p.mergedInto === v.id && !p.removed) }));
  }

  /** The shared text of an action point (null until the server has created it). */
  text(id: string): Y.Text | null {
    void this.textVersion;
    return textOf(this.doc, id);
  }

  /** The plain text of a point as shown (its draft while the text has not arrived). */
  plainText(id: string): string {
    return this.text(id)?.toString() ?? this.drafts[id] ?? '';
  }

  setDraft(id: string, value: string): void {
    this.drafts[id] = value;
  }

  /** Puts text typed before a point's Y.Text arrived into it, once. */
  private applyDrafts(): void {
    for (const [id, draft] of Object.entries(this.drafts)) {
      const text = textOf(this.doc, id);
      if (!text) continue;
      delete this.drafts[id];
      if (draft) text.insert(text.length, draft);
    }
  }

  // ------------------------------------------------------------------ structural commands

  /** Adds an action point tied to a factor (or none), optionally starting from a tip; returns its id at once. */
  add(factor: number | null, text = ''): string {
    const actionId = newActionId();
    this.enqueue(`create:${actionId}`, 'action:create', { actionId, factor, text });
    return actionId;
  }

  /** Changes owner or due date: sent shortly after the last keystroke, so others see it while it is typed. */
  setFieldSoon(id: string, field: 'owner' | 'due', value: string): void {
    const key = `${field}:${id}`;
    this.enqueue(key, 'action:update', { actionId: id, [field]: value }, { hold: true });
    clearTimeout(this.fieldTimers.get(key));
    this.fieldTimers.set(
      key,
      setTimeout(() => {
        this.fieldTimers.delete(key);
        this.flush();
      }, FIELD_DEBOUNCE_MS)
    );
  }

  setStatus(id: string, status: ActionStatus): void {
    this.enqueue(`status:${id}`, 'action:update', { actionId: id, status });
  }

  remove(id: string): void {
    this.enqueue(`remove:${id}`, 'action:remove', { actionId: id });
  }
  restore(id: string): void {
    this.enqueue(`restore:${id}`, 'action:restore', { actionId: id });
  }
  merge(sourceId: string, targetId: string): void {
    this.enqueue(`merge:${sourceId}`, 'action:merge', { sourceId, targetId });
  }
  unmerge(id: string): void {
    this.enqueue(`unmerge:${id}`, 'action:unmerge', { actionId: id });
  }
  move(id: string, toIndex: number): void {
    this.enqueue(`move:${id}`, 'action:move', { actionId: id, toIndex });
  }

  /**
   * Queues a command (a newer one with the same key replaces a waiting one: the
   * last owner typed wins) and sends what can be sent.
   */
  private enqueue(key: string, name: CommandName, payload: Record<string, unknown>, { hold = false } = {}): void {
    const waiting = this.pending.findIndex((c) => c.key === key && !c.sending);
    const command: PendingCommand = { key, name, payload, sending: false };
    if (waiting >= 0) this.pending[waiting] = command;
    else this.pending.push(command);
    if (!hold) this.flush();
  }

  /** Sends waiting commands in order, one at a time (a create before the edits of that point). */
  private flushing = false;
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (;;) {
        if (!this.connection.connected || this.connection.snapshot?.phase !== 'actions') return;
        const command = this.pending.find((c) => !c.sending && !this.fieldTimers.has(c.key));
        if (!command) return;
        command.sending = true;
        // A point created offline starts with what was typed into it meanwhile.
        if (command.name === 'action:create') {
          const id = String(command.payload.actionId);
          const draft = this.drafts[id];
          if (draft) {
            command.payload = { ...command.payload, text: `${String(command.payload.text ?? '')}${draft}` };
            this.drafts[id] = '';
          }
        }
        const ack = (await this.connection.send(command.name, command.payload as CommandPayload<typeof command.name>)) as Ack<unknown>;
        const index = this.pending.indexOf(command);
        if (!ack.ok && (ack.error.message === 'network' || RETRY_LATER.has(ack.error.code))) {
          // Lost connection: keep it; it goes again after the reconnect. "Try again in a moment" (the database briefly
          // away): keep it too, with what was typed into it, and send it again after a pause.
          command.sending = false;
          if (ack.error.message !== 'network') this.flushLater();
          return;
        }
        if (index >= 0) this.pending.splice(index, 1);
        if (ack.ok) this.flushes.succeeded();
        else this.error = ack.error;
      }
    } finally {
      this.flushing = false;
    }
  }

  private readonly flushes = new Backoff(1000, 10_000);

  /** Flushes again after a pause. */
  private flushLater(): void {
    this.flushes.schedule(() => void this.flush());
  }

  /** The session left the action phase: nothing waiting can be applied any more. */
  private dropPending(): void {
    this.pending = this.pending.filter((c) => c.sending);
  }

  clearError(): void {
    this.error = null;
  }

  // ------------------------------------------------------------------ presence

  /** Tells the others which action point this person is editing. */
  setEditing(id: string | null): void {
    this.provider.awareness.setLocalStateField('editing', id);
    if (id === null) this.provider.awareness.setLocalStateField('cursor', null);
  }

  /** Shares where this person's caret is in an action's text. */
  setCursor(id: string, index: number): void {
    const text = this.text(id);
    if (!text) return;
    const position = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, Math.min(index, text.length)));
    this.provider.awareness.setLocalState({ ...this.provider.awareness.getLocalState(), editing: id, cursor: position });
  }

  /** Where other people's carets are in an action's text now (their positions are untrusted input). */
  caretsIn(id: string, editors: readonly BoardPresence[]): RemoteCaret[] {
    const text = this.text(id);
    if (!text) return [];
    const carets: RemoteCaret[] = [];
    for (const presence of editors) {
      if (!presence.cursor) continue;
      try {
        const absolute = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(presence.cursor), this.doc);
        if (absolute && absolute.type === text) carets.push({ name: presence.name, colour: presence.colour, index: Math.min(absolute.index, text.length) });
      } catch {
        // A malformed position from someone else's browser: show no caret for them.
      }
    }
    return carets;
  }

  destroy(): void {
    this.stopTickets();
    this.stopStateListener();
    for (const timer of this.fieldTimers.values()) clearTimeout(timer);
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.flushes.cancel();
    this.provider.awareness.setLocalState(null);
    this.provider.destroy();
    this.doc.destroy();
  }
}
