/**
 * `npm run bench:joins`: M people join one session (REST join, then a socket.io
 * connection until its first snapshot), `BENCH_CONCURRENCY` at a time, everyone
 * staying connected, against our server (server/index.ts) and the bare
 * baseline (bench/bare-socket-server.ts: the same REST join with a hashed
 * token committed to SQLite WAL synchronous FULL before the answer, the
 * facilitator told of each join, everyone the count once per turn). Ours and
 * bare alternate, a fresh server each run, the server on core 1 and the load
 * on core 0 where there are two (bench/lib.ts). Reports the server's own CPU
 * per join (process.cpuUsage over the window): flat from the small to the large
 * size means a join costs the same however many are in the room.
 *
 * Env: BENCH_SIZES=200,1000  BENCH_CONCURRENCY=50  BENCH_REPEATS=3  BENCH_TARGETS=ours,bare  BENCH_QUIET_WAIT_S=20
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
  baseScript,
  runBenchmark,
  rotated
} from './lib';

const SIZES = (process.env.BENCH_SIZES ?? '200,1000').split(',').map(Number);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
/** `base`: our server from another checkout (BENCH_BASE_SCRIPT), interleaved with `ours` to A/B a change. */
type Target = 'ours' | 'bare' | 'base';
const TARGETS = (process.env.BENCH_TARGETS ?? 'ours,bare').split(',') as Target[];
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** BENCH_WARMUP=N: N sessions join (and leave) each fresh server before the measured one (join-load.ts `warmup`). */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 0);
const QUIET_WAIT_S = Number(process.env.BENCH_QUIET_WAIT_S ?? 20);
const RUNS = SIZES.length * TARGETS.length * REPEATS;
const guard = hardTimeout((120 + RUNS * (QUIET_WAIT_S + 120)) * 1000, () => [running.server?.child, running.load]);

interface LoadResult {
  joins: number;
  failures: number;
  durationS: number;
  joinsPerS: number;
  latency: Summary;
  loadCpuPercent: number;
  loadLoopDelayP99Ms: number;
}

interface Run extends LoadResult {
  target: Target;
  participants: number;
  server: ServerStats;
  busyBeforePercent: number;
}

async function runOnce(target: Target, participants: number): Promise<Run> {
  const { result, server, busyBeforePercent } = await measureRun<LoadResult>({
    start: () =>
      target !== 'bare'
        ? startServer(
            target === 'base' ? baseScript() : (process.env.BENCH_OURS_SCRIPT ?? 'server/index.ts'),
            { MAX_PARTICIPANTS: '2000', JOINS_PER_ADDRESS: '0' },
            `${target}-joins-${participants}`
          )
        : startServer(process.env.BENCH_BARE_SCRIPT ?? 'bench/bare-socket-server.ts', {}, `bare-joins-${participants}`),
    loadScript: 'bench/join-load.ts',
    setup: { target: target === 'bare' ? 'bare' : 'ours', participants, concurrency: CONCURRENCY, warmup: WARMUP },
    setupTimeoutMs: 60_000 * (1 + WARMUP),
    goTimeoutMs: 180_000
  });
  return { ...result, target, participants, server, busyBeforePercent };
}

async function main(): Promise<void> {
  const runs: Run[] = [];
  console.log(`joins benchmark: sizes ${SIZES.join(', ')}; ${CONCURRENCY} joins in flight; ${REPEATS} repeat(s); ${JSON.stringify(machine())}`);
  for (let repeat = 1; repeat <= REPEATS; repeat++) {
    for (const participants of SIZES) {
      for (const target of rotated(TARGETS, repeat)) {
        process.stdout.write(`  #${repeat} ${target} M=${participants} … `);
        const run = await runOnce(target, participants);
        runs.push(run);
        console.log(
          `${run.joinsPerS.toFixed(0)} joins/s, p99 ${run.latency.p99.toFixed(0)} ms, ${((1e3 * run.server.cpuSeconds) / run.joins).toFixed(2)} ms CPU/join, failures ${run.failures}`
        );
      }
    }
  }
  const groupOf = (target: string, participants: number) => runs.filter((r) => r.target === target && r.participants === participants);
  const cpuPerJoin = (r: Run) => (1e3 * r.server.cpuSeconds) / r.joins;
  const rows = SIZES.flatMap((participants) =>
    TARGETS.map((target) => {
      const group = groupOf(target, participants);
      return { participants, target, group, latency: medianSummary(group.map((r) => r.latency)) };
    })
  );
  console.log(
    `\nJoins, median (min–max) of ${REPEATS} run(s) per row; ms CPU/join = the server's own CPU time / joins; latency = POST → first snapshot (ms)\n`
  );
  console.log(
    table(
      ['M', 'server', 'ms CPU/join (min–max)', 'joins/s (min–max)', 'p50', 'p99', 'srv CPU%', 'srv RSS MiB', 'busy before%', 'fail'],
      rows.map((r) => [
        r.participants,
        r.target,
        spread(r.group.map(cpuPerJoin)),
        spread(r.group.map((g) => g.joinsPerS)),
        r.latency.p50,
        r.latency.p99,
        median(r.group.map((g) => g.server.cpuPercent)),
        median(r.group.map((g) => g.server.peakRssMiB)),
        median(r.group.map((g) => g.busyBeforePercent)),
        r.group.reduce((n, g) => n + g.failures, 0)
      ])
    )
  );
  const ratios = SIZES.map((participants) => ({
    participants,
    cpu: median(groupOf('ours', participants).map(cpuPerJoin)) / median(groupOf('bare', participants).map(cpuPerJoin)),
    throughput: median(groupOf('ours', participants).map((r) => r.joinsPerS)) / median(groupOf('bare', participants).map((r) => r.joinsPerS))
  })).filter((r) => Number.isFinite(r.cpu));
  if (ratios.length > 0) {
    console.log('\nOurs / bare (medians)\n');
    console.log(
      table(
        ['M', 'CPU/join ×', 'joins/s ×'],
        ratios.map((r) => [r.participants, r.cpu, r.throughput])
      )
    );
    for (const r of ratios) console.log(`Goal check, M=${r.participants}: CPU per join ${r.cpu.toFixed(2)}× bare (goal ≤ 1.1)`);
  }
  const file = writeResults('joins', {
    date: new Date().toISOString(),
    machine: machine(),
    concurrency: CONCURRENCY,
    repeats: REPEATS,
    ratios,
    runs: runs.map(({ ...r }) => r)
  });
  console.log(`\nResults written to ${file}`);
}

runBenchmark(main, guard);
