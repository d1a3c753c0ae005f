/**
 * What one person may tell the others about themselves on the board
 * (awareness): a name, a palette colour by index, which action point they
 * edit and where their caret is. Everything is rebuilt from checked fields, so
 * no other key, markup or style string from one browser reaches another.
 */
import { clampText } from '../../src/lib/domain/text';
import { LIMITS, PRESENCE_PALETTE } from '../../src/lib/protocol';

/** A relative position as Yjs writes it to JSON (`Y.relativePositionToJSON`), ids only. */
export interface CursorJson {
  type?: { client: number; clock: number };
  item?: { client: number; clock: number };
  assoc: number;
}

export interface PresenceState {
  name: string;
  /** Index into PRESENCE_PALETTE. */
  colour: number;
  /** The action point being edited. */
  editing: string | null;
  cursor: CursorJson | null;
}

const ACTION_ID = /^[A-Za-z0-9_-]{1,40}$/;

/** A checked state; `null` for "gone"; `undefined` when the entry is to be dropped (not JSON, too large, not an object). */
export function readAwarenessState(json: string): PresenceState | null | undefined {
  if (json.length > LIMITS.awarenessStateBytes) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const value = raw as Record<string, unknown>;
  const name = typeof value.name === 'string' ? clampText(value.name.replace(/[\u0000-\u001f\u007f]/g, ' ').trim(), LIMITS.nameMax, LIMITS.nameUnits) : '';
  const colour =
    Number.isInteger(value.colour) && (value.colour as number) >= 0 && (value.colour as number) < PRESENCE_PALETTE.length ? (value.colour as number) : 0;
  const editing = typeof value.editing === 'string' && ACTION_ID.test(value.editing) ? value.editing : null;
  return { name, colour, editing, cursor: editing === null ? null : readCursor(value.cursor) };
}

function readId(value: unknown): { client: number; clock: number } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { client, clock } = value as Record<string, unknown>;
  if (!Number.isInteger(client) || (client as number) < 0 || (client as number) > 0xffffffff) return undefined;
  if (!Number.isInteger(clock) || (clock as number) < 0 || (clock as number) > 2 ** 40) return undefined;
  return { client: client as number, clock: clock as number };
}

function readCursor(value: unknown): CursorJson | null {
  if (typeof value !== 'object' || value === null) return null;
  const raw = value as Record<string, unknown>;
  const type = readId(raw.type);
  const item = readId(raw.item);
  // A caret is in a text (type) or next to a character (item); a root name (tname) never is, on this board.
  if (!type && !item) return null;
  return { ...(type ? { type } : {}), ...(item ? { item } : {}), assoc: typeof raw.assoc === 'number' && raw.assoc < 0 ? -1 : 0 };
}
