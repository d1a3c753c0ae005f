/**
 * Text limits counted in graphemes (what a person sees as one character), so a
 * limit never cuts an emoji, a flag, a ZWJ family or a letter from its accent.
 * One helper for every limited field, on the server and in the browser.
 */

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

/** `s` cut to at most `max` graphemes, at a grapheme boundary. */
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

/** Whether `s` holds at most `max` graphemes (cheap when it is short in UTF-16 units). */
export function withinGraphemes(s: string, max: number): boolean {
  return s.length <= max || graphemeLength(s) <= max;
}

/** ASCII without CR LF: every UTF-16 unit is one grapheme (CR LF is the one ASCII pair that joins). */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f || (c === 13 && s.charCodeAt(i + 1) === 10)) return false;
  }
  return true;
}
