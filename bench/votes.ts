/**
 * `npm run bench:votes`: M participants each cast 12 votes (sequentially, each
 * after the previous ack; all participants at once), against our server
 * (server/index.ts) and a bare socket.io server (bench/bare-socket-server.ts),
 * each a fresh child process per run so its CPU and peak RSS are its own.
 * Load comes from another child (bench/vote-load.ts); see it for how latency
 * is measured. Prints numbers only (no assertions) and writes
 * bench/results/votes-<date>.json.
 *
 * Both servers do the same durability and authentication work (REST join with
 * a hashed token; each vote acked only after it committed to SQLite WAL with
 * synchronous FULL, one transaction per event-loop turn); the server runs on
 * core 1 and the load on core 0 where there are two (bench/lib.ts); ours and
 * bare alternate, a fresh server each run. CPU per vote is the server's own
 * process.cpuUsage over the measured window: the figure to trust on a shared machine.
 *
 * Env: BENCH_SIZES=200,1000  BENCH_MODES=burst (or burst,paced)  BENCH_WINDOW_MS=5000
 *      BENCH_REPEATS=3 (medians are reported)  BENCH_TARGETS=ours,bare
 *      BENCH_QUIET_WAIT_S=20 (wait up to this long for an idle machine before each run)
 *      BARE_MIRROR=1 (the bare server also sends our per-participant fan-out)  BENCH_CPU_PROF=1 (profile the servers)
 *      SQLITE_SYNCHRONOUS (passed to our server; default FULL)
 *      BENCH_OURS_SCRIPT=<path to another copy's server/index.ts> (A/B a server change)
 *      BENCH_BASE_SCRIPT=<the same> with BENCH_TARGETS=ours,base,bare (both interleaved in one run)
 *
 * Modes: `burst` sends the next vote as soon as the previous one is acked
 * (a closed loop: measures capacity, latency is queueing under saturation);
 * `paced` waits a random 0…2·window/12 before each vote, so each person's 12
 * votes spread over about `window` ms (a realistic offered load).
 */
import {
  spread,
  hardTimeout,
  machine,
  measureRun,
  median,
  medianSummary,
  running,
  startServer,
  table,
  writeResults,
  type ServerStats,
  type Summary,
  type VoteLoadResult,
  baseScript,
  runBenchmark,
  rotated
} from './lib';

const SIZES = (process.env.BENCH_SIZES ?? '200,1000').split(',').map(Number);
const MODES = (process.env.BENCH_MODES ?? 'burst').split(',') as ('burst' | 'paced')[];
const TARGETS = (process.env.BENCH_TARGETS ?? 'ours,bare').split(',') as Target[];
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 5000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** BENCH_WARMUP=N: N unmeasured sessions join and vote their whole ballot on each fresh server before the measured one (vote-load.ts `warmup`). */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 0);

/** `base`: our server from another checkout (BENCH_BASE_SCRIPT), interleaved with `ours` to A/B a change. */
type Target = 'ours' | 'bare' | 'base';

interface Run extends VoteLoadResult {
  target: Target;
  participants: number;
  mode: 'burst' | 'paced';
  server: ServerStats;
  /** Machine busy % (all cores) in the second before the run started. */
  busyBeforePercent: number;
}

const QUIET_WAIT_S = Number(process.env.BENCH_QUIET_WAIT_S ?? 20);
const RUNS = SIZES.length * MODES.length * TARGETS.length * REPEATS;
const guard = hardTimeout((120 + RUNS * (QUIET_WAIT_S + 90)) * 1000, () => [running.server?.child, running.load]);

async function runOnce(target: Target, participants: number, mode: 'burst' | 'paced'): Promise<Run> {
  const { result, server, busyBeforePercent } = await measureRun<VoteLoadResult>({
    start: () =>
      target !== 'bare'
        ? startServer(
            target === 'base' ? baseScript() : (process.env.BENCH_OURS_SCRIPT ?? 'server/index.ts'),
            { MAX_PARTICIPANTS: '2000', JOINS_PER_ADDRESS: '0' },
            `${target}-votes-${participants}-${mode}`
          )
        : startServer(
            process.env.BENCH_BARE_SCRIPT ?? 'bench/bare-socket-server.ts',
            { BARE_MIRROR: process.env.BARE_MIRROR ?? '0' },
            `bare-votes-${participants}-${mode}`
          ),
    loadScript: 'bench/vote-load.ts',
    setup: { target: target === 'bare' ? 'bare' : 'ours', participants, mode, windowMs: WINDOW_MS, warmup: WARMUP },
    setupTimeoutMs: 180_000 * (1 + WARMUP),
    goTimeoutMs: 150_000
  });
  return { ...result, target, participants, mode, server, busyBeforePercent };
}

/** Median of each number across repeated runs of one configuration. */
function medianRun(runs: Run[]): Run & { repeats: number } {
  const med = (pick: (r: Run) => number) => median(runs.map(pick));
  const sum = (pick: (r: Run) => Summary | null): Summary | null => (pick(runs[0]) ? medianSummary(runs.map((r) => pick(r)!)) : null);
  const first = runs[0];
  return {
    ...first,
    repeats: runs.length,
    outcome: runs.every((r) => r.outcome === 'ok') ? 'ok' : 'timeout',
    failures: runs.reduce((a, r) => a + r.failures + (r.outcome === 'ok' ? 0 : r.votes - r.reflectedCount), 0),
    reflectedPerS: med((r) => r.reflectedPerS),
    ackedPerS: med((r) => r.ackedPerS),
    reflected: sum((r) => r.reflected)!,
    exact: sum((r) => r.exact),
    ack: sum((r) => r.ack)!,
    loadCpuPercent: med((r) => r.loadCpuPercent),
    loadLoopDelayP99Ms: med((r) => r.loadLoopDelayP99Ms),
    busyBeforePercent: med((r) => r.busyBeforePercent),
    server: {
      cpuPercent: med((r) => r.server.cpuPercent),
      cpuSeconds: med((r) => r.server.cpuSeconds),
      peakRssMiB: med((r) => r.server.peakRssMiB),
      hwmMiB: med((r) => r.server.hwmMiB),
      machineBusyPercent: med((r) => r.server.machineBusyPercent)
    }
  };
}

async function main(): Promise<void> {
  const runs: Run[] = [];
  console.log(
    `votes benchmark: sizes ${SIZES.join(', ')}; modes ${MODES.join(', ')}; paced window ${WINDOW_MS} ms; ${REPEATS} repeat(s); ${JSON.stringify(machine())}`
  );
  for (let repeat = 1; repeat <= REPEATS; repeat++) {
    for (const participants of SIZES) {
      for (const mode of MODES) {
        for (const target of rotated(TARGETS, repeat)) {
          process.stdout.write(`  #${repeat} ${target} M=${participants} ${mode} … `);
          const run = await runOnce(target, participants, mode);
          runs.push(run);
          console.log(
            `${run.outcome}: ${run.reflectedPerS.toFixed(0)} votes/s, p99 ${run.reflected.p99.toFixed(1)} ms, server CPU ${run.server.cpuPercent.toFixed(0)}%, ` +
              `machine ${run.server.machineBusyPercent.toFixed(0)}%, failures ${run.failures}`
          );
        }
      }
    }
  }
  const medians = SIZES.flatMap((participants) =>
    MODES.flatMap((mode) => TARGETS.map((target) => medianRun(runs.filter((r) => r.target === target && r.participants === participants && r.mode === mode))))
  );

  const groupOf = (r: { target: string; participants: number; mode: string }) =>
    runs.filter((g) => g.target === r.target && g.participants === r.participants && g.mode === r.mode);
  console.log(`\nVote → facilitator progress, median of ${REPEATS} run(s) per row (ms; "exact" = per-vote attribution, ours only)`);
  console.log('votes/s = votes reflected per second; CPU% is of one core; µs/vote = server CPU time per vote;');
  console.log('"other CPU%" = everything else on the machine during the run (noise from other processes; 200% = both cores);');
  console.log('"busy before%" = the machine in the second before the run (runs wait up to BENCH_QUIET_WAIT_S for < 30%)\n');
  console.log(
    table(
      [
        'M',
        'mode',
        'server',
        'votes',
        'votes/s (min–max)',
        'p50',
        'p95',
        'p99',
        'max',
        'p99 exact',
        'ack p99',
        'srv CPU%',
        'µs CPU/vote (min–max)',
        'srv RSS MiB',
        'srv HWM MiB',
        'load CPU%',
        'load lag p99',
        'other CPU%',
        'busy before%',
        'fail'
      ],
      medians.map((r) => [
        r.participants,
        r.mode,
        r.target,
        r.votes,
        spread(groupOf(r).map((g) => g.reflectedPerS)),
        r.reflected.p50,
        r.reflected.p95,
        r.reflected.p99,
        r.reflected.max,
        r.exact ? r.exact.p99 : NaN,
        r.ack.p99,
        r.server.cpuPercent,
        spread(groupOf(r).map((g) => (1e6 * g.server.cpuSeconds) / g.votes)),
        r.server.peakRssMiB,
        r.server.hwmMiB,
        r.loadCpuPercent,
        r.loadLoopDelayP99Ms,
        Math.max(0, r.server.machineBusyPercent - r.server.cpuPercent - r.loadCpuPercent),
        r.busyBeforePercent,
        r.failures
      ])
    )
  );

  const ratios: { participants: number; mode: string; throughputRatio: number; p99Ratio: number; cpuPerVoteRatio: number }[] = [];
  for (const participants of SIZES) {
    for (const mode of MODES) {
      const ours = medians.find((r) => r.target === 'ours' && r.participants === participants && r.mode === mode);
      const bare = medians.find((r) => r.target === 'bare' && r.participants === participants && r.mode === mode);
      if (ours && bare)
        ratios.push({
          participants,
          mode,
          throughputRatio: ours.reflectedPerS / bare.reflectedPerS,
          p99Ratio: ours.reflected.p99 / bare.reflected.p99,
          // Median CPU per vote of ours over bare's (the goal: ≤ 1.1×).
          cpuPerVoteRatio: median(groupOf(ours).map((g) => g.server.cpuSeconds / g.votes)) / median(groupOf(bare).map((g) => g.server.cpuSeconds / g.votes))
        });
    }
  }
  if (ratios.length > 0) {
    console.log('\nOurs / bare socket.io (medians)\n');
    console.log(
      table(
        ['M', 'mode', 'throughput ×', 'p99 ×', 'CPU/vote ×'],
        ratios.map((r) => [r.participants, r.mode, r.throughputRatio, r.p99Ratio, r.cpuPerVoteRatio])
      )
    );
  }
  for (const ratio of ratios)
    console.log(`Goal check, M=${ratio.participants} ${ratio.mode}: CPU per vote ${ratio.cpuPerVoteRatio.toFixed(2)}× bare (goal ≤ 1.1)`);
  const file = writeResults('votes', { date: new Date().toISOString(), machine: machine(), windowMs: WINDOW_MS, repeats: REPEATS, medians, ratios, runs });
  console.log(`\nResults written to ${file}`);
}

runBenchmark(main, guard);
