/**
 * Frameworks (lists of factors) and the constants around them. The zod schema
 * that validates content files lives in `framework-schema.ts`, which only the
 * server and tests load, so browsers never download zod.
 */
import type { LocalizedText } from './framework-schema';

export type { Factor, Framework, LocalizedText } from './framework-schema';

/** Languages the board is written in; Dutch is the default. */
export const LANGUAGES = ['nl', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'nl';

/** The scores a participant can give; "unknown" (don't know) is counted apart. */
export const SCORES = [1, 2, 3, 4, 5] as const;
export type Score = (typeof SCORES)[number];

/** The framework a session uses when none is named. */
export const DEFAULT_FRAMEWORK_ID = 'seeds-of-innovation';

/** Picks the text for a language. */
export function localize(text: LocalizedText, language: Language): string {
  return text[language];
}
