import { describe, expect, it } from 'vitest';
import { answeredCounts, computeProgress, isAnswer, type Answer } from '../../src/lib/domain/ballots';
import { computeRoundResults, type ResultsInput } from '../../src/lib/domain/results';
import { DEFAULT_THRESHOLDS } from '../../src/lib/domain/statistics';

describe('isAnswer', () => {
  it.each<[unknown, boolean]>([
    [1, true],
    [2, true],
    [3, true],
    [4, true],
    [5, true],
    ['unknown', true],
    [0, false],
    [6, false],
    [-1, false],
    [2.5, false],
    [NaN, false],
    [Infinity, false],
    ['3', false],
    ['UNKNOWN', false],
    ['', false],
    [null, false],
    [undefined, false],
    [true, false],
    [[3], false],
    [{ score: 3 }, false]
  ])('%j → %s', (value, expected) => {
    expect(isAnswer(value)).toBe(expected);
  });
});

describe('computeProgress', () => {
  it.each<{ name: string; answered: Record<string, number[]>; factorCount: number; voted: number; total: number; perFactor: number[] }>([
    { name: 'nobody joined', answered: {}, factorCount: 3, voted: 0, total: 0, perFactor: [0, 0, 0] },
    { name: 'joined, nobody answered', answered: { a: [], b: [] }, factorCount: 3, voted: 0, total: 2, perFactor: [0, 0, 0] },
    { name: 'one complete, one partial, one empty', answered: { a: [1, 2, 3], b: [1, 2], c: [] }, factorCount: 3, voted: 1, total: 3, perFactor: [2, 2, 1] },
    { name: 'all complete', answered: { a: [3, 1, 2], b: [2, 3, 1] }, factorCount: 3, voted: 2, total: 2, perFactor: [2, 2, 2] },
    { name: 'out-of-range factors do not count', answered: { a: [0, 1, 2, 4, 99], b: [1, 2, 3] }, factorCount: 3, voted: 1, total: 2, perFactor: [2, 2, 1] },
    {
      name: '12 factors, 14 of 20 done',
      answered: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`p${i}`, i < 14 ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] : [1]])),
      factorCount: 12,
      voted: 14,
      total: 20,
      perFactor: [20, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14]
    }
  ])('$name', ({ answered, factorCount, voted, total, perFactor }) => {
    const progress = computeProgress(Object.keys(answered), (id) => answered[id], factorCount);
    expect(progress).toEqual({ voted, total, perFactor });
  });

  it('accepts iterators such as Map keys', () => {
    const ballots = new Map([
      [
        'a',
        new Map<number, Answer>([
          [1, 3],
          [2, 'unknown']
        ])
      ],
      ['b', new Map<number, Answer>([[2, 5]])]
    ]);
    const progress = computeProgress(['a', 'b', 'c'], (id) => ballots.get(id)?.keys() ?? [], 2);
    expect(progress).toEqual({ voted: 1, total: 3, perFactor: [1, 2] });
  });
});

describe('answeredCounts', () => {
  it('counts entries per participant', () => {
    const counts = answeredCounts([
      { participantId: 'a', factor: 1, answer: 3, comment: null },
      { participantId: 'a', factor: 2, answer: 'unknown', comment: 'no idea' },
      { participantId: 'b', factor: 1, answer: 1, comment: null }
    ]);
    expect([...counts]).toEqual([
      ['a', 2],
      ['b', 1]
    ]);
  });
});

type Voter = ResultsInput['voters'][number];
const voter = (id: string, name: string, group: string | null, answers: [number, Answer][]): Voter => ({ id, name, group, answers: new Map(answers) });

describe('computeRoundResults', () => {
  const voters: Voter[] = [
    voter('a', 'Ann', 'company', [
      [1, 4],
      [2, 'unknown']
    ]),
    voter('b', 'Bob', 'company', [[1, 2]]),
    voter('c', 'Cat', 'company', [
      [1, 3],
      [2, 5]
    ]),
    voter('d', 'Dan', null, [])
  ];
  const input = (anonymous: boolean): ResultsInput => ({ round: 2, factorCount: 2, thresholds: DEFAULT_THRESHOLDS, anonymous, voters });

  it('anonymous: aggregates only, named is null', () => {
    const r = computeRoundResults(input(true));
    expect(r.round).toBe(2);
    expect(r.named).toBeNull();
    // Dan answered nothing, so he is no voter.
    expect(r.voters).toBe(3);
  });

  it('computes rounded statistics per factor', () => {
    const r = computeRoundResults(input(true));
    // factor 1: [4,2,3] → μ 3, σ √(2/3) = 0.8165, Cns = 1 + ⅔·log2(0.75) = 0.72331
    // factor 2: [5] + one unknown → n 1, Cns 1, no label
    expect(r.factors).toEqual([
      {
        number: 1,
        n: 3,
        unknown: 0,
        mean: 3,
        median: 3,
        stddev: 0.816,
        consensus: 0.723,
        distribution: { '1': 0, '2': 1, '3': 1, '4': 1, '5': 0 },
        weak: false,
        divergent: false,
        unclear: false
      },
      {
        number: 2,
        n: 1,
        unknown: 1,
        mean: 5,
        median: 5,
        stddev: 0,
        consensus: 1,
        distribution: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 1 },
        weak: false,
        divergent: false,
        // Half answered "don't know".
        unclear: true
      }
    ]);
    expect(r.attention).toEqual([{ number: 2, weak: false, divergent: false, unclear: true, mean: 5, consensus: 1, unknownShare: 0.5 }]);
  });

  it('group means only for groups of 3+ and factors with 3+ scores', () => {
    const r = computeRoundResults(input(true));
    expect(r.groups).toEqual([{ group: 'company', voters: 3, means: [3, null] }]);
  });

  it('named: each voter with answers, by factor, null where unanswered', () => {
    const r = computeRoundResults(input(false));
    expect(r.voters).toBe(3);
    expect(r.named).toEqual([
      { name: 'Ann', answers: [4, 'unknown'] },
      { name: 'Bob', answers: [2, null] },
      { name: 'Cat', answers: [3, 5] }
    ]);
  });

  it('rounds attention values to 3 decimals and uses the thresholds', () => {
    const scores: Answer[] = [1, 2, 2, 3, 5];
    const many = scores.map((s, i) => voter(`p${i}`, `P${i}`, i < 2 ? 'government' : null, [[1, s]]));
    const r = computeRoundResults({ round: 1, factorCount: 1, thresholds: DEFAULT_THRESHOLDS, anonymous: true, voters: many });
    expect(r.attention).toEqual([{ number: 1, weak: true, divergent: true, unclear: false, mean: 2.6, consensus: 0.464, unknownShare: 0 }]);
    expect(r.factors[0]).toMatchObject({ mean: 2.6, median: 2, stddev: 1.356, consensus: 0.464 });
    expect(r.groups).toEqual([]);
    const lenient = computeRoundResults({ round: 1, factorCount: 1, thresholds: { weakBelow: 2, divergentBelow: 0.4 }, anonymous: true, voters: many });
    expect(lenient.attention).toEqual([]);
  });

  it('no voters: empty statistics', () => {
    const r = computeRoundResults({ round: 1, factorCount: 3, thresholds: DEFAULT_THRESHOLDS, anonymous: false, voters: [] });
    expect(r.voters).toBe(0);
    expect(r.factors.map((f) => [f.number, f.n, f.mean])).toEqual([
      [1, 0, null],
      [2, 0, null],
      [3, 0, null]
    ]);
    expect(r.named).toEqual([]);
  });
});
