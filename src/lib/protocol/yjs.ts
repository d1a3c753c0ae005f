/**
 * Key names of the shared action board document. The document carries only the
 * free text of each action point: one root Y.Map under `YJS_TEXTS`, key = action
 * point id, value = a Y.Text that the server creates when the point is created
 * (and never deletes or recreates). Everything else about a point (factor,
 * order, owner, due date, status, merges, dots) is server state, changed by
 * socket.io commands.
 */
export const YJS_TEXTS = 'texts';

// Statuses are domain terms; the protocol carries them.
export { ACTION_STATUSES, type ActionStatus } from '../domain/action-points';

/**
 * Close codes of the Yjs socket. 4400–4499 tell y-websocket not to reconnect
 * (the same update would be refused again); the reason is `YjsRefusal`.
 */
export const YJS_CLOSE = {
  malformed: 1003,
  missingDependency: 1008,
  tooLarge: 1009,
  rateLimited: 1013,
  /** An update the board's schema does not allow; the reason names which rule (`YjsRefusal`). */
  refused: 4422,
  removed: 4403,
  deleted: 4404
} as const;

/** Why an update was refused (the close reason after `YJS_CLOSE.refused`). */
export const YJS_REFUSALS = [
  /** Content other than plain text: a map entry, a nested type, an embed, a format, binary, JSON, a subdocument. */
  'not_text',
  /** Text placed outside the server's texts (another root, a map key, a type the server did not create). */
  'outside_texts',
  /** A deletion of something only the server may remove (a text, a map entry). */
  'server_item',
  /** More Yjs client ids in one update, from one person, or in the document than the board allows. */
  'too_many_clients',
  /** More structs or deletions in one update than the board allows. */
  'too_many_structs',
  /** The document reached its stored size limit. */
  'document_full',
  /** An action text would exceed its maximum length (graphemes). */
  'text_too_long'
] as const;
export type YjsRefusal = (typeof YJS_REFUSALS)[number];

/** Presence colours; awareness carries the index, never a CSS value. Dark enough for white labels (≥ 4.5:1). */
export const PRESENCE_PALETTE = ['#1f5fa8', '#b3261e', '#2e7d32', '#6a3d9a', '#8c564b', '#ad1457', '#00695c', '#5d4037'] as const;

/** The path under which the Yjs endpoint listens; a room is `/yjs/<CODE>`. */
export const YJS_PATH = '/yjs';
