import { describe, expect, it } from 'vitest';
import {
  boundText,
  clampGraphemes,
  clampText,
  clampTextMarked,
  clampUnits,
  graphemeLength,
  withinGraphemes,
  withinText,
  xmlSafe
} from '../../src/lib/domain/text';

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

describe('limits in code units (what a text costs)', () => {
  const marks = (n: number) => `a${'\u0301'.repeat(n)}`;

  it('clampUnits cuts at a grapheme boundary within the bound, looking at no more than the bound', () => {
    expect(clampUnits('abc', 5)).toBe('abc');
    expect(clampUnits('abcdef', 3)).toBe('abc');
    expect(clampUnits('abc', 0)).toBe('');
    // One letter under many marks is one grapheme: it goes whole or not at all.
    expect(clampUnits(`xy${marks(20_000)}`, 100)).toBe('xy');
    // Never inside a surrogate pair, a flag, a ZWJ family or an emoji with its skin tone.
    for (const tail of ['😀', FAMILY, FLAG, E_ACUTE, THUMB]) {
      const s = `${'x'.repeat(10)}${tail}${tail}`;
      for (let units = 10; units <= s.length; units++) {
        const cut = clampUnits(s, units);
        expect(cut.length).toBeLessThanOrEqual(units);
        expect([`${'x'.repeat(10)}`, `${'x'.repeat(10)}${tail}`, s]).toContain(cut);
      }
    }
    expect(clampUnits('ab\r\ncd', 3)).toBe('ab');
  });

  it('clampText keeps both bounds: graphemes and code units', () => {
    expect(clampText('x'.repeat(50), 40)).toBe('x'.repeat(40));
    expect(clampText(FAMILY.repeat(40), 40)).toBe(FAMILY.repeat(14)); // 11 units each: the unit bound (160) comes first
    expect(clampText(FLAG.repeat(40), 40)).toBe(FLAG.repeat(40)); // 4 units each: exactly both bounds
    expect(clampText(`${'b'.repeat(49)}${marks(3_000_000)}`, 2000, 8000)).toBe('b'.repeat(49));
    expect(clampText('abc', 40, 2)).toBe('ab');
  });

  it('clampTextMarked shows that something was cut', () => {
    expect(clampTextMarked('abc', 5)).toBe('abc');
    expect(clampTextMarked('abcdef', 4)).toBe('abc…');
    expect(clampTextMarked(`ab${marks(100)}`, 10, 10)).toBe('ab…');
  });

  it('withinText checks the unit bound before counting graphemes', () => {
    expect(withinText(FLAG.repeat(40), 40)).toBe(true);
    expect(withinText(FLAG.repeat(41), 40)).toBe(false);
    expect(withinText(marks(159), 40)).toBe(true);
    expect(withinText(marks(160), 40)).toBe(false);
    expect(withinText('x'.repeat(41), 40)).toBe(false);
  });

  it('xmlSafe removes what XML 1.0 forbids and keeps everything else', () => {
    expect(xmlSafe('a\u0000b\u0001c\u0008d\u000be\u000cf\u001bg\u001fh')).toBe('abcdefgh');
    expect(xmlSafe('tab\there\nline\r\nend')).toBe('tab\there\nline\r\nend');
    expect(xmlSafe('a\ufffeb\uffffc')).toBe('abc');
    expect(xmlSafe('a\ud800b\udc00c\ud800')).toBe('abc');
    expect(xmlSafe(`ok ${FAMILY} ${FLAG} 😀 é €`)).toBe(`ok ${FAMILY} ${FLAG} 😀 é €`);
  });
});

describe('boundText (texts read back for outputs)', () => {
  it('returns a text within the unit bound as it is, without segmenting, and cuts one beyond it to both bounds', () => {
    const flags = '🇳🇱'.repeat(2000);
    expect(boundText(flags, 2000, 8000)).toBe(flags);
    expect(boundText(`${flags}x`, 2000, 8000)).toBe(flags);
    expect(boundText(`${'b'.repeat(49)}a${'\u0301'.repeat(3_000_000)}`, 2000, 8000)).toBe('b'.repeat(49));
  });
});
