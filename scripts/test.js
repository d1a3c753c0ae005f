// `npm test`: every vitest project (unit, integration, e2e), each in a vitest run of its own, so that
// a failing project does not stop the others. Unit runs first and alone (it is short and all CPU);
// then integration and e2e run side by side: most of integration's time is spent waiting (for child
// servers, PostgreSQL, leases, sockets), so on two cores it fits beside the browser tests instead of
// after them. Each side-by-side project's output is held back and printed whole when it ends, so
// every project's report stays one block. TEST_SERIAL=1 runs the projects one after another instead.
// Ends with each project's time and counts and the closing `N passed, N failed, N skipped` line over
// all of them (CI reads it), and exits non-zero when any project failed. Extra arguments go to every vitest run.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const serial = Boolean(process.env.TEST_SERIAL);
/** Projects in each phase run side by side; the phases run one after another. */
const PHASES = serial ? [['unit'], ['integration'], ['e2e']] : [['unit'], ['integration', 'e2e']];
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const extra = process.argv.slice(2);
const suiteStarted = Date.now();
const load = () => `load ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} cores`;
// Rounded to whole seconds first, so 959.6 s reads 16 min 0 s, not 15 min 60 s.
const minutes = (seconds) => {
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
};

const sync = spawnSync(process.execPath, [path.join(root, 'node_modules', '@sveltejs', 'kit', 'svelte-kit.js'), 'sync'], { cwd: root, stdio: 'inherit' });
if (sync.status !== 0) {
  console.error('svelte-kit sync failed');
  process.exit(sync.status ?? 1);
}

// The browser tests need the production build. It is made here, before any vitest starts, rather than
// by the e2e global setup: the build rewrites .svelte-kit/tsconfig.json, which a vitest running beside
// it reads while it transforms. E2E_SKIP_BUILD=1 reuses an existing build.
let buildFailed = false;
if (!process.env.E2E_SKIP_BUILD) {
  const buildStarted = Date.now();
  console.log(`\n== build for the browser tests (${load()})`);
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  buildFailed = build.status !== 0;
  console.log(`== build ${buildFailed ? 'FAILED' : 'done'} in ${minutes((Date.now() - buildStarted) / 1000)}`);
}

/**
 * Runs one project; resolves with its exit code (signal: 1) once vitest has exited. Alone it prints as
 * it goes; beside another its output is collected and printed whole at its end.
 */
function run(project, summaryFile, alone) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [vitest, 'run', '--project', project, ...extra], {
      cwd: root,
      stdio: alone ? 'inherit' : ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TEST_SUMMARY_FILE: summaryFile, E2E_SKIP_BUILD: '1' }
    });
    const chunks = [];
    child.stdout?.on('data', (chunk) => chunks.push(chunk));
    child.stderr?.on('data', (chunk) => chunks.push(chunk));
    // A vitest killed by a signal counts as failed.
    child.once('close', (code, signal) => resolve({ code: signal ? 1 : (code ?? 1), output: Buffer.concat(chunks) }));
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seeds-test-summary-'));
const results = [];
const started = Date.now();
for (const phase of PHASES) {
  const alone = phase.length === 1;
  if (!alone) console.log(`\n== ${phase.join(' and ')} side by side (${load()}); each report follows when its project ends`);
  // Without live output, a line a minute says the run is alive.
  const alive = alone ? null : setInterval(() => console.log(`   … ${minutes((Date.now() - started) / 1000)} in, ${load()}`), 60_000);
  await Promise.all(
    phase.map(async (project) => {
      if (alone) console.log(`\n== ${project} (${load()})`);
      const summaryFile = path.join(dir, `${project}.json`);
      const projectStarted = Date.now();
      // Without a build the browser tests cannot run: e2e counts as failed (the build's output says why).
      const { code, output } =
        project === 'e2e' && buildFailed ? { code: 1, output: Buffer.from('not run: the build failed\n') } : await run(project, summaryFile, alone);
      const seconds = (Date.now() - projectStarted) / 1000;
      if (!alone) {
        console.log(`\n== ${project} (ended after ${minutes(seconds)}, ${load()})`);
        process.stdout.write(output);
      }
      let counts = null;
      try {
        counts = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
      } catch {
        // No summary: vitest stopped before reporting (e.g. a failing global setup).
      }
      results.push({ project, code, seconds, counts });
    })
  );
  if (alive) clearInterval(alive);
}
fs.rmSync(dir, { recursive: true, force: true });

const total = { passed: 0, failed: 0, skipped: 0 };
console.log(
  `\n== per project (${serial ? 'one after another' : 'integration and e2e side by side'}; ${minutes((Date.now() - suiteStarted) / 1000)} in all, build included)`
);
for (const { project, code, seconds, counts } of results.sort((a, b) => PHASES.flat().indexOf(a.project) - PHASES.flat().indexOf(b.project))) {
  const time = minutes(seconds).padEnd(14);
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
// What failed, again at the end (CI shows a log's tail; the reports above are long).
for (const { project, counts } of results) {
  if (counts?.failures?.length) console.log(`\n== what failed in ${project}\n${counts.failures.join('\n')}`);
}
console.log(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(failedProjects.length ? 1 : 0);
