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
 *
 * BENCH_THREAD_LOG=<file>: at the end of each window the server appends a line with its CPU time in that window
 * by thread (the main thread, and V8's and libuv's helper threads together: mostly the optimising compiler
 * working in the background) and the garbage collector's pauses, to tell one-off compiling from per-operation
 * work in a short window (bench/README.md, "sixth pass").
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';

const profileDir = process.env.BENCH_WINDOW_PROF_DIR;
let session: Session | null = null;
let windows = 0;

process.on('SIGUSR2', () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(`cpu-usage ${user + system}\n`);
  if (threadLog) threadWindow();
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

const threadLog = process.env.BENCH_THREAD_LOG;
/** CPU milliseconds by thread so far: the main thread (its id is the process id) and all others together, from /proc. */
function threadTimes(): { main: number; helpers: number } {
  const times = { main: 0, helpers: 0 };
  const tick = 1000 / 100; // USER_HZ: 100 on Linux
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * tick;
      if (tid === String(process.pid)) times.main += ms;
      else times.helpers += ms;
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return times;
}
let windowStart: { main: number; helpers: number } | null = null;
const pauses = { scavenges: 0, other: 0, ms: 0 };
if (threadLog) {
  new PerformanceObserver((list) => {
    if (!windowStart) return;
    for (const entry of list.getEntries()) {
      // detail.kind 1 is a scavenge (young generation); anything else collects the old generation too.
      if ((entry as unknown as { detail?: { kind?: number } }).detail?.kind === 1) pauses.scavenges++;
      else pauses.other++;
      pauses.ms += entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });
}
function threadWindow(): void {
  if (!windowStart) {
    windowStart = threadTimes();
    Object.assign(pauses, { scavenges: 0, other: 0, ms: 0 });
    return;
  }
  const end = threadTimes();
  const start = windowStart;
  windowStart = null;
  const line = {
    label: process.env.BENCH_LABEL ?? 'server',
    mainMs: end.main - start.main,
    helpersMs: end.helpers - start.helpers,
    gc: { ...pauses, ms: Math.round(pauses.ms) }
  };
  fs.appendFileSync(threadLog!, `${JSON.stringify(line)}\n`);
}
