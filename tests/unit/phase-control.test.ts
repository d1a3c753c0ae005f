/**
 * The phase control and a check-in's commands driven directly, without a room or sockets: the real store in
 * memory, the real units around them (tests/helpers/room-units.ts) and a fan-out that records what was sent.
 * What it proves: a check-in's deadline reveals (or closes) once the clock passed it, store first; a check-in's
 * commands change the phase and clock through the phase control, not through a room; a refused write changes
 * nothing in memory; a phase change resets the presented factor and tells the host.
 */
import { describe, expect, it } from 'vitest';
import { CommandError } from '../../src/lib/protocol';
import type { SessionRecord } from '../../server/store/types';
import { roomUnits } from '../helpers/room-units';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 6, 12, 0);

const checkin = (patch: Partial<SessionRecord> = {}) =>
  roomUnits(
    { phase: 'voting', round: 1, mode: 'checkin', revealAt: 'deadline', deadline: NOW + HOUR, votingDeadline: NOW + HOUR, ...patch },
    { members: ['a', 'b', 'c'], now: NOW }
  );

describe('PhaseControl and CheckinClock', () => {
  it('reveals a check-in at its deadline once the clock has passed it, and not before, store first', async () => {
    const u = await checkin();
    await u.phases.checkDeadline();
    expect(u.cell.record.phase).toBe('voting');
    u.moveTo(NOW + HOUR);
    await u.phases.checkDeadline();
    expect(u.cell.record.phase).toBe('revealed');
    expect((await u.stored()).session.phase).toBe('revealed');
    expect((await u.stored()).session.revealedRounds).toEqual([1]);
    expect(u.revealed.has(1)).toBe(true);
    expect(u.events('phase')).toHaveLength(1);
    expect(u.events('results')).toHaveLength(1);
    // The results before the phase: no screen shows the round before's results under the revealed phase of this one.
    expect(u.sent.map((s) => s.event).filter((e) => e === 'phase' || e === 'results')).toEqual(['results', 'phase']);
    expect(u.told).toEqual(['phaseChanged']);
    // Revealed: nothing is due any more.
    await u.phases.checkDeadline();
    expect(u.events('phase')).toHaveLength(1);
    u.phases.cancel();
  });

  it('closes the ballot box at the deadline of a check-in revealed at the meeting', async () => {
    const u = await checkin({ revealAt: 'manual' });
    u.moveTo(NOW + 2 * HOUR);
    await u.phases.checkDeadline();
    const { session } = await u.stored();
    expect([session.phase, session.votingClosed, session.votingDeadline]).toEqual(['voting', true, null]);
    expect(u.cell.record.votingClosed).toBe(true);
    u.phases.cancel();
  });

  it('keeps the stored state when the deadline cannot be written, and acts on it once the store takes it', async () => {
    const u = await checkin();
    u.moveTo(NOW + HOUR);
    u.store.failWrites(1);
    await expect(u.phases.checkDeadline()).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(u.cell.record.phase).toBe('voting');
    expect(u.revealed.has(1)).toBe(false);
    expect(u.events('phase')).toEqual([]);
    await u.phases.checkDeadline();
    expect(u.cell.record.phase).toBe('revealed');
    u.phases.cancel();
  });

  it('closes early by recording the deadline as now, then reveals as it was set up', async () => {
    const u = await checkin();
    await u.checkin.closeCheckin();
    expect(u.cell.record.deadline).toBe(NOW);
    expect(u.cell.record.phase).toBe('revealed');
    const { session } = await u.stored();
    expect([session.deadline, session.phase]).toEqual([NOW, 'revealed']);
  });

  it('extends a check-in to a later deadline and refuses an earlier one or a session past its own round', async () => {
    const u = await checkin();
    await u.checkin.extendCheckin(NOW + 2 * HOUR);
    expect(u.cell.record.votingDeadline).toBe(NOW + 2 * HOUR);
    expect((await u.stored()).session.deadline).toBe(NOW + 2 * HOUR);
    await expect(u.checkin.extendCheckin(NOW + HOUR)).rejects.toBeInstanceOf(CommandError);
    expect(u.events('phase')).toHaveLength(1);
    // A countdown's controls would unmake a check-in's deadline.
    await expect(u.phases.controlVoting({ action: 'pause' })).rejects.toMatchObject({ code: 'bad_request' });
    u.phases.cancel();

    const meeting = await checkin({ round: 2 });
    expect(meeting.phases.inCheckinRound).toBe(false);
    await expect(meeting.checkin.closeCheckin()).rejects.toThrow(/not a check-in/);
    const live = await checkin({ mode: 'live' });
    expect(live.phases.inCheckinRound).toBe(false);
    meeting.phases.cancel();
    live.phases.cancel();
  });

  it('resets the presented factor at a phase change, and sends a new round the facilitator list afresh', async () => {
    const u = await roomUnits({ phase: 'revealed', round: 1, revealedRounds: [1] }, { members: ['a'] });
    u.phases.presentFactor(2);
    expect(u.phases.presentedFactor).toBe(2);
    expect(() => u.phases.presentFactor(9)).toThrow(/no such factor/);
    await u.phases.setPhase('voting', null);
    expect(u.phases.presentedFactor).toBeNull();
    expect(u.cell.record.round).toBe(2);
    expect(u.events('participants')).toHaveLength(1);
    u.phases.cancel();
  });

  it('refuses every change once the session is deleted', async () => {
    const u = await checkin();
    u.cell.markDeleted();
    await expect(u.phases.setPhase('revealed', null)).rejects.toMatchObject({ code: 'not_found' });
    await expect(u.checkin.closeCheckin()).rejects.toMatchObject({ code: 'not_found' });
    u.moveTo(NOW + HOUR);
    await u.phases.checkDeadline();
    expect((await u.stored()).session.phase).toBe('voting');
  });
});
