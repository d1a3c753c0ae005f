/**
 * Days and time zones (issue 23, item 4). A group meets somewhere: the day of
 * a meeting is the day on the clocks of that place, not the UTC day of the
 * instant (a reveal at 00:20 in Amsterdam is 23:20 UTC the day before). Sessions
 * and communities carry an IANA time zone; every date the product writes is the
 * local day there. All calendar work is Intl's (the platform's ICU data) or, for
 * a wall-clock time in a zone, @date-fns/tz's (built on Intl): no offsets or
 * DST rules are computed here. Pure: no I/O, no clock (callers pass
 * the instant).
 */
import { TZDate } from '@date-fns/tz';
import type { Language } from './framework';

/**
 * The zone of sessions and communities created before zones were stored, and of
 * a request that names none: the product's home (Greenport West-Holland).
 */
export const DEFAULT_TIME_ZONE = 'Europe/Amsterdam';

/** The longest zone name accepted (the longest IANA name is about 30 characters). */
export const TIME_ZONE_MAX = 64;

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The canonical name of an IANA time zone (e.g. `europe/amsterdam` → `Europe/Amsterdam`), or null when it is not one. */
export function canonicalTimeZone(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > TIME_ZONE_MAX) return null;
  // Names only: offsets such as "+01:00" are not zones (they know no summer time).
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(value)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** Whether a string is an IANA time zone this platform knows. */
export function isTimeZone(value: unknown): value is string {
  return canonicalTimeZone(value) !== null;
}

function dayFormat(timeZone: string): Intl.DateTimeFormat {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', calendar: 'gregory', numberingSystem: 'latn' });
    // Bounded: only zones that exist get here, and there are a few hundred.
    if (dayFormats.size < 1000) dayFormats.set(timeZone, format);
  }
  return format;
}

/** The local day (YYYY-MM-DD) of an instant (epoch ms) in an IANA time zone. */
export function localDay(epochMs: number, timeZone: string): string {
  const parts = dayFormat(timeZone).formatToParts(new Date(epochMs));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year').padStart(4, '0')}-${part('month')}-${part('day')}`;
}

/**
 * The instant of a wall-clock time (`YYYY-MM-DDTHH:mm`, as a `datetime-local` field gives it) on the clocks of
 * `timeZone`, whatever zone the browser is in: a facilitator abroad who types 17:00 for an Amsterdam community sets
 * 17:00 in Amsterdam. Null for anything else. A time that does not exist there (the hour skipped in spring) is read
 * as @date-fns/tz reads it (moved forward by the gap).
 */
export function zonedLocalToInstant(local: string, timeZone: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!match || !isTimeZone(timeZone)) return null;
  const [year, month, day, hour, minute] = match.slice(1).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) return null;
  const instant = new TZDate(year, month - 1, day, hour, minute, timeZone).getTime();
  return Number.isFinite(instant) ? instant : null;
}

/**
 * A deadline as people read it: weekday, day, month, time and the zone's short name, on the clocks where the
 * group meets (a member abroad sees "… 17:00 CET" and knows it is not their local time).
 */
export function deadlineText(epochMs: number, timeZone: string, intlTag: string): string {
  return new Intl.DateTimeFormat(intlTag, {
    timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short'
  }).format(new Date(epochMs));
}

/**
 * Time left on a countdown: "4:05" within the hour, "2:04:05" within the day, "3d 2:04:05" beyond (a check-in stays
 * open for days; 4277 minutes is no time anyone reads). "d" reads as dag and day alike.
 */
export function timeLeft(ms: number): string {
  const left = Math.max(0, Math.ceil(ms / 1000));
  const seconds = String(left % 60).padStart(2, '0');
  const minutes = Math.floor(left / 60) % 60;
  const hours = Math.floor(left / 3600) % 24;
  const days = Math.floor(left / 86_400);
  if (left < 3600) return `${Math.floor(left / 60)}:${seconds}`;
  const clock = `${hours}:${String(minutes).padStart(2, '0')}:${seconds}`;
  return days > 0 ? `${days}d ${clock}` : clock;
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();

/** The local time (HH:MM, 24 hours) of an instant in a time zone: tells two meetings of one day apart. */
export function localTime(epochMs: number, timeZone: string): string {
  let format = timeFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    if (timeFormats.size < 1000) timeFormats.set(timeZone, format);
  }
  return format.format(new Date(epochMs));
}

/** Whether a string is a real calendar day written YYYY-MM-DD. */
export function isIsoDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const time = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === value;
}

const LOCALES: Record<Language, string> = { nl: 'nl-NL', en: 'en-GB' };
const humanFormats = new Map<Language, Intl.DateTimeFormat>();

/**
 * A day (YYYY-MM-DD, already local: a meeting's day or a due date) as people of
 * the language write it: nl "6 dec. 2026", en "6 Dec 2026" (the month named, so
 * no reader mistakes day for month; the exact abbreviation is the platform's ICU data,
 * e.g. "6 dec 2026" in current CLDR). The day is not moved through any zone.
 * Anything that is not a day is answered as given.
 */
export function humanDate(day: string, language: Language): string {
  if (!isIsoDay(day)) return day;
  let format = humanFormats.get(language);
  if (!format) {
    format = new Intl.DateTimeFormat(LOCALES[language], { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
    humanFormats.set(language, format);
  }
  return format.format(new Date(`${day}T00:00:00Z`));
}

const dayMonthFormats = new Map<Language, Intl.DateTimeFormat>();

/** A short human day without the year (nl "6 dec", en "6 Dec"), for a crowded axis. */
export function humanDayMonth(day: string, language: Language): string {
  if (!isIsoDay(day)) return day;
  let format = dayMonthFormats.get(language);
  if (!format) {
    // Building a formatter costs far more than using one: a community's trend labels hundreds of points.
    format = new Intl.DateTimeFormat(LOCALES[language], { day: 'numeric', month: 'short', timeZone: 'UTC' });
    dayMonthFormats.set(language, format);
  }
  return format.format(new Date(`${day}T00:00:00Z`));
}

/** The day after a day (YYYY-MM-DD → YYYY-MM-DD): a calendar's all-day event ends there. Days only, no zone. */
export function dayAfter(day: string): string {
  const [year, month, date] = day.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, date + 1)).toISOString().slice(0, 10);
}

/** Whether a day (YYYY-MM-DD) lies after today in a zone, at the instant `now`: a meeting that has not been held yet. */
export function isFutureDay(day: string, timeZone: string, now: number): boolean {
  return day > localDay(now, timeZone);
}
