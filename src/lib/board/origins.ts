/**
 * Why a change entered a board document (the Yjs transaction origin). The
 * server reads it to decide what is stored and to whom the change is relayed;
 * a typed value instead of loose strings and sockets, so every kind is handled
 * (see `BoardDocument.onUpdate`).
 */
export type DocOrigin =
  /** Replaying what the store holds: neither stored again nor relayed. */
  | { readonly kind: 'load' }
  /** The server's own change (a new action point's text): stored and sent to everyone. */
  | { readonly kind: 'server' }
  /** An update a client sent, after the update gate let it in: stored and sent to everyone else. */
  | { readonly kind: 'client'; readonly connection: object };

export const LOAD_ORIGIN: DocOrigin = Object.freeze({ kind: 'load' });
export const SERVER_ORIGIN: DocOrigin = Object.freeze({ kind: 'server' });
export const clientOrigin = (connection: object): DocOrigin => ({ kind: 'client', connection });

/** Reads a transaction origin; anything that is not one of ours is treated as the server's. */
export function docOrigin(origin: unknown): DocOrigin {
  if (origin && typeof origin === 'object' && 'kind' in origin) {
    const kind = (origin as { kind: unknown }).kind;
    if (kind === 'load' || kind === 'server' || kind === 'client') return origin as DocOrigin;
  }
  return SERVER_ORIGIN;
}
