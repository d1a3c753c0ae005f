/**
 * How long tests wait for what should happen, on a machine that may be busy. A wait only bounds
 * a failure (passing tests never wait that long), so the bounds grow with the machine's load: on
 * two cores shared with browsers, PostgreSQL, nginx and other people's work, everything is
 * several times slower than on an idle machine, and a fixed bound turns that into a red run.
 * Kept free of vitest and server imports: vitest.config.ts reads it too.
 */
import os from 'node:os';

/** The most the bounds grow: beyond it a wait is a hang, whatever the load. */
const MAX_FACTOR = 4;

/** How much slower than idle this machine is likely to be now: runnable processes per core (1-minute load), between 1 and MAX_FACTOR. */
export function loadFactor(): number {
  const cores = Math.max(1, os.availableParallelism());
  const factor = os.loadavg()[0] / cores;
  return Number.isFinite(factor) ? Math.min(MAX_FACTOR, Math.max(1, factor)) : 1;
}

/** `ms` (the bound on an idle machine) grown with the current load. */
export function scaled(ms: number): number {
  return Math.round(ms * loadFactor());
}

/** The integration tests' default bounds on an idle machine (vitest.config.ts; tests/helpers/integration-bounds.ts grows them again as each file starts). */
export const INTEGRATION_BOUNDS = { testMs: 30_000, hookMs: 30_000 };

/** The browser tests' default bounds on an idle machine (vitest.config.ts; tests/helpers/e2e.ts grows them again as each file starts). */
export const E2E_BOUNDS = { testMs: 90_000, hookMs: 180_000, pollMs: 5_000 };

/** The bound of one teardown step on an idle machine (grown with the load): a server's drain grace is 3 s. */
export const TEARDOWN_MS = 15_000;

/** A step that did not end within its bound: says which step, where, and how long was waited. */
export class HungStep extends Error {
  constructor(
    readonly step: string,
    readonly ms: number
  ) {
    super(`${step}: did not end within ${ms} ms (load ${os.loadavg()[0].toFixed(1)})`);
    this.name = 'HungStep';
  }
}

/**
 * `work` if it settles within `ms` (on an idle machine; grown with the load), else a HungStep naming
 * `step`. A teardown that waits without end otherwise shows up only as a hook timeout minutes later,
 * naming neither the step nor the file; the work itself goes on (a caller that can, kills it).
 */
export function bounded<T>(step: string, work: Promise<T>, ms = TEARDOWN_MS): Promise<T> {
  const bound = scaled(ms);
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HungStep(step, bound)), bound);
  });
  return Promise.race([work, hung]).finally(() => clearTimeout(timer));
}
