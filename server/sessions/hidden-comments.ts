import { CommandError, type HiddenComment } from '../../src/lib/protocol';
import type { SessionRecord, Store } from '../store/types';
import { committed } from '../store/committed';
import type { RoomFanout } from './fanout';
import type { RevealedRounds } from './revealed';
import type { SessionResults } from './results';
import type { KeyedSerial } from './serial';
import type { SessionCell } from './session-cell';
import { requirePhase } from './policy';

/** What hiding a comment reads, writes and tells. */
export interface HiddenCommentsDeps {
  cell: SessionCell;
  store: Pick<Store, 'setCommentHidden'>;
  fanout: RoomFanout;
  /** The session's serial: one session-wide change at a time. */
  serial: KeyedSerial;
  /** What each revealed round showed, and which of its comments are hidden. */
  revealed: RevealedRounds;
  /** The results as read now (hidden comments left out), sent to everyone after a change. */
  results: Pick<SessionResults, 'results'>;
}

/**
 * The facilitator's moderation of revealed comments: a comment shown with its round is hidden from the room, or
 * shown again, store first. The frozen round keeps it (results read leave it out), so hiding can be undone.
 */
export class HiddenComments {
  constructor(private readonly deps: HiddenCommentsDeps) {}

  private get session(): Readonly<SessionRecord> {
    return this.deps.cell.record;
  }

  /**
   * The facilitator hides a revealed comment from the room, or shows it again.
   * Resolves with the comments hidden now, once that is durable.
   */
  hideComment(comment: HiddenComment, hidden: boolean): Promise<HiddenComment[]> {
    return this.deps.serial.run('session', async () => {
      this.deps.cell.assertAlive();
      requirePhase('comment:hide', this.session.phase);
      if (!this.session.revealedRounds.includes(comment.round)) {
        throw new CommandError('wrong_phase', 'Comments can be hidden only after their round was revealed.');
      }
      // What the round showed (frozen), not today's ballots: a removed participant's comment can still be hidden.
      if (!this.deps.revealed.showed(comment)) throw new CommandError('not_found', 'There is no such comment in that round.');
      const clean = { round: comment.round, factor: comment.factor, text: comment.text };
      await committed(this.deps.store.setCommentHidden(this.session.id, clean, hidden), 'the hidden comment');
      this.deps.revealed.setHidden(clean, hidden);
      const list = this.deps.revealed.hiddenComments();
      this.deps.fanout.toAll(this.session.code, 'results', this.deps.results.results());
      this.deps.fanout.toFacilitators(this.session.code, 'comments:hidden', list);
      return list;
    });
  }
}
