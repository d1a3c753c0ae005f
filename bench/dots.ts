/**
 * `npm run bench:dots`: N participants (250 and 500) each spend 3 dots on 10
 * action points, all at once (`burst`) or spread over about BENCH_WINDOW_MS
 * (`paced`), against our server (server/index.ts) and a bare socket.io server
 * with the same durability and authentication work that acks each dot after
 * its commit and broadcasts totals once per turn (bench/bare-dots-server.ts).
 * Ours and bare alternate, a fresh child process each run, the server on core 1
 * and the load on core 0 where there are two. Load comes from
 * bench/dot-load.ts. Reports the server's own CPU per dot (process.cpuUsage,
 * median with min–max) and bytes sent per dot (received by all clients during
 * the run). Numbers only; writes bench/results/dots-<date>.json.
 *
 * Env: BENCH_SIZES=250,500  BENCH_MODES=burst,paced  BENCH_WINDOW_MS=5000  BENCH_REPEATS=3  BENCH_TARGETS=ours,bare
 *      BENCH_QUIET_WAIT_S=20  SQLITE_SYNCHRONOUS (passed to our server)
 */
import {
  hardTimeout,
  machine,
  measureRun,
  median,
  medianSummary,
  running,
  spread,
  startServer,
  table,
  writeResults,
  type ServerStats,
  type Summary,
  runBenchmark
} from './lib';

const SIZES = (process.env.BENCH_SIZES ?? '250,500').split(',').map(Number);
const MODES = (process.env.BENCH_MODES ?? 'burst,paced').split(',') as ('burst' | 'paced')[];
const TARGETS = (process.env.BENCH_TARGETS ?? 'ours,bare').split(',') as ('ours' | 'bare')[];
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 5000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const DOTS = 3;
const POINTS = 10;
const QUIET_WAIT_S = Number(process.env.BENCH_QUIET_WAIT_S ?? 20);
const RUNS = SIZES.length * MODES.length * TARGETS.length * REPEATS;
const guard = hardTimeout((120 + RUNS * (QUIET_WAIT_S + 90)) * 1000, () => [running.server?.child, running.load]);

interface LoadResult {
  outcome: 'ok' | 'timeout';
  dots: number;
  failures: number;
  durationS: number;
  bytesReceived: number;
  seen: Summary;
  ack: Summary;
  loadCpuPercent: number;
  loadLoopDelayP99Ms: number;
}

interface Run extends LoadResult {
  target: 'ours' | 'bare';
  participants: number;
  mode: 'burst' | 'paced';
  server: ServerStats;
  busyBeforePercent: number;
}

async function runOnce(target: 'ours' | 'bare', participants: number, mode: 'burst' | 'paced'): Promise<Run> {
  const { result, server, busyBeforePercent } = await measureRun<LoadResult>({
    start: () =>
      target === 'ours'
        ? startServer('server/index.ts', { MAX_PARTICIPANTS: '2000', JOINS_PER_ADDRESS: '0' }, `ours-dots-${participants}-${mode}`)
        : startServer('bench/bare-dots-server.ts', {}, `bare-dots-${participants}-${mode}`),
    loadScript: 'bench/dot-load.ts',
    setup: { target, participants, dots: DOTS, points: POINTS, mode, windowMs: WINDOW_MS },
    setupTimeoutMs: 180_000,
    goTimeoutMs: 150_000
  });
  return { ...result, target, participants, mode, server, busyBeforePercent };
}

async function main(): Promise<void> {
  const runs: Run[] = [];
  console.log(
    `dots benchmark: ${SIZES.join(', ')} participants × ${DOTS} dots on ${POINTS} points; modes ${MODES.join(', ')}; ${REPEATS} repeat(s); ${JSON.stringify(machine())}`
  );
  for (let repeat = 1; repeat <= REPEATS; repeat++) {
    for (const participants of SIZES) {
      for (const mode of MODES) {
        for (const target of TARGETS) {
          process.stdout.write(`  #${repeat} ${target} N=${participants} ${mode} … `);
          const run = await runOnce(target, participants, mode);
          runs.push(run);
          console.log(
            `${run.outcome}: ${((1e3 * run.server.cpuSeconds) / run.dots).toFixed(3)} ms CPU/dot, ${(run.bytesReceived / run.dots).toFixed(0)} B/dot, ` +
              `ack p99 ${run.ack.p99.toFixed(1)} ms, failures ${run.failures}`
          );
        }
      }
    }
  }
  const rows = SIZES.flatMap((participants) =>
    MODES.flatMap((mode) =>
      TARGETS.map((target) => {
        const group = runs.filter((r) => r.target === target && r.participants === participants && r.mode === mode);
        const med = (pick: (r: Run) => number) => median(group.map(pick));
        return {
          participants,
          mode,
          target,
          dots: group[0].dots,
          msCpuPerDot: med((r) => (1e3 * r.server.cpuSeconds) / r.dots),
          msCpuPerDotSpread: spread(group.map((r) => (1e3 * r.server.cpuSeconds) / r.dots)),
          bytesPerDot: med((r) => r.bytesReceived / r.dots),
          seen: medianSummary(group.map((r) => r.seen)),
          ack: medianSummary(group.map((r) => r.ack)),
          serverCpuPercent: med((r) => r.server.cpuPercent),
          peakRssMiB: med((r) => r.server.peakRssMiB),
          failures: group.reduce((n, r) => n + r.failures + (r.outcome === 'ok' ? 0 : 1), 0)
        };
      })
    )
  );
  console.log(`\nDots, median of ${REPEATS} run(s) per row; ms CPU/dot = server CPU time / dots; B/dot = bytes all clients received / dots\n`);
  console.log(
    table(
      ['N', 'mode', 'server', 'dots', 'ms CPU/dot (min–max)', 'B/dot', 'seen p50', 'seen p99', 'ack p50', 'ack p99', 'srv CPU%', 'srv RSS MiB', 'fail'],
      rows.map((r) => [
        r.participants,
        r.mode,
        r.target,
        r.dots,
        r.msCpuPerDotSpread,
        r.bytesPerDot,
        r.seen.p50,
        r.seen.p99,
        r.ack.p50,
        r.ack.p99,
        r.serverCpuPercent,
        r.peakRssMiB,
        r.failures
      ])
    )
  );
  for (const participants of SIZES) {
    for (const mode of MODES) {
      const ours = rows.find((r) => r.target === 'ours' && r.participants === participants && r.mode === mode);
      const bare = rows.find((r) => r.target === 'bare' && r.participants === participants && r.mode === mode);
      if (ours)
        console.log(
          `Goal check, N=${participants} ${mode}: ${ours.msCpuPerDot.toFixed(3)} ms server CPU per dot (goal ≤ 2)` +
            (bare
              ? `; bare ${bare.msCpuPerDot.toFixed(3)} ms (ours ${(ours.msCpuPerDot / bare.msCpuPerDot).toFixed(2)}×); bytes per dot ${ours.bytesPerDot.toFixed(0)} vs bare ${bare.bytesPerDot.toFixed(0)}`
              : '')
        );
    }
  }
  const file = writeResults('dots', { date: new Date().toISOString(), machine: machine(), repeats: REPEATS, rows, runs });
  console.log(`\nResults written to ${file}`);
}

runBenchmark(main, guard);
