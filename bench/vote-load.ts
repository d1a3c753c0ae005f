/**
 * Vote load generator, forked by bench/votes.ts (IPC). One process holds the
 * facilitator and all M participant sockets, so every timestamp comes from
 * the same clock (performance.now()).
 *
 *   parent → {type:'setup', target, url, participants, mode, windowMs}   ← {type:'ready'}
 *   parent → {type:'go'}                                                 ← {type:'done', ...}
 *   parent → {type:'exit'}
 *
 * Latency ("reflected"): every vote gets a global send index k (0,1,2,… in the
 * order emit() was called). progress.perFactor summed is the number of votes
 * the server has applied (each participant answers 12 distinct factors once),
 * so when a facilitator `progress` arrives with sum ≥ n, the first n sends are
 * resolved at that arrival time. This is exact when the server applies votes
 * in send order; the only reordering possible is among votes read in the same
 * server turn, which also share one progress message. Against our server we
 * also measure it exactly per vote: the facilitator gets a `participant`
 * event (with that person's `answered` count) in the same turn as the
 * progress that includes the vote, so vote j of person p is reflected when
 * p's view first shows answered ≥ j.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '../src/lib/protocol';
import { pool, Samples, serveLoadProcess, sleep, summarize } from './lib';

const FACTORS = 12;

interface Setup {
  type: 'setup';
  target: 'ours' | 'bare';
  url: string;
  participants: number;
  mode: 'burst' | 'paced';
  windowMs: number;
}

let setup: Setup;
let facilitator: Socket;
let people: { id: string; socket: Socket }[] = [];

async function post<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (response.status !== 201) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

function connect(url: string, auth: Record<string, unknown>): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no state within 15 s')), 15_000);
    socket.once('state', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function prepare(s: Setup): Promise<void> {
  setup = s;
  let auths: { id: string; auth: Record<string, unknown> }[];
  if (s.target === 'ours') {
    const session = await post<{ code: string; facilitatorToken: string }>(`${s.url}/api/sessions`, { title: 'bench' });
    facilitator = await connect(s.url, { code: session.code, token: session.facilitatorToken, protocolVersion: PROTOCOL_VERSION });
    const opened = await facilitator.timeout(10_000).emitWithAck('phase:set', { phase: 'voting' });
    if (!opened.ok) throw new Error(`phase:set voting: ${JSON.stringify(opened)}`);
    const joined = await pool(Array.from({ length: s.participants }), 16, (_, i) =>
      post<{ participantId: string; participantToken: string }>(`${s.url}/api/sessions/${session.code}/participants`, { name: `P${i}` })
    );
    auths = joined.map((j) => ({ id: j.participantId, auth: { code: session.code, token: j.participantToken, protocolVersion: PROTOCOL_VERSION } }));
  } else {
    facilitator = await connect(s.url, { token: 'facilitator' });
    auths = Array.from({ length: s.participants }, (_, i) => ({ id: `p${i}`, auth: { token: `p${i}` } }));
  }
  people = await pool(auths, 50, async ({ id, auth }) => ({ id, socket: await connect(s.url, auth) }));
  await sleep(500); // let join/connect fan-out settle before the clock starts
}

async function run(): Promise<object> {
  const M = people.length;
  const totalVotes = M * FACTORS;
  const sendTimes = new Float64Array(totalVotes);
  const byPerson = people.map(() => new Float64Array(FACTORS));
  const exactDone = new Int32Array(M);
  const indexOf = new Map(people.map((p, i) => [p.id, i]));
  const reflected = new Samples();
  const exact = new Samples();
  const acked = new Samples();
  let sent = 0;
  let resolved = 0;
  let exactCount = 0;
  let ackCount = 0;
  let failures = 0;
  let progressEvents = 0;
  let lastReflectedAt = 0;
  let lastAckAt = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const checkDone = () => {
    if (resolved >= totalVotes && ackCount >= totalVotes && (setup.target === 'bare' || exactCount >= totalVotes)) finish();
  };

  facilitator.on('progress', (progress: { perFactor: number[] }) => {
    const now = performance.now();
    progressEvents++;
    let applied = 0;
    for (const n of progress.perFactor) applied += n;
    const upTo = Math.min(applied, sent);
    if (resolved < upTo) lastReflectedAt = now;
    while (resolved < upTo) reflected.push(now - sendTimes[resolved++]);
    checkDone();
  });
  // Our server batches the changed participants of one turn into one `participants` message.
  const onViews = (views: { id: string; answered: number }[]) => {
    const now = performance.now();
    for (const view of views) {
      const i = indexOf.get(view.id);
      if (i === undefined) continue;
      while (exactDone[i] < view.answered && byPerson[i][exactDone[i]] > 0) {
        exact.push(now - byPerson[i][exactDone[i]++]);
        exactCount++;
      }
    }
    checkDone();
  };
  facilitator.on('participant', (view: { id: string; answered: number }) => onViews([view]));
  facilitator.on('participants', onViews);

  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const gap = (2 * setup.windowMs) / FACTORS;
  const voter = async (person: (typeof people)[number], i: number) => {
    for (let j = 0; j < FACTORS; j++) {
      if (setup.mode === 'paced') await sleep(Math.random() * gap);
      const t = performance.now();
      sendTimes[sent++] = t;
      byPerson[i][j] = t;
      try {
        const ack = await person.socket.timeout(30_000).emitWithAck('vote', { factor: j + 1, answer: 1 + ((i + j) % 5) });
        if (!ack.ok) failures++;
      } catch {
        failures++;
      }
      const now = performance.now();
      acked.push(now - t);
      ackCount++;
      lastAckAt = now;
      checkDone();
    }
  };
  const voters = Promise.all(people.map(voter));
  const timeout = sleep(120_000).then(() => 'timeout' as const);
  const outcome = await Promise.race([finished.then(() => 'ok' as const), timeout]);
  await Promise.race([voters, sleep(1000)]);
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  const end = Math.max(lastReflectedAt, lastAckAt);
  const wallS = (end - started) / 1000;
  return {
    type: 'done',
    outcome,
    votes: totalVotes,
    sent,
    reflectedCount: resolved,
    failures,
    progressEvents,
    durationS: wallS,
    reflectedPerS: resolved / ((lastReflectedAt - started) / 1000),
    ackedPerS: ackCount / ((lastAckAt - started) / 1000),
    reflected: summarize(reflected.values()),
    exact: setup.target === 'ours' ? summarize(exact.values()) : null,
    ack: summarize(acked.values()),
    loadCpuPercent: (100 * (cpu.user + cpu.system)) / 1e6 / wallS,
    loadLoopDelayP99Ms: loop.percentile(99) / 1e6
  };
}

serveLoadProcess<Setup>({
  prepare,
  run,
  cleanup: () => {
    for (const p of people) p.socket.disconnect();
    facilitator?.disconnect();
  }
});
