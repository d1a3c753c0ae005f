import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { communityCsv, communityMarkdown } from '../../src/lib/domain/community-export';
import { exportWords } from '../../src/lib/i18n/catalogues';
import { parseFramework } from '../../src/lib/domain/framework-schema';
import { CONTENT_DIR } from '../helpers/server';
import {
  buildTrend,
  factorTrends,
  isIsoDay,
  paperProblems,
  paperStatistics,
  paperFigures,
  paperTrendSession,
  paperVoters,
  PAPER_MAX_COUNT,
  type PaperCounts,
  type RevealedSessionInput
} from '../../src/lib/domain/community';
import { computeRoundResults } from '../../src/lib/domain/results';
import { DEFAULT_THRESHOLDS } from '../../src/lib/domain/statistics';
import { PaperSessionRequest } from '../../src/lib/protocol/schemas';

const dist = (one: number, two: number, three: number, four: number, five: number) => ({ '1': one, '2': two, '3': three, '4': four, '5': five });

// Three factors counted on a poster; factor 4 got no dots at all.
const poster: PaperCounts[] = [
  { number: 1, distribution: dist(0, 1, 4, 2, 0), unknown: 1 },
  { number: 2, distribution: dist(3, 0, 0, 0, 3), unknown: 0 },
  { number: 3, distribution: dist(1, 1, 0, 0, 0), unknown: 2 }
];

describe('paper statistics (hand-computed)', () => {
  const stats = paperStatistics(4, poster);

  it('factor 1: scores 2,3,3,3,3,4,4 and one "don\'t know"', () => {
    // mean = 22/7 = 3.142857; median = the 4th of 7 = 3;
    // variance = (1.142857² + 4·0.142857² + 2·0.857143²)/7 = (1.306122 + 0.081633 + 1.469388)/7 = 0.408163, stddev 0.638877;
    // consensus = 1 + 1/7·log2(1 − 1.142857/4) + 4/7·log2(1 − 0.142857/4) + 2/7·log2(1 − 0.857143/4)
    //           = 1 − 0.069347 − 0.029981 − 0.099407 = 0.801265.
    expect(stats[0]).toEqual({
      number: 1,
      n: 7,
      unknown: 1,
      mean: 3.143,
      median: 3,
      stddev: 0.639,
      consensus: 0.801,
      distribution: dist(0, 1, 4, 2, 0),
      weak: false,
      divergent: false,
      // 1 of 8 answers is "don't know": below one third.
      unclear: false
    });
  });

  it('factor 2: split between the extremes has consensus 0 and is divergent, not weak', () => {
    // mean 3 (not below 3.0); every score is 2 away: 1 + ½·log2(½) + ½·log2(½) = 0; stddev 2; median (1 + 5)/2 = 3.
    expect(stats[1]).toMatchObject({ n: 6, unknown: 0, mean: 3, median: 3, stddev: 2, consensus: 0, weak: false, divergent: true, unclear: false });
  });

  it('factor 3: two scores 1 and 2 is weak; 2 of 4 "don\'t know" is unclear', () => {
    // mean 1.5; consensus 1 + 2·½·log2(1 − 0.5/4) = 1 + log2(0.875) = 0.807355.
    expect(stats[2]).toMatchObject({ n: 2, unknown: 2, mean: 1.5, median: 1.5, stddev: 0.5, consensus: 0.807, weak: true, divergent: false, unclear: true });
  });

  it('a factor without counts has no figures', () => {
    expect(stats[3]).toMatchObject({ number: 4, n: 0, unknown: 0, mean: null, consensus: null, weak: false, divergent: false });
  });

  it('counts as many voters as the factor with the most answers (one dot per factor each)', () => {
    expect(paperVoters(poster)).toBe(8);
    expect(paperVoters([])).toBe(0);
  });

  it('gives the same figures as a live session with the same answers', () => {
    const voters = Array.from({ length: 8 }, (_, i) => ({
      id: `v${i}`,
      name: `V${i}`,
      group: null,
      answers: new Map([[1, ([2, 3, 3, 3, 3, 4, 4, 'unknown'] as const)[i]]])
    }));
    const live = computeRoundResults({ round: 1, factorCount: 4, thresholds: DEFAULT_THRESHOLDS, anonymous: false, voters });
    expect(paperStatistics(4, [poster[0]])[0]).toEqual(live.factors[0]);
  });
});

describe('paper validation', () => {
  const ok: PaperCounts = { number: 1, distribution: dist(0, 0, 1, 0, 0), unknown: 0 };

  it('accepts non-negative integer counts with at least one count', () => {
    expect(paperProblems(12, [ok])).toEqual([]);
    expect(paperProblems(12, [{ ...ok, distribution: dist(0, 0, 0, 0, 0), unknown: 1 }])).toEqual([]);
  });

  it('refuses negative, fractional, too large and missing counts', () => {
    expect(paperProblems(12, [{ ...ok, distribution: dist(-1, 0, 1, 0, 0) }])).toEqual([`factors.0.distribution.1: must be an integer 0..${PAPER_MAX_COUNT}`]);
    expect(paperProblems(12, [{ ...ok, distribution: dist(0, 0.5, 1, 0, 0) }])).toHaveLength(1);
    expect(paperProblems(12, [{ ...ok, unknown: PAPER_MAX_COUNT + 1 }])).toHaveLength(1);
    expect(paperProblems(12, [{ ...ok, distribution: { '1': 1 } as never }])).toHaveLength(4);
  });

  it('refuses factors outside the framework, a factor twice, and nothing counted', () => {
    expect(paperProblems(12, [{ ...ok, number: 13 }])).toEqual(['factors.0.number: must be 1..12']);
    expect(paperProblems(12, [ok, ok])).toEqual(['factors.1.number: factor 1 is given twice']);
    expect(paperProblems(12, [{ ...ok, distribution: dist(0, 0, 0, 0, 0) }])).toEqual(['factors: at least one count is needed']);
  });

  it('the request schema refuses impossible days, fractions, negative counts and unknown fields', () => {
    const body = { date: '2026-03-01', factors: [{ number: 1, distribution: dist(1, 0, 0, 0, 0), unknown: 0 }] };
    expect(PaperSessionRequest.safeParse(body).success).toBe(true);
    expect(PaperSessionRequest.safeParse({ ...body, date: '2026-02-30' }).success).toBe(false);
    expect(PaperSessionRequest.safeParse({ ...body, factors: [{ ...body.factors[0], unknown: 1.5 }] }).success).toBe(false);
    expect(PaperSessionRequest.safeParse({ ...body, factors: [{ ...body.factors[0], unknown: -1 }] }).success).toBe(false);
    expect(PaperSessionRequest.safeParse({ ...body, voters: [] }).success).toBe(false);
    expect(PaperSessionRequest.safeParse({ ...body, factors: [] }).success).toBe(false);
    expect(isIsoDay('2024-02-29')).toBe(true);
    expect(isIsoDay('2025-02-29')).toBe(false);
  });
});

describe('trend computation', () => {
  const results = (
    voters: number,
    factors: { number: number; n: number; mean: number | null; consensus: number | null; weak: boolean; divergent: boolean }[]
  ) => ({
    voters,
    factors: factors.map((f) => ({ ...f, unknown: 0, median: null, stddev: null, distribution: null, unclear: false })),
    attention: factors.filter((f) => f.weak || f.divergent).map((f) => ({ number: f.number }))
  });
  const june: RevealedSessionInput = {
    code: 'JUNE22',
    title: 'June',
    revealedAt: Date.UTC(2026, 5, 10, 23, 30),
    timeZone: 'UTC',
    results: results(5, [
      { number: 1, n: 5, mean: 2.4, consensus: 0.7, weak: true, divergent: false },
      { number: 2, n: 5, mean: 4, consensus: 0.5, weak: false, divergent: true }
    ])
  };
  const march: RevealedSessionInput = {
    code: 'MARCH3',
    title: 'March',
    revealedAt: Date.UTC(2026, 2, 3, 9),
    timeZone: 'UTC',
    results: results(4, [
      { number: 1, n: 4, mean: 2.8, consensus: 0.9, weak: true, divergent: false },
      { number: 2, n: 4, mean: 3.5, consensus: 0.8, weak: false, divergent: false }
    ])
  };
  const paper = { code: 'PABCDEF', title: 'Poster', date: '2026-04-20', createdAt: Date.UTC(2026, 10, 1), factors: [poster[0]] };

  it('orders sessions oldest first by their day (local reveal day in the session zone, or the day entered for paper)', () => {
    const trend = buildTrend([june, march], [paper], 2);
    expect(trend.map((s) => [s.code, s.date, s.source, s.voters])).toEqual([
      ['MARCH3', '2026-03-03', 'live', 4],
      ['PABCDEF', '2026-04-20', 'paper', 8],
      ['JUNE22', '2026-06-10', 'live', 5]
    ]);
  });

  it('takes a live session exactly as revealed and a paper one from its counts', () => {
    const trend = buildTrend([june], [paper], 2);
    const live = trend.find((s) => s.code === 'JUNE22')!;
    expect(live.factors).toEqual([
      { number: 1, n: 5, mean: 2.4, consensus: 0.7, weak: true, divergent: false },
      { number: 2, n: 5, mean: 4, consensus: 0.5, weak: false, divergent: true }
    ]);
    expect(live.attention).toEqual([1, 2]);
    expect(paperTrendSession(paper, 2).factors).toEqual([
      { number: 1, n: 7, mean: 3.143, consensus: 0.801, weak: false, divergent: false },
      { number: 2, n: 0, mean: null, consensus: null, weak: false, divergent: false }
    ]);
  });

  it('follows each factor across sessions: points, how often weak or split, and the change of the mean', () => {
    const [one, two] = factorTrends(buildTrend([june, march], [paper], 2), 2);
    expect(one.points.map((p) => p.mean)).toEqual([2.8, 3.143, 2.4]);
    expect(one.timesWeak).toBe(2);
    expect(one.timesDivergent).toBe(0);
    expect(one.meanChange).toBe(-0.4);
    // Factor 2 has no figures on the poster: a gap, not a zero.
    expect(two.points.map((p) => p.mean)).toEqual([3.5, null, 4]);
    expect(two.timesDivergent).toBe(1);
    expect(two.meanChange).toBe(0.5);
    expect(factorTrends([], 2)[0]).toEqual({ number: 1, points: [], timesWeak: 0, timesDivergent: 0, meanChange: null });
  });
});

describe('community exports', () => {
  const framework = parseFramework(JSON.parse(readFileSync(`${CONTENT_DIR}/frameworks/seeds-of-innovation.json`, 'utf8')), 'seeds-of-innovation.json');
  const data = {
    community: { id: 'c', name: 'Greenport *LC*' },
    thresholds: { weakBelow: 3, divergentBelow: 0.6 },
    sessions: [
      paperTrendSession({ code: 'PABCDEF', title: '=HYPERLINK("x")', date: '2026-04-20', createdAt: 0, factors: [poster[2]] }, 12),
      paperTrendSession(
        { code: 'PGHJKMN', title: 'Later | pipe', date: '2026-05-20', createdAt: 0, factors: [{ ...poster[2], distribution: dist(0, 0, 0, 4, 0) }] },
        12
      )
    ]
  };

  it('writes the long format: one row per session × factor; a title that looks like a formula stays text', () => {
    const lines = communityCsv(data).trimEnd().split('\r\n');
    expect(lines).toHaveLength(1 + 2 * 12);
    expect(lines[3]).toBe(`PABCDEF,"'=HYPERLINK(""x"")",2026-04-20,paper,4,3,2,1.5,0.807,true,false,true`);
    // Four 4s and two "don't know": six voters, and unclear (2 of 6), so on the attention list.
    expect(lines[15]).toBe('PGHJKMN,Later | pipe,2026-05-20,paper,6,3,4,4,1,false,false,true');
  });

  it('writes a Markdown summary with the sessions and each factor over time, markup escaped', () => {
    const md = communityMarkdown(data, framework, 'en', exportWords('en'));
    expect(md.startsWith('# Greenport \\*LC\\*\n')).toBe(true);
    expect(md).toContain(`| 20 May 2026 | Later \\| pipe (PGHJKMN) | paper | 6 | 3. ${framework.factors[2].title.en} |`);
    expect(md).toContain('weak in 1 session, divergent in 0 sessions, change of the mean: +2.50.');
    expect(md.match(/^### /gm)).toHaveLength(12);
  });
});

describe('paper figures stored once (issue 20)', () => {
  it('give exactly the trend that recomputing from the counts gives, whatever the framework size', () => {
    const input = { code: 'PABCDEF', title: 'Poster', date: '2026-05-01', createdAt: 1, factors: poster };
    const figures = paperFigures(poster);
    // Only counted factors are stored; the others are empty in any framework.
    expect(figures.factors.map((f) => f.number)).toEqual([1, 2, 3]);
    expect(figures.voters).toBe(paperVoters(poster));
    for (const factorCount of [3, 4, 12]) {
      const fromCounts = paperTrendSession(input, factorCount);
      expect(paperTrendSession({ ...input, figures }, factorCount)).toEqual(fromCounts);
    }
    // Random posters, up to the largest counts allowed, in any order.
    let seed = 7;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 200; i++) {
      const counted: PaperCounts[] = Array.from({ length: 1 + next(12) }, (_, f) => ({
        number: f + 1,
        distribution: dist(next(40), next(40), next(3) === 0 ? PAPER_MAX_COUNT : next(40), next(40), next(40)),
        unknown: next(10)
      })).reverse();
      const paper = { ...input, factors: counted };
      expect(paperTrendSession({ ...paper, figures: paperFigures(counted) }, 12)).toEqual(paperTrendSession(paper, 12));
    }
  });

  it('are what the trend shows, not the counts: a trend built from stored figures never recomputes them', () => {
    const figures = { ...paperFigures(poster), voters: 4242, attention: [3] };
    const [session] = buildTrend([], [{ code: 'PABCDEF', title: 'Poster', date: '2026-05-01', createdAt: 1, factors: poster, figures }], 4);
    expect(session.voters).toBe(4242);
    expect(session.attention).toEqual([3]);
    expect(session.factors[3]).toEqual({ number: 4, n: 0, mean: null, consensus: null, weak: false, divergent: false });
  });
});
