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
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadFrameworks } from '../server/content';
import { CommunityService } from '../server/communities/service';
import { SqliteStore } from '../server/store/sqlite';
import { factorTrends } from '../src/lib/domain/community';
import { computeRoundResults } from '../src/lib/domain/results';
import { DEFAULT_THRESHOLDS } from '../src/lib/domain/statistics';
import type { Answer } from '../src/lib/domain/ballots';
import { fmt, ROOT, table, writeResults } from './lib';
import * as Y from 'yjs';
import { createText } from '../src/lib/board/actions';
import type { ActionRecord } from '../src/lib/domain/action-points';
import { loadCommunityContext, REVIEW_SESSIONS_MAX } from '../server/communities/review';

const SIZES = (process.env.BENCH_COMMUNITY_SIZES ?? '10,100').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 21);

async function timeMedian(run: () => unknown | Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
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
      await store.savePaperSession({
        id,
        communityId: community.id,
        code: `P${sessions}-${s}`,
        title: `Paper ${s}`,
        source: 'paper',
        date: new Date(createdAt).toISOString().slice(0, 10),
        factors: Array.from({ length: 12 }, (_, f) => ({ number: f + 1, distribution: { '1': 1, '2': 2, '3': 5, '4': 6, '5': (s + f) % 4 }, unknown: 1 })),
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
  try {
    const store = new SqliteStore({ dataDir: dir, synchronous: 'NORMAL' });
    const service = new CommunityService(store, loadFrameworks(path.join(ROOT, 'content')));
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
      const context = await loadCommunityContext(store, next, 12);
      const contextMs = await timeMedian(() => loadCommunityContext(store, next, 12));
      const roomMs = await timeMedian(() => store.loadSession(next.id));
      roomRows.push([size, context?.review.length ?? 0, fmt(contextMs), fmt(roomMs), fmt(contextMs / roomMs)]);
      results.push({
        sessions: size,
        trendsMs: ours,
        bareReadMs: baseline,
        factorTrendsMs: page,
        trendsJsonBytes: json.length,
        reviewItems: context?.review.length ?? 0,
        communityContextMs: contextMs,
        bareRoomLoadMs: roomMs
      });
    }
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
  console.log(`\n${writeResults('community', { sizes: results, pageJs: { community, facilitate } })}`);
}

void main();
