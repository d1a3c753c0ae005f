/**
 * Summarises a V8 .cpuprofile (from BENCH_CPU_PROF=1): top functions by self
 * time and by inclusive ("total") time, and time by file.
 *   npx tsx bench/prof-top.ts bench/results/prof/<run>/<file>.cpuprofile [rows] [fromS-toS]
 * The optional window (seconds since the profile started) keeps only those
 * samples, e.g. the voting burst; a timeline of busy % per 250 ms is printed
 * to find it.
 */
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, rowsArg, windowArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx bench/prof-top.ts <file.cpuprofile> [rows]');
  process.exit(1);
}
const rows = Number(rowsArg ?? 25);
process.stdout.on('error', () => process.exit(0)); // e.g. piped into head
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const [from, to] = windowArg ? windowArg.split('-').map((x) => Number(x) * 1e6) : [0, Infinity];
const idle = profile.nodes.find((n) => n.callFrame.functionName === '(idle)')?.id;
const selfUs = new Map<number, number>();
const busyPerQuarter: number[] = [];
let t = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  t += dt;
  const second = Math.floor(t / 250e3);
  if (id !== idle) busyPerQuarter[second] = (busyPerQuarter[second] ?? 0) + dt;
  if (t >= from && t < to) selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
});
console.log(`busy % per 250 ms since start: ${Array.from(busyPerQuarter, (us, q) => `${(q / 4).toFixed(2)}s:${((us ?? 0) / 2500).toFixed(0)}`).join(' ')}`);
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

const short = (url: string) => url.replace(/^file:\/\/.*?\/(node_modules|server|src|bench)\//, '$1/').replace(/^node:/, 'node:');
const key = (n: Node) => `${n.callFrame.functionName || '(anonymous)'}  ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const byFile = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  self.set(key(node), (self.get(key(node)) ?? 0) + us);
  const fileKey = short(node.callFrame.url).replace(/(node_modules\/(@[^/]+\/)?[^/]+).*/, '$1') || node.callFrame.functionName;
  byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
  // Count each function once per stack for inclusive time.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = key(byId.get(cur)!);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + us);
  }
}

const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
    console.log(`${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${k}`);
  }
};
console.log(`${file}: ${(totalUs / 1000).toFixed(0)} ms sampled over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s`);
print('Self time by function', self);
print('Self time by file / package', byFile);
print('Inclusive time by function', inclusive);
