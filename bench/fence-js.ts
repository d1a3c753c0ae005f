/**
 * The store's own JavaScript per vote, fenced and plain, for one or more checkouts: `SqlStore` over a driver that runs
 * nothing (no database), so only the queue, batching, fence bookkeeping and statement building are timed. All stores in
 * one process, blocks of votes alternating, CPU time summed. BENCH_TREES (comma-separated checkouts; default this one), W (50).
 */
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
/** What these checks use of a store. */
interface VoteStore {
  saveAnswer(answer: { sessionId: string; round: number; participantId: string; factor: number; answer: number; comment: null }): Promise<void>;
}
const W = Number(process.env.W ?? 50);
const trees = Object.fromEntries(
  (process.env.BENCH_TREES ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')).split(',').map((root) => [path.basename(root), root])
);
const stores: Record<string, VoteStore> = {};
for (const [tree, root] of Object.entries(trees)) {
  const { SqlStore } = await import(path.join(root, 'server/store/sql-store.ts'));
  for (const fenced of [false, true]) {
    const driver = {
      dialect: 'postgres',
      answerRowsPerStatement: 256,
      upsertChangesRowOnce: true,
      reader: { run: async () => [] },
      async transaction(work: (tx: unknown, epochs: ReadonlyMap<string, number>) => Promise<unknown>, ids: ReadonlySet<string>) {
        const epochs = new Map<string, number>();
        for (const id of ids) epochs.set(id, 1);
        return work({ run: async () => [] }, epochs);
      },
      snapshot: (work: (db: unknown) => Promise<unknown>) => work({ run: async () => [] }),
      isStatementError: () => true,
      isUniqueViolation: () => false,
      probe: async () => {},
      close: async () => {}
    };
    const store = new SqlStore(driver);
    if (fenced) store.fenceWith({ epochOf: (id: string) => (id === 's1' ? 1 : null) });
    stores[`${tree} ${fenced ? 'fenced' : 'plain'}`] = store;
  }
}
let n = 0;
const block = (store: VoteStore, perWriter: number) =>
  Promise.all(
    Array.from({ length: W }, async (_, w) => {
      for (let i = 0; i < perWriter; i++)
        await store.saveAnswer({ sessionId: 's1', round: 1, participantId: `p${w}`, factor: (i % 12) + 1, answer: ((w + i + n) % 5) + 1, comment: null });
    })
  );
const cpu: Record<string, number> = {};
const votes: Record<string, number> = {};
const names = Object.keys(stores);
for (let r = 0; r < 80; r++) {
  n++;
  const order = r % 2 ? names : [...names].reverse();
  for (const name of order) {
    const c = process.cpuUsage();
    await block(stores[name], Math.max(12, Math.round(2000 / W)));
    const u = process.cpuUsage(c);
    if (r >= 10) {
      cpu[name] = (cpu[name] ?? 0) + u.user + u.system;
      votes[name] = (votes[name] ?? 0) + Math.max(12, Math.round(2000 / W)) * W;
    }
  }
}
for (const name of names) console.log(`W=${W} ${name}: ${(cpu[name] / votes[name]).toFixed(2)} µs/vote`);
console.log('load', os.loadavg()[0].toFixed(1));
