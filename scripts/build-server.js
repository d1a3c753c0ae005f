// Bundles server/index.ts (and the shared src/lib code it imports) into dist/server.js, or into the
// file named as the first argument (the tests bundle to a fresh file per run: tests/helpers/server-bundle.ts).
// Packages stay external and load from node_modules, so the output must lie inside the repository.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.resolve(root, process.argv[2] ?? 'dist/server.js');

await build({
  absWorkingDir: root,
  entryPoints: ['server/index.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning'
});
console.log(`server bundled to ${path.relative(root, outfile)}`);
