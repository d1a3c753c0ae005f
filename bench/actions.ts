/**
 * `npm run bench:actions`: E editors (y-websocket providers) type into A
 * action points at R characters per second each for S seconds, against our
 * server (server/index.ts: session moved lobby→voting→revealed→actions first)
 * and the bare `@y/websocket-server` relay (bench/bare-yjs-server.ts), each a
 * fresh child process per run so its CPU and peak RSS are its own. Load comes
 * from another child (bench/action-load.ts; see it for the latency method).
 * Prints numbers only and writes bench/results/actions-<date>.json.
 *
 * Target `hostile` is our server with one more participant flooding it during
 * the run (updates of ~175 KB naming 25,000 made-up Yjs client ids, back to
 * back; see bench/action-load.ts): the honest editors' latency is compared with
 * the `ours` run of the same repeat (issue 10: p99 within 2×).
 *
 * Env: BENCH_EDITORS=50 BENCH_ACTIONS=10 BENCH_RATE=10 BENCH_SECONDS=20
 *      BENCH_REPEATS=3 BENCH_TARGETS=ours,hostile,bare BENCH_CPU_PROF=1
 *      BENCH_QUIET_WAIT_S=20 (wait up to this long for an idle machine before each run)
 *      SQLITE_SYNCHRONOUS (passed to our server; default FULL)
 *      BENCH_OURS_SCRIPT=<path to another copy's server/index.ts> (A/B a server change)
 *      BENCH_BASE_SCRIPT=<the same> with BENCH_TARGETS=ours,base,bare (both interleaved in one run)
 */
import os from 'node:os';
import {
  baseScript,
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
  runBenchmark,
  rotated
} from './lib';

const EDITORS = Number(process.env.BENCH_EDITORS ?? 50);
const ACTIONS = Number(process.env.BENCH_ACTIONS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** `base`: our server from another checkout (BENCH_BASE_SCRIPT), interleaved with `ours` to A/B a change. */
type Target = 'ours' | 'hostile' | 'bare' | 'base';
const TARGETS = (process.env.BENCH_TARGETS ?? 'ours,hostile,bare').split(',') as Target[];

interface LoadResult {
  keystrokes: number;
  deliveries: number;
  expectedDeliveries: number;
  typingS: number;
  wallS: number;
  converged: boolean;
  latency: Summary;
  loadCpuPercent: number;
  loadLoopDelayP99Ms: number;
  /** Flood updates the hostile client got sent (and their MB), 0 without one. */
  hostileUpdates: number;
  hostileMb: number;
}

interface Run extends LoadResult {
  target: Target;
  repeat: number;
  server: ServerStats;
  /** Machine busy % (all cores) in the second before the run started. */
  busyBeforePercent: number;
  /** The machine's 1-minute load average when the run ended. */
  loadAverage: number;
}

const QUIET_WAIT_S = Number(process.env.BENCH_QUIET_WAIT_S ?? 20);
const guard = hardTimeout((3 * 60 + REPEATS * TARGETS.length * (SECONDS + QUIET_WAIT_S + 90)) * 1000, () => [running.server?.child, running.load]);

async function runOnce(target: Target, repeat: number): Promise<Run> {
  const { result, server, busyBeforePercent } = await measureRun<LoadResult>({
    start: () =>
      target !== 'bare'
        ? startServer(
            target === 'base' ? baseScript() : (process.env.BENCH_OURS_SCRIPT ?? 'server/index.ts'),
            { MAX_PARTICIPANTS: String(Math.max(500, EDITORS)), JOINS_PER_ADDRESS: '0' },
            `${target === 'base' ? 'base' : 'ours'}-actions`
          )
        : startServer(process.env.BENCH_BARE_SCRIPT ?? 'bench/bare-yjs-server.ts', {}, 'bare-actions'),
    loadScript: 'bench/action-load.ts',
    setup: { target: target === 'bare' ? 'bare' : 'ours', hostile: target === 'hostile', editors: EDITORS, actions: ACTIONS, rate: RATE, seconds: SECONDS },
    setupTimeoutMs: 120_000,
    goTimeoutMs: (SECONDS + 45) * 1000
  });
  return { ...result, target, repeat, server, busyBeforePercent, loadAverage: os.loadavg()[0] };
}

async function main(): Promise<void> {
  console.log(
    `actions benchmark: ${EDITORS} editors, ${ACTIONS} action points, ${RATE} chars/s each for ${SECONDS} s; ${REPEATS} repeat(s); ${JSON.stringify(machine())}`
  );
  const runs: Run[] = [];
  for (let repeat = 1; repeat <= REPEATS; repeat++) {
    for (const target of rotated(TARGETS, repeat)) {
      process.stdout.write(`  #${repeat} ${target} … `);
      const run = await runOnce(target, repeat);
      runs.push(run);
      console.log(
        `${run.deliveries}/${run.expectedDeliveries} deliveries, p50 ${run.latency.p50.toFixed(1)} ms, p99 ${run.latency.p99.toFixed(1)} ms, ` +
          (run.hostileUpdates ? `${run.hostileUpdates} flood updates (${run.hostileMb.toFixed(0)} MB), ` : '') +
          `server CPU ${run.server.cpuPercent.toFixed(0)}%, machine ${run.server.machineBusyPercent.toFixed(0)}%`
      );
    }
  }

  console.log('\nKeystroke → every other editor’s doc (ms, all keystroke×receiver pairs); CPU% is of one core;');
  console.log('µs/key = server CPU time per keystroke; "other CPU%" = the rest of the machine during the run (200% = both cores);');
  console.log('"busy before%" = the machine in the second before the run (runs wait up to BENCH_QUIET_WAIT_S for < 30%)\n');
  console.log(
    table(
      [
        '#',
        'server',
        'keys',
        'deliveries',
        'p50',
        'p95',
        'p99',
        'max',
        'srv CPU%',
        'µs/key',
        'srv RSS MiB',
        'srv HWM MiB',
        'load CPU%',
        'load lag p99',
        'other CPU%',
        'busy before%',
        'load avg',
        'flood upd',
        'converged'
      ],
      runs.map((r) => [
        r.repeat,
        r.target,
        r.keystrokes,
        `${r.deliveries}/${r.expectedDeliveries}`,
        r.latency.p50,
        r.latency.p95,
        r.latency.p99,
        r.latency.max,
        r.server.cpuPercent,
        (1e6 * r.server.cpuSeconds) / r.keystrokes,
        r.server.peakRssMiB,
        r.server.hwmMiB,
        r.loadCpuPercent,
        r.loadLoopDelayP99Ms,
        Math.max(0, r.server.machineBusyPercent - r.server.cpuPercent - r.loadCpuPercent),
        r.busyBeforePercent,
        r.loadAverage,
        r.hostileUpdates,
        r.converged ? 'yes' : 'NO'
      ])
    )
  );

  // Server CPU per keystroke per target over the repeats, and the ratios of those medians (the issue's goal: ours ≤ 1.2× bare).
  const perKey = (r: Run) => (1e6 * r.server.cpuSeconds) / r.keystrokes;
  const ran = TARGETS.filter((t) => runs.some((r) => r.target === t));
  const keyMedian = new Map(ran.map((t) => [t, median(runs.filter((r) => r.target === t).map(perKey))]));
  console.log(`\nServer CPU per keystroke over ${REPEATS} repeat(s): median (min–max); load average ${spread(runs.map((r) => r.loadAverage))}\n`);
  console.log(
    table(
      ['server', 'µs/key', 'CPU s', 'p50 ms', 'p99 ms'],
      ran.map((t) => {
        const list = runs.filter((r) => r.target === t);
        return [
          t,
          spread(list.map(perKey)),
          spread(list.map((r) => r.server.cpuSeconds)),
          spread(list.map((r) => r.latency.p50)),
          spread(list.map((r) => r.latency.p99))
        ];
      })
    )
  );
  const keyRatios = (
    [
      ['ours', 'bare'],
      ['base', 'bare'],
      ['ours', 'base']
    ] as const
  ).flatMap(([a, b]) => (keyMedian.has(a) && keyMedian.has(b) ? [{ pair: `${a}/${b}`, cpuPerKey: keyMedian.get(a)! / keyMedian.get(b)! }] : []));
  if (keyRatios.length > 0) console.log(`\nCPU per keystroke, ratio of medians: ${keyRatios.map((r) => `${r.pair} ${r.cpuPerKey.toFixed(2)}×`).join(', ')}`);

  // Each repeat compares ours and bare run back to back; the median row is over repeats.
  const ratioOf = (ours: { latency: Summary; cpuSeconds: number }, bare: { latency: Summary; cpuSeconds: number }) => ({
    p50: ours.latency.p50 / bare.latency.p50,
    p99: ours.latency.p99 / bare.latency.p99,
    cpu: ours.cpuSeconds / bare.cpuSeconds
  });
  const flat = (r: Run) => ({ latency: r.latency, cpuSeconds: r.server.cpuSeconds });
  const medianOf = (target: Target) => {
    const list = runs.filter((r) => r.target === target);
    return list.length ? { latency: medianSummary(list.map((r) => r.latency)), cpuSeconds: median(list.map((r) => r.server.cpuSeconds)) } : null;
  };
  const ratios: { repeat: number | 'median'; p50: number; p99: number; cpu: number }[] = [];
  for (const ours of runs.filter((r) => r.target === 'ours')) {
    const bare = runs.find((r) => r.target === 'bare' && r.repeat === ours.repeat);
    if (bare) ratios.push({ repeat: ours.repeat, ...ratioOf(flat(ours), flat(bare)) });
  }
  const [oursMedian, bareMedian, hostileMedian] = [medianOf('ours'), medianOf('bare'), medianOf('hostile')];
  if (oursMedian && bareMedian && REPEATS > 1) {
    ratios.push({ repeat: 'median', ...ratioOf(oursMedian, bareMedian) });
    console.log(`\nMedians over ${REPEATS} repeats (ms)\n`);
    console.log(
      table(
        ['server', 'p50', 'p95', 'p99', 'max', 'CPU s'],
        (
          [
            ['ours', oursMedian],
            ['hostile', hostileMedian],
            ['bare', bareMedian]
          ] as const
        ).flatMap(([name, m]) => (m ? [[name, m.latency.p50, m.latency.p95, m.latency.p99, m.latency.max, m.cpuSeconds]] : []))
      )
    );
  }
  // The hostile client's cost to honest editors: each hostile run against the plain run of its repeat.
  const underAttack: { repeat: number | 'median'; p50: number; p99: number; cpu: number }[] = [];
  for (const hostile of runs.filter((r) => r.target === 'hostile')) {
    const ours = runs.find((r) => r.target === 'ours' && r.repeat === hostile.repeat);
    if (ours) underAttack.push({ repeat: hostile.repeat, ...ratioOf(flat(hostile), flat(ours)) });
  }
  if (hostileMedian && oursMedian && REPEATS > 1) underAttack.push({ repeat: 'median', ...ratioOf(hostileMedian, oursMedian) });
  if (underAttack.length > 0) {
    console.log('\nWith the hostile client / without it (goal: honest p99 ≤ 2×)\n');
    console.log(
      table(
        ['#', 'p50 ×', 'p99 ×', 'CPU ×'],
        underAttack.map((r) => [String(r.repeat), r.p50, r.p99, r.cpu])
      )
    );
  }
  if (ratios.length > 0) {
    console.log('\nOurs / bare @y/websocket-server (goal: latency ≤ 1.2×)\n');
    console.log(
      table(
        ['#', 'p50 ×', 'p99 ×', 'CPU ×'],
        ratios.map((r) => [String(r.repeat), r.p50, r.p99, r.cpu])
      )
    );
  }
  const file = writeResults('actions', {
    date: new Date().toISOString(),
    machine: machine(),
    editors: EDITORS,
    actions: ACTIONS,
    rate: RATE,
    seconds: SECONDS,
    runs,
    ratios,
    keyRatios,
    underAttack
  });
  console.log(`\nResults written to ${file}`);
}

runBenchmark(main, guard);
