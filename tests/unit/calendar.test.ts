/**
 * The action points' calendar (issue 14) with hostile text: an action point's
 * text is whatever its Yjs text holds, so line breaks of every kind and control
 * characters must not break out of their property (RFC 5545: TEXT has no
 * control characters but HTAB; lines end with CRLF only).
 */
import { describe, expect, it } from 'vitest';
import { actionsCalendar } from '../../server/exports/calendar';

/** The content lines after unfolding; fails if any line ending is not CRLF. */
function contentLines(ics: string): string[] {
  expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  return ics
    .replace(/\r\n[ \t]/g, '')
    .split('\r\n')
    .filter(Boolean);
}

describe('actions calendar', () => {
  const hostile = 'Visit\rBEGIN:VEVENT\rSUMMARY:injected\u2028x\u0000y\u0007z\u007f\u0085END:VCALENDAR\r\nnext line';

  it('keeps every kind of line break and control character inside its property', () => {
    const ics = actionsCalendar(
      [{ uid: 'ABC123-a1@seeds-live-board', text: hostile, due: '2027-01-15', details: ['Owner: Ana\rX-INJECTED:1', 'From: a\u000bb'] }],
      'Greenport\rX-NAME:1'
    );
    const lines = contentLines(ics);
    expect(lines.filter((l) => l.startsWith('BEGIN:'))).toEqual(['BEGIN:VCALENDAR', 'BEGIN:VEVENT']);
    expect(lines.filter((l) => /^(X-INJECTED|X-NAME|SUMMARY:injected)/.test(l))).toEqual([]);
    // No control character but the folding tab anywhere in the file.
    expect(ics.replace(/\r\n\t/g, '').replace(/\r\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f\u0085]/);
    const summary = lines.find((l) => l.startsWith('SUMMARY:'))!;
    expect(summary).toBe('SUMMARY:Visit');
    const description = lines.find((l) => l.startsWith('DESCRIPTION:'))!;
    expect(description).toContain('Visit\\nBEGIN:VEVENT\\nSUMMARY:injected');
    expect(description).toContain('END:VCALENDAR\\nnext line');
  });

  it('an empty calendar keeps its name inside its property too', () => {
    const lines = contentLines(actionsCalendar([], 'Greenport\rX-NAME:1;a,b'));
    expect(lines).toEqual(['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:seeds-live-board', 'X-WR-CALNAME:Greenport\\nX-NAME:1\\;a\\,b', 'END:VCALENDAR']);
  });

  it('cuts a long summary between characters as people count them, never inside an emoji', () => {
    const family = '👩‍👩‍👧‍👦';
    const ics = actionsCalendar([{ uid: 'u@x', text: `${'a'.repeat(118)}${family.repeat(5)}`, due: '2027-01-15', details: [] }], 'N');
    const summary = contentLines(ics).find((l) => l.startsWith('SUMMARY:'))!;
    expect(summary).toBe(`SUMMARY:${'a'.repeat(118)}${family}…`);
  });
});
