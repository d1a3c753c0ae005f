import type { Answer } from '../../src/lib/domain/ballots';
import { CommandError, type VoteResult } from '../../src/lib/protocol';
import type { SessionRecord, Store } from '../store/types';
import { notCommitted } from '../store/committed';
import type { RoomFanout } from './fanout';
import type { BallotBox, CommentBudget } from './ballot-box';
import type { PhaseControl } from './phase-control';
import type { RoomBroadcasts } from './room-broadcasts';
import type { SessionCell } from './session-cell';
import type { Member } from './projections';
import { requirePhase } from './policy';

/** What the answer path reads, writes and tells. */
export interface VotesDeps {
  cell: SessionCell;
  store: Pick<Store, 'saveAnswer'>;
  fanout: RoomFanout;
  factorCount: number;
  ballots: BallotBox;
  /** Who is in the session now: an answer of someone removed meanwhile is refused. */
  members: Pick<ReadonlyMap<string, Member>, 'has'>;
  broadcasts: Pick<RoomBroadcasts, 'participantChanged' | 'progress'>;
  /** Whether a check-in is still in its own round (its deadline, not a countdown, closes the box). */
  phases: Pick<PhaseControl, 'inCheckinRound'>;
  commentBudget: CommentBudget;
  /** The server's injectable clock: a check-in's deadline is read on it (tests move it days on). */
  clock(): number;
}

/**
 * The answer path: a participant's answer checked against the phase, the round, the voting clock and the comment
 * budget, written to the store, then recorded in the ballot box and echoed to their other connections.
 */
export class Votes {
  constructor(private readonly deps: VotesDeps) {}

  private get session(): Readonly<SessionRecord> {
    return this.deps.cell.record;
  }

  /**
   * A participant answers one factor of `forRound` (the current round when
   * omitted); resolves once the answer is durable, and sends it to their other
   * connections (a second tab shows it too). `origin`, the connection that
   * voted, gets no echo: its ack says the answer was stored, and it knows the answer.
   */
  vote(participantId: string, factor: number, answer: Answer, comment: string | null | undefined, forRound?: number, origin?: string): Promise<VoteResult> {
    // Not an async function (each is a promise more per vote, on the hottest path of a room); a refusal still rejects.
    try {
      return this.answer(participantId, factor, answer, comment, forRound, origin);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private answer(
    participantId: string,
    factor: number,
    answer: Answer,
    comment: string | null | undefined,
    forRound?: number,
    origin?: string
  ): Promise<VoteResult> {
    this.deps.cell.assertAlive();
    requirePhase('vote', this.session.phase);
    if (forRound !== undefined && forRound !== this.session.round) {
      throw new CommandError('wrong_round', `That answer was for round ${forRound}; voting is now in round ${this.session.round}.`);
    }
    if (
      this.deps.phases.inCheckinRound &&
      (this.session.votingClosed || (this.session.votingDeadline !== null && this.deps.clock() >= this.session.votingDeadline))
    ) {
      // By the clock, not by the timer: an answer that arrives after the deadline, before the timer has fired, is late too.
      throw new CommandError('voting_closed', 'This check-in has closed: its deadline has passed, and answers can no longer be given or changed.');
    }
    if (this.session.votingClosed) throw new CommandError('voting_closed', 'The facilitator has closed voting for now.');
    if (factor < 1 || factor > this.deps.factorCount) throw new CommandError('not_found', `There is no factor ${factor}.`);
    if (!this.deps.members.has(participantId)) throw new CommandError('forbidden', 'You are no longer in this session.');
    const round = this.session.round;
    const stored = this.deps.ballots.answer(round, participantId, factor);
    const nextComment = comment === undefined ? (stored?.comment ?? null) : comment === null || comment.trim() === '' ? null : comment.trim();
    const reserved = this.deps.ballots.reserveComment(round, participantId, factor, nextComment, this.deps.commentBudget);
    if (reserved === 'participant') {
      throw new CommandError(
        'comments_full',
        `Your comments in this round may hold ${this.deps.commentBudget.perParticipant} characters (code units) in all; this one would take you to ${this.deps.ballots.commentUnits(round, participantId) - (stored?.comment?.length ?? 0) + (nextComment?.length ?? 0)}. Shorten it or another one; nothing was saved.`,
        ['participant']
      );
    }
    if (reserved === 'session') {
      throw new CommandError(
        'comments_full',
        `The comments of this round may hold ${this.deps.commentBudget.perSession} characters (code units) for the whole session, and they are full. Nothing was saved.`,
        ['session']
      );
    }
    let write: Promise<void>;
    try {
      write = this.deps.store.saveAnswer({ sessionId: this.session.id, round, participantId: participantId, factor, answer, comment: nextComment });
    } catch (error) {
      // A store that throws instead of rejecting: the reserved room is given back all the same, and the answer is the same.
      reserved();
      return Promise.reject(notCommitted(error, 'your answer'));
    }
    // Chained on the write, not awaited (see vote).
    return write.then(
      () => {
        reserved();
        // Writes commit in call order and their promises resolve in that order, so memory follows the store's order.
        if (!this.deps.members.has(participantId)) throw new CommandError('forbidden', 'You are no longer in this session.');
        const answered = this.deps.ballots.record(round, participantId, factor, { answer, comment: nextComment });
        if (!this.session.anonymous) this.deps.broadcasts.participantChanged(participantId);
        this.scheduleProgress();
        this.deps.fanout.toParticipantElsewhere(this.session.code, participantId, origin, 'ballot', { round, factor, answer, comment: nextComment });
        return { factor, answered };
      },
      (error: unknown) => {
        reserved();
        throw notCommitted(error, 'your answer');
      }
    );
  }

  /** Progress goes out at a bounded rate (room-broadcasts.ts). */
  private scheduleProgress(): void {
    this.deps.broadcasts.progress();
  }
}
