import { describe, expect, it } from 'vitest';
import { answeredCounts, computeProgress, isAnswer, type Answer } from '../../src/lib/domain/ballots';
import { asShown, computeRoundResults, labelBallots, revealedBallots, type ResultsInput } from '../../src/lib/domain/results';
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
    // k = 1 here to check the arithmetic on a single score; k itself is tested below.
    const r = computeRoundResults({ ...input(true), minVoters: 1 });
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
      { name: 'Ann', group: 'company', answers: [4, 'unknown'] },
      { name: 'Bob', group: 'company', answers: [2, null] },
      { name: 'Cat', group: 'company', answers: [3, 5] }
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

describe('k: the fewest voters a figure may come from (docs/privacy.md)', () => {
  const people = (scores: Answer[], group: (i: number) => string | null = () => null): Voter[] =>
    scores.map((s, i) => voter(`p${i}`, `P${i}`, group(i), [[1, s]]));

  it('withholds a factor scored by fewer than k people, keeping its counts; n = 0 stays empty', () => {
    const voters = [...people([4, 2]), voter('u', 'U', null, [[1, 'unknown']])];
    const r = computeRoundResults({ round: 1, factorCount: 2, thresholds: DEFAULT_THRESHOLDS, anonymous: true, minVoters: 3, voters });
    expect(r.withheld).toBeNull();
    expect(r.minVoters).toBe(3);
    expect(r.factors[0]).toEqual({
      number: 1,
      n: 2,
      unknown: 1,
      mean: null,
      median: null,
      stddev: null,
      consensus: null,
      distribution: null,
      weak: false,
      divergent: false,
      // From the counts, which are shown: 1 of 3 answers is "don't know".
      unclear: true
    });
    expect(r.factors[1]).toMatchObject({ n: 0, distribution: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 } });
  });

  it('withholds a whole round with fewer than k voters, groups included', () => {
    const r = computeRoundResults({
      round: 1,
      factorCount: 1,
      thresholds: DEFAULT_THRESHOLDS,
      anonymous: true,
      minVoters: 5,
      voters: people([1, 1, 1, 1], () => 'company')
    });
    expect(r).toMatchObject({ voters: 4, withheld: 'too_few_voters', minVoters: 5, groups: [], attention: [] });
    expect(r.factors[0].distribution).toBeNull();
  });

  it('shows no count of a withheld round either: two voters, one "don\'t know", is one person\'s answer (a helper saw "50% don\'t know")', () => {
    const r = computeRoundResults({
      round: 1,
      factorCount: 2,
      thresholds: DEFAULT_THRESHOLDS,
      anonymous: true,
      minVoters: 3,
      voters: [
        {
          id: 'a',
          name: '',
          group: null,
          answers: new Map<number, Answer>([
            [1, 4],
            [2, 'unknown']
          ])
        },
        {
          id: 'b',
          name: '',
          group: null,
          answers: new Map<number, Answer>([
            [1, 2],
            [2, 3]
          ])
        }
      ]
    });
    expect(r).toMatchObject({ voters: 2, withheld: 'too_few_voters', attention: [] });
    for (const factor of r.factors) expect(factor).toMatchObject({ n: 0, unknown: 0, unclear: false, mean: null, distribution: null });
    // A round frozen before this rule, its counts stored, is read without them.
    const stored = { ...r, factors: r.factors.map((f, i) => ({ ...f, n: 2 - i, unknown: i, unclear: i === 1 })) };
    const attention = [{ number: 2, weak: false, divergent: false, unclear: true, mean: null, consensus: null, unknownShare: 0.5 }];
    expect(asShown({ ...stored, attention })).toEqual(r);
    // A round that was not withheld is read as stored.
    const shown = computeRoundResults({
      round: 1,
      factorCount: 1,
      thresholds: DEFAULT_THRESHOLDS,
      anonymous: true,
      minVoters: 2,
      voters: people([1, 'unknown'])
    });
    expect(asShown(shown)).toBe(shown);
  });

  it('applies no k in a named session, where everyone sees each answer with a name anyway', () => {
    const r = computeRoundResults({ round: 1, factorCount: 1, thresholds: DEFAULT_THRESHOLDS, anonymous: false, minVoters: 5, voters: people([2]) });
    expect(r).toMatchObject({ withheld: null, minVoters: null });
    expect(r.factors[0]).toMatchObject({ n: 1, mean: 2 });
  });

  it('shows a group only with k voters in it and k outside the shown groups', () => {
    const scores: Answer[] = [1, 2, 3, 4, 5, 1, 2, 3];
    const grouped = (inside: number) => (i: number) => (i < inside ? 'company' : null);
    const show = (inside: number, k: number) =>
      computeRoundResults({ round: 1, factorCount: 1, thresholds: DEFAULT_THRESHOLDS, anonymous: true, minVoters: k, voters: people(scores, grouped(inside)) })
        .groups;
    expect(show(4, 4)).toEqual([{ group: 'company', voters: 4, means: [2.5] }]);
    // Five inside leaves three outside: fewer than k = 4, so the mean would give away the rest's.
    expect(show(5, 4)[0].means).toEqual([null]);
    expect(show(3, 4)).toEqual([]);
  });
});

describe('ballot rows for the export', () => {
  const voters: Voter[] = ['b', 'a', 'c', 'd'].map((id, i) => voter(id, id.toUpperCase(), null, [[1, ([5, 1, 'unknown', 3] as Answer[])[i]]]));
  const input = (anonymous: boolean, minVoters = 3): ResultsInput => ({
    round: 1,
    factorCount: 2,
    thresholds: DEFAULT_THRESHOLDS,
    anonymous,
    minVoters,
    voters
  });

  it('anonymous: no names, rows sorted by the answers alone, none below k', () => {
    expect(revealedBallots(input(true))).toEqual([
      { name: null, group: null, answers: [1, null] },
      { name: null, group: null, answers: [3, null] },
      { name: null, group: null, answers: [5, null] },
      { name: null, group: null, answers: ['unknown', null] }
    ]);
    // The same ballots given in another order give the same rows.
    expect(revealedBallots({ ...input(true), voters: [...voters].reverse() })).toEqual(revealedBallots(input(true)));
    expect(revealedBallots(input(true, 5))).toEqual([]);
  });

  it('named: by name', () => {
    expect(revealedBallots(input(false, 5)).map((r) => r.name)).toEqual(['A', 'B', 'C', 'D']);
  });

  it('labels anonymous rows with a permutation drawn from the given source, and keeps names', () => {
    const rows = revealedBallots(input(true));
    const sequence = [0, 0, 0];
    const labelled = labelBallots(rows, () => sequence.shift() ?? 0);
    expect(labelled.map((r) => r.voter).sort()).toEqual(['V1', 'V2', 'V3', 'V4']);
    expect(labelled.map((r) => r.answers)).toEqual(rows.map((r) => r.answers));
    expect(labelled.map((r) => r.voter)).not.toEqual(['V1', 'V2', 'V3', 'V4']);
    expect(labelBallots(revealedBallots(input(false)), () => 0).map((r) => r.voter)).toEqual(['A', 'B', 'C', 'D']);
  });
});
