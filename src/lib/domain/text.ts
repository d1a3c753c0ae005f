/**
 * Text lengths as people see them: in graphemes (user-perceived characters),
 * so an emoji or an accented letter counts once, not as 2–11 UTF-16 units.
 */
const segmenter = typeof Intl !== 'undefined' && 'Segmenter' in Intl ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }) : null;

/** Number of graphemes in `text`. */
export function graphemeLength(text: string): number {
  if (!segmenter) return [...text].length;
  let count = 0;
  for (const _ of segmenter.segment(text)) count++;
  return count;
}

/** `text` cut to at most `max` graphemes (never splitting one). */
export function clampGraphemes(text: string, max: number): string {
  if (text.length <= max) return text;
  if (!segmenter) return [...text].slice(0, max).join('');
  let count = 0;
  let end = 0;
  for (const { index, segment } of segmenter.segment(text)) {
    if (count === max) break;
    count++;
    end = index + segment.length;
  }
  return text.slice(0, end);
}
