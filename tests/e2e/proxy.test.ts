/**
 * The whole flow behind a real reverse proxy (nginx with the configuration
 * in docs/deploy/nginx.conf), reached under a public host name: every link the
 * pages and the API hand out must point at the proxy's address, and work there.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { CreateSessionResponse } from '../../src/lib/protocol';
import { DESKTOP, PHONE, answerConfirm, autoConfirm, confirmByHand, fillJoinForm, textOf, useE2E } from '../helpers/e2e';
import { browserAvailability, launchBrowser } from '../helpers/browser';
import { nginxAvailability, startNginx, type RunningNginx } from '../helpers/nginx';
import { boundedSteps } from '../helpers/teardown';
import { scaled } from '../helpers/patience';

const availability = browserAvailability();
const proxy = nginxAvailability();
const suite = availability.run && proxy.run ? describe : describe.skip;
if (!availability.run) console.warn(availability.reason);
if (!proxy.run) console.warn(proxy.reason);

const HOST = 'board.example.org';

suite('behind nginx under a public host name', () => {
  const e2e = useE2E();
  let nginx: RunningNginx;
  let browser: Browser;
  let base: string;
  let created: CreateSessionResponse;
  let facilitator: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    nginx = await startNginx(e2e.server.port);
    base = `http://${HOST}:${nginx.port}`;
    // The browser resolves the public name to the proxy on loopback, as DNS would in a real deployment.
    browser = await launchBrowser([`--host-resolver-rules=MAP ${HOST} 127.0.0.1`]);
  });
  afterAll(async () => {
    await boundedSteps([
      ["closing the proxy test's own Chromium", async () => browser?.close()],
      ['stopping nginx', async () => nginx?.stop(), 30_000]
    ]);
  });

  async function open(options = DESKTOP): Promise<Page> {
    const context = await browser.newContext({ locale: 'en-GB', ...options });
    context.setDefaultTimeout(scaled(15_000));
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await autoConfirm(page);
    return page;
  }

  it('the API answers through the proxy with links on the public host', async () => {
    // As a script on the public host would call it (fetch may not set Host, so plain node:http).
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port: nginx.port,
          path: '/api/sessions',
          method: 'POST',
          headers: { host: `${HOST}:${nginx.port}`, 'content-type': 'application/json' }
        },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }
      );
      request.once('error', reject);
      request.end(JSON.stringify({ language: 'en' }));
    });
    expect(response.status).toBe(201);
    created = JSON.parse(response.body) as CreateSessionResponse;
    expect(created.joinUrl).toBe(`${base}/s/${created.code}`);
    expect(created.facilitateUrl.startsWith(`${base}/s/${created.code}/facilitate#token=`)).toBe(true);
    expect(created.presenterUrl.startsWith(`${base}/s/${created.code}/screen#key=`)).toBe(true);
  });

  it('the facilitator link opens through the proxy, and the lobby shows the public links', async () => {
    facilitator = await open();
    await facilitator.goto(created.facilitateUrl);
    await expect.poll(() => textOf(facilitator, 'session-code')).toBe(created.code);
    await expect.poll(() => facilitator.locator('.lobby .link a').first().getAttribute('href')).toBe(created.joinUrl);
    expect(await facilitator.getByTestId('presenter-link').getAttribute('href')).toBe(created.presenterUrl);
  });

  it('a phone joins by the join link, votes over the WebSocket through the proxy, and the presenter screen follows', async () => {
    const phone = await open(PHONE);
    await phone.goto(created.joinUrl);
    await fillJoinForm(phone, 'Proxy Pia');
    const screen = await open({ viewport: { width: 1920, height: 1080 } });
    await screen.goto(created.presenterUrl);
    await screen.getByTestId('screen-code').waitFor();
    await facilitator.getByTestId('phase-voting').click();
    for (let factor = 1; factor <= 11; factor++) await phone.getByTestId(`vote-${factor}-4`).tap();
    await phone.getByTestId('vote-12-unknown').tap();
    await expect.poll(() => facilitator.getByTestId('progress').getAttribute('data-voted')).toBe('1');
    // One person in an anonymous session (k = 3): the facilitator is told before the reveal that it will show nothing.
    await confirmByHand(facilitator);
    await facilitator.getByTestId('phase-reveal').click();
    expect(await answerConfirm(facilitator)).toMatch(/^Only 1 person is in this session, and figures are shown only from 3 voters on/);
    await phone.getByTestId('heatmap').waitFor();
    // The phone's attention list is empty because the figures are withheld, and says so: no "well done" for them.
    await expect.poll(() => phone.getByTestId('attention-none').textContent()).toMatch(/too few people voted|te weinig mensen stemden/);
    // Not a count either: one voter's "don't know" would be their answer. The comments say why there are none.
    expect(await phone.locator('[data-testid="heatmap-cell"][data-factor="12"][data-score="unknown"]').getAttribute('data-count')).toBe('0');
    await expect.poll(() => facilitator.getByTestId('comments-none').textContent()).toMatch(/too few people voted|te weinig mensen stemden/);
    // One voter in an anonymous round: the screen shows that the round is withheld (k = 3), not a heatmap.
    await screen.getByTestId('presenter-results').waitFor();
    expect(errors).toEqual([]);
  });
});
