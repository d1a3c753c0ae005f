import { describe, expect, it } from 'vitest';
import type { Answer } from '../../src/lib/domain/ballots';
import { attentionList, computeStatistics, groupBreakdown, MIN_GROUP_SIZE, type FactorStats } from '../../src/lib/domain/statistics';

/** A hand-made FactorStats; only the fields attentionList reads matter. */
function stat(number: number, mean: number | null, consensus: number | null, weak: boolean, divergent: boolean, unclear = false): FactorStats {
  return {
    number,
    n: mean === null ? 0 : 5,
    unknown: unclear ? 5 : 0,
    mean,
    median: mean,
    stddev: 0,
    consensus,
    distribution: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 },
    weak,
    divergent,
    unclear
  };
}

describe('attentionList', () => {
  it.each<{ name: string; stats: FactorStats[]; order: number[] }>([
    { name: 'empty input', stats: [], order: [] },
    { name: 'nothing labelled', stats: [stat(1, 2, 0.2, false, false), stat(2, null, null, false, false)], order: [] },
    {
      name: 'weakest mean first',
      stats: [stat(1, 2.5, 0.9, true, false), stat(2, 1.8, 0.9, true, false), stat(3, 2.9, 0.9, true, false)],
      order: [2, 1, 3]
    },
    {
      name: 'equal means: lowest consensus first',
      stats: [stat(4, 2, 0.7, true, false), stat(5, 2, 0.3, true, true), stat(6, 2, 0.5, true, true)],
      order: [5, 6, 4]
    },
    {
      name: 'equal mean and consensus: by number',
      stats: [stat(9, 2, 0.5, true, true), stat(3, 2, 0.5, true, true), stat(7, 2, 0.5, true, true)],
      order: [3, 7, 9]
    },
    {
      name: 'divergent-only factors with high means come after weak ones',
      stats: [stat(1, 4.2, 0.1, false, true), stat(2, 2.9, 0.95, true, false), stat(3, 3.5, 0.5, false, true), stat(4, 4.5, 1, false, false)],
      order: [2, 3, 1]
    },
    {
      name: 'an unclear factor without scores comes last',
      stats: [stat(1, null, null, false, false, true), stat(2, 4.5, 0.9, false, false, true), stat(3, 2.0, 0.9, true, false)],
      order: [3, 2, 1]
    },
    {
      name: 'mean beats consensus',
      stats: [stat(1, 2.0, 0.9, true, false), stat(2, 2.1, 0.0, true, true)],
      order: [1, 2]
    }
  ])('$name', ({ stats, order }) => {
    expect(attentionList(stats).map((a) => a.number)).toEqual(order);
  });

  it('keeps the reasons and values of each item', () => {
    const list = attentionList([stat(8, 3.4, 0.42, false, true), stat(2, 2.2, 0.81, true, false)]);
    expect(list).toEqual([
      { number: 2, weak: true, divergent: false, unclear: false, mean: 2.2, consensus: 0.81, unknownShare: 0 },
      { number: 8, weak: false, divergent: true, unclear: false, mean: 3.4, consensus: 0.42, unknownShare: 0 }
    ]);
  });

  it('lists unclear factors (many "don\'t know") with their share, after the ones with a weaker mean', () => {
    const list = attentionList([stat(4, 3.8, 0.9, false, false, true), stat(2, 2.2, 0.81, true, false), stat(6, 4, 0.9, false, false)]);
    expect(list.map((a) => [a.number, a.unclear, a.unknownShare])).toEqual([
      [2, false, 0],
      [4, true, 0.5]
    ]);
  });

  it('does not reorder its input', () => {
    const stats = [stat(1, 2.5, 0.9, true, false), stat(2, 1.5, 0.9, true, false)];
    attentionList(stats);
    expect(stats.map((s) => s.number)).toEqual([1, 2]);
  });

  it('works end to end from answers', () => {
    const rows: [number, Answer[]][] = [
      [1, [4, 4, 5]], // strong, agreed: not listed
      [2, [1, 5]], // mean 3, consensus 0: divergent only
      [3, [2, 2, 3]], // mean 2.33, consensus high: weak
      [4, [1, 2, 2, 3, 5]], // mean 2.6, consensus 0.464: weak and divergent
      [5, [1]] // one score: no label
    ];
    const stats = computeStatistics(
      5,
      rows.flatMap(([factor, answers]) => answers.map((answer) => ({ factor, answer })))
    );
    const list = attentionList(stats);
    expect(list.map((a) => [a.number, a.weak, a.divergent])).toEqual([
      [3, true, false],
      [4, true, true],
      [2, false, true]
    ]);
  });
});

describe('groupBreakdown', () => {
  const groups: Record<string, string | null> = {
    c1: 'company',
    c2: 'company',
    c3: 'company',
    g1: 'government',
    g2: 'government',
    e1: 'education-institution',
    e2: 'education-institution',
    e3: 'education-institution',
    x1: null,
    x2: null,
    x3: null
  };
  const groupOf = (id: string) => groups[id] ?? null;
  const e = (participantId: string, factor: number, answer: Answer) => ({ participantId, factor, answer });

  const entries = [
    // company: factor 1 scored by all three, factor 2 only by two (one said "don't know")
    e('c1', 1, 2),
    e('c2', 1, 3),
    e('c3', 1, 4),
    e('c1', 2, 5),
    e('c2', 2, 'unknown'),
    e('c3', 2, 4),
    // government: only two voters
    e('g1', 1, 1),
    e('g2', 1, 1),
    e('g1', 2, 1),
    e('g2', 2, 1),
    // education: all "don't know" on factor 1, three scores on factor 2
    e('e1', 1, 'unknown'),
    e('e2', 1, 'unknown'),
    e('e3', 1, 'unknown'),
    e('e1', 2, 1),
    e('e2', 2, 2),
    e('e3', 2, 2),
    // no group: never shown
    e('x1', 1, 5),
    e('x2', 1, 5),
    e('x3', 1, 5),
    // out of range: ignored
    e('c1', 3, 1),
    e('c1', 0, 1)
  ];

  it('omits groups below the minimum and masks factor means from fewer than 3 scores', () => {
    expect(MIN_GROUP_SIZE).toBe(3);
    expect(groupBreakdown(2, entries, groupOf)).toEqual([
      { group: 'company', voters: 3, means: [3, null] },
      { group: 'education-institution', voters: 3, means: [null, 5 / 3] }
    ]);
  });

  it('includes smaller groups only when the minimum is lowered', () => {
    const result = groupBreakdown(2, entries, groupOf, 2);
    expect(result.map((g) => g.group)).toEqual(['company', 'education-institution', 'government']);
    expect(result[0].means).toEqual([3, 4.5]);
    expect(result[2]).toEqual({ group: 'government', voters: 2, means: [1, 1] });
  });

  it('counts a voter once however many factors they answered', () => {
    const many = ['a', 'b', 'c'].flatMap((id) => [1, 2, 3, 4].map((factor) => e(id, factor, 3)));
    const result = groupBreakdown(4, many, () => 'other');
    expect(result).toEqual([{ group: 'other', voters: 3, means: [3, 3, 3, 3] }]);
  });

  it('a voter whose only entries are out of range does not count', () => {
    const list = [e('a', 1, 2), e('b', 1, 4), e('c', 9, 3)];
    expect(groupBreakdown(2, list, () => 'company')).toEqual([]);
  });

  it('returns nothing without entries', () => {
    expect(groupBreakdown(12, [], groupOf)).toEqual([]);
  });

  // The overall mean minus a shown group mean must not expose one or two people outside it.
  it.each([
    { case: 'one voter outside the only shown group: hidden', outside: 1, expected: [null] },
    { case: 'two voters outside: hidden', outside: 2, expected: [null] },
    { case: 'three voters outside: shown', outside: 3, expected: [3] },
    { case: 'nobody outside: shown (equals the overall mean)', outside: 0, expected: [3] }
  ])('$case', ({ outside, expected }) => {
    const list = [e('c1', 1, 2), e('c2', 1, 3), e('c3', 1, 4), ...Array.from({ length: outside }, (_, i) => e(`x${i + 1}`, 1, 5))];
    expect(groupBreakdown(1, list, groupOf)).toEqual([{ group: 'company', voters: 3, means: expected }]);
  });

  it('hides the smallest shown group until what is left outside is empty or large enough', () => {
    // company 3 scores, education 4 scores, one ungrouped voter: the remainder of 1 would expose x1.
    const people: Record<string, string | null> = { c1: 'company', c2: 'company', c3: 'company', e1: 'edu', e2: 'edu', e3: 'edu', e4: 'edu', x1: null };
    const list = Object.keys(people).map((id, i) => e(id, 1, ((i % 5) + 1) as Answer));
    const result = groupBreakdown(1, list, (id) => people[id] ?? null);
    // Hiding company (the smaller) leaves 3 + 1 = 4 outside education: safe.
    expect(result).toEqual([
      { group: 'company', voters: 3, means: [null] },
      { group: 'edu', voters: 4, means: [(4 + 5 + 1 + 2) / 4] }
    ]);
  });
});
