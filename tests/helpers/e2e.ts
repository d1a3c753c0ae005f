/**
 * Browser-test plumbing: one real server (serving the SvelteKit build) per test
 * file, the run's shared Chromium (tests/e2e/global-setup.ts), a browser context per person, screenshots of every
 * open page when a test fails, and the few flows every test needs.
 */
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, inject, vi } from 'vitest';
import { buffer } from 'node:stream/consumers';
import type { Browser, BrowserContextOptions, Download, Page, PageScreenshotOptions } from 'playwright-core';
import { createServer, type CreateServerOptions, type RunningServer } from '../../server/app';
import { io } from 'socket.io-client';
import { PROTOCOL_VERSION, type Answer, type JoinSessionRequest, type JoinSessionResponse } from '../../src/lib/protocol';
import { connectBrowser } from './browser';
import { BoardClient, PATIENCE_MS, type BoardSocket } from './clients';
import { CONTENT_DIR, REPO_ROOT, joinSession } from './server';
import { boundedStep, boundedSteps } from './teardown';
import { E2E_BOUNDS, scaled } from './patience';

export const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 900 } };
// Phones are drawn at one device pixel per CSS pixel: a 360 px layout is the same at any density (no page reads
// devicePixelRatio), and a retina phone's four times the pixels cost the shared Chromium raster and screenshot CPU on
// every frame of every phone in the run.
export const PHONE: BrowserContextOptions = { viewport: { width: 360, height: 780 }, isMobile: true, hasTouch: true };
/** A 360×740 phone (touch), drawn at one device pixel per CSS pixel like PHONE. */
export const PHONE_360: BrowserContextOptions = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };
export const FACTORS = Array.from({ length: 12 }, (_, i) => i + 1);
const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');

export interface E2E {
  url: string;
  server: RunningServer;
  browser: Browser;
  /** A new person: a fresh browser context (own storage) with one page. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
  /**
   * One of the other people in a scene, whose screen the test does not look at (a voter who makes up the numbers):
   * joined through the same REST join as the join form (`body` as the form sends it: the first stakeholder group, Dutch),
   * then connected as a scripted socket.io client instead of a browser page. A page costs the shared Chromium a load,
   * a render on every change in the room and the CPU of every click; a socket costs next to nothing. Connected until
   * `close()` or the end of the file, so it can take part in several tests of one story.
   */
  scriptedPerson(code: string, name: string, body?: Omit<JoinSessionRequest, 'name'>): Promise<ScriptedPerson>;
}

/** A participant as a scripted socket.io client (E2E.scriptedPerson). */
export interface ScriptedPerson {
  joined: JoinSessionResponse;
  client: BoardClient;
  /** Casts one answer per factor (index 0 = factor 1; `null` skips), as `vote` does on a page; fails on any refusal. */
  vote(answers: readonly (Answer | null)[]): Promise<void>;
  /** Leaves: disconnects, as closing the person's browser does. */
  close(): void;
}

/**
 * Starts the server (with `serverOptions`, e.g. a fixed clock) and connects to Chromium in `beforeAll`, and stops them in `afterAll`.
 * (The shared `startServer` undoes itself after the test that called it, or after the file inside `sharedByFile`;
 * this server lives for the whole file, so the same options are passed to `createServer` here with a teardown of
 * our own, in `afterAll`.) Uncaught page errors fail
 * the test; a failed test leaves a screenshot of every open page in `test-results/`.
 * The tests of one `describe` are steps of one story: after a failed step the
 * later ones of that block are skipped instead of timing out one by one.
 */
/**
 * Answers "yes" whenever the app asks to confirm a step (its own dialog, src/lib/components/ConfirmDialog.svelte), as
 * the person in most stories would; `confirmByHand` turns that off for a page whose test answers itself.
 */
export async function autoConfirm(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const pageWindow = window as unknown as { seedsConfirmByHand?: boolean };
    new MutationObserver(() => {
      if (pageWindow.seedsConfirmByHand) return;
      document.querySelector<HTMLButtonElement>('dialog[open] [data-testid="confirm-accept"]')?.click();
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['open'] });
  });
}

/** The test answers this page's confirmations itself (answerConfirm), in this document and every later one. */
export async function confirmByHand(page: Page): Promise<void> {
  await page.addInitScript(() => void ((window as unknown as { seedsConfirmByHand?: boolean }).seedsConfirmByHand = true));
  await page.evaluate(() => void ((window as unknown as { seedsConfirmByHand?: boolean }).seedsConfirmByHand = true));
}

/** Waits for the app's confirmation, answers it ("yes" unless told otherwise) and says what it asked. */
export async function answerConfirm(page: Page, yes = true): Promise<string> {
  const dialog = page.locator('dialog[open][data-testid="confirm-dialog"]');
  await dialog.waitFor();
  const message = (await dialog.getByTestId('confirm-message').textContent()) ?? '';
  await dialog.getByTestId(yes ? 'confirm-accept' : 'confirm-cancel').click();
  // Closed: no open dialog matches any more.
  await dialog.waitFor({ state: 'detached' });
  return message;
}

export function useE2E(serverOptions: Partial<CreateServerOptions> = {}): E2E {
  let dataDir = '';
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let pageErrors: string[] = [];
  let pageNumber = 0;
  const brokenSuites = new Set<string>();
  const sockets: BoardSocket[] = [];

  const env: E2E = {
    get url() {
      return server!.url;
    },
    get server() {
      return server!;
    },
    get browser() {
      return browser!;
    },
    async newPage(options = DESKTOP) {
      const context = await browser!.newContext({ locale: 'nl-NL', ...options });
      // Fail well within the test timeout, so a failing step reports itself (and its screenshots); like every bound here it
      // grows with the load: a fixed 15 s failed page.goto at load 34 on two cores.
      context.setDefaultTimeout(scaled(15_000));
      const page = await context.newPage();
      const label = `page${++pageNumber}`;
      page.on('pageerror', (error) => pageErrors.push(`${label}: ${error.message}`));
      // The app asks in its own dialog: a browser dialog (an alert from injected markup, a confirm() come back) is an error.
      page.on('dialog', (dialog) => {
        pageErrors.push(`${label}: unexpected ${dialog.type()} "${dialog.message()}"`);
        void dialog.dismiss();
      });
      await autoConfirm(page);
      return page;
    },
    async scriptedPerson(code, name, body = { group: 'company', language: 'nl' }) {
      const joined = await joinSession(server!.url, code, { ...body, name });
      // As tests/helpers/clients.ts connects, but not closed when the test ends (the file's teardown closes it).
      const socket: BoardSocket = io(server!.url, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        auth: { protocolVersion: PROTOCOL_VERSION, code, token: joined.participantToken },
        query: { code }
      });
      sockets.push(socket);
      const client = new BoardClient(socket);
      await new Promise<void>((resolve, reject) => {
        const timeout = scaled(PATIENCE_MS);
        const timer = setTimeout(() => reject(new Error(`scriptedPerson ${name}: no snapshot within ${timeout} ms`)), timeout);
        socket.once('state', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.once('connect_error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
      return {
        joined,
        client,
        async vote(answers) {
          const acks = await Promise.all(answers.flatMap((answer, i) => (answer === null ? [] : [client.send('vote', { factor: i + 1, answer })])));
          const refused = acks.find((ack) => !ack.ok);
          if (refused && !refused.ok) throw new Error(`${name}'s vote refused: ${refused.error.code} ${refused.error.message}`);
        },
        close: () => client.close()
      };
    }
  };

  // The config's bounds grew with the load when the run started; files run two at a time beside other work, so a later
  // file's tests and hooks (fixed as the file is collected) and each test's polls grow with the load as they start.
  vi.setConfig({ testTimeout: scaled(E2E_BOUNDS.testMs), hookTimeout: scaled(E2E_BOUNDS.hookMs) });

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'seeds-e2e-'));
    server = await boundedStep(
      'starting the e2e server',
      createServer({
        port: 0,
        host: '127.0.0.1',
        contentDir: CONTENT_DIR,
        dataDir,
        appDir: path.join(REPO_ROOT, 'build'),
        purgeAfterDays: 0,
        codeGuessesPerMinute: 0,
        sessionsPerHour: 0,
        ...serverOptions
      }),
      60_000
    );
    browser = await boundedStep('connecting to the shared Chromium', connectBrowser(inject('browserEndpoint')), 60_000);
  });

  beforeEach((context) => {
    if (context.task.suite && brokenSuites.has(context.task.suite.id)) context.skip('an earlier step of this story failed');
    vi.setConfig({ expect: { poll: { timeout: scaled(E2E_BOUNDS.pollMs) } } });
  });

  afterEach(async (context) => {
    const errors = pageErrors;
    pageErrors = [];
    const failed = context.task.result?.state === 'fail' || errors.length > 0;
    if (failed && context.task.suite) brokenSuites.add(context.task.suite.id);
    if (failed && browser) {
      await fs.mkdir(RESULTS_DIR, { recursive: true });
      const stem = `${path.basename(context.task.file.name, '.test.ts')}-${context.task.suite?.name ?? ''}-${context.task.name}`
        .replace(/[^\w.-]+/g, '_')
        .slice(0, 100);
      const pages = browser.contexts().flatMap((c) => c.pages());
      // Screenshots are a help, not the verdict: a page that hangs them is reported, and the test's own failure stands.
      await boundedStep(
        'screenshots of the failed test',
        Promise.all(
          pages.map((page, i) =>
            page.screenshot({ path: path.join(RESULTS_DIR, `${stem}-${i + 1}.png`), fullPage: true, timeout: 5000 }).catch(() => undefined)
          )
        ),
        30_000
      ).catch((error: Error) => console.warn(error.message));
    }
    expect(errors, 'uncaught errors or dialogs in the pages').toEqual([]);
  });

  afterAll(async () => {
    // This file's people leave first: closing a connected browser only disconnects (Chromium closes its contexts
    // later), and pages still polling or reconnecting while the server drains kept a teardown busy on a loaded machine.
    // Every step is bounded and named, and runs even when one before it hung.
    await boundedSteps([
      ['disconnecting the scripted people', async () => sockets.forEach((socket) => socket.disconnect())],
      ['closing the browser contexts', () => Promise.all((browser?.contexts() ?? []).map((context) => context.close().catch(() => undefined)))],
      ['disconnecting from the shared Chromium', async () => browser?.close()],
      ['closing the e2e server', async () => server?.close()],
      ['removing the data directory', async () => dataDir && fs.rm(dataDir, { recursive: true, force: true })]
    ]);
  });

  return env;
}

/** The bytes of a finished download (read over the connection: the shared browser's files are not ours to open by path). */
export async function downloadBytes(download: Download): Promise<Buffer> {
  return buffer(await download.createReadStream());
}

/**
 * Whether the screenshots kept for people to look at (test-results/, or a temp directory a test prints) are taken:
 * with E2E_SHOTS=1. They check nothing, and each costs the shared Chromium a raster and a PNG encode (a 1920×1080 or
 * full-page shot is the CPU of a page load), so a plain run leaves them out; a failed test's screenshots are always taken.
 */
export const SHOTS_FOR_PEOPLE = Boolean(process.env.E2E_SHOTS);

/** A screenshot for people to look at (with E2E_SHOTS=1), not a check: `page.screenshot(options)`. */
export async function keepShot(page: Page, options: PageScreenshotOptions): Promise<void> {
  if (SHOTS_FOR_PEOPLE) await page.screenshot(options);
}

/** Text of a test id, trimmed ('' when empty). */
export async function textOf(page: Page, testId: string): Promise<string> {
  return ((await page.getByTestId(testId).first().textContent()) ?? '').trim();
}

/** On the landing page: optionally picks the session language, creates a session, returns its code. */
export async function createSessionFromLanding(page: Page, url: string, language?: 'nl' | 'en', { named = false } = {}): Promise<string> {
  await page.goto(url);
  if (language) await page.locator('#session-language').selectOption(language);
  if (named) await page.locator('#session-named').check();
  await page.getByTestId('create-session').click();
  await page.waitForURL(/\/s\/[^/]+\/facilitate/);
  const code = await page.getByTestId('session-code').textContent();
  expect(code?.trim()).toMatch(/^[A-Z0-9]{4,12}$/);
  return code!.trim();
}

/** Fills the join form that is on screen and waits until the person is in. */
export async function fillJoinForm(page: Page, name: string, groupIndex = 1): Promise<void> {
  await page.getByTestId('participant-name').fill(name);
  await page.getByTestId('participant-group').selectOption({ index: groupIndex });
  await page.getByTestId('join-session').click();
  await page.getByTestId('participant-name').waitFor({ state: 'detached' });
}

/** Opens the join link and joins. */
export async function joinByLink(page: Page, url: string, code: string, name: string, groupIndex = 1): Promise<void> {
  await page.goto(`${url}/s/${code}`);
  await fillJoinForm(page, name, groupIndex);
}

/** Waits until a facilitator page counts `n` participants. */
export async function expectParticipantCount(facilitator: Page, n: number): Promise<void> {
  await expect.poll(() => textOf(facilitator, 'participant-count')).toBe(String(n));
}

/** Clicks (or taps) one answer per factor (index 0 = factor 1; `null` skips) and waits until each shows as selected. */
export async function vote(page: Page, answers: readonly (Answer | null)[], { tap = false } = {}): Promise<void> {
  await page.getByTestId('vote-1-1').waitFor();
  for (const [i, answer] of answers.entries()) {
    if (answer === null) continue;
    const option = page.getByTestId(`vote-${i + 1}-${answer}`);
    await (tap ? option.tap() : option.click());
    await expect.poll(() => option.isChecked()).toBe(true);
  }
}

/** The checked answer per factor as the page shows it (null when none). */
export async function checkedAnswers(page: Page): Promise<(string | null)[]> {
  return page.evaluate(() =>
    Array.from({ length: 12 }, (_, i) => {
      const input = document.querySelector<HTMLInputElement>(`input[name="factor-${i + 1}"]:checked`);
      return input ? (input.dataset.testid ?? '').split('-')[2] : null;
    })
  );
}

let axeScript: Promise<string> | undefined;
const axeSource = () => (axeScript ??= fs.readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));

/** Serious and critical axe-core violations on the page, as readable lines. */
export async function axeViolations(page: Page): Promise<string[]> {
  // The app's CSP forbids inline scripts, so axe is evaluated through the DevTools protocol instead of a <script> tag;
  // once per document: compiling its 500 KB took twice as long as checking a join page with it.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await axeSource());
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact?: string; help: string; nodes: { target: unknown[] }[] }[] }> } }
    ).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? '', help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.targets.join(', ')}`);
}
