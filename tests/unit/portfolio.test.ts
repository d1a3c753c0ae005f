import { describe, expect, it } from 'vitest';
import {
  besideProgramme,
  buildPortfolio,
  PORTFOLIO_DEFAULTS,
  quantileSorted,
  quarterOf,
  roundCounts,
  type FrozenRoundFigures,
  type SharedCommunityFigures
} from '../../src/lib/domain/portfolio';
import { computeRoundResults } from '../../src/lib/domain/results';
import { DEFAULT_THRESHOLDS } from '../../src/lib/domain/statistics';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 15, 12);

/** A frozen round whose factor 1..3 means are `means` (n voters each, consensus 0.8), as the store hands it over. */
function round(at: number, means: (number | null)[], voters = 5, minVoters: number | null = 3): FrozenRoundFigures {
  return {
    revealedAt: at,
    voters,
    minVoters,
    withheld: minVoters !== null && voters < minVoters ? 'too_few_voters' : null,
    factors: means.map((mean, i) => ({ number: i + 1, n: mean === null ? 1 : voters, mean, consensus: mean === null ? null : 0.8 }))
  };
}

function community(id: string, rounds: FrozenRoundFigures[]): SharedCommunityFigures {
  return { id, name: `Community ${id}`, rounds };
}

describe('portfolio privacy thresholds', () => {
  it('shows a community only from the minimum number of revealed sessions that met their k', () => {
    const p = buildPortfolio({
      communities: [
        community('a', [round(T0, [3, 3, 3]), round(T0 + DAY, [4, 4, 4])]),
        // Two rounds, but one had fewer voters than its k: only one session counts.
        community('b', [round(T0, [3, 3, 3]), round(T0 + DAY, [2, 2, 2], 2, 3)]),
        community('c', [round(T0, [3, 3, 3])])
      ],
      factorCount: 3,
      timeZone: 'Europe/Amsterdam'
    });
    expect(p.communities.map((c) => c.id)).toEqual(['a']);
    expect(p.communities[0].sessions).toBe(2);
    expect(p.waiting).toBe(2);
  });

  it("does not take a named session's k of 1 for enough: a round needs the view's minimum of voters", () => {
    expect(roundCounts(round(T0, [3], 1, null))).toBe(false);
    expect(roundCounts(round(T0, [3], 2, null))).toBe(false);
    expect(roundCounts(round(T0, [3], 3, null))).toBe(true);
    // A session that raised its k to 5 counts only from 5 voters.
    expect(roundCounts({ ...round(T0, [3], 4, 5), withheld: null })).toBe(false);
  });

  it('withholds every programme figure of a factor that fewer than the minimum of communities have', () => {
    const two = [community('a', [round(T0, [2, 3]), round(T0 + DAY, [2, 3])]), community('b', [round(T0, [4, 3]), round(T0 + DAY, [4, 3])])];
    const p = buildPortfolio({ communities: two, factorCount: 2, timeZone: 'UTC' });
    expect(p.factors[0]).toEqual({ number: 1, communities: 2, weak: null, divergent: null, median: null, q1: null, q3: null });
    expect(p.trend[0].points.every((pt) => pt.median === null && pt.q1 === null && pt.q3 === null)).toBe(true);
    const three = buildPortfolio({ communities: [...two, community('c', [round(T0, [3, 3]), round(T0 + DAY, [3, 3])])], factorCount: 2, timeZone: 'UTC' });
    expect(three.factors[0]).toMatchObject({ communities: 3, weak: 1, divergent: 0, median: 3 });
  });

  it('leaves out a factor withheld in the round (fewer than k scored it)', () => {
    const rounds = (m: number | null) => [round(T0, [3, m]), round(T0 + DAY, [3, m])];
    const p = buildPortfolio({
      communities: [community('a', rounds(2)), community('b', rounds(4)), community('c', rounds(null))],
      factorCount: 2,
      timeZone: 'UTC'
    });
    expect(p.factors[1]).toMatchObject({ communities: 2, median: null });
    expect(p.communities.find((c) => c.id === 'c')!.factors[1]).toEqual({ number: 2, mean: null, consensus: null, weak: false, divergent: false });
  });

  it('holds nothing per session: no code, title, date or voter count, only counts and community figures', () => {
    const p = buildPortfolio({
      communities: [community('a', [round(T0, [3]), round(T0 + DAY, [4])])],
      factorCount: 1,
      timeZone: 'UTC',
      settings: { ...PORTFOLIO_DEFAULTS, minCommunities: 1 }
    });
    const text = JSON.stringify(p);
    expect(text).not.toMatch(/voters|revealedAt|code|title|date/);
    expect(Object.keys(p.communities[0]).sort()).toEqual(['factors', 'id', 'name', 'sessions']);
  });
});

describe('portfolio figures', () => {
  const thresholds = DEFAULT_THRESHOLDS;
  it("labels a community's latest figures by the programme's one definition of weak and divergent", () => {
    const latest: FrozenRoundFigures = {
      revealedAt: T0 + DAY,
      voters: 4,
      minVoters: 3,
      withheld: null,
      factors: [
        { number: 1, n: 4, mean: 2.5, consensus: 0.9 },
        { number: 2, n: 4, mean: 4, consensus: thresholds.divergentBelow - 0.01 },
        { number: 3, n: 4, mean: 3, consensus: thresholds.divergentBelow }
      ]
    };
    const p = buildPortfolio({ communities: [community('a', [round(T0, [1, 1, 1]), latest])], factorCount: 3, timeZone: 'UTC' });
    expect(p.communities[0].factors).toEqual([
      { number: 1, mean: 2.5, consensus: 0.9, weak: true, divergent: false },
      { number: 2, mean: 4, consensus: 0.59, weak: false, divergent: true },
      { number: 3, mean: 3, consensus: 0.6, weak: false, divergent: false }
    ]);
  });

  it('takes medians as the statistics define them and quartiles by linear interpolation', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3], 0.5)).toBe(2);
    expect(quantileSorted([1, 2, 3, 4, 5], 0.25)).toBe(2);
    expect(quantileSorted([1, 2, 3, 4], 0.75)).toBe(3.25);
    expect(quantileSorted([], 0.5)).toBeNull();
    const means = [2.1, 2.4, 3.0, 3.6];
    const p = buildPortfolio({
      communities: means.map((m, i) => community(String(i), [round(T0, [m]), round(T0 + DAY, [m])])),
      factorCount: 1,
      timeZone: 'UTC'
    });
    expect(p.factors[0]).toMatchObject({ communities: 4, weak: 2, median: 2.7, q1: 2.33, q3: 3.15 });
  });

  it('counts quarters on the clocks of the organisation', () => {
    // 31 March 23:30 UTC is already 1 April in Amsterdam, and still 31 March in New York.
    const edge = Date.UTC(2026, 2, 31, 23, 30);
    expect(quarterOf(edge, 'Europe/Amsterdam')).toBe('2026-Q2');
    expect(quarterOf(edge, 'America/New_York')).toBe('2026-Q1');
    expect(quarterOf(Date.UTC(2026, 11, 31, 23, 30), 'Pacific/Auckland')).toBe('2027-Q1');
  });

  it("gives each quarter the spread of every community's latest figure in it", () => {
    const jan = Date.UTC(2026, 0, 10);
    const feb = Date.UTC(2026, 1, 10);
    const may = Date.UTC(2026, 4, 10);
    const p = buildPortfolio({
      communities: [
        community('a', [round(jan, [1]), round(feb, [2]), round(may, [4])]),
        community('b', [round(feb, [3]), round(may, [3])]),
        community('c', [round(jan, [5]), round(may, [5])]),
        community('d', [round(jan, [4]), round(feb, [4])])
      ],
      factorCount: 1,
      timeZone: 'Europe/Amsterdam'
    });
    expect(p.quarters).toEqual(['2026-Q1', '2026-Q2']);
    // Q1: a's latest is February's 2, b 3, c 5, d 4. Q2: a 4, b 3, c 5.
    expect(p.trend[0].points).toEqual([
      { quarter: '2026-Q1', communities: 4, median: 3.5, q1: 2.75, q3: 4.25 },
      { quarter: '2026-Q2', communities: 3, median: 4, q1: 3.5, q3: 4.5 }
    ]);
  });

  it('a trend point from fewer communities than the minimum is withheld', () => {
    const jan = Date.UTC(2026, 0, 10);
    const may = Date.UTC(2026, 4, 10);
    const p = buildPortfolio({
      communities: [
        community('a', [round(jan, [1]), round(may, [4])]),
        community('b', [round(jan, [3]), round(may, [3])]),
        community('c', [round(jan, [5]), round(jan + DAY, [5])])
      ],
      factorCount: 1,
      timeZone: 'UTC'
    });
    expect(p.trend[0].points[1]).toEqual({ quarter: '2026-Q2', communities: 2, median: null, q1: null, q3: null });
  });

  it('works from rounds computed by the live statistics (frozen RoundResults)', () => {
    const voters = [1, 2, 3, 4].map((s, i) => ({ id: `p${i}`, name: '', group: null, answers: new Map([[1, s as 1 | 2 | 3 | 4]]) }));
    const results = computeRoundResults({ round: 1, factorCount: 1, thresholds, anonymous: true, voters });
    const frozen: FrozenRoundFigures = {
      revealedAt: T0,
      voters: results.voters,
      minVoters: results.minVoters,
      withheld: results.withheld,
      factors: results.factors
    };
    const p = buildPortfolio({
      communities: [community('a', [frozen, { ...frozen, revealedAt: T0 + DAY }])],
      factorCount: 1,
      timeZone: 'UTC',
      settings: { ...PORTFOLIO_DEFAULTS, minCommunities: 1 }
    });
    expect(p.communities[0].factors[0]).toMatchObject({ mean: 2.5, weak: true });
  });
});

describe('a community beside the programme', () => {
  const rounds = (m: number) => [round(T0, [m, 3]), round(T0 + DAY, [m, 3])];
  it('says how many other communities are higher and lower, never their figures', () => {
    const others = [1.5, 2, 3.5, 4, 4.5].map((m, i) => community(`o${i}`, rounds(m)));
    const own = community('me', rounds(3));
    const p = buildPortfolio({ communities: [...others, own], factorCount: 2, timeZone: 'UTC' });
    const beside = besideProgramme('me', own.rounds, p);
    expect(beside[0]).toEqual({ number: 1, mean: 3, of: 5, lowerThan: 3, higherThan: 2, median: 3.5 });
  });

  it('compares with nobody when fewer than the minimum of other communities are shown', () => {
    const others = [2, 4].map((m, i) => community(`o${i}`, rounds(m)));
    const own = community('me', rounds(3));
    const p = buildPortfolio({ communities: [...others, own], factorCount: 1, timeZone: 'UTC' });
    expect(besideProgramme('me', own.rounds, p)[0]).toEqual({ number: 1, mean: 3, of: 2, lowerThan: null, higherThan: null, median: null });
  });
});

describe('portfolio chart layouts', () => {
  it('places community rows and factor columns, and scales a mean into the colour ramp', async () => {
    const { portfolioHeatmapLayout, meanShare, trendChartLayout } = await import('../../src/lib/domain/portfolio-layout');
    const p = buildPortfolio({
      communities: [community('a', [round(T0, [2, 4]), round(T0 + DAY, [2, 4])]), community('b', [round(T0, [3, 5]), round(T0 + DAY, [3, 5])])],
      factorCount: 2,
      timeZone: 'UTC',
      settings: { ...PORTFOLIO_DEFAULTS, minCommunities: 2 }
    });
    const layout = portfolioHeatmapLayout(p, 2, { labelWidth: 100, cell: 20, headerHeight: 10 });
    expect(layout.width).toBe(140);
    expect(layout.height).toBe(50);
    expect(layout.rows.map((r) => r.y)).toEqual([10, 30]);
    expect(layout.rows[1].cells[1]).toMatchObject({ factor: 2, mean: 5, x: 120, y: 30 });
    expect([meanShare(1), meanShare(3), meanShare(5), meanShare(9)]).toEqual([0, 0.5, 1, 1]);
    // One quarter with a figure: a point in the middle, on the median's height; 5 at the top, 1 at the bottom.
    const chart = trendChartLayout(p.trend[0], p.quarters, { width: 100, height: 90, padding: 5 });
    expect(chart.ticks[0]).toEqual({ value: 1, y: 85 });
    expect(chart.ticks[4]).toEqual({ value: 5, y: 5 });
    expect(chart.points).toHaveLength(1);
    expect(chart.points[0]).toMatchObject({ x: 50, median: 2.5 });
    expect(chart.line).toMatch(/^M50\.0,/);
  });

  it('leaves a withheld quarter off the line but keeps its place on the axis', async () => {
    const { trendChartLayout } = await import('../../src/lib/domain/portfolio-layout');
    const trend = {
      number: 1,
      points: [
        { quarter: '2026-Q1', communities: 3, median: 3, q1: 2, q3: 4 },
        { quarter: '2026-Q2', communities: 2, median: null, q1: null, q3: null },
        { quarter: '2026-Q3', communities: 3, median: 4, q1: 3, q3: 5 }
      ]
    };
    const chart = trendChartLayout(trend, ['2026-Q1', '2026-Q2', '2026-Q3'], { width: 110, height: 90, padding: 5 });
    expect(chart.labels.map((l) => l.x)).toEqual([5, 55, 105]);
    expect(chart.points.map((p) => p.quarter)).toEqual(['2026-Q1', '2026-Q3']);
  });
});
