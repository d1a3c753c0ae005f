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
});
