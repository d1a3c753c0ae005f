/**
 * The answer path driven directly, without a room or sockets (tests/helpers/room-units.ts: the real store in
 * memory behind the fault-injecting store, the real ballots, roster and phase control, a recording fan-out).
 * What it proves: an answer is stored before it counts or is echoed, and the echo skips the connection that sent
 * it; a refused write leaves nothing, not even its share of the comment budget; the round, the clock and
 * membership are checked, the last again after the write (a removal that overtook it).
 */
import { describe, expect, it } from 'vitest';
import { roomUnits } from '../helpers/room-units';

describe('Votes', () => {
  it('stores an answer before it counts, echoes it to the other connections only, and a refused write leaves nothing', async () => {
    const u = await roomUnits({ phase: 'voting' }, { members: ['a', 'b'], commentBudget: { perParticipant: 10, perSession: 100 } });
    expect(await u.votes.vote('a', 1, 4, ' ten chars ', 1, 'tab-1')).toEqual({ factor: 1, answered: 1 });
    expect((await u.stored()).answers).toMatchObject([{ participantId: 'a', factor: 1, answer: 4, comment: 'ten chars' }]);
    expect(u.ballots.answer(1, 'a', 1)).toEqual({ answer: 4, comment: 'ten chars' });
    expect(u.events('ballot')).toEqual([
      { to: 'participant:a except tab-1', event: 'ballot', args: [{ round: 1, factor: 1, answer: 4, comment: 'ten chars' }] }
    ]);
    u.loop.turn();
    expect(u.events('progress').map((s) => s.args[0])).toContainEqual({ voted: 0, total: 2, perFactor: [1, 0, 0] });

    u.store.failWrites(1);
    await expect(u.votes.vote('b', 2, 3, '0123456789')).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(u.ballots.answer(1, 'b', 2)).toBeUndefined();
    expect(u.events('ballot')).toHaveLength(1);
    // The refused comment gave its room back: the same comment fits now.
    expect(u.ballots.commentUnits(1, 'b')).toBe(0);
    await u.votes.vote('b', 2, 3, '0123456789');
    expect((await u.stored()).answers).toHaveLength(2);
  });

  it('gives the comment budget back and answers store_unavailable when the store throws instead of rejecting', async () => {
    const u = await roomUnits({ phase: 'voting' }, { members: ['a'], commentBudget: { perParticipant: 10, perSession: 100 } });
    const saveAnswer = u.store.saveAnswer.bind(u.store);
    let throwOnce = true;
    u.store.saveAnswer = (answer) => {
      if (!throwOnce) return saveAnswer(answer);
      throwOnce = false;
      throw new Error('SQLITE_MISUSE: statement finalized');
    };
    await expect(u.votes.vote('a', 1, 3, '0123456789')).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(u.ballots.answer(1, 'a', 1)).toBeUndefined();
    // Nothing was stored, so nothing of the budget is taken: the same comment fits again.
    expect(u.ballots.commentUnits(1, 'a')).toBe(0);
    expect(await u.votes.vote('a', 1, 3, '0123456789')).toEqual({ factor: 1, answered: 1 });
  });

  it('refuses another round, closed voting, an unknown factor, a stranger and an over-long comment, storing nothing', async () => {
    const u = await roomUnits({ phase: 'voting', round: 2 }, { members: ['a'], commentBudget: { perParticipant: 5, perSession: 100 } });
    await expect(u.votes.vote('a', 1, 4, null, 1)).rejects.toMatchObject({ code: 'wrong_round' });
    await expect(u.votes.vote('a', 9, 4, null)).rejects.toMatchObject({ code: 'not_found' });
    await expect(u.votes.vote('zz', 1, 4, null)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(u.votes.vote('a', 1, 4, 'too long')).rejects.toMatchObject({ code: 'comments_full', details: ['participant'] });
    u.cell.merge({ votingClosed: true });
    await expect(u.votes.vote('a', 1, 4, null)).rejects.toMatchObject({ code: 'voting_closed' });
    u.cell.merge({ votingClosed: false, phase: 'revealed' });
    await expect(u.votes.vote('a', 1, 4, null)).rejects.toMatchObject({ code: 'wrong_phase' });
    expect((await u.stored()).answers).toEqual([]);
  });

  it("refuses a check-in's answer that arrives after its deadline by the clock, before the timer has fired", async () => {
    const deadline = Date.parse('2026-03-01T12:00:00Z');
    const u = await roomUnits(
      { phase: 'voting', mode: 'checkin', votingDeadline: deadline, deadline, revealAt: 'manual' },
      { members: ['a'], now: deadline - 1 }
    );
    await u.votes.vote('a', 1, 4, null);
    u.moveTo(deadline);
    await expect(u.votes.vote('a', 2, 4, null)).rejects.toMatchObject({ code: 'voting_closed' });
    expect((await u.stored()).answers).toHaveLength(1);
  });

  it('does not count an answer whose participant was removed while it was being written', async () => {
    const u = await roomUnits({ phase: 'voting' }, { members: ['a', 'b'] });
    const voting = u.votes.vote('a', 1, 4, null);
    // The removal overtakes the write in memory (the door's own path is tested in session-door.test.ts).
    u.ballots.removeMember('a');
    u.roster.remove('a');
    await expect(voting).rejects.toMatchObject({ code: 'forbidden' });
    expect(u.ballots.answer(1, 'a', 1)).toBeUndefined();
    expect(u.ballots.progress()).toEqual({ voted: 0, total: 1, perFactor: [0, 0, 0] });
    expect(u.events('ballot')).toEqual([]);
  });
});
