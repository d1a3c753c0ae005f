/**
 * Two checkouts' SQLite stores in one process (BENCH_TREES=old,new), blocks of votes alternating (W writers, 40 votes
 * each per block), node CPU per vote summed per store; `synchronous=NORMAL`, so the disk flush is left out.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
/** What these checks use of a store. */
interface VoteStore {
  saveAnswer(answer: { sessionId: string; round: number; participantId: string; factor: number; answer: number; comment: null }): Promise<void>;
}
const [oldTree, newTree] = (process.env.BENCH_TREES ?? '').split(',');
if (!newTree) throw new Error('BENCH_TREES=/path/old,/path/new');
const trees = { old: oldTree, new: newTree };
const W = Number(process.env.W ?? 50);
const stores: Record<string, VoteStore> = {};
for (const [name, root] of Object.entries(trees).filter(([n]) => !process.env.ONLY || n === process.env.ONLY)) {
  const { SqliteStore } = await import(path.join(root, 'server/store/sqlite.ts'));
  const { participantRecord, sessionRecord } = await import(path.join(root, 'tests/helpers/store-contract.ts'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'micro-'));
  const store = new SqliteStore({ dataDir: dir, synchronous: 'NORMAL' });
  await store.createSession(sessionRecord('s1', { phase: 'voting' }));
  await Promise.all(Array.from({ length: W }, (_, w) => store.addParticipant(participantRecord(`p${w}`, 's1'))));
  stores[name] = store;
}
let n = 0;
const block = (store: VoteStore, perWriter: number) =>
  Promise.all(
    Array.from({ length: W }, async (_, w) => {
      for (let i = 0; i < perWriter; i++)
        await store.saveAnswer({ sessionId: 's1', round: 1, participantId: `p${w}`, factor: (i % 12) + 1, answer: ((w + i + n) % 5) + 1, comment: null });
    })
  );
const cpu: Record<string, number> = { old: 0, new: 0 };
const votes: Record<string, number> = { old: 0, new: 0 };
for (let r = 0; r < 60; r++) {
  n++;
  for (const name of (r % 2 ? ['old', 'new'] : ['new', 'old']).filter((n) => stores[n])) {
    const c = process.cpuUsage();
    await block(stores[name], 40);
    const u = process.cpuUsage(c);
    if (r >= 10) {
      cpu[name] += u.user + u.system;
      votes[name] += 40 * W;
    }
  }
}
for (const name of ['old', 'new'].filter((n) => stores[n])) console.log(name, (cpu[name] / votes[name]).toFixed(2), 'µs/vote');
console.log('new/old', (cpu.new / cpu.old).toFixed(3), 'load', os.loadavg()[0].toFixed(1));
