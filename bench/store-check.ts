/**
 * How long the store's start-up checks take on a large database file, next to
 * a bare open (the baseline) and SQLite's own full `quick_check` and
 * `integrity_check`. Builds the files itself (BENCH_STORE_SESSIONS, default
 * "200,2000": sessions of 100 participants × 12 answers and 20 board updates
 * of 3 KB each, about 0.2 MB per session), in a temp directory, removed after.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrateSqlite } from '../server/store/migrations';
import { checkDatabaseFile, checkOpenDatabase } from '../server/store/sqlite-check';
import { SqliteStore } from '../server/store/sqlite';
import { fmt, table, writeResults } from './lib';

function build(file: string, sessions: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  migrateSqlite(db, file);
  db.exec(`
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${sessions})
    INSERT INTO sessions SELECT 's' || i, 'C' || i, 'title ' || i, 'nl', 'seeds', 1, hex(randomblob(32)), 'closed', 1, NULL, '{}', '[1]', 0, 0 FROM s;
    WITH RECURSIVE p(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM p WHERE j < 100)
    INSERT INTO participants SELECT 'p' || s.rowid || '-' || j, s.id, hex(randomblob(32)), 'name ' || j, 'company', 'nl', 0 FROM sessions s, p;
    WITH RECURSIVE f(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM f WHERE k < 12)
    INSERT INTO answers SELECT p.session_id, 1, p.id, k, '3', CASE WHEN k % 4 = 0 THEN 'a comment of some length' END, 0 FROM participants p, f;
    WITH RECURSIVE u(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM u WHERE k < 20)
    INSERT INTO yjs_updates (session_id, data) SELECT s.id, randomblob(3000) FROM sessions s, u;
  `);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** Median of `repeats` timings of `run`, in ms. */
function time(run: () => void, repeats = 3): number {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    run();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
}

function withDb(file: string, run: (db: Database.Database) => void): () => void {
  return () => {
    const db = new Database(file);
    try {
      run(db);
    } finally {
      db.close();
    }
  };
}

const sizes = (process.env.BENCH_STORE_SESSIONS ?? '200,2000').split(',').map(Number);
const rows: (string | number)[][] = [];
const results = [];
for (const sessions of sizes) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seeds-bench-store-'));
  try {
    const file = path.join(dir, 'board.sqlite');
    build(file, sessions);
    const mib = fs.statSync(file).size / 2 ** 20;
    const result = {
      sessions,
      mib,
      bareOpenMs: time(withDb(file, (db) => db.prepare('SELECT count(*) FROM sqlite_master').get())),
      startupCheckMs: time(() => {
        checkDatabaseFile(file);
        withDb(file, (db) => checkOpenDatabase(db, file))();
      }),
      storeOpenMs: time(() => void new SqliteStore({ dataDir: dir }).close()),
      quickCheckMs: time(
        withDb(file, (db) => db.pragma('quick_check')),
        1
      ),
      integrityCheckMs: time(
        withDb(file, (db) => db.pragma('integrity_check')),
        1
      )
    };
    results.push(result);
    rows.push([
      sessions,
      fmt(mib),
      fmt(result.bareOpenMs),
      fmt(result.startupCheckMs),
      fmt(result.storeOpenMs),
      fmt(result.quickCheckMs),
      fmt(result.integrityCheckMs)
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
console.log(table(['sessions', 'MiB', 'bare open ms', 'start-up check ms', 'SqliteStore open ms', 'full quick_check ms', 'full integrity_check ms'], rows));
console.log(`results: ${writeResults('store-check', { results })}`);
