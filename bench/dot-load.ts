/**
 * Dot load generator, forked by bench/dots.ts (IPC). One process holds the
 * facilitator and all participant sockets.
 *
 *   parent → {type:'setup', target, url, participants, dots, points, mode, windowMs}  ← {type:'ready'}
 *   parent → {type:'go'}                                                               ← {type:'done', ...}
 *
 * Each participant spends its dots one after the other (the next after the
 * ack), all at once (`burst`) or spread over about `windowMs` (`paced`).
 * Bytes: every Engine.IO message payload every client receives during the run
 * (what the server sends, without WebSocket framing), counted at the clients.
 * A dot is "seen" when the facilitator's totals include it.
 */
import type { Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '../src/lib/protocol';
import { connectForState, pool, postJson, Samples, serveLoadProcess, sleep, startLoadMeter, summarize } from './lib';

interface Setup {
  type: 'setup';
  target: 'ours' | 'bare';
  url: string;
  participants: number;
  dots: number;
  points: number;
  mode: 'burst' | 'paced';
  windowMs: number;
}

let setup: Setup;
let facilitator: Socket;
let people: Socket[] = [];
let pointIds: string[] = [];
let bytes = 0;
let counting = false;

function connect(url: string, auth: Record<string, unknown>): Promise<Socket> {
  return connectForState(url, auth, {
    routeByCode: false,
    // Engine.IO emits every message payload as "data"; count what the server sends while the run lasts.
    beforeConnect: (socket) =>
      socket.io.on('open', () =>
        socket.io.engine.on('data', (data: unknown) => {
          if (counting) bytes += typeof data === 'string' ? Buffer.byteLength(data) : (data as ArrayBuffer).byteLength;
        })
      )
  });
}

async function prepare(s: Setup): Promise<void> {
  setup = s;
  pointIds = Array.from({ length: s.points }, (_, i) => `bench-point-${i}`);
  let auths: Record<string, unknown>[];
  if (s.target === 'ours') {
    const session = await postJson<{ code: string; facilitatorToken: string }>(`${s.url}/api/sessions`, { title: 'bench' });
    facilitator = await connect(s.url, { code: session.code, token: session.facilitatorToken, protocolVersion: PROTOCOL_VERSION });
    const joined = await pool(Array.from({ length: s.participants }), 16, (_, i) =>
      postJson<{ participantToken: string }>(`${s.url}/api/sessions/${session.code}/participants`, { name: `P${i}` })
    );
    for (const phase of ['voting', 'revealed', 'actions']) {
      const ack = await facilitator.timeout(10_000).emitWithAck('phase:set', { phase });
      if (!ack.ok) throw new Error(`phase:set ${phase}: ${JSON.stringify(ack)}`);
    }
    for (const [i, actionId] of pointIds.entries()) {
      const ack = await facilitator.timeout(10_000).emitWithAck('action:create', { actionId, factor: 1 + (i % 12) });
      if (!ack.ok) throw new Error(`action:create: ${JSON.stringify(ack)}`);
    }
    auths = joined.map((j) => ({ code: session.code, token: j.participantToken, protocolVersion: PROTOCOL_VERSION }));
  } else {
    // The same REST join as ours: a token issued, stored hashed, committed before the answer.
    facilitator = await connect(s.url, { token: 'facilitator' });
    const joined = await pool(Array.from({ length: s.participants }), 16, (_, i) =>
      postJson<{ participantToken: string }>(`${s.url}/api/sessions/bench/participants`, { name: `P${i}` })
    );
    auths = joined.map((j) => ({ token: j.participantToken }));
  }
  people = await pool(auths, 50, (auth) => connect(s.url, auth));
  await sleep(500); // let connect fan-out settle before the clock starts
}

async function run(): Promise<object> {
  const total = people.length * setup.dots;
  const sendTimes: number[] = [];
  const seen = new Samples();
  const acked = new Samples();
  let seenCount = 0;
  let ackCount = 0;
  let failures = 0;
  let lastAt = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const check = () => {
    if (seenCount >= total && ackCount >= total) finish();
  };
  facilitator.on('dotTotals', (totals: Record<string, number>) => {
    const now = performance.now();
    let applied = 0;
    for (const n of Object.values(totals)) applied += n;
    const upTo = Math.min(applied, sendTimes.length);
    while (seenCount < upTo) seen.push(now - sendTimes[seenCount++]);
    if (upTo > 0) lastAt = Math.max(lastAt, now);
    check();
  });
  const meter = startLoadMeter();
  bytes = 0;
  counting = true;
  const started = performance.now();
  const gap = (2 * setup.windowMs) / setup.dots;
  const voter = async (socket: Socket, i: number) => {
    for (let d = 0; d < setup.dots; d++) {
      if (setup.mode === 'paced') await sleep(Math.random() * gap);
      const t = performance.now();
      sendTimes.push(t);
      try {
        const ack = await socket.timeout(30_000).emitWithAck('dot:cast', { actionId: pointIds[(i + d) % pointIds.length], delta: 1 });
        if (!ack.ok) failures++;
      } catch {
        failures++;
      }
      const now = performance.now();
      acked.push(now - t);
      ackCount++;
      lastAt = Math.max(lastAt, now);
      check();
    }
  };
  const voters = Promise.all(people.map(voter));
  const outcome = await Promise.race([finished.then(() => 'ok' as const), sleep(120_000).then(() => 'timeout' as const)]);
  await Promise.race([voters, sleep(1000)]);
  // Let the last coalesced totals (at most one interval, 250 ms, later) arrive everywhere before the byte count stops.
  await sleep(600);
  counting = false;
  const load = meter.stop();
  const wallS = (lastAt - started) / 1000;
  return {
    type: 'done',
    outcome,
    dots: total,
    failures,
    durationS: wallS,
    bytesReceived: bytes,
    seen: summarize(seen.values()),
    ack: summarize(acked.values()),
    ...load(wallS)
  };
}

serveLoadProcess<Setup>({
  prepare,
  run,
  cleanup: () => {
    for (const p of people) p.disconnect();
    facilitator?.disconnect();
  }
});
