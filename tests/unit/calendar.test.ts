/**
 * The action points' calendar (issue 14) with hostile text: an action point's
 * text is whatever its Yjs text holds, so line breaks of every kind and control
 * characters must not break out of their property (RFC 5545: TEXT has no
 * control characters but HTAB; lines end with CRLF only).
 */
import { describe, expect, it } from 'vitest';
import { actionsCalendar, foldLine } from '../../server/exports/calendar';
import { LIMITS } from '../../src/lib/protocol';

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

  it('keeps every kind of line break and control character inside its property', async () => {
    const ics = await actionsCalendar(
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

  it('an empty calendar keeps its name inside its property too', async () => {
    const lines = contentLines(await actionsCalendar([], 'Greenport\rX-NAME:1;a,b'));
    expect(lines).toEqual(['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:seeds-live-board', 'X-WR-CALNAME:Greenport\\nX-NAME:1\\;a\\,b', 'END:VCALENDAR']);
  });

  it('cuts a long summary between characters as people count them, never inside an emoji', async () => {
    const family = '👩‍👩‍👧‍👦';
    const ics = await actionsCalendar([{ uid: 'u@x', text: `${'a'.repeat(118)}${family.repeat(5)}`, due: '2027-01-15', details: [] }], 'N');
    const summary = contentLines(ics).find((l) => l.startsWith('SUMMARY:'))!;
    expect(summary).toBe(`SUMMARY:${'a'.repeat(118)}${family}…`);
  });

  it('escapes the calendar name in a calendar with events too (the library writes X-WR-CALNAME unescaped)', async () => {
    const ics = await actionsCalendar([{ uid: 'u@x', text: 'Plan', due: '2027-01-15', details: [] }], 'A;B,C\\D');
    expect(contentLines(ics).filter((l) => l.startsWith('X-WR-CALNAME'))).toEqual(['X-WR-CALNAME:A\\;B\\,C\\\\D']);
  });

  it('a text over the limits (one letter under 20,000 combining marks, as an old database may hold) gives a bounded file', async () => {
    const marks = `a${'\u0301'.repeat(20_000)}`;
    const actions = Array.from({ length: 3 }, (_, i) => ({ uid: `u${i}@x`, text: marks, due: '2027-01-15', details: [`Owner: ${marks}`] }));
    const ics = await actionsCalendar(actions, marks);
    // Each event holds at most one action text's worth of code units (plus its details and the library's lines).
    expect(ics.length).toBeLessThan(3 * (LIMITS.actionTextUnits + 3000) * 2);
    for (const line of ics.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    expect(contentLines(ics).filter((l) => l.startsWith('BEGIN:VEVENT'))).toHaveLength(3);
  });

  it('builds many events in slices and keeps them all, in order, under one header', async () => {
    const actions = Array.from({ length: 250 }, (_, i) => ({ uid: `u${i}@x`, text: `Point ${i}`, due: '2027-01-15', details: [] }));
    const lines = contentLines(await actionsCalendar(actions, 'N'));
    expect(lines.filter((l) => l === 'BEGIN:VCALENDAR')).toHaveLength(1);
    expect(lines.filter((l) => l === 'END:VCALENDAR')).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('UID:'))).toEqual(actions.map((a) => `UID:${a.uid}`));
    expect(lines.at(-1)).toBe('END:VCALENDAR');
  });
});

describe('folding content lines (RFC 5545 §3.1)', () => {
  const unfold = (folded: string) => folded.replace(/\r\n /g, '');
  const samples = [
    '',
    'SUMMARY:short',
    `DESCRIPTION:${'x'.repeat(500)}`,
    `DESCRIPTION:${'é'.repeat(300)}`,
    `DESCRIPTION:${'€'.repeat(300)}`,
    `DESCRIPTION:${'😀'.repeat(300)}`,
    `DESCRIPTION:a${'\u0301'.repeat(5000)}`,
    `DESCRIPTION:${'ab€😀\u0301'.repeat(200)}`
  ];

  it('keeps every line within 75 octets, continuation lines start with a space, and unfolding gives the line back', () => {
    for (const line of samples) {
      const folded = foldLine(line);
      expect(unfold(folded)).toBe(line);
      const parts = folded.split('\r\n');
      parts.forEach((part, i) => {
        expect(Buffer.byteLength(part)).toBeLessThanOrEqual(75);
        if (i > 0) expect(part.startsWith(' ')).toBe(true);
      });
    }
  });

  it('never splits a UTF-8 sequence: every folded line is valid UTF-8 on its own', () => {
    for (const line of samples) {
      for (const part of foldLine(line).split('\r\n')) {
        const bytes = Buffer.from(part);
        expect(new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toBe(part);
        // Surrogate pairs are never separated either.
        expect(part).not.toMatch(/[\ud800-\udbff]$|^ ?[\udc00-\udfff]/);
      }
    }
  });

  it('fills lines: a line is only broken where the next character would not fit', () => {
    const parts = foldLine(`X:${'é'.repeat(200)}`).split('\r\n');
    for (const part of parts.slice(0, -1)) expect(Buffer.byteLength(part)).toBeGreaterThanOrEqual(74);
  });
});
