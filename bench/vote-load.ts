/**
 * Vote load generator, forked by bench/votes.ts and bench/scale.ts (IPC). One
 * process holds the facilitators and all participant sockets (`sessions` ×
 * M), so every timestamp comes from the same clock (performance.now()).
 *
 *   parent → {type:'setup', target, url, participants, mode, windowMs, sessions?, createUrls?}   ← {type:'ready'}
 *   parent → {type:'go'}                                                 ← {type:'done', ...}
 *   parent → {type:'exit'}
 *
 * Latency ("reflected"), per session: every vote gets a send index k in its
 * session (0,1,2,… in the order emit() was called). progress.perFactor summed is the number of votes
 * the server has applied (each participant answers 12 distinct factors once),
 * so when the session's facilitator's `progress` arrives with sum ≥ n, the first n sends are
 * resolved at that arrival time. This is exact when the server applies votes
 * in send order; the only reordering possible is among votes read in the same
 * server turn, which also share one progress message. Against our server we
 * also measure it exactly per vote: the facilitator gets a `participant`
 * event (with that person's `answered` count) in the same turn as the
 * progress that includes the vote, so vote j of person p is reflected when
 * p's view first shows answered ≥ j.
 */
import type { Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '../src/lib/protocol';
import { connectForState, pool, postJson, Samples, serveLoadProcess, sleep, startLoadMeter, summarize } from './lib';

const FACTORS = 12;

interface Setup {
  type: 'setup';
  target: 'ours' | 'bare';
  /** Where every connection goes (a single server, or the proxy in front of several). */
  url: string;
  /** Participants per session. */
  participants: number;
  mode: 'burst' | 'paced';
  windowMs: number;
  /** Sessions, each with its own facilitator and `participants` people (default 1). */
  sessions?: number;
  /** Where sessions are created, round robin (default [url]): with several instances, which one owns each session. */
  createUrls?: string[];
  /**
   * Before the measured sessions are joined, one more session of `participants` people votes its whole ballot (burst)
   * and leaves: the server's vote path is then compiled by V8, as in a server that has served a round before.
   */
  warmup?: number;
}

interface Person {
  id: string;
  session: number;
  socket: Socket;
}

let setup: Setup;
let facilitators: Socket[] = [];
let people: Person[] = [];

/** Setup only (sessions × participants joins on a loaded machine): a failed connection is tried once more. */
const post = <T>(url: string, body: unknown) => postJson<T>(url, body, { retryOnce: true });
const connect = (url: string, auth: Record<string, unknown>) => connectForState(url, auth);

/** One session's facilitator socket and its participants' ids and auth. */
async function prepareSession(
  s: Setup,
  index: number
): Promise<{ facilitator: Socket; auths: { id: string; session: number; auth: Record<string, unknown> }[] }> {
  if (s.target === 'bare') {
    // The same REST join as ours: a token issued, stored hashed, committed before the answer.
    const session = `s${index}`;
    const facilitator = await connect(s.url, { token: 'facilitator', session });
    const joined = await pool(Array.from({ length: s.participants }), 8, (_, i) =>
      post<{ participantId: string; participantToken: string }>(`${s.url}/api/sessions/${session}/participants`, { name: `P${i}` })
    );
    return { facilitator, auths: joined.map((j) => ({ id: j.participantId, session: index, auth: { token: j.participantToken, session } })) };
  }
  const createUrls = s.createUrls ?? [s.url];
  const created = await post<{ code: string; facilitatorToken: string }>(`${createUrls[index % createUrls.length]}/api/sessions`, { title: `bench ${index}` });
  const facilitator = await connect(s.url, { code: created.code, token: created.facilitatorToken, protocolVersion: PROTOCOL_VERSION });
  const opened = await facilitator.timeout(10_000).emitWithAck('phase:set', { phase: 'voting' });
  if (!opened.ok) throw new Error(`phase:set voting: ${JSON.stringify(opened)}`);
  const joined = await pool(Array.from({ length: s.participants }), 8, (_, i) =>
    post<{ participantId: string; participantToken: string }>(`${s.url}/api/sessions/${created.code}/participants`, { name: `P${i}` })
  );
  return {
    facilitator,
    auths: joined.map((j) => ({
      id: j.participantId,
      session: index,
      auth: { code: created.code, token: j.participantToken, protocolVersion: PROTOCOL_VERSION }
    }))
  };
}

/** An unmeasured session votes its whole ballot, each person's votes one after another, all people at once; then it leaves. */
async function warmUp(s: Setup, index: number): Promise<void> {
  const { facilitator, auths } = await prepareSession(s, index);
  const sockets = await pool(auths, 50, ({ auth }) => connect(s.url, auth));
  await Promise.all(
    sockets.map(async (socket, i) => {
      for (let j = 0; j < FACTORS; j++) {
        const ack = await socket.timeout(30_000).emitWithAck('vote', { factor: j + 1, answer: 1 + ((i + j) % 5) });
        if (!ack.ok) throw new Error(`warm-up vote refused: ${JSON.stringify(ack)}`);
      }
    })
  );
  for (const socket of sockets) socket.disconnect();
  facilitator.disconnect();
}

async function prepare(s: Setup): Promise<void> {
  setup = s;
  for (let i = 0; i < (s.warmup ?? 0); i++) await warmUp(s, (s.sessions ?? 1) + i);
  const prepared = await pool(Array.from({ length: s.sessions ?? 1 }), 4, (_, index) => prepareSession(s, index));
  facilitators = prepared.map((p) => p.facilitator);
  people = await pool(
    prepared.flatMap((p) => p.auths),
    50,
    async ({ id, session, auth }) => ({ id, session, socket: await connect(s.url, auth) })
  );
  await sleep(500); // let join/connect fan-out settle before the clock starts
}

async function run(): Promise<object> {
  const M = people.length;
  const totalVotes = M * FACTORS;
  // Per session: send times in send order, how many were sent and how many its facilitator has seen applied.
  const sessions = facilitators.map(() => ({ sendTimes: new Float64Array(setup.participants * FACTORS), sent: 0, resolved: 0 }));
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
  // Only named sessions send the facilitator per-person counts; anonymous ones (the default) send none, so no exact figure.
  let exactAvailable = false;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const checkDone = () => {
    if (resolved >= totalVotes && ackCount >= totalVotes && (!exactAvailable || exactCount >= totalVotes)) finish();
  };

  facilitators.forEach((facilitator, index) => {
    const session = sessions[index];
    facilitator.on('progress', (progress: { perFactor: number[] }) => {
      const now = performance.now();
      progressEvents++;
      let applied = 0;
      for (const n of progress.perFactor) applied += n;
      const upTo = Math.min(applied, session.sent);
      if (session.resolved < upTo) lastReflectedAt = now;
      while (session.resolved < upTo) {
        reflected.push(now - session.sendTimes[session.resolved++]);
        resolved++;
      }
      checkDone();
    });
    // Our server batches the changed participants of one turn into one `participants` message.
    const onViews = (views: { id: string; answered: number | null }[]) => {
      const now = performance.now();
      for (const view of views) {
        if (view.answered !== null) exactAvailable = true;
        const i = indexOf.get(view.id);
        if (i === undefined) continue;
        while (view.answered !== null && exactDone[i] < view.answered && byPerson[i][exactDone[i]] > 0) {
          exact.push(now - byPerson[i][exactDone[i]++]);
          exactCount++;
        }
      }
      checkDone();
    };
    facilitator.on('participant', (view: { id: string; answered: number | null }) => onViews([view]));
    facilitator.on('participants', onViews);
  });

  const meter = startLoadMeter();
  const started = performance.now();
  const gap = (2 * setup.windowMs) / FACTORS;
  const voter = async (person: Person, i: number) => {
    const session = sessions[person.session];
    for (let j = 0; j < FACTORS; j++) {
      if (setup.mode === 'paced') await sleep(Math.random() * gap);
      const t = performance.now();
      session.sendTimes[session.sent++] = t;
      sent++;
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
  const load = meter.stop();
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
    exact: exactAvailable ? summarize(exact.values()) : null,
    ack: summarize(acked.values()),
    ...load(wallS)
  };
}

serveLoadProcess<Setup>({
  prepare,
  run,
  cleanup: () => {
    for (const p of people) p.socket.disconnect();
    for (const f of facilitators) f.disconnect();
  }
});
