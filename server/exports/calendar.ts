import { createEvents, type EventAttributes } from 'ics';
import { clampGraphemes, withinGraphemes } from '../../src/lib/domain/text';
import { dayAfter } from '../../src/lib/domain/dates';

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

/**
 * An iCalendar file (RFC 5545, built by the `ics` library, which escapes and
 * folds) with one all-day event per open action point on its due date.
 * `name` becomes the calendar's name.
 */
export function actionsCalendar(actions: readonly DueAction[], calendarName: string): string {
  const name = calendarText(calendarName);
  const events: EventAttributes[] = actions.map((a) => {
    // A due date is a day as people typed it: an all-day event from that day to the next, never moved through a zone.
    const [year, month, day] = a.due.split('-').map(Number);
    const [endYear, endMonth, endDay] = dayAfter(a.due).split('-').map(Number);
    const text = calendarText(a.text);
    const firstLine = text.split('\n')[0]?.trim() || '…';
    return {
      uid: a.uid,
      // Cut at a grapheme boundary, so an emoji at the cut is whole or gone, never half of one.
      title: withinGraphemes(firstLine, SUMMARY_MAX) ? firstLine : `${clampGraphemes(firstLine, SUMMARY_MAX - 1)}…`,
      description: [text, '', ...a.details.map(calendarText)].join('\n').trim(),
      start: [year, month, day],
      end: [endYear, endMonth, endDay],
      productId: 'seeds-live-board',
      calName: name
    };
  });
  if (events.length === 0) {
    // `ics` refuses an empty list; an empty calendar is still a valid answer.
    return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:seeds-live-board', `X-WR-CALNAME:${escapeText(name)}`, 'END:VCALENDAR', ''].join('\r\n');
  }
  const { error, value } = createEvents(events);
  if (error || !value) throw error ?? new Error('the calendar could not be built');
  return value;
}

/**
 * Text as a calendar may hold it. An action point's text is whatever its Yjs
 * text holds: `ics` escapes only CRLF and LF, so a lone CR (or another line
 * separator) would end the line in some readers and start a property of the
 * sender's choosing, and RFC 5545 TEXT allows no control characters at all.
 * Every line break becomes LF (escaped as \n), other control characters a space.
 */
function calendarText(text: string): string {
  return text.replace(/\r\n?|[\n\u000b\u000c\u0085\u2028\u2029]/g, '\n').replace(/[\u0000-\u0009\u000e-\u001f\u007f-\u009f]/g, ' ');
}

/** RFC 5545 TEXT escaping for the one property written by hand. */
function escapeText(text: string): string {
  return text.replace(/[\\;,]/g, (c) => `\\${c}`).replace(/\r?\n/g, '\\n');
}

/** The first letter in upper case (export words are written to sit inside a sentence). */
export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
