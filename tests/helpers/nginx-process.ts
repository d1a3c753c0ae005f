/**
 * A real nginx (Debian's package) as a child process, configured from the
 * examples in docs/deploy/: no vitest here, so benchmarks (bench/scale.ts)
 * start it too; tests/helpers/nginx.ts adds the test-lifetime wrappers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bounded } from './patience';
import { freePort } from './postgres';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p)) ?? null;

export interface RunningNginx {
  port: number;
  /** The nginx process (one process: `master_process off`), for reading its CPU in /proc. */
  pid: number;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** Connections nginx may hold at once, client and upstream sides together (default 1024). */
  workerConnections?: number;
  /** How long `stop()` waits for nginx to end on SIGTERM before it kills it, on an idle machine (default 10 s; grown with the load). */
  stopGraceMs?: number;
}

/** docs/deploy/nginx.conf with only its two ports changed. */
export async function singleSite(upstreamPort: number, port: number): Promise<string> {
  const site = (await fs.readFile(path.join(REPO_ROOT, 'docs/deploy/nginx.conf'), 'utf8'))
    .replace('server 127.0.0.1:3000;', `server 127.0.0.1:${upstreamPort};`)
    .replace('listen 80;', `listen 127.0.0.1:${port};`);
  if (!site.includes(`127.0.0.1:${upstreamPort}`) || !site.includes(`listen 127.0.0.1:${port}`)) throw new Error('docs/deploy/nginx.conf changed shape');
  return site;
}

/** How the cluster proxy picks an instance: the documented hash on the session code, or round-robin. */
export type Balance = 'by-code' | 'round-robin';

/** docs/deploy/nginx-cluster.conf with only its three ports changed (and, for round-robin, its hash line removed). */
export async function clusterSite([first, second]: [number, number], port: number, balance: Balance = 'by-code'): Promise<string> {
  const documented = await fs.readFile(path.join(REPO_ROOT, 'docs/deploy/nginx-cluster.conf'), 'utf8');
  // Round-robin: a balancer that knows nothing of sessions, so one person's requests reach both instances (forwarding does the rest).
  if (balance === 'round-robin' && !documented.includes('    hash $session_code consistent;\n'))
    throw new Error('docs/deploy/nginx-cluster.conf changed shape');
  const site = (balance === 'round-robin' ? documented.replace('    hash $session_code consistent;\n', '') : documented)
    .replace('server 127.0.0.1:3001 ', `server 127.0.0.1:${first} `)
    .replace('server 127.0.0.1:3002 ', `server 127.0.0.1:${second} `)
    .replace('listen 80;', `listen 127.0.0.1:${port};`);
  if (!site.includes(`127.0.0.1:${first} `) || !site.includes(`127.0.0.1:${second} `) || !site.includes(`listen 127.0.0.1:${port}`))
    throw new Error('docs/deploy/nginx-cluster.conf changed shape');
  return site;
}

/** Starts nginx in front of two instances with the documented cluster configuration; the caller stops it. */
export async function launchNginxCluster(
  upstreams: [number, number],
  options: NginxOptions & { balance?: Balance } = {}
): Promise<RunningNginx & { url: string }> {
  const port = await freePort();
  const running = await runNginx(await clusterSite(upstreams, port, options.balance), port, options);
  return { ...running, url: `http://127.0.0.1:${port}` };
}

/** Runs nginx with `site` inside a minimal main configuration in a temp directory, until it listens on `port` (bounded: 10 s). */
export async function runNginx(site: string, port: number, { workerConnections = 1024, stopGraceMs = 10_000 }: NginxOptions = {}): Promise<RunningNginx> {
  if (!NGINX) throw new Error('nginx not found');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seeds-nginx-'));
  const main = `
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
worker_rlimit_nofile ${workerConnections + 64};
events { worker_connections ${workerConnections}; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${site}
}`;
  await fs.writeFile(path.join(dir, 'nginx.conf'), main);
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off; master_process off;'], { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => (exited = true));
  const stop = async () => {
    if (!exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      // An nginx that does not end on SIGTERM (stopped, or stuck on a connection) is killed; a kill that does not end it is named.
      await bounded(`nginx (pid ${child.pid}) ending on SIGTERM`, gone, stopGraceMs).catch(async () => {
        child.kill('SIGKILL');
        await bounded(`nginx (pid ${child.pid}) ending on SIGKILL`, gone, 10_000);
      });
    }
    await fs.rm(dir, { recursive: true, force: true });
  };
  const listening = () =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  for (let i = 0; !(await listening()); i++) {
    if (exited || i >= 1000) {
      await stop();
      throw new Error(exited ? 'nginx exited at start' : 'nginx not listening within 10 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { port, pid: child.pid!, stop };
}
