/**
 * The server as the child-process tests run it: bundled once per test run by the projects' global
 * setup (scripts/build-server.js, the same esbuild bundle as production) into a fresh directory
 * under the git-ignored dist/, and removed after the run. A child then starts with plain `node`,
 * in well under a second, instead of compiling TypeScript at every start (`--import tsx` took
 * over 20 s on a loaded machine). Every run bundles anew, so no bundle from an earlier checkout is used.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of this run's server bundle (tests/helpers/server-bundle.ts). */
    serverBundle: string;
  }
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Bundles of runs that were killed before their teardown (old enough that no run still uses them). */
async function removeLeftovers(parent: string): Promise<void> {
  const old = Date.now() - 6 * 3600_000;
  for (const name of await fs.readdir(parent)) {
    if (!name.startsWith('test-server-')) continue;
    const dir = path.join(parent, name);
    const stat = await fs.stat(dir).catch(() => null);
    if (stat && stat.mtimeMs < old) await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Bundles the server into a fresh directory; returns the bundle's path and how to remove it. */
export async function bundleServer(): Promise<{ file: string; remove: () => Promise<void> }> {
  // Inside the repository, so the bundle's packages resolve from node_modules.
  const parent = path.join(REPO_ROOT, 'dist');
  await fs.mkdir(parent, { recursive: true });
  await removeLeftovers(parent);
  const dir = await fs.mkdtemp(path.join(parent, 'test-server-'));
  const file = path.join(dir, 'server.js');
  try {
    await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-server.js'), file], { cwd: REPO_ROOT });
  } catch (error) {
    await fs.rm(dir, { recursive: true, force: true });
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`bundling the server for the tests failed:\n${stdout ?? ''}${stderr ?? String(error)}`);
  }
  return { file, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** Global setup (vitest.config.ts): one bundle per run, provided to the tests as `serverBundle`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bundle = await bundleServer();
  project.provide('serverBundle', bundle.file);
  return bundle.remove;
}
