import type { Answer } from './ballots';
import { attentionList, computeStatistics, groupBreakdown, roundTo, type FactorStats, type Thresholds } from './statistics';
import type { RoundResults } from '../protocol';

export interface ResultsInput {
  round: number;
  factorCount: number;
  thresholds: Thresholds;
  /** Named sessions show each person's answers; anonymous ones only aggregates. */
  anonymous: boolean;
  voters: { id: string; name: string; group: string | null; answers: ReadonlyMap<number, Answer> }[];
  /** Comments given this round, without authors; `hidden` ones (by the facilitator) are left out. */
  comments?: { factor: number; text: string }[];
  hidden?: (factor: number, text: string) => boolean;
}

/**
 * Comments per factor (index factor − 1), sorted by text so that their order says
 * nothing about who joined or answered first.
 */
export function collectComments(
  factorCount: number,
  comments: Iterable<{ factor: number; text: string }>,
  hidden: (factor: number, text: string) => boolean = () => false
): string[][] {
  const byFactor: string[][] = Array.from({ length: factorCount }, () => []);
  for (const { factor, text } of comments) {
    if (factor >= 1 && factor <= factorCount && text && !hidden(factor, text)) byFactor[factor - 1].push(text);
  }
  for (const list of byFactor) list.sort((a, b) => a.localeCompare(b, 'en') || (a < b ? -1 : a > b ? 1 : 0));
  return byFactor;
}

function roundStats(stats: FactorStats): FactorStats {
  return { ...stats, mean: roundTo(stats.mean), median: roundTo(stats.median), stddev: roundTo(stats.stddev), consensus: roundTo(stats.consensus) };
}

/** Computes what a revealed round shows: statistics, attention list, group means, and names only when allowed. */
export function computeRoundResults(input: ResultsInput): RoundResults {
  const entries = input.voters.flatMap((voter) => [...voter.answers].map(([factor, answer]) => ({ participantId: voter.id, factor, answer })));
  const raw = computeStatistics(input.factorCount, entries, input.thresholds);
  const groupOf = new Map(input.voters.map((v) => [v.id, v.group]));
  const groups = groupBreakdown(input.factorCount, entries, (id) => groupOf.get(id) ?? null).map((g) => ({ ...g, means: g.means.map((m) => roundTo(m)) }));
  const voters = input.voters.filter((v) => v.answers.size > 0);
  return {
    round: input.round,
    voters: voters.length,
    factors: raw.map(roundStats),
    attention: attentionList(raw).map((item) => ({ ...item, mean: roundTo(item.mean), consensus: roundTo(item.consensus) })),
    groups,
    comments: collectComments(input.factorCount, input.comments ?? [], input.hidden),
    named: input.anonymous
      ? null
      : voters.map((v) => ({
          name: v.name,
          answers: Array.from({ length: input.factorCount }, (_, i) => v.answers.get(i + 1) ?? null)
        }))
  };
}
