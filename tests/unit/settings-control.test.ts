/**
 * The facilitator's settings driven directly (tests/helpers/room-units.ts: the real store in memory behind the
 * fault-injecting store, the real action board's dots and door, a recording fan-out). What it proves: settings
 * change store first and a refused write changes nothing; a number of dots below what someone spent, and a k
 * lowered while voting is open, are refused; a change of the number of dots tells everyone their own dots.
 */
import { describe, expect, it } from 'vitest';
import { roomUnits } from '../helpers/room-units';

describe('SettingsControl', () => {
  it('changes the settings store first, and a refused write changes nothing and tells nobody', async () => {
    const u = await roomUnits({ phase: 'lobby' }, { members: ['a'] });
    u.store.failWrites(1);
    await expect(u.settings.updateSettings({ minVoters: 5 })).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(u.cell.record.settings.minVoters).toBe(3);
    expect((await u.stored()).session.settings.minVoters).toBe(3);
    expect(u.events('settings')).toEqual([]);

    const settings = await u.settings.updateSettings({ minVoters: 5, joinsLocked: true });
    expect(settings).toMatchObject({ minVoters: 5, joinsLocked: true });
    expect((await u.stored()).session.settings).toEqual(settings);
    expect(u.cell.record.settings).toEqual(settings);
    expect(u.events('settings').map((s) => s.args[0])).toEqual([settings]);
    // The lock is the door's: a join is refused from now on.
    expect(() => u.door.assertJoinable(10)).toThrow(expect.objectContaining({ code: 'joins_locked' }));
  });

  it('refuses fewer dots than someone spent and a k lowered while voting is open; more dots go to everyone', async () => {
    const u = await roomUnits({ phase: 'voting' }, { members: ['a'] });
    u.dots.set('a', 'p1', 2);
    await expect(u.settings.updateSettings({ dotsPerPerson: 1 })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(u.settings.updateSettings({ minVoters: 2 })).rejects.toMatchObject({ code: 'wrong_phase' });
    expect((await u.stored()).session.settings).toMatchObject({ dotsPerPerson: 3, minVoters: 3 });

    await u.settings.updateSettings({ dotsPerPerson: 5, minVoters: 4 });
    expect((await u.stored()).session.settings).toMatchObject({ dotsPerPerson: 5, minVoters: 4 });
    expect(u.events('dots').map((s) => s.to)).toEqual(['facilitators', 'each']);
    u.board.dispose();
  });
});
