/**
 * Communities at scale (issue 14): how long `trends.json` takes to build for a
 * community of 10 and 100 sessions (BENCH_COMMUNITY_SIZES), next to a bare
 * baseline that only reads the same frozen rows from SQLite and parses them;
 * how long the page's per-factor trend (factorTrends, run in the browser)
 * takes on that data; and how much JavaScript the community page loads
 * (from the last `npm run build`, raw and gzip), next to the facilitator page.
 *
 * Also what a session of the community costs to load because it belongs to
 * one: the review list (open action points of the earlier sessions, their
 * texts decoded from Yjs) and "since last time", next to the bare room load
 * (`loadSession`) it comes on top of.
 *
 * In-process, on a real SQLite file in a temp directory (removed after). Each
 * live session has one revealed round of 30 voters and three open action
 * points with text; every fifth is a paper session.
 *
 * And a community at its cap of paper sessions (issue 20: DEFAULTS.maxCommunityPaperSessions,
 * or BENCH_PAPER_SESSIONS), each the heaviest poster the validation allows (every cell
 * at PAPER_MAX_COUNT dots): trends.json and export.csv read from the stored figures, next
 * to the same trend recomputed from the counts, as every request did before the figures
 * were stored; and the next session's community context ("since last time").
 *
 * And the programme view (issue 25): an organisation with BENCH_PORTFOLIO_COMMUNITIES (200) shared
 * communities of BENCH_PORTFOLIO_SESSIONS (20) revealed sessions each, `portfolio.json` built in full
 * (one store read, then the pure portfolio), next to one of those communities' `trends.json` in the same run: warm (the
 * store parsed the figures at their current version before) and cold (a store handle that never read them). SQLite only.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadFrameworks } from '../server/content';
import { DEFAULTS } from '../server/config';
import { CommunityService } from '../server/communities/service';
import { SqliteStore } from '../server/store/sqlite';
import { buildTrend, factorTrends, PAPER_MAX_COUNT, paperFigures, type PaperSessionInput } from '../src/lib/domain/community';
import { communityCsv } from '../src/lib/domain/community-export';
import { computeRoundResults } from '../src/lib/domain/results';
import { DEFAULT_THRESHOLDS } from '../src/lib/domain/statistics';
import type { Answer } from '../src/lib/domain/ballots';
import { fmt, ROOT, table, writeResults } from './lib';
import * as Y from 'yjs';
import { createText } from '../src/lib/board/actions';
import type { ActionRecord } from '../src/lib/domain/action-points';
import { loadCommunityContext, REVIEW_SESSIONS_MAX } from '../server/communities/review';
import { CommunityReviews } from '../server/communities/review-book';
import { OrganisationService } from '../server/organisations/portfolio';
import type { CommunityRecord } from '../server/store/types';

const SIZES = (process.env.BENCH_COMMUNITY_SIZES ?? '10,100').split(',').map(Number);
const PAPER_SESSIONS = Number(process.env.BENCH_PAPER_SESSIONS ?? DEFAULTS.maxCommunityPaperSessions);
/** Repeats of the cases that recompute (seconds each before issue 20). */
const SLOW_REPEATS = Number(process.env.BENCH_SLOW_REPEATS ?? 3);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 21);
const PORTFOLIO_COMMUNITIES = Number(process.env.BENCH_PORTFOLIO_COMMUNITIES ?? 200);
const PORTFOLIO_SESSIONS = Number(process.env.BENCH_PORTFOLIO_SESSIONS ?? 20);

async function timeMedian(run: () => unknown | Promise<unknown>, repeats = REPEATS): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
}

async function populate(store: SqliteStore, service: CommunityService, sessions: number) {
  const { community } = await service.create({ name: `Bench ${sessions}` });
  for (let s = 0; s < sessions; s++) {
    const id = `bench-${sessions}-${s}`;
    const createdAt = Date.UTC(2020, 0, 1) + s * 86_400_000 * 30;
    if (s % 5 === 4) {
      const factors = Array.from({ length: 12 }, (_, f) => ({ number: f + 1, distribution: { '1': 1, '2': 2, '3': 5, '4': 6, '5': (s + f) % 4 }, unknown: 1 }));
      await store.savePaperSession({
        id,
        communityId: community.id,
        code: `P${sessions}-${s}`,
        title: `Paper ${s}`,
        source: 'paper',
        date: new Date(createdAt).toISOString().slice(0, 10),
        factors,
        figures: paperFigures(factors),
        createdAt
      });
      continue;
    }
    await store.createSession({
      id,
      code: `B${sessions}-${s}`,
      title: `Session ${s}`,
      language: 'en',
      framework: 'seeds-of-innovation',
      anonymous: true,
      facilitatorTokenHash: 'x',
      presenterTokenHash: null,
      phase: 'closed',
      round: 1,
      votingDeadline: null,
      votingClosed: false,
      votingPausedMs: null,
      settings: { ...DEFAULT_THRESHOLDS, dotsPerPerson: 3, minVoters: 3, hideDotTotals: false, joinsLocked: false },
      revealedRounds: [1],
      communityId: community.id,
      timeZone: 'Europe/Amsterdam',
      mode: 'live' as const,
      deadline: null,
      revealAt: null,
      createdAt,
      updatedAt: createdAt
    });
    const voters = Array.from({ length: 30 }, (_, v) => ({
      id: `v${v}`,
      name: '',
      group: null,
      answers: new Map<number, Answer>(Array.from({ length: 12 }, (_, f) => [f + 1, (((v * 7 + f * 3 + s) % 5) + 1) as Answer]))
    }));
    const results = computeRoundResults({ round: 1, factorCount: 12, thresholds: DEFAULT_THRESHOLDS, anonymous: true, voters });
    await store.saveRevealedRound({ sessionId: id, round: 1, revealedAt: createdAt + 3_600_000, results, ballots: [] });
    const doc = new Y.Doc();
    const points = [0, 1, 2].map((p) => ({ ...actionRecord(`${id}-a${p}`, p), factor: p + 1, owner: 'Ana', due: '2027-01-15' }));
    for (const point of points) createText(doc, point.id, `Action ${p(point.id)} of session ${s}: visit, write, call`);
    await store.saveActionPoints(id, points);
    await store.appendYjsUpdate(id, Y.encodeStateAsUpdate(doc));
  }
  return community;
}

const p = (id: string) => id.slice(-2);

/** The paper sessions at the cap: what trends, export.csv and a room load cost with stored figures and when recomputed. */
async function paperAtCap(store: SqliteStore, service: CommunityService) {
  const { community } = await service.create({ name: `Bench paper ${PAPER_SESSIONS}` });
  const heavy = Array.from({ length: 12 }, (_, f) => ({
    number: f + 1,
    distribution: { '1': PAPER_MAX_COUNT, '2': PAPER_MAX_COUNT, '3': PAPER_MAX_COUNT, '4': PAPER_MAX_COUNT, '5': PAPER_MAX_COUNT },
    unknown: PAPER_MAX_COUNT
  }));
  const storeSamples: number[] = [];
  for (let s = 0; s < PAPER_SESSIONS; s++) {
    const start = process.hrtime.bigint();
    // Through the service, as POST /paper-sessions does: validated, figures computed once, counted against the cap.
    // From 1980: 500 monthly posters end in 2021, before today (a poster dated in the future is refused).
    await service.addPaper(community, { date: new Date(Date.UTC(1980, 0, 1) + s * 86_400_000 * 30).toISOString().slice(0, 10), factors: heavy });
    storeSamples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const refused = await service.addPaper(community, { date: '2020-01-01', factors: heavy }).then(
    () => false,
    (error: { code?: string }) => error.code === 'community_full'
  );
  if (!refused) throw new Error('the paper session past the cap was not refused');
  const trendsMs = await timeMedian(() => service.trends(community));
  const csvMs = await timeMedian(async () => communityCsv(await service.trends(community)));
  // As before the figures were stored: every paper session's statistics replayed from its counts on each request.
  const recomputed = async () => {
    const papers: PaperSessionInput[] = (await store.listPaperSessions(community.id)).map((p) => ({
      code: p.code,
      title: p.title,
      date: p.date,
      createdAt: p.createdAt,
      factors: p.factors,
      source: p.source
    }));
    return buildTrend([], papers, 12);
  };
  const recomputedTrendsMs = await timeMedian(recomputed, SLOW_REPEATS);
  const recomputedCsvMs = await timeMedian(async () => communityCsv({ ...(await service.trends(community)), sessions: await recomputed() }), SLOW_REPEATS);
  const next = {
    id: `paper-next`,
    code: 'PNEXT1',
    title: 'Next',
    language: 'en' as const,
    framework: 'seeds-of-innovation',
    anonymous: true,
    facilitatorTokenHash: 'x',
    presenterTokenHash: null,
    phase: 'lobby' as const,
    round: 1,
    votingDeadline: null,
    votingClosed: false,
    votingPausedMs: null,
    settings: { ...DEFAULT_THRESHOLDS, dotsPerPerson: 3, minVoters: 3, hideDotTotals: false, joinsLocked: false },
    revealedRounds: [],
    communityId: community.id,
    timeZone: 'Europe/Amsterdam',
    mode: 'live' as const,
    deadline: null,
    revealAt: null,
    createdAt: Date.UTC(2045, 0, 1),
    updatedAt: Date.UTC(2045, 0, 1)
  };
  await store.createSession(next);
  const contextMs = await timeMedian(() => loadCommunityContext(store, next, 12, new CommunityReviews()));
  // Before: "since last time" built the trend of every paper session from its counts and kept the last.
  const recomputedContextMs = await timeMedian(async () => {
    await loadCommunityContext(store, next, 12, new CommunityReviews());
    return (await recomputed()).at(-1);
  }, SLOW_REPEATS);
  return {
    paperSessions: PAPER_SESSIONS,
    storeOneMs: storeSamples.sort((a, b) => a - b)[Math.floor(storeSamples.length / 2)],
    trendsMs,
    recomputedTrendsMs,
    csvMs,
    recomputedCsvMs,
    contextMs,
    recomputedContextMs
  };
}

/** An organisation with many shared communities: portfolio.json next to one community's trends.json, in one run. */
async function portfolioCase(store: SqliteStore, service: CommunityService, dataDir: string) {
  const frameworks = loadFrameworks(path.join(ROOT, 'content'));
  const organisations = new OrganisationService(store, frameworks);
  const { organisation } = await organisations.create({ name: 'Bench programme' });
  // Rounds of 30 voters, one per shift of the answers: what each session froze, as in populate().
  const frozen = Array.from({ length: 5 }, (_, shift) =>
    computeRoundResults({
      round: 1,
      factorCount: 12,
      thresholds: DEFAULT_THRESHOLDS,
      anonymous: true,
      voters: Array.from({ length: 30 }, (_, v) => ({
        id: `v${v}`,
        name: '',
        group: null,
        answers: new Map<number, Answer>(Array.from({ length: 12 }, (_, f) => [f + 1, (((v * 7 + f * 3 + shift) % 5) + 1) as Answer]))
      })),
      comments: Array.from({ length: 12 }, (_, f) => ({ factor: f + 1, text: `A comment on factor ${f + 1} that the programme view never reads` }))
    })
  );
  const communities: CommunityRecord[] = [];
  // A live session of the first size's community as the template (its first session is live, not paper).
  const template = (await store.loadSession(`bench-${SIZES[0]}-0`))!.session;
  for (let c = 0; c < PORTFOLIO_COMMUNITIES; c++) {
    const { community } = await service.create({ name: `Programme community ${c}` });
    communities.push(community);
    const writes: Promise<unknown>[] = [];
    for (let s = 0; s < PORTFOLIO_SESSIONS; s++) {
      const id = `pf-${c}-${s}`;
      const createdAt = Date.UTC(2022, 0, 1) + s * 86_400_000 * 45 + c * 3_600_000;
      writes.push(
        store.createSession({
          ...template,
          id,
          code: `F${c}x${s}`,
          title: `Session ${s}`,
          phase: 'closed',
          revealedRounds: [1],
          communityId: community.id,
          createdAt,
          updatedAt: createdAt
        }),
        store.saveRevealedRound({ sessionId: id, round: 1, revealedAt: createdAt + 3_600_000, results: frozen[(c + s) % frozen.length], ballots: [] })
      );
    }
    await Promise.all(writes);
    await store.shareCommunity(community.id, organisation.id, Date.now());
  }
  const repeats = Math.max(5, Math.floor(REPEATS / 3));
  // Alternating, so a neighbour's load falls on both alike. Warm: this store parsed every community's figures at its
  // current version before (the steady state: a programme lead reloading, or any read after the first since a change).
  // Cold: a store handle that never read them (a restart, another instance, or every community changed since the last
  // read), opened before the clock starts.
  const warm: number[] = [];
  const cold: number[] = [];
  const trend: number[] = [];
  const clock = async (samples: number[], run: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  };
  await organisations.portfolio(organisation);
  for (let i = 0; i < repeats; i++) {
    await clock(warm, () => organisations.portfolio(organisation));
    await clock(trend, () => service.trends(communities[0]));
    const fresh = new SqliteStore({ dataDir, synchronous: 'NORMAL' });
    const freshOrganisations = new OrganisationService(fresh, frameworks);
    await clock(cold, () => freshOrganisations.portfolio(organisation));
    await fresh.close();
  }
  const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  const view = await organisations.portfolio(organisation);
  return {
    communities: PORTFOLIO_COMMUNITIES,
    sessionsEach: PORTFOLIO_SESSIONS,
    shown: view.communities.length,
    quarters: view.quarters.length,
    portfolioMs: median(warm),
    coldPortfolioMs: median(cold),
    oneTrendMs: median(trend),
    jsonBytes: JSON.stringify(view).length,
    repeats
  };
}

function actionRecord(id: string, position: number): ActionRecord {
  return {
    id,
    factor: null,
    position,
    owner: '',
    due: null,
    status: 'open',
    createdBy: 'facilitator',
    createdAt: position,
    mergedInto: null,
    removed: false,
    origin: null
  };
}

/** Bytes of a page's JavaScript: the client entry, the root layout and the page's node, with every static import. */
function pageJs(routeFile: string): { files: number; raw: number; gzip: number } | null {
  const out = path.join(ROOT, '.svelte-kit', 'output', 'client');
  const manifestFile = path.join(out, '.vite', 'manifest.json');
  if (!fs.existsSync(manifestFile)) return null;
  const manifest: Record<string, { file: string; imports?: string[]; isEntry?: boolean }> = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  const nodesDir = path.join(ROOT, '.svelte-kit', 'generated', 'client-optimized', 'nodes');
  const nodeOf = (needle: string) =>
    fs
      .readdirSync(nodesDir)
      .map((f) => `.svelte-kit/generated/client-optimized/nodes/${f}`)
      .find((f) => fs.readFileSync(path.join(ROOT, f), 'utf8').includes(needle));
  const page = nodeOf(routeFile);
  const layout = nodeOf('src/routes/+layout.svelte');
  if (!page || !layout) return null;
  // SvelteKit marks every node as an entry; a page loads the client start, the app, its layout and its own node.
  const roots = [
    ...Object.entries(manifest)
      .filter(([k, v]) => v.isEntry && !k.includes('/nodes/'))
      .map(([k]) => k),
    layout,
    page
  ];
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key) || !manifest[key]) return;
    seen.add(key);
    for (const i of manifest[key].imports ?? []) visit(i);
  };
  roots.forEach(visit);
  let raw = 0;
  let gzip = 0;
  for (const key of seen) {
    const bytes = fs.readFileSync(path.join(out, manifest[key].file));
    raw += bytes.length;
    gzip += gzipSync(bytes).length;
  }
  return { files: seen.size, raw, gzip };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seeds-bench-community-'));
  const rows: (string | number)[][] = [];
  const roomRows: (string | number)[][] = [];
  const results: Record<string, unknown>[] = [];
  let paperCase: Awaited<ReturnType<typeof paperAtCap>> | null = null;
  let programme: Awaited<ReturnType<typeof portfolioCase>> | null = null;
  try {
    const store = new SqliteStore({ dataDir: dir, synchronous: 'NORMAL' });
    const service = new CommunityService(store, loadFrameworks(path.join(ROOT, 'content')), {
      sessions: DEFAULTS.maxCommunitySessions,
      paperSessions: DEFAULTS.maxCommunityPaperSessions
    });
    const bare = new Database(path.join(dir, 'board.sqlite'), { readonly: true });
    const rawRows = bare.prepare<[string], { results: string }>(
      'SELECT r.results FROM sessions s JOIN revealed_results r ON r.session_id = s.id WHERE s.community_id = ? ORDER BY s.created_at'
    );
    for (const size of SIZES) {
      const community = await populate(store, service, size);
      const ours = await timeMedian(() => service.trends(community));
      const baseline = await timeMedian(() => rawRows.all(community.id).map((r) => JSON.parse(r.results)));
      const trends = await service.trends(community);
      const json = JSON.stringify(trends);
      const page = await timeMedian(() => factorTrends(trends.sessions, 12));
      rows.push([size, fmt(ours), fmt(baseline), fmt(ours / baseline), fmt(page), Math.round(json.length / 1024)]);
      // The next session of the community, as its room loads.
      const next = { ...(await store.loadSession(`bench-${size}-0`))!.session, id: `next-${size}`, code: `N${size}`, createdAt: Date.UTC(2040, 0, 1) };
      await store.createSession(next);
      const context = await loadCommunityContext(store, next, 12, new CommunityReviews());
      const contextMs = await timeMedian(() => loadCommunityContext(store, next, 12, new CommunityReviews()));
      const roomMs = await timeMedian(() => store.loadSession(next.id));
      roomRows.push([size, context?.review.items().length ?? 0, fmt(contextMs), fmt(roomMs), fmt(contextMs / roomMs)]);
      results.push({
        sessions: size,
        trendsMs: ours,
        bareReadMs: baseline,
        factorTrendsMs: page,
        trendsJsonBytes: json.length,
        reviewItems: context?.review.items().length ?? 0,
        communityContextMs: contextMs,
        bareRoomLoadMs: roomMs
      });
    }
    paperCase = await paperAtCap(store, service);
    programme = await portfolioCase(store, service, dir);
    bare.close();
    await store.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`trends.json for a community (median of ${REPEATS}); bare = read and parse the same frozen rows only`);
  console.log(table(['sessions', 'trends.json ms', 'bare read ms', 'ours/bare', 'page factorTrends ms', 'JSON KiB'], rows));
  console.log(
    `\nLoading the next session of the community (median of ${REPEATS}): its review list (earlier sessions looked back on: at most ${REVIEW_SESSIONS_MAX}) and "since last time", next to the bare room load`
  );
  console.log(table(['sessions', 'review items', 'community context ms', 'bare loadSession ms', 'ratio'], roomRows));
  if (paperCase) {
    console.log(
      `\nA community at its cap of ${PAPER_SESSIONS} paper sessions, each the heaviest poster allowed (12 factors × 6 cells × ${PAPER_MAX_COUNT} dots); ` +
        `stored figures: median of ${REPEATS}; recomputed from the counts (every request before issue 20): median of ${SLOW_REPEATS}`
    );
    console.log(
      table(
        ['what', 'stored figures ms', 'recomputed ms', 'recomputed/stored'],
        [
          ['trends.json', fmt(paperCase.trendsMs), fmt(paperCase.recomputedTrendsMs), fmt(paperCase.recomputedTrendsMs / paperCase.trendsMs)],
          ['export.csv', fmt(paperCase.csvMs), fmt(paperCase.recomputedCsvMs), fmt(paperCase.recomputedCsvMs / paperCase.csvMs)],
          [
            'next session: community context',
            fmt(paperCase.contextMs),
            fmt(paperCase.recomputedContextMs),
            fmt(paperCase.recomputedContextMs / paperCase.contextMs)
          ]
        ]
      )
    );
    console.log(`Storing one such poster (its figures computed once): ${fmt(paperCase.storeOneMs)} ms (median of ${PAPER_SESSIONS})`);
  }
  if (programme) {
    console.log(
      `\nThe programme view: ${programme.communities} shared communities × ${programme.sessionsEach} revealed sessions (30 voters each), ` +
        `${programme.shown} shown, ${programme.quarters} quarters; median of ${programme.repeats}`
    );
    console.log(
      table(
        ['what', 'ms', 'ratio to one trend'],
        [
          ['portfolio.json (whole organisation), figures parsed before', fmt(programme.portfolioMs), fmt(programme.portfolioMs / programme.oneTrendMs)],
          ['portfolio.json, cold (a store that never read them)', fmt(programme.coldPortfolioMs), fmt(programme.coldPortfolioMs / programme.oneTrendMs)],
          [`trends.json (one community of ${programme.sessionsEach})`, fmt(programme.oneTrendMs), '1']
        ]
      )
    );
    console.log(`portfolio.json: ${Math.round(programme.jsonBytes / 1024)} KiB`);
  }
  const community = pageJs('src/routes/c/[id]/+page.svelte');
  const facilitate = pageJs('src/routes/s/[code]/facilitate/+page.svelte');
  if (community && facilitate) {
    console.log('\nJavaScript loaded by the page (from the last npm run build; the same for 10 or 100 sessions: the data comes as JSON)');
    console.log(
      table(
        ['page', 'files', 'KiB', 'KiB gzip'],
        [
          ['/c/[id] (community)', community.files, fmt(community.raw / 1024), fmt(community.gzip / 1024)],
          ['/s/[code]/facilitate', facilitate.files, fmt(facilitate.raw / 1024), fmt(facilitate.gzip / 1024)]
        ]
      )
    );
  } else console.log('\n(no build found: run npm run build for the page JavaScript figures)');
  console.log(`\n${writeResults('community', { sizes: results, paperAtCap: paperCase, programme, pageJs: { community, facilitate } })}`);
}

void main();
