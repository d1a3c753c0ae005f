/**
 * Communities (issue 14): a series of sessions followed over time. Everything
 * here is pure: the server feeds it what each session *revealed* (its latest
 * frozen round) and the aggregates of sessions held on paper, and nothing per
 * person ever reaches it, so nothing per person can cross sessions.
 */
import type { Answer } from './ballots';
import { SCORES } from './framework';
import { isIsoDay as isDay, localDay } from './dates';
import { attentionList, DEFAULT_THRESHOLDS, factorStats, roundTo, type Distribution, type FactorStats, type Thresholds } from './statistics';

/** Counts of one factor from a paper poster: dots per score and "don't know". */
export interface PaperCounts {
  number: number;
  distribution: Distribution;
  unknown: number;
}

/** The most dots one cell of a paper poster may hold: bounds the work one request costs. */
export const PAPER_MAX_COUNT = 1000;

/** What one factor of one session contributes to the trend (the `trends.json` contract). */
export interface TrendFactor {
  number: number;
  n: number;
  mean: number | null;
  consensus: number | null;
  weak: boolean;
  divergent: boolean;
}

/** One session in the trend, oldest first (the `trends.json` contract, plus `attention`). */
export interface TrendSession {
  code: string;
  title: string;
  /** YYYY-MM-DD: the local day of the reveal in the session's time zone (live) or the day entered (paper). */
  date: string;
  /** `import`: a session held elsewhere whose export.json was imported (its counts, like paper). */
  source: 'live' | 'paper' | 'import';
  voters: number;
  factors: TrendFactor[];
  /** Factor numbers on the session's attention list, in its order (weakest first). */
  attention: number[];
}

/** A live session's latest revealed round, as the store froze it. */
export interface RevealedSessionInput {
  code: string;
  title: string;
  /** Epoch ms of the reveal. */
  revealedAt: number;
  /** The session's IANA time zone: the reveal is dated on the clocks of the place the group met. */
  timeZone: string;
  /** The frozen results (RoundResults in src/lib/protocol); only these fields are read. */
  results: { voters: number; factors: readonly FactorStats[]; attention: readonly { number: number }[] };
}

/**
 * A paper session's figures, computed once from its counts when it is stored
 * and stored with it: every later reader (trends, exports, a room's "since last
 * time") reads these instead of replaying up to thousands of dots per factor.
 * Only factors with counts are listed; the others are empty in any framework.
 */
export interface PaperFigures {
  voters: number;
  /** Ascending by factor number. */
  factors: TrendFactor[];
  /** Factor numbers on the attention list, in its order (weakest first). */
  attention: number[];
}

/** A paper session as stored: aggregates only. */
export interface PaperSessionInput {
  code: string;
  title: string;
  date: string;
  createdAt: number;
  factors: PaperCounts[];
  /** Its figures as stored (paperFigures of `factors`); computed from `factors` when absent. */
  figures?: PaperFigures;
  /** Counted on paper (default) or imported from another server's export.json. */
  source?: 'paper' | 'import';
}

/** Whether a string is a real calendar day written YYYY-MM-DD (see dates.ts). */
export const isIsoDay = isDay;

/** Every answer a paper factor's counts stand for; lazily, so nothing bigger than the counts is built. */
function* paperAnswers(counts: PaperCounts): Generator<Answer> {
  for (const score of SCORES) for (let i = 0; i < counts.distribution[score]; i++) yield score;
  for (let i = 0; i < counts.unknown; i++) yield 'unknown';
}

/**
 * Statistics of a paper session, computed by the same functions as a live
 * session's (and rounded as its results are). Factors without counts get
 * empty statistics. There is no k here: a poster's dots are anonymous by
 * nature and only their counts were ever recorded.
 */
export function paperStatistics(factorCount: number, factors: readonly PaperCounts[], thresholds: Thresholds = DEFAULT_THRESHOLDS): FactorStats[] {
  const byNumber = new Map(factors.map((f) => [f.number, f]));
  return Array.from({ length: factorCount }, (_, i) => {
    const counts = byNumber.get(i + 1);
    const stats = factorStats(i + 1, counts ? paperAnswers(counts) : [], thresholds);
    return { ...stats, mean: roundTo(stats.mean), median: roundTo(stats.median), stddev: roundTo(stats.stddev), consensus: roundTo(stats.consensus) };
  });
}

/** People who took part on paper: the most answers any factor got (everyone places one dot per factor). */
export function paperVoters(factors: readonly PaperCounts[]): number {
  return factors.reduce(
    (most, f) =>
      Math.max(
        most,
        SCORES.reduce((sum, s) => sum + f.distribution[s], f.unknown)
      ),
    0
  );
}

/**
 * Problems with paper counts for a framework of `factorCount` factors, empty
 * when they are valid: factor numbers within the framework and each at most
 * once, counts non-negative integers up to PAPER_MAX_COUNT, and at least one count.
 */
export function paperProblems(factorCount: number, factors: readonly PaperCounts[]): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  let total = 0;
  const countOk = (c: unknown) => typeof c === 'number' && Number.isInteger(c) && c >= 0 && c <= PAPER_MAX_COUNT;
  factors.forEach((f, index) => {
    if (!Number.isInteger(f.number) || f.number < 1 || f.number > factorCount) problems.push(`factors.${index}.number: must be 1..${factorCount}`);
    else if (seen.has(f.number)) problems.push(`factors.${index}.number: factor ${f.number} is given twice`);
    seen.add(f.number);
    for (const s of SCORES) {
      if (!countOk(f.distribution[s])) problems.push(`factors.${index}.distribution.${s}: must be an integer 0..${PAPER_MAX_COUNT}`);
      else total += f.distribution[s];
    }
    if (!countOk(f.unknown)) problems.push(`factors.${index}.unknown: must be an integer 0..${PAPER_MAX_COUNT}`);
    else total += f.unknown;
  });
  if (problems.length === 0 && total === 0) problems.push('factors: at least one count is needed');
  return problems;
}

const trendFactor = (s: FactorStats): TrendFactor => ({ number: s.number, n: s.n, mean: s.mean, consensus: s.consensus, weak: s.weak, divergent: s.divergent });

/** A live session in the trend, from exactly what its latest round revealed. */
export function liveTrendSession(input: RevealedSessionInput): TrendSession {
  return {
    code: input.code,
    title: input.title,
    date: localDay(input.revealedAt, input.timeZone),
    source: 'live',
    voters: input.results.voters,
    factors: input.results.factors.map(trendFactor),
    attention: input.results.attention.map((a) => a.number)
  };
}

/**
 * The figures of a paper session's counts, as a live session's would be (the
 * same statistics, rounded as its results are). Costs up to PAPER_MAX_COUNT
 * steps per cell: call it once, when the counts are stored.
 */
export function paperFigures(factors: readonly PaperCounts[], thresholds: Thresholds = DEFAULT_THRESHOLDS): PaperFigures {
  const stats = [...factors]
    .sort((a, b) => a.number - b.number)
    .map((counts) => {
      const s = factorStats(counts.number, paperAnswers(counts), thresholds);
      return { ...s, mean: roundTo(s.mean), median: roundTo(s.median), stddev: roundTo(s.stddev), consensus: roundTo(s.consensus) };
    });
  return { voters: paperVoters(factors), factors: stats.map(trendFactor), attention: attentionList(stats).map((a) => a.number) };
}

const emptyTrendFactor = (number: number): TrendFactor => ({ number, n: 0, mean: null, consensus: null, weak: false, divergent: false });

/**
 * A paper session in the trend, from its stored figures (O(factors), nothing
 * recomputed); only a session given without figures has them computed here.
 * Factors without counts are empty, as factorStats makes them.
 */
export function paperTrendSession(input: PaperSessionInput, factorCount: number, thresholds: Thresholds = DEFAULT_THRESHOLDS): TrendSession {
  const figures = input.figures ?? paperFigures(input.factors, thresholds);
  const byNumber = new Map(figures.factors.map((f) => [f.number, f]));
  return {
    code: input.code,
    title: input.title,
    date: input.date,
    source: input.source ?? 'paper',
    voters: figures.voters,
    factors: Array.from({ length: factorCount }, (_, i) => byNumber.get(i + 1) ?? emptyTrendFactor(i + 1)),
    attention: figures.attention.filter((n) => n >= 1 && n <= factorCount)
  };
}

/**
 * All sessions of a community in the trend, oldest first: by day, then by
 * the moment within it (reveal or entry), then by code so the order is total.
 */
export function buildTrend(
  live: readonly RevealedSessionInput[],
  paper: readonly PaperSessionInput[],
  factorCount: number,
  thresholds: Thresholds = DEFAULT_THRESHOLDS
): TrendSession[] {
  const entries = [
    ...live.map((l) => ({ at: l.revealedAt, session: liveTrendSession(l) })),
    ...paper.map((p) => ({ at: p.createdAt, session: paperTrendSession(p, factorCount, thresholds) }))
  ];
  entries.sort((a, b) => a.session.date.localeCompare(b.session.date) || a.at - b.at || (a.session.code < b.session.code ? -1 : 1));
  return entries.map((e) => e.session);
}

/** One point of a factor's line: its figures in one session. */
export interface FactorTrendPoint {
  code: string;
  /** The session's title: tells two sessions of one day apart. */
  title: string;
  date: string;
  source: TrendSession['source'];
  n: number;
  mean: number | null;
  consensus: number | null;
  weak: boolean;
  divergent: boolean;
}

/** How one factor moved across the sessions of a community. */
export interface FactorTrend {
  number: number;
  points: FactorTrendPoint[];
  /** Sessions in which it was weak / divergent: the factors that keep coming back. */
  timesWeak: number;
  timesDivergent: number;
  /** Change of the mean from the first to the last session that showed one; null with fewer than two. */
  meanChange: number | null;
}

/** The trend per factor 1..factorCount (what the community page draws), from sessions oldest first. */
export function factorTrends(sessions: readonly TrendSession[], factorCount: number): FactorTrend[] {
  return Array.from({ length: factorCount }, (_, i) => {
    const number = i + 1;
    const points: FactorTrendPoint[] = sessions.map((s) => {
      const f = s.factors.find((x) => x.number === number);
      return {
        code: s.code,
        title: s.title,
        date: s.date,
        source: s.source,
        n: f?.n ?? 0,
        mean: f?.mean ?? null,
        consensus: f?.consensus ?? null,
        weak: f?.weak ?? false,
        divergent: f?.divergent ?? false
      };
    });
    const means = points.map((p) => p.mean).filter((m): m is number => m !== null);
    return {
      number,
      points,
      timesWeak: points.filter((p) => p.weak).length,
      timesDivergent: points.filter((p) => p.divergent).length,
      meanChange: means.length >= 2 ? roundTo(means[means.length - 1] - means[0]) : null
    };
  });
}

/** The factors of an export.json that can count in a trend: those with a distribution (not withheld under k). */
export interface ImportedExport {
  title: string;
  /** YYYY-MM-DD of the session. */
  date: string;
  factors: { number: number; distribution: Record<'1' | '2' | '3' | '4' | '5', number> | null; unknown: number }[];
}

/**
 * Turns an imported session's export into paper-style counts: a factor whose
 * distribution was withheld (fewer than k voters) is left out, since nothing
 * can be counted from it; statistics then follow from the counts exactly as
 * they did in the original session.
 */
export function importedCounts(data: ImportedExport): PaperCounts[] {
  return data.factors
    .filter((f): f is ImportedExport['factors'][number] & { distribution: Record<'1' | '2' | '3' | '4' | '5', number> } => f.distribution !== null)
    .map((f) => ({ number: f.number, distribution: { ...f.distribution }, unknown: f.unknown }));
}
