import { describe, expect, it } from 'vitest';
import { clockOf, controlClock, DeadlineTimer, transition, type PhaseFields } from '../../server/sessions/voting-clock';
import { waitFor } from '../helpers/clients';
import { CommandError, LIMITS } from '../../src/lib/protocol';

const lobby: PhaseFields = { phase: 'lobby', round: 1, votingDeadline: null, votingClosed: false, votingPausedMs: null, revealedRounds: [] };

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CommandError);
    return (error as CommandError).code;
  }
  throw new Error('expected a CommandError');
}

describe('transition', () => {
  it(`opens at most ${LIMITS.roundsPerSession} rounds: the next one is refused rounds_full`, () => {
    const rounds = Array.from({ length: LIMITS.roundsPerSession }, (_, i) => i + 1);
    const last: PhaseFields = { ...lobby, phase: 'revealed', round: LIMITS.roundsPerSession, revealedRounds: rounds };
    expect(code(() => transition(last, 'voting', null, 0))).toBe('rounds_full');
    expect(transition({ ...last, round: LIMITS.roundsPerSession - 1 }, 'voting', null, 0).next.round).toBe(LIMITS.roundsPerSession);
    expect(transition(last, 'actions', null, 0).next.phase).toBe('actions');
  });

  it('opens round 1 from the lobby with a countdown, the next round after a reveal, and freezes a round once', () => {
    const { next: voting } = transition(lobby, 'voting', 60, 1000);
    expect(voting).toMatchObject({ phase: 'voting', round: 1, votingDeadline: 61_000, votingClosed: false });
    const first = transition(voting, 'revealed', undefined, 2000);
    expect(first.revealing).toBe(true);
    expect(first.next).toMatchObject({ phase: 'revealed', votingDeadline: null, revealedRounds: [1] });
    const again = transition(first.next, 'voting', null, 3000);
    expect(again.next.round).toBe(2);
    expect(again.next.votingDeadline).toBeNull();
  });

  it('refuses a transition the phase machine does not allow, and a countdown outside voting, changing nothing', () => {
    expect(code(() => transition(lobby, 'actions', null, 0))).toBe('invalid_transition');
    const { next: voting } = transition(lobby, 'voting', null, 0);
    expect(code(() => transition(voting, 'revealed', 30, 0))).toBe('bad_request');
    expect(lobby.phase).toBe('lobby');
  });
});

describe('controlClock', () => {
  const running = { votingDeadline: 10_000, votingPausedMs: null, votingClosed: false };
  it('pauses with the time left, resumes from it, extends within the cap, closes and reopens', () => {
    const paused = controlClock(running, { action: 'pause' }, 4000);
    expect(paused).toEqual({ votingDeadline: null, votingPausedMs: 6000, votingClosed: false });
    expect(controlClock(paused, { action: 'resume' }, 50_000)).toEqual({ votingDeadline: 56_000, votingPausedMs: null, votingClosed: false });
    expect(controlClock(paused, { action: 'extend', seconds: 30 }, 0)).toEqual({ votingDeadline: null, votingPausedMs: 36_000, votingClosed: false });
    expect(controlClock(running, { action: 'extend', seconds: 10 ** 6 }, 0).votingDeadline).toBe(LIMITS.countdownMax * 1000);
    const closed = controlClock(running, { action: 'close' }, 0);
    expect(closed).toEqual({ votingDeadline: null, votingPausedMs: null, votingClosed: true });
    // Extending a closed ballot box opens it again for the extension only.
    expect(controlClock(closed, { action: 'extend', seconds: 20 }, 1000)).toEqual({ votingDeadline: 21_000, votingPausedMs: null, votingClosed: false });
    expect(controlClock(closed, { action: 'reopen' }, 0).votingClosed).toBe(false);
  });

  it('refuses to pause without a countdown or resume without a pause', () => {
    const open = { votingDeadline: null, votingPausedMs: null, votingClosed: false };
    expect(code(() => controlClock(open, { action: 'pause' }, 0))).toBe('bad_request');
    expect(code(() => controlClock(running, { action: 'resume' }, 0))).toBe('bad_request');
  });

  it('stamps the clock with the server time', () => {
    expect(clockOf(running, 123)).toEqual({ ...running, serverNow: 123 });
  });
});

describe('DeadlineTimer', () => {
  /** A timer whose expiry fails when told to; `calls` counts expiries. */
  function failingTimer() {
    const failures: ((error: Error) => void)[] = [];
    const timer = new DeadlineTimer(
      () => new Promise<void>((_, reject) => void failures.push(reject)),
      () => true,
      () => 1_000
    );
    return { timer, failures };
  }
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  it('tries a failed expiry again later', async () => {
    const { timer, failures } = failingTimer();
    timer.arm('voting', 1_000);
    await waitFor(() => failures.length === 1, { message: 'the expiry' });
    failures[0](new Error('the store is away'));
    await nextTurn();
    expect(timer.waiting).toBe(true);
    timer.cancel();
    expect(timer.waiting).toBe(false);
  });

  it('does not try again once cancelled while the expiry was failing (the room went meanwhile)', async () => {
    const { timer, failures } = failingTimer();
    timer.arm('voting', 1_000);
    await waitFor(() => failures.length === 1, { message: 'the expiry' });
    timer.cancel();
    failures[0](new Error('the store is away'));
    await nextTurn();
    expect(timer.waiting).toBe(false);
  });
});
