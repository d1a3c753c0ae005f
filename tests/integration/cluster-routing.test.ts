/**
 * Sessions live where the proxy sends their traffic (docs/scaling.md, "Routing by session code"):
 * two instances on one PostgreSQL behind a real nginx with docs/deploy/nginx-cluster.conf, which
 * hashes every request that carries a session code on that code. A new session is not kept by the
 * instance that created it (the creating request carries no code to route by): the instance its
 * code is routed to takes it at its first request. So in steady state almost nothing is forwarded,
 * counted by the instances themselves (`GET /cluster/routing`); after one instance is killed the
 * other takes every session over and everything goes on.
 */
import { describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION, SOCKET_PATH, type Ack, type SessionSnapshot } from '../../src/lib/protocol';
import type { RoutingCounts } from '../../server/cluster/forward';
import { connectYjs, waitFor, type YjsClient } from '../helpers/clients';
import { startInstance, type ChildServer } from '../helpers/child-server';
import { NGINX, startNginxCluster } from '../helpers/nginx';
import { makeDatabase, pgAdminUrl } from '../helpers/pg-test';
import { adminQuery } from '../helpers/postgres';
import { api, createSession, joinSession } from '../helpers/server';
import { scaled } from '../helpers/patience';

const suite = pgAdminUrl() && NGINX ? describe : describe.skip;

const SESSIONS = 20;
const PARTICIPANTS = 3;

/** A client's socket.io connection that reconnects by itself, as the browser's does. */
interface Person {
  socket: Socket;
  snapshots: SessionSnapshot[];
}

function person(url: string, code: string, token: string): Person {
  const socket = io(url, {
    path: SOCKET_PATH,
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    auth: { code, token, protocolVersion: PROTOCOL_VERSION },
    // As the browser does: the code in the URL is what the proxy hashes on.
    query: { code }
  });
  const snapshots: SessionSnapshot[] = [];
  socket.on('state', (s: SessionSnapshot) => snapshots.push(s));
  socket.on('disconnect', (reason) => {
    if (reason === 'io server disconnect') socket.connect();
  });
  return { socket, snapshots };
}

const send = (p: Person, event: string, payload: unknown) =>
  p.socket
    .timeout(scaled(3000))
    .emitWithAck(event, payload)
    .catch(() => null) as Promise<Ack<unknown> | null>;

async function routing(instance: ChildServer): Promise<RoutingCounts> {
  const response = await api<RoutingCounts>(instance.url, '/cluster/routing');
  expect(response.status).toBe(200);
  return response.body;
}

/** Forwarded requests (or WebSocket connections) of all that arrived from clients, over both instances. */
function forwardedShare(counts: RoutingCounts[], kind: 'http' | 'websocket'): { forwarded: number; of: number } {
  const forwarded = counts.reduce((sum, c) => sum + c[kind].forwarded, 0);
  return { forwarded, of: counts.reduce((sum, c) => sum + c[kind].forwarded + c[kind].served, 0) };
}

async function owners(databaseUrl: string): Promise<Map<string, string>> {
  const { rows } = await adminQuery(databaseUrl, 'SELECT s.code, o.instance_url FROM session_owners o JOIN sessions s ON s.id = o.session_id');
  return new Map(rows.map((r) => [String(r.code), String(r.instance_url)]));
}

suite('sessions live where the proxy routes their code', () => {
  it(
    `${SESSIONS} sessions created and used through nginx: at most 10 % of connections forwarded; after a SIGKILL the survivor serves every session`,
    async () => {
      const databaseUrl = await makeDatabase();
      const instances = await Promise.all([startInstance(databaseUrl), startInstance(databaseUrl)]);
      const [a, b] = instances;
      const proxy = await startNginxCluster([a.port, b.port]);
      // The counters are for operators at the instances' own addresses; the documented proxy does not pass them on.
      expect((await api(proxy.url, '/cluster/routing')).status).toBe(404);

      // Everything through the proxy, as browsers do: create, join, socket.io, the Yjs board.
      const sessions: { code: string; host: Person; people: Person[]; board: YjsClient }[] = [];
      for (let i = 0; i < SESSIONS; i++) {
        const created = await createSession(proxy.url, { title: `Routed ${i}` });
        const tokens = [];
        for (let p = 0; p < PARTICIPANTS; p++) tokens.push((await joinSession(proxy.url, created.code, { name: `P${p}` })).participantToken);
        const host = person(proxy.url, created.code, created.facilitatorToken);
        const people = tokens.map((token) => person(proxy.url, created.code, token));
        const board = await connectYjs(proxy.url, created.code, created.facilitatorToken);
        sessions.push({ code: created.code, host, people, board });
      }
      const everyone = sessions.flatMap((s) => [s.host, ...s.people]);
      await waitFor(() => everyone.every((p) => p.snapshots.length > 0), { message: 'everyone connected' });
      for (const s of sessions) {
        expect((await send(s.host, 'phase:set', { phase: 'voting' }))?.ok).toBe(true);
        for (const p of s.people) expect((await send(p, 'vote', { factor: 1, answer: 3 }))?.ok).toBe(true);
      }

      // The instances forwarded next to nothing, and both hold sessions (the hash spreads them).
      const counts = await Promise.all(instances.map(routing));
      const sockets = forwardedShare(counts, 'websocket');
      const requests = forwardedShare(counts, 'http');
      console.log(`[routing] forwarded: ${sockets.forwarded} of ${sockets.of} WebSocket connections, ${requests.forwarded} of ${requests.of} HTTP requests`);
      // Each session: a facilitator, three participants, a board and the ticket connection behind it.
      expect(sockets.of).toBeGreaterThanOrEqual(SESSIONS * (PARTICIPANTS + 3));
      expect(sockets.forwarded / sockets.of).toBeLessThanOrEqual(0.1);
      expect(requests.of).toBeGreaterThanOrEqual(SESSIONS * PARTICIPANTS);
      expect(requests.forwarded / requests.of).toBeLessThanOrEqual(0.1);
      const placed = await owners(databaseUrl);
      expect(placed.size).toBe(SESSIONS);
      for (const instance of instances) expect([...placed.values()].filter((url) => url === instance.url).length).toBeGreaterThan(0);

      // Straight to the instance that does not hold the first session (a client that bypasses the proxy): forwarded,
      // counted there as forwarded and at the holder as arriving from a peer — the counters count what they say.
      const dying = placed.get(sessions[0].code) === a.url ? a : b;
      const survivor = dying === a ? b : a;
      const [ownerBefore, otherBefore] = [await routing(dying), await routing(survivor)];
      const bypass = await joinSession(survivor.url, sessions[0].code, { name: 'Direct' });
      const direct = person(survivor.url, sessions[0].code, bypass.participantToken);
      await waitFor(() => direct.snapshots.length > 0, { message: 'the direct client connected' });
      const [ownerAfter, otherAfter] = [await routing(dying), await routing(survivor)];
      expect([otherAfter.http.forwarded - otherBefore.http.forwarded, otherAfter.websocket.forwarded - otherBefore.websocket.forwarded]).toEqual([1, 1]);
      expect([ownerAfter.http.fromPeers - ownerBefore.http.fromPeers, ownerAfter.websocket.fromPeers - ownerBefore.websocket.fromPeers]).toEqual([1, 1]);
      direct.socket.close();

      // A takeover: the instance holding the first session dies; everyone reconnects through the proxy to the survivor.
      const before = everyone.map((p) => p.snapshots.length);
      await dying.kill();
      await waitFor(() => everyone.every((p, i) => p.snapshots.length > before[i] || placed.get(codeOf(p)) === survivor.url), {
        timeout: 30_000,
        message: 'the dead instance’s clients reconnected'
      });
      for (const s of sessions) {
        for (const [i, p] of s.people.entries()) {
          await waitFor(async () => (await send(p, 'vote', { factor: 2, answer: i + 1 }))?.ok === true, { timeout: 30_000, message: `a vote in ${s.code}` });
        }
      }
      await waitFor(() => sessions.every((s) => s.board.provider.wsconnected && s.board.provider.synced), { timeout: 30_000, message: 'boards back' });
      const after = await owners(databaseUrl);
      for (const s of sessions) expect(after.get(s.code)).toBe(survivor.url);
      const { rows } = await adminQuery(databaseUrl, 'SELECT count(*)::int AS n FROM answers WHERE factor = 2');
      expect(rows[0].n).toBe(SESSIONS * PARTICIPANTS);

      for (const p of everyone) p.socket.close();
      for (const s of sessions) s.board.destroy();

      function codeOf(p: Person): string {
        return sessions.find((s) => s.host === p || s.people.includes(p))!.code;
      }
    },
    scaled(180_000)
  );
});
