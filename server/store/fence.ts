/**
 * Fencing a session's writes with its ownership epoch (docs/scaling.md, "Fencing").
 *
 * When several instances share PostgreSQL, the instance that holds a session's lease writes for it
 * on the connection that holds the lease (a transaction of an owner that lost it was rolled back
 * before the lock was free: server/store/postgres.ts, `LeaseConnection`) and under an epoch: a
 * number that every taking of the lease replaces by a new one. A write carries the epoch its instance
 * held when the write was called and commits only while the instance still holds the session under
 * it, checked in the committing transaction. So a write that an instance queued before it lost the
 * session (a network cut that heals later, a process that stalled) fails instead of landing over
 * what the new owner acknowledged meanwhile.
 */

/** Which epoch of each session this instance holds (the lease side: server/cluster/leases.ts). */
export interface WriteFence {
  /** The epoch under which this instance owns the session now, or null when it does not own it. */
  epochOf(sessionId: string): number | null;
}

/** A write refused because its instance no longer owns the session under the epoch it wrote with. */
export class FencedError extends Error {
  constructor(
    readonly sessionId: string,
    readonly epoch: number | null
  ) {
    super(
      epoch === null
        ? `session ${sessionId} is not owned by this instance: write refused`
        : `session ${sessionId} was taken over since epoch ${epoch}: write refused`
    );
    this.name = 'FencedError';
  }
}
