/**
 * `npx tsx bench/answer-upsert.ts`: node CPU per answer of the store's answer upsert on SQLite (the real
 * schema, migrated), against variants, each on a fresh copy of the same database (a session with 1,000
 * participants), blocks alternating: 12 factors × 1,000 participants in random order, committed every
 * `BENCH_COMMIT` answers (the group commits of `bench:votes` at M = 1,000 hold ~460), `synchronous=NORMAL`
 * so the figure is CPU, not the disk. Prints median µs per answer (process.cpuUsage, user + system).
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../server/store/sqlite';
import { participantRecord, sessionRecord } from '../tests/helpers/store-contract';

const PARTICIPANTS = 1000;
const FACTORS = 12;
const COMMIT = Number(process.env.BENCH_COMMIT ?? 460);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

const COLUMNS = '"session_id", "round", "participant_id", "factor", "answer", "comment", "updated_at"';
const UPSERT = (rows: number) =>
  `insert into "answers" (${COLUMNS}) values ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', ')} ` +
  `on conflict ("session_id", "round", "participant_id", "factor") do update set "answer" = "excluded"."answer", "comment" = "excluded"."comment", "updated_at" = "excluded"."updated_at"`;

async function template(): Promise<{ file: string; sessionId: string; participants: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'answer-upsert-'));
  const store = new SqliteStore({ dataDir: dir, synchronous: 'NORMAL' });
  const sessionId = randomUUID();
  await store.createSession(sessionRecord(sessionId));
  const participants = Array.from({ length: PARTICIPANTS }, () => randomUUID());
  await Promise.all(participants.map((id, i) => store.addParticipant({ ...participantRecord(id, sessionId, i), tokenHash: randomUUID() })));
  await store.close();
  return { file: path.join(dir, 'board.sqlite'), sessionId, participants };
}

type Variant = (db: Database.Database, rows: unknown[][]) => void;

/** The store's way: multi-row statements of whole powers of two, at most 64 rows. */
const prepared = new WeakMap<Database.Database, Map<number, Database.Statement>>();
function statement(db: Database.Database, rows: number): Database.Statement {
  let byRows = prepared.get(db);
  if (!byRows) prepared.set(db, (byRows = new Map()));
  let kept = byRows.get(rows);
  if (!kept) byRows.set(rows, (kept = db.prepare(UPSERT(rows))));
  return kept;
}
const multiRow: Variant = (db, rows) => {
  for (let start = 0; start < rows.length;) {
    const n = 2 ** Math.floor(Math.log2(Math.min(rows.length - start, 64)));
    statement(db, n).run(rows.slice(start, start + n).flat());
    start += n;
  }
};
const singleRow: Variant = (db, rows) => {
  const one = statement(db, 1);
  for (const row of rows) one.run(row);
};

/** Rewrites the database with pages of `bytes` (outside WAL, where VACUUM may change the page size). */
function pageSize(db: Database.Database, bytes: number): void {
  db.pragma('journal_mode = DELETE');
  db.pragma(`page_size = ${bytes}`);
  db.exec('VACUUM');
  db.pragma('journal_mode = WAL');
}

const VARIANTS: Record<string, { setup?: (db: Database.Database) => void; insert: Variant }> = {
  'multi-row (the store)': { insert: multiRow },
  'single-row prepared': { insert: singleRow },
  'multi-row, foreign keys off': { setup: (db) => db.pragma('foreign_keys = OFF'), insert: multiRow },
  'single-row, foreign keys off': { setup: (db) => db.pragma('foreign_keys = OFF'), insert: singleRow },
  'single-row, cache 64 MiB': { setup: (db) => db.pragma('cache_size = -65536'), insert: singleRow },
  'multi-row, cache 64 MiB': { setup: (db) => db.pragma('cache_size = -65536'), insert: multiRow },
  // A smaller page: a commit of answers scattered over the session's rows writes each touched page whole to the WAL.
  'single-row, pages of 1 KiB': { setup: (db) => pageSize(db, 1024), insert: singleRow },
  'single-row, pages of 2 KiB': { setup: (db) => pageSize(db, 2048), insert: singleRow },
  "bare's table and statement": {
    setup: (db) =>
      db.exec(
        'CREATE TABLE bare_answers (session TEXT NOT NULL, participant TEXT NOT NULL, factor INTEGER NOT NULL, answer TEXT NOT NULL, PRIMARY KEY (participant, factor))'
      ),
    insert: (db, rows) => {
      const one = db.prepare(
        'INSERT INTO bare_answers (session, participant, factor, answer) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET answer = excluded.answer'
      );
      for (const row of rows) one.run(row[0], row[2], row[3], row[4]);
      (db as unknown as { bare: boolean }).bare = true;
    }
  }
};

function runOnce(file: string, sessionId: string, participants: string[], variant: (typeof VARIANTS)[string]): number {
  const copy = `${file}.${process.pid}.copy`;
  fs.copyFileSync(file, copy);
  const db = new Database(copy);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  variant.setup?.(db);
  const answers: unknown[][] = [];
  for (let factor = 1; factor <= FACTORS; factor++) {
    const order = [...participants].sort(() => Math.random() - 0.5);
    for (const p of order) answers.push([sessionId, 1, p, factor, String(1 + (factor % 5)), null, Date.now()]);
  }
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  const start = process.cpuUsage();
  for (let i = 0; i < answers.length; i += COMMIT) {
    begin.run();
    variant.insert(db, answers.slice(i, i + COMMIT));
    commit.run();
  }
  const used = process.cpuUsage(start);
  const table = (db as unknown as { bare?: boolean }).bare ? 'bare_answers' : 'answers';
  const count = (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  if (count !== answers.length) throw new Error(`stored ${count} of ${answers.length}`);
  db.close();
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(copy + suffix, { force: true });
  return (used.user + used.system) / answers.length;
}

async function main(): Promise<void> {
  const { file, sessionId, participants } = await template();
  const results = new Map<string, number[]>(Object.keys(VARIANTS).map((k) => [k, []]));
  for (let r = 0; r < REPEATS; r++)
    for (const [name, variant] of Object.entries(VARIANTS)) results.get(name)!.push(runOnce(file, sessionId, participants, variant));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`µs CPU per answer, ${PARTICIPANTS} participants × ${FACTORS} factors, commits of ${COMMIT}, median of ${REPEATS} (min–max)`);
  for (const [name, xs] of results)
    console.log(`${name.padEnd(32)} ${median(xs).toFixed(2).padStart(7)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`);
}

void main();
