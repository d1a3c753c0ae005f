import { describe, expect, it } from 'vitest';
import { jsonPieces } from '../../server/http/sliced-json';

describe('JSON in slices', () => {
  it('gives exactly what JSON.stringify gives, piece by piece', () => {
    const samples: unknown[] = [
      null,
      0,
      -1.5,
      'a "quoted" \\ text\n\u2028 with 🇳🇱 and \ud800',
      [],
      {},
      [1, undefined, () => 1, null, 'x'],
      { a: 1, b: undefined, c: [{ d: new Date(0) }, { e: { f: [true, false] } }], 'g"h': 'i' },
      { when: new Date(Date.UTC(2027, 0, 15)), nested: { list: Array.from({ length: 50 }, (_, i) => ({ i, s: 'x'.repeat(i) })) } },
      Number.NaN
    ];
    for (const value of samples) expect([...jsonPieces(value)].join('')).toBe(JSON.stringify(value));
  });

  it('never puts two elements of an array into one piece', () => {
    const big = { comments: Array.from({ length: 100 }, () => 'y'.repeat(1000)) };
    const longest = Math.max(...[...jsonPieces(big)].map((p) => p.length));
    expect(longest).toBeLessThanOrEqual(1002);
  });
});
