import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserServer, type LaunchOptions } from 'playwright-core';
import { bounded, scaled } from './patience';

/**
 * Where Chromium is: `CHROMIUM_PATH`, or Debian's packages. Its headless shell comes first: the same Chromium (same
 * source package and version, the same Blink and V8) built without the browser's windows and address bar, which is
 * what Playwright itself runs headless tests in. The browser tests took a fifth less CPU in it (all 32 files alone:
 * see README, "Where the suite's time goes"); the full browser is the fallback.
 */
export function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium-headless-shell', '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    (p): p is string => Boolean(p)
  );
  return candidates.find((p) => fs.existsSync(p)) ?? null;
}

/**
 * Whether browser tests can run here. Outside CI without Chromium they skip
 * with a message; with `CI` set a missing browser is an error, not a skip.
 */
export function browserAvailability(): { run: true } | { run: false; reason: string } {
  if (chromiumPath()) return { run: true };
  const reason =
    'Chromium not found: install it (`sudo apt-get install -y chromium-headless-shell`, or `chromium`) or set CHROMIUM_PATH to run the browser tests.';
  if (process.env.CI) throw new Error(`${reason} CI must run the browser tests.`);
  return { run: false, reason };
}

/**
 * Launches headless Chromium with the flags this machine needs (closed network,
 * root, no GPU). Playwright gives every launch a fresh temporary profile.
 */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch(launchOptions(extraArgs));
}

/**
 * Chromium features the tests do without. Each new browser context opens a window, and since Chromium 15x every window
 * starts two WebUI renderers for its address bar's popups (chrome://omnibox-popup.top-chrome/), which no test sees:
 * about 1.3 s of CPU per context beside ~0.25 s for an empty page's own renderer (a facilitator and five people joining
 * a session took Chromium 17 instead of 28 CPU seconds).
 */
const DISABLED_FEATURES = ['WebUIOmniboxPopup', 'WebUIOmniboxAimPopup', 'WebUIOmniboxFullPopup'];

/**
 * Chromium keeps only the last of a repeated --disable-features switch, and Playwright passes its own list before ours;
 * this script (bash) merges them into one and starts the Chromium named by SEEDS_CHROMIUM.
 */
const MERGING_LAUNCHER = fileURLToPath(new URL('./chromium-features.sh', import.meta.url));

function launchOptions(extraArgs: string[]): LaunchOptions {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('Chromium not found');
  return {
    executablePath: MERGING_LAUNCHER,
    env: { ...process.env, SEEDS_CHROMIUM: executablePath },
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      `--disable-features=${DISABLED_FEATURES.join(',')}`,
      ...extraArgs
    ]
  };
}

/**
 * One Chromium for a whole test run (the e2e global setup starts it): a launch costs about two seconds
 * of CPU, once per test file otherwise. Each test file connects to it and each person in a test still
 * gets a fresh browser context (own storage, cookies and cache), so nothing carries from one file or
 * person to the next; `close()` on a connected browser closes only the contexts that file made.
 */
export function launchBrowserServer(): Promise<BrowserServer> {
  return chromium.launchServer(launchOptions([]));
}

/** The run's shared Chromium when `endpoint` names one (launchBrowserServer), else a browser of its own. */
export function connectBrowser(endpoint: string | null | undefined): Promise<Browser> {
  // Playwright waits for a connection without end unless given a timeout.
  return endpoint ? chromium.connect(endpoint, { timeout: scaled(30_000) }) : launchBrowser();
}

/**
 * Ends the run's shared Chromium: a graceful close (it closes every context and waits for Chromium to exit), and
 * when that has not ended within its bound (a renderer that no longer answers), the process is killed. Resolves
 * once Chromium is gone; a close that hung is reported, named, not thrown (nothing of the run depends on it).
 */
export async function closeBrowserServer(server: BrowserServer, ms = 15_000): Promise<void> {
  // `ms`: how long a graceful close may take on an idle machine (grown with the load).
  try {
    await bounded('closing the shared Chromium', server.close(), ms);
  } catch (error) {
    console.warn(`${(error as Error).message}; killing it`);
    await bounded('killing the shared Chromium', server.kill(), 10_000);
  }
}
