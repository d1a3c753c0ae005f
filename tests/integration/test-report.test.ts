/**
 * `npm test` ends its log with what failed (tests/helpers/summary-reporter.ts, scripts/test.js), because CI
 * shows only a log's tail. A run that failed on an error outside any test once read "0 failed" there and
 * nothing else. Here a real vitest runs three files that fail in the three ways: a test, an afterAll hook,
 * and an error thrown from a timer after its test had passed.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seeds-report-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const FILES: Record<string, string> = {
  'a-test.test.ts': `import { expect, it } from 'vitest';\nit('adds up', () => expect(1 + 1).toBe(3));\nit('passes', () => undefined);\n`,
  'b-hook.test.ts': `import { afterAll, it } from 'vitest';\nafterAll(() => { throw new Error('the teardown broke'); });\nit('passes too', () => undefined);\n`,
  'c-late.test.ts': `import { it } from 'vitest';\nit('leaves a timer behind', () => new Promise<void>((done) => { setTimeout(() => { throw new Error('a late throw'); }, 1); setTimeout(done, 50); }));\n`
};

/** Runs vitest over the files with only the summary reporter; resolves with its exit code and the summary it wrote. */
function runVitest(): Promise<{ code: number | null; summary: { passed: number; failed: number; failures: string[] } }> {
  for (const [name, text] of Object.entries(FILES)) fs.writeFileSync(path.join(dir, name), text);
  const summaryFile = path.join(dir, 'summary.json');
  fs.writeFileSync(
    path.join(dir, 'vitest.config.mjs'),
    `export default { test: { include: ['*.test.ts'], reporters: [${JSON.stringify(path.join(root, 'tests/helpers/summary-reporter.ts'))}], fileParallelism: false } };\n`
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'vitest.config.mjs'], {
      cwd: dir,
      env: { ...process.env, TEST_SUMMARY_FILE: summaryFile, TEST_FILE_SECONDS: '' },
      stdio: 'ignore'
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, summary: JSON.parse(fs.readFileSync(summaryFile, 'utf8')) }));
  });
}

describe('the test summary', () => {
  it('names every failure with its first error line: a failed test, a failed hook, an error outside the tests', async () => {
    const { code, summary } = await runVitest();
    expect(code).not.toBe(0);
    expect(summary).toMatchObject({ passed: 3, failed: 1 });
    const text = summary.failures.join('\n');
    expect(text).toMatch(/a-test\.test\.ts > adds up\n\s+AssertionError: expected 2 to be 3/);
    expect(text).toMatch(/b-hook\.test\.ts \(the file, outside its tests\)\n\s+Error: the teardown broke/);
    expect(text).toMatch(/unhandled error in c-late\.test\.ts.*\n\s+Error: a late throw/);
    expect(text).not.toContain('passes');
  });
});
