import { describe, expect, it } from 'vitest';
import type { Answer } from '../../src/lib/domain/ballots';
import { DEFAULT_THRESHOLDS, computeStatistics, consensus, factorStats, type Distribution, type Thresholds } from '../../src/lib/domain/statistics';

const dist = (c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0): Distribution => ({ '1': c1, '2': c2, '3': c3, '4': c4, '5': c5 });

/** Compares a number-or-null to a hand-computed expectation. */
function expectValue(actual: number | null, expected: number | null, digits = 9): void {
  if (expected === null) expect(actual).toBeNull();
  else {
    expect(actual).not.toBeNull();
    expect(actual as number).toBeCloseTo(expected, digits);
  }
}

// Hand computations (Tastle & Wierman, d = 4):
// [1,2,2,3,5]: μ = 13/5 = 2.6
//   x=1 p=.2 1-1.6/4=.60 log2=-0.7369655942
//   x=2 p=.4 1-0.6/4=.85 log2=-0.2344652536
//   x=3 p=.2 1-0.4/4=.90 log2=-0.1520030934
//   x=5 p=.2 1-2.4/4=.40 log2=-1.3219280949
//   Σ = -0.1473931188 - 0.0937861014 - 0.0304006187 - 0.2643856190 = -0.5359654580 → Cns 0.4640345420
//   σ² = (2.56+0.36+0.36+0.16+5.76)/5 = 1.84 → σ = 1.3564659966
// [1,2,3,5]: μ = 2.75; 1-|x-μ|/4 = .5625, .8125, .9375, .4375
//   log2 = -0.8300749986, -0.2995602819, -0.0931094044, -1.1926450779; Σ·¼ = -0.6038474407 → 0.3961525593
//   σ² = (3.0625+0.5625+0.0625+5.0625)/4 = 2.1875 → σ = 1.4790199458
// [1,2,4,5]: μ = 3, ¼·(log2 .5 + log2 .75 + log2 .75 + log2 .5) = ¼·(-2.8300749986) → 0.2924812504; σ² = 10/4
// [2,4] and [1,3]: 1 + log2(0.75) = 0.5849625007
// [1,3,3,3,5]: μ = 3, 1 + .2·log2(.5) + .2·log2(.5) = 0.6 exactly (mathematically); σ² = 8/5
// [2,2,3,4,4]: 1 + .8·log2(.75) = 0.6679700006; σ² = 4/5
// 99 × 3 and one 2: μ = 2.99, σ² = (99·0.0001 + 0.9801)/100 = 0.0099
const TW_12235 = 0.464034542;
const ONE_PLUS_LOG2_075 = 0.5849625007;

const ninetyNineThrees: Answer[] = [...(new Array(99).fill(3) as Answer[]), 2];
const U = 'unknown' as const;

type Row = [
  name: string,
  answers: Answer[],
  counts: [n: number, unknown: number],
  values: [mean: number | null, median: number | null, stddev: number | null, consensus: number | null | 'skip'],
  distribution: Distribution,
  weak: boolean,
  divergent: boolean
];

// prettier-ignore
const rows: Row[] = [
  ['n = 0', [], [0, 0], [null, null, null, null], dist(), false, false],
  ['all unknown', [U, U, U], [0, 3], [null, null, null, null], dist(), false, false],
  ['n = 1 with score 1: no label', [1], [1, 0], [1, 1, 0, 1], dist(1), false, false],
  ['n = 1 plus unknowns: still no label', [U, 1, U], [1, 2], [1, 1, 0, 1], dist(1), false, false],
  ['[1,2,2,3,5]', [5, 2, 1, 3, 2], [5, 0], [2.6, 2, 1.3564659966, TW_12235], dist(1, 2, 1, 0, 1), true, true],
  ['split [1,5]: mean exactly 3 is not weak', [1, 5], [2, 0], [3, 3, 2, 0], dist(1, 0, 0, 0, 1), false, true],
  ['everyone agrees on 4', [4, 4, 4, 4], [4, 0], [4, 4, 0, 1], dist(0, 0, 0, 4), false, false],
  ['even n: median is the average of the middle two', [5, 1, 3, 2, U], [4, 1], [2.75, 2.5, 1.4790199458, 0.3961525593], dist(1, 1, 1, 0, 1), true, true],
  ['even n: median [1,2,4,5]', [4, 1, 5, 2], [4, 0], [3, 3, Math.sqrt(2.5), 0.2924812504], dist(1, 1, 0, 1, 1), false, true],
  ['population stddev of [1,3] is 1 (sample: √2)', [1, 3], [2, 0], [2, 2, 1, ONE_PLUS_LOG2_075], dist(1, 0, 1), true, true],
  ['consensus exactly 0.6 is not divergent', [1, 3, 3, 3, 5], [5, 0], [3, 3, Math.sqrt(1.6), 0.6], dist(1, 0, 3, 0, 1), false, false],
  ['consensus just below 0.6 is divergent', [2, 4], [2, 0], [3, 3, 1, ONE_PLUS_LOG2_075], dist(0, 1, 0, 1), false, true],
  ['consensus above 0.6 is not divergent', [2, 2, 3, 4, 4], [5, 0], [3, 3, Math.sqrt(0.8), 0.6679700006], dist(0, 2, 1, 2), false, false],
  ['mean 2.99 is weak', ninetyNineThrees, [100, 0], [2.99, 3, Math.sqrt(0.0099), 'skip'], dist(0, 1, 99), true, false]
];

describe('factorStats', () => {
  it.each(rows)('%s', (_name, answers, [n, unknown], [mean, median, stddev, cns], distribution, weak, divergent) => {
    const s = factorStats(7, answers);
    expect(s.number).toBe(7);
    expect(s.n).toBe(n);
    expect(s.unknown).toBe(unknown);
    expectValue(s.mean, mean);
    expectValue(s.median, median);
    expectValue(s.stddev, stddev);
    if (cns !== 'skip') expectValue(s.consensus, cns);
    expect(s.distribution).toEqual(distribution);
    expect(s.weak).toBe(weak);
    expect(s.divergent).toBe(divergent);
  });

  it('accepts any iterable and does not depend on input order', () => {
    const a = factorStats(1, new Set<Answer>([5, 1, 3]));
    const b = factorStats(1, [3, 5, 1]);
    expect(a).toEqual(b);
    expect(a.median).toBe(3);
  });
});

describe('factorStats with custom thresholds', () => {
  const cns24 = consensus(dist(0, 1, 0, 1)) as number;
  // prettier-ignore
  it.each<[name: string, answers: Answer[], thresholds: Thresholds, weak: boolean, divergent: boolean]>([
    ['divergentBelow exactly at consensus → not divergent', [2, 4], { weakBelow: 3, divergentBelow: cns24 }, false, false],
    ['divergentBelow just above consensus → divergent', [2, 4], { weakBelow: 3, divergentBelow: cns24 + 1e-9 }, false, true],
    ['divergentBelow just below consensus → not divergent', [2, 4], { weakBelow: 3, divergentBelow: cns24 - 1e-9 }, false, false],
    ['divergentBelow 0.6 with consensus 0.6 → not divergent', [1, 3, 3, 3, 5], { weakBelow: 1, divergentBelow: 0.6 }, false, false],
    ['divergentBelow 0.61 with consensus 0.6 → divergent', [1, 3, 3, 3, 5], { weakBelow: 1, divergentBelow: 0.61 }, false, true],
    ['divergentBelow 0.59 with consensus 0.6 → not divergent', [1, 3, 3, 3, 5], { weakBelow: 1, divergentBelow: 0.59 }, false, false],
    ['weakBelow equal to mean → not weak', [1, 2, 2, 3, 5], { weakBelow: 2.6, divergentBelow: 0 }, false, false],
    ['weakBelow just above mean → weak', [1, 2, 2, 3, 5], { weakBelow: 2.61, divergentBelow: 0 }, true, false],
    ['high thresholds, n = 1 → still no label', [4], { weakBelow: 5, divergentBelow: 1 }, false, false],
    ['divergentBelow 1 labels any disagreement', [3, 4], { weakBelow: 3, divergentBelow: 1 }, false, true],
    ['divergentBelow 1 does not label full agreement', [3, 3], { weakBelow: 3, divergentBelow: 1 }, false, false]
  ])('%s', (_name, answers, thresholds, weak, divergent) => {
    const s = factorStats(1, answers, thresholds);
    expect(s.weak).toBe(weak);
    expect(s.divergent).toBe(divergent);
  });

  it('defaults are 3.0, 0.6 and a third "don\'t know"', () => {
    expect(DEFAULT_THRESHOLDS).toEqual({ weakBelow: 3, divergentBelow: 0.6, unclearFrom: 1 / 3 });
  });

  it.each<[name: string, answers: Answer[], unclearFrom: number | undefined, unclear: boolean]>([
    ['one in three "don\'t know" → unclear (default)', [3, 4, 'unknown'], undefined, true],
    ['one in four → not unclear (default)', [3, 4, 5, 'unknown'], undefined, false],
    ['only "don\'t know" → unclear, without a mean', ['unknown', 'unknown'], undefined, true],
    ['a single "don\'t know" is too few to label', ['unknown'], undefined, false],
    ['no "don\'t know" → never unclear, even at threshold 0.05', [1, 5], 0.05, false],
    ['threshold 0.5: one in three → not unclear', [3, 4, 'unknown'], 0.5, false]
  ])('%s', (_name, answers, unclearFrom, unclear) => {
    const thresholds = unclearFrom === undefined ? { weakBelow: 3, divergentBelow: 0.6 } : { weakBelow: 3, divergentBelow: 0.6, unclearFrom };
    expect(factorStats(1, answers, thresholds).unclear).toBe(unclear);
  });
});

describe('computeStatistics', () => {
  it('splits answers per factor, ignores out-of-range factors, and keeps empty factors', () => {
    const stats = computeStatistics(3, [
      { factor: 1, answer: 1 },
      { factor: 1, answer: 5 },
      { factor: 3, answer: 'unknown' },
      { factor: 3, answer: 4 },
      { factor: 0, answer: 1 },
      { factor: 4, answer: 1 },
      { factor: -1, answer: 2 }
    ]);
    expect(stats.map((s) => s.number)).toEqual([1, 2, 3]);
    expect(stats.map((s) => [s.n, s.unknown, s.mean, s.consensus])).toEqual([
      [2, 0, 3, 0],
      [0, 0, null, null],
      [1, 1, 4, 1]
    ]);
    expect(stats[0].divergent).toBe(true);
    expect(stats[2].distribution).toEqual(dist(0, 0, 0, 1));
  });

  it('passes thresholds on', () => {
    const answers = [1, 2].map((answer) => ({ factor: 1, answer: answer as Answer }));
    expect(computeStatistics(1, answers)[0].weak).toBe(true);
    expect(computeStatistics(1, answers, { weakBelow: 1.5, divergentBelow: 0 })[0].weak).toBe(false);
  });

  it('returns nothing for zero factors', () => {
    expect(computeStatistics(0, [{ factor: 1, answer: 3 }])).toEqual([]);
  });
});
