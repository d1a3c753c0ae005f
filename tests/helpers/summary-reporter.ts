import fs from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends each run with a plain `N passed, N failed, N skipped` line, the form CI
 * logs are read for, after vitest's own summary. With TEST_SUMMARY_FILE set
 * (scripts/test.js) the counts are also written there as JSON, for the sum over
 * the projects.
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
  }
}
