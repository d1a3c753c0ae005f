import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_FRAMEWORK_ID, type Framework } from '../src/lib/domain/framework';
import { parseFramework } from '../src/lib/domain/framework-schema';

/** The frameworks (lists of factors) found in the content folder, by id. */
export type FrameworkCatalog = ReadonlyMap<string, Framework>;

/**
 * Loads and validates every `*.json` in `<contentDir>/frameworks`. A facilitator
 * adds a framework by dropping a file there; a bad file stops start-up with a
 * message naming the file and the field.
 */
export function loadFrameworks(contentDir: string): FrameworkCatalog {
  const folder = path.join(contentDir, 'frameworks');
  const catalog = new Map<string, Framework>();
  for (const file of fs
    .readdirSync(folder)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const source = path.join(folder, file);
    const framework = parseFramework(JSON.parse(fs.readFileSync(source, 'utf8')), source);
    if (catalog.has(framework.id)) throw new Error(`Framework id "${framework.id}" in ${source} is already used by another file`);
    catalog.set(framework.id, framework);
  }
  if (!catalog.has(DEFAULT_FRAMEWORK_ID)) throw new Error(`The default framework "${DEFAULT_FRAMEWORK_ID}" is missing from ${folder}`);
  return catalog;
}
