import { describe, expect, it } from 'vitest';
import { parseEarlierExport } from '../../src/lib/domain/history';

const valid = {
  session: { code: 'ABC234', title: 'Spring', language: 'nl', phase: 'closed', createdAt: '2026-03-02T10:00:00.000Z' },
  participants: 9,
  factors: [
    { number: 1, mean: 2.5, consensus: 0.61 },
    { number: 2, mean: null, consensus: null }
  ],
  actions: []
};

describe('parseEarlierExport', () => {
  it('reads the headline numbers of an export.json', () => {
    expect(parseEarlierExport(valid)).toEqual({
      code: 'ABC234',
      title: 'Spring',
      date: '2026-03-02',
      factors: [
        { number: 1, mean: 2.5, consensus: 0.61 },
        { number: 2, mean: null, consensus: null }
      ]
    });
  });

  it("takes the export's local day where the group met, not the UTC day of createdAt", () => {
    // 23:20 UTC on 5 Dec was 00:20 on 6 Dec in Amsterdam: the export says so in session.date.
    const late = { ...valid, session: { ...valid.session, createdAt: '2026-12-05T23:20:00.000Z', date: '2026-12-06', timeZone: 'Europe/Amsterdam' } };
    expect(parseEarlierExport(late)?.date).toBe('2026-12-06');
  });

  it.each([
    ['null', null],
    ['a string', 'export'],
    ['no session', { factors: valid.factors }],
    ['no factors (exported before the reveal)', { ...valid, factors: [] }],
    ['a factor without a number', { ...valid, factors: [{ mean: 3, consensus: 1 }] }],
    ['a non-numeric mean', { ...valid, factors: [{ number: 1, mean: '3', consensus: 1 }] }],
    ['an infinite consensus', { ...valid, factors: [{ number: 1, mean: 3, consensus: Infinity }] }],
    ['a fractional factor number', { ...valid, factors: [{ number: 1.5, mean: 3, consensus: 1 }] }]
  ])('refuses %s', (_name, data) => {
    expect(parseEarlierExport(data)).toBeNull();
  });
});
