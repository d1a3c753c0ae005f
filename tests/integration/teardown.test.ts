/**
 * Teardowns are bounded and name what hung. A step of a test's teardown that waits without end (a process that no
 * longer answers its signal, a browser that never confirms its close) otherwise shows up minutes later as a hook
 * timeout naming neither the step nor the file, as the last-word e2e teardown did on a busy CI machine; and a hang
 * in a global teardown holds the whole run. Each process here is stopped (SIGSTOP) so that it cannot answer.
 */
import { describe, expect, it } from 'vitest';
import { browserAvailability, closeBrowserServer, launchBrowserServer } from '../helpers/browser';
import { nginxAvailability, startNginx } from '../helpers/nginx';
import { HungStep } from '../helpers/patience';
import { startServer } from '../helpers/server';
import { boundedStep, boundedSteps } from '../helpers/teardown';

const never = () => new Promise<never>(() => undefined);

describe('bounded teardown steps', () => {
  it('a step that never ends fails naming itself and the test file; the steps after it still run', async () => {
    const error = await boundedStep('closing something that never answers', never(), 50).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HungStep);
    expect((error as Error).message).toMatch(/^tests\/integration\/teardown\.test\.ts: closing something that never answers: did not end within \d+ ms/);

    const ran: string[] = [];
    const all = await boundedSteps([
      ['a first step that hangs', never, 50],
      ['a second step', async () => void ran.push('second')]
    ]).catch((e: unknown) => e);
    expect(ran).toEqual(['second']);
    expect((all as Error).message).toContain('a first step that hangs');
  });

  it.skipIf(!nginxAvailability().run)('nginx that does not end on SIGTERM is killed', async () => {
    const server = await startServer();
    const nginx = await startNginx(server.port, { stopGraceMs: 200 });
    process.kill(nginx.pid, 'SIGSTOP');
    // Without the bound this waits for an exit that never comes (the test's timeout fails it).
    await nginx.stop();
    expect(() => process.kill(nginx.pid, 0)).toThrow();
  });

  it.skipIf(!browserAvailability().run)('the shared Chromium that does not close is killed', async () => {
    const browser = await launchBrowserServer();
    const chromium = browser.process();
    const exited = new Promise((resolve) => chromium.once('exit', resolve));
    // Not ChildProcess.kill: it marks the process killed, and Playwright then skips its own kill.
    process.kill(chromium.pid!, 'SIGSTOP');
    await closeBrowserServer(browser, 200);
    await exited;
    expect(chromium.signalCode).toBe('SIGKILL');
  });
});
