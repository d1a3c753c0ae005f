import os from 'node:os';
import pg from 'pg';
import { redact } from './postgres';
import { StoreUnusableError } from './unusable';

/** Key of the session-level advisory lock a server holds on its database while it runs. */
const INSTANCE_LOCK_KEY = 0x5eed5_0002;

/** Thrown when another server process holds the database; the message names both. */
export class DatabaseInUseError extends Error {
  constructor(
    readonly database: string,
    readonly holder: string | null
  ) {
    super(
      `The PostgreSQL database ${database} is in use by another server process (${holder ?? 'unknown'}). ` +
        'One server per database until sessions have owners across instances (docs/scaling.md): stop that process or use another database.'
    );
    this.name = 'DatabaseInUseError';
  }
}

export interface DatabaseLock {
  /** Releases the lock (idempotent). A process that dies releases it anyway: its connection ends. */
  release(): Promise<void>;
}

/**
 * The PostgreSQL counterpart of the DATA_DIR lock (./lock.ts): one server
 * process per database, so two processes never disagree about a session or
 * compact each other's board away (issue 9). A session-level advisory lock,
 * held on a connection of its own for the life of the process: PostgreSQL
 * drops it when that connection ends, SIGKILL included, so a restart after a
 * crash just starts. The connection's application_name carries our pid and
 * host, so that a refusal can name the holder.
 *
 * Running several instances on one database is the next step (issue 15, part
 * 2): this lock then gives way to an owner per session.
 */
export async function lockDatabase(connectionString: string): Promise<DatabaseLock> {
  const applicationName = `seeds-live-board pid ${process.pid} on ${os.hostname()}`.slice(0, 63);
  const client = new pg.Client({ connectionString, application_name: applicationName, connectionTimeoutMillis: 5000, keepAlive: true });
  // Losing this connection loses the lock: say so loudly (the writes fail anyway while the database is gone).
  client.on('error', (error) => console.error(`store: the connection holding the database lock failed (${error.message}); restart this server`));
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new StoreUnusableError(`Cannot connect to the PostgreSQL database at ${redact(connectionString)}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [INSTANCE_LOCK_KEY]);
    if (!rows[0].locked) {
      const holder = await client.query<{ application_name: string; client_addr: string | null; backend_start: Date }>(
        `SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.objsubid = 1 AND (l.classid::bigint << 32 | l.objid::bigint) = $1`,
        [INSTANCE_LOCK_KEY]
      );
      const h = holder.rows[0];
      throw new DatabaseInUseError(
        redact(connectionString),
        h ? `${h.application_name || 'an unnamed client'}${h.client_addr ? ` from ${h.client_addr}` : ''}, connected ${h.backend_start.toISOString()}` : null
      );
    }
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  let released: Promise<void> | null = null;
  return {
    release: () => (released ??= client.end().catch(() => undefined))
  };
}
