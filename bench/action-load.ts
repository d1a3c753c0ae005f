/**
 * Action-board load generator, forked by bench/actions.ts (IPC). One process
 * holds all editors (y-websocket providers in Node), so every timestamp comes
 * from the same clock (performance.now()).
 *
 *   parent → {type:'setup', target, url, editors, actions, rate, seconds}  ← {type:'ready'}
 *   parent → {type:'go'}                                                   ← {type:'done', ...}
 *   parent → {type:'exit'}
 *
 * Latency: each keystroke is a one-character insert, which takes exactly one
 * clock of its editor's Yjs client id. The editor records the time of the
 * insert under (clientID, clock). Every other editor's doc reports, in
 * `afterTransaction`, which clocks of which clients it has just integrated
 * (transaction.beforeState → afterState), so each keystroke yields one
 * sample per receiving editor (49 with 50 editors): receive time − insert time.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { createText, newActionId, textOf } from '../src/lib/board/actions';
import { PROTOCOL_VERSION } from '../src/lib/protocol';
import { pool, Samples, serveLoadProcess, sleep, summarize } from './lib';

interface Setup {
  type: 'setup';
  target: 'ours' | 'bare';
  url: string;
  editors: number;
  actions: number;
  rate: number;
  seconds: number;
}

interface Editor {
  doc: Y.Doc;
  provider: WebsocketProvider;
}

let setup: Setup;
let editors: Editor[] = [];
let actionIds: string[] = [];
let admin: Editor | null = null;
let facilitatorSocket: ReturnType<typeof io> | null = null;
process.setMaxListeners(0); // every y-websocket provider adds a process 'exit' listener

async function post<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (response.status !== 201) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function waitUntil(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function openEditor(base: string, room: string, token: string | null): Promise<Editor> {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(base, room, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    params: token ? { token } : {},
    maxBackoffTime: 500
  });
  await waitUntil('a Yjs provider to sync', () => provider.synced);
  return { doc, provider };
}

async function prepare(s: Setup): Promise<void> {
  setup = s;
  const base = `${s.url.replace(/^http/, 'ws')}/yjs`;
  let room = 'bench-board';
  let adminToken: string | null = null;
  let tokens: (string | null)[] = Array.from({ length: s.editors }, () => null);
  if (s.target === 'ours') {
    const session = await post<{ code: string; facilitatorToken: string }>(`${s.url}/api/sessions`, { title: 'bench' });
    room = session.code;
    adminToken = session.facilitatorToken;
    const socket = io(s.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { code: room, token: adminToken, protocolVersion: PROTOCOL_VERSION }
    });
    facilitatorSocket = socket;
    await new Promise((resolve, reject) => {
      socket.once('state', resolve);
      socket.once('connect_error', reject);
    });
    for (const phase of ['voting', 'revealed', 'actions']) {
      const ack = await socket.timeout(10_000).emitWithAck('phase:set', { phase });
      if (!ack.ok) throw new Error(`phase:set ${phase}: ${JSON.stringify(ack)}`);
    }
    const joined = await pool(tokens, 10, (_, i) => post<{ participantToken: string }>(`${s.url}/api/sessions/${room}/participants`, { name: `Editor ${i}` }));
    tokens = joined.map((j) => j.participantToken);
  }
  admin = await openEditor(base, room, adminToken);
  actionIds = Array.from({ length: s.actions }, () => newActionId());
  for (const [i, id] of actionIds.entries()) {
    if (facilitatorSocket) {
      // Our server: points are made by command, and the server creates their texts.
      const ack = await facilitatorSocket.timeout(10_000).emitWithAck('action:create', { actionId: id, factor: 1 + (i % 12) });
      if (!ack.ok) throw new Error(`action:create: ${JSON.stringify(ack)}`);
    } else createText(admin.doc, id, '');
  }
  editors = await pool(tokens, 10, (token) => openEditor(base, room, token));
  await waitUntil('every editor to see the action points', () => editors.every((e) => actionIds.every((id) => textOf(e.doc, id))));
  await sleep(500);
}

async function run(): Promise<object> {
  const perEditor = Math.round(setup.rate * setup.seconds);
  const period = 1000 / setup.rate;
  const insertTimes = new Map<number, { start: number; times: Float64Array }>();
  for (const e of editors) insertTimes.set(e.doc.clientID, { start: Y.getState(e.doc.store, e.doc.clientID), times: new Float64Array(perEditor) });
  const latency = new Samples();
  let received = 0;
  let lastReceiveAt = 0;
  for (const e of editors) {
    e.doc.on('afterTransaction', (tr: Y.Transaction) => {
      if (tr.local) return;
      const now = performance.now();
      for (const [client, after] of tr.afterState) {
        const typed = insertTimes.get(client);
        if (!typed || client === e.doc.clientID) continue;
        const before = tr.beforeState.get(client) ?? 0;
        for (let clock = Math.max(before, typed.start); clock < after; clock++) {
          const sentAt = typed.times[clock - typed.start];
          if (sentAt > 0) {
            latency.push(now - sentAt);
            received++;
            lastReceiveAt = now;
          }
        }
      }
    });
  }
  const expected = perEditor * editors.length * (editors.length - 1);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  let typedCount = 0;
  const typist = async (e: Editor, i: number) => {
    const text = textOf(e.doc, actionIds[i % setup.actions])!;
    const typed = insertTimes.get(e.doc.clientID)!;
    const offset = (i / editors.length) * period; // spread editors evenly over one period
    for (let k = 0; k < perEditor; k++) {
      const due = started + offset + k * period;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const clock = Y.getState(e.doc.store, e.doc.clientID);
      typed.times[clock - typed.start] = performance.now();
      text.insert(text.length, String.fromCharCode(97 + ((i + k) % 26)));
      typedCount++;
    }
  };
  await Promise.all(editors.map(typist));
  const typingS = (performance.now() - started) / 1000;
  const drainDeadline = performance.now() + 15_000;
  while (received < expected && performance.now() < drainDeadline) await sleep(20);
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  const wallS = (Math.max(lastReceiveAt, started) - started) / 1000;
  const lengths = editors.map((e) => actionIds.reduce((sum, id) => sum + (textOf(e.doc, id)?.length ?? 0), 0));
  return {
    type: 'done',
    keystrokes: typedCount,
    deliveries: received,
    expectedDeliveries: expected,
    typingS,
    wallS,
    converged: lengths.every((l) => l === typedCount),
    latency: summarize(latency.values()),
    loadCpuPercent: (100 * (cpu.user + cpu.system)) / 1e6 / wallS,
    loadLoopDelayP99Ms: loop.percentile(99) / 1e6
  };
}

serveLoadProcess<Setup>({
  prepare,
  run,
  cleanup: () => {
    for (const e of [...editors, ...(admin ? [admin] : [])]) {
      e.provider.destroy();
      e.doc.destroy();
    }
    facilitatorSocket?.disconnect();
  }
});
