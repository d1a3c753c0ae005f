/**
 * How a room ends, driven directly (tests/helpers/room-units.ts: the real store in memory behind the
 * fault-injecting store, the real units, a recording fan-out and a hand-driven event loop). What it proves: a
 * deletion is stored before anyone hears of it and a refused one leaves the session as it was; deleted or purged,
 * the host is told once, clients hear it before their sockets close, every later command is refused, and nothing
 * pending is sent afterwards.
 */
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { roomUnits } from '../helpers/room-units';

describe('SessionEnd', () => {
  it('deletes store first; a refused deletion leaves the session as it was', async () => {
    const u = await roomUnits({ phase: 'voting' }, { members: ['a'] });
    u.store.failWrites(1);
    await expect(u.end.delete()).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(u.cell.isDeleted).toBe(false);
    expect(u.told).toEqual([]);
    expect(u.sent).toEqual([]);
    expect(await u.store.loadSession(u.cell.record.id)).not.toBeNull();
    await u.votes.vote('a', 1, 4, null);

    await u.end.delete();
    expect(await u.store.loadSession(u.cell.record.id)).toBeNull();
    expect(u.cell.isDeleted).toBe(true);
    expect(u.told).toEqual(['deleted']);
    expect(u.events('session:deleted').map((s) => s.to)).toEqual(['all']);
    // The acknowledgement leaves first; the sockets close a turn later.
    expect(u.events('(disconnect)')).toEqual([]);
    await nextMacrotask();
    expect(u.events('(disconnect)').map((s) => s.to)).toEqual(['all']);
    await expect(u.end.delete()).rejects.toMatchObject({ code: 'not_found' });
    await expect(u.votes.vote('a', 2, 4, null)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('ends a purged session without a write, and sends nothing that was pending', async () => {
    const u = await roomUnits({ phase: 'voting' }, { members: ['a'] });
    u.broadcasts.progress();
    u.broadcasts.participantCount();
    u.end.evicted();
    u.loop.turn();
    u.loop.advance(60_000);
    expect(u.events('progress')).toEqual([]);
    expect(u.events('participantCount')).toEqual([]);
    expect(u.told).toEqual(['deleted']);
    expect(u.events('session:deleted')).toHaveLength(1);
    // Purged by the store elsewhere: this unit wrote nothing.
    expect(await u.store.loadSession(u.cell.record.id)).not.toBeNull();
    await expect(u.settings.updateSettings({ minVoters: 4 })).rejects.toMatchObject({ code: 'not_found' });
  });
});
