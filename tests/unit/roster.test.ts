/** The roster on its own: distinct names, joins in flight, tokens and removal, without a room or a store. */
import { describe, expect, it } from 'vitest';
import { Roster } from '../../server/sessions/roster';
import { hashToken } from '../../server/security/tokens';

const input = (name: string) => ({ name, group: null, language: null });

describe('Roster', () => {
  it('reserves a join: its name is taken and it counts against the limit before its write settles', () => {
    const roster = new Roster();
    const first = roster.reserve('s1', input('Sam'));
    expect(roster.taken).toBe(1);
    expect(roster.size).toBe(0);
    const second = roster.reserve('s1', input('Sam'));
    expect(second.participant.name).not.toBe(first.participant.name);
    roster.settle(first.participant, true);
    expect(roster.has(first.participant.id)).toBe(true);
    expect(roster.participantByTokenHash(hashToken(first.token))).toBe(first.participant.id);
    // A refused write: not a member, and the name is free again.
    roster.settle(second.participant, false);
    expect(roster.taken).toBe(1);
    expect(roster.has(second.participant.id)).toBe(false);
    expect(roster.reserve('s1', input(second.participant.name)).participant.name).toBe(second.participant.name);
  });

  it('forgets a removed member: token void, name free, gone from the latest arrivals once compacted', () => {
    const roster = new Roster();
    const joined = ['Ann', 'Bob', 'Cas'].map((name) => {
      const { participant, token } = roster.reserve('s1', input(name));
      roster.settle(participant, true);
      return { participant, token };
    });
    const [, bob] = joined;
    expect(roster.remove(bob.participant.id)?.record.name).toBe('Bob');
    expect(roster.remove(bob.participant.id)).toBeUndefined();
    roster.compact();
    expect(roster.participantByTokenHash(hashToken(bob.token))).toBeUndefined();
    expect(roster.latest(5).map((m) => m.record.name)).toEqual(['Ann', 'Cas']);
    expect(roster.reserve('s1', input('Bob')).participant.name).toBe('Bob');
  });
});
