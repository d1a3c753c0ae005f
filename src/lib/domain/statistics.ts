import { SCORES, type Score } from './framework';
import type { Answer } from './ballots';

/** Thresholds that label a factor; session settings with these defaults. */
export interface Thresholds {
  /** A factor is weak when its mean is below this. */
  weakBelow: number;
  /** A factor is divergent when its consensus is below this. */
  divergentBelow: number;
}
export const DEFAULT_THRESHOLDS: Thresholds = { weakBelow: 3.0, divergentBelow: 0.6 };

/** No label is given with fewer scores than this. */
export const MIN_SCORES_FOR_LABEL = 2;

export type Distribution = Record<'1' | '2' | '3' | '4' | '5', number>;

/** Statistics of one factor over the scores 1..5; "don't know" is counted apart. */
export interface FactorStats {
  number: number;
  n: number;
  unknown: number;
  mean: number | null;
  median: number | null;
  stddev: number | null;
  consensus: number | null;
  distribution: Distribution;
  weak: boolean;
  divergent: boolean;
}

const SCALE_WIDTH = SCORES[SCORES.length - 1] - SCORES[0];

function emptyDistribution(): Distribution {
  return { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 };
}

/**
 * Tastle & Wierman (2007) consensus: 1 + Σ pᵢ·log₂(1 − |xᵢ − μ| / d).
 * 1 when everyone agrees, 0 when split evenly between the extremes, null without scores.
 */
export function consensus(distribution: Distribution): number | null {
  const n = SCORES.reduce((sum, s) => sum + distribution[s], 0);
  if (n === 0) return null;
  const mean = SCORES.reduce((sum, s) => sum + s * distribution[s], 0) / n;
  let total = 1;
  for (const score of SCORES) {
    const count = distribution[score];
    if (count === 0) continue;
    const share = count / n;
    total += share * Math.log2(1 - Math.abs(score - mean) / SCALE_WIDTH);
  }
  // Guard against -0 and float noise just outside [0, 1].
  return Math.min(1, Math.max(0, total)) + 0;
}

/** Computes the statistics of one factor from its answers. */
export function factorStats(number: number, answers: Iterable<Answer>, thresholds: Thresholds = DEFAULT_THRESHOLDS): FactorStats {
  const distribution = emptyDistribution();
  const scores: Score[] = [];
  let unknown = 0;
  for (const answer of answers) {
    if (answer === 'unknown') unknown++;
    else {
      distribution[answer]++;
      scores.push(answer);
    }
  }
  const n = scores.length;
  if (n === 0) {
    return { number, n, unknown, mean: null, median: null, stddev: null, consensus: null, distribution, weak: false, divergent: false };
  }
  scores.sort((a, b) => a - b);
  const mean = scores.reduce((sum, s) => sum + s, 0) / n;
  const middle = Math.floor(n / 2);
  const median = n % 2 === 1 ? scores[middle] : (scores[middle - 1] + scores[middle]) / 2;
  const stddev = Math.sqrt(scores.reduce((sum, s) => sum + (s - mean) ** 2, 0) / n);
  const cns = consensus(distribution);
  const labelled = n >= MIN_SCORES_FOR_LABEL;
  return {
    number,
    n,
    unknown,
    mean,
    median,
    stddev,
    consensus: cns,
    distribution,
    weak: labelled && mean < thresholds.weakBelow,
    divergent: labelled && cns !== null && cns < thresholds.divergentBelow
  };
}

/** Computes statistics for factors 1..factorCount from (factor, answer) pairs. */
export function computeStatistics(
  factorCount: number,
  answers: Iterable<{ factor: number; answer: Answer }>,
  thresholds: Thresholds = DEFAULT_THRESHOLDS
): FactorStats[] {
  const perFactor: Answer[][] = Array.from({ length: factorCount }, () => []);
  for (const { factor, answer } of answers) {
    if (factor >= 1 && factor <= factorCount) perFactor[factor - 1].push(answer);
  }
  return perFactor.map((list, index) => factorStats(index + 1, list, thresholds));
}

/** Why a factor needs attention. */
export interface AttentionItem {
  number: number;
  weak: boolean;
  divergent: boolean;
  mean: number | null;
  consensus: number | null;
}

/** Weak or divergent factors: weakest mean first, then lowest consensus, then by number. */
export function attentionList(stats: readonly FactorStats[]): AttentionItem[] {
  return stats
    .filter((s) => s.weak || s.divergent)
    .map(({ number, weak, divergent, mean, consensus }) => ({ number, weak, divergent, mean, consensus }))
    .sort((a, b) => (a.mean ?? Infinity) - (b.mean ?? Infinity) || (a.consensus ?? Infinity) - (b.consensus ?? Infinity) || a.number - b.number);
}

/** Rounds for display and the wire; null stays null. */
export function roundTo(value: number | null, decimals = 3): number | null {
  if (value === null) return null;
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor + 0;
}

/** Minimum number of voters a stakeholder group needs before its breakdown is shown. */
export const MIN_GROUP_SIZE = 3;

/** Mean per factor for one stakeholder group. */
export interface GroupBreakdown {
  group: string;
  voters: number;
  means: (number | null)[];
}

/**
 * Means per stakeholder group, only for groups with at least `minGroupSize`
 * voters, so that no small group's scores can be traced back to people.
 */
export function groupBreakdown(
  factorCount: number,
  entries: Iterable<{ participantId: string; factor: number; answer: Answer }>,
  groupOf: (participantId: string) => string | null,
  minGroupSize = MIN_GROUP_SIZE
): GroupBreakdown[] {
  const byGroup = new Map<string, { voters: Set<string>; sums: number[]; counts: number[] }>();
  for (const entry of entries) {
    const group = groupOf(entry.participantId);
    if (group === null || entry.factor < 1 || entry.factor > factorCount) continue;
    let bucket = byGroup.get(group);
    if (!bucket) {
      bucket = { voters: new Set(), sums: new Array(factorCount).fill(0), counts: new Array(factorCount).fill(0) };
      byGroup.set(group, bucket);
    }
    bucket.voters.add(entry.participantId);
    if (entry.answer !== 'unknown') {
      bucket.sums[entry.factor - 1] += entry.answer;
      bucket.counts[entry.factor - 1]++;
    }
  }
  return [...byGroup.entries()]
    .filter(([, bucket]) => bucket.voters.size >= minGroupSize)
    .map(([group, bucket]) => ({
      group,
      voters: bucket.voters.size,
      // A factor mean from fewer scores than the minimum would expose individuals too.
      means: bucket.sums.map((sum, i) => (bucket.counts[i] < minGroupSize ? null : sum / bucket.counts[i]))
    }))
    .sort((a, b) => a.group.localeCompare(b.group));
}
