import pg from 'pg';
import type { CompiledQuery } from 'kysely';
import { migratePostgres } from './migrations';
import { FIGURES_BACKFILL_BATCH, figuresJsonFor } from './paper-figures';
import { StoreUnusableError } from './unusable';
import { SqlStore, type SqlDriver } from './sql-store';
import type { Executor, KeptQuery, Row } from './schema';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (libpq-style parameters such as `?sslmode=` work too). */
  connectionString: string;
  /** Connections in the pool: one writes at a time, the others serve reads. */
  poolSize?: number;
}

/**
 * Limits on the pool's connections, set by PostgreSQL on each of them. A transaction left open by an
 * instance cut off from the database holds its locks, among them the share lock on its sessions' owner
 * rows that fencing takes: PostgreSQL ends it after IDLE_IN_TRANSACTION_TIMEOUT_MS of silence (our
 * transactions never wait on anything but the next statement), and any statement after
 * STATEMENT_TIMEOUT_MS, both well within the ~25 s after which another instance can take a lease over.
 */
export const STATEMENT_TIMEOUT_MS = 15_000;
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 5_000;

/**
 * Epoch milliseconds are BIGINT; node-postgres reads BIGINT as a string
 * (it may exceed 2^53). Ours never do, so this pool reads them as numbers.
 */
export const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser']
};

async function query(client: pg.PoolClient | pg.Pool, compiled: KeptQuery): Promise<Row[]> {
  const values = compiled.parameters as unknown[];
  // A kept statement is prepared once per connection under its name (node-postgres sends its text only the first time):
  // parsing and planning a group commit's many-row upsert anew every time cost about a quarter of the commit.
  const result = compiled.name ? await client.query({ name: compiled.name, text: compiled.sql, values }) : await client.query(compiled.sql, values);
  return result.rows;
}

/**
 * The fencing check (docs/scaling.md, "Fencing"), prepared once per connection and run with BEGIN in one simple
 * query (EXECUTE, the ids quoted by the driver): one round trip and no parsing or planning per commit. In one order
 * (by id), so that two transactions never wait for each other's rows crosswise; the share locks are held until COMMIT.
 */
const FENCE_CHECK = 'seeds_fence_check';
const PREPARE_FENCE_CHECK = `PREPARE ${FENCE_CHECK}(text[]) AS
  SELECT session_id, epoch FROM session_owners WHERE session_id = ANY($1) ORDER BY session_id FOR SHARE`;

/**
 * The SQL store's driver on a pg pool. Writes run on one connection at a time (the store's queue sees to
 * that); reads on any. PostgreSQL commits with `synchronous_commit = on` (its default): the commit record is
 * flushed to disk before COMMIT answers, so acknowledged means committed.
 */
class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly answerRowsPerStatement = 256;
  readonly upsertChangesRowOnce = true;
  readonly reader: Executor = { run: (compiled) => query(this.pool, compiled) };
  /** Every connection the pool has open, so that `interrupt` can cut them all. */
  readonly connections = new Set<pg.PoolClient>();
  /** Connections on which the fencing check is prepared (a prepared statement lives as long as its connection). */
  private readonly fenceReady = new WeakSet<pg.PoolClient>();

  constructor(readonly pool: pg.Pool) {
    pool.on('connect', (client) => this.connections.add(client));
    pool.on('remove', (client) => this.connections.delete(client));
  }

  async transaction<T>(work: (tx: Executor, epochs: ReadonlyMap<string, number>) => Promise<T>, fenced: ReadonlySet<string>): Promise<T> {
    const client = await this.pool.connect();
    // A connection that breaks while checked out reports it here as well as to the query; without a listener it would crash the process.
    const onError = (error: Error) => console.error('store: the PostgreSQL write connection failed:', error.message);
    client.on('error', onError);
    let broken: Error | undefined;
    try {
      let epochs = new Map<string, number>();
      if (fenced.size === 0) await client.query('BEGIN');
      else {
        // The check goes with BEGIN in one round trip: it must not cost every group commit a round trip of its own.
        if (!this.fenceReady.has(client)) {
          await client.query(PREPARE_FENCE_CHECK);
          this.fenceReady.add(client);
        }
        const ids = [...fenced].map((id) => client.escapeLiteral(id)).join(', ');
        const results = (await client.query(`BEGIN; EXECUTE ${FENCE_CHECK}(ARRAY[${ids}]::text[])`)) as unknown as pg.QueryResult[];
        epochs = new Map(results[1].rows.map((r) => [r.session_id as string, r.epoch as number]));
      }
      const result = await work({ run: (compiled) => query(client, compiled) }, epochs);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (!this.isStatementError(error)) broken = error as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async snapshot<T>(work: (db: Executor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      return await work({ run: (compiled) => query(client, compiled) });
    } finally {
      await client.query('COMMIT').catch(() => undefined);
      client.release();
    }
  }

  /** An error PostgreSQL answered (a constraint, a type): the connection itself is fine. */
  isStatementError(error: unknown): boolean {
    return error instanceof pg.DatabaseError;
  }

  isUniqueViolation(error: unknown): boolean {
    return error instanceof pg.DatabaseError && error.code === '23505' && error.constraint === 'action_reviews_decided_once';
  }

  /**
   * Taking a transaction id makes the commit write and flush a WAL record, which fails
   * while the disk is full, the server is a read-only standby or unreachable.
   */
  async probe(tx: Executor): Promise<void> {
    await tx.run({ sql: 'SELECT pg_current_xact_id()', parameters: [] } as unknown as CompiledQuery);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** The SQL store (./sql-store.ts) on PostgreSQL. */
export class PostgresStore extends SqlStore {
  private constructor(private readonly pg: PostgresDriver) {
    super(pg);
  }

  /**
   * This instance lost its sessions (its lease connection broke or went silent): cut every
   * connection of the pool at once, so that nothing it queued or had under way reaches the
   * database any more. Writes under way reject (nothing acknowledged); the pool connects anew.
   */
  interrupt(): void {
    for (const client of this.pg.connections) (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  }

  /** Connects, applies pending migrations and returns the store; refuses a database it cannot use, saying why. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      types: typeParsers,
      // A database that does not answer fails a write or a probe instead of hanging it.
      connectionTimeoutMillis: 5000,
      keepAlive: true,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      application_name: 'seeds-live-board'
    });
    // An idle connection that breaks (the server restarted) must not crash the process; the next use reconnects.
    pool.on('error', (error) => console.error('store: an idle PostgreSQL connection failed:', error.message));
    try {
      await migratePostgres(pool);
      await fillPaperFigures(pool);
    } catch (error) {
      await pool.end().catch(() => undefined);
      if (error instanceof StoreUnusableError) throw error;
      throw new StoreUnusableError(`Cannot use the PostgreSQL database at ${redact(options.connectionString)}: ${(error as Error).message}`, {
        cause: error
      });
    }
    return new PostgresStore(new PostgresDriver(pool));
  }
}

/** Fills the figures of paper sessions stored before the column existed (migration 5), in batches, before the store serves. */
async function fillPaperFigures(pool: pg.Pool): Promise<void> {
  for (;;) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // SKIP LOCKED: instances starting at once fill different rows instead of waiting for each other.
      const { rows } = await client.query<{ id: string; factors: string }>(
        'SELECT id, factors FROM paper_sessions WHERE figures IS NULL LIMIT $1 FOR UPDATE SKIP LOCKED',
        [FIGURES_BACKFILL_BATCH]
      );
      for (const row of rows) await client.query('UPDATE paper_sessions SET figures = $1 WHERE id = $2', [figuresJsonFor(row.factors), row.id]);
      await client.query('COMMIT');
      if (rows.length === 0) return;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

/** A connection string without its password, for messages and logs. */
export function redact(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(an unparsable DATABASE_URL)';
  }
}
