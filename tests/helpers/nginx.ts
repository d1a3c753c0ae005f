/**
 * A real nginx (Debian's package) in front of a test server, configured from
 * the example in docs/deploy/nginx.conf: only its two ports change.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './server';
import { waitFor } from './clients';
import { onTestFinished } from 'vitest';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p)) ?? null;

/** Whether the proxy tests can run: outside CI they skip without nginx; under CI a missing nginx fails. */
export function nginxAvailability(): { run: true } | { run: false; reason: string } {
  if (NGINX) return { run: true };
  const reason = 'nginx not found: install it (`sudo apt-get install -y nginx-light`) to run the reverse-proxy tests.';
  if (process.env.CI) throw new Error(`${reason} CI must run them.`);
  return { run: false, reason };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface RunningNginx {
  port: number;
  stop(): Promise<void>;
}

/** Starts nginx on a free loopback port, proxying to `upstreamPort` with the documented site configuration. */
export async function startNginx(upstreamPort: number): Promise<RunningNginx> {
  const port = await freePort();
  const site = (await fs.readFile(path.join(REPO_ROOT, 'docs/deploy/nginx.conf'), 'utf8'))
    .replace('server 127.0.0.1:3000;', `server 127.0.0.1:${upstreamPort};`)
    .replace('listen 80;', `listen 127.0.0.1:${port};`);
  if (!site.includes(`127.0.0.1:${upstreamPort}`) || !site.includes(`listen 127.0.0.1:${port}`)) throw new Error('docs/deploy/nginx.conf changed shape');
  return runNginx(site, port);
}

/** Starts nginx in front of two instances with the documented cluster configuration (docs/deploy/nginx-cluster.conf). */
export async function startNginxCluster(
  [first, second]: [number, number],
  { balance = 'by-code' }: { balance?: 'by-code' | 'round-robin' } = {}
): Promise<RunningNginx & { url: string }> {
  const port = await freePort();
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
  const running = await runNginx(site, port);
  onTestFinished(() => running.stop());
  return { ...running, url: `http://127.0.0.1:${port}` };
}

async function runNginx(site: string, port: number): Promise<RunningNginx> {
  if (!NGINX) throw new Error('nginx not found');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seeds-nginx-'));
  const main = `
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
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
  await waitFor(
    () => {
      if (exited) throw new Error('nginx exited at start');
      return new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
    },
    { timeout: 10_000, message: 'nginx listening' }
  );
  return {
    port,
    stop: async () => {
      if (!exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
      await fs.rm(dir, { recursive: true, force: true });
    }
  };
}
