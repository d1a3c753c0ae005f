/**
 * What the epoch fence costs Node.js (not PostgreSQL) per group commit: on one real connection, transactions that
 * start with a plain BEGIN alternate with ones that start with BEGIN and the prepared fence check in one simple
 * query (server/store/postgres.ts), each then committing at once; Node's CPU time (process.cpuUsage) is summed per
 * variant. Divided by the votes of a commit it is the fence's Node CPU per vote. BENCH_TXNS (default 3000 per variant).
 */
import os from 'node:os';
import pg from 'pg';
import { TAKE_EPOCH_SQL } from '../server/cluster/leases';
import { createDatabase, startCluster } from '../tests/helpers/postgres';
import { PostgresStore } from '../server/store/postgres';

const TXNS = Number(process.env.BENCH_TXNS ?? 3000);
const FENCE_SQL = 'SELECT session_id, epoch FROM session_owners WHERE session_id = ANY($1) ORDER BY session_id FOR SHARE';
const cluster = await startCluster();
try {
  const url = await createDatabase(cluster.adminUrl, 'bench');
  await (await PostgresStore.open({ connectionString: url })).close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(TAKE_EPOCH_SQL, ['s1', 'http://bench']);
  await client.query(
    'PREPARE seeds_fence_check(text[]) AS SELECT session_id, epoch FROM session_owners WHERE session_id = ANY($1) ORDER BY session_id FOR SHARE'
  );
  const variants: Record<string, () => Promise<unknown>> = {
    'BEGIN alone': () => client.query('BEGIN'),
    'BEGIN + fence check (as the store does)': () => client.query(`BEGIN; EXECUTE seeds_fence_check(ARRAY[${client.escapeLiteral('s1')}]::text[])`),
    'BEGIN + fence check (rows as arrays)': () =>
      client.query({ text: `BEGIN; EXECUTE seeds_fence_check(ARRAY[${client.escapeLiteral('s1')}]::text[])`, rowMode: 'array' }),
    'BEGIN; SELECT 1 (two statements, no lock)': () => client.query('BEGIN; SELECT 1'),
    'BEGIN; SET LOCAL (two statements, no rows)': () => client.query("BEGIN; SET LOCAL application_name = 'x'"),
    'check by cursor, counted, no rows': () =>
      client.query(`BEGIN; DECLARE seeds_fence CURSOR FOR ${FENCE_SQL.replace('$1', `ARRAY[${client.escapeLiteral('s1')}]::text[]`)}; MOVE ALL IN seeds_fence`),
    'BEGIN, then the check by name (2 trips)': async () => {
      await client.query('BEGIN');
      await client.query({ name: 'fence', text: FENCE_SQL, values: [['s1']], rowMode: 'array' });
    }
  };
  const cpu = new Map<string, number>();
  const user = new Map<string, number>();
  const names = Object.keys(variants);
  for (let i = 0; i < TXNS + 200; i++) {
    for (const name of i % 2 ? names : [...names].reverse()) {
      const start = process.cpuUsage();
      await variants[name]();
      await client.query('COMMIT');
      const used = process.cpuUsage(start);
      if (i >= 200) cpu.set(name, (cpu.get(name) ?? 0) + used.user + used.system);
      if (i >= 200) user.set(name, (user.get(name) ?? 0) + used.user);
    }
  }
  await client.end();
  const base = cpu.get(names[0])! / TXNS;
  console.log(`${TXNS} transactions per variant, Node CPU per transaction (BEGIN … COMMIT, nothing written); load ${os.loadavg()[0].toFixed(1)}`);
  for (const name of names) {
    const us = cpu.get(name)! / TXNS;
    console.log(
      `${name.padEnd(42)} ${us.toFixed(1)} µs, user ${(user.get(name)! / TXNS).toFixed(1)}  (+${(us - base).toFixed(1)} µs; per vote at 50 votes a commit +${((us - base) / 50).toFixed(2)} µs)`
    );
  }
} finally {
  await cluster.stop();
}
