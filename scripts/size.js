// `npm run size`: the JavaScript a participant downloads before the reveal
// (landing → join → voting), measured gzipped from the production build.
// Lazily imported chunks (results, D3, the action board) are not counted: they
// arrive only after the reveal. Exits non-zero above the budget.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const BUDGET_KB = 100;
const out = '.svelte-kit/output/client';
const manifestFile = path.join(out, '.vite/manifest.json');
if (!fs.existsSync(manifestFile)) {
  console.error('No build found: run `npm run build` first.');
  process.exit(1);
}
const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
const nodesDir = '.svelte-kit/generated/client-optimized/nodes';

/** The manifest key of the node that renders a route file, e.g. src/routes/+layout.svelte. */
function nodeFor(routeFile) {
  for (const file of fs.readdirSync(nodesDir)) {
    const source = fs.readFileSync(path.join(nodesDir, file), 'utf8');
    if (source.includes(`src/routes/${routeFile}"`)) return `${nodesDir.replace(/^\.\//, '')}/${file}`;
  }
  throw new Error(`No node renders src/routes/${routeFile}`);
}

const roots = [
  'node_modules/@sveltejs/kit/src/runtime/client/entry.js',
  '.svelte-kit/generated/client-optimized/app.js',
  nodeFor('+layout.svelte'),
  nodeFor('+page.svelte'),
  nodeFor('s/[code]/+layout.ts'),
  nodeFor('s/[code]/+page.svelte')
];

const seen = new Set();
function visit(key) {
  if (seen.has(key)) return;
  const entry = manifest[key];
  if (!entry) throw new Error(`Not in the build manifest: ${key}`);
  seen.add(key);
  for (const child of entry.imports ?? []) visit(child);
}
roots.forEach(visit);

const rows = [...seen]
  .map((key) => manifest[key].file)
  .filter((file) => file.endsWith('.js'))
  .map((file) => {
    const bytes = fs.readFileSync(path.join(out, file));
    return { file, raw: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length };
  })
  .sort((a, b) => b.gzip - a.gzip);

const kb = (n) => (n / 1024).toFixed(1).padStart(7);
console.log('JavaScript a participant loads before the reveal (gzip):');
for (const row of rows) console.log(`${kb(row.gzip)} KB  ${kb(row.raw)} KB raw  ${row.file}`);
const total = rows.reduce((sum, r) => sum + r.gzip, 0);
const totalRaw = rows.reduce((sum, r) => sum + r.raw, 0);
console.log(`${kb(total)} KB  ${kb(totalRaw)} KB raw  total (${rows.length} files); budget ${BUDGET_KB} KB`);
if (total > BUDGET_KB * 1024) {
  console.error(`Over budget by ${((total - BUDGET_KB * 1024) / 1024).toFixed(1)} KB`);
  process.exit(1);
}
