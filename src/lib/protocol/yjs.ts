/**
 * Key names of the shared action board document. The board is one Y.Array of
 * Y.Maps under `ACTIONS`; each map has the fields below, and its text is a Y.Text.
 */
export const YJS_ACTIONS = 'actions';
export const YJS_FIELDS = {
  id: 'id',
  factor: 'factor',
  text: 'text',
  owner: 'owner',
  due: 'due',
  status: 'status',
  createdAt: 'createdAt'
} as const;

export const ACTION_STATUSES = ['open', 'doing', 'done'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** The path under which the Yjs endpoint listens; a room is `/yjs/<CODE>`. */
export const YJS_PATH = '/yjs';
