import { SCORES, type Score } from './framework';

/** One answer on one factor: a score 1..5 or "don't know". */
export type Answer = Score | 'unknown';

/** One participant's answer to one factor in one round. */
export interface BallotEntry {
  participantId: string;
  factor: number;
  answer: Answer;
  comment: string | null;
}

export const MAX_COMMENT_LENGTH = 500;

/** Whether a value is a valid answer. */
export function isAnswer(value: unknown): value is Answer {
  return value === 'unknown' || (typeof value === 'number' && (SCORES as readonly number[]).includes(value));
}

/** Counts, per participant, how many factors they have answered. */
export function answeredCounts(entries: Iterable<BallotEntry>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of entries) counts.set(entry.participantId, (counts.get(entry.participantId) ?? 0) + 1);
  return counts;
}

/**
 * Voting progress as everyone may see it: counts only, never scores.
 * `voted` is the number of participants who answered every factor.
 */
export interface Progress {
  voted: number;
  total: number;
  /** Per factor (index = number − 1), how many participants answered it. */
  perFactor: number[];
}

/** Computes progress from the answered factors of each participant. */
export function computeProgress(participantIds: Iterable<string>, answeredFactors: (participantId: string) => Iterable<number>, factorCount: number): Progress {
  const perFactor = new Array<number>(factorCount).fill(0);
  let voted = 0;
  let total = 0;
  for (const id of participantIds) {
    total++;
    let answered = 0;
    for (const factor of answeredFactors(id)) {
      if (factor >= 1 && factor <= factorCount) {
        perFactor[factor - 1]++;
        answered++;
      }
    }
    if (answered === factorCount) voted++;
  }
  return { voted, total, perFactor };
}
