import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { CompiledQuery } from 'kysely';
import { FIGURES_BACKFILL_BATCH, figuresJsonFor } from './paper-figures';
import { migrateSqlite } from './migrations';
import { checkDatabaseFile, checkOpenDatabase, StoreUnusableError } from './sqlite-check';
import { SqlStore, type SqlDriver, type SqlStoreOptions } from './sql-store';
import type { Executor, Row } from './schema';

/** How hard SQLite works to keep a commit: FULL survives power loss, NORMAL a process crash. */
export type Synchronous = 'FULL' | 'NORMAL';

export type SqliteStoreOptions = SqlStoreOptions &
  (
    | { dataDir: string; synchronous?: Synchronous; fileName?: string }
    /** A database in memory (tests): empty, or the image of another one (`serialize()`), as a restart on the same data. */
    | { memory: true; from?: Buffer }
  );

/** Prepared statements kept per distinct SQL text; past this many the cache starts over (texts with IN lists vary). */
const STATEMENT_CACHE = 512;

/**
 * The SQL store's driver on better-sqlite3: synchronous, one connection. A transaction's statements all run
 * within one turn of the event loop (every `run` resolves at once), so nothing else reaches the connection
 * between BEGIN and COMMIT, and a group commit costs one fsync (WAL, `synchronous=FULL`).
 */
class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  /**
   * One answer per statement, the one prepared upsert run for each (`runEach`): in SQLite a many-row VALUES upsert
   * costs about twice as much CPU per row (11.7 against 5.7 µs an answer with its share of the commit, 64-row
   * statements against one, `bench/answer-upsert.ts`); there is no round trip to save in process.
   */
  readonly answerRowsPerStatement = 1;
  readonly upsertChangesRowOnce = false;
  private readonly statements = new Map<string, Database.Statement>();
  readonly reader: Executor = {
    run: async (query) => this.execute(query),
    runEach: async (query, parameters, width) => this.executeEach(query, parameters, width)
  };
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;

  constructor(readonly db: Database.Database) {
    // Prepared once, as better-sqlite3's own transactions do: every group commit runs them.
    this.begin = db.prepare('BEGIN');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
  }

  private prepared(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= STATEMENT_CACHE) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private execute(query: CompiledQuery): Row[] {
    const statement = this.prepared(query.sql);
    // Passed as one array (better-sqlite3 takes that), not spread: a batch of answers has hundreds. Copied only when it holds an undefined.
    const parameters = query.parameters.includes(undefined) ? query.parameters.map((p) => (p === undefined ? null : p)) : query.parameters;
    if (statement.reader) return statement.all(parameters) as Row[];
    statement.run(parameters);
    return [];
  }

  /** Runs one statement per row of `parameters`, `width` values each, through one array (better-sqlite3 binds a copy). */
  private executeEach(query: CompiledQuery, parameters: readonly unknown[], width: number): void {
    const statement = this.prepared(query.sql);
    const row = new Array<unknown>(width);
    for (let start = 0; start < parameters.length; start += width) {
      for (let i = 0; i < width; i++) row[i] = parameters[start + i] ?? null;
      statement.run(row);
    }
  }

  /** One writer on the file: `fenced` is for PostgreSQL shared by several instances. */
  async transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    this.begin.run();
    try {
      const result = await work(this.reader);
      this.commit.run();
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.rollback.run();
      throw error;
    }
  }

  snapshot<T>(work: (db: Executor) => Promise<T>): Promise<T> {
    // Every read runs at once, one after another in this turn: nothing can write in between.
    return work(this.reader);
  }

  /** Any failure leaves the one connection usable: the batch is retried write by write, as a full disk needs. */
  isStatementError(): boolean {
    return true;
  }

  isUniqueViolation(error: unknown): boolean {
    return (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
  }

  /** Rewrites the schema version in the header page: the commit proves the file, its WAL and the disk take writes. */
  async probe(): Promise<void> {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    this.db.pragma(`user_version = ${version}`);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/** The SQL store (./sql-store.ts) on a SQLite file (WAL), or in memory for tests. Opens synchronously, migrated. */
export class SqliteStore extends SqlStore {
  /** The database file (`:memory:` for a store in memory). */
  readonly file: string;
  private readonly sqlite: Database.Database;

  constructor(options: SqliteStoreOptions) {
    const file = 'memory' in options ? ':memory:' : path.join(options.dataDir, options.fileName ?? 'board.sqlite');
    const db = 'memory' in options ? openMemory(options.from) : openFile(options, file);
    super(new SqliteDriver(db), options);
    this.file = file;
    this.sqlite = db;
  }

  /** The whole database as one image once every write called so far settled (a store in memory: a "restart" opens a new store on it). */
  async serialize(): Promise<Buffer> {
    await this.flush();
    return this.sqlite.serialize();
  }
}

function openFile(options: { dataDir: string; synchronous?: Synchronous }, file: string): Database.Database {
  fs.mkdirSync(options.dataDir, { recursive: true });
  // A corrupt or unwritable file is refused here, with a message that says so, instead of failing on some later write.
  checkDatabaseFile(file);
  let db: Database.Database | null = null;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    checkOpenDatabase(db, file);
    prepare(db, file);
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof StoreUnusableError) throw error;
    throw new StoreUnusableError(`Cannot open the database file ${file}: ${(error as Error).message}`, { cause: error });
  }
}

function openMemory(from?: Buffer): Database.Database {
  const db = new Database(from ?? ':memory:');
  db.pragma('foreign_keys = ON');
  prepare(db, ':memory:');
  return db;
}

/** Migrates, then fills what a migration left to JavaScript: before the store serves anything. */
function prepare(db: Database.Database, file: string): void {
  migrateSqlite(db, file);
  fillPaperFigures(db);
}

/**
 * Fills the figures of paper sessions stored before the column existed, in batches, each in its own
 * transaction: at open, before the store serves anything, so every reader finds them stored.
 */
function fillPaperFigures(db: Database.Database): void {
  const missing = db.prepare<[number], { id: string; factors: string }>('SELECT id, factors FROM paper_sessions WHERE figures IS NULL LIMIT ?');
  const fill = db.prepare<[string, string]>('UPDATE paper_sessions SET figures = ? WHERE id = ? AND figures IS NULL');
  for (;;) {
    const rows = missing.all(FIGURES_BACKFILL_BATCH);
    if (rows.length === 0) return;
    db.transaction(() => {
      for (const row of rows) fill.run(figuresJsonFor(row.factors), row.id);
    })();
  }
}
