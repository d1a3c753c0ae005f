import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Chromium is: `CHROMIUM_PATH`, or Debian's package. */
export function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => Boolean(p));
  return candidates.find((p) => fs.existsSync(p)) ?? null;
}

/**
 * Whether browser tests can run here. Outside CI without Chromium they skip
 * with a message; with `CI` set a missing browser is an error, not a skip.
 */
export function browserAvailability(): { run: true } | { run: false; reason: string } {
  if (chromiumPath()) return { run: true };
  const reason = 'Chromium not found: install it (`sudo apt-get install -y chromium`) or set CHROMIUM_PATH to run the browser tests.';
  if (process.env.CI) throw new Error(`${reason} CI must run the browser tests.`);
  return { run: false, reason };
}

/**
 * Launches headless Chromium with the flags this machine needs (closed network,
 * root, no GPU). Playwright gives every launch a fresh temporary profile.
 */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('Chromium not found');
  return chromium.launch({
    executablePath,
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
      ...extraArgs
    ]
  });
}
