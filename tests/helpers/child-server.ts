/**
 * The real server (`server/index.ts`) as a child process, for tests that kill
 * it: started with `node` from this run's bundle (tests/helpers/server-bundle.ts),
 * ready once `/healthz` answers, and killed (SIGKILL) at the end of the test if
 * it is still running (after the file, when started in a `sharedByFile` set-up: ./file-scope.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { CONTENT_DIR, makeDataDir, REPO_ROOT } from './server';
import { databaseForDataDir } from './pg-test';
import { scaled } from './patience';
import { boundedStep } from './teardown';
import { afterTest } from './file-scope';

/**
 * Bounds of a start, on an idle machine (grown with the load, tests/helpers/patience.ts). A start
 * takes well under a second there; a child that is alive and still using CPU is making progress and
 * is waited for up to START_BOUND_MS, one that has used no CPU for START_STALL_MS is stuck.
 */
const START_BOUND_MS = 30_000;
const START_STALL_MS = 10_000;
/** What `server/index.ts` prints once it listens. */
const LISTENING = 'Seeds of Innovation live board on ';

/** Ports for test servers: ./ports.ts (below the ephemeral range, so a restart on the same port finds it free). */
import { freePort } from './ports';

export { freePort };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildServer {
  url: string;
  port: number;
  dataDir: string;
  process: ChildProcess;
  /** Everything the child printed (stdout and stderr, interleaved). */
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
  /** SIGKILL: no handler runs, nothing is flushed. */
  kill(): Promise<Exit>;
  /** SIGTERM: the server drains and exits; rejects if it has not exited within `timeout` ms (on an idle machine: grown with the load). */
  terminate(timeout?: number): Promise<Exit>;
}

export interface ChildServerOptions {
  dataDir: string;
  /** Extra environment (e.g. SQLITE_SYNCHRONOUS). */
  env?: Record<string, string>;
  /** The port to listen on (e.g. one already named in INSTANCE_URL); a free one otherwise. */
  port?: number;
  /** The most to wait for /healthz, in ms (default: START_BOUND_MS grown with the load). */
  startTimeout?: number;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(scaled(2000)) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** A child server process that was started but not (yet) found healthy. */
export interface SpawnedServer {
  url: string;
  port: number;
  process: ChildProcess;
  output(): string;
  exited: Promise<Exit>;
  /** Whether the process has exited. */
  done(): boolean;
}

/** This run's server bundle, built by the project's global setup. */
function serverBundle(): string {
  const file = inject('serverBundle');
  if (!file) throw new Error('no server bundle: add tests/helpers/server-bundle.ts to the globalSetup of this vitest project');
  return file;
}

/** CPU time the process has used so far, in clock ticks (Linux /proc); null where that cannot be read. */
async function cpuTicks(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name in parentheses: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/**
 * Spawns `server/index.ts` (bundled) on a fresh port with `dataDir` without waiting for
 * it (for tests of a start that must fail); SIGKILLed after the test if alive.
 */
export async function spawnChildServer(options: ChildServerOptions): Promise<SpawnedServer> {
  const port = options.port ?? (await freePort());
  const databaseUrl = await databaseForDataDir(options.dataDir);
  const child = spawn(process.execPath, ['--enable-source-maps', serverBundle()], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: options.dataDir,
      CONTENT_DIR,
      // API only: the SvelteKit build may be missing or being rebuilt by someone else.
      APP_DIR: path.join(options.dataDir, 'no-app'),
      PURGE_AFTER_DAYS: '0',
      // Tests join everyone from 127.0.0.1; the per-address bound has tests of its own (tests/integration/door.test.ts).
      JOINS_PER_ADDRESS: '0',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...options.env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  afterTest(async () => {
    if (!done) {
      child.kill('SIGKILL');
      await boundedStep(`child server (pid ${child.pid}) ending on SIGKILL`, exited, 10_000);
    }
  });
  return { url: `http://127.0.0.1:${port}`, port, process: child, output: () => output, exited, done: () => done };
}

/**
 * Starts `server/index.ts` (bundled) on a fresh port with `dataDir`, and waits until it is healthy:
 * as long as the child is alive and makes progress, up to a bound that grows with the machine's load.
 */
export async function startChildServer(options: ChildServerOptions): Promise<ChildServer> {
  if (options.port !== undefined) return startOnce(options);
  return withFreshPort((port) => startOnce({ ...options, port }));
}

/** How often a start on a port found free is tried again when another process took the port first. */
const PORT_ATTEMPTS = 3;

/**
 * Starts on a port found free, again on another when the port was taken between the probe and the
 * child's listen (test files run side by side, and each listens on ports of its own).
 */
async function withFreshPort<T>(start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (error) {
      if (attempt >= PORT_ATTEMPTS || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}

async function startOnce(options: ChildServerOptions): Promise<ChildServer> {
  const spawned = await spawnChildServer(options);
  const { url, port, process: child, exited } = spawned;
  const output = () => spawned.output();
  const started = Date.now();
  let lastTicks: number | null = null;
  let lastProgress = started;
  // Until the child says it listens, a /healthz answer on its port may come from another server (one of a
  // test file running beside this one that took the port first): only the child's own answer counts.
  while (!(output().includes(LISTENING) && (await healthy(url)))) {
    if (spawned.done()) throw new Error(`child server exited before it was healthy:\n${output()}`);
    const now = Date.now();
    const ticks = await cpuTicks(child.pid);
    // Where CPU time cannot be read, being alive counts as progress (the overall bound still holds).
    if (ticks === null || ticks !== lastTicks) {
      lastTicks = ticks;
      lastProgress = now;
    }
    const bound = options.startTimeout ?? scaled(START_BOUND_MS);
    const stall = scaled(START_STALL_MS);
    if (now - started > bound || now - lastProgress > stall) {
      child.kill('SIGKILL');
      const why = now - started > bound ? `within ${bound} ms` : `and used no CPU for ${now - lastProgress} ms`;
      throw new Error(`child server not healthy ${why} (load ${os.loadavg()[0].toFixed(1)}):\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const signal = (name: NodeJS.Signals, idleTimeout: number): Promise<Exit> => {
    if (!spawned.done()) child.kill(name);
    const timeout = scaled(idleTimeout);
    return new Promise<Exit>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child server did not exit within ${timeout} ms after ${name}:\n${output()}`)), timeout);
      void exited.then((exit) => {
        clearTimeout(timer);
        resolve(exit);
      });
    });
  };

  return {
    url,
    port,
    dataDir: options.dataDir,
    process: child,
    output,
    exited,
    kill: () => signal('SIGKILL', 10_000),
    terminate: (timeout = 10_000) => signal('SIGTERM', timeout)
  };
}

/**
 * One instance of a cluster on the PostgreSQL database `databaseUrl`, as a child process: its own
 * `INSTANCE_URL` (its loopback address, on `port` or a free one), proxies on loopback trusted, a
 * fresh `DATA_DIR`; `env` adds or overrides settings.
 */
export async function startInstance(databaseUrl: string, options: { port?: number; env?: Record<string, string> } = {}): Promise<ChildServer> {
  const dataDir = await makeDataDir();
  const start = (port: number) =>
    startOnce({
      dataDir,
      port,
      env: { DATABASE_URL: databaseUrl, INSTANCE_URL: `http://127.0.0.1:${port}`, TRUST_PROXY: 'loopback', ...options.env }
    });
  return options.port !== undefined ? start(options.port) : withFreshPort(start);
}
