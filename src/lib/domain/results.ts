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
    named: input.anonymous
      ? null
      : voters.map((v) => ({
          name: v.name,
          answers: Array.from({ length: input.factorCount }, (_, i) => v.answers.get(i + 1) ?? null)
        }))
  };
}
