import { describe, expect, it } from 'vitest';
import { counted, formatChange, formatDecimal, parseDecimal, plural, shortName } from '../../src/lib/domain/wording';
import { CONSENSUS_STEP, MEAN_STEP, whatMovedMost } from '../../src/lib/domain/movement';
import { graphemeLength } from '../../src/lib/domain/text';
import { en } from '../../src/lib/i18n/en';
import { nl } from '../../src/lib/i18n/nl';

describe('plural', () => {
  it('chooses the form by the language’s plural rules, zero included', () => {
    const dots = { nl: { one: 'stip', other: 'stippen' }, en: { one: 'dot', other: 'dots' } };
    expect([0, 1, 2, 12].map((n) => counted('nl', n, dots.nl))).toEqual(['0 stippen', '1 stip', '2 stippen', '12 stippen']);
    expect([0, 1, 2].map((n) => counted('en', n, dots.en))).toEqual(['0 dots', '1 dot', '2 dots']);
    expect(plural('nl', 1, { one: 'stem', other: 'stemmen' })).toBe('stem');
  });

  it('leaves no "(en)" or "(men)" style plural in either catalogue', () => {
    const strings: string[] = [];
    const walk = (value: unknown, args: unknown[]) => {
      if (typeof value === 'string') strings.push(value);
      else if (typeof value === 'function') for (const n of [0, 1, 2]) strings.push(String((value as (...a: unknown[]) => unknown)(...args.map(() => n))));
      else if (value && typeof value === 'object') for (const v of Object.values(value)) walk(v, [0, 0, 0, 0]);
    };
    walk(nl, []);
    walk(en, []);
    expect(strings.filter((s) => /\w\((en|pen|men|s|es)\)/.test(s))).toEqual([]);
  });

  it('speaks to people as "je" throughout the Dutch catalogue, never the formal "u"', () => {
    const strings: string[] = [];
    const walk = (value: unknown) => {
      if (typeof value === 'string') strings.push(value);
      else if (typeof value === 'function') strings.push(String((value as (...a: unknown[]) => unknown)(1, 1, 1, 1)));
      else if (value && typeof value === 'object') for (const v of Object.values(value)) walk(v);
    };
    walk(nl);
    // "u", "uw", "kunt u", "nodigt u": the programme pages said "u" beside the community page's "je".
    expect(strings.filter((s) => /(^|[\s(‘'"])(u|uw|U|Uw)(?=[\s,.;:!?)’'"]|$)/.test(s))).toEqual([]);
  });
});

describe('formatDecimal', () => {
  it('writes decimals in the language’s format', () => {
    expect(formatDecimal('nl', 0.6, 1)).toBe('0,6');
    expect(formatDecimal('en', 0.6, 1)).toBe('0.6');
    expect(formatDecimal('nl', 3.254)).toBe('3,25');
    expect(formatDecimal('nl', 1234.5, 1)).toBe('1.234,5');
    expect(formatDecimal('nl', null)).toBe('–');
    expect(formatDecimal('en', Number.NaN)).toBe('–');
    // A change rounded to nothing has no sign.
    expect(formatDecimal('nl', -0.001)).toBe('0,00');
  });

  it('reads back what a person types in either notation', () => {
    expect(parseDecimal('0,6')).toBe(0.6);
    expect(parseDecimal(' 3.5 ')).toBe(3.5);
    expect(parseDecimal('3')).toBe(3);
    expect(parseDecimal('3,5,1')).toBeNull();
    expect(parseDecimal('')).toBeNull();
    expect(parseDecimal('abc')).toBeNull();
  });
});

describe('formatChange', () => {
  it('writes a change with a real minus sign, as the exports do, and a rounded-away change without a sign', () => {
    // The projector showed "(-1,00)" beside the report's "−1,00".
    expect(formatChange('nl', -1)).toBe('−1,00');
    expect(formatChange('en', -0.24)).toBe('−0.24');
    expect(formatChange('nl', 0.5)).toBe('+0,50');
    expect(formatChange('nl', 0)).toBe('0,00');
    expect(formatChange('nl', -0.001)).toBe('0,00');
    expect(formatChange('en', 0.001)).toBe('0.00');
    expect(formatChange('nl', null)).toBe('–');
  });
});

describe('shortName', () => {
  it('keeps a name that fits', () => {
    expect(shortName('Anna de Vries', 20)).toBe('Anna de Vries');
  });

  it('cuts a long name at a word boundary with an ellipsis', () => {
    const name = 'Wilhelmina van Oranje-Nassau tot Greenport Westland';
    const short = shortName(name, 24);
    expect(short).toBe('Wilhelmina van…');
    expect(graphemeLength(short)).toBeLessThanOrEqual(24);
    expect(name.startsWith(short.slice(0, -1))).toBe(true);
  });

  it('cuts mid-word only when the first word alone is too long, and never inside an emoji', () => {
    expect(shortName('Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa Bee', 10)).toBe('Aaaaaaaaa…');
    const short = shortName('👩‍👩‍👧‍👦👩‍👩‍👧‍👦👩‍👩‍👧‍👦👩‍👩‍👧‍👦', 3);
    expect(short).toBe('👩‍👩‍👧‍👦👩‍👩‍👧‍👦…');
  });
});

describe('whatMovedMost', () => {
  const at = (number: number, mean: number | null, consensus: number | null) => ({ number, mean, consensus });

  it('ranks a large consensus shift above a modest change of the mean', () => {
    const before = [at(1, 3.0, 0.7), at(2, 3.0, 0.4), at(3, 2.5, 0.6)];
    const after = [at(1, 3.4, 0.7), at(2, 3.05, 0.8), at(3, 2.8, 0.6)];
    expect(whatMovedMost(before, after).map((m) => m.number)).toEqual([2, 1, 3]);
  });

  it('leaves out changes below a meaningful step', () => {
    const before = [at(1, 3.0, 0.6), at(2, 3.0, 0.6), at(3, 3.0, 0.6)];
    const after = [at(1, 2.97, 0.6), at(2, 3.0, 0.6 + CONSENSUS_STEP / 2), at(3, 3.0 + MEAN_STEP, 0.6)];
    const moved = whatMovedMost(before, after);
    expect(moved.map((m) => m.number)).toEqual([3]);
    expect(moved[0]).toMatchObject({ mean: MEAN_STEP, consensus: 0 });
  });

  it('skips what cannot be compared, breaks ties by number and keeps the limit', () => {
    const before = [at(1, 3, 0.5), at(2, 3, 0.5), at(3, null, null), at(4, 3, 0.5)];
    const after = [at(1, 2, 0.5), at(2, 4, 0.5), at(3, 4, 0.9), at(4, 3.5, 0.5)];
    expect(whatMovedMost(before, after).map((m) => m.number)).toEqual([1, 2, 4]);
    expect(whatMovedMost(before, after, 2).map((m) => m.number)).toEqual([1, 2]);
  });
});
