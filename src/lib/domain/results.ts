import type { Answer } from './ballots';
import {
  attentionList,
  computeStatistics,
  DEFAULT_MIN_VOTERS,
  groupBreakdown,
  roundTo,
  withheldStats,
  nothingShown,
  type AttentionItem,
  type FactorStats,
  type GroupBreakdown,
  type Thresholds
} from './statistics';

/**
 * Results of one revealed round: aggregates only (plus names in a named
 * session). Frozen when revealed: stored as sent and never recomputed.
 */
export interface RoundResults {
  round: number;
  voters: number;
  /** k applied to this round (anonymous sessions), null in a named session. */
  minVoters: number | null;
  /** Set when the round had fewer than k voters: no figure is shown to anyone, only counts. */
  withheld: 'too_few_voters' | null;
  factors: FactorStats[];
  attention: AttentionItem[];
  groups: GroupBreakdown[];
  /** Comments by factor (index factor − 1), text only, sorted by text; hidden ones left out. */
  comments: string[][];
  /**
   * Only in a named (non-anonymous) session: each person's answers, by factor, with their
   * stakeholder group id where they gave one (rounds frozen before groups were kept have none).
   */
  named: { name: string; group?: string | null; answers: (Answer | null)[] }[] | null;
}

export interface ResultsInput {
  round: number;
  factorCount: number;
  thresholds: Thresholds;
  /** Named sessions show each person's answers; anonymous ones only aggregates. */
  anonymous: boolean;
  /** k (anonymous sessions only): no figure from fewer voters than this; default DEFAULT_MIN_VOTERS. */
  minVoters?: number;
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

/**
 * Computes what a revealed round shows: statistics, attention list, group
 * means, and names only when allowed. In an anonymous session every figure
 * needs k voters (`minVoters`): a factor with fewer scores shows only its
 * counts, a group breakdown needs k in the group and k outside the shown
 * groups, and a round with fewer than k voters is withheld as a whole.
 */
export function computeRoundResults(input: ResultsInput): RoundResults {
  const k = input.anonymous ? (input.minVoters ?? DEFAULT_MIN_VOTERS) : 1;
  const entries = input.voters.flatMap((voter) => [...voter.answers].map(([factor, answer]) => ({ participantId: voter.id, factor, answer })));
  const voters = input.voters.filter((v) => v.answers.size > 0);
  const withheld = voters.length < k;
  const raw = computeStatistics(input.factorCount, entries, input.thresholds).map((s) =>
    withheld ? nothingShown(s) : s.n > 0 && s.n < k ? withheldStats(s) : s
  );
  const groupOf = new Map(input.voters.map((v) => [v.id, v.group]));
  const groups = withheld
    ? []
    : groupBreakdown(input.factorCount, entries, (id) => groupOf.get(id) ?? null, Math.max(k, DEFAULT_MIN_VOTERS)).map((g) => ({
        ...g,
        means: g.means.map((m) => roundTo(m))
      }));
  return {
    round: input.round,
    voters: voters.length,
    minVoters: input.anonymous ? k : null,
    withheld: withheld ? 'too_few_voters' : null,
    factors: raw.map(roundStats),
    attention: attentionList(raw).map((item) => ({ ...item, mean: roundTo(item.mean), consensus: roundTo(item.consensus) })),
    groups,
    // A withheld round shows no comments either: with so few voters a text points at its author.
    comments: collectComments(input.factorCount, withheld ? [] : (input.comments ?? []), input.hidden),
    named: input.anonymous
      ? null
      : voters.map((v) => ({
          name: v.name,
          // Names are made distinct on join; the group tells people apart at a glance too.
          group: v.group,
          answers: Array.from({ length: input.factorCount }, (_, i) => v.answers.get(i + 1) ?? null)
        }))
  };
}

/**
 * A frozen round as it may be shown: a round withheld under k shows no figure, not even a factor's counts or an
 * attention item. Rounds frozen before that rule (their counts stored) are read through this too.
 */
export function asShown(results: RoundResults): RoundResults {
  if (!results.withheld) return results;
  return { ...results, factors: results.factors.map(nothingShown), attention: [], groups: [], comments: results.comments?.map(() => []) };
}

/** One ballot row of a revealed round as frozen for the CSV export: no id, no join order, no time. */
export interface FrozenBallot {
  /** The voter's name in a named session; null in an anonymous one (a pseudonym is drawn per export). */
  name: string | null;
  /** Their stakeholder group in a named session; null in an anonymous one (a group of few would point at them). Absent in older frozen rounds. */
  group?: string | null;
  answers: (Answer | null)[];
}

const answerKey = (a: Answer | null) => (a === null ? '0' : a === 'unknown' ? '6' : String(a));

/**
 * The ballot rows a revealed round may export. Anonymous: only from k voters
 * on, without names, sorted by the answers themselves so that row order says
 * nothing about who joined or voted when. Named: by name.
 */
export function revealedBallots(input: ResultsInput): FrozenBallot[] {
  const rows = input.voters
    .filter((v) => v.answers.size > 0)
    .map((v) => ({
      name: input.anonymous ? null : v.name,
      group: input.anonymous ? null : v.group,
      answers: Array.from({ length: input.factorCount }, (_, i) => v.answers.get(i + 1) ?? null)
    }));
  if (input.anonymous && rows.length < (input.minVoters ?? DEFAULT_MIN_VOTERS)) return [];
  const key = (row: FrozenBallot) => row.answers.map(answerKey).join('');
  return rows.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || key(a).localeCompare(key(b)));
}

/**
 * Pseudonyms V1…Vn for anonymous rows, assigned by a random permutation drawn
 * per export (`randomInt(n)` returns 0 ≤ r < n; pass a cryptographic source),
 * so a label never means the same person in two exports or two rounds.
 */
export function labelBallots(
  rows: readonly FrozenBallot[],
  randomInt: (n: number) => number
): { voter: string; group: string | null; answers: (Answer | null)[] }[] {
  const labels = rows.map((_, i) => i + 1);
  for (let i = labels.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [labels[i], labels[j]] = [labels[j], labels[i]];
  }
  return rows.map((row, i) => ({ voter: row.name ?? `V${labels[i]}`, group: row.group ?? null, answers: row.answers }));
}
