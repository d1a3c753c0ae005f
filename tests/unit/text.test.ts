import { describe, expect, it } from 'vitest';
import { clampGraphemes, graphemeLength, withinGraphemes } from '../../src/lib/domain/text';

const FAMILY = '👨‍👩‍👧‍👦'; // four people joined by ZWJ: one grapheme, 11 UTF-16 units
const FLAG = '🇳🇱'; // two regional indicators
const E_ACUTE = 'e\u0301'; // e + combining acute
const THUMB = '👍🏽'; // emoji + skin tone modifier

describe('grapheme limits', () => {
  it('counts what people see as characters', () => {
    expect(graphemeLength('')).toBe(0);
    expect(graphemeLength('abc')).toBe(3);
    expect(graphemeLength('😀')).toBe(1);
    expect(graphemeLength(FAMILY)).toBe(1);
    expect(graphemeLength(FLAG + FLAG)).toBe(2);
    expect(graphemeLength(`caf${E_ACUTE}`)).toBe(4);
    expect(graphemeLength(THUMB)).toBe(1);
    expect(graphemeLength('a\r\nb')).toBe(3);
  });

  it('never splits an emoji, a ZWJ sequence, a flag or a combining mark at the limit', () => {
    for (const tail of ['😀', FAMILY, FLAG, E_ACUTE, THUMB]) {
      const s = 'x'.repeat(1999) + tail;
      expect(graphemeLength(s)).toBe(2000);
      expect(clampGraphemes(s, 2000)).toBe(s);
      expect(clampGraphemes(s, 1999)).toBe('x'.repeat(1999));
      const over = s + tail;
      expect(clampGraphemes(over, 2000)).toBe(s);
      // The cut text is well-formed UTF-16: no lone surrogate.
      expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(clampGraphemes(over, 2000))).toBe(false);
    }
    expect(clampGraphemes(`${FAMILY}${FAMILY}${FAMILY}`, 2)).toBe(FAMILY + FAMILY);
    expect(clampGraphemes(`ab${E_ACUTE}`, 2)).toBe('ab');
    expect(clampGraphemes(`ab${E_ACUTE}`, 3)).toBe(`ab${E_ACUTE}`);
    expect(clampGraphemes('abc', 0)).toBe('');
    expect(clampGraphemes('a\r\nb', 2)).toBe('a\r\n');
  });

  it('checks limits cheaply and exactly', () => {
    expect(withinGraphemes('x'.repeat(40), 40)).toBe(true);
    expect(withinGraphemes('x'.repeat(41), 40)).toBe(false);
    expect(withinGraphemes(FAMILY.repeat(40), 40)).toBe(true);
    expect(withinGraphemes(FAMILY.repeat(41), 40)).toBe(false);
  });
});
