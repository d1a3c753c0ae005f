/**
 * The baseline for `bench/dots.ts`: a bare socket.io 4.8 server that keeps dot
 * counts in memory, acks each `dot:cast` with the voter's own dots, and sends
 * the totals to everyone once per event-loop turn (setImmediate), the same
 * fan-out as our server. No auth, validation, limits or persistence.
 * Connect with auth { token: <any voter id> }. Prints its URL like server/index.ts does.
 */
import http from 'node:http';
import { Server } from 'socket.io';

const httpServer = http.createServer((_req, res) => res.writeHead(404).end());
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
  const mine = new Map<string, number>();
  void socket.join('all');
  socket.emit('state', { dots: { totals: Object.fromEntries(totals), mine: {}, remaining: 3 } });
  socket.on('dot:cast', (payload: { actionId: string; delta: 1 | -1 }, ack: (response: unknown) => void) => {
    const id = String(payload?.actionId ?? '');
    const delta = payload?.delta === -1 ? -1 : 1;
    mine.set(id, (mine.get(id) ?? 0) + delta);
    totals.set(id, (totals.get(id) ?? 0) + delta);
    scheduleTotals();
    let spent = 0;
    for (const n of mine.values()) spent += n;
    ack({ ok: true, data: { totals: Object.fromEntries(totals), mine: Object.fromEntries(mine), remaining: 3 - spent } });
  });
});

httpServer.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(`bare socket.io dot server on http://127.0.0.1:${port}`);
});

process.on('SIGTERM', () => {
  io.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
