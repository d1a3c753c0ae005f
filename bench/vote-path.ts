/**
 * `npx tsx bench/vote-path.ts [checkout …]`: the server's own work per vote, without the wire, for A/B-ing a
 * change of the answer path on a shared machine, where `bench:votes` swings by a quarter from run to run and
 * hides a change of a few microseconds. Each checkout (default: this one) runs in a fresh Node process, the
 * checkouts interleaved run by run (BENCH_REPEATS, default 7), median and min–max printed.
 *
 * One run: an anonymous session in voting with M = BENCH_PARTICIPANTS (1,000) participants in a real SQLite
 * file (WAL, synchronous FULL; BENCH_SYNC=NORMAL to leave the fsync out), each with a connection served by
 * the checkout's own `serveConnection` (server/realtime/connection.ts) over a stand-in socket that delivers
 * events as socket.io does (its `onAny` listeners at once, the event's own listeners on the next tick) and
 * drops what it is sent; the fan-out is the real `socketFanout` over a socket.io server without clients. All
 * participants vote at once, each vote after the previous one's ack (bench:votes' burst), 12 factors ×
 * BENCH_PASSES (3) answers each. Measured over the votes only: this process's CPU (user + system) per vote,
 * and the garbage collector's time and number of scavenges per 1,000 votes (`v8.GCProfiler`), since what a
 * vote allocates is paid for in collections. What bench:votes adds to this is socket.io and the network,
 * the same for ours and bare. With VOTE_PATH_TREE=<checkout> (one run): BENCH_PROF_FILE=<file> writes a CPU
 * profile of the votes, BENCH_HEAP_FILE=<file> a sampling heap profile of what they allocate, and
 * BENCH_GC_DETAIL=1 prints each collection with the young and old spaces before and after.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { Session } from 'node:inspector';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PARTICIPANTS = Number(process.env.BENCH_PARTICIPANTS ?? 1000);
const PASSES = Number(process.env.BENCH_PASSES ?? 3);
const FACTORS = 12;

interface Result {
  usPerVote: number;
  gcUsPer1000: number;
  scavengesPer1000: number;
  wallMs: number;
}

async function one(tree: string): Promise<Result> {
  const at = (file: string) => import(pathToFileURL(path.join(tree, file)).href);
  const { Server } = await at('node_modules/socket.io/dist/index.js');
  const { loadFrameworks } = await at('server/content.ts');
  const { SessionRegistry } = await at('server/sessions/registry.ts');
  const { SqliteStore } = await at('server/store/sqlite.ts');
  const { serveConnection } = await at('server/realtime/connection.ts');
  const { socketFanout } = await at('server/realtime/socket-fanout.ts');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vote-path-'));
  const store = new SqliteStore({ dataDir, ...(process.env.BENCH_SYNC ? { synchronous: process.env.BENCH_SYNC } : {}) });
  const io = new Server();
  const registry = new SessionRegistry({ store, frameworks: loadFrameworks(path.join(tree, 'content')), fanout: socketFanout(io) });
  const live = (await registry.create({ anonymous: true })).room!;
  const people: string[] = [];
  for (let i = 0; i < PARTICIPANTS; i++) {
    const joined = await live.join({ name: `P${i}`, group: null, language: 'en' }, PARTICIPANTS + 1);
    people.push(joined.participant.id);
  }
  await live.dispatch('phase:set', { phase: 'voting' }, { role: 'facilitator' });

  /** socket.io's delivery: `onAny` listeners at once, then the event's own listeners on the next tick. */
  const sockets = people.map((participantId, i) => {
    const any: ((event: unknown, ...args: unknown[]) => void)[] = [];
    const own = new Map<string, ((...args: unknown[]) => void)[]>();
    const socket = {
      id: `socket-${i}`,
      data: { code: live.code, identity: { role: 'participant', participantId }, links: {} },
      join: () => undefined,
      emit: () => true,
      on: (event: string, listener: (...args: unknown[]) => void) => void own.set(event, [...(own.get(event) ?? []), listener]),
      onAny: (listener: (event: unknown, ...args: unknown[]) => void) => void any.push(listener),
      disconnect: () => undefined
    };
    serveConnection(socket, live, { commandsPerSecond: 1e9, commandBurst: 1e9, yjsMessagesPerSecond: 1, yjsBurst: 1 });
    return (event: string, ...args: unknown[]) => {
      for (const listener of any) listener(event, ...args);
      process.nextTick(() => {
        for (const listener of own.get(event) ?? []) listener(...args);
      });
    };
  });

  const perPerson = FACTORS * PASSES;
  const total = PARTICIPANTS * perPerson;
  let acked = 0;
  let failed: unknown = null;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const send = (p: number, k: number) => {
    const payload = { factor: 1 + (k % FACTORS), answer: 1 + ((p + k) % 5), round: 1 };
    sockets[p]('vote', payload, (ack: { ok: boolean }) => {
      if (!ack.ok) failed ??= ack;
      if (++acked === total) finish();
      else if (k + 1 < perPerson) send(p, k + 1);
    });
  };
  const profiler = process.env.BENCH_PROF_FILE ? new Session() : null;
  if (profiler) {
    profiler.connect();
    profiler.post('Profiler.enable');
    profiler.post('Profiler.setSamplingInterval', { interval: 50 });
    profiler.post('Profiler.start');
  }
  const heap = process.env.BENCH_HEAP_FILE ? new Session() : null;
  if (heap) {
    heap.connect();
    heap.post('HeapProfiler.enable');
    heap.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  const gc = new v8.GCProfiler();
  gc.start();
  const start = process.cpuUsage();
  const wall = performance.now();
  for (let p = 0; p < PARTICIPANTS; p++) send(p, 0);
  await done;
  const used = process.cpuUsage(start);
  const wallMs = performance.now() - wall;
  const collections = gc.stop().statistics;
  if (heap) await stopInto(heap, 'HeapProfiler.stopSampling', process.env.BENCH_HEAP_FILE!);
  if (profiler) await stopInto(profiler, 'Profiler.stop', process.env.BENCH_PROF_FILE!);
  if (failed) throw new Error(`a vote was refused: ${JSON.stringify(failed)}`);
  const progress = live.snapshot({ role: 'facilitator' }).progress;
  if (progress.voted !== PARTICIPANTS) throw new Error(`${progress.voted} of ${PARTICIPANTS} answered everything`);
  const gcUs = collections.reduce((sum: number, c: { cost: number }) => sum + c.cost, 0);
  const scavenges = collections.filter((c: { gcType: string }) => c.gcType === 'Scavenge').length;
  if (process.env.BENCH_GC_DETAIL)
    for (const c of collections)
      console.error(
        c.gcType,
        c.cost.toFixed(0),
        JSON.stringify(
          c.beforeGC.heapSpaceStatistics
            .filter((s: { spaceName: string }) => s.spaceName === 'new_space' || s.spaceName === 'old_space')
            .map((s: { spaceName: string; spaceUsedSize: number }) => [s.spaceName, (s.spaceUsedSize / 1e6).toFixed(1)])
        ),
        JSON.stringify(
          c.afterGC.heapSpaceStatistics
            .filter((s: { spaceName: string }) => s.spaceName === 'new_space' || s.spaceName === 'old_space')
            .map((s: { spaceName: string; spaceUsedSize: number }) => [s.spaceName, (s.spaceUsedSize / 1e6).toFixed(1)])
        )
      );
  registry.close();
  await store.close();
  io.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { usPerVote: (used.user + used.system) / total, gcUsPer1000: (gcUs / total) * 1000, scavengesPer1000: (scavenges / total) * 1000, wallMs };
}

/** Stops an inspector profile (CPU or heap sampling) and writes it to `file`. */
function stopInto(session: Session, method: 'Profiler.stop' | 'HeapProfiler.stopSampling', file: string): Promise<void> {
  return new Promise((resolve, reject) =>
    session.post(method, (error: Error | null, result?: { profile: unknown }) => {
      if (error) return reject(error);
      fs.writeFileSync(file, JSON.stringify(result!.profile));
      resolve();
    })
  );
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const range = (v: number[], digits = 1) => `${median(v).toFixed(digits)} (${Math.min(...v).toFixed(digits)}–${Math.max(...v).toFixed(digits)})`;

if (process.env.VOTE_PATH_TREE) {
  console.log(JSON.stringify(await one(process.env.VOTE_PATH_TREE)));
  process.exit(0);
} else {
  const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const trees = process.argv.slice(2).length > 0 ? process.argv.slice(2).map((t) => path.resolve(t)) : [here];
  const repeats = Number(process.env.BENCH_REPEATS ?? 7);
  const results = new Map<string, Result[]>(trees.map((t) => [t, []]));
  console.log(`vote path: ${PARTICIPANTS} participants × ${FACTORS * PASSES} votes, each after the previous ack; ${repeats} runs per checkout`);
  for (let r = 0; r < repeats; r++) {
    for (const tree of r % 2 ? [...trees].reverse() : trees) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
        env: { ...process.env, VOTE_PATH_TREE: tree },
        encoding: 'utf8',
        timeout: 300_000
      });
      if (child.status !== 0) throw new Error(`${tree}: ${child.stderr || child.error}`);
      const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as Result;
      results.get(tree)!.push(result);
      console.log(
        `  #${r + 1} ${tree}: ${result.usPerVote.toFixed(1)} µs/vote, GC ${result.gcUsPer1000.toFixed(0)} µs and ${result.scavengesPer1000.toFixed(2)} scavenges per 1,000 votes, load ${os.loadavg()[0].toFixed(1)}`
      );
    }
  }
  console.log('\nmedian (min–max) per checkout');
  for (const [tree, list] of results) {
    console.log(
      `${tree}: ${range(list.map((x) => x.usPerVote))} µs/vote; GC ${range(
        list.map((x) => x.gcUsPer1000),
        0
      )} µs and ${range(
        list.map((x) => x.scavengesPer1000),
        2
      )} scavenges per 1,000 votes`
    );
  }
}
