import * as Y from 'yjs';
import { boundText } from '../domain/text';
import { LIMITS, YJS_TEXTS, type ActionView } from '../protocol';
import type { ActionPoint } from '../domain/action-points';
import { SERVER_ORIGIN } from './origins';

/** An action point as plain data (for exports and lists): the server's structure plus its text; a domain term. */
export type { ActionPoint } from '../domain/action-points';

/** The board document's one root: action point id → its Y.Text. */
export function textsMap(doc: Y.Doc): Y.Map<Y.Text> {
  return doc.getMap<Y.Text>(YJS_TEXTS);
}

/** The shared text of an action point, or null while the server has not created it (or it is not a text). */
export function textOf(doc: Y.Doc, id: string): Y.Text | null {
  const value: unknown = textsMap(doc).get(id);
  return value instanceof Y.Text ? value : null;
}

/**
 * Creates the Y.Text of a new action point, in the server's own transaction.
 * Never replaces an existing text: a resent create must not lose what was typed.
 */
export function createText(doc: Y.Doc, id: string, initial: string): void {
  doc.transact(() => {
    const texts = textsMap(doc);
    if (!texts.has(id)) texts.set(id, new Y.Text(initial));
  }, SERVER_ORIGIN);
}

/**
 * Removes the Y.Text of a point whose structure the store refused (a carried copy
 * another session's decision beat), in the server's own transaction: nothing of
 * the refused change stays in the document.
 */
export function removeText(doc: Y.Doc, id: string): void {
  doc.transact(() => textsMap(doc).delete(id), SERVER_ORIGIN);
}

/** The text of a point as stored, bounded to both limits (a board stored before the unit bound may hold more). */
function plainText(doc: Y.Doc, id: string): string {
  return boundText(textOf(doc, id)?.toString() ?? '', LIMITS.actionTextMax, LIMITS.actionTextUnits);
}

/**
 * The points on the board with their texts, in board order: structure from the
 * server, text from the document. A merged point's text is its own followed by
 * the texts of its parts, one per line.
 */
export function boardPoints(doc: Y.Doc, views: readonly ActionView[]): ActionPoint[] {
  const ordered = [...views].sort((a, b) => a.position - b.position || a.createdAt - b.createdAt);
  const visible = ordered.filter((v) => !v.removed && v.mergedInto === null);
  return visible.map((v) => {
    const parts = ordered.filter((p) => p.mergedInto === v.id && !p.removed);
    const text = [plainText(doc, v.id), ...parts.map((p) => plainText(doc, p.id))].filter((t) => t.trim() !== '').join('\n');
    return {
      id: v.id,
      factor: v.factor,
      text,
      owner: v.owner.trim() === '' ? null : v.owner,
      due: v.due,
      status: v.status,
      createdAt: v.createdAt
    };
  });
}

/** A random id for a new action point (chosen by the client, so a resent command is recognised). */
export function newActionId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(36).padStart(2, '0'))
    .join('')
    .slice(0, 16);
}
