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

/**
 * The names taken in one session, by their keys, kept up to date on every join,
 * rename and removal, so a join costs O(1) name comparisons instead of
 * re-normalising every name in the room (O(N) per join, O(N²) per room).
 * Counts, not a set: names stored before names were made distinct (and all
 * anonymous joins, '') may share a key.
 */
export class NameIndex {
  private readonly counts = new Map<string, number>();
  /** Base key → the suffix to try first: a room of many "Sam"s does not retry "Sam (2)"… on every join. */
  private readonly nextSuffix = new Map<string, number>();

  constructor(names: Iterable<string> = []) {
    for (const name of names) this.add(name);
  }

  get size(): number {
    return this.counts.size;
  }

  add(name: string): void {
    const key = nameKey(name);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  remove(name: string): void {
    const key = nameKey(name);
    const left = (this.counts.get(key) ?? 0) - 1;
    if (left > 0) this.counts.set(key, left);
    else this.counts.delete(key);
  }

  rename(from: string, to: string): void {
    this.remove(from);
    this.add(to);
  }

  has(name: string): boolean {
    return this.counts.has(nameKey(name));
  }

  /**
   * What distinctName answers for the names held here, without scanning them: the name itself when free, else
   * the next free numbered form. Numbers freed by a removal are not handed out again (the first candidate tried
   * is one past the last handed out for that name), so a room of many equal names costs O(1) per join too.
   */
  distinct(name: string, max = 40): string {
    const trimmed = name.trim();
    if (trimmed === '') return '';
    const base = nameKey(trimmed);
    if (!this.counts.has(base)) return trimmed;
    const first = this.nextSuffix.get(base) ?? 2;
    // Bounded: at most one candidate per name held (plus one).
    for (let n = first; n <= first + this.counts.size; n++) {
      const suffix = ` (${n})`;
      const candidate = `${clampGraphemes(trimmed, max - suffix.length).trimEnd()}${suffix}`;
      if (!this.counts.has(nameKey(candidate))) {
        this.nextSuffix.set(base, n + 1);
        return candidate;
      }
    }
    return trimmed;
  }
}

/**
 * How names are compared: Unicode NFC, case-folded, invisible characters dropped, inner spaces collapsed.
 * `toLowerCase` is Unicode's default mapping, the same as the root locale's (`toLocaleLowerCase('und')`, which
 * tests/unit/names.test.ts compares over every code point) at a fifth of the cost: every join computes two keys.
 */
export function nameKey(name: string): string {
  return name
    .normalize('NFC')
    .replace(/\p{Cf}/gu, '')
    .toLowerCase()
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

/**
 * Whether the joiner at `offset` stands between two pictographic characters (an emoji ZWJ sequence), the first
 * perhaps with its emoji presentation selector or a skin tone after it (👩🏽‍🌾, 🏳️‍🌈).
 */
function isPictographic(text: string, offset: number): boolean {
  const before = text.slice(Math.max(0, offset - 8), offset).replace(/(?:\uFE0F|\p{Emoji_Modifier})+$/u, '');
  const after = text.slice(offset + 1, offset + 3);
  return /\p{Extended_Pictographic}$/u.test(before) && /^\p{Extended_Pictographic}/u.test(after);
}
