/**
 * The room-wide counters driven by hand, without a room or sockets: the real roster and ballots, a hand-driven
 * event loop and a fan-out that records what was sent. What it proves: however many joins or votes come in one
 * turn, the facilitator hears progress once (with the changed rows batched), everyone hears the participant count
 * once and then at most once per interval with the latest count, participants' progress is throttled, an anonymous
 * session sends no arrivals, and nothing pending is sent once disposed.
 */
import { describe, expect, it } from 'vitest';
import { PARTICIPANT_COUNT_INTERVAL_MS, PARTICIPANT_PROGRESS_INTERVAL_MS } from '../../server/sessions/room-broadcasts';
import { participantRecord } from '../helpers/store-contract';
import { roomUnits } from '../helpers/room-units';

describe('RoomBroadcasts', () => {
  it('sends the participant count once per turn, then at most once per interval with the latest count', async () => {
    const u = await roomUnits({ phase: 'lobby' });
    for (let i = 0; i < 500; i++) {
      u.roster.add(participantRecord(`p${i}`, 's1', i));
      u.broadcasts.participantCount();
    }
    expect(u.events('participantCount')).toEqual([]);
    u.loop.turn();
    expect(u.events('participantCount').map((s) => s.args[0])).toEqual([500]);
    u.roster.add(participantRecord('late', 's1', 501));
    u.broadcasts.participantCount();
    u.loop.turn();
    expect(u.events('participantCount')).toHaveLength(1);
    u.loop.advance(PARTICIPANT_COUNT_INTERVAL_MS);
    u.loop.turn();
    expect(u.events('participantCount').map((s) => s.args[0])).toEqual([500, 501]);
  });

  it("batches progress for the facilitator per turn, with each changed row once, and throttles participants'", async () => {
    const u = await roomUnits({ phase: 'voting' }, { members: ['a', 'b'] });
    u.ballots.record(1, 'a', 1, { answer: 4, comment: null });
    u.broadcasts.participantChanged('a');
    u.broadcasts.progress();
    u.ballots.record(1, 'a', 2, { answer: 3, comment: null });
    u.broadcasts.participantChanged('a');
    u.broadcasts.participantChanged('gone');
    u.broadcasts.progress();
    u.loop.turn();
    const facilitators = u.sent.filter((s) => s.to === 'facilitators');
    expect(facilitators.map((s) => s.event)).toEqual(['progress', 'participants']);
    expect((facilitators[1].args[0] as { id: string }[]).map((v) => v.id)).toEqual(['a']);
    expect(u.sent.filter((s) => s.to === 'participants')).toEqual([]);
    u.loop.advance(PARTICIPANT_PROGRESS_INTERVAL_MS);
    const toParticipants = u.sent.filter((s) => s.to === 'participants');
    expect(toParticipants.map((s) => s.event)).toEqual(['progress']);
    expect((toParticipants[0].args[0] as { perFactor: number[] }).perFactor).toEqual([1, 1, 0]);
  });

  it('sends arrivals to presenters unless the session is anonymous, and nothing once disposed', async () => {
    const named = await roomUnits({ phase: 'lobby', anonymous: false }, { members: ['a'] });
    named.broadcasts.arrivals();
    named.loop.turn();
    expect(named.events('arrivals').map((s) => s.to)).toEqual(['presenters']);

    const anonymous = await roomUnits({ phase: 'lobby', anonymous: true }, { members: ['a'] });
    anonymous.broadcasts.arrivals();
    anonymous.loop.turn();
    expect(anonymous.events('arrivals')).toEqual([]);

    named.broadcasts.progress();
    named.broadcasts.participantCount();
    named.broadcasts.dispose();
    named.loop.turn();
    named.loop.advance(PARTICIPANT_PROGRESS_INTERVAL_MS);
    expect(named.events('progress')).toEqual([]);
    expect(named.events('participantCount')).toEqual([]);
  });

  it("tells the facilitator a member's presence changed, with their row as it stands, and nobody of a stranger", async () => {
    const u = await roomUnits({ phase: 'lobby', anonymous: false }, { members: ['a'] });
    u.connected.add('a');
    u.broadcasts.presenceChanged('a');
    u.broadcasts.presenceChanged('gone');
    expect(
      u.events('participant').map((s) => [s.to, (s.args[0] as { id: string; connected: boolean }).id, (s.args[0] as { connected: boolean }).connected])
    ).toEqual([['facilitators', 'a', true]]);
  });
});
