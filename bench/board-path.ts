/**
 * `npx tsx bench/board-path.ts [checkout …]`: the server's own work per keystroke on the board, without
 * sockets, for A/B-ing a change of server/yjs/ on a shared machine. Each checkout (default: this one) runs
 * in a fresh Node process, the checkouts interleaved run by run (BENCH_REPEATS, default 5), median and
 * min–max printed. One run: a session in the action phase with 10 points in a real SQLite file
 * (WAL, synchronous FULL), 50 editors' connections (BoardConnection over a socket that drops what it is
 * sent, rate limits raised), and their 10,000 one-character inserts (pre-made, round robin) each sent
 * after the previous one was relayed: the update gate, applying, the append committed, the relay
 * encoded once and handed to 50 sockets. What bench:actions adds to this is the WebSockets (the same
 * for bare `@y/websocket-server`). CPU is this process's (user + system), over the keystrokes only.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const KEYS = Number(process.env.BENCH_KEYS ?? 10_000);
const EDITORS = 50;
const POINTS = 10;

async function one(tree: string): Promise<void> {
  const at = (file: string) => import(pathToFileURL(path.join(tree, file)).href);
  const Y = await at('node_modules/yjs/dist/yjs.mjs');
  const { loadFrameworks } = await at('server/content.ts');
  const { SessionRegistry } = await at('server/sessions/registry.ts');
  const { SqliteStore } = await at('server/store/sqlite.ts');
  const { BoardConnection } = await at('server/yjs/board-connection.ts');
  const { LIMITS } = await at('src/lib/protocol/index.ts');
  const { newActionId, textOf } = await at('src/lib/board/actions.ts');
  const { recordingFanout } = await at('tests/helpers/recording-fanout.ts');
  const encoding = await at('node_modules/lib0/encoding.js');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'board-path-'));
  const store = new SqliteStore({ dataDir, ...(process.env.BENCH_SYNC ? { synchronous: process.env.BENCH_SYNC } : {}) });
  const registry = new SessionRegistry({ store, frameworks: loadFrameworks(path.join(tree, 'content')), fanout: recordingFanout().fanout });
  const live = (await registry.create({ anonymous: false })).room!;
  for (const phase of ['voting', 'revealed', 'actions']) await live.dispatch('phase:set', { phase }, { role: 'facilitator' });
  const ids: string[] = [];
  for (let i = 0; i < POINTS; i++) {
    const id = newActionId();
    ids.push(id);
    await live.dispatch('action:create', { actionId: id, factor: 1 + i, text: '' }, { role: 'facilitator' });
  }
  const served = await live.doc();
  let relayed = 0;
  let wake: (() => void) | null = null;
  const limits = { ...LIMITS, yjsMessagesPerSecond: 1e9, yjsBurst: 1e9 };
  const connections = Array.from({ length: EDITORS }, (_, i) =>
    new BoardConnection(
      served,
      {
        send: () => {
          if (++relayed % (EDITORS - 1) === 0) wake?.();
        },
        close: (code: number, reason: string) => {
          throw new Error(`closed ${code} ${reason}`);
        }
      },
      { person: `p${i}`, canWrite: () => true, mayPresent: true, limits }
    ).start()
  );
  // The editors' keystrokes, made before the measured loop (the clients' work is not the server's).
  const editors = connections.map(() => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(served.doc));
    return doc;
  });
  const messages: Uint8Array[] = [];
  const writer: number[] = [];
  for (let k = 0; messages.length < KEYS; k++) {
    const e = k % EDITORS;
    const text = textOf(editors[e], ids[e % POINTS]);
    let update: Uint8Array | null = null;
    const listener = (u: Uint8Array) => (update = u);
    editors[e].on('update', listener);
    text.insert(text.length, String.fromCharCode(97 + (k % 26)));
    editors[e].off('update', listener);
    const out = encoding.createEncoder();
    encoding.writeVarUint(out, 0);
    encoding.writeVarUint(out, 2);
    encoding.writeVarUint8Array(out, update!);
    messages.push(encoding.toUint8Array(out));
    writer.push(e);
  }
  relayed = 0;
  const start = process.cpuUsage();
  const wall = performance.now();
  for (let i = 0; i < messages.length; i++) {
    const done = new Promise<void>((resolve) => (wake = resolve));
    connections[writer[i]].receive(messages[i]);
    await done;
  }
  const used = process.cpuUsage(start);
  const wallMs = performance.now() - wall;
  const length = ids.reduce((sum, id) => sum + textOf(served.doc, id).length, 0);
  if (length !== KEYS) throw new Error(`the board holds ${length} characters, not ${KEYS}`);
  console.log(JSON.stringify({ usPerKey: (used.user + used.system) / KEYS, userUsPerKey: used.user / KEYS, wallMs }));
  await store.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

if (process.env.BOARD_PATH_TREE) {
  await one(process.env.BOARD_PATH_TREE);
  process.exit(0);
} else {
  const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const trees = process.argv.slice(2).length > 0 ? process.argv.slice(2).map((t) => path.resolve(t)) : [here];
  const repeats = Number(process.env.BENCH_REPEATS ?? 5);
  const results = new Map<string, { usPerKey: number; userUsPerKey: number }[]>(trees.map((t) => [t, []]));
  const loads: number[] = [];
  console.log(`board path: ${KEYS} keystrokes by ${EDITORS} editors into ${POINTS} points, each after the previous was relayed; ${repeats} runs per checkout`);
  for (let r = 0; r < repeats; r++) {
    for (const tree of r % 2 ? [...trees].reverse() : trees) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
        env: { ...process.env, BOARD_PATH_TREE: tree },
        encoding: 'utf8'
      });
      if (child.status !== 0) throw new Error(`${tree}: ${child.stderr}`);
      const result = JSON.parse(child.stdout.trim().split('\n').pop()!);
      results.get(tree)!.push(result);
      loads.push(os.loadavg()[0]);
      console.log(`  #${r + 1} ${tree}: ${result.usPerKey.toFixed(1)} µs/key (user ${result.userUsPerKey.toFixed(1)}), load ${os.loadavg()[0].toFixed(1)}`);
    }
  }
  console.log(`\nload average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
  for (const [tree, list] of results) {
    const us = list.map((x) => x.usPerKey);
    console.log(`${tree}: ${median(us).toFixed(1)} µs/key (${Math.min(...us).toFixed(1)}–${Math.max(...us).toFixed(1)})`);
  }
}
