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
