import type Database from 'better-sqlite3';
import fs from 'node:fs';
import { StoreUnusableError } from './unusable';

export { StoreUnusableError };

/**
 * Files up to this size get SQLite's full `PRAGMA quick_check` at start-up
 * (every page is read: about 0.3 s at this size here; see
 * `npm run bench:store`); larger ones get the bounded checks only, which cost
 * the same on any size.
 */
export const FULL_CHECK_MAX_BYTES = 32 * 2 ** 20;

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
/** Every table with the key its B-tree is ordered by (rowid, or the primary key of a WITHOUT ROWID table). */
const TABLES: Record<string, string> = {
  sessions: 'rowid',
  participants: 'rowid',
  answers: 'session_id, round, participant_id, factor',
  dots: 'session_id, voter_id, action_id',
  yjs_updates: 'rowid'
};

/**
 * Before opening: an existing file must start with a SQLite header whose page
 * size is valid and whose recorded size fits in the file (a truncated or
 * overwritten file is refused here, before SQLite would treat it as empty or
 * fail on some later read). An empty or missing file is a new database.
 */
export function checkDatabaseFile(file: string): void {
  let handle: number;
  try {
    handle = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new StoreUnusableError(`Cannot read the database file ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const size = fs.fstatSync(handle).size;
    if (size === 0) return;
    const header = Buffer.alloc(100);
    const read = fs.readSync(handle, header, 0, 100, 0);
    if (read < 100 || !header.subarray(0, 16).equals(MAGIC)) throw corrupt(file, 'it does not start with a SQLite header');
    const rawPageSize = header.readUInt16BE(16);
    const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw corrupt(file, `its page size (${rawPageSize}) is invalid`);
    // The page count at offset 28 is valid when the "version-valid-for" number equals the change counter.
    const pages = header.readUInt32BE(28);
    const valid = header.readUInt32BE(92) === header.readUInt32BE(24);
    if (valid && pages * pageSize > size) throw corrupt(file, `it is truncated (${size} bytes, the header records ${pages} pages of ${pageSize})`);
  } finally {
    fs.closeSync(handle);
  }
}

/**
 * After opening, before use: the schema parses, every table's B-tree can be walked at both ends, the
 * whole file passes `quick_check` when it is small enough to be fast, and a
 * write commits. All of it is bounded except the full check, which is skipped
 * above FULL_CHECK_MAX_BYTES.
 */
export function checkOpenDatabase(db: Database.Database, file: string): void {
  try {
    // A version newer than this server knows is refused by the migrator (./migrations.ts), right after these checks.
    const version = db.pragma('user_version', { simple: true }) as number;
    const tables = new Set(
      db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .all()
        .map((row) => row.name)
    );
    if (version > 0) {
      for (const [table, key] of Object.entries(TABLES)) {
        if (!tables.has(table)) throw corrupt(file, `table ${table} is missing`);
        // First and last entries in key order: reads the B-tree's root and both edges down to the leaves, never a scan.
        const descending = key
          .split(', ')
          .map((column) => `${column} DESC`)
          .join(', ');
        db.prepare(`SELECT * FROM ${table} ORDER BY ${key} LIMIT 1`).all();
        db.prepare(`SELECT * FROM ${table} ORDER BY ${descending} LIMIT 1`).all();
      }
    }
    const size = fs.statSync(file).size;
    if (size <= FULL_CHECK_MAX_BYTES) {
      const problems = (db.pragma('quick_check(5)') as { quick_check: string }[]).map((row) => row.quick_check);
      if (problems.length !== 1 || problems[0] !== 'ok') throw corrupt(file, problems.join('; '));
    }
  } catch (error) {
    if (error instanceof StoreUnusableError) throw error;
    throw corrupt(file, (error as Error).message, error);
  }
  probeWrite(db, file);
}

/**
 * A tiny write that commits (rewrites the schema version in the header page),
 * proving the file, its WAL and the disk take writes. Nothing changes.
 */
export function probeWrite(db: Database.Database, file: string): void {
  try {
    db.transaction(() => {
      const version = db.pragma('user_version', { simple: true }) as number;
      db.pragma(`user_version = ${version}`);
    })();
  } catch (error) {
    throw new StoreUnusableError(
      `The database file ${file} cannot be written (${(error as Error).message}): check the disk space and the permissions of DATA_DIR.`,
      { cause: error }
    );
  }
}

function corrupt(file: string, detail: string, cause?: unknown): StoreUnusableError {
  return new StoreUnusableError(
    `The database file ${file} is corrupt (${detail}). The server will not start on it: restore a backup, or move the file away to start empty.`,
    { cause }
  );
}
