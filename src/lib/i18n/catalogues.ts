import type { Language } from '../domain/framework';
import { en } from './en';
import type { Messages } from './messages';
import { nl } from './nl';

/**
 * The message catalogue of a language, as plain data (no Svelte runes), for what is written outside the
 * interface: exports, calendars and reports. The domain's export builders take these words as an argument.
 */
const CATALOGUES: Record<Language, Messages> = { nl, en };
export const exportWords = (lang: Language): Messages => CATALOGUES[lang];
