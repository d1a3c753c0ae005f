import { lockDataDir } from './lock';
import { lockDatabase } from './pg-lock';
import { PostgresStore, redact, type LeaseConnection } from './postgres';
import { SqliteStore, type Synchronous } from './sqlite';
import type { Store } from './types';
import type { WriteFence } from './fence';

export interface StoreConfig {
  dataDir: string;
  synchronous: Synchronous;
  /** `postgres://…` selects PostgreSQL; null keeps the SQLite file in `dataDir`. */
  databaseUrl: string | null;
  /** Set when this is one of several instances: they share the database by design, each session owned by lease. */
  instanceUrl?: string | null;
}

export interface OpenedStore {
  store: Store;
  /** Where the data lives, for the start-up line (never with a password). */
  where: string;
  /** Closes the store (committing what is queued), then releases the lock. */
  close(): Promise<void>;
  /**
   * PostgreSQL shared by several instances: fence every session write by the epoch `leases` holds and write
   * sessions on its connection (server/store/fence.ts), and cut every connection the moment the leases are lost.
   */
  fence?(leases: WriteFence & LeaseConnection & { onLost(listener: () => void): void }): void;
}

/**
 * Opens the configured store behind its lock: SQLite in DATA_DIR (the
 * default: nothing to install), or PostgreSQL when DATABASE_URL is set. The
 * lock comes first, so a second server stops before it opens anything. With
 * PostgreSQL, DATA_DIR holds no data and is not locked; the database is
 * (./pg-lock.ts), which is where two servers could otherwise collide.
 */
export async function openStore(config: StoreConfig): Promise<OpenedStore> {
  if (config.databaseUrl) {
    const url = config.databaseUrl;
    // Several instances share the database on purpose (sessions are owned by lease, server/cluster/leases.ts); one alone locks it.
    const lock = config.instanceUrl ? { release: async () => undefined } : await lockDatabase(url);
    let store: PostgresStore;
    try {
      store = await PostgresStore.open({ connectionString: url });
    } catch (error) {
      await lock.release();
      throw error;
    }
    return {
      store,
      where: `PostgreSQL ${redact(url)}`,
      async close() {
        await store.close();
        await lock.release();
      },
      fence(leases) {
        store.fenceWith(leases);
        leases.onLost(() => store.interrupt());
      }
    };
  }
  const lock = lockDataDir(config.dataDir);
  let store: SqliteStore;
  try {
    store = new SqliteStore({ dataDir: config.dataDir, synchronous: config.synchronous });
  } catch (error) {
    lock.release();
    throw error;
  }
  return {
    store,
    where: store.file,
    async close() {
      await store.close();
      lock.release();
    }
  };
}
