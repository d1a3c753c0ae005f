/**
 * What the epoch fence costs one group commit on PostgreSQL, measured at the database alone: the store's
 * transaction for a batch of W votes (BEGIN, one multi-row upsert, the session touch, COMMIT) with and without
 * the fence check, alternating transaction by transaction on one connection so that load on a shared machine
 * hits every variant alike; medians of the per-transaction times. BENCH_TXNS (default 1500 per variant), BENCH_W (50),
 * BENCH_SESSIONS (1: the W votes spread over this many sessions, each fenced, as in a batch of a busy instance).
 */
import pg from 'pg';
import { PostgresStore } from '../server/store/postgres';
import { TAKE_EPOCH_SQL } from '../server/cluster/leases';
import { participantRecord, sessionRecord } from '../tests/helpers/store-contract';
import { createDatabase, startCluster } from '../tests/helpers/postgres';

const TXNS = Number(process.env.BENCH_TXNS ?? 1500);
const W = Number(process.env.BENCH_W ?? 50);
const S = Number(process.env.BENCH_SESSIONS ?? 1);
const sessions = Array.from({ length: S }, (_, i) => `s${i + 1}`);
const sessionOf = (w: number) => sessions[w % S];

const cluster = await startCluster();
try {
  const url = await createDatabase(cluster.adminUrl, 'bench');
  const store = await PostgresStore.open({ connectionString: url });
  for (const id of sessions) await store.createSession(sessionRecord(id, { phase: 'voting' }));
  await Promise.all(Array.from({ length: W }, (_, w) => store.addParticipant(participantRecord(`p${w}`, sessionOf(w)))));
  await store.close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (const id of sessions) await client.query(TAKE_EPOCH_SQL, [id, 'http://bench']);
  const ids = sessions.map((id) => `'${id}'`).join(', ');
  const values = Array.from(
    { length: W },
    (_, i) => `($${i * 7 + 1}, $${i * 7 + 2}, $${i * 7 + 3}, $${i * 7 + 4}, $${i * 7 + 5}, $${i * 7 + 6}, $${i * 7 + 7})`
  ).join(', ');
  const insert = `INSERT INTO answers (session_id, round, participant_id, factor, answer, comment, updated_at) VALUES ${values}
    ON CONFLICT (session_id, round, participant_id, factor) DO UPDATE SET answer = excluded.answer, comment = excluded.comment, updated_at = excluded.updated_at`;
  let n = 0;
  const writes = async (name?: string) => {
    n++;
    const params: unknown[] = [];
    for (let w = 0; w < W; w++) params.push(sessionOf(w), 1, `p${w}`, (n % 12) + 1, String(((n + w) % 5) + 1), null, Date.now());
    await client.query(name ? { name, text: insert, values: params } : { text: insert, values: params });
    await client.query(
      name
        ? { name: `${name}-touch`, text: 'UPDATE sessions SET updated_at = $1 WHERE id IN ($2)', values: [Date.now(), 's1'] }
        : { text: 'UPDATE sessions SET updated_at = $1 WHERE id IN ($2)', values: [Date.now(), 's1'] }
    );
  };
  const epochs = new Map<string, number>(
    (await client.query('SELECT session_id, epoch FROM session_owners')).rows.map((r) => [r.session_id as string, Number(r.epoch)])
  );
  const typed = Array.from(
    { length: W },
    (_, i) =>
      `($${i * 7 + 1}::text, $${i * 7 + 2}::int, $${i * 7 + 3}::text, $${i * 7 + 4}::int, $${i * 7 + 5}::text, $${i * 7 + 6}::text, $${i * 7 + 7}::bigint)`
  ).join(', ');
  const cteInsert = `WITH fence AS (
      SELECT count(*) AS held FROM (
        SELECT 1 FROM session_owners o JOIN unnest($${7 * W + 1}::text[], $${7 * W + 2}::bigint[]) AS f(id, epoch)
          ON o.session_id = f.id AND o.epoch = f.epoch ORDER BY o.session_id FOR SHARE OF o) AS still_ours)
    INSERT INTO answers (session_id, round, participant_id, factor, answer, comment, updated_at)
    SELECT v.* FROM (VALUES ${typed}) AS v(session_id, round, participant_id, factor, answer, comment, updated_at)
    WHERE (SELECT held FROM fence) = cardinality($${7 * W + 1}::text[])
    ON CONFLICT (session_id, round, participant_id, factor) DO UPDATE SET answer = excluded.answer, comment = excluded.comment, updated_at = excluded.updated_at`;
  const textFence = `BEGIN; SELECT session_id, epoch FROM session_owners WHERE session_id IN (${ids}) ORDER BY session_id FOR SHARE`;
  await client.query('PREPARE fence(text[]) AS SELECT session_id, epoch FROM session_owners WHERE session_id = ANY($1) ORDER BY session_id FOR SHARE');
  const variants: Record<string, () => Promise<void>> = {
    'plain (unnamed statements)': async () => {
      await client.query('BEGIN');
      await writes();
      await client.query('COMMIT');
    },
    'fenced, check as text (unnamed)': async () => {
      await client.query(textFence);
      await writes();
      await client.query('COMMIT');
    },
    'plain (named statements)': async () => {
      await client.query('BEGIN');
      await writes('ins');
      await client.query('COMMIT');
    },
    'fenced, check as text (named)': async () => {
      await client.query(textFence);
      await writes('ins');
      await client.query('COMMIT');
    },
    'fenced, EXECUTE prepared check (named)': async () => {
      await client.query(`BEGIN; EXECUTE fence(ARRAY[${ids}])`);
      await writes('ins');
      await client.query('COMMIT');
    },
    // What folding the check into the upsert would save: the same lookups and locks as a CTE of the statement that
    // writes the votes (no statement of its own); it inserts nothing unless every owner row still holds its epoch.
    'check as a CTE of the upsert (named)': async () => {
      await client.query('BEGIN');
      n++;
      const params: unknown[] = [];
      for (let w = 0; w < W; w++) params.push(sessionOf(w), 1, `p${w}`, (n % 12) + 1, String(((n + w) % 5) + 1), null, Date.now());
      params.push(
        sessions,
        sessions.map((id) => epochs.get(id))
      );
      await client.query({ name: 'cte', text: cteInsert, values: params });
      await client.query({ name: 'cte-touch', text: 'UPDATE sessions SET updated_at = $1 WHERE id IN ($2)', values: [Date.now(), 's1'] });
      await client.query('COMMIT');
    },
    'check without FOR SHARE (named)': async () => {
      await client.query(`BEGIN; SELECT session_id, epoch FROM session_owners WHERE session_id IN (${ids}) ORDER BY session_id`);
      await writes('ins');
      await client.query('COMMIT');
    }
  };
  const names = Object.keys(variants);
  const times = new Map<string, number[]>(names.map((k) => [k, []]));
  for (let i = 0; i < 100; i++) for (const k of names) await variants[k]();
  for (let i = 0; i < TXNS; i++) {
    for (const k of i % 2 ? names : [...names].reverse()) {
      const t = performance.now();
      await variants[k]();
      times.get(k)!.push(performance.now() - t);
    }
  }
  await client.end();
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * p)];
  const base = q(times.get(names[0])!, 0.5);
  console.log(`PostgreSQL transaction of ${W} votes in ${S} session(s), ${TXNS} per variant, interleaved: ms p25 / p50 / p75 (p50 vs plain)`);
  for (const k of names) {
    const xs = times.get(k)!;
    console.log(`${k.padEnd(40)} ${q(xs, 0.25).toFixed(3)} / ${q(xs, 0.5).toFixed(3)} / ${q(xs, 0.75).toFixed(3)}  (${(q(xs, 0.5) / base).toFixed(2)}×)`);
  }
} finally {
  await cluster.stop();
}
