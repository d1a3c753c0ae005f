/**
 * A client that resets its connection during or after an HTTP upgrade must not end the server. Node's HTTP
 * server stops listening for a socket's errors once it hands the socket to an `upgrade` listener, and each of
 * ours answers after an await (the board's hub reads the session, socket.io checks the origin, an instance
 * looks up who holds the session); a refusal is written with `end()`, after which the socket still reads. An
 * ECONNRESET in that gap was an unhandled 'error' event: it ended an instance in the cluster attack tests
 * (one run in three), and a single server the same way.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { api, createSessionAt, startServer } from '../helpers/server';

/** Sends `head` on a raw connection, then resets it (RST, not FIN): `when` the answer's first bytes came, or at once. */
function resetDuringUpgrade(port: number, head: string, when: 'answered' | 'at once'): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(head);
      if (when === 'at once') {
        socket.resetAndDestroy();
        resolve('');
      }
    });
    socket.on('error', () => undefined);
    socket.once('data', (chunk) => {
      socket.resetAndDestroy();
      resolve(chunk.toString('latin1').split('\r\n')[0]);
    });
    socket.once('close', () => resolve(''));
  });
}

const upgrade = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;

describe('connections reset around an upgrade', () => {
  it('leave the server serving: the board refused (no ticket, unknown code), socket.io, an unknown path', async () => {
    const server = await startServer();
    const { code } = await createSessionAt(server.url, { title: 'Resets' });
    const paths = [`/yjs/${code}`, `/yjs/${code}?ticket=not-a-ticket`, '/yjs/NOSUCH?ticket=x', '/socket.io/?EIO=4&transport=websocket', '/elsewhere'];
    const answers: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const path of paths) {
        answers.push(await resetDuringUpgrade(server.port, upgrade(path), 'answered'));
        await resetDuringUpgrade(server.port, upgrade(path), 'at once');
      }
    }
    // The refusals were answered (so the reset came after the server had written to the socket).
    expect(answers.filter((line) => /^HTTP\/1\.1 (401|404)/.test(line)).length).toBeGreaterThanOrEqual(9);
    expect((await api(server.url, '/healthz')).status).toBe(200);
    expect((await api(server.url, `/api/sessions/${code}`)).status).toBe(200);
  });
});
