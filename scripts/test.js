// `npm test`: every vitest project (unit, integration, e2e) one after the other, each in a vitest
// run of its own, so that a failing project does not stop the others. Ends with each project's time
// and counts and the closing `N passed, N failed, N skipped` line over all of them (CI reads it),
// and exits non-zero when any project failed. Extra arguments go to every vitest run.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROJECTS = ['unit', 'integration', 'e2e'];
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const extra = process.argv.slice(2);

const sync = spawnSync(process.execPath, [path.join(root, 'node_modules', '@sveltejs', 'kit', 'svelte-kit.js'), 'sync'], { cwd: root, stdio: 'inherit' });
if (sync.status !== 0) {
  console.error('svelte-kit sync failed');
  process.exit(sync.status ?? 1);
}

/** Runs one project; resolves with its exit code (signal: 1) once vitest has exited. */
function run(project, summaryFile) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [vitest, 'run', '--project', project, ...extra], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, TEST_SUMMARY_FILE: summaryFile }
    });
    // A vitest killed by a signal counts as failed.
    child.once('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seeds-test-summary-'));
const results = [];
for (const project of PROJECTS) {
  console.log(`\n== ${project} (load ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} cores)`);
  const summaryFile = path.join(dir, `${project}.json`);
  const started = Date.now();
  const code = await run(project, summaryFile);
  const seconds = (Date.now() - started) / 1000;
  let counts = null;
  try {
    counts = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
  } catch {
    // No summary: vitest stopped before reporting (e.g. a failing global setup).
  }
  results.push({ project, code, seconds, counts });
}
fs.rmSync(dir, { recursive: true, force: true });

const total = { passed: 0, failed: 0, skipped: 0 };
console.log('\n== per project');
for (const { project, code, seconds, counts } of results) {
  const time = `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`.padEnd(14);
  const status = code === 0 ? 'ok    ' : `FAILED (exit ${code})`;
  if (counts) {
    total.passed += counts.passed;
    total.skipped += counts.skipped;
    // A run that failed with no failed test (an error outside the tests) still counts as a failure.
    total.failed += counts.failed || (code === 0 ? 0 : 1);
    console.log(`${project.padEnd(12)} ${time} ${status}  ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  } else {
    total.failed += code === 0 ? 0 : 1;
    console.log(`${project.padEnd(12)} ${time} ${status}  no summary (stopped before reporting)`);
  }
}
const failedProjects = results.filter((r) => r.code !== 0).map((r) => r.project);
if (failedProjects.length) console.log(`failed: ${failedProjects.join(', ')}`);
console.log(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(failedProjects.length ? 1 : 0);
