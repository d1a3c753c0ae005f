/**
 * A real PostgreSQL for tests and development: a throwaway cluster from the
 * binaries Debian's `postgresql` package installs (initdb into a directory,
 * `postgres` on a free loopback port, fsync on), and a fresh database per
 * store. No vitest here: `scripts/pg.ts` (`npm run pg:start`) uses it too.
 *
 * PostgreSQL refuses to run as root. Under root (containers, CI) the cluster
 * runs as the `postgres` user Debian's package creates (or `nobody`), by
 * `setpriv`, which execs in place: the child we hold is the postmaster itself.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The directory holding `initdb` and `postgres`, or null when PostgreSQL is not installed. */
export function pgBinDir(): string | null {
  const candidates = [process.env.PG_BIN, '/usr/local/bin'];
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    // Debian installs each major version side by side; the newest wins.
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(debian, v, 'bin')));
  }
  return candidates.find((dir): dir is string => !!dir && existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres'))) ?? null;
}

/** Whether the PostgreSQL tests can run: outside CI they skip without PostgreSQL; under CI a missing PostgreSQL fails. */
export function postgresAvailability(): { run: true } | { run: false; reason: string } {
  if (pgBinDir()) return { run: true };
  const reason = 'PostgreSQL not found: install it (`sudo apt-get install -y postgresql`) to run the PostgreSQL store tests.';
  if (process.env.CI) throw new Error(`${reason} CI must run them.`);
  return { run: false, reason };
}

/** The unprivileged account the cluster runs as when we are root, with its ids. */
function clusterUser(): { name: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    const id = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (id.status === 0 && gid.status === 0) return { name, uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  throw new Error('Running as root and neither a `postgres` nor a `nobody` user exists: PostgreSQL refuses to run as root.');
}

/** `command args` as the cluster user (in place, via setpriv) when we are root, as is otherwise. */
export function asClusterUser(command: string, args: string[]): [string, string[]] {
  const user = clusterUser();
  if (!user) return [command, args];
  return ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', command, ...args]];
}

import { freePort } from './ports';

export { freePort };

export interface PgCluster {
  /** Connection string of the cluster's `postgres` database, for creating and dropping others. */
  adminUrl: string;
  port: number;
  /** Where the cluster lives (data directory, socket, log). */
  dir: string;
  /** Kills the postmaster at once (SIGKILL: no shutdown, no checkpoint), as a crash would. */
  kill(): Promise<void>;
  /** Starts the server again on the same data and port (after kill: crash recovery). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Creates a cluster directory (`dir/data`) owned by the cluster user, unless it exists already. */
export async function initCluster(dir: string): Promise<void> {
  const bin = pgBinDir();
  if (!bin) throw new Error('PostgreSQL binaries not found (initdb, postgres)');
  const data = path.join(dir, 'data');
  await fs.mkdir(dir, { recursive: true });
  const user = clusterUser();
  if (user) await fs.chown(dir, user.uid, user.gid);
  if (existsSync(path.join(data, 'PG_VERSION'))) return;
  // --no-sync only skips flushing initdb's own files; the server runs with fsync on.
  const [command, args] = asClusterUser(path.join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C.UTF-8',
    '--no-sync'
  ]);
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`initdb failed: ${result.stderr || result.stdout}`);
}

/** Arguments for `postgres` listening on 127.0.0.1:port with its socket in `dir`: durable commits (fsync, synchronous_commit on). */
export function serverArgs(dir: string, port: number): string[] {
  return [
    '-D',
    path.join(dir, 'data'),
    '-k',
    dir,
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-c',
    'fsync=on',
    '-c',
    'synchronous_commit=on',
    '-c',
    'max_connections=200',
    '-c',
    'shared_buffers=32MB'
  ];
}

/** Starts a throwaway cluster in a new temp directory; `stop()` ends it and removes the directory. */
export async function startCluster(): Promise<PgCluster> {
  const bin = pgBinDir();
  if (!bin) throw new Error('PostgreSQL binaries not found (initdb, postgres)');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seeds-pg-'));
  await initCluster(dir);
  const launch = async (port: number): Promise<{ child: ChildProcess; log: () => string } | null> => {
    const [command, args] = asClusterUser(path.join(bin, 'postgres'), serverArgs(dir, port));
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    if (await waitReady(child, adminUrlFor(port))) return { child, log: () => log };
    await stopChild(child);
    lastError = log;
    return null;
  };
  let lastError = '';
  // The free port is found by binding and releasing it; should another process take it meanwhile, try another.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    let running = await launch(port);
    if (!running) continue;
    // Should the test run end without its teardown (interrupted), the server does not outlive it.
    const onExit = () => running?.child.kill('SIGKILL');
    process.once('exit', onExit);
    return {
      adminUrl: adminUrlFor(port),
      port,
      dir,
      async kill() {
        const child = running?.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        // The whole server, as a crash of its machine ends it: its backends too. Killed alone, the postmaster leaves
        // them running until they notice, and an idle one could still answer a query (a health probe passed in CI).
        const backends = childrenOf(child.pid!);
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        for (const pid of backends) killQuietly(pid);
        await exited;
        await gone(backends, 10_000);
      },
      async restart() {
        if (running) await stopChild(running.child);
        running = await launch(port);
        if (!running) throw new Error(`PostgreSQL did not restart: ${lastError}`);
      },
      async stop() {
        process.off('exit', onExit);
        if (running) await stopChild(running.child);
        await fs.rm(dir, { recursive: true, force: true });
      }
    };
  }
  await fs.rm(dir, { recursive: true, force: true });
  throw new Error(`PostgreSQL did not start: ${lastError}`);
}

const adminUrlFor = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`;

/** The processes whose parent is `pid` (Linux /proc), e.g. a postmaster's backends and helpers. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (in parentheses, which may hold spaces): state, then the parent's pid.
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) children.push(Number(entry));
    } catch {
      // A process that ended meanwhile.
    }
  }
  return children;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Whether `pid` still runs: a killed process whose parent has not reaped it yet (a zombie) runs no more. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits (polling, bounded) until none of `pids` runs any more. */
async function gone(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isRunning)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL processes ${pids.filter(isRunning).join(', ')} outlived a SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the server answers a query, or its process ended (bounded: about 30 s). */
async function waitReady(child: ChildProcess, url: string): Promise<boolean> {
  let exited = child.exitCode !== null;
  child.once('exit', () => (exited = true));
  for (let i = 0; i < 300 && !exited; i++) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return false;
}

/** Fast shutdown (SIGINT: roll back open transactions, checkpoint), waiting until the process ended. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Creates a new database in the cluster, empty or a copy of `template`, and returns its connection string. */
export async function createDatabase(adminUrl: string, prefix = 'test', template?: string): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  if (template !== undefined && !/^[a-z0-9_]+$/.test(template)) throw new Error(`not a test database: ${template}`);
  await adminQuery(adminUrl, `CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database made by createDatabase, closing whatever is still connected to it. */
export async function dropDatabase(adminUrl: string, databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`not a test database: ${name}`);
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

export async function adminQuery(url: string, sql: string): Promise<pg.QueryResult> {
  // pg waits for a connection without end unless told otherwise.
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}
