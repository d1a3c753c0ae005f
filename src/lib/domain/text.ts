/**
 * Text limits. People count graphemes (what a person sees as one character),
 * so a limit never cuts an emoji, a flag, a ZWJ family or a letter from its
 * accent. The work a text costs (segmenting it, escaping it, folding it into a
 * calendar line, storing and sending it) grows with its UTF-16 code units, and
 * one grapheme may hold any number of them (a letter followed by 20,000
 * combining marks is one grapheme). So every limited text has two bounds: at
 * most N graphemes AND at most `UNITS_PER_GRAPHEME` × N code units, and the
 * code units are checked first, so the grapheme count only ever runs on a
 * bounded string. One helper for every limited field, on the server and in the browser.
 */

/**
 * Code units a limited text may spend per grapheme it may hold. Four covers any
 * real writing: Latin, Cyrillic, Greek, CJK and most accented letters are one
 * or two units per grapheme, an ordinary emoji two, a flag or an emoji with a
 * skin tone four; only a text made entirely of ZWJ families (eleven units each)
 * meets the unit bound before the grapheme bound. A text of combining marks piled
 * on one letter, which costs without showing anything, meets it early.
 */
export const UNITS_PER_GRAPHEME = 4;

let segmenter: Intl.Segmenter | null = null;
function graphemes(): Intl.Segmenter {
  // Created lazily: constructing one costs more than most texts we measure.
  return (segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' }));
}

/** How many graphemes `s` holds. Never more than `s.length` (UTF-16 units), which callers use as a cheap bound. */
export function graphemeLength(s: string): number {
  // Every grapheme is at least one UTF-16 unit, so short strings of plain ASCII need no segmenting.
  if (isAscii(s)) return s.length;
  let count = 0;
  for (const _ of graphemes().segment(s)) count++;
  return count;
}

/** `s` cut to at most `max` graphemes, at a grapheme boundary. Work is linear in `s`: cut by units first (see clampText). */
export function clampGraphemes(s: string, max: number): string {
  if (max <= 0) return '';
  if (s.length <= max) return s;
  if (isAscii(s)) return s.slice(0, max);
  let count = 0;
  for (const { index } of graphemes().segment(s)) {
    if (count === max) return s.slice(0, index);
    count++;
  }
  return s;
}

/**
 * `s` cut to at most `units` UTF-16 code units, at a grapheme boundary (so
 * never inside a surrogate pair either). Work is bounded by `units`, whatever
 * the length of `s`: only the first `units + 2` units are segmented.
 */
export function clampUnits(s: string, units: number): string {
  if (s.length <= units) return s;
  if (units <= 0) return '';
  // A grapheme break before position i depends only on the text before i and the code point at i,
  // so the breaks of this prefix (which ends with a whole code point at `units`) up to `units` are breaks of the whole text.
  const prefix = s.slice(0, units + 2);
  if (isAscii(prefix)) return s.slice(0, units);
  let end = 0;
  for (const { index, segment } of graphemes().segment(prefix)) {
    if (index + segment.length > units) break;
    end = index + segment.length;
  }
  return s.slice(0, end);
}

/**
 * `s` cut to both bounds of a limited text: at most `max` graphemes and at most
 * `units` code units (by default `UNITS_PER_GRAPHEME` × `max`), at a grapheme
 * boundary. Work is bounded by `units`, whatever `s` holds: this is how every
 * text that is copied (a carried-over point, an import) or read back for an
 * output (exports, snapshots, a database written before these bounds) is cut.
 */
export function clampText(s: string, max: number, units = max * UNITS_PER_GRAPHEME): string {
  return clampGraphemes(clampUnits(s, units), max);
}

/**
 * A text read back for an output, bounded by what it may cost: returned as is
 * (no segmenting at all) when within the unit bound, and cut to both bounds
 * otherwise. The grapheme bound was checked when the text was written; the unit
 * bound is what bounds the work of every output, and checking it costs nothing.
 * For a database written before texts were bounded in code units, and for any
 * text that reached the store another way.
 */
export function boundText(s: string, max: number, units = max * UNITS_PER_GRAPHEME): string {
  return s.length <= units ? s : clampText(s, max, units);
}

/** `clampText`, ending in "…" when something was cut (for outputs people read: they should see that it was cut). */
export function clampTextMarked(s: string, max: number, units = max * UNITS_PER_GRAPHEME): string {
  const cut = clampText(s, max, units);
  return cut === s ? s : `${clampText(cut, max - 1, units - 1)}…`;
}

/** Whether `s` holds at most `max` graphemes (cheap when it is short in UTF-16 units). */
export function withinGraphemes(s: string, max: number): boolean {
  return s.length <= max || graphemeLength(s) <= max;
}

/** Whether `s` is within both bounds of a limited text; the unit bound is checked first, so the work is bounded. */
export function withinText(s: string, max: number, units = max * UNITS_PER_GRAPHEME): boolean {
  return s.length <= units && withinGraphemes(s, max);
}

/**
 * `s` without the characters XML 1.0 forbids: C0 controls other than tab, LF
 * and CR, U+FFFE and U+FFFF, and lone surrogates (a pair stays). A strict XML
 * reader (Excel, LibreOffice, any conforming parser) refuses a file with one.
 */
export function xmlSafe(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '');
}

/** ASCII without CR LF: every UTF-16 unit is one grapheme (CR LF is the one ASCII pair that joins). */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f || (c === 13 && s.charCodeAt(i + 1) === 10)) return false;
  }
  return true;
}
