/**
 * How numbers, counts and long names are written for people (issue 23, item 8):
 * decimals in the language's own format ("0,6" in Dutch), counts with the
 * language's plural rules instead of "stip(pen)", and names shortened at a word
 * boundary with an ellipsis. Pure: Intl only, no I/O.
 */
import type { Language } from './framework';
import { clampGraphemes, graphemeLength } from './text';

/** BCP 47 tag for number and date formatting. */
export function intlTagOf(language: Language): string {
  return language === 'nl' ? 'nl-NL' : 'en-GB';
}

const numberFormats = new Map<string, Intl.NumberFormat>();
const pluralRules = new Map<Language, Intl.PluralRules>();

/** A decimal with a fixed number of digits in the language's format (nl "0,60", en "0.60"), or a dash when there is none. */
export function formatDecimal(language: Language, value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const key = `${language}:${digits}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(intlTagOf(language), { minimumFractionDigits: digits, maximumFractionDigits: digits });
    numberFormats.set(key, format);
  }
  // −0,00 reads as a change that is not there.
  const text = format.format(value);
  return /^-0([.,]0*)?$/.test(text) ? text.slice(1) : text;
}

/**
 * A change with its sign in the language's format (+0,25 / −0,10 with a real minus sign, as in the exports),
 * a change rounded to nothing without a sign, or a dash when either side is missing. One rule for the screen and the files.
 */
export function formatChange(language: Language, value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const text = formatDecimal(language, Math.abs(value), digits);
  if (/^0([.,]0*)?$/.test(text)) return text;
  return value > 0 ? `+${text}` : `−${text}`;
}

/** A number as typed by a person in either notation ("0,6" or "0.6"), or null when it is not one. */
export function parseDecimal(text: string): number | null {
  const cleaned = text.trim().replace(',', '.');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(cleaned)) return null;
  return Number(cleaned);
}

/** The form of a count's noun the language's plural rules choose ("1 stip", "3 stippen"; "1 dot", "0 dots"). */
export function plural(language: Language, count: number, forms: { one: string; other: string }): string {
  let rules = pluralRules.get(language);
  if (!rules) {
    rules = new Intl.PluralRules(intlTagOf(language));
    pluralRules.set(language, rules);
  }
  return rules.select(count) === 'one' ? forms.one : forms.other;
}

/** The count with its noun: `counted('nl', 3, {one: 'stip', other: 'stippen'})` is "3 stippen". */
export function counted(language: Language, count: number, forms: { one: string; other: string }): string {
  return `${count} ${plural(language, count, forms)}`;
}

/**
 * A name shortened for a narrow place: at most `max` graphemes, cut at the last
 * word boundary that keeps at least half of it (else mid-word), with "…".
 * Returns the name unchanged when it fits. The full name goes in a title or label.
 */
export function shortName(name: string, max: number): string {
  if (graphemeLength(name) <= max) return name;
  // Room for the ellipsis.
  const cut = clampGraphemes(name, Math.max(1, max - 1));
  const space = cut.search(/\s\S*$/);
  const atWord = space >= Math.ceil(cut.length / 2) ? cut.slice(0, space) : cut;
  return `${atWord.replace(/[\s,.;:–-]+$/u, '')}…`;
}
