import fs from 'node:fs';
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Seconds each integration and browser file took in recent runs on the loaded 2-core machine (`npm run test:seconds` renews it). */
export const FILE_SECONDS_PATH = path.join(import.meta.dirname, '..', 'file-seconds.json');

/**
 * Starts the longest files first, so that a project's two workers end together instead of one running a long file
 * alone at the end (the PostgreSQL store contract, 1 min, often started last in a clean clone: vitest orders files it
 * has no timings for by size, and that file is small). Vitest's own timings win where it has them (its cache in
 * node_modules, so not in a clean clone); then `tests/file-seconds.json`; a file in neither comes after those, by size.
 */
export default class LongestFirst extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const timed = (file: TestSpecification) => this.ctx.cache.getFileTestResults(`${file.project.name}:${this.relative(file)}`) !== undefined;
    if (files.every(timed)) return sorted;
    const seconds = readSeconds();
    // Projects keep vitest's order (one after another); Array.prototype.sort is stable, so files without a figure keep
    // vitest's order among themselves.
    const projects = [...new Set(sorted.map((file) => file.project.name))];
    const project = (file: TestSpecification) => projects.indexOf(file.project.name);
    return sorted.sort((a, b) => project(a) - project(b) || (seconds[this.relative(b)] ?? 0) - (seconds[this.relative(a)] ?? 0));
  }

  private relative(file: TestSpecification): string {
    return fileKey(this.ctx.config.root, file.moduleId);
  }
}

/** A test file as `tests/file-seconds.json` names it: relative to the root, with forward slashes. */
export function fileKey(root: string, moduleId: string): string {
  return path.relative(root, moduleId).split(path.sep).join('/');
}

/** `tests/file-seconds.json`, or nothing when it is missing or unreadable (then vitest's order stands). */
export function readSeconds(): Record<string, number> {
  try {
    return JSON.parse(fs.readFileSync(FILE_SECONDS_PATH, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}
