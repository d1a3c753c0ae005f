import type { TestProject } from 'vitest/node';
import { bounded } from '../helpers/patience';
import { postgresAvailability, startCluster } from '../helpers/postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection string of the test cluster's admin database, or null without PostgreSQL (tests/helpers/pg-test.ts). */
    pgAdminUrl: string | null;
  }
}

/**
 * One throwaway PostgreSQL cluster for the whole integration run (about a
 * second to start); every store under test gets a database of its own in it.
 * Without PostgreSQL installed (and not under CI) its tests skip.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const availability = postgresAvailability();
  if (!availability.run) {
    console.warn(`[integration] skipping PostgreSQL tests: ${availability.reason}`);
    project.provide('pgAdminUrl', null);
    return;
  }
  const cluster = await startCluster();
  project.provide('pgAdminUrl', cluster.adminUrl);
  // The end of the whole run waits for it: bounded and named (stop() itself kills a postmaster that does not shut down).
  return () => bounded('stopping the PostgreSQL test cluster', cluster.stop(), 30_000);
}
