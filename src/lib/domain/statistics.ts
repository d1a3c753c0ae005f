import { SCORES, type Score } from './framework';
import type { Answer } from './ballots';

/** Thresholds that label a factor; session settings with these defaults. */
export interface Thresholds {
  /** A factor is weak when its mean is below this. */
  weakBelow: number;
  /** A factor is divergent when its consensus is below this. */
  divergentBelow: number;
  /** A factor is unclear when at least this share of its answers is "don't know" (0..1); default 1/3. */
  unclearFrom?: number;
}
export const DEFAULT_THRESHOLDS: Thresholds = { weakBelow: 3.0, divergentBelow: 0.6, unclearFrom: 1 / 3 };

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
  /** Null where the figure is withheld: fewer than k scores in an anonymous session (docs/privacy.md). */
  distribution: Distribution | null;
  weak: boolean;
  divergent: boolean;
  /** Many answered "don't know" (share ≥ `unclearFrom`, with at least 2 answers). */
  unclear: boolean;
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
  const answered = n + unknown;
  // Older sessions stored settings without this threshold.
  const unclearFrom = thresholds.unclearFrom ?? DEFAULT_THRESHOLDS.unclearFrom!;
  const unclear = answered >= MIN_SCORES_FOR_LABEL && unknown > 0 && unknown / answered >= unclearFrom;
  if (n === 0) {
    return { number, n, unknown, mean: null, median: null, stddev: null, consensus: null, distribution, weak: false, divergent: false, unclear };
  }
  scores.sort((a, b) => a - b);
  const mean = scores.reduce((sum, s) => sum + s, 0) / n;
  const middle = Math.floor(n / 2);
  const median = n % 2 === 1 ? scores[middle] : (scores[middle - 1] + scores[middle]) / 2;
  const stddev = Math.sqrt(scores.reduce((sum, s) => sum + (s - mean) ** 2, 0) / n);
  const cns = consensus(distribution);
  return { number, n, unknown, mean, median, stddev, consensus: cns, distribution, ...factorLabels(n, mean, cns, thresholds), unclear };
}

/**
 * The weak and divergent labels of a factor from its figures: the one definition the attention list,
 * the trends and the programme view share (no label with fewer than MIN_SCORES_FOR_LABEL scores).
 */
export function factorLabels(
  n: number,
  mean: number | null,
  cns: number | null,
  thresholds: Thresholds = DEFAULT_THRESHOLDS
): { weak: boolean; divergent: boolean } {
  const labelled = n >= MIN_SCORES_FOR_LABEL;
  return { weak: labelled && mean !== null && mean < thresholds.weakBelow, divergent: labelled && cns !== null && cns < thresholds.divergentBelow };
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
  unclear: boolean;
  mean: number | null;
  consensus: number | null;
  /** Share of "don't know" among the answers (0..1), null without answers. */
  unknownShare: number | null;
}

/**
 * Weak, divergent or unclear factors: weakest mean first, then lowest consensus,
 * then by number (unclear ones without scores come last).
 */
export function attentionList(stats: readonly FactorStats[]): AttentionItem[] {
  return stats
    .filter((s) => s.weak || s.divergent || s.unclear)
    .map(({ number, weak, divergent, unclear, mean, consensus, n, unknown }) => ({
      number,
      weak,
      divergent,
      unclear,
      mean,
      consensus,
      unknownShare: n + unknown === 0 ? null : unknown / (n + unknown)
    }))
    .sort((a, b) => (a.mean ?? Infinity) - (b.mean ?? Infinity) || (a.consensus ?? Infinity) - (b.consensus ?? Infinity) || a.number - b.number);
}

/** Rounds for display and the wire; null stays null. */
export function roundTo(value: number | null, decimals = 3): number | null {
  if (value === null) return null;
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor + 0;
}

/**
 * k: in an anonymous session no figure (distribution, mean, group mean) is
 * shown that comes from fewer than this many voters, and a group breakdown also
 * needs this many outside the shown groups. A session setting (`minVoters`);
 * HR survey tools commonly use 5. See docs/privacy.md.
 */
export const DEFAULT_MIN_VOTERS = 3;
/** The smallest k a session may set: k = 1 would turn the threshold off. */
export const MIN_MIN_VOTERS = 2;

/** Minimum number of voters a stakeholder group needs before its breakdown is shown (k by default). */
export const MIN_GROUP_SIZE = DEFAULT_MIN_VOTERS;

/** The statistics of a factor with every figure withheld (fewer than k scores); n and unknown stay. */
export function withheldStats(stats: FactorStats): FactorStats {
  return { ...stats, mean: null, median: null, stddev: null, consensus: null, distribution: null, weak: false, divergent: false };
}

/**
 * A factor of a round withheld as a whole (fewer than k voters, docs/privacy.md): no figure at all, not even its
 * counts. With two voters, "one said don't know" tells each of them what the other answered.
 */
export function nothingShown(stats: FactorStats): FactorStats {
  return { ...withheldStats(stats), n: 0, unknown: 0, unclear: false };
}

/** Mean per factor for one stakeholder group. */
export interface GroupBreakdown {
  group: string;
  voters: number;
  means: (number | null)[];
}

/**
 * Means per stakeholder group, only where no individual can be traced: a
 * group needs at least `minGroupSize` voters, a factor mean at least that many
 * scores, and what is left outside the shown means (the overall mean minus
 * them) must be empty or just as large; otherwise the smallest shown mean of
 * that factor is hidden too, until that holds.
 */
export function groupBreakdown(
  factorCount: number,
  entries: Iterable<{ participantId: string; factor: number; answer: Answer }>,
  groupOf: (participantId: string) => string | null,
  minGroupSize = MIN_GROUP_SIZE
): GroupBreakdown[] {
  const byGroup = new Map<string, { voters: Set<string>; sums: number[]; counts: number[] }>();
  const totals = new Array<number>(factorCount).fill(0);
  for (const entry of entries) {
    if (entry.factor < 1 || entry.factor > factorCount) continue;
    if (entry.answer !== 'unknown') totals[entry.factor - 1]++;
    const group = groupOf(entry.participantId);
    if (group === null) continue;
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
  const groups = [...byGroup.entries()].filter(([, bucket]) => bucket.voters.size >= minGroupSize).sort(([a], [b]) => a.localeCompare(b));
  const shown = groups.map(([, bucket]) => bucket.counts.map((count) => count >= minGroupSize));
  for (let factor = 0; factor < factorCount; factor++) {
    for (;;) {
      const visible = groups.map((_, g) => g).filter((g) => shown[g][factor]);
      const remainder = totals[factor] - visible.reduce((sum, g) => sum + groups[g][1].counts[factor], 0);
      if (visible.length === 0 || remainder === 0 || remainder >= minGroupSize) break;
      const smallest = visible.reduce((a, b) => (groups[b][1].counts[factor] < groups[a][1].counts[factor] ? b : a));
      shown[smallest][factor] = false;
    }
  }
  return groups.map(([group, bucket], g) => ({
    group,
    voters: bucket.voters.size,
    means: bucket.sums.map((sum, i) => (shown[g][i] ? sum / bucket.counts[i] : null))
  }));
}
