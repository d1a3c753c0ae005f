/**
 * Hiding revealed comments driven directly (tests/helpers/room-units.ts: the real store in memory behind the
 * fault-injecting store, the real phase control freezing the round, a recording fan-out). What it proves: a
 * comment is hidden (and shown again) store first, and only a comment its revealed round showed; a refused write
 * leaves it shown.
 */
import { describe, expect, it } from 'vitest';
import { roomUnits } from '../helpers/room-units';

async function revealedWithComments() {
  const u = await roomUnits(
    {
      phase: 'voting',
      settings: { weakBelow: 3, divergentBelow: 0.6, unclearFrom: 1 / 3, dotsPerPerson: 3, minVoters: 1, hideDotTotals: false, joinsLocked: false }
    },
    { members: ['a', 'b'] }
  );
  await u.votes.vote('a', 2, 4, 'keep this');
  await u.votes.vote('b', 2, 2, 'hide this');
  await u.phases.setPhase('revealed', null);
  return u;
}

const commentsOf = (u: Awaited<ReturnType<typeof roomUnits>>, factor: number) => u.results.results()[0].comments?.[factor - 1];

describe('HiddenComments', () => {
  it('hides a comment its round showed, store first, and shows it again', async () => {
    const u = await revealedWithComments();
    expect(commentsOf(u, 2)?.slice().sort()).toEqual(['hide this', 'keep this']);
    const hidden = await u.comments.hideComment({ round: 1, factor: 2, text: 'hide this' }, true);
    expect(hidden).toEqual([{ round: 1, factor: 2, text: 'hide this' }]);
    expect((await u.stored()).hiddenComments).toEqual(hidden);
    expect(commentsOf(u, 2)).toEqual(['keep this']);
    expect(u.events('comments:hidden').map((s) => s.to)).toEqual(['facilitators']);
    expect(u.events('results').at(-1)?.args[0]).toEqual(u.results.results());

    expect(await u.comments.hideComment({ round: 1, factor: 2, text: 'hide this' }, false)).toEqual([]);
    expect((await u.stored()).hiddenComments).toEqual([]);
    expect(commentsOf(u, 2)?.slice().sort()).toEqual(['hide this', 'keep this']);
  });

  it('leaves the comment shown when the write is refused, and refuses a comment the round did not show', async () => {
    const u = await revealedWithComments();
    const sentBefore = u.sent.length;
    u.store.failWrites(1);
    await expect(u.comments.hideComment({ round: 1, factor: 2, text: 'hide this' }, true)).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(u.revealed.hiddenComments()).toEqual([]);
    expect(commentsOf(u, 2)).toContain('hide this');
    expect(u.sent.length).toBe(sentBefore);

    await expect(u.comments.hideComment({ round: 1, factor: 1, text: 'hide this' }, true)).rejects.toMatchObject({ code: 'not_found' });
    await expect(u.comments.hideComment({ round: 2, factor: 2, text: 'hide this' }, true)).rejects.toMatchObject({ code: 'wrong_phase' });
    expect((await u.stored()).hiddenComments).toEqual([]);
  });
});
