import { nl } from './nl';
import { humanDate } from '../domain/dates';
import { formatChange as formatSignedChange, formatDecimal, intlTagOf } from '../domain/wording';
import { en } from './en';
import { LANGUAGES, DEFAULT_LANGUAGE, type Language } from '../domain/framework';
import type { ErrorCode, ProtocolError } from '../protocol';
import type { Messages } from './messages';

export type { Messages } from './messages';

const catalogues: Record<Language, Messages> = { nl, en };
const STORAGE_KEY = 'seeds:language';

/** The language the interface is shown in now (a per-person choice, defaulting to the session's). */
export const locale = $state<{ language: Language; chosen: boolean }>({ language: DEFAULT_LANGUAGE, chosen: false });

/** The messages for the current language; reading it inside a component makes it reactive. */
export function m(): Messages {
  return catalogues[locale.language];
}

/** BCP 47 tag for number and date formatting. */
export function intlTag(language: Language = locale.language): string {
  return intlTagOf(language);
}

/** Formats a decimal for the current locale (e.g. 3,25 in Dutch). */
export function formatNumber(value: number | null, digits = 2): string {
  return formatDecimal(locale.language, value, digits);
}

/** A share (0..1) as a whole percentage for the current locale (e.g. 40 %), or a dash. */
export function formatPercent(share: number | null | undefined): string {
  if (share === null || share === undefined) return '–';
  return share.toLocaleString(intlTag(), { style: 'percent', maximumFractionDigits: 0 });
}

/**
 * A day (YYYY-MM-DD: a meeting's local day or a due date) as the current language writes it ("6 dec. 2026",
 * "6 Dec 2026"); never moved through a time zone. An empty value stays empty.
 */
export function formatDay(day: string | null | undefined): string {
  return day ? humanDate(day, locale.language) : '';
}

/** A change with its sign (+0,25 / −0,10), or a dash when either side is missing. */
export function formatChange(value: number | null): string {
  return formatSignedChange(locale.language, value);
}

/** Restores a person's explicit choice, if any. */
export function restoreLanguage(): void {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved && (LANGUAGES as readonly string[]).includes(saved)) {
      locale.language = saved as Language;
      locale.chosen = true;
    }
  } catch {
    // Storage may be blocked; the default stays.
  }
}

/** A person switches language; remembered on this device. */
export function chooseLanguage(language: Language): void {
  locale.language = language;
  locale.chosen = true;
  try {
    localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // Not remembered, still switched.
  }
}

/** The session's language applies unless the person chose one. */
export function useSessionLanguage(language: Language): void {
  if (!locale.chosen) locale.language = language;
}

// Every error code has a message in every language (checked when compiling).
const errorsCovered: Record<ErrorCode, string> = nl.errors;
void errorsCovered;

/**
 * A readable message for a protocol error in the current language. A lost
 * connection or an ack that never came is reported as such, not as a code.
 */
export function errorMessage(error: ProtocolError | null | undefined): string {
  if (!error) return m().errors.generic;
  if (error.message === 'network') return m().errors.network;
  const known: Record<string, string> = m().errors;
  return known[error.code] ?? m().errors.generic;
}
