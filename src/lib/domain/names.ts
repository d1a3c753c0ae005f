import { clampGraphemes } from './text';

/**
 * Display names people can tell apart. A name that is already taken in the
 * session (compared without case, accents of composition or extra spaces) gets
 * the next free number: "Sam", "Sam (2)", "Sam (3)". An empty name (joining
 * anonymously) stays empty. The result never exceeds `max` characters as a
 * person counts them (grapheme clusters), so a suffix never splits an emoji.
 */
export function distinctName(name: string, taken: Iterable<string>, max = 40): string {
  const trimmed = name.trim();
  if (trimmed === '') return '';
  const used = new Set<string>();
  for (const t of taken) used.add(nameKey(t));
  if (!used.has(nameKey(trimmed))) return trimmed;
  // Bounded: at most one candidate per existing name (plus one).
  for (let n = 2; n <= used.size + 1; n++) {
    const suffix = ` (${n})`;
    const candidate = `${clampGraphemes(trimmed, max - suffix.length).trimEnd()}${suffix}`;
    if (!used.has(nameKey(candidate))) return candidate;
  }
  return trimmed;
}

/** How names are compared: Unicode NFC, case-folded, invisible characters dropped, inner spaces collapsed. */
export function nameKey(name: string): string {
  return name
    .normalize('NFC')
    .replace(/\p{Cf}/gu, '')
    .toLocaleLowerCase('und')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Text as people will see it in a list of other people's text: control
 * characters become spaces, and invisible format characters (zero-width
 * spaces, bidi overrides and isolates, which can make two names look alike or
 * mirror everything after them) are removed — except the zero-width joiner
 * inside an emoji sequence. Text with nothing visible left becomes ''.
 */
export function visibleText(text: string): string {
  const cleaned = text
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/\p{Cf}/gu, (c, offset: number, whole: string) => (c === '\u200d' && isPictographic(whole, offset) ? c : ''))
    .trim();
  return cleaned.replace(/\u200d/g, '').trim() === '' ? '' : cleaned;
}

/** Whether the joiner at `offset` stands between two pictographic characters (an emoji ZWJ sequence). */
function isPictographic(text: string, offset: number): boolean {
  const before = text.slice(Math.max(0, offset - 2), offset).replace(/\uFE0F$/, '');
  const after = text.slice(offset + 1, offset + 3);
  return /\p{Extended_Pictographic}$/u.test(before) && /^\p{Extended_Pictographic}/u.test(after);
}
