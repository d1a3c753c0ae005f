/**
 * Presence: connections are counted once, by the live session, over both
 * transports. A person's first connection and last close are what the
 * facilitator's list hears; a removed person stops counting at once (their
 * board sockets are closed by the board document); the idle count is the sum
 * of everyone's.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadFrameworks } from '../../server/content';
import { Presence } from '../../server/sessions/presence';
import type { Identity } from '../../server/sessions/projections';
import { SessionRegistry } from '../../server/sessions/registry';
import { SqliteStore } from '../../server/store/sqlite';
import { recordingFanout } from '../helpers/recording-fanout';

const frameworks = loadFrameworks(fileURLToPath(new URL('../../content', import.meta.url)));
const facilitator: Identity = { role: 'facilitator' };
const presenter: Identity = { role: 'presenter' };

describe('Presence', () => {
  it('counts each person over both transports, and says when their first opened and their last closed', () => {
    const presence = new Presence();
    const ann: Identity = { role: 'participant', participantId: 'ann' };
    expect(presence.opened(ann)).toBe(true);
    expect(presence.opened(ann)).toBe(false);
    expect(presence.opened(facilitator)).toBe(true);
    expect(presence.opened(presenter)).toBe(true);
    expect(presence.opened(presenter)).toBe(false);
    expect([presence.of(ann), presence.of(facilitator), presence.of(presenter), presence.total]).toEqual([2, 1, 2, 5]);
    expect(presence.isConnected('ann')).toBe(true);
    expect(presence.closed(ann)).toBe(false);
    expect(presence.closed(ann)).toBe(true);
    expect(presence.isConnected('ann')).toBe(false);
    // A close more than was opened (a socket that never counted) changes nothing.
    expect(presence.closed(ann)).toBe(false);
    expect(presence.total).toBe(3);
  });

  it('forgets a removed person at once: they no longer count, and their later closes change nothing', () => {
    const presence = new Presence();
    const ann: Identity = { role: 'participant', participantId: 'ann' };
    const bob: Identity = { role: 'participant', participantId: 'bob' };
    const cas: Identity = { role: 'facilitator', accountId: 'cas' };
    for (const who of [ann, ann, bob, cas]) presence.opened(who);
    presence.forget(ann);
    presence.forget(cas);
    expect([presence.of(ann), presence.of(cas), presence.isConnected('ann'), presence.total]).toEqual([0, 0, false, 1]);
    expect(presence.closed(ann)).toBe(false);
    expect(presence.total).toBe(1);
  });

  it('is the live session’s one count: the handshake cap, the idle count and the facilitator’s list all read it', async () => {
    const rec = recordingFanout();
    const registry = new SessionRegistry({ store: new SqliteStore({ memory: true }), frameworks, fanout: rec.fanout });
    const live = (await registry.create({ anonymous: false })).room!;
    const { participant } = await live.join({ name: 'Ann', group: null, language: null }, 100);
    const ann: Identity = { role: 'participant', participantId: participant.id };
    const heard = () => rec.events('participant').map((e) => (e.args[0] as { connected: boolean }).connected);
    const before = heard().length;
    live.connected(ann);
    live.connected(ann);
    live.connected(facilitator);
    expect([live.connectionsOf(ann), live.connectionsOf(facilitator), live.connectionCount]).toEqual([2, 1, 3]);
    expect(live.presence.total).toBe(live.connectionCount);
    expect(live.room.snapshot(facilitator).participants?.find((p) => p.id === participant.id)?.connected).toBe(true);
    live.disconnected(ann);
    live.disconnected(ann);
    // One message when Ann came, one when she left: not one per connection.
    expect(heard().slice(before)).toEqual([true, false]);
    expect(live.room.snapshot(facilitator).participants?.find((p) => p.id === participant.id)?.connected).toBe(false);
    // Someone not (or no longer) in the session is not counted.
    live.connected({ role: 'participant', participantId: 'stranger' });
    expect(live.connectionCount).toBe(1);
    registry.close();
  });
});
