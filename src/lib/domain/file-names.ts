/**
 * Names of the files people take home (issue 23): the session's or community's
 * name and the day, so a download folder of several workshops can be told apart
 * without opening anything. Pure: no I/O.
 */
import { clampText } from './text';

/** At most this many graphemes of the name go into a file name (with the date and a suffix it stays far below 255 bytes). */
export const FILE_SLUG_MAX = 48;

/**
 * A name as a file system takes it everywhere: lower case, letters, marks and digits of any
 * script kept, every other run of characters (spaces, / \ : * ? " < > |, dots, controls,
 * emoji) one hyphen, no hyphen at either end, at most FILE_SLUG_MAX graphemes. Empty
 * when nothing usable is left (the caller puts its fallback there).
 */
export function fileSlug(name: string): string {
  const slug = name
    .normalize('NFC')
    .toLocaleLowerCase('en')
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  // Cut at a grapheme boundary (never half a letter with its accent), then no trailing hyphen.
  return clampText(slug, FILE_SLUG_MAX).replace(/-+$/g, '');
}

/**
 * The same name in plain ASCII, for the `filename=` fallback of Content-Disposition
 * (RFC 6266): accents dropped (ü → u), anything else outside ASCII a hyphen.
 */
export function asciiFileName(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-(?=\.)/g, '');
  return ascii.startsWith('.') || ascii === '' ? `file${ascii}` : ascii;
}

/**
 * `groeiplan-2026-12-06-ronde-2.png`: the name's slug (or `fallback` when it has none), the day
 * (YYYY-MM-DD, the local day where the group met), then the suffixes, each slugged too.
 */
export function takeHomeFileName(name: string, fallback: string, date: string | null, suffixes: readonly string[], extension: string): string {
  const parts = [fileSlug(name) || fileSlug(fallback) || 'export', ...(date ? [date] : []), ...suffixes.map(fileSlug).filter(Boolean)];
  return `${parts.join('-')}.${extension}`;
}

/**
 * The file name a Content-Disposition header offers (RFC 6266): `filename*` (RFC 5987,
 * UTF-8) when present and readable, else `filename`; null when neither is there.
 */
export function dispositionFileName(header: string | null): string | null {
  if (!header) return null;
  const extended = /filename\*\s*=\s*UTF-8''([^;\s]+)/i.exec(header);
  if (extended) {
    try {
      return decodeURIComponent(extended[1]);
    } catch {
      // A malformed escape: fall back to the plain name.
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(header);
  if (!plain) return null;
  return plain[1] !== undefined ? plain[1].replace(/\\(.)/g, '$1') : plain[2];
}
