/**
 * The baseline for `bench/votes.ts`: a bare socket.io 4.8 server that only
 * remembers answers in memory, acks each vote, and sends a progress count to
 * the facilitator socket(s), coalesced once per event-loop turn (setImmediate),
 * as our server does. No auth, validation, persistence or rate limits.
 * Connect with auth { token: 'facilitator' } or { token: <any participant id> },
 * plus { session: <name> } to keep several sessions apart (bench/scale.ts).
 * Prints its URL like server/index.ts does.
 *
 * BARE_MIRROR=1 also mirrors our server's extra fan-out (to measure its cost):
 * one batched `participants` message with the views of everyone who voted in
 * that turn to the facilitator ("views"), and `progress` to all participants
 * every 1000 ms
 * ("broadcast"); BARE_MIRROR=views or =broadcast mirrors one of them.
 */
import http from 'node:http';
import { Server } from 'socket.io';

const FACTORS = 12;
const httpServer = http.createServer((_req, res) => res.writeHead(404).end());
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
}
const sessions = new Map<string, Session>();

function sessionNamed(name: string): Session {
  let session = sessions.get(name);
  if (!session) {
    session = { name, answers: new Map(), dirty: new Set(), perFactor: new Array<number>(FACTORS).fill(0), voted: 0, scheduled: false, participantTimer: null };
    sessions.set(name, session);
  }
  return session;
}

const progressOf = (s: Session) => ({ voted: s.voted, total: s.answers.size, perFactor: [...s.perFactor] });

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
  const token = String(auth.token ?? '');
  const s = sessionNamed(String(auth.session ?? ''));
  if (token === 'facilitator') {
    void socket.join(`f:${s.name}`);
    socket.emit('state', { progress: progressOf(s) });
    return;
  }
  if (!s.answers.has(token)) s.answers.set(token, new Set());
  const mine = s.answers.get(token)!;
  void socket.join(`p:${s.name}`);
  socket.emit('state', { progress: progressOf(s) });
  scheduleProgress(s);
  socket.on('vote', (payload: { factor: number; answer: unknown }, ack: (response: unknown) => void) => {
    const factor = payload?.factor;
    if (typeof factor !== 'number' || factor < 1 || factor > FACTORS) return ack({ ok: false, error: { code: 'bad_request', message: 'bad factor' } });
    if (!mine.has(factor)) {
      mine.add(factor);
      s.perFactor[factor - 1]++;
      if (mine.size === FACTORS) s.voted++;
    }
    if (MIRROR_VIEWS) s.dirty.add(token);
    scheduleProgress(s);
    ack({ ok: true, data: { factor, answered: mine.size } });
  });
});

httpServer.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(`bare socket.io vote server on http://127.0.0.1:${port}`);
});

process.on('SIGTERM', () => {
  io.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
