/**
 * `npm run bench:scale`: many sessions voting at once (default 50 sessions ×
 * 40 participants × 12 votes) against, in one run:
 *
 *   bare     the bare socket.io vote server (bench/bare-socket-server.ts), one session per `auth.session`
 *   sqlite   one instance of ours on its SQLite file (a real file in a temp DATA_DIR)
 *   pg       one instance of ours on PostgreSQL (a throwaway local cluster, fsync on)
 *   pg-fenced  the same instance with INSTANCE_URL set: it takes its sessions' leases and fences every write by
 *            their epochs, as each instance of a cluster does (docs/scaling.md, "Fencing"); against `pg`, what
 *            fencing costs a vote, with no proxy or second instance in the way
 *   cluster  two instances of ours (INSTANCE_URL, the same PostgreSQL database) behind nginx
 *            with docs/deploy/nginx-cluster.conf; sessions are created alternately at
 *            each instance (as facilitators at different addresses would be), everything
 *            else goes through nginx, which hashes by session code; a new session is taken
 *            by the instance its code is routed to (docs/scaling.md), so a connection is
 *            forwarded (one more hop) only while a session moves. The share forwarded is
 *            read from the instances' own counters (GET /cluster/routing) and printed, with
 *            the CPU per vote of the two instances against one (pg)
 *
 * Each run starts its servers fresh (own temp DATA_DIR, own database) and one load
 * process (bench/vote-load.ts: all facilitators and participants, one clock), which
 * sets up while nothing is measured; then the servers' CPU is read from /proc over
 * the voting: the Node processes, the PostgreSQL server (postmaster and every backend,
 * bench/lib.ts treeCpuSeconds) and nginx. Everything is torn down after each run,
 * failed or not. Prints numbers only and writes bench/results/scale-<date>.json.
 *
 * Flags (or env): --sessions N (BENCH_SESSIONS, 50)  --participants M (BENCH_PARTICIPANTS, 40)
 *   --modes burst,paced (BENCH_MODES)  --configs bare,sqlite,pg,pg-fenced,cluster (BENCH_CONFIGS; each repeat rotates their order)
 *   --window-ms 30000 (BENCH_WINDOW_MS: `paced` spreads each person's 12 votes over about this long)  --repeats 1 (BENCH_REPEATS; medians)
 *   --quick (10 sessions × 20 participants)   BENCH_QUIET_WAIT_S (20: wait for an idle machine before each run)
 *   BENCH_OURS_SCRIPT=<another checkout>/server/index.ts (our server from there)
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDatabase, dropDatabase, freePort, startCluster, type PgCluster } from '../tests/helpers/postgres';
import { launchNginxCluster } from '../tests/helpers/nginx-process';
import {
  cpuSeconds,
  CORES,
  forkLoad,
  machine,
  median,
  ProcWindow,
  request,
  startServer,
  table,
  treeCpuSeconds,
  waitForQuiet,
  writeResults,
  type Summary,
  type VoteLoadResult
} from './lib';

const CONFIGS = ['bare', 'sqlite', 'pg', 'pg-fenced', 'cluster'] as const;
/** Our server; BENCH_OURS_SCRIPT=<another checkout>/server/index.ts measures that checkout instead (an A/B of a change, run by run). */
const OURS_SCRIPT = process.env.BENCH_OURS_SCRIPT ?? 'server/index.ts';
type Config = (typeof CONFIGS)[number];
type Mode = 'burst' | 'paced';

const { values: flags } = parseArgs({
  options: {
    sessions: { type: 'string' },
    participants: { type: 'string' },
    modes: { type: 'string' },
    configs: { type: 'string' },
    'window-ms': { type: 'string' },
    repeats: { type: 'string' },
    quick: { type: 'boolean', default: false }
  }
});
const count = (flag: string | undefined, env: string | undefined, fallback: number, name: string) => {
  const value = Number(flag ?? env ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1`);
  return value;
};
const SESSIONS = count(flags.sessions, process.env.BENCH_SESSIONS, flags.quick ? 10 : 50, 'sessions');
const PARTICIPANTS = count(flags.participants, process.env.BENCH_PARTICIPANTS, flags.quick ? 20 : 40, 'participants');
const WINDOW_MS = count(flags['window-ms'], process.env.BENCH_WINDOW_MS, 30_000, 'window-ms');
const REPEATS = count(flags.repeats, process.env.BENCH_REPEATS, 1, 'repeats');
const MODES = (flags.modes ?? process.env.BENCH_MODES ?? 'burst,paced').split(',') as Mode[];
const SELECTED = (flags.configs ?? process.env.BENCH_CONFIGS ?? CONFIGS.join(',')).split(',') as Config[];
for (const mode of MODES) if (mode !== 'burst' && mode !== 'paced') throw new Error(`unknown mode ${mode}`);
for (const config of SELECTED) if (!CONFIGS.includes(config)) throw new Error(`unknown configuration ${config} (${CONFIGS.join(', ')})`);
const QUIET_WAIT_S = Number(process.env.BENCH_QUIET_WAIT_S ?? 20);

/** Our server's limits, opened up for one load process creating and joining many sessions from 127.0.0.1. */
const OURS_ENV = {
  MAX_PARTICIPANTS: String(Math.max(500, PARTICIPANTS)),
  SESSIONS_PER_HOUR: '0',
  JOINS_PER_ADDRESS: '0',
  MAX_LIVE_SESSIONS: String(Math.max(1000, 2 * SESSIONS))
};

/** The servers of one configuration, running. */
interface Stack {
  url: string;
  createUrls?: string[];
  /** The Node.js server processes (one, or the two instances). */
  nodePids: number[];
  postmasterPid?: number;
  nginxPid?: number;
  /** The two instances' ports (cluster only), to count forwarded connections between them. */
  instancePorts?: [number, number];
  /** The two instances' own addresses (cluster only), to read their routing counters. */
  instanceUrls?: string[];
}

/** What must be undone, newest first; run after every run and on any failure or time-out. */
const cleanups: (() => Promise<unknown>)[] = [];
const pids = new Set<number>();
/** Undoes steps until `keep` are left; calls queue behind each other, so an abort waits for a run's own clean-up instead of racing it. */
let unwinding = Promise.resolve();
function unwind(keep: number): Promise<void> {
  unwinding = unwinding.then(async () => {
    while (cleanups.length > keep) {
      const step = cleanups.pop()!;
      await step().catch((error: unknown) => console.error('clean-up:', error instanceof Error ? error.message : error));
    }
  });
  return unwinding;
}
const cleanUp = () => unwind(0);

let pgCluster: PgCluster | null = null;
async function postgres(): Promise<PgCluster> {
  if (!pgCluster) {
    pgCluster = await startCluster();
    const cluster = pgCluster;
    // Stopped after everything else (first in, last out).
    cleanups.unshift(() => cluster.stop());
  }
  return pgCluster;
}

async function postmasterPid(cluster: PgCluster): Promise<number> {
  return Number(fs.readFileSync(path.join(cluster.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

async function startStack(config: Config, label: string): Promise<Stack> {
  const server = async (script: string, env: Record<string, string>, name: string) => {
    // One instance: on its own core, the load on the other. Two instances and nginx cannot each have a core of two: none is pinned.
    const started = await startServer(script, env, name, config === 'cluster' ? null : CORES.server);
    pids.add(started.pid);
    cleanups.push(async () => {
      await started.stop();
      pids.delete(started.pid);
    });
    return started;
  };
  switch (config) {
    case 'bare': {
      const bare = await server('bench/bare-socket-server.ts', {}, `bare-${label}`);
      return { url: bare.url, nodePids: [bare.pid] };
    }
    case 'sqlite': {
      const ours = await server(OURS_SCRIPT, OURS_ENV, `sqlite-${label}`);
      return { url: ours.url, nodePids: [ours.pid] };
    }
    case 'pg':
    case 'pg-fenced':
    case 'cluster': {
      const cluster = await postgres();
      const databaseUrl = await createDatabase(cluster.adminUrl, 'scale');
      cleanups.push(() => dropDatabase(cluster.adminUrl, databaseUrl));
      const postmaster = await postmasterPid(cluster);
      if (config === 'pg') {
        const ours = await server(OURS_SCRIPT, { ...OURS_ENV, DATABASE_URL: databaseUrl }, `pg-${label}`);
        return { url: ours.url, nodePids: [ours.pid], postmasterPid: postmaster };
      }
      if (config === 'pg-fenced') {
        const port = await freePort();
        const ours = await server(
          OURS_SCRIPT,
          { ...OURS_ENV, PORT: String(port), DATABASE_URL: databaseUrl, INSTANCE_URL: `http://127.0.0.1:${port}` },
          `pg-fenced-${label}`
        );
        return { url: ours.url, nodePids: [ours.pid], postmasterPid: postmaster };
      }
      const ports: [number, number] = [await freePort(), await freePort()];
      const instances = await Promise.all(
        ports.map((port, i) =>
          server(
            OURS_SCRIPT,
            { ...OURS_ENV, PORT: String(port), DATABASE_URL: databaseUrl, INSTANCE_URL: `http://127.0.0.1:${port}`, TRUST_PROXY: 'loopback' },
            `cluster${i + 1}-${label}`
          )
        )
      );
      // Each client connection is two of nginx's (client side, upstream side).
      const nginx = await launchNginxCluster(ports, { workerConnections: 2 * SESSIONS * (PARTICIPANTS + 1) + 512 });
      pids.add(nginx.pid);
      cleanups.push(async () => {
        await nginx.stop();
        pids.delete(nginx.pid);
      });
      return {
        url: nginx.url,
        createUrls: instances.map((i) => i.url),
        nodePids: instances.map((i) => i.pid),
        postmasterPid: postmaster,
        nginxPid: nginx.pid,
        instancePorts: ports,
        instanceUrls: instances.map((i) => i.url)
      };
    }
  }
}

/** Established TCP connections process `pid` holds to 127.0.0.1:`port` (its socket fds matched in /proc/net/tcp). */
function connectionsTo(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // closed while we looked
    }
  }
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let count = 0;
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    // sl, local address, remote address, state (01 = ESTABLISHED), …, inode (10th field).
    const fields = line.trim().split(/\s+/);
    if (fields.length > 9 && fields[3] === '01' && fields[2].endsWith(hexPort) && inodes.has(fields[9])) count++;
  }
  return count;
}

interface Run extends VoteLoadResult {
  config: Config;
  mode: Mode;
  /** Server CPU seconds over the voting: the Node.js process(es), PostgreSQL (postmaster and its backends), nginx. */
  cpu: { node: number; postgres: number; nginx: number };
  nodeCpuPercent: number;
  nodePeakRssMiB: number;
  machineBusyPercent: number;
  busyBeforePercent: number;
  /** Cluster: connections one instance forwards to the other (each one client's socket.io connection), of `connections`. */
  forwarded: number | null;
  connections: number;
  /** Cluster: what the instances counted after setup (GET /cluster/routing), both together: forwarded of all that came from clients. */
  routing: { websocket: { forwarded: number; of: number }; http: { forwarded: number; of: number } } | null;
}

type RouteCount = { served: number; forwarded: number };
/** Both instances' routing counters, summed: WebSocket connections and HTTP requests about a session, forwarded of all. */
async function routingOf(urls: string[]): Promise<NonNullable<Run['routing']>> {
  const counts = await Promise.all(
    urls.map(async (url) => {
      const response = await fetch(`${url}/cluster/routing`);
      if (!response.ok) throw new Error(`GET ${url}/cluster/routing: ${response.status}`);
      return (await response.json()) as { http: RouteCount; websocket: RouteCount };
    })
  );
  const share = (kind: 'http' | 'websocket') => ({
    forwarded: counts.reduce((a, c) => a + c[kind].forwarded, 0),
    of: counts.reduce((a, c) => a + c[kind].forwarded + c[kind].served, 0)
  });
  return { websocket: share('websocket'), http: share('http') };
}

async function runOnce(config: Config, mode: Mode, repeat: number): Promise<Run> {
  const label = `${mode}-${repeat}`;
  try {
    const stack = await startStack(config, label);
    const load = forkLoad('bench/vote-load.ts', config === 'cluster' ? null : CORES.load);
    pids.add(load.pid!);
    cleanups.push(async () => {
      if (load.connected) load.send({ type: 'exit' });
      const exited = new Promise((resolve) => (load.exitCode === null && load.signalCode === null ? load.once('exit', resolve) : resolve(null)));
      const timer = setTimeout(() => load.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      pids.delete(load.pid!);
    });
    const setup = {
      type: 'setup',
      target: config === 'bare' ? 'bare' : 'ours',
      url: stack.url,
      createUrls: stack.createUrls,
      sessions: SESSIONS,
      participants: PARTICIPANTS,
      mode,
      windowMs: WINDOW_MS
    };
    await request(load, setup, 'ready', 300_000);
    const ports = stack.instancePorts;
    const forwarded = ports ? connectionsTo(stack.nodePids[0], ports[1]) + connectionsTo(stack.nodePids[1], ports[0]) : null;
    const routing = stack.instanceUrls ? await routingOf(stack.instanceUrls) : null;
    const busyBeforePercent = await waitForQuiet(QUIET_WAIT_S);
    const windows = stack.nodePids.map((pid) => new ProcWindow(pid));
    const pg0 = stack.postmasterPid ? treeCpuSeconds(stack.postmasterPid) : 0;
    const nginx0 = stack.nginxPid ? cpuSeconds(stack.nginxPid) : 0;
    const result = await request<VoteLoadResult>(load, { type: 'go' }, 'done', 150_000);
    const node = windows.map((w) => w.end());
    const cpu = {
      node: node.reduce((a, w) => a + w.cpuSeconds, 0),
      postgres: stack.postmasterPid ? treeCpuSeconds(stack.postmasterPid) - pg0 : 0,
      nginx: stack.nginxPid ? cpuSeconds(stack.nginxPid) - nginx0 : 0
    };
    return {
      ...result,
      config,
      mode,
      cpu,
      nodeCpuPercent: node.reduce((a, w) => a + w.cpuPercent, 0),
      nodePeakRssMiB: node.reduce((a, w) => a + w.peakRssMiB, 0),
      machineBusyPercent: node[0].machineBusyPercent,
      busyBeforePercent,
      forwarded,
      connections: SESSIONS * (PARTICIPANTS + 1),
      routing
    };
  } finally {
    // Everything but the PostgreSQL cluster, which the next run reuses (a new database each time).
    await unwind(pgCluster ? 1 : 0);
  }
}

const totalCpu = (r: Run) => r.cpu.node + r.cpu.postgres + r.cpu.nginx;
const usPerVote = (seconds: number, r: Run) => (1e6 * seconds) / r.votes;

/** The median run of a configuration and mode, by each number separately. */
function medianRun(runs: Run[]): Run {
  if (runs.length === 1) return runs[0];
  const med = (pick: (r: Run) => number) => median(runs.map(pick));
  const sum = (pick: (r: Run) => Summary): Summary => {
    const keys = Object.keys(pick(runs[0])) as (keyof Summary)[];
    return Object.fromEntries(keys.map((k) => [k, med((r) => pick(r)[k])])) as unknown as Summary;
  };
  return {
    ...runs[0],
    outcome: runs.every((r) => r.outcome === 'ok') ? 'ok' : 'timeout',
    failures: runs.reduce((a, r) => a + r.failures, 0),
    reflectedPerS: med((r) => r.reflectedPerS),
    ackedPerS: med((r) => r.ackedPerS),
    reflected: sum((r) => r.reflected),
    exact: runs[0].exact ? sum((r) => r.exact!) : null,
    ack: sum((r) => r.ack),
    loadCpuPercent: med((r) => r.loadCpuPercent),
    loadLoopDelayP99Ms: med((r) => r.loadLoopDelayP99Ms),
    cpu: { node: med((r) => r.cpu.node), postgres: med((r) => r.cpu.postgres), nginx: med((r) => r.cpu.nginx) },
    nodeCpuPercent: med((r) => r.nodeCpuPercent),
    nodePeakRssMiB: med((r) => r.nodePeakRssMiB),
    machineBusyPercent: med((r) => r.machineBusyPercent),
    busyBeforePercent: med((r) => r.busyBeforePercent),
    forwarded: runs[0].forwarded === null ? null : med((r) => r.forwarded!),
    routing: runs[0].routing
      ? {
          websocket: { forwarded: med((r) => r.routing!.websocket.forwarded), of: med((r) => r.routing!.websocket.of) },
          http: { forwarded: med((r) => r.routing!.http.forwarded), of: med((r) => r.routing!.http.of) }
        }
      : null
  };
}

async function main(): Promise<void> {
  console.log(
    `scale benchmark: ${SESSIONS} sessions × ${PARTICIPANTS} participants × 12 votes; configurations ${SELECTED.join(', ')}; modes ${MODES.join(', ')}; ` +
      `paced window ${WINDOW_MS} ms; ${REPEATS} repeat(s); ${JSON.stringify(machine())}`
  );
  const runs: Run[] = [];
  for (let repeat = 1; repeat <= REPEATS; repeat++) {
    for (const mode of MODES) {
      // Rotated each repeat, so that no configuration always runs in another's wake.
      for (const config of SELECTED.map((_, i) => SELECTED[(i + repeat - 1) % SELECTED.length])) {
        process.stdout.write(`  #${repeat} ${config} ${mode} … `);
        const run = await runOnce(config, mode, repeat);
        runs.push(run);
        console.log(
          `${run.outcome}: ${run.ackedPerS.toFixed(0)} votes/s acked, p99 ${run.reflected.p99.toFixed(1)} ms, ` +
            `${usPerVote(totalCpu(run), run).toFixed(0)} µs server CPU/vote, failures ${run.failures}`
        );
      }
    }
  }
  await cleanUp();

  const medians = MODES.flatMap((mode) => SELECTED.map((config) => medianRun(runs.filter((r) => r.config === config && r.mode === mode))));
  console.log(`\n${SESSIONS} sessions × ${PARTICIPANTS} participants × 12 votes (${SESSIONS * PARTICIPANTS * 12} votes), median of ${REPEATS} run(s)`);
  console.log('votes/s = votes acknowledged per second; p50/p99 = a vote → its facilitator seeing the updated progress (ms);');
  console.log('µs/vote = CPU time per vote of the Node.js server process(es), of PostgreSQL (postmaster + backends), of nginx, and all together;');
  console.log('"load CPU%" = the load process (one core = 100); "other CPU%" = the rest of the machine during the run (200 = both cores)\n');
  console.log(
    table(
      [
        'mode',
        'config',
        'votes/s',
        'p50',
        'p99',
        'ack p99',
        'node µs/vote',
        'pg µs/vote',
        'nginx µs/vote',
        'total µs/vote',
        'node CPU%',
        'node RSS MiB',
        'load CPU%',
        'load lag p99',
        'other CPU%',
        'fail'
      ],
      medians.map((r) => [
        r.mode,
        r.config,
        r.ackedPerS,
        r.reflected.p50,
        r.reflected.p99,
        r.ack.p99,
        usPerVote(r.cpu.node, r),
        r.config === 'pg' || r.config === 'pg-fenced' || r.config === 'cluster' ? usPerVote(r.cpu.postgres, r) : NaN,
        r.config === 'cluster' ? usPerVote(r.cpu.nginx, r) : NaN,
        usPerVote(totalCpu(r), r),
        r.nodeCpuPercent,
        r.nodePeakRssMiB,
        r.loadCpuPercent,
        r.loadLoopDelayP99Ms,
        Math.max(0, r.machineBusyPercent - r.nodeCpuPercent - r.loadCpuPercent - (100 * (r.cpu.postgres + r.cpu.nginx)) / r.durationS),
        r.failures + (r.outcome === 'ok' ? 0 : r.votes - r.reflectedCount)
      ])
    )
  );

  const percent = (part: number, whole: number) => (whole > 0 ? ((100 * part) / whole).toFixed(1) : '–');
  for (const r of medians.filter((m) => m.forwarded !== null)) {
    const routed = r.routing!;
    console.log(
      `\ncluster ${r.mode}: forwarded (one more hop) ${routed.websocket.forwarded} of ${routed.websocket.of} WebSocket connections ` +
        `(${percent(routed.websocket.forwarded, routed.websocket.of)} %) and ${routed.http.forwarded} of ${routed.http.of} session HTTP requests ` +
        `(${percent(routed.http.forwarded, routed.http.of)} %), counted by the instances; ${r.forwarded} of ${r.connections} client connections ` +
        `open through a tunnel between the instances during the voting (/proc)`
    );
    const one = medians.find((m) => m.mode === r.mode && m.config === 'pg');
    if (one) {
      console.log(
        `cluster ${r.mode}: CPU per vote, two instances ${usPerVote(totalCpu(r), r).toFixed(0)} µs (Node.js ${usPerVote(r.cpu.node, r).toFixed(0)}) ` +
          `against one ${usPerVote(totalCpu(one), one).toFixed(0)} µs (Node.js ${usPerVote(one.cpu.node, one).toFixed(0)}): ` +
          `${(totalCpu(r) / r.votes / (totalCpu(one) / one.votes)).toFixed(2)}× in all, ${(r.cpu.node / r.votes / (one.cpu.node / one.votes)).toFixed(2)}× Node.js`
      );
    }
  }

  const ratios: { mode: Mode; config: Config; against: Config; throughput: number; p50: number; p99: number; cpuPerVote: number }[] = [];
  for (const mode of MODES) {
    for (const against of ['pg', 'sqlite', 'bare'] as const) {
      const base = medians.find((r) => r.mode === mode && r.config === against);
      if (!base) continue;
      // Against one instance on PostgreSQL: what fencing costs (pg-fenced), and what the second instance with nginx and forwarding costs.
      const compared: readonly Config[] = against === 'pg' ? ['pg-fenced', 'cluster'] : CONFIGS.filter((c) => c !== against && c !== 'bare');
      for (const r of medians.filter((m) => m.mode === mode && compared.includes(m.config))) {
        ratios.push({
          mode,
          config: r.config,
          against,
          throughput: r.ackedPerS / base.ackedPerS,
          p50: r.reflected.p50 / base.reflected.p50,
          p99: r.reflected.p99 / base.reflected.p99,
          cpuPerVote: totalCpu(r) / totalCpu(base)
        });
      }
    }
  }
  if (ratios.length > 0) {
    console.log('\nRatios (total server CPU per vote includes PostgreSQL and nginx)\n');
    console.log(
      table(
        ['mode', 'config', 'against', 'throughput ×', 'p50 ×', 'p99 ×', 'CPU/vote ×'],
        ratios.map((r) => [r.mode, r.config, r.against, r.throughput, r.p50, r.p99, r.cpuPerVote])
      )
    );
  }
  const file = writeResults('scale', {
    date: new Date().toISOString(),
    machine: machine(),
    sessions: SESSIONS,
    participants: PARTICIPANTS,
    windowMs: WINDOW_MS,
    repeats: REPEATS,
    medians,
    ratios,
    runs
  });
  console.log(`\nResults written to ${file}`);
}

// A hard cap on the whole run: setup of 2,000 clients takes up to a minute per run on this machine.
const RUNS = MODES.length * SELECTED.length * REPEATS;
const HARD_TIMEOUT_MS = (180 + RUNS * (QUIET_WAIT_S + 480)) * 1000;
let stopping = false;
async function abort(reason: string, code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.error(`\n${reason}; stopping every server.`);
    await Promise.race([cleanUp(), new Promise((resolve) => setTimeout(resolve, 20_000))]);
    // Whatever did not stop in time.
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  process.exit(code);
}
const guard = setTimeout(() => void abort(`Benchmark exceeded its hard timeout of ${HARD_TIMEOUT_MS / 1000} s`, 2), HARD_TIMEOUT_MS);
process.once('SIGINT', () => void abort('Interrupted', 130));
process.once('SIGTERM', () => void abort('Terminated', 143));

main().then(
  () => {
    clearTimeout(guard);
    process.exit(0);
  },
  (error: unknown) => {
    console.error(error);
    void abort('Failed', 1);
  }
);
