/**
 * The check-in clock driven directly, without a room or sockets: a host that keeps the session record in
 * memory and applies phase and clock changes as the room does (memory only here: the room's store-first
 * writes are covered by the integration tests of check-ins).
 */
import { describe, expect, it } from 'vitest';
import { CheckinClock } from '../../server/sessions/checkin-clock';
import type { SessionRecord } from '../../server/store/types';
import { CommandError, type PhaseChange } from '../../src/lib/protocol';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 6, 12, 0);

function setup(patch: Partial<SessionRecord> = {}) {
  let session = {
    id: 's1',
    phase: 'voting',
    round: 1,
    mode: 'checkin',
    revealAt: 'deadline',
    deadline: NOW + HOUR,
    votingDeadline: NOW + HOUR,
    votingClosed: false,
    votingPausedMs: null,
    ...patch
  } as SessionRecord;
  let now = NOW;
  const calls: string[] = [];
  const change = (): PhaseChange => ({ phase: session.phase }) as PhaseChange;
  let queue: Promise<unknown> = Promise.resolve();
  const clock = new CheckinClock({
    session: () => session,
    isDeleted: () => false,
    clock: () => now,
    serialised: (task) => {
      const run = queue.then(task);
      queue = run.catch(() => undefined);
      return run;
    },
    assertAlive: () => undefined,
    applyPhase: async (to) => {
      calls.push(`phase ${to}`);
      session = { ...session, phase: to };
      clock.arm();
      return change();
    },
    applyClock: async (patch, also = {}) => {
      calls.push(`clock ${JSON.stringify({ ...patch, ...also })}`);
      session = { ...session, ...patch, ...also };
      clock.arm();
      return change();
    },
    recordDeadline: async (deadline) => {
      calls.push(`deadline ${deadline - NOW}`);
      session = { ...session, deadline };
    }
  });
  return { clock, calls, session: () => session, moveTo: (t: number) => (now = t) };
}

describe('CheckinClock', () => {
  it('reveals a check-in at its deadline once the clock has passed it, and not before', async () => {
    const { clock, calls, session, moveTo } = setup();
    await clock.checkDeadline();
    expect(calls).toEqual([]);
    moveTo(NOW + HOUR);
    await clock.checkDeadline();
    expect(calls).toEqual(['phase revealed']);
    expect(session().phase).toBe('revealed');
    // Revealed: nothing is due any more.
    await clock.checkDeadline();
    expect(calls).toEqual(['phase revealed']);
    clock.cancel();
  });

  it('closes the ballot box at the deadline of a check-in revealed at the meeting', async () => {
    const { clock, calls, moveTo } = setup({ revealAt: 'manual' });
    moveTo(NOW + 2 * HOUR);
    await clock.checkDeadline();
    expect(calls).toEqual([`clock ${JSON.stringify({ votingDeadline: null, votingPausedMs: null, votingClosed: true })}`]);
    clock.cancel();
  });

  it('closes early by recording the deadline as now, then reveals as it was set up', async () => {
    const { clock, calls, session } = setup();
    await clock.closeCheckin();
    expect(calls).toEqual(['deadline 0', 'phase revealed']);
    expect(session().deadline).toBe(NOW);
  });

  it('extends a check-in to a later deadline and refuses an earlier one or a session past its own round', async () => {
    const { clock, calls, session } = setup();
    await clock.extendCheckin(NOW + 2 * HOUR);
    expect(session().votingDeadline).toBe(NOW + 2 * HOUR);
    expect(session().deadline).toBe(NOW + 2 * HOUR);
    await expect(clock.extendCheckin(NOW + HOUR)).rejects.toBeInstanceOf(CommandError);
    expect(calls).toHaveLength(1);
    clock.cancel();

    const meeting = setup({ round: 2 });
    expect(meeting.clock.inCheckinRound).toBe(false);
    await expect(meeting.clock.closeCheckin()).rejects.toThrow(/not a check-in/);
    const live = setup({ mode: 'live' });
    expect(live.clock.inCheckinRound).toBe(false);
  });
});
