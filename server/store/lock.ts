import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Who holds a data directory, as its holder wrote it down next to the lock. */
export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

/** Thrown when another process holds the data directory; the message names both. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder | null
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by another server process (${
        holder ? `pid ${holder.pid} on ${holder.host}, started ${holder.startedAt}` : 'pid unknown'
      }). Only one server may use a data directory at a time: stop that process or choose another DATA_DIR.`
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  readonly dataDir: string;
  /** Releases the lock (idempotent). A process that dies releases it anyway. */
  release(): void;
}

const LOCK_FILE = 'board.lock';
const HOLDER_FILE = 'board.lock.json';

/**
 * Takes the exclusive lock on a data directory: one server process per
 * DATA_DIR, so two processes never disagree about a session or compact each
 * other's board away.
 *
 * The lock is an OS file lock (POSIX fcntl), taken through SQLite on a small
 * file of its own with `locking_mode = EXCLUSIVE`: the kernel drops it when
 * the process ends in any way, SIGKILL included, so there is never a stale
 * lock to clean up and a restart after a crash just starts. (A lock *file*
 * whose existence is the lock, as `proper-lockfile` keeps, would need a
 * staleness timeout after SIGKILL.) SQLite's lock also works between two
 * connections in one process, so tests that start two servers in-process are
 * refused too. Like SQLite itself, it needs a local file system (not NFS).
 *
 * The holder's pid goes into a JSON file beside the lock, written after the
 * lock is taken, only so that the refusal can name the other process.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write in exclusive mode takes SQLite's EXCLUSIVE lock and keeps it until close.
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS holder (pid INTEGER); DELETE FROM holder; COMMIT');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new DataDirInUseError(dataDir, readHolder(dataDir));
    throw new Error(`Cannot lock DATA_DIR ${dataDir}: ${(error as Error).message}`, { cause: error });
  }
  const holder: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
  const holderFile = path.join(dataDir, HOLDER_FILE);
  const temporary = `${holderFile}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(holder));
  fs.renameSync(temporary, holderFile);
  let released = false;
  return {
    dataDir,
    release() {
      if (released) return;
      released = true;
      fs.rmSync(holderFile, { force: true });
      db.close();
    }
  };
}

function readHolder(dataDir: string): LockHolder | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(dataDir, HOLDER_FILE), 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number') return null;
    return { pid: parsed.pid, host: String(parsed.host ?? 'unknown host'), startedAt: String(parsed.startedAt ?? 'at an unknown time') };
  } catch {
    return null;
  }
}
