/**
 * Bounded steps of set-up and teardown inside vitest: tests/helpers/patience.ts's `bounded`, with the test file
 * in the step's name, so a hang says which step of which file instead of a silent hook timeout minutes later.
 */
import path from 'node:path';
import { expect } from 'vitest';
import { bounded, TEARDOWN_MS } from './patience';

/** The running test file, relative to the repository ('' outside a test file). */
function testFile(): string {
  const file = expect.getState().testPath;
  return file ? path.relative(process.cwd(), file) : '';
}

/** `work` within `ms` (grown with the load), else an error naming `step` and the test file. */
export function boundedStep<T>(step: string, work: Promise<T>, ms = TEARDOWN_MS): Promise<T> {
  const file = testFile();
  return bounded(file ? `${file}: ${step}` : step, work, ms);
}

/**
 * Runs every step in order, each bounded, even after one failed or hung (a hung context close must not leave
 * the server running); then throws the first failure, naming its step.
 */
export async function boundedSteps(steps: readonly [step: string, work: () => Promise<unknown>, ms?: number][]): Promise<void> {
  const failures: unknown[] = [];
  for (const [step, work, ms] of steps) {
    try {
      await boundedStep(step, work(), ms);
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length) throw failures[0];
}
