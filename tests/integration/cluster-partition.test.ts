/**
 * A network cut between one instance and PostgreSQL: no FIN, no error, the
 * packets just stop (a switch failing, a firewall change). PostgreSQL frees that
 * instance's leases once its keepalive probes go unanswered; before that, the
 * instance itself must notice the silence and give its rooms up, or its people
 * would go on in a room that another instance may load too (docs/scaling.md).
 * The cut is a relay on loopback between the instance and PostgreSQL that stops
 * passing bytes while keeping every connection open.
 */
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { io } from 'socket.io-client';
import { PROTOCOL_VERSION, SOCKET_PATH } from '../../src/lib/protocol';
import { waitFor } from '../helpers/clients';
import { startInstance } from '../helpers/child-server';
import { makeDatabase, pgAdminUrl } from '../helpers/pg-test';
import { createSession, postJson } from '../helpers/server';

const suite = pgAdminUrl() ? describe : describe.skip;

/**
 * A TCP relay to `port` that can be cut (bytes stop flowing both ways, connections stay open,
 * new ones hang), and that can add `delayMs` each way, in order, as a slower network would.
 */
async function cable(port: number, delayMs = 0): Promise<{ port: number; cut(): void; upstreamSockets(): net.Socket[] }> {
  let cut = false;
  const upstreams: net.Socket[] = [];
  const delayed = (to: net.Socket) => {
    let last = 0;
    return (chunk: Buffer) => {
      if (cut) return;
      if (delayMs === 0) return void to.write(chunk);
      // Never before an earlier chunk: timers due at the same time run in the order they were set.
      last = Math.max(Date.now() + delayMs, last);
      setTimeout(() => void (cut || to.destroyed || to.write(chunk)), last - Date.now());
    };
  };
  const server = net.createServer((downstream) => {
    downstream.on('error', () => undefined);
    if (cut) return;
    const upstream = net.connect(port, '127.0.0.1');
    upstreams.push(upstream);
    upstream.on('error', () => undefined);
    downstream.on('data', delayed(upstream));
    upstream.on('data', delayed(downstream));
    downstream.on('close', () => void (cut || upstream.destroy()));
    upstream.on('close', () => void (cut || downstream.destroy()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => {
    for (const s of upstreams) s.destroy();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, cut: () => void (cut = true), upstreamSockets: () => upstreams };
}

suite('a network cut between an instance and PostgreSQL', () => {
  it('the cut-off instance gives its rooms up by itself (its people reconnect), and another instance carries the session once PostgreSQL freed the lease', async () => {
    const databaseUrl = await makeDatabase();
    const pgUrl = new URL(databaseUrl);
    const relay = await cable(Number(pgUrl.port));
    const throughRelay = new URL(databaseUrl);
    throughRelay.port = String(relay.port);
    const start = (url: string) => startInstance(url);
    const cutOff = await start(throughRelay.toString());
    const other = await start(databaseUrl);
    const created = await createSession(cutOff.url, { title: 'Cut' });
    const socket = io(cutOff.url, {
      path: SOCKET_PATH,
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { code: created.code, token: created.facilitatorToken, protocolVersion: PROTOCOL_VERSION },
      query: { code: created.code }
    });
    onTestFinished(() => void socket.disconnect());
    await waitFor(() => socket.connected, { message: 'connected to the instance' });
    let reason = '';
    socket.on('disconnect', (r) => (reason = r));

    relay.cut();
    // The instance hears nothing from PostgreSQL any more; it must hand the room over on its own.
    await waitFor(() => reason !== '', { timeout: 20_000, message: 'the room handed over by the cut-off instance' });
    expect(reason).toBe('io server disconnect');
    expect(cutOff.output()).toContain('every session here is given up');

    // PostgreSQL's keepalive probes end the silent connections (here: at once, by ending the relay's side).
    for (const s of relay.upstreamSockets()) s.destroy();
    const joined = await waitFor(
      async () => {
        const response = await postJson<{ participantToken: string }>(other.url, `/api/sessions/${created.code}/participants`, { name: 'Elsewhere' });
        return response.status === 201 ? response.body : null;
      },
      { timeout: 20_000, interval: 200, message: 'the session served by the other instance' }
    );
    expect(joined.participantToken).toBeTruthy();
  }, 60_000);

  it('a burst of requests on a slow database link is not taken for a cut: the instance keeps its rooms', async () => {
    const databaseUrl = await makeDatabase();
    // 20 ms each way to PostgreSQL, as across a data centre: every query on the one lease connection costs 40 ms.
    const relay = await cable(Number(new URL(databaseUrl).port), 20);
    const slowUrl = new URL(databaseUrl);
    slowUrl.port = String(relay.port);
    const start = (url: string) => startInstance(url);
    const [a, b] = await Promise.all([start(databaseUrl), start(slowUrl.toString())]);
    const elsewhere = await createSession(a.url, { title: 'On a' });
    const here = await createSession(b.url, { title: 'On b' });
    const socket = io(b.url, {
      path: SOCKET_PATH,
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { code: here.code, token: here.facilitatorToken, protocolVersion: PROTOCOL_VERSION },
      query: { code: here.code }
    });
    onTestFinished(() => void socket.disconnect());
    await waitFor(() => socket.connected, { message: 'connected to b' });
    let reason = '';
    socket.on('disconnect', (r) => (reason = r));

    // 600 requests at once about a session a owns, all arriving at b (each must find out where the session is).
    const statuses = await Promise.all(
      Array.from({ length: 600 }, () =>
        fetch(`${b.url}/api/sessions/${elsewhere.code}/nothing`).then(
          async (r) => (await r.arrayBuffer(), r.status),
          () => 0
        )
      )
    );
    expect(statuses.filter((s) => s === 404).length).toBeGreaterThan(0);
    // Still connected, nothing given up (a queue taken for silence would have ended the room during the burst).
    expect(reason).toBe('');
    expect(b.output()).not.toContain('every session here is given up');
  }, 90_000);
});
