/**
 * What a test file sets up once for several of its tests (a pair of cluster instances, their database) instead of
 * once per test, where those tests only use it side by side and each keeps to its own sessions. The helpers that
 * start things (child servers, databases, data directories) undo them through `afterTest`: after the test that made
 * them, as always, or, when they were made inside `sharedByFile`'s set-up, after the file.
 */
import { afterAll, beforeAll, onTestFinished } from 'vitest';
import { scaled, TEARDOWN_MS } from './patience';
import { boundedSteps } from './teardown';

/** Teardowns of the file-wide set-up under way, null outside it. */
let collecting: (() => unknown)[] | null = null;

/** Runs `undo` after the current test, or after the file when called inside a `sharedByFile` set-up. */
export function afterTest(undo: () => unknown): void {
  if (collecting) collecting.push(undo);
  else onTestFinished(async () => void (await undo()));
}

/**
 * `setup` run once before the file's tests (in `beforeAll`, bounded by `timeout` on an idle machine, grown with the
 * load), what it made undone after them, in reverse order, each step bounded. Returns a getter for its value, to call
 * inside the tests.
 */
export function sharedByFile<T>(name: string, setup: () => Promise<T>, timeout = 60_000): () => T {
  let value: { ok: T } | null = null;
  let teardowns: (() => unknown)[] = [];
  beforeAll(async () => {
    collecting = [];
    try {
      value = { ok: await setup() };
    } finally {
      teardowns = collecting;
      collecting = null;
    }
  }, scaled(timeout));
  // Each step is bounded by itself; the hook's own bound only has to hold a few of them.
  afterAll(
    () => boundedSteps(teardowns.reverse().map((undo, i) => [`${name}: shared teardown ${i + 1}`, async () => void (await undo())] as const)),
    scaled(8 * TEARDOWN_MS)
  );
  return () => {
    if (!value) throw new Error(`${name}: the shared set-up did not run (or failed)`);
    return value.ok;
  };
}
