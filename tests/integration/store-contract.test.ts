/**
 * Runs the store contract (tests/helpers/store-contract.ts) against every
 * `Store` implementation. A new implementation is one more entry here.
 */
import { expect, onTestFinished } from 'vitest';
import { SqliteStore } from '../../server/store/sqlite';
import { describeStoreContract, type StoreImplementation } from '../helpers/store-contract';
import { describeAccountStoreContract } from '../helpers/account-store-contract';
import { describeHomeStoreContract } from '../helpers/home-store-contract';
import { describeProgrammeConsentStoreContract } from '../helpers/programme-consent-store-contract';
import { makeDataDir } from '../helpers/server';
import { PostgresStore } from '../../server/store/postgres';
import { makeMigratedDatabase, pgAdminUrl } from '../helpers/pg-test';
import { PgSessionLeases } from '../../server/cluster/leases';

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
        // Real leases, as two instances hold them (server/cluster/leases.ts): the store writes on this one's connection.
        const here = await PgSessionLeases.connect(connectionString, 'http://here');
        const elsewhere = await PgSessionLeases.connect(connectionString, 'http://elsewhere');
        const store = await PostgresStore.open({ connectionString });
        store.fenceWith(here);
        // The store first: it commits what it still holds on the lease connection before that closes.
        onTestFinished(async () => {
          await store.close();
          await Promise.all([here.close(), elsewhere.close()]);
        });
        return {
          store,
          take: async (id) => void expect(await here.acquire(id)).toEqual({ here: true }),
          takeOver: async (id) => {
            await here.release(id);
            expect(await elsewhere.acquire(id)).toEqual({ here: true });
          },
          takeBack: async (id) => {
            await elsewhere.release(id);
            expect(await here.acquire(id)).toEqual({ here: true });
          }
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
