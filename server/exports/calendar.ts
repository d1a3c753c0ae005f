import type { EventAttributes } from 'ics';
import { clampText, clampTextMarked, xmlSafe } from '../../src/lib/domain/text';
import { LIMITS } from '../../src/lib/protocol';
import { dayAfter } from '../../src/lib/domain/dates';
import type { Framework, Language } from '../../src/lib/domain/framework';
import { exportWords } from '../../src/lib/i18n/catalogues';

/** An open action point with a due date, as a calendar shows it. */
export interface DueAction {
  /** Stable across downloads, so a calendar that imports the file again updates instead of duplicating. */
  uid: string;
  text: string;
  /** YYYY-MM-DD. */
  due: string;
  /** Lines for the description: owner, factor, the session it comes from. */
  details: string[];
}

/** Summary lines longer than this are cut (calendars show one line); the whole text stays in the description. */
const SUMMARY_MAX = 120;
/** Graphemes of one description line under the text (owner, factor, session: each a bounded name plus a few words). */
const DETAIL_MAX = 2 * LIMITS.titleMax;
/** Events built in one turn of the event loop; between slices other requests (and `/healthz`) are answered. */
const EVENTS_PER_SLICE = 25;

/**
 * `ics` is loaded at the first calendar download, not when the server starts, which every instance and every child
 * server a test starts would otherwise pay for whether or not anyone downloads a calendar from it.
 */
let loading: Promise<typeof import('ics')> | null = null;
const ics = () => (loading ??= import('ics'));

/**
 * An iCalendar file (RFC 5545) with one all-day event per open action point on
 * its due date; `name` becomes the calendar's name.
 *
 * The `ics` library builds the file, except for the properties that hold our
 * text (SUMMARY, DESCRIPTION, X-WR-CALNAME): it is given a short placeholder for
 * each, which is then replaced by the text escaped and folded here. Its own
 * folding counts graphemes rather than octets and is quadratic in the line
 * (a 40,000-mark line took 31 s on the event loop, and one grapheme of 20,000
 * marks was never folded at all), and it does not escape X-WR-CALNAME.
 * Every text is cut to its limits first, so the file costs what the limits allow.
 */
export async function actionsCalendar(actions: readonly DueAction[], calendarName: string): Promise<string> {
  return (await actionsCalendarParts(actions, calendarName)).join('');
}

/**
 * The same calendar as `actionsCalendar`, in parts (the header, one part per
 * slice of events, the footer), so a large one (a community's at the limits is
 * ~15 MB) is sent slice by slice instead of as one string converted and written
 * in a single turn of the event loop.
 */
export async function actionsCalendarParts(actions: readonly DueAction[], calendarName: string): Promise<string[]> {
  const texts: string[] = [];
  /** A placeholder the library writes as is (letters and digits only); the real text goes in its place afterwards. */
  const slot = (text: string) => `SEEDSSLOT${texts.push(text) - 1}X`;
  const nameSlot = slot(calendarText(clampText(calendarName, LIMITS.titleMax, LIMITS.titleUnits)));
  if (actions.length === 0) {
    // `ics` refuses an empty list; an empty calendar is still a valid answer.
    return [fill(['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:seeds-live-board', `X-WR-CALNAME:${nameSlot}`, 'END:VCALENDAR', ''].join('\r\n'), texts)];
  }
  const { createEvents } = await ics();
  let head = '';
  const body: string[] = [];
  let tail = '';
  for (let from = 0; from < actions.length; from += EVENTS_PER_SLICE) {
    if (from > 0) await new Promise((resolve) => setImmediate(resolve));
    const events = actions.slice(from, from + EVENTS_PER_SLICE).map((a) => event(a, slot, nameSlot));
    const { error, value } = createEvents(events);
    if (error || !value) throw error ?? new Error('the calendar could not be built');
    // Each slice is a whole calendar; its events are kept, the header and footer of the first one.
    const first = value.indexOf('BEGIN:VEVENT');
    const last = value.lastIndexOf('END:VEVENT\r\n') + 'END:VEVENT\r\n'.length;
    if (from === 0) {
      head = fill(value.slice(0, first), texts);
      tail = value.slice(last);
    }
    // Filled slice by slice, so escaping and folding are sliced too.
    body.push(fill(value.slice(first, last), texts));
  }
  return [head, ...body, tail];
}

function event(a: DueAction, slot: (text: string) => string, nameSlot: string): EventAttributes {
  // A due date is a day as people typed it: an all-day event from that day to the next, never moved through a zone.
  const [year, month, day] = a.due.split('-').map(Number);
  const [endYear, endMonth, endDay] = dayAfter(a.due).split('-').map(Number);
  // Within the unit bound as is (a merged point's parts are each bounded; counting graphemes of every text would cost
  // ~3 ms per 2,000 flags); beyond it cut to one action text's bounds, marked.
  const text = calendarText(a.text.length <= LIMITS.actionTextUnits ? a.text : clampTextMarked(a.text, LIMITS.actionTextMax, LIMITS.actionTextUnits));
  const firstLine = text.split('\n')[0]?.trim() || '…';
  const details = a.details.map((d) => calendarText(clampTextMarked(d, DETAIL_MAX)));
  return {
    uid: a.uid,
    // Cut at a grapheme boundary, so an emoji at the cut is whole or gone, never half of one.
    title: slot(clampTextMarked(firstLine, SUMMARY_MAX)),
    description: slot([text, '', ...details].join('\n').trim()),
    start: [year, month, day],
    end: [endYear, endMonth, endDay],
    productId: 'seeds-live-board',
    calName: nameSlot
  };
}

/** Puts each text in place of its placeholder: the whole content line escaped and folded here, in linear time. */
function fill(ics: string, texts: readonly string[]): string {
  return ics.replace(
    /^(SUMMARY|DESCRIPTION|X-WR-CALNAME):SEEDSSLOT(\d+)X\r\n/gm,
    (_m, name: string, index: string) => `${foldLine(`${name}:${escapeText(texts[Number(index)])}`)}\r\n`
  );
}

/**
 * Folds one content line (RFC 5545 §3.1): at most 75 octets of UTF-8 per line,
 * a continuation line starting with one space (which counts), never inside a
 * UTF-8 sequence. Linear in the line. Unfolding (removing CRLF + space) gives the line back.
 */
export function foldLine(line: string): string {
  const parts: string[] = [];
  let start = 0;
  let octets = 0;
  let room = 75;
  for (let i = 0; i < line.length;) {
    const cp = line.codePointAt(i)!;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (octets + size > room) {
      parts.push(line.slice(start, i));
      start = i;
      octets = 0;
      room = 74;
    }
    octets += size;
    i += cp > 0xffff ? 2 : 1;
  }
  parts.push(line.slice(start));
  return parts.join('\r\n ');
}

/**
 * Text as a calendar may hold it. An action point's text is whatever its Yjs
 * text holds: a lone CR (or another line separator) would end the line in some
 * readers and start a property of the sender's choosing, and RFC 5545 TEXT
 * allows no control characters at all. Every line break becomes LF (escaped as
 * \n), other control characters a space; lone surrogates and noncharacters go.
 */
function calendarText(text: string): string {
  return xmlSafe(text.replace(/\r\n?|[\n\u000b\u000c\u0085\u2028\u2029]/g, '\n').replace(/[\u0000-\u0009\u000e-\u001f\u007f-\u009f]/g, ' '));
}

/** RFC 5545 TEXT escaping (§3.3.11): backslash, semicolon, comma, and line breaks as \n. */
export function escapeText(text: string): string {
  return text.replace(/[\\;,]/g, (c) => `\\${c}`).replace(/\r?\n/g, '\\n');
}

/** The first letter in upper case (export words are written to sit inside a sentence). */
/**
 * An action point's lines in its calendar event, for a session's and a community's calendar alike: its owner, its
 * factor (or "general") and where it comes from (`source`, e.g. the session's title).
 */
export function actionDetails(point: { owner: string | null; factor: number | null }, framework: Framework, language: Language, source: string): string[] {
  const words = exportWords(language);
  return [
    point.owner ? words.review.owner(point.owner) : '',
    point.factor
      ? `${capitalise(words.export.factorRef(point.factor))}: ${framework.factors[point.factor - 1]?.title[language] ?? ''}`
      : capitalise(words.export.general),
    source
  ].filter(Boolean);
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A check-in's deadline as a calendar event (issue 25): a quarter of an hour ending at the deadline, with the join link. */
export interface CheckinEvent {
  /** Stable per session, so importing the file again after an extension moves the event instead of adding one. */
  uid: string;
  /** "Check-in closes: <title>" in the session's language. */
  title: string;
  /** Epoch ms. */
  deadline: number;
  /** Lines for the description: what to do, the join link. */
  details: string[];
}

export async function checkinCalendar(c: CheckinEvent): Promise<string> {
  const { createEvents } = await ics();
  const texts: string[] = [];
  const slot = (text: string) => `SEEDSSLOT${texts.push(text) - 1}X`;
  const at = (ms: number) => {
    // UTC instants: every calendar shows them in its reader's own zone.
    const d = new Date(ms);
    return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()] as [number, number, number, number, number];
  };
  const title = calendarText(clampTextMarked(c.title, SUMMARY_MAX));
  const { error, value } = createEvents([
    {
      uid: c.uid,
      title: slot(title),
      description: slot(c.details.map((d) => calendarText(clampTextMarked(d, DETAIL_MAX))).join('\n')),
      start: at(c.deadline - 15 * 60_000),
      startInputType: 'utc',
      startOutputType: 'utc',
      end: at(c.deadline),
      endInputType: 'utc',
      endOutputType: 'utc',
      productId: 'seeds-live-board',
      calName: slot(title)
    }
  ]);
  if (error || !value) throw error ?? new Error('the calendar could not be built');
  return fill(value, texts);
}
