// Bundles server/index.ts (and the shared src/lib code it imports) into dist/server.js.
// Packages stay external and load from node_modules.
import { build } from 'esbuild';

await build({
  entryPoints: ['server/index.ts'],
  outfile: 'dist/server.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning'
});
console.log('server bundled to dist/server.js');
