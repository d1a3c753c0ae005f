/**
 * The programme view (issue 25, items 3 and 4): where the communities that share their figures with an
 * organisation stand, factor by factor, and how the programme moves over quarters. Pure: the server feeds
 * it, per shared community, the figures each session's latest revealed round froze (per factor n, mean,
 * consensus, and the round's voters and k), and nothing per person, per ballot or per comment ever reaches
 * it. What it answers holds no session either: no code, title, date or voter count, only counts of
 * sessions and communities and figures of communities (see docs/privacy.md, "The programme role").
 */
import { localDay, localTime } from './dates';
import { DEFAULT_MIN_VOTERS, DEFAULT_THRESHOLDS, factorLabels, roundTo, type Thresholds } from './statistics';

/** The privacy settings of the programme view (server settings; see docs/privacy.md). */
export interface PortfolioSettings {
  /** Revealed sessions (each of which met its k) a community needs before it appears anywhere in the view. */
  minSessions: number;
  /** Communities a programme figure (a count of weak or divergent, a median, a trend point) must come from. */
  minCommunities: number;
  /**
   * The fewest voters a round (and a factor's figure) must come from to reach the view, whatever the
   * session's own k: a named session's k is 1, and its figures must not leave the room with one voter.
   */
  minVoters: number;
}

export const PORTFOLIO_DEFAULTS: PortfolioSettings = { minSessions: 2, minCommunities: 3, minVoters: DEFAULT_MIN_VOTERS };

/** Programme figures are shown to two decimals: finer steps would only help subtract one community from another. */
const PROGRAMME_DECIMALS = 2;

/** What one session's latest revealed round froze, as much of it as the programme view may read. */
export interface FrozenRoundFigures {
  /** Epoch ms of the reveal (only its quarter is used). */
  revealedAt: number;
  voters: number;
  /** The k the round applied; null in a named session. */
  minVoters: number | null;
  /** Set when the round had fewer than k voters (then it showed no figure at all). */
  withheld: string | null;
  factors: readonly { number: number; n: number; mean: number | null; consensus: number | null }[];
}

/** A community that shares its figures with the organisation, and its sessions' latest revealed rounds. */
export interface SharedCommunityFigures {
  id: string;
  name: string;
  rounds: readonly FrozenRoundFigures[];
}

/** One factor of one community in the view: its latest figures and labels. */
export interface PortfolioCell {
  number: number;
  mean: number | null;
  consensus: number | null;
  weak: boolean;
  divergent: boolean;
}

/** A community row of the heatmap (the `portfolio.json` contract). */
export interface PortfolioCommunity {
  id: string;
  name: string;
  /** Revealed sessions that count (each met its k). */
  sessions: number;
  factors: PortfolioCell[];
}

/** A factor across the programme (the contract's fields, plus the quartiles); figures null below minCommunities. */
export interface PortfolioFactor {
  number: number;
  /** Shown communities with a figure for this factor. */
  communities: number;
  weak: number | null;
  divergent: number | null;
  median: number | null;
  q1: number | null;
  q3: number | null;
}

/** The programme's spread of one factor in one quarter: each community's latest figure in it. */
export interface PortfolioTrendPoint {
  /** `YYYY-Qn` in the organisation's time zone. */
  quarter: string;
  communities: number;
  median: number | null;
  q1: number | null;
  q3: number | null;
}

export interface PortfolioTrend {
  number: number;
  points: PortfolioTrendPoint[];
}

export interface Portfolio {
  communities: PortfolioCommunity[];
  factors: PortfolioFactor[];
  /** Quarters with at least one shown community's session, oldest first. */
  quarters: string[];
  trend: PortfolioTrend[];
  /** Shared communities not shown yet (fewer than minSessions sessions that met their k). */
  waiting: number;
  settings: { minSessions: number; minCommunities: number };
}

/** Whether a frozen round may reach the programme view: not withheld, and from at least its k and the view's minimum of voters. */
export function roundCounts(round: FrozenRoundFigures, settings: PortfolioSettings = PORTFOLIO_DEFAULTS): boolean {
  return round.withheld === null && round.voters >= Math.max(round.minVoters ?? 1, settings.minVoters);
}

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

/**
 * The q-quantile of ascending values, interpolated linearly between the two nearest ranks (R-7, as
 * spreadsheets and d3 compute it); q = 0.5 is the median as the statistics define it (the average of
 * the two middle values for an even count).
 */
export function quantileSorted(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/** Median and quartiles of values, rounded for the view; all null below the minimum number of communities. */
function spread(values: number[], settings: PortfolioSettings): { median: number | null; q1: number | null; q3: number | null } {
  if (values.length < settings.minCommunities) return { median: null, q1: null, q3: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => roundTo(quantileSorted(sorted, q), PROGRAMME_DECIMALS);
  return { median: at(0.5), q1: at(0.25), q3: at(0.75) };
}

/**
 * Two days: more than any zone's clocks have been from UTC since 1900 (at most 14 hours), so an instant this
 * far from a UTC quarter's edges is in that same quarter on every zone's clocks.
 */
const QUARTER_EDGE_MS = 2 * 86_400_000;
/**
 * Around the instant a zone's clocks enter a quarter, instants this close to it are still read from Intl: a clock
 * change there (summer time shifts clocks by at most two hours) may cross midnight back and forth.
 */
const QUARTER_WINDOW_MS = 3 * 3_600_000;
/** Per zone and UTC quarter edge: the instant the zone's clocks enter that quarter, or null where Intl must decide. */
const quarterStarts = new Map<string, number | null>();

/**
 * The instant the zone's clocks read 00:00 on the first day of the quarter that starts at `edge` on UTC's clocks,
 * found from the zone's offset at the edge and checked with Intl on both sides; null when the check fails (a clock
 * change near midnight), and then the caller asks Intl for every instant near the edge.
 */
function quarterStart(edge: number, timeZone: string): number | null {
  const key = `${timeZone} ${edge}`;
  let start = quarterStarts.get(key);
  if (start === undefined) {
    const quarter = quarterOnClocks(edge + QUARTER_EDGE_MS, timeZone);
    // The local midnight nearest the edge: the edge minus the offset the zone's clocks had there.
    const wall = localDay(edge, timeZone);
    const time = localTime(edge, timeZone);
    // (localTime reads minutes: an offset with seconds, as some zones had before 1972, fails the check below.)
    const offset =
      Date.UTC(Number(wall.slice(0, 4)), Number(wall.slice(5, 7)) - 1, Number(wall.slice(8, 10)), Number(time.slice(0, 2)), Number(time.slice(3, 5))) - edge;
    const candidate = edge - offset;
    start =
      quarterOnClocks(candidate, timeZone) === quarter && quarterOnClocks(candidate - 1, timeZone) !== quarter && Math.abs(candidate - edge) < QUARTER_EDGE_MS
        ? candidate
        : null;
    // Bounded: a few hundred zones × the quarters rounds were revealed in.
    if (quarterStarts.size >= 100_000) quarterStarts.clear();
    quarterStarts.set(key, start);
  }
  return start;
}

/** A UTC day's quarter: its label, its edges and its neighbours' labels (the same for every zone, so kept per day). */
interface UtcQuarter {
  label: string;
  edge: number;
  next: number;
  previousLabel: string;
  nextLabel: string;
}
const utcQuarters = new Map<number, UtcQuarter>();

function utcQuarter(epochMs: number): UtcQuarter {
  const day = Math.floor(epochMs / 86_400_000);
  let quarter = utcQuarters.get(day);
  if (!quarter) {
    const utc = new Date(epochMs);
    const year = utc.getUTCFullYear();
    const first = Math.floor(utc.getUTCMonth() / 3) * 3;
    const label = (firstMonth: number) => `${year + Math.floor(firstMonth / 12)}-Q${(((firstMonth % 12) + 12) % 12) / 3 + 1}`;
    quarter = {
      label: label(first),
      edge: Date.UTC(year, first, 1),
      next: Date.UTC(year, first + 3, 1),
      previousLabel: label(first - 3),
      nextLabel: label(first + 3)
    };
    // Bounded: a day is 86,400,000 ms, so 100,000 days are some 270 years of reveals.
    if (utcQuarters.size >= 100_000) utcQuarters.clear();
    utcQuarters.set(day, quarter);
  }
  return quarter;
}

/**
 * The quarter (`YYYY-Qn`) of an instant on the clocks of a time zone. Asking Intl costs microseconds per call (the
 * programme view asks for every round of every community), so it is asked once per zone and quarter for the instant
 * the zone's clocks enter the quarter, and per instant only within hours of it; every other instant is compared with
 * those.
 */
export function quarterOf(epochMs: number, timeZone: string): string {
  // Years before 1900 (far offsets of local mean time) and beyond four digits: Intl decides.
  if (!(epochMs >= QUARTERS_FROM && epochMs < QUARTERS_UNTIL)) return quarterOnClocks(epochMs, timeZone);
  const q = utcQuarter(epochMs);
  if (epochMs - q.edge >= QUARTER_EDGE_MS && q.next - epochMs >= QUARTER_EDGE_MS) return q.label;
  // Near the edge at the start of this UTC quarter or at the start of the next: which side of the zone's start is it on?
  const atStart = epochMs - q.edge < QUARTER_EDGE_MS;
  const start = quarterStart(atStart ? q.edge : q.next, timeZone);
  if (start === null || Math.abs(epochMs - start) < QUARTER_WINDOW_MS) return quarterOnClocks(epochMs, timeZone);
  if (atStart) return epochMs >= start ? q.label : q.previousLabel;
  return epochMs >= start ? q.nextLabel : q.label;
}
const QUARTERS_FROM = Date.UTC(1900, 0, 1);
const QUARTERS_UNTIL = Date.UTC(9999, 9, 1);

/** The quarter of an instant as Intl reads the zone's clocks (exact anywhere; what quarterOf falls back to). */
export function quarterOnClocks(epochMs: number, timeZone: string): string {
  const day = localDay(epochMs, timeZone);
  return `${day.slice(0, 4)}-Q${Math.ceil(Number(day.slice(5, 7)) / 3)}`;
}

/** A community's counting rounds, oldest first. */
function countingRounds(community: SharedCommunityFigures, settings: PortfolioSettings): FrozenRoundFigures[] {
  return community.rounds.filter((r) => roundCounts(r, settings)).sort((a, b) => a.revealedAt - b.revealedAt);
}

export interface PortfolioInput {
  communities: readonly SharedCommunityFigures[];
  factorCount: number;
  /** The organisation's IANA time zone: quarters are counted on its clocks. */
  timeZone: string;
  settings?: PortfolioSettings;
  thresholds?: Thresholds;
}

/**
 * The programme view of an organisation. A community appears only with at least minSessions counting
 * sessions (each met its k and the view's minimum of voters); its row holds its latest counting
 * session's figures. A programme figure (weak/divergent counts, median, quartiles, a trend point) is
 * given only where at least minCommunities shown communities have a figure; otherwise only how many do.
 * O(communities × sessions × factors).
 */
export function buildPortfolio(input: PortfolioInput): Portfolio {
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
  // Per quarter and factor, the means that count: each round's factors walked once (as factorOf reads them: the first
  // entry of a number decides), not searched once per factor.
  const means = quarters.map((quarter) => {
    const perFactor: number[][] = numbers.map(() => []);
    const seen = new Uint8Array(input.factorCount + 1);
    for (const round of byQuarter.get(quarter)!.values()) {
      seen.fill(0);
      const least = Math.max(round.minVoters ?? 1, settings.minVoters);
      for (const f of round.factors) {
        if (!(f.number >= 1 && f.number <= input.factorCount) || seen[f.number]) continue;
        seen[f.number] = 1;
        if (f.mean !== null && f.n >= least) perFactor[f.number - 1].push(f.mean);
      }
    }
    return perFactor;
  });
  const trend: PortfolioTrend[] = numbers.map((number) => ({
    number,
    points: quarters.map((quarter, q) => ({ quarter, communities: means[q][number - 1].length, ...spread(means[q][number - 1], settings) }))
  }));

  return { communities, factors, quarters, trend, waiting, settings: { minSessions: settings.minSessions, minCommunities: settings.minCommunities } };
}

/** One factor of a community beside the programme: "lower than 8 of 10 communities". */
export interface BesideFactor {
  number: number;
  /** The community's own latest figure (its own data, so shown to it whatever the minimums). */
  mean: number | null;
  /** Other shown communities with a figure for the factor; their comparison is null below minCommunities. */
  of: number;
  /** How many of them have a higher mean (this community is lower than them). */
  lowerThan: number | null;
  /** How many of them have a lower mean. */
  higherThan: number | null;
  median: number | null;
}

/**
 * A community's latest figures beside the other shown communities of the programme. Only counts and the
 * median of the others leave, and only from minCommunities others: never another community's figure.
 */
export function besideProgramme(
  ownId: string,
  own: readonly FrozenRoundFigures[],
  portfolio: Portfolio,
  settings: PortfolioSettings = PORTFOLIO_DEFAULTS
): BesideFactor[] {
  const rounds = own.filter((r) => roundCounts(r, settings)).sort((a, b) => a.revealedAt - b.revealedAt);
  const latest = rounds[rounds.length - 1];
  const others = portfolio.communities.filter((c) => c.id !== ownId);
  return portfolio.factors.map(({ number }) => {
    const mine = cellOf(latest, number, settings, DEFAULT_THRESHOLDS).mean;
    const means = others.map((c) => c.factors[number - 1]?.mean ?? null).filter((m): m is number => m !== null);
    const enough = means.length >= settings.minCommunities && mine !== null;
    return {
      number,
      mean: mine,
      of: means.length,
      lowerThan: enough ? means.filter((m) => m > mine).length : null,
      higherThan: enough ? means.filter((m) => m < mine).length : null,
      median: spread(means, settings).median
    };
  });
}
