/**
 * The baseline for `bench/votes.ts`: a bare socket.io 4.8 server that only
 * remembers answers in memory, acks each vote, and sends a progress count to
 * the facilitator socket(s), coalesced once per event-loop turn (setImmediate),
 * as our server does. No auth, validation, persistence or rate limits.
 * Connect with auth { token: 'facilitator' } or { token: <any participant id> }.
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
const answers = new Map<string, Set<number>>();
const dirty = new Set<string>();
let participantTimer: NodeJS.Timeout | null = null;
const perFactor = new Array<number>(FACTORS).fill(0);
let voted = 0;
let scheduled = false;

function scheduleProgress(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    io.to('f').emit('progress', { voted, total: answers.size, perFactor: [...perFactor] });
    if (MIRROR_VIEWS && dirty.size > 0) {
      io.to('f').emit(
        'participants',
        [...dirty].map((id) => ({ id, name: id, group: null, joinedAt: 0, connected: true, answered: answers.get(id)!.size }))
      );
    }
    dirty.clear();
  });
  if (MIRROR_BROADCAST && !participantTimer) {
    participantTimer = setTimeout(() => {
      participantTimer = null;
      io.to('p').emit('progress', { voted, total: answers.size, perFactor: [...perFactor] });
    }, 1000);
  }
}

io.on('connection', (socket) => {
  const token = String((socket.handshake.auth as { token?: unknown }).token ?? '');
  if (token === 'facilitator') {
    void socket.join('f');
    socket.emit('state', { progress: { voted, total: answers.size, perFactor } });
    return;
  }
  if (!answers.has(token)) answers.set(token, new Set());
  const mine = answers.get(token)!;
  void socket.join('p');
  socket.emit('state', { progress: { voted, total: answers.size, perFactor } });
  scheduleProgress();
  socket.on('vote', (payload: { factor: number; answer: unknown }, ack: (response: unknown) => void) => {
    const factor = payload?.factor;
    if (typeof factor !== 'number' || factor < 1 || factor > FACTORS) return ack({ ok: false, error: { code: 'bad_request', message: 'bad factor' } });
    if (!mine.has(factor)) {
      mine.add(factor);
      perFactor[factor - 1]++;
      if (mine.size === FACTORS) voted++;
    }
    if (MIRROR_VIEWS) dirty.add(token);
    scheduleProgress();
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
