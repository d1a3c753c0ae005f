import { describe, expect, it } from 'vitest';
import { BallotBox } from '../../server/sessions/ballot-box';
import { DotLedger, FACILITATOR_VOTER } from '../../server/sessions/dots';
import { RevealedRounds } from '../../server/sessions/revealed';
import { arrivals, dotsFor, participantView, snapshotFor, summaryOf, type Identity, type Member, type RoomState } from '../../server/sessions/projections';
import type { SessionRecord } from '../../server/store/types';
import type { RoundResults } from '../../src/lib/protocol';

function session(patch: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: 's1',
    code: 'ABCDEF',
    title: 'T',
    language: 'en',
    framework: 'seeds',
    anonymous: true,
    facilitatorTokenHash: 'f',
    presenterTokenHash: 'p',
    phase: 'voting',
    round: 1,
    votingDeadline: null,
    votingClosed: false,
    votingPausedMs: null,
    settings: { dotsPerPerson: 3, minVoters: 3, hideDotTotals: false, strong: 4, weak: 2 } as unknown as SessionRecord['settings'],
    revealedRounds: [],
    communityId: null,
    timeZone: 'Europe/Amsterdam',
    mode: 'live',
    deadline: null,
    revealAt: null,
    createdAt: 0,
    updatedAt: 0,
    ...patch
  };
}

function state(s: SessionRecord): RoomState {
  const members = new Map<string, Member>();
  const ballots = new BallotBox(2, s.round);
  ['ann', 'bob'].forEach((id, i) => {
    members.set(id, { record: { id, sessionId: s.id, tokenHash: id, name: id.toUpperCase(), group: null, language: null, joinedAt: i } });
    ballots.addMember(id);
  });
  ballots.record(1, 'ann', 1, { answer: 4, comment: 'secret' });
  const dots = new DotLedger([
    { voterId: 'ann', actionId: 'x', count: 2 },
    { voterId: FACILITATOR_VOTER, actionId: 'y', count: 1 }
  ]);
  const results: RoundResults[] = [{ round: 1 } as RoundResults];
  return {
    session: s,
    members,
    // Bob has a connection open, Ann none.
    isConnected: (id) => id === 'bob',
    latest: (n) => [...members.values()].slice(-n),
    ballots,
    dots,
    hiddenComments: [{ round: 1, factor: 1, text: 'hidden' }],
    presentedFactor: null,
    results: () => results,
    actions: () => [],
    community: null
  };
}

const facilitator: Identity = { role: 'facilitator' };
const presenter: Identity = { role: 'presenter' };
const ann: Identity = { role: 'participant', participantId: 'ann' };

describe('snapshotFor', () => {
  it('gives the facilitator the people and hidden comments, nobody else', () => {
    const st = state(session());
    const f = snapshotFor(facilitator, st, 5);
    expect(f.participants?.map((p) => p.id)).toEqual(['ann', 'bob']);
    expect(f.hiddenComments).toEqual([{ round: 1, factor: 1, text: 'hidden' }]);
    expect(f.myBallot).toBeNull();
    expect(f.serverNow).toBe(5);
    for (const who of [presenter, ann]) {
      const s = snapshotFor(who, st, 5);
      expect(s.participants).toBeNull();
      expect(s.hiddenComments).toBeNull();
    }
  });

  it("gives a participant their own ballot only, and nobody else anyone's answers", () => {
    const st = state(session());
    expect(snapshotFor(ann, st, 0).myBallot).toEqual({ 1: { answer: 4, comment: 'secret' } });
    expect(snapshotFor({ role: 'participant', participantId: 'bob' }, st, 0).myBallot).toEqual({});
    for (const who of [facilitator, presenter]) expect(JSON.stringify(snapshotFor(who, st, 0))).not.toContain('secret');
    expect(snapshotFor(ann, st, 0).me).toEqual({ role: 'participant', id: 'ann', name: 'ANN', group: null });
  });

  it('shows results only once the phase shows them', () => {
    expect(snapshotFor(ann, state(session({ phase: 'voting' })), 0).results).toEqual([]);
    expect(snapshotFor(ann, state(session({ phase: 'revealed', revealedRounds: [1] })), 0).results).toHaveLength(1);
  });

  it('shows presenter screens the arrivals in a named session only', () => {
    expect(snapshotFor(presenter, state(session({ anonymous: false })), 0).arrivals).toEqual(['ANN', 'BOB']);
    expect(snapshotFor(presenter, state(session({ anonymous: true })), 0).arrivals).toBeNull();
    expect(snapshotFor(facilitator, state(session({ anonymous: false })), 0).arrivals).toBeNull();
    expect(arrivals(state(session({ anonymous: true })))).toBeNull();
  });
});

describe('participantView', () => {
  it('hides per-person counts in an anonymous session and shows them in a named one', () => {
    const anon = state(session({ anonymous: true }));
    expect(participantView(anon, anon.members.get('ann')!)).toMatchObject({ answered: null, connected: false });
    const named = state(session({ anonymous: false }));
    expect(participantView(named, named.members.get('ann')!)).toMatchObject({ answered: 1 });
    expect(participantView(named, named.members.get('bob')!)).toMatchObject({ answered: 0, connected: true });
  });
});

describe('dotsFor', () => {
  it('hides the totals from participants and presenter screens while the facilitator hides them, never from the facilitator', () => {
    const hidden = state(session({ settings: { ...session().settings, hideDotTotals: true } }));
    expect(dotsFor(ann, hidden)).toEqual({ totals: {}, mine: { x: 2 }, remaining: 1 });
    expect(dotsFor(presenter, hidden)).toEqual({ totals: {}, mine: {}, remaining: 0 });
    expect(dotsFor(facilitator, hidden)).toEqual({ totals: { x: 2, y: 1 }, mine: { y: 1 }, remaining: 2 });
    const shown = state(session());
    expect(dotsFor(presenter, shown).totals).toEqual({ x: 2, y: 1 });
  });
});

describe('summaryOf', () => {
  it('tells k only in anonymous sessions', () => {
    expect(summaryOf(state(session({ anonymous: true }))).minVoters).toBe(3);
    expect(summaryOf(state(session({ anonymous: false }))).minVoters).toBeNull();
  });
});

describe('RevealedRounds', () => {
  it('leaves hidden comments out when results are read, and shows them again', () => {
    const frozen = { round: 1, comments: [['a', 'b'], []] } as unknown as RoundResults;
    const r = new RevealedRounds([{ round: 1, results: frozen, ballots: [] }]);
    expect(r.showed({ round: 1, factor: 1, text: 'a' })).toBe(true);
    expect(r.showed({ round: 1, factor: 2, text: 'a' })).toBe(false);
    r.setHidden({ round: 1, factor: 1, text: 'a' }, true);
    expect(r.results([1])[0].comments).toEqual([['b'], []]);
    r.setHidden({ round: 1, factor: 1, text: 'a' }, false);
    expect(r.results([1])[0].comments).toEqual([['a', 'b'], []]);
    expect(r.results([2])).toEqual([]);
  });
});
