/**
 * Vote write throughput of the store, A/B: the same measurement as `store-writes.ts`, but each (tree, store,
 * writers) run in a fresh Node process, long enough to mean something (BENCH_VOTES votes in all, default
 * 20,000, after a warm-up of a fifth of that), trees interleaved round by round, medians with min–max.
 * BENCH_TREES: comma-separated checkouts to compare (default this one), e.g. an old commit's worktree
 * (`git worktree add --detach ../old <commit>` with node_modules copied). BENCH_TARGETS (sqlite,postgres,pg-fenced),
 * BENCH_WRITERS (50,500), BENCH_REPEATS (3), BENCH_SYNC (FULL; NORMAL leaves SQLite's fsync out, to compare CPU alone). One PostgreSQL cluster for all, a fresh database per run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createDatabase, dropDatabase, startCluster } from '../tests/helpers/postgres';

const HERE = fileURLToPath(import.meta.url);
const VOTES = Number(process.env.BENCH_VOTES ?? 20_000);
const FACTORS = 12;

interface Run {
  votesPerSecond: number;
  cpuUsPerVote: number;
  userUsPerVote: number;
  commits: number;
}

async function child(root: string, target: string, writers: number, url: string | undefined): Promise<Run> {
  const { SqliteStore } = await import(path.join(root, 'server/store/sqlite.ts'));
  const { PostgresStore } = await import(path.join(root, 'server/store/postgres.ts'));
  const { PgSessionLeases } = await import(path.join(root, 'server/cluster/leases.ts'));
  const { participantRecord, sessionRecord } = await import(path.join(root, 'tests/helpers/store-contract.ts'));
  // Commits counted at better-sqlite3's statement (both stores COMMIT through a prepared statement's run()).
  let commits = 0;
  const Database = createRequire(path.join(root, 'package.json'))('better-sqlite3');
  const probe = new Database(':memory:');
  const Statement = Object.getPrototypeOf(probe.prepare('SELECT 1'));
  probe.close();
  const run = Statement.run;
  Statement.run = function (this: { source: string }, ...args: unknown[]) {
    if (this.source === 'COMMIT') commits++;
    return run.apply(this, args);
  };
  const pgClient = createRequire(path.join(root, 'package.json'))('pg').Client.prototype;
  const query = pgClient.query;
  pgClient.query = function (this: unknown, ...args: unknown[]) {
    if (args[0] === 'COMMIT' || (args[0] as { text?: unknown } | undefined)?.text === 'COMMIT') commits++;
    return query.apply(this, args);
  };
  let dir: string | null = null;
  let store;
  let leases: { close(): Promise<void> } | null = null;
  if (target === 'sqlite') {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seeds-bench-ab-'));
    // BENCH_SYNC=NORMAL takes the fsync out of a commit: what is left is the store's own CPU.
    store = new SqliteStore({ dataDir: dir, synchronous: process.env.BENCH_SYNC ?? 'FULL' });
  } else {
    store = await PostgresStore.open({ connectionString: url! });
    if (target === 'pg-fenced') {
      // The session's lease held as an instance of several holds it, and the store fenced by it (server/app.ts).
      const held = await PgSessionLeases.connect(url!, 'http://bench');
      if (!(await held.acquire('s1')).here) throw new Error('the bench could not take the lease of s1');
      store.fenceWith(held);
      leases = held;
    }
  }
  await store.createSession(sessionRecord('s1', { phase: 'voting' }));
  await Promise.all(Array.from({ length: writers }, (_, w) => store.addParticipant(participantRecord(`p${w}`, 's1'))));
  let saved = 0;
  const round = (perWriter: number) =>
    Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) {
          await store.saveAnswer({
            sessionId: 's1',
            round: 1,
            participantId: `p${w}`,
            factor: (i % FACTORS) + 1,
            answer: ((w + i + saved) % 5) + 1,
            comment: null
          });
        }
      })
    );
  const perWriter = Math.max(FACTORS, Math.round(VOTES / writers));
  await round(Math.max(FACTORS, Math.round(perWriter / 5)));
  saved = 1;
  commits = 0;
  // BENCH_PROF_DIR: a V8 CPU profile of the measured window alone (not the set-up), one file per run, for bench/prof-diff.ts.
  const profiler = process.env.BENCH_PROF_DIR ? await startProfile() : null;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await round(perWriter);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (profiler) await profiler.stop(path.join(process.env.BENCH_PROF_DIR!, `${target}-${writers}-${path.basename(root)}-${process.pid}.cpuprofile`));
  const committed = commits;
  await store.close();
  await leases?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  const votes = perWriter * writers;
  return { votesPerSecond: votes / seconds, cpuUsPerVote: (used.user + used.system) / votes, userUsPerVote: used.user / votes, commits: committed };
}

async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  return {
    async stop(file: string) {
      const { profile } = await session.post('Profiler.stop');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    }
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function parent(): Promise<void> {
  const trees = (process.env.BENCH_TREES ?? path.resolve(path.dirname(HERE), '..')).split(',');
  const targets = (process.env.BENCH_TARGETS ?? 'sqlite,postgres,pg-fenced').split(',');
  const writersList = (process.env.BENCH_WRITERS ?? '50,500').split(',').map(Number);
  const repeats = Number(process.env.BENCH_REPEATS ?? 3);
  const needsPg = targets.some((t) => t !== 'sqlite');
  const cluster = needsPg ? await startCluster() : null;
  const runs = new Map<string, Run[]>();
  const loads: number[] = [];
  try {
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const writers of writersList) {
        for (const target of targets) {
          // Alternate which tree goes first, so neither always runs in the other's wake.
          const order = repeat % 2 === 0 ? trees : [...trees].reverse();
          for (const tree of order) {
            const url = cluster && target !== 'sqlite' ? await createDatabase(cluster.adminUrl, 'bench') : undefined;
            loads.push(os.loadavg()[0]);
            const result = spawnSync(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), '--import', 'tsx', HERE], {
              env: { ...process.env, BENCH_CHILD: JSON.stringify({ tree, target, writers, url }) },
              encoding: 'utf8',
              cwd: tree
            });
            if (cluster && url) await dropDatabase(cluster.adminUrl, url);
            const line = result.stdout.trim().split('\n').at(-1) ?? '';
            if (result.status !== 0 || !line.startsWith('{')) throw new Error(`child failed (${tree} ${target} ${writers}): ${result.stderr}`);
            const run = JSON.parse(line) as Run;
            const key = `${writers}\t${target}\t${tree}`;
            runs.set(key, [...(runs.get(key) ?? []), run]);
            console.error(
              `${key}\t${Math.round(run.votesPerSecond)} votes/s\t${run.cpuUsPerVote.toFixed(1)} µs/vote (user ${run.userUsPerVote.toFixed(1)})\t${run.commits} commits\tload ${os.loadavg()[0].toFixed(2)}`
            );
          }
        }
      }
    }
  } finally {
    await cluster?.stop();
  }
  const k = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : String(Math.round(v)));
  console.log(
    `\n${VOTES} votes per run (after a warm-up), each run a fresh process; median of ${repeats} (min–max); load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}\n`
  );
  console.log(
    ['W', 'store', ...trees.flatMap((t) => [`${path.basename(t)} votes/s`, 'µs/vote']), ...(trees.length > 1 ? ['ratio (2nd/1st)'] : [])].join(' | ')
  );
  for (const writers of writersList) {
    for (const target of targets) {
      const cells: string[] = [String(writers), target];
      const medians: number[] = [];
      for (const tree of trees) {
        const list = runs.get(`${writers}\t${target}\t${tree}`) ?? [];
        const v = list.map((r) => r.votesPerSecond);
        const c = list.map((r) => r.cpuUsPerVote);
        medians.push(median(v));
        cells.push(
          `${k(median(v))} (${k(Math.min(...v))}–${k(Math.max(...v))})`,
          `${median(c).toFixed(1)} (${Math.min(...c).toFixed(1)}–${Math.max(...c).toFixed(1)})`
        );
      }
      if (trees.length > 1) cells.push(`${(medians[1] / medians[0]).toFixed(2)}×`);
      console.log(cells.join(' | '));
    }
  }
}

if (process.env.BENCH_CHILD) {
  const { tree, target, writers, url } = JSON.parse(process.env.BENCH_CHILD) as { tree: string; target: string; writers: number; url?: string };
  const run = await child(tree, target, writers, url);
  console.log(JSON.stringify(run));
  process.exit(0);
} else {
  await parent();
}
