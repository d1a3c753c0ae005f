/**
 * The action board driven with its explicit dependencies, without a room or sockets (tests/helpers/room-units.ts:
 * the real store in memory behind the fault-injecting store, the room's one session cell and roster, a recording
 * fan-out). What it proves: the board reads the session (phase, dots per person, deletion) from the cell the other
 * units update, and membership from the roster, at the moment a change runs, not when it was sent.
 */
import { describe, expect, it } from 'vitest';
import { roomUnits } from '../helpers/room-units';

const ann = { role: 'participant', participantId: 'a' } as const;

async function board() {
  const u = await roomUnits({ phase: 'actions' }, { members: ['a', 'b'] });
  await u.board.createAction({ role: 'facilitator' }, { id: 'p1', factor: 1 }, () => undefined);
  return u;
}

describe('ActionBoard', () => {
  it('follows the session cell: the phase, the number of dots and the deletion other units wrote', async () => {
    const u = await board();
    expect(await u.board.castDot(ann, 'p1', 1)).toMatchObject({ totals: { p1: 1 } });
    u.cell.merge({ settings: { ...u.cell.record.settings, dotsPerPerson: 1 } });
    await expect(u.board.castDot(ann, 'p1', 1)).rejects.toMatchObject({ code: 'no_dots_left' });
    u.cell.merge({ phase: 'closed' });
    await expect(u.board.castDot(ann, 'p1', -1)).rejects.toMatchObject({ code: 'wrong_phase' });
    u.cell.merge({ phase: 'actions' });
    u.cell.markDeleted();
    await expect(u.board.castDot(ann, 'p1', -1)).rejects.toMatchObject({ code: 'not_found' });
    await expect(u.board.removeAction({ role: 'facilitator' }, 'p1')).rejects.toMatchObject({ code: 'not_found' });
    expect((await u.stored()).dots).toMatchObject([{ voterId: 'a', actionId: 'p1', count: 1 }]);
    u.board.dispose();
  });

  it('refuses a change of someone the roster no longer holds, storing nothing', async () => {
    const u = await board();
    u.roster.remove('a');
    await expect(u.board.castDot(ann, 'p1', 1)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(u.board.createAction(ann, { id: 'p2', factor: 2 }, () => undefined)).rejects.toMatchObject({ code: 'forbidden' });
    const stored = await u.stored();
    expect(stored.dots).toEqual([]);
    expect(stored.actions.map((a) => a.id)).toEqual(['p1']);
    // Another member is still let through.
    await u.board.castDot({ role: 'participant', participantId: 'b' }, 'p1', 1);
    u.board.dispose();
  });

  it('casts a dot sent again after its answer was lost once: `from` is the sender’s dots on the point when they clicked', async () => {
    const u = await board();
    await u.board.createAction({ role: 'facilitator' }, { id: 'p2', factor: 2 }, () => undefined);
    // The first send lands; its answer is lost; the page sends it again, twice, with the same `from`.
    for (let send = 0; send < 3; send++) expect(await u.board.castDot(ann, 'p1', 1, undefined, 0)).toMatchObject({ mine: { p1: 1 }, remaining: 2 });
    // A dot elsewhere meanwhile does not stop a resend of another point's dot whose first send never arrived.
    expect(await u.board.castDot(ann, 'p2', 1, undefined, 0)).toMatchObject({ mine: { p1: 1, p2: 1 }, remaining: 1 });
    // Taking back, sent twice: one dot back.
    for (let send = 0; send < 2; send++) expect(await u.board.castDot(ann, 'p1', -1, undefined, 1)).toMatchObject({ mine: { p2: 1 }, remaining: 2 });
    const stored = await u.stored();
    expect(stored.dots.filter((d) => d.count > 0).map((d) => [d.actionId, d.count])).toEqual([['p2', 1]]);
    // Without `from` (older pages) each send counts, as before.
    await u.board.castDot(ann, 'p1', 1);
    expect(await u.board.castDot(ann, 'p1', 1)).toMatchObject({ mine: { p1: 2, p2: 1 }, remaining: 0 });
    u.board.dispose();
  });
});
