import { describe, expect, it } from 'vitest';
import {
  canonicalTimeZone,
  dayAfter,
  deadlineText,
  humanDate,
  isFutureDay,
  isTimeZone,
  localDay,
  localTime,
  timeLeft,
  zonedLocalToInstant
} from '../../src/lib/domain/dates';
import { buildExport, exportMarkdown } from '../../src/lib/domain/export';
import { exportWords } from '../../src/lib/i18n/catalogues';
import { liveTrendSession } from '../../src/lib/domain/community';
import { parseFramework } from '../../src/lib/domain/framework-schema';
import { readFileSync } from 'node:fs';
import { CreateCommunityRequest, CreateSessionRequest } from '../../src/lib/protocol/schemas';

// 23:20 UTC on 5 Dec 2026 is 00:20 on 6 Dec in Amsterdam (UTC+1 in winter).
const AMSTERDAM_AFTER_MIDNIGHT = Date.UTC(2026, 11, 5, 23, 20);
// 19:00 on 5 Dec 2026 in Chicago (UTC-6) is 01:00 UTC on 6 Dec.
const CHICAGO_EVENING = Date.UTC(2026, 11, 6, 1, 0);

describe('the local day of an instant', () => {
  it('dates a reveal after midnight in Amsterdam on the Amsterdam day, not the UTC day', () => {
    expect(new Date(AMSTERDAM_AFTER_MIDNIGHT).toISOString().slice(0, 10)).toBe('2026-12-05');
    expect(localDay(AMSTERDAM_AFTER_MIDNIGHT, 'Europe/Amsterdam')).toBe('2026-12-06');
    expect(localTime(AMSTERDAM_AFTER_MIDNIGHT, 'Europe/Amsterdam')).toBe('00:20');
  });

  it('dates an evening meeting in Chicago on its own day, though it is the next day in UTC', () => {
    expect(localDay(CHICAGO_EVENING, 'America/Chicago')).toBe('2026-12-05');
    expect(localTime(CHICAGO_EVENING, 'America/Chicago')).toBe('19:00');
    expect(localDay(CHICAGO_EVENING, 'UTC')).toBe('2026-12-06');
  });

  it('follows summer time: on the day clocks change the offset changes at the right moment', () => {
    // Amsterdam goes from UTC+1 to UTC+2 at 01:00 UTC on 29 March 2026.
    expect(localDay(Date.UTC(2026, 2, 28, 22, 59), 'Europe/Amsterdam')).toBe('2026-03-28'); // 23:59 CET
    expect(localDay(Date.UTC(2026, 2, 28, 23, 0), 'Europe/Amsterdam')).toBe('2026-03-29'); // 00:00 CET
    expect(localTime(Date.UTC(2026, 2, 29, 0, 59), 'Europe/Amsterdam')).toBe('01:59');
    expect(localTime(Date.UTC(2026, 2, 29, 1, 0), 'Europe/Amsterdam')).toBe('03:00');
    // Back in October: 22:30 UTC on 24 Oct is 00:30 CEST on the 25th; 22:30 UTC on 25 Oct is 23:30 CET, still the 25th.
    expect(localDay(Date.UTC(2026, 9, 24, 22, 30), 'Europe/Amsterdam')).toBe('2026-10-25');
    expect(localDay(Date.UTC(2026, 9, 25, 22, 30), 'Europe/Amsterdam')).toBe('2026-10-25');
    // Chicago's change (8 March 2026, 08:00 UTC): 23:30 local the evening before is 05:30 UTC.
    expect(localDay(Date.UTC(2026, 2, 8, 5, 30), 'America/Chicago')).toBe('2026-03-07');
    expect(localDay(Date.UTC(2026, 2, 9, 4, 30), 'America/Chicago')).toBe('2026-03-08'); // 23:30 CDT
  });

  it('tells a day in the future from today in a zone', () => {
    expect(isFutureDay('2026-12-06', 'America/Chicago', CHICAGO_EVENING)).toBe(true);
    expect(isFutureDay('2026-12-05', 'America/Chicago', CHICAGO_EVENING)).toBe(false);
    expect(isFutureDay('2026-12-06', 'Europe/Amsterdam', AMSTERDAM_AFTER_MIDNIGHT)).toBe(false);
    expect(isFutureDay('2026-12-07', 'Europe/Amsterdam', AMSTERDAM_AFTER_MIDNIGHT)).toBe(true);
  });
});

describe('time zones as input', () => {
  it('accepts IANA zones in their canonical spelling and refuses anything else', () => {
    expect(canonicalTimeZone('Europe/Amsterdam')).toBe('Europe/Amsterdam');
    expect(canonicalTimeZone('europe/amsterdam')).toBe('Europe/Amsterdam');
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    for (const bad of ['Mars/Olympus', '+01:00', '', 'Europe/Amsterdam\n', '../../etc/passwd', 'A'.repeat(65), 42, null]) {
      expect(isTimeZone(bad), String(bad)).toBe(false);
    }
  });

  it('the create requests validate and canonicalise timeZone', () => {
    expect(CreateSessionRequest.parse({ timeZone: 'america/chicago' }).timeZone).toBe('America/Chicago');
    expect(CreateSessionRequest.safeParse({ timeZone: 'Nowhere/Land' }).success).toBe(false);
    expect(CreateSessionRequest.safeParse({ timeZone: 'x'.repeat(10_000) }).success).toBe(false);
    expect(CreateCommunityRequest.parse({ name: 'LC', timeZone: 'Europe/Amsterdam' }).timeZone).toBe('Europe/Amsterdam');
    expect(CreateCommunityRequest.safeParse({ name: 'LC', timeZone: 'GMT+1:00' }).success).toBe(false);
  });
});

describe('human dates', () => {
  it('writes a day as the language writes it, with the month named', () => {
    expect(humanDate('2026-12-06', 'nl')).toMatch(/^6 dec\.? 2026$/);
    expect(humanDate('2026-12-06', 'en')).toBe('6 Dec 2026');
    expect(humanDate('2027-06-30', 'nl')).toMatch(/^30 jun\.? 2027$/);
  });

  it('never moves a day (a due date) through a zone', () => {
    // Typed by people as a day: the same day whatever the zone of the process.
    expect(humanDate('2026-01-01', 'en')).toBe('1 Jan 2026');
    expect(humanDate('2026-12-31', 'en')).toBe('31 Dec 2026');
    expect(humanDate('not a day', 'en')).toBe('not a day');
  });

  it('the day after a day crosses months, years and leap days', () => {
    expect(dayAfter('2026-12-31')).toBe('2027-01-01');
    expect(dayAfter('2028-02-28')).toBe('2028-02-29');
    expect(dayAfter('2026-03-28')).toBe('2026-03-29');
  });
});

describe('what the product writes', () => {
  const framework = parseFramework(JSON.parse(readFileSync(new URL('../../content/frameworks/seeds-of-innovation.json', import.meta.url), 'utf8')), 'seeds');
  const reveal = (revealedAt: number, timeZone: string) =>
    liveTrendSession({ code: 'ABCDEF', title: 'T', revealedAt, timeZone, results: { voters: 0, factors: [], attention: [] } });

  it('dates a live session in the trend on its local day', () => {
    expect(reveal(AMSTERDAM_AFTER_MIDNIGHT, 'Europe/Amsterdam').date).toBe('2026-12-06');
    expect(reveal(CHICAGO_EVENING, 'America/Chicago').date).toBe('2026-12-05');
  });

  it('the export carries the local day (ISO for machines) and the Markdown the human day', () => {
    const data = buildExport({
      session: { code: 'ABC234', title: 'T', language: 'nl', phase: 'actions', createdAt: AMSTERDAM_AFTER_MIDNIGHT, timeZone: 'Europe/Amsterdam' },
      participants: 0,
      framework,
      results: [],
      actions: [{ id: 'a', factor: null, text: 'x', owner: null, due: '2027-06-30', status: 'open', position: 0, createdAt: 0 }] as never,
      dotTotals: {}
    });
    expect(data.session.date).toBe('2026-12-06');
    expect(data.actions[0].due).toBe('2027-06-30');
    const md = exportMarkdown(data, framework, exportWords(data.session.language));
    expect(md).toMatch(/6 dec\.? 2026/);
    expect(md).toMatch(/30 jun\.? 2027/);
    expect(md).not.toContain('2026-12-05');
  });
});

describe("a check-in's deadline as people read it", () => {
  // 16:00 UTC on Thursday 24 December 2026.
  const instant = Date.UTC(2026, 11, 24, 16, 0);
  it('is told on the clocks where the group meets, with the zone named, whatever the reader’s own zone', () => {
    const amsterdam = deadlineText(instant, 'Europe/Amsterdam', 'nl-NL');
    expect(amsterdam).toContain('donderdag 24 december');
    expect(amsterdam).toContain('17:00');
    expect(amsterdam).toMatch(/CET/);
    const chicago = deadlineText(instant, 'America/Chicago', 'en-GB');
    expect(chicago).toContain('10:00');
    expect(chicago).toContain('Thursday');
    expect(chicago).toMatch(/CST|GMT-6/);
  });
  it('names the day on the group’s side of midnight', () => {
    expect(deadlineText(Date.UTC(2026, 11, 24, 23, 30), 'Europe/Amsterdam', 'en-GB')).toContain('Friday 25 December');
  });
});

describe('timeLeft', () => {
  it('counts minutes within the hour, hours within the day and days beyond (a check-in is open for days)', () => {
    expect(timeLeft(0)).toBe('0:00');
    expect(timeLeft(-5000)).toBe('0:00');
    expect(timeLeft(4 * 60_000 + 5_000)).toBe('4:05');
    expect(timeLeft(3_600_000 - 1000)).toBe('59:59');
    expect(timeLeft(3_600_000)).toBe('1:00:00');
    expect(timeLeft(2 * 3_600_000 + 4 * 60_000 + 5_000)).toBe('2:04:05');
    expect(timeLeft(3 * 86_400_000 - 56_000)).toBe('2d 23:59:04');
  });
});

describe("a deadline typed on the community's clocks", () => {
  it('reads a datetime-local value in the given zone, not the machine zone, over DST changes', () => {
    // Winter (CET, +1) and summer (CEST, +2) in Amsterdam; New York and Tokyo for contrast.
    expect(zonedLocalToInstant('2026-12-08T17:00', 'Europe/Amsterdam')).toBe(Date.UTC(2026, 11, 8, 16, 0));
    expect(zonedLocalToInstant('2026-07-08T17:00', 'Europe/Amsterdam')).toBe(Date.UTC(2026, 6, 8, 15, 0));
    expect(zonedLocalToInstant('2026-12-08T17:00', 'America/New_York')).toBe(Date.UTC(2026, 11, 8, 22, 0));
    expect(zonedLocalToInstant('2026-12-08T09:30', 'Asia/Tokyo')).toBe(Date.UTC(2026, 11, 8, 0, 30));
    // The day the clocks go back: 02:30 happens twice in Amsterdam; it is one of the two, an hour apart at most.
    const twice = zonedLocalToInstant('2026-10-25T02:30', 'Europe/Amsterdam')!;
    expect([Date.UTC(2026, 9, 25, 0, 30), Date.UTC(2026, 9, 25, 1, 30)]).toContain(twice);
    expect(localTime(twice, 'Europe/Amsterdam')).toBe('02:30');
  });

  it('refuses what is no wall-clock time or no zone', () => {
    for (const bad of ['', '2026-12-08', '2026-12-08 17:00', '2026-13-08T17:00', '2026-12-08T24:00', '2026-12-08T17:00Z'])
      expect(zonedLocalToInstant(bad, 'Europe/Amsterdam')).toBeNull();
    expect(zonedLocalToInstant('2026-12-08T17:00', 'Mars/Olympus')).toBeNull();
  });
});
