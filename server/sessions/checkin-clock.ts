import type { Phase } from '../../src/lib/domain/phases';
import { extensionProblem } from '../../src/lib/domain/checkins';
import { CommandError, type PhaseChange } from '../../src/lib/protocol';
import type { SessionRecord } from '../store/types';
import { requirePhase } from './policy';
import { DEADLINE_REACHED, DeadlineTimer, type ClockFields } from './voting-clock';

/**
 * What the check-in clock reads and asks of its room: the session as it stands, the room's
 * serial and clock, and the room's own phase and clock changes (store first, then memory and clients).
 */
export interface CheckinClockHost {
  session(): Readonly<SessionRecord>;
  isDeleted(): boolean;
  /** The server's injectable clock (tests move it days on). */
  clock(): number;
  /** Runs `task` under the session's serial, one session-wide change at a time. */
  serialised<T>(task: () => Promise<T>): Promise<T>;
  assertAlive(): void;
  applyPhase(to: Phase, countdownSeconds: number | null): Promise<PhaseChange>;
  applyClock(patch: ClockFields, also?: { deadline?: number }): Promise<PhaseChange>;
  /** Writes the deadline a check-in shows (store first, then memory). */
  recordDeadline(deadline: number): Promise<void>;
}

/**
 * A room's voting deadline: the one timer (DeadlineTimer) and what happens when it is reached, and a
 * check-in's own commands (extend, close early). The room delegates to it and keeps the session record.
 */
export class CheckinClock {
  private readonly deadline: DeadlineTimer;

  constructor(private readonly host: CheckinClockHost) {
    this.deadline = new DeadlineTimer(
      (deadline) =>
        // Serialised with the facilitator's changes; if the store cannot take it now, voting stays as stored and the deadline tries again.
        this.host.serialised(async () => {
          if (this.isDue(deadline)) await this.deadlineReached();
        }),
      (deadline) => this.isDue(deadline),
      // A check-in's deadline is read on the server's clock (injectable: tests move it days on); a countdown's on the wall clock.
      () => (this.host.session().mode === 'checkin' ? this.host.clock() : Date.now())
    );
  }

  /** (Re)arms the timer for the session as it stands now. */
  arm(): void {
    const session = this.host.session();
    this.deadline.arm(session.phase, session.votingDeadline);
  }

  cancel(): void {
    this.deadline.cancel();
  }

  /** A check-in still in its own round (round 1): its deadline, not a countdown, closes the ballot box. */
  get inCheckinRound(): boolean {
    const session = this.host.session();
    return session.mode === 'checkin' && session.round === 1;
  }

  /**
   * The ballot box's deadline passed (under the session's serial, checked due): a countdown closes the box; a
   * check-in revealing at its deadline reveals, in the one phase change a reveal always is, so it happens once
   * (the next load finds the session revealed and arms nothing). A check-in revealing at the meeting closes.
   */
  private async deadlineReached(): Promise<void> {
    if (this.inCheckinRound && this.host.session().revealAt === 'deadline') await this.host.applyPhase('revealed', null);
    else await this.host.applyClock(DEADLINE_REACHED);
  }

  /**
   * Acts on a deadline that has passed by the clock (the sweep calls it: after an injected clock moved on, or
   * on a room loaded after its deadline, whose timer fires too; both run through the serial and `isDue`).
   */
  checkDeadline(): Promise<void> {
    const session = this.host.session();
    return this.deadline.check(session.phase === 'voting' ? session.votingDeadline : null);
  }

  /** The facilitator moves a check-in's deadline later (it reopens a check-in closed by its deadline, if not revealed). */
  extendCheckin(deadline: number): Promise<PhaseChange> {
    return this.host.serialised(async () => {
      this.host.assertAlive();
      requirePhase('checkin:extend', this.host.session().phase);
      this.assertCheckinRound();
      const problem = extensionProblem(this.host.session().deadline ?? 0, deadline, this.host.clock());
      if (problem) throw new CommandError('bad_request', 'That deadline cannot be set.', [problem]);
      return this.host.applyClock({ votingDeadline: deadline, votingPausedMs: null, votingClosed: false }, { deadline });
    });
  }

  /** The facilitator closes a check-in before its deadline: it reveals now or waits for the meeting, as it was set up. */
  closeCheckin(): Promise<PhaseChange> {
    return this.host.serialised(async () => {
      this.host.assertAlive();
      requirePhase('checkin:close', this.host.session().phase);
      this.assertCheckinRound();
      const now = this.host.clock();
      // The deadline it shows from now on is when it closed.
      const shown = this.host.session().deadline;
      if (shown === null || shown > now) await this.host.recordDeadline(now);
      if (this.host.session().revealAt === 'deadline') return this.host.applyPhase('revealed', null);
      return this.host.applyClock(DEADLINE_REACHED);
    });
  }

  private assertCheckinRound(): void {
    if (!this.inCheckinRound) throw new CommandError('bad_request', 'This is not a check-in still open in its own round.');
  }

  private isDue(deadline: number): boolean {
    const session = this.host.session();
    return !this.host.isDeleted() && session.phase === 'voting' && session.votingDeadline === deadline;
  }
}
