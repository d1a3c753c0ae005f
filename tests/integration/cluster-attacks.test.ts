/**
 * Attacks on the forwarding path of several instances (docs/scaling.md), each
 * against two real child-process instances on one real PostgreSQL: what an
 * outside client can put in a request line or its headers must never send an
 * instance anywhere but another instance, never put one session's room in two
 * processes, never leave a lease held with no room, and never turn a bad
 * request into "the session is moving" (which proxies retry and clients wait on).
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { io } from 'socket.io-client';
import { FORWARDED_HEADER } from '../../server/cluster/forward';
import { PROTOCOL_VERSION, SOCKET_PATH } from '../../src/lib/protocol';
import { connectClient, upgradeStatus, waitFor } from '../helpers/clients';
import { freePort, spawnChildServer, startInstance, type ChildServer } from '../helpers/child-server';
import { makeDatabase, pgAdminUrl } from '../helpers/pg-test';
import { adminQuery } from '../helpers/postgres';
import { api, createSessionAt, joinSession, makeDataDir, postJson, type ErrorBody } from '../helpers/server';
import { scaled } from '../helpers/patience';
import { sharedByFile } from '../helpers/file-scope';

const suite = pgAdminUrl() ? describe : describe.skip;

function instance(databaseUrl: string, port?: number): Promise<ChildServer> {
  return startInstance(databaseUrl, { port });
}

async function pair(databaseUrl: string): Promise<[ChildServer, ChildServer]> {
  return Promise.all([instance(databaseUrl), instance(databaseUrl)]);
}

/**
 * Session leases (advisory locks) held in the database right now: in this test's database only, as the
 * cluster is shared with the test files running beside this one.
 */
async function heldLeases(databaseUrl: string): Promise<number> {
  const { rows } = await adminQuery(
    databaseUrl,
    `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`
  );
  return rows[0].n as number;
}

/** One raw HTTP/1.1 request (so the request line and headers are exactly what an attacker sends); the status line's code. */
function rawRequest(port: number, head: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(head));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (match && data.includes('\r\n\r\n')) {
        resolve(Number(match[1]));
        socket.destroy();
      }
    });
    // A hostile request may be answered by a reset (an upgrade the server destroys): that is a refusal, status 0 unless
    // a status line came first. What these tests check is where requests go and that the instances stay healthy.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => resolve(/^HTTP\/1\.1 (\d{3})/.exec(data) ? Number(/^HTTP\/1\.1 (\d{3})/.exec(data)![1]) : 0));
  });
}

/** Open TCP connections (any state but TIME_WAIT, which no process holds) the process `pid` has to 127.0.0.1:`port`. */
function connectionsTo(pid: number, port: number): number {
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set(
    fs
      .readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[2] === remote && fields[9] !== '0')
      .map((fields) => `socket:[${fields[9]}]`)
  );
  let held = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    const target = (() => {
      try {
        return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    })();
    if (inodes.has(target)) held++;
  }
  return held;
}

/** Sends an upgrade request on a raw connection and resets it (RST) `afterMs` later, before any answer. */
function resetUpgradeAfter(port: number, head: string, afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(head);
      // After the instance has read the request (a reset that overtakes it makes the kernel drop it unread).
      setTimeout(() => {
        socket.resetAndDestroy();
        resolve();
      }, afterMs);
    });
    socket.on('error', () => undefined);
  });
}

/** A listener that records every connection made to it: it must see none. */
async function canary(): Promise<{ port: number; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((_req, res) => res.end('canary'));
  server.on('connection', () => hits++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as net.AddressInfo).port, hits: () => hits };
}

suite('attacks on the forwarding between instances', () => {
  /**
   * One pair on one database for the tests that only send requests to it and keep to sessions of their own; the
   * tests that kill an instance or break its lease connection start their own. Each of these counts the leases its
   * own sessions take (the earlier tests' sessions keep theirs: a room unloads ten minutes after it was last used).
   */
  const shared = sharedByFile('a pair of instances', async () => {
    const databaseUrl = await makeDatabase();
    const [a, b] = await pair(databaseUrl);
    return { databaseUrl, a, b };
  });

  it(
    'nothing in a request sends an instance anywhere but the owner: absolute-form targets, Host, X-Forwarded-Host, Forwarded',
    async () => {
      const { a, b } = shared();
      const target = await canary();
      const created = await createSessionAt(a.url, { title: 'SSRF' });
      const elsewhere = `127.0.0.1:${target.port}`;
      const attempts = [
        `GET http://${elsewhere}/api/sessions/${created.code} HTTP/1.1\r\nHost: ${elsewhere}\r\nConnection: close\r\n\r\n`,
        `GET /api/sessions/${created.code} HTTP/1.1\r\nHost: ${elsewhere}\r\nX-Forwarded-Host: ${elsewhere}\r\nForwarded: host=${elsewhere};proto=http\r\nX-Forwarded-Proto: http\r\nConnection: close\r\n\r\n`,
        `GET //${elsewhere}/api/sessions/${created.code} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        `GET /socket.io/?EIO=4&transport=polling&code=${created.code} HTTP/1.1\r\nHost: ${elsewhere}\r\nX-Forwarded-Host: ${elsewhere}\r\nConnection: close\r\n\r\n`,
        `GET /yjs/${created.code} HTTP/1.1\r\nHost: ${elsewhere}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`
      ];
      for (const head of attempts) await rawRequest(b.port, head);
      // The absolute-form request reached the owner, as a plain one would.
      expect(await rawRequest(b.port, attempts[0])).toBe(200);
      expect(target.hits()).toBe(0);
      for (const i of [a, b]) expect((await api(i.url, '/healthz')).status).toBe(200);
    },
    scaled(60_000)
  );

  it(
    'a forwarded upgrade whose client resets before the owner answered leaves no connection to the owner open',
    async () => {
      const { a, b } = shared();
      const created = await createSessionAt(a.url, { title: 'Tunnels' });
      // The room loads on A (its lease), so B forwards this code's upgrades to A.
      const host = await connectClient(a.url, { code: created.code, token: created.facilitatorToken });
      onTestFinished(() => host.close());
      const head =
        `GET /socket.io/?EIO=4&transport=websocket&code=${created.code} HTTP/1.1\r\nHost: 127.0.0.1:${b.port}\r\nOrigin: ${b.url}\r\n` +
        `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
      const before = connectionsTo(b.process.pid!, a.port);
      // Resets at several moments: while B looks the owner up, while its request to A is on the way, after A answered.
      for (const afterMs of [0, 1, 2, 5, 10, 20, 50]) await resetUpgradeAfter(b.port, head, afterMs);
      // Before the fix two of five stayed open past the owner's heartbeat (50 s); now each ends with its client.
      await waitFor(() => connectionsTo(b.process.pid!, a.port) <= before, { message: 'no tunnel to the owner left open' });
      expect((await api(b.url, '/healthz')).status).toBe(200);
    },
    scaled(60_000)
  );

  it(
    'the forwarded marker from outside puts no session in two rooms and takes no lease',
    async () => {
      const { databaseUrl, a, b } = shared();
      const before = await heldLeases(databaseUrl);
      const created = await createSessionAt(a.url, { title: 'Spoofed marker' });
      const host = await connectClient(a.url, { code: created.code, token: created.facilitatorToken });
      expect(await heldLeases(databaseUrl)).toBe(before + 1);
      // Straight to the instance that does not own the session, claiming to be a forwarded request.
      const joined = await postJson<ErrorBody>(b.url, `/api/sessions/${created.code}/participants`, { name: 'Sneaky' }, { [FORWARDED_HEADER]: '1' });
      expect(joined.status).toBe(503);
      expect(joined.body.error.code).toBe('store_unavailable');
      const status = await api(b.url, `/api/sessions/${created.code}`, { headers: { [FORWARDED_HEADER]: '1' } });
      expect(status.status).toBe(503);
      // Still one lease, and a participant joining through the other instance lands in the one room.
      expect(await heldLeases(databaseUrl)).toBe(before + 1);
      await joinSession(b.url, created.code, { name: 'Honest' });
      await host.waitForEvent('participantCount', (n) => n === 1);
      host.close();
    },
    scaled(60_000)
  );

  it(
    'paths the API answers in any letter case are routed to the owner like lower-case ones',
    async () => {
      const { databaseUrl, a, b } = shared();
      const before = await heldLeases(databaseUrl);
      const created = await createSessionAt(a.url, { title: 'Case' });
      const host = await connectClient(a.url, { code: created.code, token: created.facilitatorToken });
      const plain = await api<{ code: string }>(b.url, `/api/sessions/${created.code}`);
      expect(plain.status).toBe(200);
      for (const path of [`/API/sessions/${created.code}`, `/api/SESSIONS/${created.code}`, `/Api/Sessions/${created.code.toLowerCase()}`]) {
        const shouted = await api<{ code: string }>(b.url, path);
        expect(shouted.status, path).toBe(200);
        expect(shouted.body.code).toBe(created.code);
      }
      const joined = await postJson(b.url, `/API/SESSIONS/${created.code}/PARTICIPANTS`, { name: 'Loud' });
      expect(joined.status).toBe(201);
      await host.waitForEvent('participantCount', (n) => n === 1);
      expect(await heldLeases(databaseUrl)).toBe(before + 1);
      host.close();
    },
    scaled(60_000)
  );

  it(
    'a request that loads no room takes no lease (no lock left in PostgreSQL for each code someone names)',
    async () => {
      const databaseUrl = await makeDatabase();
      const [a, b] = await pair(databaseUrl);
      const created = await Promise.all([1, 2, 3].map((i) => createSessionAt(a.url, { title: `Free ${i}` })));
      // The owner dies: every lease is free, no room is loaded anywhere.
      await a.kill();
      await waitFor(async () => (await heldLeases(databaseUrl)) === 0, { message: 'leases freed' });
      for (const { code } of created) {
        expect((await api(b.url, `/api/sessions/${code}/no-such-thing`)).status).toBe(404);
        await rawRequest(b.port, `GET /socket.io/?code=${code} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        expect(await upgradeStatus(`${b.url.replace('http', 'ws')}/api/sessions/${code}`).catch(() => 0)).not.toBe(101);
      }
      expect(await heldLeases(databaseUrl)).toBe(0);
      // Loading a room still takes its lease, as before.
      await joinSession(b.url, created[0].code, { name: 'Later' });
      expect(await heldLeases(databaseUrl)).toBe(1);
    },
    scaled(60_000)
  );

  it(
    'an instance whose lease connection broke opens no room without its lease, and serves sessions again once reconnected',
    async () => {
      const databaseUrl = await makeDatabase();
      const [a, b] = await pair(databaseUrl);
      // PostgreSQL ends b's lease connection (a restart, a failover, an administrator's pg_terminate_backend).
      await adminQuery(
        databaseUrl,
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'seeds-leases ${b.url}' AND datname = current_database()`
      );
      // A session created on b while (or after) that happens, and people on both instances.
      const created = await waitFor(
        async () => {
          const response = await postJson<{ code: string; facilitatorToken: string }>(b.url, '/api/sessions', { title: 'After the break' });
          return response.status === 201 ? response.body : null;
        },
        // Each attempt counts against the address's sessions per hour (20): a few tries a second.
        { timeout: 15_000, interval: 500, message: 'a session created on b' }
      );
      const host = await waitFor(() => connectClient(b.url, { code: created.code, token: created.facilitatorToken }).catch(() => null), {
        timeout: 15_000,
        message: 'the facilitator connected to b'
      });
      await joinSession(a.url, created.code, { name: 'On A' });
      // One room: the facilitator on b sees the participant who joined through a.
      await host.waitForEvent('participantCount', (n) => n === 1);
      expect(await heldLeases(databaseUrl)).toBe(1);
      host.close();
    },
    scaled(60_000)
  );

  it(
    'a socket.io connection whose routing code (query) and session code (auth) disagree is refused as a bad request',
    async () => {
      const { databaseUrl, a, b } = shared();
      const before = await heldLeases(databaseUrl);
      const first = await createSessionAt(a.url, { title: 'First' });
      const second = await createSessionAt(b.url, { title: 'Second' });
      const refused = await new Promise<{ code: string }>((resolve, reject) => {
        // Routed by the first session's code (to its owner a), asking for the second (owned by b).
        const socket = io(a.url, {
          path: SOCKET_PATH,
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
          auth: { code: second.code, token: second.facilitatorToken, protocolVersion: PROTOCOL_VERSION },
          query: { code: first.code }
        });
        onTestFinished(() => void socket.disconnect());
        socket.once('connect', () => reject(new Error('accepted')));
        socket.once('connect_error', (error) => resolve((error as Error & { data: { code: string } }).data));
      });
      expect(refused.code).toBe('bad_request');
      expect(await heldLeases(databaseUrl)).toBe(before + 2);
    },
    scaled(60_000)
  );

  it(
    'a request target no URL parser accepts is a bad request, not a session on the move',
    async () => {
      const { b } = shared();
      for (const target of ['http://[/api/sessions/ABCDEF', 'http://a:b:c/yjs/ABCDEF', 'http://%/socket.io/?code=ABCDEF']) {
        const status = await rawRequest(b.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        expect(status, target).not.toBe(503);
      }
      expect((await api(b.url, '/healthz')).status).toBe(200);
    },
    scaled(60_000)
  );

  it(
    'an instance whose INSTANCE_URL is that of another instance (a copied setting) or reaches nothing refuses to start, saying why',
    async () => {
      const { databaseUrl, a } = shared();
      const copied = await spawnChildServer({
        dataDir: await makeDataDir(),
        env: { DATABASE_URL: databaseUrl, INSTANCE_URL: a.url, TRUST_PROXY: 'loopback' }
      });
      expect((await copied.exited).code).toBe(1);
      expect(copied.output()).toContain(`INSTANCE_URL ${a.url} reaches another instance of the board, not this one`);
      const nowhere = await spawnChildServer({
        dataDir: await makeDataDir(),
        env: { DATABASE_URL: databaseUrl, INSTANCE_URL: `http://127.0.0.1:${await freePort()}`, TRUST_PROXY: 'loopback' }
      });
      expect((await nowhere.exited).code).toBe(1);
      expect(nowhere.output()).toContain('does not reach this instance');
      // The first instance is untouched, and still serving.
      expect((await api(a.url, '/healthz')).status).toBe(200);
    },
    scaled(60_000)
  );

  it(
    'huge targets and many codes: a URL with a thousand codes is routed by the first without a server error, an oversized one refused by the parser',
    async () => {
      const { databaseUrl, a, b } = shared();
      const before = await heldLeases(databaseUrl);
      const created = await createSessionAt(a.url, { title: 'Many codes' });
      const other = await createSessionAt(b.url, { title: 'Other' });
      // Under Node's 16 kB header limit: 1,200 codes in the socket.io query, the first one a's session.
      const many = `/socket.io/?EIO=4&transport=polling&code=${created.code}${`&code=${other.code}`.repeat(1200)}`;
      expect(many.length).toBeLessThan(16_000);
      const status = await rawRequest(b.port, `GET ${many} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(status).toBeGreaterThanOrEqual(200);
      expect(status).toBeLessThan(500);
      // Over the limit: refused by the HTTP parser before any routing.
      const huge = `/api/sessions/${created.code}?${'x'.repeat(70_000)}`;
      expect(await rawRequest(b.port, `GET ${huge} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toBe(431);
      for (const i of [a, b]) expect((await api(i.url, '/healthz')).status).toBe(200);
      expect(await heldLeases(databaseUrl)).toBe(before + 2);
    },
    scaled(60_000)
  );
});
