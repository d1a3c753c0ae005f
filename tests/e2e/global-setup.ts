import { spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { browserAvailability, closeBrowserServer, launchBrowserServer } from '../helpers/browser';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's shared Chromium (tests/helpers/browser.ts, launchBrowserServer), or null without one. */
    browserEndpoint: string | null;
  }
}

/**
 * Browser tests run against the production build, so it is built once here
 * (set E2E_SKIP_BUILD=1 to reuse an existing build while iterating), and in
 * one Chromium that every test file connects to.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  project.provide('browserEndpoint', null);
  const availability = browserAvailability();
  if (!availability.run) {
    console.warn(`[e2e] skipping browser tests: ${availability.reason}`);
    return;
  }
  if (!process.env.E2E_SKIP_BUILD) {
    const result = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', env: process.env });
    if (result.status !== 0) throw new Error('npm run build failed; browser tests need the build');
  }
  const browser = await launchBrowserServer();
  project.provide('browserEndpoint', browser.wsEndpoint());
  // Bounded and named, and killed when a graceful close hangs: the end of the whole run waits for it.
  return () => closeBrowserServer(browser);
}
