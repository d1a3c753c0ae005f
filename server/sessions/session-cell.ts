import { CommandError } from '../../src/lib/protocol';
import type { SessionRecord } from '../store/types';

/**
 * The session record as it stands in memory, and whether the session was deleted: the one copy every unit of a
 * room reads and, after its store write committed, updates. Passed to the units explicitly, so none reaches back
 * into the room for it.
 */
export class SessionCell {
  private deletedFlag = false;

  constructor(private value: SessionRecord) {}

  get record(): Readonly<SessionRecord> {
    return this.value;
  }

  /** Memory follows a write that committed. */
  merge(patch: Partial<SessionRecord>): void {
    this.value = { ...this.value, ...patch };
  }

  get isDeleted(): boolean {
    return this.deletedFlag;
  }

  markDeleted(): void {
    this.deletedFlag = true;
  }

  /** Refuses everything once the session was deleted. */
  assertAlive(): void {
    if (this.deletedFlag) throw new CommandError('not_found', 'This session was deleted.');
  }
}
