/**
 * The door driven directly, without a room or sockets: the real store in memory (behind the fault-injecting
 * store), the real roster, ballots and dots, and a fan-out that records what was sent. What it proves: a join is
 * stored before anyone hears of it and a failed one leaves no trace; the lock, a lock in flight, the cap and the
 * phase refuse joins; removals (one or a batch) are one store write, tell the host of each person and give their
 * dots back, and a failed one removes nobody.
 */
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/lib/protocol';
import { roomUnits } from '../helpers/room-units';

const person = (name: string, group: string | null = null) => ({ name, group, language: null });

describe('Door', () => {
  it('stores a join before the facilitator hears of it, and a failed join leaves no trace', async () => {
    const u = await roomUnits({ phase: 'lobby' });
    const { participant } = await u.door.join(person('Ada', 'staff'), 10);
    expect((await u.stored()).participants.map((p) => p.name)).toEqual(['Ada']);
    expect(u.roster.has(participant.id)).toBe(true);
    expect(u.events('participant').map((s) => (s.args[0] as { name: string }).name)).toEqual(['Ada']);

    u.store.failWrites(1);
    await expect(u.door.join(person('Bob'), 10)).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(u.roster.taken).toBe(1);
    expect(u.events('participant')).toHaveLength(1);
    // The name is free again.
    await u.door.join(person('Bob'), 10);
    expect((await u.stored()).participants.map((p) => p.name).sort()).toEqual(['Ada', 'Bob']);
  });

  it('refuses an unknown group, a full session, a locked door and a lock still being written', async () => {
    const u = await roomUnits({ phase: 'lobby' });
    await expect(u.door.join(person('Ada', 'nobody'), 10)).rejects.toMatchObject({ code: 'bad_request' });
    await u.door.join(person('Ada'), 1);
    await expect(u.door.join(person('Bob'), 1)).rejects.toMatchObject({ code: 'session_full' });

    let release!: () => void;
    const write = new Promise<void>((resolve) => (release = resolve));
    const locking = u.door.locking(write);
    expect(() => u.door.assertJoinable(10)).toThrow(expect.objectContaining({ code: 'joins_locked' }));
    release();
    await locking;
    expect(() => u.door.assertJoinable(10)).not.toThrow();

    u.cell.merge({ settings: { ...u.cell.record.settings, joinsLocked: true } });
    await expect(u.door.join(person('Cas'), 10)).rejects.toMatchObject({ code: 'joins_locked' });
    expect((await u.stored()).participants).toHaveLength(1);
  });

  it('removes a batch in one write, tells the host of each person, gives their dots back and lists who was not there', async () => {
    const u = await roomUnits({ phase: 'actions' }, { members: ['a', 'b', 'c'] });
    u.dots.set('a', 'point1', 2);
    const result = await u.door.removeParticipants(['a', 'b', 'b', 'zz']);
    expect(result).toEqual({ removed: ['a', 'b'], notFound: ['zz'], participants: 1 });
    expect((await u.stored()).participants.map((p) => p.id)).toEqual(['c']);
    expect(u.told).toEqual(['removed a', 'removed b', 'dotsChanged']);
    expect(u.events('removed').map((s) => s.to)).toEqual(['participant:a', 'participant:b']);
    expect(u.dots.totals()).toEqual({});
    await expect(u.door.removeParticipant('a')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('removes nobody when the write fails, and refuses a batch above the limit before writing', async () => {
    const u = await roomUnits({ phase: 'voting' }, { members: ['a', 'b'] });
    u.store.failWrites(1);
    await expect(u.door.removeParticipants(['a', 'b'])).rejects.toMatchObject({ code: 'store_unavailable' });
    expect([...u.roster.members.keys()]).toEqual(['a', 'b']);
    expect(u.told).toEqual([]);
    const many = Array.from({ length: LIMITS.removeBatchMax + 1 }, (_, i) => `p${i}`);
    await expect(u.door.removeParticipants(many)).rejects.toMatchObject({ code: 'bad_request' });
    expect((await u.stored()).participants).toHaveLength(2);
  });

  it('refuses everything once the session is deleted', async () => {
    const u = await roomUnits({ phase: 'lobby' }, { members: ['a'] });
    u.cell.markDeleted();
    await expect(u.door.join(person('Ada'), 10)).rejects.toMatchObject({ code: 'not_found' });
    await expect(u.door.removeParticipant('a')).rejects.toMatchObject({ code: 'not_found' });
  });
});
