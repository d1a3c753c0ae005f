import * as Y from 'yjs';
import { clampGraphemes } from '../domain/text';
import { ACTION_STATUSES, LIMITS, YJS_ACTIONS, YJS_FIELDS as F, type ActionStatus } from '../protocol';

/** An action point as plain data (for exports and lists). */
export interface ActionPoint {
  id: string;
  factor: number | null;
  text: string;
  owner: string | null;
  due: string | null;
  status: ActionStatus;
  createdAt: number;
}

/** The board's array of action maps. */
export function actionsArray(doc: Y.Doc): Y.Array<Y.Map<unknown>> {
  return doc.getArray<Y.Map<unknown>>(YJS_ACTIONS);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar date in YYYY-MM-DD form (not 2026-13-45). */
function isDate(value: unknown): value is string {
  if (typeof value !== 'string' || !DATE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** Reads one action map defensively: the document is shared, so any field may be odd. */
export function readAction(map: Y.Map<unknown>): ActionPoint | null {
  // Anyone who may edit can put any value into the array, not only maps.
  if (!(map instanceof Y.Map)) return null;
  const id = map.get(F.id);
  if (typeof id !== 'string') return null;
  const factor = map.get(F.factor);
  const text = map.get(F.text);
  const owner = map.get(F.owner);
  const due = map.get(F.due);
  const status = map.get(F.status);
  const createdAt = map.get(F.createdAt);
  return {
    id,
    factor: typeof factor === 'number' && Number.isInteger(factor) ? factor : null,
    text: clampGraphemes(text instanceof Y.Text ? text.toString() : '', LIMITS.actionTextMax),
    owner: typeof owner === 'string' && owner.trim() !== '' ? clampGraphemes(owner.trim(), LIMITS.ownerMax) : null,
    due: isDate(due) ? due : null,
    status: (ACTION_STATUSES as readonly unknown[]).includes(status) ? (status as ActionStatus) : 'open',
    createdAt: typeof createdAt === 'number' ? createdAt : 0
  };
}

/** Every action point in board order. */
export function readActions(doc: Y.Doc): ActionPoint[] {
  return actionsArray(doc)
    .toArray()
    .map(readAction)
    .filter((a): a is ActionPoint => a !== null);
}

/** A random id for a new action point. */
export function newActionId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(36).padStart(2, '0'))
    .join('')
    .slice(0, 16);
}

/** Appends an action point; returns its id. */
export function addAction(doc: Y.Doc, input: { factor: number | null; text?: string; id?: string }): string {
  const id = input.id ?? newActionId();
  doc.transact(() => {
    const map = new Y.Map<unknown>();
    map.set(F.id, id);
    map.set(F.factor, input.factor);
    map.set(F.text, new Y.Text(input.text ?? ''));
    map.set(F.owner, '');
    map.set(F.due, '');
    map.set(F.status, 'open');
    map.set(F.createdAt, Date.now());
    actionsArray(doc).push([map]);
  });
  return id;
}

/** Index of an action point, or −1. */
export function indexOfAction(doc: Y.Doc, id: string): number {
  return actionsArray(doc)
    .toArray()
    .findIndex((map) => map instanceof Y.Map && map.get(F.id) === id);
}

export function removeAction(doc: Y.Doc, id: string): boolean {
  const index = indexOfAction(doc, id);
  if (index < 0) return false;
  actionsArray(doc).delete(index, 1);
  return true;
}

/**
 * Merges `sourceId` into `targetId`: the source's text is appended to the
 * target's on a new line, owner and due date fill gaps, and the source goes.
 */
export function mergeActions(doc: Y.Doc, sourceId: string, targetId: string): boolean {
  const array = actionsArray(doc);
  const sourceIndex = indexOfAction(doc, sourceId);
  const targetIndex = indexOfAction(doc, targetId);
  if (sourceIndex < 0 || targetIndex < 0 || sourceIndex === targetIndex) return false;
  const source = array.get(sourceIndex);
  const target = array.get(targetIndex);
  doc.transact(() => {
    const sourceText = source.get(F.text);
    const targetText = target.get(F.text);
    if (sourceText instanceof Y.Text && targetText instanceof Y.Text && sourceText.length > 0) {
      targetText.insert(targetText.length, (targetText.length > 0 ? '\n' : '') + sourceText.toString());
    }
    for (const field of [F.owner, F.due] as const) {
      if (!target.get(field) && source.get(field)) target.set(field, source.get(field));
    }
    array.delete(sourceIndex, 1);
  });
  return true;
}

/** Moves an action point to `toIndex` (clamped); Yjs has no move, so it is re-created with the same content. */
export function moveAction(doc: Y.Doc, id: string, toIndex: number): boolean {
  const array = actionsArray(doc);
  const from = indexOfAction(doc, id);
  if (from < 0) return false;
  const target = Math.max(0, Math.min(toIndex, array.length - 1));
  if (target === from) return true;
  const original = array.get(from);
  doc.transact(() => {
    const copy = new Y.Map<unknown>();
    for (const [key, value] of original.entries()) {
      copy.set(key, value instanceof Y.Text ? new Y.Text(value.toString()) : value);
    }
    array.delete(from, 1);
    array.insert(target, [copy]);
  });
  return true;
}
