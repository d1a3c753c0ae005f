/**
 * Check-ins (issue 25): a session people score on their own time until a deadline, days before the
 * meeting that starts from its results. Pure rules; the room applies them.
 */

export const SESSION_MODES = ['live', 'checkin'] as const;
export type SessionMode = (typeof SESSION_MODES)[number];

/** When a check-in's results reveal: by themselves at the deadline, or when the facilitator reveals them (at the meeting). */
export const REVEAL_AT = ['deadline', 'manual'] as const;
export type RevealAt = (typeof REVEAL_AT)[number];

/** The nearest deadline a check-in may have: shorter is a live session with a countdown. */
export const CHECKIN_MIN_MS = 60 * 60_000;
/** The farthest: a quarterly meeting's check-in opens at most six weeks ahead (and stays far from the 90-day idle purge). */
export const CHECKIN_MAX_MS = 42 * 86_400_000;
/** Slack for a deadline picked "an hour from now" in a form that took a minute to send. */
const MIN_SLACK_MS = 5 * 60_000;

/** Why `deadline` (epoch ms) cannot be a check-in's deadline at `now`, or null when it can. */
export function deadlineProblem(deadline: number, now: number): string | null {
  if (!Number.isFinite(deadline)) return 'deadline: must be a date and time (ISO 8601)';
  if (deadline < now + CHECKIN_MIN_MS - MIN_SLACK_MS) return 'deadline: must be at least an hour from now';
  if (deadline > now + CHECKIN_MAX_MS) return 'deadline: must be at most six weeks from now';
  return null;
}

/** Why a check-in's deadline cannot move from `current` to `next` at `now` (extending only), or null. */
export function extensionProblem(current: number, next: number, now: number): string | null {
  if (!Number.isFinite(next)) return 'deadline: must be a date and time (ISO 8601)';
  if (next <= Math.max(current, now)) return 'deadline: must be later than the current deadline and than now';
  if (next > now + CHECKIN_MAX_MS) return 'deadline: must be at most six weeks from now';
  return null;
}
