import pg from 'pg';
import type { CompiledQuery } from 'kysely';
import { migratePostgres } from './migrations';
import { FIGURES_BACKFILL_BATCH, figuresJsonFor } from './paper-figures';
import { StoreUnusableError } from './unusable';
import { SqlStore, type SqlDriver } from './sql-store';
import type { Executor, KeptQuery, Row } from './schema';
import type { WriteFence } from './fence';
import { cutConnection, endWithin, trackConnections } from './pg-end';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (libpq-style parameters such as `?sslmode=` work too). */
  connectionString: string;
  /** Connections in the pool: one writes at a time, the others serve reads. */
  poolSize?: number;
}

/**
 * Limits on the store's connections (the pool's, and the lease connection that fenced writes run on), set by
 * PostgreSQL on each of them. A transaction left open by an instance cut off from the database holds its
 * locks (on the lease connection: its sessions' leases): PostgreSQL ends the connection after
 * IDLE_IN_TRANSACTION_TIMEOUT_MS of silence (our transactions never wait on anything but the next statement),
 * and any statement after STATEMENT_TIMEOUT_MS, both well within the ~25 s after which PostgreSQL's keepalive
 * gives up on a silent instance's lease connection.
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

/** A connection to send statements on: a pool's client, or the lease connection lent for a transaction. */
export interface Queryable {
  query(config: pg.QueryConfig): Promise<pg.QueryResult>;
}

/**
 * The connection that holds this instance's session leases (server/cluster/leases.ts), lent to the store for the
 * transactions that write sessions' data: fencing (docs/scaling.md, "Fencing").
 */
export interface LeaseConnection {
  /** Runs `work` on the lease connection with nothing else sent on it meanwhile; rejects while the connection is lost. */
  lend<T>(work: (client: Queryable) => Promise<T>): Promise<T>;
}

async function query(client: Queryable | pg.Pool, compiled: KeptQuery): Promise<Row[]> {
  const values = compiled.parameters as unknown[];
  // A kept statement is prepared once per connection under its name (node-postgres sends its text only the first time):
  // parsing and planning a group commit's many-row upsert anew every time cost about a quarter of the commit.
  const result = await client.query(compiled.name ? { name: compiled.name, text: compiled.sql, values } : { text: compiled.sql, values });
  return result.rows;
}

/**
 * The SQL store's driver on a pg pool. Writes run on one connection at a time (the store's queue sees to
 * that); reads on any. PostgreSQL commits with `synchronous_commit = on` (its default): the commit record is
 * flushed to disk before COMMIT answers, so acknowledged means committed. Fenced, the writes of sessions run
 * on the lease connection instead (`PostgresStore.fenceWith`).
 */
class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly answerRowsPerStatement = 256;
  readonly upsertChangesRowOnce = true;
  readonly reader: Executor = { run: (compiled) => query(this.pool, compiled) };
  /** Set when several instances share the database: the connection that holds this instance's leases. */
  leases: LeaseConnection | null = null;

  constructor(
    readonly pool: pg.Pool,
    /** Every connection the pool has open (trackConnections), so that `interrupt` and `close` can cut them all. */
    readonly connections: ReadonlySet<pg.PoolClient>
  ) {}

  async transaction<T>(work: (tx: Executor) => Promise<T>, fenced: boolean): Promise<T> {
    // Sessions' writes commit on the connection that holds their leases, so only while this instance holds them:
    // no check per commit (docs/scaling.md, "Fencing").
    if (fenced && this.leases) return this.leases.lend((client) => this.inTransaction(client, work));
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      return await this.inTransaction(client, work);
    } catch (error) {
      if (!this.isStatementError(error)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private async inTransaction<T>(client: Queryable, work: (tx: Executor) => Promise<T>): Promise<T> {
    await client.query({ text: 'BEGIN' });
    try {
      const result = await work({ run: (compiled) => query(client, compiled) });
      await client.query({ text: 'COMMIT' });
      return result;
    } catch (error) {
      await client.query({ text: 'ROLLBACK' }).catch(() => undefined);
      throw error;
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

  /** An error PostgreSQL answered (a constraint, a type): the connection itself is fine (not when it says it ends it). */
  isStatementError(error: unknown): boolean {
    return error instanceof pg.DatabaseError && error.severity !== 'FATAL' && error.severity !== 'PANIC';
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
    // Bounded: on a link that went silent the pool's end would wait for goodbyes that never come.
    await endWithin(this.pool.end(), () => {
      for (const client of this.connections) cutConnection(client);
    });
  }
}

/** The SQL store (./sql-store.ts) on PostgreSQL. */
export class PostgresStore extends SqlStore {
  private constructor(private readonly pg: PostgresDriver) {
    super(pg);
  }

  /**
   * Fences every write of a session (several instances on one database): besides carrying its epoch (SqlStore),
   * a transaction with such writes runs on `leases`' connection, the one that holds the sessions' locks.
   */
  override fenceWith(fence: WriteFence & LeaseConnection): void {
    super.fenceWith(fence);
    this.pg.leases = fence;
  }

  /**
   * This instance lost its sessions (its lease connection broke or went silent): cut every
   * connection of the pool at once, so that nothing it queued or had under way reaches the
   * database any more. Writes under way reject (nothing acknowledged); the pool connects anew.
   */
  interrupt(): void {
    for (const client of this.pg.connections) cutConnection(client);
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
    // From the first connection on (migrations included); each keeps an error listener while checked out too.
    const connections = trackConnections(pool);
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
    return new PostgresStore(new PostgresDriver(pool, connections));
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
