/**
 * Diffs V8 CPU profiles by function, self time per vote: `npx tsx bench/prof-diff.ts <votes per profile> A1,A2,… B1,B2,… [rows]`.
 * Each side is one or more profiles (e.g. the measured windows of interleaved runs from `BENCH_PROF_DIR`); a
 * function's self time is summed over a side's profiles and divided by its votes (profiles × votes per profile),
 * so the table reads "µs per vote that B spends more than A in this function", largest differences first.
 */
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [votesArg, aArg, bArg, rowsArg] = process.argv.slice(2);
if (!bArg) {
  console.error('usage: tsx bench/prof-diff.ts <votes per profile> a.cpuprofile[,…] b.cpuprofile[,…] [rows]');
  process.exit(1);
}
const votes = Number(votesArg);
const rows = Number(rowsArg ?? 30);
const short = (url: string) => url.replace(/^file:\/\/.*?\/(node_modules|server|src|bench)\//, '$1/');

/** Self µs per vote by function (name, file, line), over the given profiles. */
function selfPerVote(files: string[]): Map<string, number> {
  const self = new Map<string, number>();
  for (const file of files) {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
      const key = `${functionName || '(anonymous)'}  ${short(url)}${url ? `:${lineNumber + 1}` : ''}`;
      self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
    });
  }
  for (const [k, us] of self) self.set(k, us / (votes * files.length));
  return self;
}

const a = selfPerVote(aArg.split(','));
const b = selfPerVote(bArg.split(','));
const total = (m: Map<string, number>, skipIdle = true) => [...m].filter(([k]) => !skipIdle || !k.startsWith('(idle)')).reduce((s, [, v]) => s + v, 0);
console.log(`busy µs/vote (samples, idle excluded): A ${total(a).toFixed(2)}, B ${total(b).toFixed(2)}, B − A ${(total(b) - total(a)).toFixed(2)}\n`);
const keys = new Set([...a.keys(), ...b.keys()]);
const diff = [...keys].map((k) => [k, (b.get(k) ?? 0) - (a.get(k) ?? 0), a.get(k) ?? 0, b.get(k) ?? 0] as const);
diff.sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]));
console.log('  B − A     A       B     µs/vote, self');
for (const [k, d, av, bv] of diff.slice(0, rows)) console.log(`${d.toFixed(2).padStart(7)} ${av.toFixed(2).padStart(7)} ${bv.toFixed(2).padStart(7)}  ${k}`);
