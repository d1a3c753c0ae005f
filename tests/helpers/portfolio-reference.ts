/**
 * The programme view as it was computed before its cost was cut (issue 25, commit 284414e): every round's quarter
 * read from Intl, every factor searched per quarter and factor. Kept as it was, as the reference the faster path must
 * equal (tests/integration/portfolio-equality.test.ts); not used by the product.
 */
import { localDay } from '../../src/lib/domain/dates';
import { DEFAULT_THRESHOLDS, factorLabels, roundTo } from '../../src/lib/domain/statistics';
import {
  PORTFOLIO_DEFAULTS,
  quantileSorted,
  roundCounts,
  type FrozenRoundFigures,
  type Portfolio,
  type PortfolioCell,
  type PortfolioCommunity,
  type PortfolioFactor,
  type PortfolioInput,
  type PortfolioSettings,
  type PortfolioTrend,
  type SharedCommunityFigures
} from '../../src/lib/domain/portfolio';
import type { Thresholds } from '../../src/lib/domain/statistics';

const PROGRAMME_DECIMALS = 2;

/** A factor's figures of a counting round, or null where the round withheld it or too few scored it. */
function factorOf(round: FrozenRoundFigures, number: number, settings: PortfolioSettings): { n: number; mean: number; consensus: number | null } | null {
  const f = round.factors.find((x) => x.number === number);
  if (!f || f.mean === null || f.n < Math.max(round.minVoters ?? 1, settings.minVoters)) return null;
  return { n: f.n, mean: f.mean, consensus: f.consensus };
}

function cellOf(round: FrozenRoundFigures | undefined, number: number, settings: PortfolioSettings, thresholds: Thresholds): PortfolioCell {
  const f = round ? factorOf(round, number, settings) : null;
  if (!f) return { number, mean: null, consensus: null, weak: false, divergent: false };
  // Labelled by the programme's one set of thresholds (a session may have set its own), on the frozen figures.
  return {
    number,
    mean: roundTo(f.mean, PROGRAMME_DECIMALS),
    consensus: roundTo(f.consensus, PROGRAMME_DECIMALS),
    ...factorLabels(f.n, f.mean, f.consensus, thresholds)
  };
}

/** Median and quartiles of values, rounded for the view; all null below the minimum number of communities. */
function spread(values: number[], settings: PortfolioSettings): { median: number | null; q1: number | null; q3: number | null } {
  if (values.length < settings.minCommunities) return { median: null, q1: null, q3: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => roundTo(quantileSorted(sorted, q), PROGRAMME_DECIMALS);
  return { median: at(0.5), q1: at(0.25), q3: at(0.75) };
}

/** The quarter (`YYYY-Qn`) of an instant on the clocks of a time zone. */
function quarterOf(epochMs: number, timeZone: string): string {
  const day = localDay(epochMs, timeZone);
  return `${day.slice(0, 4)}-Q${Math.ceil(Number(day.slice(5, 7)) / 3)}`;
}

/** A community's counting rounds, oldest first. */
function countingRounds(community: SharedCommunityFigures, settings: PortfolioSettings): FrozenRoundFigures[] {
  return community.rounds.filter((r) => roundCounts(r, settings)).sort((a, b) => a.revealedAt - b.revealedAt);
}

export function referencePortfolio(input: PortfolioInput): Portfolio {
  const settings = input.settings ?? PORTFOLIO_DEFAULTS;
  const thresholds = input.thresholds ?? DEFAULT_THRESHOLDS;
  const numbers = Array.from({ length: input.factorCount }, (_, i) => i + 1);
  const shown: { community: SharedCommunityFigures; rounds: FrozenRoundFigures[] }[] = [];
  let waiting = 0;
  for (const community of input.communities) {
    const rounds = countingRounds(community, settings);
    if (rounds.length >= settings.minSessions) shown.push({ community, rounds });
    else waiting++;
  }
  shown.sort((a, b) => a.community.name.localeCompare(b.community.name, 'en') || (a.community.id < b.community.id ? -1 : 1));

  const communities: PortfolioCommunity[] = shown.map(({ community, rounds }) => ({
    id: community.id,
    name: community.name,
    sessions: rounds.length,
    factors: numbers.map((n) => cellOf(rounds[rounds.length - 1], n, settings, thresholds))
  }));

  const factors: PortfolioFactor[] = numbers.map((number) => {
    const cells = communities.map((c) => c.factors[number - 1]).filter((c) => c.mean !== null);
    const enough = cells.length >= settings.minCommunities;
    return {
      number,
      communities: cells.length,
      weak: enough ? cells.filter((c) => c.weak).length : null,
      divergent: enough ? cells.filter((c) => c.divergent).length : null,
      ...spread(
        cells.map((c) => c.mean!),
        settings
      )
    };
  });

  // Per quarter, each shown community's latest counting round revealed in it (rounds are oldest first, so the last wins).
  const byQuarter = new Map<string, Map<string, FrozenRoundFigures>>();
  for (const { community, rounds } of shown) {
    for (const round of rounds) {
      const quarter = quarterOf(round.revealedAt, input.timeZone);
      let latest = byQuarter.get(quarter);
      if (!latest) byQuarter.set(quarter, (latest = new Map()));
      latest.set(community.id, round);
    }
  }
  const quarters = [...byQuarter.keys()].sort();
  const trend: PortfolioTrend[] = numbers.map((number) => ({
    number,
    points: quarters.map((quarter) => {
      const means = [...byQuarter.get(quarter)!.values()].map((r) => factorOf(r, number, settings)?.mean).filter((m): m is number => m !== undefined);
      return { quarter, communities: means.length, ...spread(means, settings) };
    })
  }));

  return { communities, factors, quarters, trend, waiting, settings: { minSessions: settings.minSessions, minCommunities: settings.minCommunities } };
}
