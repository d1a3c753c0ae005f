import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { actionsArray, addAction, indexOfAction, readActions, type ActionPoint } from '../board/actions';
import { PRESENCE_PALETTE, YJS_CLOSE, YJS_PATH, YJS_FIELDS } from '../protocol';
import { clampGraphemes } from '../domain/text';
import { connectWithTickets, type TicketSource } from './yjs-ticket';

export type BoardStatus = 'connecting' | 'online' | 'offline';

/** What each person shares about themselves on the board (awareness); the server rebuilds it from these checked fields. */
export interface BoardPresence {
  name: string;
  /** Index into PRESENCE_PALETTE: a colour is never a CSS string on the wire. */
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

/** A palette index from untrusted awareness: anything else becomes the first colour. */
export function paletteIndex(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < PRESENCE_PALETTE.length ? value : 0;
}

/** The CSS colour of a palette index (our own constant, never a string from another browser). */
export function paletteColour(index: number): string {
  return PRESENCE_PALETTE[paletteIndex(index)];
}

/**
 * The shared action board of one session: a Yjs document synced with the
 * server's `/yjs/<code>` endpoint. Edits made offline stay in the document
 * and merge when the connection is back.
 */
export class BoardClient {
  readonly doc = new Y.Doc();
  private readonly provider: WebsocketProvider;
  actions = $state<ActionPoint[]>([]);
  status = $state<BoardStatus>('connecting');
  synced = $state(false);
  /** Who edits which action point now (other people only). */
  editors = $state<Record<string, BoardPresence[]>>({});
  /** Set when the server refused one of this page's edits (`YjsRefusal`): the page no longer syncs until reloaded. */
  refused = $state<string | null>(null);
  private readonly stopTickets: () => void;

  /** `getTicket` fetches a single-use ticket over the session's socket.io connection (`board:ticket`). */
  constructor(code: string, getTicket: TicketSource, name: string) {
    const base = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${YJS_PATH}`;
    // No token in the URL (proxies log URLs): every connection attempt carries a fresh single-use ticket.
    this.provider = new WebsocketProvider(base, code, this.doc, { connect: false, maxBackoffTime: 5000 });
    this.stopTickets = connectWithTickets(this.provider, getTicket);
    this.provider.on('closed', ({ code: closeCode, reason }) => {
      if (closeCode === YJS_CLOSE.refused) this.refused = reason.replace(/^refused: /, '');
    });
    const colour = this.doc.clientID % PRESENCE_PALETTE.length;
    this.provider.awareness.setLocalState({ name: clampGraphemes(name, 40), colour, editing: null } satisfies BoardPresence);
    this.provider.on('status', ({ status }) => {
      this.status = status === 'connected' ? 'online' : status === 'connecting' && !this.synced ? 'connecting' : 'offline';
    });
    this.provider.on('sync', (synced: boolean) => {
      if (synced) this.synced = true;
    });
    actionsArray(this.doc).observeDeep(() => {
      this.actions = readActions(this.doc);
    });
    this.provider.awareness.on('change', () => {
      const editors: Record<string, BoardPresence[]> = {};
      for (const [clientId, state] of this.provider.awareness.getStates()) {
        const presence = state as Partial<BoardPresence>;
        if (clientId === this.doc.clientID || typeof presence.editing !== 'string') continue;
        (editors[presence.editing] ??= []).push({
          // Shown as text only, and the colour only through our palette.
          name: clampGraphemes(typeof presence.name === 'string' ? presence.name : '', 40),
          colour: paletteIndex(presence.colour),
          editing: presence.editing,
          cursor: presence.cursor
        });
      }
      this.editors = editors;
    });
  }

  /** Adds an action point tied to a factor (or none), optionally starting from a tip. */
  add(factor: number | null, text = ''): string {
    return addAction(this.doc, { factor, text });
  }

  /** The shared text of an action point. */
  text(id: string): Y.Text | null {
    const index = indexOfAction(this.doc, id);
    if (index < 0) return null;
    const value = actionsArray(this.doc).get(index).get(YJS_FIELDS.text);
    return value instanceof Y.Text ? value : null;
  }

  /** Sets a plain field (owner, due date, status); last write wins. */
  setField(id: string, field: 'owner' | 'due' | 'status', value: string): void {
    const index = indexOfAction(this.doc, id);
    if (index >= 0) actionsArray(this.doc).get(index).set(YJS_FIELDS[field], value);
  }

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
    this.provider.awareness.setLocalState(null);
    this.provider.destroy();
    this.doc.destroy();
  }
}
