/**
 * Vote write throughput of the stores, through the `Store` interface, in one
 * process: W participants each store their 12 votes one after the other (the
 * next after the previous was acknowledged, i.e. committed), all at once.
 * SQLite (a real file, synchronous=FULL), PostgreSQL (a throwaway local
 * cluster, fsync on), and as the bare baseline for PostgreSQL the plain way:
 * one autocommitted INSERT per vote on a pool of the same size, no queue.
 * `pg-fenced` is the PostgreSQL store as one of several instances has it: the
 * session's lease held, its writes committed on the lease connection (docs/scaling.md, fencing).
 * BENCH_WRITERS (default "50,500"), BENCH_REPEATS (3; medians reported).
 * Needs PostgreSQL's binaries (tests/helpers/postgres.ts finds them).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SqliteStore } from '../server/store/sqlite';
import { PostgresStore } from '../server/store/postgres';
import { PgSessionLeases } from '../server/cluster/leases';
import type { Store, StoredAnswer } from '../server/store/types';
import { createDatabase, dropDatabase, startCluster } from '../tests/helpers/postgres';
import { participantRecord, sessionRecord } from '../tests/helpers/store-contract';
import { fmt, median, summarize, table, writeResults } from './lib';

const WRITERS = (process.env.BENCH_WRITERS ?? '50,500').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const VOTES = 12;

type Target = 'sqlite' | 'postgres' | 'pg-fenced' | 'bare-pg';
interface Run {
  votesPerSecond: number;
  p50: number;
  p99: number;
  cpuUsPerVote: number;
}

/** Something that stores one vote and resolves once it is durable. */
type Save = (answer: StoredAnswer) => Promise<unknown>;

async function measure(writers: number, save: Save): Promise<Run> {
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let factor = 1; factor <= VOTES; factor++) {
        const sent = performance.now();
        await save({ sessionId: 's1', round: 1, participantId: `p${w}`, factor, answer: ((w + factor) % 5) + 1, comment: null } as StoredAnswer);
        latencies.push(performance.now() - sent);
      }
    })
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const s = summarize(latencies);
  return { votesPerSecond: latencies.length / seconds, p50: s.p50, p99: s.p99, cpuUsPerVote: (used.user + used.system) / latencies.length };
}

async function prepare(store: Store, writers: number): Promise<void> {
  await store.createSession(sessionRecord('s1', { phase: 'voting' }));
  await Promise.all(Array.from({ length: writers }, (_, w) => store.addParticipant(participantRecord(`p${w}`, 's1'))));
}

async function main(): Promise<void> {
  const cluster = await startCluster();
  const results: Record<string, Record<Target, Run[]>> = {};
  try {
    for (const writers of WRITERS) {
      const runs: Record<Target, Run[]> = { sqlite: [], postgres: [], 'pg-fenced': [], 'bare-pg': [] };
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seeds-bench-store-'));
        const sqlite = new SqliteStore({ dataDir: dir });
        await prepare(sqlite, writers);
        runs.sqlite.push(await measure(writers, (a) => sqlite.saveAnswer(a)));
        await sqlite.close();
        fs.rmSync(dir, { recursive: true, force: true });

        const url = await createDatabase(cluster.adminUrl, 'bench');
        const plain = async () => {
          const store = await PostgresStore.open({ connectionString: url });
          await prepare(store, writers);
          runs.postgres.push(await measure(writers, (a) => store.saveAnswer(a)));
          await store.close();
        };
        // As one of several instances: the session's lease held, and its votes committed on the lease connection.
        const fencedUrl = await createDatabase(cluster.adminUrl, 'bench');
        const withFencing = async () => {
          const fenced = await PostgresStore.open({ connectionString: fencedUrl });
          const leases = await PgSessionLeases.connect(fencedUrl, 'http://bench');
          if (!(await leases.acquire('s1')).here) throw new Error('the bench could not take the lease of s1');
          fenced.fenceWith(leases);
          await prepare(fenced, writers);
          runs['pg-fenced'].push(await measure(writers, (a) => fenced.saveAnswer(a)));
          await fenced.close();
          await leases.close();
        };
        // Each first every other repeat, so that neither always runs in the wake of the other.
        for (const run of repeat % 2 === 0 ? [plain, withFencing] : [withFencing, plain]) await run();
        await dropDatabase(cluster.adminUrl, fencedUrl);

        // The baseline: the same rows (the store left its session and participants), each vote its own autocommitted statement, straight on a pool.
        const pool = new pg.Pool({ connectionString: url, max: 10 });
        pool.on('error', (error) => console.error('bare pool:', error.message));
        runs['bare-pg'].push(
          await measure(writers, (a) =>
            pool.query(
              `INSERT INTO answers (session_id, round, participant_id, factor, answer, comment, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (session_id, round, participant_id, factor) DO UPDATE SET answer = excluded.answer, comment = excluded.comment, updated_at = excluded.updated_at`,
              [a.sessionId, a.round, a.participantId, a.factor, String(a.answer), a.comment, Date.now()]
            )
          )
        );
        await pool.end();
        await dropDatabase(cluster.adminUrl, url);
      }
      results[writers] = runs;
    }
  } finally {
    await cluster.stop();
  }

  const rows: string[][] = [];
  for (const [writers, runs] of Object.entries(results)) {
    for (const target of ['sqlite', 'postgres', 'pg-fenced', 'bare-pg'] as Target[]) {
      const pick = (key: keyof Run) => median(runs[target].map((r) => r[key]));
      rows.push([writers, target, fmt(pick('votesPerSecond')), fmt(pick('p50')), fmt(pick('p99')), fmt(pick('cpuUsPerVote'))]);
    }
  }
  console.log(`\nVote writes through the store: W writers × ${VOTES} votes, each after the previous was acknowledged (medians of ${REPEATS})\n`);
  console.log(table(['W', 'store', 'votes/s', 'p50 ms', 'p99 ms', 'node µs/vote'], rows));
  console.log('\nnode µs/vote is this process only; PostgreSQL’s own CPU is in its server processes.');
  writeResults('store-writes', { writers: WRITERS, repeats: REPEATS, results });
}

await main();
