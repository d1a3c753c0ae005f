/**
 * Shared benchmark plumbing: starting a server as a child process (so its CPU
 * and memory are its own), sampling /proc, percentiles, tables and a hard
 * timeout. Linux only (/proc); everything listens on 127.0.0.1.
 */
import { spawn, spawnSync, fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { io, type Socket } from 'socket.io-client';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
const CLK_TCK = 100; // getconf CLK_TCK on Linux/x86-64 and arm64
const TSX = ['--import', 'tsx'];
/** Loaded into every server under test: it reports its own CPU time on SIGUSR2 (bench/cpu-report.ts). */
const CPU_REPORT = ['--import', pathToFileURL(path.join(ROOT, 'bench', 'cpu-report.ts')).href];

/**
 * Where things run on a machine with two cores or more (BENCH_PIN=0 turns it off): the server under test on
 * core 1, the load and the benchmark itself on core 0, so they do not take each other's CPU. taskset -a pins
 * every thread of the process (the threads it starts later inherit it).
 */
export const CORES = { server: 1, load: 0 } as const;
const PIN = process.env.BENCH_PIN !== '0' && os.cpus().length >= 2 && spawnSync('taskset', ['--version']).status === 0;

/** Pins process `pid` (all its threads) to `core`; a no-op where pinning is off. Returns whether it pinned. */
export function pin(pid: number, core: number): boolean {
  if (!PIN) return false;
  return spawnSync('taskset', ['-a', '-cp', String(core), String(pid)], { stdio: 'ignore' }).status === 0;
}

/** Whether servers and load run on separate cores (printed with every result). */
export const pinned = () => PIN;

export interface ServerProcess {
  pid: number;
  url: string;
  child: ChildProcess;
  dataDir: string;
  /** The server's own CPU time so far in seconds, as it reports it (process.cpuUsage, via bench/cpu-report.ts). */
  cpuUsage(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Spawns `node --import tsx <script>` with PORT=0 on 127.0.0.1 and waits for
 * the `http://127.0.0.1:<port>` line it prints, pinned to `core` (null: not pinned). With BENCH_CPU_PROF=1 the
 * child runs under --cpu-prof (profiles written to bench/results/prof/<label>-<time>/ on exit).
 */
export async function startServer(
  script: string,
  env: Record<string, string> = {},
  label = script,
  core: number | null = CORES.server
): Promise<ServerProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seeds-bench-'));
  // One folder per run: Node writes one profile per thread (tsx's loader has its own); the largest file is the main thread.
  const prof = process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', '--cpu-prof-dir', path.join(RESULTS_DIR, 'prof', `${label}-${Date.now()}`)] : [];
  // BENCH_NODE_ARGS: Node and V8 flags for the servers alone (e.g. `--no-opt`, `--trace-opt --trace-deopt` with BENCH_SERVER_LOG).
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, ...prof, ...TSX, ...CPU_REPORT, script], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, APP_DIR: dataDir, PURGE_AFTER_DAYS: '0', BENCH_LABEL: label, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  if (core !== null) pin(child.pid!, core);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  // CPU reports (bench/cpu-report.ts), answered in order.
  const cpuWaiters: ((seconds: number) => void)[] = [];
  let lines = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    // BENCH_SERVER_LOG=<path>: each server's output is kept in <path>.<pid>, its `cpu-usage` lines marking the window.
    if (process.env.BENCH_SERVER_LOG) fs.appendFileSync(`${process.env.BENCH_SERVER_LOG}.${child.pid}`, chunk);
    // Matched before trimming: a server that prints much (a V8 trace) must not push a report out of the buffer.
    lines += chunk.toString();
    for (let match = /cpu-usage (\d+)\n/.exec(lines); match; match = /cpu-usage (\d+)\n/.exec(lines)) {
      lines = lines.slice(match.index + match[0].length);
      cpuWaiters.shift()?.(Number(match[1]) / 1e6);
    }
    lines = lines.slice(-4000);
  });
  const cpuUsage = () =>
    new Promise<number>((resolve, reject) => {
      // 60 s, not 10: at load 20 on two cores a server starved that long failed whole bench:actions runs (2026-12-07).
      const timer = setTimeout(() => reject(new Error(`${script} did not report its CPU time in 60 s`)), 60_000);
      cpuWaiters.push((seconds) => {
        clearTimeout(timer);
        resolve(seconds);
      });
      child.kill('SIGUSR2');
    });
  const url = await new Promise<string>((resolve, reject) => {
    // BENCH_START_TIMEOUT_S: on a machine shared with other builds, tsx compiling the server can take longer than 20 s.
    const startSeconds = Number(process.env.BENCH_START_TIMEOUT_S ?? 60);
    const timer = setTimeout(() => reject(new Error(`${script} did not print its URL in ${startSeconds} s: ${stderr}`)), startSeconds * 1000);
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = out.match(/http:\/\/127\.0\.0\.1:(\d+)/);
      if (match) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${match[1]}`);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited early (${code}): ${stderr}`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { pid: child.pid!, url, child, dataDir, cpuUsage, stop };
}

/** Forks a load generator (`node --import tsx <script>`) with an IPC channel. */
export function forkLoad(script: string, core: number | null = CORES.load): ChildProcess {
  const child = fork(path.join(ROOT, script), [], { cwd: ROOT, execArgv: TSX, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  if (core !== null) pin(child.pid!, core);
  return child;
}

/** Sends one message and waits for the child's reply of the given type. */
export function request<T>(child: ChildProcess, message: unknown, replyType: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no "${replyType}" from load generator in ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: { type: string; error?: string }) => {
      if (m.type === 'error') done(new Error(`load generator: ${m.error}`));
      else if (m.type === replyType) done(null, m as T);
    };
    const onExit = (code: number | null) => done(new Error(`load generator exited (${code})`));
    const done = (error: Error | null, value?: T) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value!);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message as object);
  });
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/**
 * CPU seconds of a process and all its children, living and ended: its own
 * time, its reaped children's (cutime + cstime, fields 16–17) and each
 * living child's (found by parent pid in /proc). For a PostgreSQL postmaster
 * this is the whole server: every backend, the WAL writer, the checkpointer.
 * A child that exited but was not reaped yet is missed (a few ms at most).
 */
export function treeCpuSeconds(pid: number): number {
  const fieldsOf = (p: string) => {
    const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  };
  const own = fieldsOf(String(pid));
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || entry === String(pid)) continue;
    try {
      const fields = fieldsOf(entry);
      // Field 4 is the parent pid.
      if (Number(fields[1]) === pid) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // ended while we looked
    }
  }
  return ticks / CLK_TCK;
}

/** VmRSS and VmHWM (peak RSS) in MiB. */
export function memory(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+)`, 'm'))?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
function machineJiffies(): { busy: number; total: number } {
  const [, ...rest] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const v = rest.map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - v[3] - v[4], total };
}

/**
 * Waits (at most `maxSeconds`) until the whole machine was less than
 * `thresholdPercent` busy (all cores together) over one second, so runs
 * do not start in the middle of someone else's burst. Returns the busy %
 * of the last second; runs still go ahead when it never got quiet.
 */
export async function waitForQuiet(maxSeconds = Number(process.env.BENCH_QUIET_WAIT_S ?? 20), thresholdPercent = 30): Promise<number> {
  const deadline = performance.now() + maxSeconds * 1000;
  const cores = os.cpus().length;
  for (;;) {
    const a = machineJiffies();
    await sleep(1000);
    const b = machineJiffies();
    const busy = (100 * cores * (b.busy - a.busy)) / Math.max(1, b.total - a.total);
    if (busy < thresholdPercent || performance.now() > deadline) return busy;
  }
}

/** Measures a process over a window: CPU% (of one core) and peak RSS. */
export class ProcWindow {
  private readonly cpu0: number;
  private readonly machine0 = machineJiffies();
  private readonly t0 = performance.now();
  private peakRss = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(readonly pid: number) {
    this.cpu0 = cpuSeconds(pid);
    this.timer = setInterval(() => this.sample(), 50);
    this.sample();
  }

  private sample(): void {
    try {
      this.peakRss = Math.max(this.peakRss, memory(this.pid).rssMiB);
    } catch {
      // the process is gone; keep what we have
    }
  }

  /** `machineBusyPercent` is all cores together (200 = both cores of a 2-core machine busy). */
  end(): { cpuPercent: number; cpuSeconds: number; peakRssMiB: number; hwmMiB: number; machineBusyPercent: number } {
    clearInterval(this.timer);
    this.sample();
    const used = cpuSeconds(this.pid) - this.cpu0;
    const wall = (performance.now() - this.t0) / 1000;
    const m = machineJiffies();
    const cores = os.cpus().length;
    const machineBusyPercent = (100 * cores * (m.busy - this.machine0.busy)) / Math.max(1, m.total - this.machine0.total);
    return { cpuPercent: (100 * used) / wall, cpuSeconds: used, peakRssMiB: this.peakRss, hwmMiB: memory(this.pid).hwmMiB, machineBusyPercent };
  }
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** What bench/vote-load.ts answers to `go` (bench/votes.ts and bench/scale.ts read it). */
export interface VoteLoadResult {
  outcome: 'ok' | 'timeout';
  votes: number;
  reflectedCount: number;
  failures: number;
  progressEvents: number;
  durationS: number;
  reflectedPerS: number;
  ackedPerS: number;
  reflected: Summary;
  /** Per-vote attribution from the facilitator's participant views: named sessions of ours only. */
  exact: Summary | null;
  ack: Summary;
  loadCpuPercent: number;
  loadLoopDelayP99Ms: number;
}

/** Nearest-rank percentiles of a list of milliseconds. */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return { n, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
  const at = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
  let sum = 0;
  for (const v of sorted) sum += v;
  return { n, p50: at(50), p95: at(95), p99: at(99), max: sorted[n - 1], mean: sum / n };
}

/** "median (min–max)" of repeated runs, for tables. */
export function spread(values: number[]): string {
  if (values.length === 0) return '—';
  return `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

/** Field-by-field median of several summaries (of repeated runs). */
export function medianSummary(list: Summary[]): Summary {
  const pick = (key: keyof Summary) => median(list.map((s) => s[key]));
  return { n: pick('n'), p50: pick('p50'), p95: pick('p95'), p99: pick('p99'), max: pick('max'), mean: pick('mean') };
}

/** A growable Float64Array for many latency samples. */
export class Samples {
  private data = new Float64Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/** Prints rows as an aligned text table. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? (Number.isInteger(c) ? String(c) : fmt(c)) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  const line = (r: (string | number)[]) => r.map((c, i) => String(c).padStart(widths[i])).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function fmt(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** Writes JSON results to bench/results/<name>-<date>.json and returns the path. */
export function writeResults(name: string, data: unknown): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const file = path.join(RESULTS_DIR, `${name}-${stamp}.json`);
  fs.writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}

/** Kills everything we started and exits if the whole run takes longer than `ms`. */
export function hardTimeout(ms: number, children: () => (ChildProcess | undefined)[]): NodeJS.Timeout {
  return setTimeout(() => {
    console.error(`\nBenchmark exceeded its hard timeout of ${ms / 1000} s; stopping.`);
    for (const child of children()) if (child && child.exitCode === null) child.kill('SIGKILL');
    process.exit(2);
  }, ms);
}

/** Machine facts printed with every result. */
export function machine() {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? '?',
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    tmpdir: os.tmpdir(),
    pinned: PIN ? `server on core ${CORES.server}, load on core ${CORES.load}` : 'no (one core, no taskset, or BENCH_PIN=0)'
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `task` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The children of the run in progress, so the hard time-out can kill them. */
export const running: { server?: ServerProcess; load?: ChildProcess } = {};

export type ServerStats = ReturnType<ProcWindow['end']>;

/**
 * One measured run: starts the server under test and a load process, sets the
 * load up, waits for a quiet machine, measures the server while the load runs,
 * and always stops both.
 */
export async function measureRun<R>(options: {
  start: () => Promise<ServerProcess>;
  loadScript: string;
  setup: object;
  setupTimeoutMs: number;
  goTimeoutMs: number;
}): Promise<{ result: R; server: ServerStats; busyBeforePercent: number }> {
  pin(process.pid, CORES.load);
  const server = (running.server = await options.start());
  const load = (running.load = forkLoad(options.loadScript));
  try {
    await request(load, { type: 'setup', url: server.url, ...options.setup }, 'ready', options.setupTimeoutMs);
    const busyBeforePercent = await waitForQuiet();
    const cpu0 = await server.cpuUsage();
    const t0 = performance.now();
    const window = new ProcWindow(server.pid);
    const result = await request<R>(load, { type: 'go' }, 'done', options.goTimeoutMs);
    const stats = window.end();
    // CPU per operation from the server's own account (process.cpuUsage), over the same window.
    const cpuSeconds = (await server.cpuUsage()) - cpu0;
    const wallS = (performance.now() - t0) / 1000;
    return { result, server: { ...stats, cpuSeconds, cpuPercent: (100 * cpuSeconds) / wallS }, busyBeforePercent };
  } finally {
    if (load.connected) load.send({ type: 'exit' });
    await new Promise((resolve) => (load.exitCode === null ? load.once('exit', resolve) : resolve(null)));
    await server.stop();
    running.server = undefined;
    running.load = undefined;
  }
}

/**
 * The message loop of a load child process: `setup` runs `prepare` and answers
 * `ready`, `go` runs the load and answers its result, `exit` cleans up and
 * leaves. Errors travel back as `{type: 'error'}`.
 */
export function serveLoadProcess<S>(handlers: { prepare: (setup: S) => Promise<void>; run: () => Promise<object>; cleanup: () => void }): void {
  const send = (message: object) => process.send!(message);
  process.on('message', (message: { type: string }) => {
    const reply = (work: Promise<object>) =>
      work.then(send, (error: unknown) => send({ type: 'error', error: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
    if (message.type === 'setup') reply(handlers.prepare(message as S).then(() => ({ type: 'ready' })));
    else if (message.type === 'go') reply(handlers.run());
    else if (message.type === 'exit') {
      handlers.cleanup();
      setTimeout(() => process.exit(0), 100);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/** The server of another checkout that the `base` target runs (e.g. main's, in a detached worktree), to A/B a change in one interleaved run. */
export function baseScript(): string {
  const script = process.env.BENCH_BASE_SCRIPT;
  if (!script) throw new Error('the `base` target needs BENCH_BASE_SCRIPT=<another checkout>/server/index.ts');
  return script;
}

/**
 * A JSON POST from a load process that must answer 201. With `retryOnce`, a failed connection is tried once more
 * (on a loaded machine a kept-alive socket the server was closing): for setup only, never inside a measured window.
 */
export async function postJson<T>(url: string, body: unknown, options: { retryOnce?: boolean } = {}): Promise<T> {
  const send = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const response = options.retryOnce
    ? await send().catch((error: Error) => {
        console.error(`POST ${url} failed (${String((error.cause as Error | undefined)?.message ?? error.message)}); once more`);
        return send();
      })
    : await send();
  if (response.status !== 201) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * A socket.io connection from a load process, resolved at its first `state`. With `routeByCode` (the default),
 * `query.code` lets a proxy or another instance route the connection to the session's owner (docs/scaling.md);
 * `beforeConnect` hooks the socket before it connects (e.g. to count the bytes it receives).
 */
export function connectForState(
  url: string,
  auth: Record<string, unknown>,
  options: { timeoutMs?: number; routeByCode?: boolean; beforeConnect?: (socket: Socket) => void } = {}
): Promise<Socket> {
  const { timeoutMs = 15_000, routeByCode = true } = options;
  const query = routeByCode && typeof auth.code === 'string' ? { code: auth.code } : undefined;
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth, ...(query ? { query } : {}) });
  options.beforeConnect?.(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no state within ${timeoutMs / 1000} s`)), timeoutMs);
    socket.once('state', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * The load process's own cost over a run: its CPU and its event-loop delay, so a result can show when the load
 * generator, not the server, was the bottleneck. `stop()` ends the measure; the figures are per wall second given.
 */
export function startLoadMeter(): { stop: () => (wallS: number) => { loadCpuPercent: number; loadLoopDelayP99Ms: number } } {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  return {
    stop: () => {
      loop.disable();
      const cpu = process.cpuUsage(cpu0);
      const loopDelayP99Ms = loop.percentile(99) / 1e6;
      return (wallS) => ({ loadCpuPercent: (100 * (cpu.user + cpu.system)) / 1e6 / wallS, loadLoopDelayP99Ms: loopDelayP99Ms });
    }
  };
}

/** Runs a benchmark's `main` and exits: 0 when it is done (its hard time-out cleared), 1 after stopping the children of a failed run. */
export function runBenchmark(main: () => Promise<void>, guard: NodeJS.Timeout): void {
  main().then(
    () => {
      clearTimeout(guard);
      process.exit(0);
    },
    async (error) => {
      console.error(error);
      running.load?.kill('SIGKILL');
      await running.server?.stop();
      process.exit(1);
    }
  );
}

/**
 * The targets in the order of one repeat: rotated by one each repeat, so that no target always runs first
 * (right after the previous size's teardown, on a machine still busy with it) or always last.
 */
export function rotated<T>(targets: readonly T[], repeat: number): T[] {
  const shift = (repeat - 1) % targets.length;
  return [...targets.slice(shift), ...targets.slice(0, shift)];
}
