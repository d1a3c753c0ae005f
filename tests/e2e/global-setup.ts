import { spawnSync } from 'node:child_process';
import { browserAvailability } from '../helpers/browser';

/**
 * Browser tests run against the production build, so it is built once here
 * (set E2E_SKIP_BUILD=1 to reuse an existing build while iterating).
 */
export default function setup(): void {
  const availability = browserAvailability();
  if (!availability.run) {
    console.warn(`[e2e] skipping browser tests: ${availability.reason}`);
    return;
  }
  if (process.env.E2E_SKIP_BUILD) return;
  const result = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', env: process.env });
  if (result.status !== 0) throw new Error('npm run build failed; browser tests need the build');
}
