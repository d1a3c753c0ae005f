import { describe, expect, it } from 'vitest';
import { CHECKIN_MAX_MS, CHECKIN_MIN_MS, deadlineProblem, extensionProblem } from '../../src/lib/domain/checkins';

const NOW = Date.UTC(2026, 11, 6, 12, 0);
const HOUR = 3_600_000;

describe('check-in deadlines', () => {
  it('takes a deadline from about an hour to six weeks ahead', () => {
    expect(deadlineProblem(NOW + CHECKIN_MIN_MS, NOW)).toBeNull();
    expect(deadlineProblem(NOW + CHECKIN_MAX_MS, NOW)).toBeNull();
    expect(deadlineProblem(NOW + 10 * 60_000, NOW)).toMatch(/an hour/);
    expect(deadlineProblem(NOW - HOUR, NOW)).toMatch(/an hour/);
    expect(deadlineProblem(NOW + CHECKIN_MAX_MS + 1, NOW)).toMatch(/six weeks/);
    expect(deadlineProblem(Number.NaN, NOW)).toMatch(/ISO 8601/);
  });

  it('only moves a deadline later, never past six weeks from now', () => {
    expect(extensionProblem(NOW + HOUR, NOW + 2 * HOUR, NOW)).toBeNull();
    expect(extensionProblem(NOW + 2 * HOUR, NOW + HOUR, NOW)).toMatch(/later/);
    // A check-in its deadline closed (revealing at the meeting) opens again with a deadline after now.
    expect(extensionProblem(NOW - HOUR, NOW - HOUR / 2, NOW)).toMatch(/later/);
    expect(extensionProblem(NOW - HOUR, NOW + HOUR, NOW)).toBeNull();
    expect(extensionProblem(NOW + HOUR, NOW + CHECKIN_MAX_MS + 1, NOW)).toMatch(/six weeks/);
  });
});
