import { describe, expect, it } from 'vitest';
import { BallotBox } from '../../server/sessions/ballot-box';
import { computeProgress } from '../../src/lib/domain/ballots';

const a = (answer: 1 | 2 | 3 | 4 | 5 | 'unknown', comment: string | null = null) => ({ answer, comment });

describe('BallotBox', () => {
  it('counts answers per factor and complete ballots as they come in, counting a changed answer once', () => {
    const box = new BallotBox(3, 1);
    box.addMember('ann');
    box.addMember('bob');
    expect(box.record(1, 'ann', 1, a(3))).toBe(1);
    expect(box.record(1, 'ann', 1, a(4, 'changed'))).toBe(1);
    box.record(1, 'ann', 2, a(2));
    box.record(1, 'bob', 2, a('unknown'));
    expect(box.progress()).toEqual({ voted: 0, total: 2, perFactor: [1, 2, 0] });
    expect(box.record(1, 'ann', 3, a(5))).toBe(3);
    expect(box.progress()).toEqual({ voted: 1, total: 2, perFactor: [1, 2, 1] });
    expect(box.answer(1, 'ann', 1)).toEqual(a(4, 'changed'));
    expect(box.answeredCount('ann')).toBe(3);
  });

  it('takes a removed member out of the counts and forgets their answers in every round', () => {
    const box = new BallotBox(2, 1);
    for (const id of ['ann', 'bob']) box.addMember(id);
    box.record(1, 'ann', 1, a(1));
    box.record(1, 'ann', 2, a(1));
    box.record(1, 'bob', 1, a(2));
    box.setRound(2);
    box.record(2, 'ann', 1, a(3));
    box.removeMember('ann');
    expect(box.progress()).toEqual({ voted: 0, total: 1, perFactor: [0, 0] });
    expect(box.answersOf(1, 'ann')).toBeUndefined();
    expect(box.answersOf(2, 'ann')).toBeUndefined();
    box.setRound(1);
    expect(box.progress()).toEqual({ voted: 0, total: 1, perFactor: [1, 0] });
  });

  it('starts the counts again from the new round, and answers to an earlier round do not count in the current one', () => {
    const box = new BallotBox(2, 1);
    box.addMember('ann');
    box.record(1, 'ann', 1, a(1));
    box.setRound(2);
    expect(box.progress()).toEqual({ voted: 0, total: 1, perFactor: [0, 0] });
    box.record(1, 'ann', 2, a(1));
    expect(box.progress().perFactor).toEqual([0, 0]);
    expect(box.answersOf(1, 'ann')?.size).toBe(2);
  });

  it('loads stored answers of members only, with the same counts as computing them from scratch', () => {
    const box = new BallotBox(4, 2);
    const members = ['a', 'b', 'c'];
    for (const id of members) box.addMember(id);
    const stored = [
      ...[1, 2, 3, 4].map((factor) => ({ round: 2, participantId: 'a', factor, answer: 3 as const, comment: null })),
      { round: 2, participantId: 'b', factor: 2, answer: 1 as const, comment: 'x' },
      { round: 1, participantId: 'c', factor: 1, answer: 1 as const, comment: null },
      { round: 2, participantId: 'gone', factor: 1, answer: 1 as const, comment: null }
    ];
    box.load(stored);
    const byId = new Map<string, number[]>();
    for (const s of stored.filter((s) => s.round === 2 && members.includes(s.participantId)))
      byId.set(s.participantId, [...(byId.get(s.participantId) ?? []), s.factor]);
    expect(box.progress()).toEqual(computeProgress(members, (id) => byId.get(id) ?? [], 4));
    expect(box.answersOf(2, 'gone')).toBeUndefined();
  });

  describe('comment budget (code units per participant and per session, per round)', () => {
    const budget = { perParticipant: 10, perSession: 15 };
    const text = (n: number) => 'x'.repeat(n);
    /** Reserves, then records as the room does once the write committed. */
    const vote = (box: BallotBox, round: number, id: string, factor: number, comment: string | null) => {
      const reserved = box.reserveComment(round, id, factor, comment, budget);
      if (typeof reserved !== 'function') return reserved;
      reserved();
      box.record(round, id, factor, a(3, comment));
      return 'ok';
    };

    it('counts comments per participant and per session, and refuses what would exceed either', () => {
      const box = new BallotBox(3, 1);
      for (const id of ['ann', 'bob']) box.addMember(id);
      expect(vote(box, 1, 'ann', 1, text(6))).toBe('ok');
      expect(vote(box, 1, 'ann', 2, text(5))).toBe('participant');
      expect(vote(box, 1, 'ann', 2, text(4))).toBe('ok');
      expect(box.commentUnits(1, 'ann')).toBe(10);
      expect(vote(box, 1, 'bob', 1, text(6))).toBe('session');
      expect(vote(box, 1, 'bob', 1, text(5))).toBe('ok');
      expect(box.sessionCommentUnits(1)).toBe(15);
      // An answer without a comment always fits.
      expect(vote(box, 1, 'bob', 2, null)).toBe('ok');
    });

    it('counts a replaced comment by the difference: a shorter one fits at the budget, a longer one only within it', () => {
      const box = new BallotBox(3, 1);
      box.addMember('ann');
      expect(vote(box, 1, 'ann', 1, text(10))).toBe('ok');
      expect(vote(box, 1, 'ann', 1, text(3))).toBe('ok');
      expect(box.commentUnits(1, 'ann')).toBe(3);
      expect(vote(box, 1, 'ann', 2, text(7))).toBe('ok');
      expect(vote(box, 1, 'ann', 1, text(4))).toBe('participant');
      expect(vote(box, 1, 'ann', 1, null)).toBe('ok');
      expect(box.commentUnits(1, 'ann')).toBe(7);
    });

    it('keeps writes in flight within the budget: a reservation counts until released', () => {
      const box = new BallotBox(3, 1);
      box.addMember('ann');
      const first = box.reserveComment(1, 'ann', 1, text(8), budget);
      expect(typeof first).toBe('function');
      expect(box.reserveComment(1, 'ann', 2, text(8), budget)).toBe('participant');
      (first as () => void)();
      (first as () => void)();
      expect(box.commentUnits(1, 'ann')).toBe(0);
    });

    it('each round has its own budget; loaded answers count, and a removed participant frees theirs', () => {
      const box = new BallotBox(3, 2);
      for (const id of ['ann', 'bob']) box.addMember(id);
      box.load([
        { round: 1, participantId: 'ann', factor: 1, ...a(3, text(10)) },
        { round: 2, participantId: 'ann', factor: 1, ...a(3, text(9)) },
        { round: 2, participantId: 'bob', factor: 2, ...a(3, text(4)) },
        { round: 2, participantId: 'gone', factor: 2, ...a(3, text(4)) }
      ]);
      expect(box.commentUnits(1, 'ann')).toBe(10);
      expect(box.commentUnits(2, 'ann')).toBe(9);
      expect(box.sessionCommentUnits(2)).toBe(13);
      expect(vote(box, 2, 'ann', 2, text(2))).toBe('participant');
      expect(vote(box, 2, 'bob', 1, text(3))).toBe('session');
      box.removeMember('ann');
      expect(box.sessionCommentUnits(2)).toBe(4);
      expect(box.sessionCommentUnits(1)).toBe(0);
      expect(vote(box, 2, 'bob', 1, text(3))).toBe('ok');
    });

    it('a reservation of a participant removed meanwhile is released without touching the counts', () => {
      const box = new BallotBox(3, 1);
      for (const id of ['ann', 'bob']) box.addMember(id);
      const reserved = box.reserveComment(1, 'ann', 1, text(5), budget) as () => void;
      vote(box, 1, 'bob', 1, text(4));
      box.removeMember('ann');
      reserved();
      expect(box.sessionCommentUnits(1)).toBe(4);
    });
  });
});
