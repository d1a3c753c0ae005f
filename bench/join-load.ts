/**
 * Join load generator, forked by bench/joins.ts (IPC). One process holds the
 * facilitator and every participant socket, so all timestamps share one clock.
 *
 *   parent → {type:'setup', target, url, participants, concurrency}  ← {type:'ready'}
 *   parent → {type:'go'}                                              ← {type:'done', ...}
 *   parent → {type:'exit'}
 *
 * A join is what a person's browser does: `POST /api/sessions/<code>/participants`
 * (a token issued and stored), then a socket.io connection with that token until
 * its first `state`. `concurrency` joins are in flight at once (a class
 * scanning the QR code together); everyone who joined stays connected, so
 * the room grows to `participants` during the run. Latency is POST → state.
 */
import type { Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '../src/lib/protocol';
import { connectForState, pool, postJson, Samples, serveLoadProcess, startLoadMeter, summarize } from './lib';

interface Setup {
  type: 'setup';
  target: 'ours' | 'bare';
  url: string;
  participants: number;
  concurrency: number;
  /**
   * Sessions of `participants` joins each (`concurrency` in flight) that join and leave before the measured one is
   * created: V8 has then compiled the join path with its optimising compiler, as in a server that has served rooms
   * before; the measured window holds the joins, not the compiling (bench/README.md, "sixth pass").
   */
  warmup?: number;
}

let setup: Setup;
let facilitator: Socket | null = null;
/** Where joins go and how a participant connects. */
let session: { path: string; auth: (token: string) => Record<string, unknown> };
const people: Socket[] = [];
const WARM_UP = 20;

/** Joins wait up to 30 s for their first state: a whole class joins at once. */
const connect = (url: string, auth: Record<string, unknown>) => connectForState(url, auth, { timeoutMs: 30_000 });

/** Where a session's joins go and how its participants connect, for the session `name` (bare) or a new one (ours). */
async function openSession(s: Setup, name: string): Promise<{ facilitator: Socket; path: string; auth: (token: string) => Record<string, unknown> }> {
  if (s.target === 'ours') {
    const created = await postJson<{ code: string; facilitatorToken: string }>(`${s.url}/api/sessions`, { title: `bench joins ${name}` });
    return {
      facilitator: await connect(s.url, { code: created.code, token: created.facilitatorToken, protocolVersion: PROTOCOL_VERSION }),
      path: `/api/sessions/${created.code}/participants`,
      auth: (token) => ({ code: created.code, token, protocolVersion: PROTOCOL_VERSION })
    };
  }
  return {
    facilitator: await connect(s.url, { token: 'facilitator', session: name }),
    path: `/api/sessions/${name}/participants`,
    auth: (token) => ({ token, session: name })
  };
}

async function prepare(s: Setup): Promise<void> {
  setup = s;
  for (let w = 0; w < (s.warmup ?? 0); w++) {
    const warm = await openSession(s, `warm-up-${w}`);
    const joined = await pool(Array.from({ length: s.participants }), s.concurrency, async (_, i) => {
      const { participantToken } = await postJson<{ participantToken: string }>(`${s.url}${warm.path}`, { name: `Warm-up ${w}.${i}` });
      return connect(s.url, warm.auth(participantToken));
    });
    for (const socket of joined) socket.disconnect();
    warm.facilitator.disconnect();
  }
  const opened = await openSession(s, 'bench');
  facilitator = opened.facilitator;
  session = { path: opened.path, auth: opened.auth };
  // Warm-up, outside the measured window: the first joins of a fresh server compile its code paths (and load
  // modules it imports lazily), which would weigh on the small size alone. They stay connected (M + WARM_UP in the room).
  for (let i = 0; i < WARM_UP; i++) {
    const joined = await postJson<{ participantToken: string }>(`${s.url}${session.path}`, { name: `Warm-up ${i}` });
    people.push(await connect(s.url, session.auth(joined.participantToken)));
  }
}

async function run(): Promise<object> {
  const latency = new Samples();
  let failures = 0;
  const meter = startLoadMeter();
  const started = performance.now();
  await pool(Array.from({ length: setup.participants }), setup.concurrency, async (_, i) => {
    const t = performance.now();
    try {
      const joined = await postJson<{ participantToken: string }>(`${setup.url}${session.path}`, { name: `Person ${i}` });
      people.push(await connect(setup.url, session.auth(joined.participantToken)));
      latency.push(performance.now() - t);
    } catch {
      failures++;
    }
  });
  const wallS = (performance.now() - started) / 1000;
  const load = meter.stop();
  return {
    type: 'done',
    joins: setup.participants,
    failures,
    durationS: wallS,
    joinsPerS: (setup.participants - failures) / wallS,
    latency: summarize(latency.values()),
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
