/**
 * The baseline for `bench/votes.ts`, `bench/joins.ts` and `bench/scale.ts`: a
 * bare socket.io 4.8 server with the same durability and authentication work
 * as ours (bench/bare-durable.ts): participants join over REST
 * (`POST /api/sessions/<session>/participants`, a random token stored only as
 * its SHA-256 hash, acknowledged after the commit), connect with that token
 * (hashed and looked up), and each vote is acked only after it committed to
 * SQLite (WAL, synchronous FULL, one transaction per event-loop turn). It sends
 * a progress count to the facilitator socket(s) once per event-loop turn, tells
 * the facilitator about each join and everyone the participant count once per
 * turn. No validation beyond shape, no authorisation rules, no secrecy
 * projections, no rate limits. The facilitator connects with auth
 * { token: 'facilitator', session: <name> }; sessions keep apart by name
 * (bench/scale.ts runs many; bench/votes.ts one). Prints its URL like server/index.ts does.
 *
 * BARE_MIRROR=1 also mirrors our server's extra fan-out (to measure its cost):
 * one batched `participants` message with the views of everyone who voted in
 * that turn to the facilitator ("views"), and `progress` to all participants
 * every 1000 ms
 * ("broadcast"); BARE_MIRROR=views or =broadcast mirrors one of them.
 */
import { Server } from 'socket.io';
import { authenticate, commit, joinServer, listen, statements } from './bare-durable';

const FACTORS = 12;
const httpServer = joinServer((who) => {
  const s = sessionNamed(who.session);
  s.members++;
  io.to(`f:${s.name}`).emit('participant', { id: who.id, name: who.name, group: null, joinedAt: Date.now(), connected: false, answered: 0 });
  scheduleCount(s);
});
const io = new Server(httpServer, { serveClient: false, maxHttpBufferSize: 16 * 1024, pingInterval: 20_000, pingTimeout: 20_000 });

const mirror = process.env.BARE_MIRROR === '1' ? 'views,broadcast' : (process.env.BARE_MIRROR ?? '');
const MIRROR_VIEWS = mirror.includes('views');
const MIRROR_BROADCAST = mirror.includes('broadcast');
/** One session's state; sessions are named by `auth.session` (bench/scale.ts runs many; bench/votes.ts one, ''). */
interface Session {
  name: string;
  answers: Map<string, Set<number>>;
  dirty: Set<string>;
  perFactor: number[];
  voted: number;
  scheduled: boolean;
  participantTimer: NodeJS.Timeout | null;
  members: number;
  countScheduled: boolean;
}
const sessions = new Map<string, Session>();

function sessionNamed(name: string): Session {
  let session = sessions.get(name);
  if (!session) {
    session = {
      name,
      answers: new Map(),
      dirty: new Set(),
      perFactor: new Array<number>(FACTORS).fill(0),
      voted: 0,
      scheduled: false,
      participantTimer: null,
      members: 0,
      countScheduled: false
    };
    sessions.set(name, session);
  }
  return session;
}

const progressOf = (s: Session) => ({ voted: s.voted, total: s.members, perFactor: [...s.perFactor] });

function scheduleCount(s: Session): void {
  if (s.countScheduled) return;
  s.countScheduled = true;
  setImmediate(() => {
    s.countScheduled = false;
    io.to(`a:${s.name}`).emit('participantCount', s.members);
  });
}

function scheduleProgress(s: Session): void {
  if (s.scheduled) return;
  s.scheduled = true;
  setImmediate(() => {
    s.scheduled = false;
    io.to(`f:${s.name}`).emit('progress', progressOf(s));
    if (MIRROR_VIEWS && s.dirty.size > 0) {
      io.to(`f:${s.name}`).emit(
        'participants',
        [...s.dirty].map((id) => ({ id, name: id, group: null, joinedAt: 0, connected: true, answered: s.answers.get(id)!.size }))
      );
    }
    s.dirty.clear();
  });
  if (MIRROR_BROADCAST && !s.participantTimer) {
    s.participantTimer = setTimeout(() => {
      s.participantTimer = null;
      io.to(`p:${s.name}`).emit('progress', progressOf(s));
    }, 1000);
  }
}

io.on('connection', (socket) => {
  const auth = socket.handshake.auth as { token?: unknown; session?: unknown };
  if (auth.token === 'facilitator') {
    const s = sessionNamed(String(auth.session ?? ''));
    void socket.join([`f:${s.name}`, `a:${s.name}`]);
    socket.emit('state', { progress: progressOf(s), participantCount: s.members });
    return;
  }
  const who = authenticate(auth.token);
  if (!who) return void socket.disconnect(true);
  const s = sessionNamed(who.session);
  const token = who.id;
  if (!s.answers.has(token)) s.answers.set(token, new Set());
  const mine = s.answers.get(token)!;
  void socket.join([`p:${s.name}`, `a:${s.name}`]);
  socket.emit('state', { progress: progressOf(s), participantCount: s.members });
  scheduleProgress(s);
  socket.on('vote', (payload: { factor: number; answer: unknown }, ack: (response: unknown) => void) => {
    const factor = payload?.factor;
    if (typeof factor !== 'number' || factor < 1 || factor > FACTORS) return ack({ ok: false, error: { code: 'bad_request', message: 'bad factor' } });
    // Acked = committed, as ours: memory and fan-out follow the commit.
    commit(() => statements.answer.run(s.name, token, factor, String(payload.answer))).then(
      () => {
        if (!mine.has(factor)) {
          mine.add(factor);
          s.perFactor[factor - 1]++;
          if (mine.size === FACTORS) s.voted++;
        }
        if (MIRROR_VIEWS) s.dirty.add(token);
        scheduleProgress(s);
        ack({ ok: true, data: { factor, answered: mine.size } });
      },
      () => ack({ ok: false, error: { code: 'store_unavailable', message: 'not stored' } })
    );
  });
});

listen(httpServer, 'bare socket.io vote server', (done) => io.close(done));
