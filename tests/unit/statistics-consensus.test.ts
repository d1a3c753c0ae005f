import { describe, expect, it } from 'vitest';
import { consensus, roundTo, type Distribution } from '../../src/lib/domain/statistics';

const dist = (c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0): Distribution => ({ '1': c1, '2': c2, '3': c3, '4': c4, '5': c5 });

function expectValue(actual: number | null, expected: number | null, digits = 9): void {
  if (expected === null) expect(actual).toBeNull();
  else {
    expect(actual).not.toBeNull();
    expect(actual as number).toBeCloseTo(expected, digits);
  }
}

// Hand computations of Cns = 1 + Σ pᵢ·log₂(1 − |xᵢ − μ| / 4); see statistics.test.ts for the long ones.
// [1,2,2,3,5] → 0.4640345420   [1,2,3,5] → 0.3961525593   [2,4], [1,3] → 1 + log2(.75) = 0.5849625007
// [1,3,3,3,5] → 1 − .2 − .2 = 0.6   [2,2,3,4,4] → 1 + .8·log2(.75) = 0.6679700006
// [1,2] → 1 + log2(.875) = 0.8073549221   [1,3,5] → 1 − ⅓ − ⅓ = ⅓
const TW_12235 = 0.464034542;
const ONE_PLUS_LOG2_075 = 0.5849625007;

describe('consensus (Tastle & Wierman)', () => {
  it.each([
    { name: 'no scores', d: dist(), expected: null },
    { name: 'one score', d: dist(0, 0, 0, 1), expected: 1 },
    { name: 'everyone agrees on 3', d: dist(0, 0, 7), expected: 1 },
    { name: 'everyone agrees on 1', d: dist(4), expected: 1 },
    { name: 'split between extremes 1:1', d: dist(1, 0, 0, 0, 1), expected: 0 },
    { name: 'split between extremes 3:3', d: dist(3, 0, 0, 0, 3), expected: 0 },
    { name: '[1,2,2,3,5]', d: dist(1, 2, 1, 0, 1), expected: TW_12235 },
    { name: '[1,2,3,5]', d: dist(1, 1, 1, 0, 1), expected: 0.3961525593 },
    { name: '[2,4]', d: dist(0, 1, 0, 1), expected: ONE_PLUS_LOG2_075 },
    { name: '[1,3]', d: dist(1, 0, 1), expected: ONE_PLUS_LOG2_075 },
    { name: '[1,3,3,3,5]', d: dist(1, 0, 3, 0, 1), expected: 0.6 },
    { name: '[2,2,3,4,4]', d: dist(0, 2, 1, 2), expected: 0.6679700006 },
    { name: '[1,2]', d: dist(1, 1), expected: 0.8073549221 },
    { name: '[1,3,5]', d: dist(1, 0, 1, 0, 1), expected: 1 / 3 }
  ])('$name → $expected', ({ d, expected }) => {
    expectValue(consensus(d), expected);
  });

  it('returns +0 (not -0) for a split between the extremes, and stays within [0, 1]', () => {
    expect(Object.is(consensus(dist(5, 0, 0, 0, 5)), 0)).toBe(true);
    for (const d of [dist(1, 1, 1, 1, 1), dist(9, 0, 0, 0, 1), dist(0, 1, 0, 0, 9), dist(2, 0, 1, 0, 2)]) {
      const c = consensus(d) as number;
      expect(c).toBeGreaterThanOrEqual(0);
      expect(c).toBeLessThanOrEqual(1);
    }
  });

  it('ranks a spread-out distribution below a concentrated one', () => {
    expect(consensus(dist(1, 1, 1, 1, 1))!).toBeLessThan(consensus(dist(0, 1, 3, 1))!);
  });
});
describe('roundTo', () => {
  it.each<{ value: number | null; decimals?: number; expected: number | null }>([
    { value: null, expected: null },
    { value: 0.464034542, expected: 0.464 },
    { value: 1 / 3, expected: 0.333 },
    { value: 2 / 3, expected: 0.667 },
    { value: 0.6000000000000001, expected: 0.6 },
    { value: 1.23456, decimals: 2, expected: 1.23 },
    { value: 1.23556, decimals: 2, expected: 1.24 },
    { value: 2.5, decimals: 0, expected: 3 },
    { value: 4, expected: 4 },
    { value: 1.3564659966, decimals: 1, expected: 1.4 }
  ])('roundTo($value, $decimals) = $expected', ({ value, decimals, expected }) => {
    expect(roundTo(value, decimals)).toBe(expected);
  });

  it('never returns -0', () => {
    expect(Object.is(roundTo(-0.0001), 0)).toBe(true);
    expect(Object.is(roundTo(-0), 0)).toBe(true);
  });
});
