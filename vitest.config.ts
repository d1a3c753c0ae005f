import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { E2E_BOUNDS, INTEGRATION_BOUNDS, scaled } from './tests/helpers/patience';
import LongestFirst from './tests/helpers/longest-first';

/** A project's number of files at once: `name` from the environment (a positive integer), else `fallback`. */
function workers(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

// The default timeouts bound failing tests only; they grow with the machine's load at the start of
// the run (tests/helpers/patience.ts), as the waits inside the tests do.
export default defineConfig({
  test: {
    reporters: ['default', './tests/helpers/summary-reporter.ts'],
    // The longest files first (tests/file-seconds.json), so that no worker ends with a long file alone.
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          // Pure tests (no vi.mock, no stubbed globals or timers): one worker per core imports the modules once for all
          // the files it runs, instead of once per file (most of the project's time was imports). TEST_UNIT_ISOLATE=1:
          // a fresh module graph per file.
          maxWorkers: workers('TEST_UNIT_WORKERS', 2),
          isolate: Boolean(process.env.TEST_UNIT_ISOLATE)
        }
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          // The server bundle that child-process tests start (tests/helpers/server-bundle.ts), and the PostgreSQL cluster.
          globalSetup: ['tests/helpers/server-bundle.ts', 'tests/integration/global-setup.ts'],
          testTimeout: scaled(INTEGRATION_BOUNDS.testMs),
          hookTimeout: scaled(INTEGRATION_BOUNDS.hookMs),
          // …and again as each file starts (files run for many minutes while the load changes).
          setupFiles: ['tests/helpers/integration-bounds.ts'],
          // Much of an integration file's time is waiting (child servers starting, PostgreSQL, leases and sockets
          // timing out), so two files run at once (vitest's default here is cores - 1: one at a time on two cores).
          // Not more: npm test runs e2e beside it, and four cluster files at once on a loaded machine starved the
          // servers' own fixed lease and heartbeat timeouts. Every file has its own data directories, databases and ports.
          maxWorkers: workers('TEST_INTEGRATION_WORKERS', 2),
          // Each worker imports the server and its packages once for all the files it runs, not once per file
          // (42 % less CPU on twelve files). Every test still starts its own server on its own data; nothing in
          // these files changes module state (no vi.mock; spies restore themselves). TEST_INTEGRATION_ISOLATE=1: a fresh process per file.
          isolate: Boolean(process.env.TEST_INTEGRATION_ISOLATE)
        }
      },
      {
        plugins: [svelte()],
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/helpers/server-bundle.ts', 'tests/e2e/global-setup.ts'],
          testTimeout: scaled(E2E_BOUNDS.testMs),
          hookTimeout: scaled(E2E_BOUNDS.hookMs),
          // expect.poll without a timeout of its own gave up after vitest's one second, the bound most often hit
          // on a loaded machine (a page still loading); like every bound here it only ends a failing wait.
          expect: { poll: { timeout: scaled(E2E_BOUNDS.pollMs) } },
          // Two files at once (TEST_E2E_WORKERS: another number; 1 runs them one after another). Every file starts its
          // own server on its own port and data directory (and the cluster file its own PostgreSQL and nginx), and opens
          // its own browser contexts on the shared Chromium, so nothing is shared but the CPU. It pays because some files
          // mostly wait (the cluster file for instances to start and pages to reconnect): four of the longest files took
          // 3 min 14 s two at a time against 5 min 10 s one at a time, on the same CPU seconds (README, Development).
          maxWorkers: workers('TEST_E2E_WORKERS', 2),
          // Each worker process imports the server and its packages once for all the files it runs, not once per
          // file (seconds of CPU each). TEST_E2E_ISOLATE=1: a fresh process per file.
          isolate: Boolean(process.env.TEST_E2E_ISOLATE)
        }
      }
    ]
  }
});
