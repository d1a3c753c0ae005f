/**
 * Runs the store contract (tests/helpers/store-contract.ts) against every
 * `Store` implementation. A new implementation is one more entry here.
 */
import { onTestFinished } from 'vitest';
import { SqliteStore } from '../../server/store/sqlite';
import { describeStoreContract, type StoreImplementation } from '../helpers/store-contract';
import { describeAccountStoreContract } from '../helpers/account-store-contract';
import { describeHomeStoreContract } from '../helpers/home-store-contract';
import { describeProgrammeConsentStoreContract } from '../helpers/programme-consent-store-contract';
import { makeDataDir } from '../helpers/server';
import { PostgresStore } from '../../server/store/postgres';
import { makeMigratedDatabase, pgAdminUrl } from '../helpers/pg-test';
import { TAKE_EPOCH_SQL } from '../../server/cluster/leases';
import pg from 'pg';

const implementations: StoreImplementation[] = [
  {
    name: 'SQLite (a real file)',
    async open() {
      const dataDir = await makeDataDir();
      let current = new SqliteStore({ dataDir });
      onTestFinished(() => current.close());
      return {
        store: current,
        async reopen() {
          await current.close();
          current = new SqliteStore({ dataDir });
          return current;
        },
        async second() {
          const other = new SqliteStore({ dataDir });
          onTestFinished(() => other.close());
          return other;
        }
      };
    }
  },
  {
    name: 'PostgreSQL (a real server)',
    skip: pgAdminUrl() === null,
    // Each test on a copy of a database the store migrated once (the migrations have tests of their own: postgres-store.test.ts, store-upgrade.test.ts).
    async open() {
      const connectionString = await makeMigratedDatabase();
      let current = await PostgresStore.open({ connectionString });
      onTestFinished(() => current.close());
      return {
        store: current,
        async reopen() {
          await current.close();
          current = await PostgresStore.open({ connectionString });
          return current;
        },
        async second() {
          const other = await PostgresStore.open({ connectionString });
          onTestFinished(() => other.close());
          return other;
        }
      };
    },
    fencing: {
      async open() {
        const connectionString = await makeMigratedDatabase();
        const store = await PostgresStore.open({ connectionString });
        onTestFinished(() => store.close());
        // What the lease side holds (server/cluster/leases.ts); the epochs are taken as a lease takes them.
        const held = new Map<string, number>();
        store.fenceWith({ epochOf: (id) => held.get(id) ?? null });
        const admin = new pg.Client({ connectionString });
        await admin.connect();
        onTestFinished(() => admin.end());
        const takeEpoch = async (sessionId: string, instanceUrl: string) => Number((await admin.query(TAKE_EPOCH_SQL, [sessionId, instanceUrl])).rows[0].epoch);
        return {
          store,
          take: async (id) => void held.set(id, await takeEpoch(id, 'http://here')),
          takeOver: async (id) => void (await takeEpoch(id, 'http://elsewhere'))
        };
      }
    }
  },
  {
    name: 'SQLite in memory',
    async open() {
      let current = new SqliteStore({ memory: true });
      onTestFinished(() => current.close());
      return {
        store: current,
        async reopen() {
          // A restart on the same data: the image of everything committed, opened as a new store.
          const image = await current.serialize();
          await current.close();
          current = new SqliteStore({ memory: true, from: image });
          return current;
        },
        async second() {
          // One connection holds a database in memory: a second instance shares the one handle.
          return current;
        }
      };
    }
  }
];

for (const implementation of implementations) {
  describeStoreContract(implementation);
  describeAccountStoreContract(implementation);
  describeHomeStoreContract(implementation);
  describeProgrammeConsentStoreContract(implementation);
}
