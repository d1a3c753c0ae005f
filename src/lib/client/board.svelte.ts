import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { actionsArray, addAction, indexOfAction, readActions, type ActionPoint } from '../board/actions';
import { YJS_PATH, YJS_FIELDS } from '../protocol';

export type BoardStatus = 'connecting' | 'online' | 'offline';

/** What each person shares about themselves on the board (awareness). */
export interface BoardPresence {
  name: string;
  colour: string;
  editing: string | null;
  /** Where their caret is in that action's text, as a Yjs relative position (it survives others' edits). */
  cursor?: unknown;
}

/** Another person's caret in one action's text. */
export interface RemoteCaret {
  name: string;
  colour: string;
  index: number;
}

// Dark enough for white name labels (contrast ≥ 4.5:1), distinct from each other.
const COLOURS = ['#1f5fa8', '#b3261e', '#2e7d32', '#6a3d9a', '#8c564b', '#ad1457', '#00695c', '#5d4037'];

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

  constructor(code: string, token: string, name: string) {
    const base = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${YJS_PATH}`;
    this.provider = new WebsocketProvider(base, code, this.doc, { params: { token }, maxBackoffTime: 5000 });
    const colour = COLOURS[this.doc.clientID % COLOURS.length];
    this.provider.awareness.setLocalState({ name, colour, editing: null } satisfies BoardPresence);
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
          name: String(presence.name ?? '').slice(0, 40),
          colour: String(presence.colour ?? '#888'),
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
    this.provider.awareness.setLocalState(null);
    this.provider.destroy();
    this.doc.destroy();
  }
}
