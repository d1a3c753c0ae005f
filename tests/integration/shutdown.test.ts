/**
 * Shutdown is bounded whatever the peers do. socket.io's close waits for the HTTP server's, which waits for every
 * connection, and once closing Node no longer enforces its request timeouts: a browser that keeps a request open,
 * stops reading, or was simply never closed held a test's teardown past its 3-minute bound on a busy CI machine.
 * Each peer here holds its connection in its own way; the server must still close, and end them.
 */
import net from 'node:net';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { freePort } from '../helpers/child-server';
import { bounded } from '../helpers/patience';
import { makeDatabase, pgAdminUrl } from '../helpers/pg-test';
import { startRelay } from '../helpers/relay';
import { createSessionAt, startServer } from '../helpers/server';

/** A raw TCP connection to the server; resolves once connected. */
async function rawConnection(port: number): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, closed };
}

/** Resolves with the first chunk the socket receives. */
function firstData(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => socket.once('data', (chunk) => resolve(chunk.toString('latin1'))));
}

describe('shutdown', () => {
  it('ends a stalled upload, a WebSocket peer that stops reading and a kept-alive poller, and closes', async () => {
    const server = await startServer({ drainGraceMs: 500 });

    // 1. A request whose announced body never comes.
    const upload = await rawConnection(server.port);
    upload.socket.write('POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"lang');

    // 2. A socket.io WebSocket whose peer stops reading, so the server's close frame is never answered.
    const ws = await rawConnection(server.port);
    const handshake = firstData(ws.socket);
    ws.socket.write(
      'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
    );
    expect(await handshake).toMatch(/^HTTP\/1\.1 101/);
    ws.socket.pause();

    // 3. A page that keeps asking on one kept-alive connection.
    const poller = await rawConnection(server.port);
    const answered = firstData(poller.socket);
    const ask = () => poller.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    ask();
    expect(await answered).toMatch(/^HTTP\/1\.1 200/);
    const asking = setInterval(ask, 20);

    try {
      // Without a bound this never resolves (the test's timeout fails it).
      await server.close();
      // The peer that stopped reading reads again, to see its connection end.
      ws.socket.resume();
      await Promise.all([upload.closed, ws.closed, poller.closed]);
      expect([upload.socket.destroyed, ws.socket.destroyed, poller.socket.destroyed]).toEqual([true, true, true]);
    } finally {
      clearInterval(asking);
      for (const { socket } of [upload, ws, poller]) socket.destroy();
    }
  });
});

describe.skipIf(!pgAdminUrl())('shutdown cut off from PostgreSQL', () => {
  it('an instance whose link to PostgreSQL went silent still closes: its lease and pool connections are cut after a grace', async () => {
    const databaseUrl = await makeDatabase();
    const relay = await startRelay(Number(new URL(databaseUrl).port), 0, { silentClose: true });
    const throughRelay = new URL(databaseUrl);
    throughRelay.port = String(relay.port);
    const port = await freePort();
    const server = await startServer({ databaseUrl: throughRelay.toString(), port, instanceUrl: `http://127.0.0.1:${port}`, drainGraceMs: 500 });
    // The pools hold connections too: a request that used the store and the address limits.
    await createSessionAt(server.url, { title: 'Cut at shutdown' });
    relay.cut();
    // Without a bound this waited for PostgreSQL's goodbyes, which a cut link never delivers (97 s here).
    await bounded('closing the cut-off instance', server.close(), 20_000);
  });
});

describe('a stop right after the start', () => {
  // SIGTERM as the instance comes up (a deploy rolled back, a supervisor's restart): the purge it began at the start was
  // still reading when the store closed, and the log said "Purging sessions failed: store is closed".
  it.for([
    { store: 'SQLite', skip: false },
    { store: 'PostgreSQL', skip: !pgAdminUrl() }
  ])('waits for the purge the start began ($store)', async ({ store, skip }, { skip: skipTest }) => {
    if (skip) return skipTest();
    const errors = vi.spyOn(console, 'error');
    onTestFinished(() => errors.mockRestore());
    const server = await startServer({ purgeAfterDays: 30, lobbyPurgeHours: 24, ...(store === 'PostgreSQL' ? { databaseUrl: await makeDatabase() } : {}) });
    await server.close();
    expect(errors.mock.calls.map((args) => args.map(String).join(' '))).toEqual([]);
  });
});
