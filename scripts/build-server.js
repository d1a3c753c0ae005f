// Bundles server/index.ts (and the shared src/lib code it imports) into dist/server.js, or into the
// file named as the first argument (the tests bundle to a fresh file per run: tests/helpers/server-bundle.ts).
// Packages stay external and load from node_modules, so the output must lie inside the repository, except
// those in INLINE.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.resolve(root, process.argv[2] ?? 'dist/server.js');

/**
 * Packages bundled into the server instead of loaded from node_modules at start: ES modules of hundreds of
 * small files each, which Node's module loader resolves, reads and compiles one by one (kysely and zod took
 * about 0.2 s of CPU of a ~1.2 s start, paid by every instance and every child server a test starts).
 * Only packages with no state shared with another package: a second copy (one inlined, one loaded by a
 * package from node_modules) would break their instanceof checks. yjs, for one, stays external (y-protocols uses it).
 */
const INLINE = new Set(['kysely', 'zod']);

/** A bare specifier's package name (`@scope/name` or `name`). */
const packageOf = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

await build({
  absWorkingDir: root,
  entryPoints: ['server/index.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [
    {
      name: 'external-packages',
      setup(build) {
        // Every bare specifier (a package, `node:` built-ins) stays an import, but those of INLINE.
        build.onResolve({ filter: /^[^./]/ }, (args) =>
          args.kind === 'entry-point' || INLINE.has(packageOf(args.path)) ? undefined : { path: args.path, external: true }
        );
      }
    }
  ],
  sourcemap: true,
  // The map points into server/, src/ and node_modules, which lie beside it: without copies of every source in it,
  // it is a third of the size, and Node reads it at each start (--enable-source-maps).
  sourcesContent: false,
  logLevel: 'warning'
});
console.log(`server bundled to ${path.relative(root, outfile)}`);
