/**
 * Key names of the shared action board document. The document carries only the
 * free text of each action point: one root Y.Map under `YJS_TEXTS`, key = action
 * point id, value = a Y.Text that the server creates when the point is created
 * (and never deletes or recreates). Everything else about a point (factor,
 * order, owner, due date, status, merges, dots) is server state, changed by
 * socket.io commands.
 */
export const YJS_TEXTS = 'texts';

export const ACTION_STATUSES = ['open', 'doing', 'done'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** The path under which the Yjs endpoint listens; a room is `/yjs/<CODE>`. */
export const YJS_PATH = '/yjs';
