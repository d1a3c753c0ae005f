/**
 * The baseline for `bench/dots.ts`: a bare socket.io 4.8 server with the same
 * durability and authentication work as ours (bench/bare-durable.ts): people
 * join over REST (a token stored only as its hash, committed before the
 * answer), connect with that token, and each `dot:cast` is acked (with the
 * voter's own dots and the point's total) only after it committed to SQLite
 * (WAL, synchronous FULL, one transaction per event-loop turn); the totals go
 * to everyone once per event-loop turn. No validation beyond shape, no limits,
 * no authorisation rules, no hidden totals. The facilitator connects with auth
 * { token: 'facilitator' }. Prints its URL like server/index.ts does.
 */
import { Server } from 'socket.io';
import { authenticate, commit, joinServer, listen, statements } from './bare-durable';

const DOTS = 3;
const httpServer = joinServer(() => undefined);
const io = new Server(httpServer, { serveClient: false, maxHttpBufferSize: 16 * 1024, pingInterval: 20_000, pingTimeout: 20_000 });
const totals = new Map<string, number>();
let scheduled = false;

function scheduleTotals(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    io.to('all').emit('dotTotals', Object.fromEntries(totals));
  });
}

io.on('connection', (socket) => {
  const token = (socket.handshake.auth as { token?: unknown }).token;
  const who = token === 'facilitator' ? { id: 'facilitator', session: '' } : authenticate(token);
  if (!who) return void socket.disconnect(true);
  const mine = new Map<string, number>();
  void socket.join('all');
  socket.emit('state', { dots: { totals: Object.fromEntries(totals), mine: {}, remaining: DOTS } });
  socket.on('dot:cast', (payload: { actionId: string; delta: 1 | -1 }, ack: (response: unknown) => void) => {
    const id = String(payload?.actionId ?? '').slice(0, 40);
    const delta = payload?.delta === -1 ? -1 : 1;
    const count = (mine.get(id) ?? 0) + delta;
    // Acked = committed, as ours: memory and fan-out follow the commit (one voter's casts are sequential in the load).
    commit(() => statements.dots.run(who.session, who.id, id, count)).then(
      () => {
        mine.set(id, count);
        totals.set(id, (totals.get(id) ?? 0) + delta);
        scheduleTotals();
        let spent = 0;
        for (const n of mine.values()) spent += n;
        ack({ ok: true, data: { totals: { [id]: totals.get(id) }, mine: Object.fromEntries(mine), remaining: DOTS - spent } });
      },
      () => ack({ ok: false, error: { code: 'store_unavailable', message: 'not stored' } })
    );
  });
});

listen(httpServer, 'bare socket.io dot server', (done) => io.close(done));
