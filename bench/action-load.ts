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
 *
 * With `hostile`, one more participant floods the server during the run, as in
 * issue 10: updates of ~175 KB each naming 25,000 made-up Yjs client ids, sent
 * back to back (each refused and its socket closed; it reconnects with a fresh
 * ticket and sends the next), plus updates just within the per-update cap.
 */
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import * as encoding from 'lib0/encoding';
import { newActionId, textsMap } from '../src/lib/board/actions';
import { connectWithTickets } from '../src/lib/client/yjs-ticket';
import { PROTOCOL_VERSION } from '../src/lib/protocol';
import { pool, postJson, Samples, serveLoadProcess, sleep, startLoadMeter, summarize } from './lib';

interface Setup {
  type: 'setup';
  target: 'ours' | 'bare';
  url: string;
  editors: number;
  actions: number;
  rate: number;
  seconds: number;
  /** One more participant floods the server with made-up client ids during the run. */
  hostile?: boolean;
}

interface Editor {
  doc: Y.Doc;
  provider: WebsocketProvider;
  socket: ReturnType<typeof io> | null;
}

let setup: Setup;
let editors: Editor[] = [];
let admin: Editor | null = null;
let facilitatorSocket: ReturnType<typeof io> | null = null;
process.setMaxListeners(0); // every y-websocket provider adds a process 'exit' listener

async function waitUntil(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A socket.io connection as a person (our server only): it hands out the Yjs tickets. */
async function personSocket(url: string, code: string, token: string): Promise<ReturnType<typeof io>> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { code, token, protocolVersion: PROTOCOL_VERSION } });
  await new Promise((resolve, reject) => {
    socket.once('state', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

async function ticket(socket: ReturnType<typeof io>): Promise<string> {
  const ack = await socket.timeout(10_000).emitWithAck('board:ticket', {});
  if (!ack.ok) throw new Error(`board:ticket: ${JSON.stringify(ack)}`);
  return ack.data.ticket as string;
}

async function openEditor(url: string, base: string, room: string, token: string | null): Promise<Editor> {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(base, room, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    connect: token === null,
    maxBackoffTime: 500
  });
  let socket: ReturnType<typeof io> | null = null;
  if (token !== null) {
    const s = await personSocket(url, room, token);
    socket = s;
    connectWithTickets(provider, () => ticket(s));
  }
  await waitUntil('a Yjs provider to sync', () => provider.synced);
  return { doc, provider, socket };
}

/** One update naming `count` made-up client ids (a one-clock removed range each: ~7 bytes per id). */
function floodUpdate(count: number, seed: number): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, count);
  for (let i = 0; i < count; i++) {
    encoding.writeVarUint(e, 1);
    encoding.writeVarUint(e, 100_000_000 + ((seed * count + i) % 4_000_000_000));
    encoding.writeVarUint(e, 0);
    encoding.writeUint8(e, 0);
    encoding.writeVarUint(e, 1);
  }
  encoding.writeVarUint(e, 0);
  return encoding.toUint8Array(e);
}

function syncUpdate(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint(e, 2);
  encoding.writeVarUint8Array(e, update);
  return encoding.toUint8Array(e);
}

let facilitatorRoom: string | null = null;
let hostileSocket: ReturnType<typeof io> | null = null;
let hostileToken: string | null = null;
let hostileRunning = false;
let hostileSent = 0;
let hostileBytes = 0;

/** The attacker: floods until stopped; every refusal closes its socket, so it reconnects with a new ticket. */
async function hostileLoop(url: string, base: string, room: string): Promise<void> {
  hostileSocket = await personSocket(url, room, hostileToken!);
  let seed = 0;
  while (hostileRunning) {
    const t = await ticket(hostileSocket);
    const ws = new WebSocket(`${base}/${room}?ticket=${t}`);
    ws.on('error', () => undefined);
    await new Promise<void>((resolve) => {
      ws.once('open', () => {
        const message = syncUpdate(floodUpdate(25_000, seed++));
        hostileSent++;
        hostileBytes += message.length;
        ws.send(message);
      });
      ws.once('close', () => resolve());
      ws.once('unexpected-response', () => resolve());
    });
  }
}

async function prepare(s: Setup): Promise<void> {
  setup = s;
  const base = `${s.url.replace(/^http/, 'ws')}/yjs`;
  let room = 'bench-board';
  let adminToken: string | null = null;
  let tokens: (string | null)[] = Array.from({ length: s.editors }, () => null);
  const ids = Array.from({ length: s.actions }, () => newActionId());
  if (s.target === 'ours') {
    const session = await postJson<{ code: string; facilitatorToken: string }>(`${s.url}/api/sessions`, { title: 'bench' });
    room = session.code;
    facilitatorRoom = room;
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
    const joined = await pool(tokens, 10, (_, i) =>
      postJson<{ participantToken: string }>(`${s.url}/api/sessions/${room}/participants`, { name: `Editor ${i}` })
    );
    tokens = joined.map((j) => j.participantToken);
    // The server creates each point and its text (socket.io command), as the board does.
    for (const [i, actionId] of ids.entries()) {
      const ack = await socket.timeout(10_000).emitWithAck('action:create', { actionId, factor: 1 + (i % 12) });
      if (!ack.ok) throw new Error(`action:create: ${JSON.stringify(ack)}`);
    }
    if (s.hostile)
      hostileToken = (await postJson<{ participantToken: string }>(`${s.url}/api/sessions/${room}/participants`, { name: 'Mallory' })).participantToken;
  }
  admin = await openEditor(s.url, base, room, adminToken);
  // The bare relay has no server side: the admin creates the texts itself.
  if (s.target === 'bare') admin.doc.transact(() => ids.forEach((id) => textsMap(admin!.doc).set(id, new Y.Text())));
  editors = await pool(tokens, 10, (token) => openEditor(s.url, base, room, token));
  await waitUntil('every editor to see the action points', () => editors.every((e) => textsMap(e.doc).size === s.actions));
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
  let hostileDone: Promise<void> = Promise.resolve();
  if (setup.hostile) {
    hostileRunning = true;
    hostileDone = hostileLoop(setup.url, `${setup.url.replace(/^http/, 'ws')}/yjs`, facilitatorRoom!).catch((error) =>
      console.error('hostile client failed', error)
    );
  }
  const meter = startLoadMeter();
  const started = performance.now();
  let typedCount = 0;
  const typist = async (e: Editor, i: number) => {
    const text = [...textsMap(e.doc).values()][i % setup.actions];
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
  hostileRunning = false;
  await hostileDone;
  const drainDeadline = performance.now() + 15_000;
  while (received < expected && performance.now() < drainDeadline) await sleep(20);
  const load = meter.stop();
  const wallS = (Math.max(lastReceiveAt, started) - started) / 1000;
  const lengths = editors.map((e) => [...textsMap(e.doc).values()].reduce((sum, t) => sum + t.length, 0));
  return {
    type: 'done',
    keystrokes: typedCount,
    deliveries: received,
    expectedDeliveries: expected,
    typingS,
    wallS,
    converged: lengths.every((l) => l === typedCount),
    latency: summarize(latency.values()),
    ...load(wallS),
    hostileUpdates: hostileSent,
    hostileMb: hostileBytes / 1e6
  };
}

serveLoadProcess<Setup>({
  prepare,
  run,
  cleanup: () => {
    for (const e of [...editors, ...(admin ? [admin] : [])]) {
      e.provider.destroy();
      e.doc.destroy();
      e.socket?.disconnect();
    }
    facilitatorSocket?.disconnect();
    hostileSocket?.disconnect();
  }
});
