/**
 * A real nginx (Debian's package) in front of test servers, configured from
 * the examples in docs/deploy/ (only their ports change); the process itself
 * is started by ./nginx-process.ts, which the benchmarks use too.
 */
import { onTestFinished } from 'vitest';
import { launchNginxCluster, NGINX, runNginx, singleSite, type Balance, type NginxOptions, type RunningNginx } from './nginx-process';
import { freePort } from './postgres';

export { NGINX, type RunningNginx };

/** Whether the proxy tests can run: outside CI they skip without nginx; under CI a missing nginx fails. */
export function nginxAvailability(): { run: true } | { run: false; reason: string } {
  if (NGINX) return { run: true };
  const reason = 'nginx not found: install it (`sudo apt-get install -y nginx-light`) to run the reverse-proxy tests.';
  if (process.env.CI) throw new Error(`${reason} CI must run them.`);
  return { run: false, reason };
}

/** Starts nginx on a free loopback port, proxying to `upstreamPort` with the documented site configuration. */
export async function startNginx(upstreamPort: number, options: NginxOptions = {}): Promise<RunningNginx> {
  const port = await freePort();
  return runNginx(await singleSite(upstreamPort, port), port, options);
}

/** Starts nginx in front of two instances with the documented cluster configuration (docs/deploy/nginx-cluster.conf), stopped after the test. */
export async function startNginxCluster(
  upstreams: [number, number],
  { balance = 'by-code' }: { balance?: Balance } = {}
): Promise<RunningNginx & { url: string }> {
  const running = await launchNginxCluster(upstreams, { balance });
  onTestFinished(() => running.stop());
  return running;
}
