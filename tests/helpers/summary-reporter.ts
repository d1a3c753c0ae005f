import fs from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';
import { FILE_SECONDS_PATH, fileKey, readSeconds } from './longest-first';

/**
 * Ends each run with a plain `N passed, N failed, N skipped` line, the form CI
 * logs are read for, after vitest's own summary. With TEST_SUMMARY_FILE set
 * (scripts/test.js) the counts are also written there as JSON, for the sum over
 * the projects. With TEST_FILE_SECONDS set (`npm run test:seconds`) each passed
 * file's time goes into tests/file-seconds.json, which orders the next runs.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
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
    if (file) fs.writeFileSync(file, JSON.stringify({ passed, failed, skipped }));
    if (process.env.TEST_FILE_SECONDS) recordSeconds(testModules);
  }
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
