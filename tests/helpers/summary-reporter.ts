import fs from 'node:fs';
import path from 'node:path';
import type { Reporter, SerializedError, TestModule } from 'vitest/node';
import { FILE_SECONDS_PATH, fileKey, readSeconds } from './longest-first';

/**
 * Ends each run with a plain `N passed, N failed, N skipped` line, the form CI
 * logs are read for, after vitest's own summary. With TEST_SUMMARY_FILE set
 * (scripts/test.js) the counts are also written there as JSON, for the sum over
 * the projects. With TEST_FILE_SECONDS set (`npm run test:seconds`) each passed
 * file's time goes into tests/file-seconds.json, which orders the next runs.
 *
 * What failed is written there too, a line or three each (failed tests, files whose hooks or imports
 * failed, errors outside any test), so that scripts/test.js can end the log with it: CI shows only a
 * log's tail, and a project that failed with no failed test (an unhandled error) said nothing there.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError> = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
    const file = process.env.TEST_SUMMARY_FILE;
    if (file) fs.writeFileSync(file, JSON.stringify({ passed, failed, skipped, failures: failures(testModules, unhandledErrors) }));
    if (process.env.TEST_FILE_SECONDS) recordSeconds(testModules);
  }
}

/** Lines that name each failure and begin its error; at most 40, each cut to 300 characters. */
export function failures(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): string[] {
  const lines: string[] = [];
  const describe = (error: Pick<SerializedError, 'name' | 'message' | 'stack'>) => {
    const stack = (error.stack ?? '')
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .slice(0, 2);
    return [`    ${error.name ?? 'Error'}: ${(error.message ?? '').split('\n')[0]}`, ...stack.map((line) => `    ${line.trim()}`)];
  };
  for (const module of testModules) {
    const file = module.moduleId.slice(module.project.config.root.length + 1);
    for (const test of module.children.allTests()) {
      const result = test.result();
      if (result.state !== 'failed') continue;
      lines.push(`  ${file} > ${test.fullName}`, ...(result.errors ?? []).slice(0, 1).flatMap(describe));
    }
    // A file's own errors: a hook (beforeAll, afterAll) or its import failed, with every test passed or none run.
    for (const error of module.errors()) lines.push(`  ${file} (the file, outside its tests)`, ...describe(error));
  }
  for (const error of unhandledErrors) {
    // vitest names the file and test that were running when it came, where it knows them.
    const file = typeof error.VITEST_TEST_PATH === 'string' ? path.relative(process.cwd(), error.VITEST_TEST_PATH) : '';
    const test = typeof error.VITEST_TEST_NAME === 'string' ? error.VITEST_TEST_NAME : '';
    lines.push(`  unhandled error${file ? ` in ${file}` : ''}${test ? ` during "${test}"` : ''}`, ...describe(error));
  }
  return lines.slice(0, 40).map((line) => (line.length > 300 ? `${line.slice(0, 297)}...` : line));
}

/** Merges the seconds of this run's passed integration and browser files into tests/file-seconds.json. */
function recordSeconds(testModules: ReadonlyArray<TestModule>): void {
  // Read just before writing: integration and e2e end in processes of their own, each merging its files in.
  const seconds = readSeconds();
  for (const module of testModules) {
    if (module.project.name === 'unit' || module.state() !== 'passed') continue;
    seconds[fileKey(module.project.config.root, module.moduleId)] = Math.round(module.diagnostic().duration / 1000);
  }
  const ordered = Object.fromEntries(Object.entries(seconds).sort(([a], [b]) => (a < b ? -1 : 1)));
  fs.writeFileSync(FILE_SECONDS_PATH, `${JSON.stringify(ordered, null, 2)}\n`);
}
