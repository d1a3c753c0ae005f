/**
 * PostgreSQL inside tests: the cluster the integration project's global setup
 * started (tests/integration/global-setup.ts), and a fresh database per store
 * under test, dropped after the test.
 */
import { inject, onTestFinished } from 'vitest';
import { PostgresStore } from '../../server/store/postgres';
import { createDatabase, dropDatabase } from './postgres';
import { boundedStep } from './teardown';
import { afterTest } from './file-scope';

/** The test cluster's admin connection string, or null when PostgreSQL tests skip. */
export function pgAdminUrl(): string | null {
  return inject('pgAdminUrl') ?? null;
}

/** A new empty database, dropped after the test; its connection string. */
export async function makeDatabase(): Promise<string> {
  const admin = pgAdminUrl();
  if (!admin) throw new Error('no PostgreSQL test cluster (tests/integration/global-setup.ts)');
  const url = await createDatabase(admin);
  afterTest(() => boundedStep(`dropping the test database ${new URL(url).pathname.slice(1)}`, dropDatabase(admin, url)));
  return url;
}

/** Per test cluster: a database migrated once by the store itself, that `makeMigratedDatabase` copies. */
const migratedTemplates = new Map<string, Promise<string>>();

/**
 * A new database with the store's schema, dropped after the test: a copy of one this process migrated once
 * (CREATE DATABASE … TEMPLATE), instead of running every migration again for each test. For tests of what a store
 * does on its schema (the store contract); tests of the migrations themselves take `makeDatabase`.
 */
export async function makeMigratedDatabase(): Promise<string> {
  const admin = pgAdminUrl();
  if (!admin) throw new Error('no PostgreSQL test cluster (tests/integration/global-setup.ts)');
  let template = migratedTemplates.get(admin);
  if (!template) {
    template = (async () => {
      const url = await createDatabase(admin, 'migrated');
      // Closed again before it is copied: PostgreSQL copies only a database nobody is connected to.
      await (await PostgresStore.open({ connectionString: url })).close();
      return new URL(url).pathname.slice(1);
    })();
    // A failed attempt is not kept: the next test tries again (and fails with its own error).
    template.catch(() => migratedTemplates.delete(admin));
    migratedTemplates.set(admin, template);
  }
  const url = await createDatabase(admin, 'test', await template);
  onTestFinished(() => boundedStep(`dropping the test database ${new URL(url).pathname.slice(1)}`, dropDatabase(admin, url)));
  return url;
}

/** A PostgresStore on a fresh database, closed after the test. */
export async function openPostgresStore(url?: string): Promise<{ store: PostgresStore; url: string }> {
  const databaseUrl = url ?? (await makeDatabase());
  const store = await PostgresStore.open({ connectionString: databaseUrl });
  // The pool's end waits for every client to be given back: a query never answered would hold it.
  onTestFinished(() => boundedStep('closing a PostgreSQL store (its pool)', store.close()));
  return { store, url: databaseUrl };
}

/**
 * Whether the tests that are about the SQLite file itself run (its DATA_DIR lock, a corrupt or
 * full file, reading the file directly): not under `TEST_STORE=postgres`, where the servers keep
 * no file; tests/integration/postgres-store.test.ts holds their PostgreSQL counterparts.
 */
export const SQLITE_FILE_TESTS = process.env.TEST_STORE !== 'postgres';

/**
 * `TEST_STORE=postgres`: servers started by the test helpers use PostgreSQL,
 * one database per data directory, so a restart on the same DATA_DIR finds
 * the same data, as it would on SQLite. Null when the SQLite default applies.
 */
const databases = new Map<string, Promise<string>>();
export function databaseForDataDir(dataDir: string): Promise<string> | null {
  if (process.env.TEST_STORE !== 'postgres') return null;
  let url = databases.get(dataDir);
  if (!url) {
    url = makeDatabase();
    databases.set(dataDir, url);
  }
  return url;
}
