import { canTransition, type Phase } from '../../src/lib/domain/phases';
import { CommandError, LIMITS, type PhaseChange, type VotingClock } from '../../src/lib/protocol';
import type { SessionRecord } from '../store/types';

/** What the facilitator can do to the voting clock without revealing (`voting:control`). */
export type VotingControl = { action: 'extend'; seconds: number } | { action: 'pause' | 'resume' | 'clear' | 'close' | 'reopen' };

export type ClockFields = Pick<SessionRecord, 'votingDeadline' | 'votingPausedMs' | 'votingClosed'>;
export type PhaseFields = Pick<SessionRecord, 'phase' | 'round' | 'votingDeadline' | 'votingClosed' | 'votingPausedMs' | 'revealedRounds'>;

/** The voting clock as clients should show it, stamped with the server's time. */
export function clockOf(s: ClockFields, now: number): VotingClock {
  return { votingDeadline: s.votingDeadline, votingPausedMs: s.votingPausedMs, votingClosed: s.votingClosed, serverNow: now };
}

export function phaseChangeOf(s: PhaseFields, now: number): PhaseChange {
  return { phase: s.phase, round: s.round, ...clockOf(s, now) };
}

/**
 * The session's phase fields after moving to `to` (pure; throws a CommandError when the move is not allowed).
 * Opening voting after the lobby starts round 1, after any other phase the next round; a reveal adds the round to
 * the revealed ones (`revealing` says whether this move is the round's first reveal, whose results are frozen now).
 */
export function transition(s: PhaseFields, to: Phase, countdownSeconds: number | null | undefined, now: number): { next: PhaseFields; revealing: boolean } {
  if (!canTransition(s.phase, to)) throw new CommandError('invalid_transition', `The session cannot go from "${s.phase}" to "${to}".`);
  if (countdownSeconds && to !== 'voting') throw new CommandError('bad_request', 'A countdown only applies when opening voting.');
  const next: PhaseFields = { phase: to, round: s.round, revealedRounds: s.revealedRounds, votingClosed: false, votingPausedMs: null, votingDeadline: null };
  if (to === 'voting') {
    next.round = s.phase === 'lobby' ? Math.max(1, s.round) : s.round + 1;
    // Every round is frozen for good, comments and all, and read back on every room load: their number is bounded.
    if (next.round > LIMITS.roundsPerSession) {
      throw new CommandError('rounds_full', `A session holds at most ${LIMITS.roundsPerSession} voting rounds; this one has had them all.`);
    }
    next.votingDeadline = countdownSeconds ? now + countdownSeconds * 1000 : null;
  }
  const revealing = to === 'revealed' && !s.revealedRounds.includes(next.round);
  if (revealing) next.revealedRounds = [...s.revealedRounds, next.round];
  return { next, revealing };
}

/** The clock after a `voting:control` (pure; throws a CommandError when it does not apply). Only while voting. */
export function controlClock(s: ClockFields, control: VotingControl, now: number): ClockFields {
  const remaining = s.votingPausedMs ?? (s.votingDeadline !== null ? Math.max(0, s.votingDeadline - now) : null);
  switch (control.action) {
    case 'extend': {
      const base = s.votingClosed || remaining === null ? 0 : remaining;
      const total = Math.min(base + control.seconds * 1000, LIMITS.countdownMax * 1000);
      return s.votingPausedMs !== null
        ? { votingDeadline: null, votingPausedMs: total, votingClosed: false }
        : { votingDeadline: now + total, votingPausedMs: null, votingClosed: false };
    }
    case 'pause':
      if (s.votingDeadline === null) throw new CommandError('bad_request', 'There is no running countdown to pause.');
      return { votingDeadline: null, votingPausedMs: remaining, votingClosed: s.votingClosed };
    case 'resume':
      if (s.votingPausedMs === null) throw new CommandError('bad_request', 'The countdown is not paused.');
      return { votingDeadline: now + s.votingPausedMs, votingPausedMs: null, votingClosed: s.votingClosed };
    case 'clear':
      return { votingDeadline: null, votingPausedMs: null, votingClosed: s.votingClosed };
    case 'close':
      return { votingDeadline: null, votingPausedMs: null, votingClosed: true };
    case 'reopen':
      return { votingDeadline: null, votingPausedMs: null, votingClosed: false };
    default: {
      const unreachable: never = control;
      throw new CommandError('bad_request', `Unknown voting control ${String(unreachable)}`);
    }
  }
}

/** What a countdown's end does: closes the ballot box (revealing stays a separate, deliberate step). */
export const DEADLINE_REACHED: ClockFields = { votingDeadline: null, votingPausedMs: null, votingClosed: true };

/** The longest a deadline timer waits before it looks at the clock again (a day; setTimeout cannot wait past ~24.8 days). */
export const MAX_TIMER_MS = 86_400_000;

/** When the store refused to close voting at a countdown's end, how long until it is tried again. */
export const DEADLINE_RETRY_MS = 5000;

/**
 * The one timer of a voting countdown. `arm` replaces any earlier one; at the
 * deadline it calls `expire`, and when that fails (the store refused) it tries
 * again later as long as the same deadline still stands.
 */
export class DeadlineTimer {
  private timer: NodeJS.Timeout | null = null;
  /** Counts cancellations (arm cancels first): an expiry that failed retries only if none came meanwhile. */
  private generation = 0;

  constructor(
    private readonly expire: (deadline: number) => Promise<void>,
    private readonly stillDue: (deadline: number) => boolean,
    /** The clock the deadline is read against (a check-in's is the server's injectable clock; tests move it days on). */
    private readonly now: () => number = Date.now
  ) {}

  arm(phase: Phase, deadline: number | null): void {
    this.cancel();
    if (phase !== 'voting' || deadline === null) return;
    this.wait(deadline);
  }

  /**
   * A check-in's deadline may be weeks away, beyond setTimeout's ~24.8 days (a longer delay fires at once):
   * the timer waits at most MAX_TIMER_MS and looks again.
   */
  private wait(deadline: number): void {
    this.timer = setTimeout(() => this.fire(deadline), Math.min(MAX_TIMER_MS, Math.max(0, deadline - this.now())));
    this.timer.unref();
  }

  /** Fires now if `deadline` has passed by the clock (a sweep after an injected clock moved on); resolves once handled. */
  async check(deadline: number | null): Promise<void> {
    if (deadline === null || this.now() < deadline || !this.stillDue(deadline)) return;
    await this.expire(deadline);
  }

  private fire(deadline: number): void {
    this.timer = null;
    if (!this.stillDue(deadline)) return;
    if (this.now() < deadline) return this.wait(deadline);
    // Which arming this is: a cancel (or a new deadline) while the store was failing must not be undone by the retry.
    const generation = this.generation;
    this.expire(deadline).catch(() => {
      if (generation !== this.generation || !this.stillDue(deadline)) return;
      this.timer = setTimeout(() => this.fire(deadline), DEADLINE_RETRY_MS);
      this.timer.unref();
    });
  }

  /** Whether a timer is set (the deadline's, or a retry's after a failed expiry). */
  get waiting(): boolean {
    return this.timer !== null;
  }

  cancel(): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
