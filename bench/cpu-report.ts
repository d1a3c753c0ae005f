/**
 * Preloaded into every server a benchmark starts (bench/lib.ts startServer):
 * on SIGUSR2 the server reports its own CPU time (process.cpuUsage, user +
 * system, µs) on stdout, so the benchmark reads CPU per operation from the
 * server itself at the start and the end of the measured window.
 *
 * BENCH_WINDOW_PROF_DIR=<dir>: the server also profiles exactly that window
 * (V8's sampling profiler, every 100 µs, started by the first report and
 * stopped by the second), written as <dir>/<BENCH_LABEL>-<pid>-<n>.cpuprofile;
 * `bench/prof-diff.ts` compares such windows of two servers per operation.
 * `--cpu-prof` (BENCH_CPU_PROF=1) profiles the whole process instead, set-up
 * included, which ours and bare do differently.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const profileDir = process.env.BENCH_WINDOW_PROF_DIR;
let session: Session | null = null;
let windows = 0;

process.on('SIGUSR2', () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(`cpu-usage ${user + system}\n`);
  if (!profileDir) return;
  if (!session) {
    // The report is taken before the profiler starts and before it stops, but the sampling's own cost falls in the
    // window: a profiled run's CPU per operation is not the benchmark's figure.
    const started = new Session();
    started.connect();
    started.post('Profiler.enable');
    started.post('Profiler.setSamplingInterval', { interval: 100 });
    started.post('Profiler.start');
    session = started;
    return;
  }
  const stopping = session;
  session = null;
  stopping.post('Profiler.stop', (error, result) => {
    if (!error) {
      fs.mkdirSync(profileDir, { recursive: true });
      const file = path.join(profileDir, `${process.env.BENCH_LABEL ?? 'server'}-${process.pid}-${++windows}.cpuprofile`);
      fs.writeFileSync(file, JSON.stringify(result.profile));
    }
    stopping.disconnect();
  });
});
