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

/** How names are compared: Unicode NFC, case-folded, inner spaces collapsed. */
export function nameKey(name: string): string {
  return name.normalize('NFC').toLocaleLowerCase('und').replace(/\s+/g, ' ').trim();
}

/** Cuts `text` to at most `max` grapheme clusters (never inside an emoji or a combined character). */
function clampGraphemes(text: string, max: number): string {
  if (text.length <= max) return text;
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let out = '';
  let count = 0;
  for (const { segment } of segmenter.segment(text)) {
    if (++count > max) break;
    out += segment;
  }
  return out;
}
