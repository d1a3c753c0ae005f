/**
 * Per-address limits held across instances (issue 15): a cluster counts code
 * guesses and creations in PostgreSQL (server/cluster/shared-address-counts.ts), so an
 * address gets each limit once however its requests are spread over instances.
 * First the counter itself on a real PostgreSQL (shared, exact under races,
 * sliding, swept, failing open), then two real instances as child processes.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { io } from 'socket.io-client';
import { PgAddressEvents } from '../../server/cluster/shared-address-counts';
import { PostgresStore } from '../../server/store/postgres';
import { PROTOCOL_VERSION, SOCKET_PATH, type ErrorCode } from '../../src/lib/protocol';
import { waitFor } from '../helpers/clients';
import { freePort, startInstance, type ChildServer } from '../helpers/child-server';
import { sharedByFile } from '../helpers/file-scope';
import { makeDatabase, pgAdminUrl } from '../helpers/pg-test';
import { adminQuery } from '../helpers/postgres';
import { api, createSession, postJson } from '../helpers/server';
import { scaled } from '../helpers/patience';

const suite = pgAdminUrl() ? describe : describe.skip;

/** A migrated database and two counters on it, as two instances would hold. */
async function twoCounters(): Promise<{ url: string; a: PgAddressEvents; b: PgAddressEvents }> {
  const url = await makeDatabase();
  const store = await PostgresStore.open({ connectionString: url });
  onTestFinished(() => store.close());
  const a = PgAddressEvents.connect(url, 'http://a.internal:3000');
  const b = PgAddressEvents.connect(url, 'http://b.internal:3000');
  onTestFinished(() => Promise.all([a.close(), b.close()]).then(() => undefined));
  return { url, a, b };
}

async function rowsOf(url: string, address: string): Promise<number> {
  const { rows } = await adminQuery(url, `SELECT count(*)::int AS n FROM address_events WHERE address = '${address.replace(/'/g, '')}'`);
  return rows[0].n as number;
}

suite('per-address counts in PostgreSQL', () => {
  it('two instances share one count per kind and address', async () => {
    const { a, b } = await twoCounters();
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await (i % 2 ? b : a).allow('guess', '203.0.113.7', 5, 60_000));
    expect(answers).toEqual([true, true, true, true, true, false, false, false]);
    expect([await a.blocked('guess', '203.0.113.7', 5, 60_000), await b.blocked('guess', '203.0.113.7', 5, 60_000)]).toEqual([true, true]);
    // Another address, another kind, a higher limit: counted apart.
    expect(await b.allow('guess', '198.51.100.4', 5, 60_000)).toBe(true);
    expect(await a.allow('session', '203.0.113.7', 5, 3_600_000)).toBe(true);
    expect(await a.blocked('guess', '203.0.113.7', 6, 60_000)).toBe(false);
    // A limit of 0 means none, and records nothing.
    expect(await a.allow('community', '203.0.113.7', 0, 60_000)).toBe(true);
    expect(await a.blocked('community', '203.0.113.7', 0, 60_000)).toBe(false);
  });

  it('instances racing on one address hand out exactly the limit', async () => {
    const { url, a, b } = await twoCounters();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? b : a).allow('guess', '203.0.113.9', 10, 60_000)));
    expect(answers.filter(Boolean).length).toBe(10);
    expect(await rowsOf(url, '203.0.113.9')).toBe(10);
  });

  it('the window slides: old events stop counting, are dropped with the next call, and swept when the address goes quiet', async () => {
    const { url, a, b } = await twoCounters();
    // Long enough that four round trips fit in it on a loaded machine (300 ms did not at load 30), short enough to wait out.
    const window = scaled(1_500);
    for (let i = 0; i < 3; i++) expect(await a.allow('guess', '203.0.113.10', 3, window)).toBe(true);
    expect(await b.allow('guess', '203.0.113.10', 3, window)).toBe(false);
    // Once all three are older than the window (a limit of 1 asks whether any is left).
    await waitFor(async () => !(await b.blocked('guess', '203.0.113.10', 1, window)), { message: 'the window passed', timeout: 10_000, interval: 100 });
    expect(await b.allow('guess', '203.0.113.10', 3, window)).toBe(true);
    // The call that counted dropped the three expired rows of that address: never more than the limit per address.
    expect(await rowsOf(url, '203.0.113.10')).toBe(1);
    // Rows of an address that stopped coming go with the sweep.
    expect(await a.allow('guess', '203.0.113.11', 3, window)).toBe(true);
    await waitFor(async () => !(await a.blocked('guess', '203.0.113.11', 1, window)), { message: 'the window passed', timeout: 10_000, interval: 100 });
    await a.sweep();
    expect(await rowsOf(url, '203.0.113.11')).toBe(0);
  });

  it('fails open when PostgreSQL cannot be reached: no refusal, no crash', async () => {
    const port = await freePort();
    const counter = PgAddressEvents.connect(`postgres://nobody@127.0.0.1:${port}/none`, 'http://a.internal:3000');
    onTestFinished(() => counter.close());
    expect(await counter.allow('guess', '203.0.113.12', 1, 60_000)).toBe(true);
    expect(await counter.allow('guess', '203.0.113.12', 1, 60_000)).toBe(true);
    expect(await counter.blocked('guess', '203.0.113.12', 1, 60_000)).toBe(false);
  });
});

/** The connect error code of a socket.io handshake from `address` (through a trusted proxy header). */
function handshake(url: string, code: string, token: string, address: string): Promise<ErrorCode | 'connected'> {
  const socket = io(url, {
    path: SOCKET_PATH,
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    extraHeaders: { 'x-forwarded-for': address },
    auth: { code, token, protocolVersion: PROTOCOL_VERSION },
    query: { code }
  });
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.disconnect();
      resolve('connected');
    });
    socket.once('connect_error', (error) => {
      socket.disconnect();
      resolve(((error as Error & { data?: { code: ErrorCode } }).data?.code ?? 'internal') as ErrorCode);
    });
  });
}

suite('per-address limits across two instances', () => {
  // One pair of instances for the four limits, started once for the file: each test counts against client addresses
  // and a limit of its own. The sessions and the community made without an address (127.0.0.1) are two and one, within
  // SESSIONS_PER_HOUR's three each.
  const pair = sharedByFile('two instances with low per-address limits', async () => {
    const env = {
      CODE_GUESSES_PER_MINUTE: '4',
      SESSIONS_PER_HOUR: '3',
      PAPER_SESSIONS_PER_HOUR: '3',
      MAX_COMMUNITY_PAPER_SESSIONS: '4',
      JOINS_PER_ADDRESS: '3'
    };
    const databaseUrl = await makeDatabase();
    return Promise.all([startInstance(databaseUrl, { env }), startInstance(databaseUrl, { env })]);
  });
  const cluster = (): [ChildServer, ChildServer] => pair();

  it(
    'code guesses spread over both instances are counted once: after the limit, both refuse that address, the real code too',
    async () => {
      const [a, b] = cluster();
      const session = await createSession(a.url);
      const guesser = { 'x-forwarded-for': '203.0.113.7' };
      // Four misses, two on each instance, through different doors.
      expect((await api(a.url, '/api/sessions/ZZZZZZ', { headers: guesser })).status).toBe(404);
      expect((await api(b.url, '/api/sessions/YYYYYY/qr.svg', { headers: guesser })).status).toBe(404);
      expect(await handshake(a.url, 'XXXXXX', 'y'.repeat(43), '203.0.113.7')).toBe('not_found');
      expect(await handshake(b.url, session.code, 'y'.repeat(43), '203.0.113.7')).toBe('unauthorized');
      // Each instance alone saw two; together four: both refuse now, whichever owns the session.
      for (const instance of [a, b]) {
        const refused = await api<{ error: { code: string } }>(instance.url, `/api/sessions/${session.code}`, { headers: guesser });
        expect([refused.status, refused.body.error.code]).toEqual([429, 'rate_limited']);
        expect(await handshake(instance.url, session.code, session.facilitatorToken, '203.0.113.7')).toBe('rate_limited');
      }
      // Other addresses are not affected.
      expect((await api(b.url, `/api/sessions/${session.code}`, { headers: { 'x-forwarded-for': '198.51.100.4' } })).status).toBe(200);
      expect(await handshake(a.url, session.code, session.facilitatorToken, '198.51.100.4')).toBe('connected');
    },
    scaled(60_000)
  );

  it(
    'sessions per hour: an address that alternates instances still gets the limit once',
    async () => {
      const [a, b] = cluster();
      const starter = { 'x-forwarded-for': '203.0.113.20' };
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await postJson((i % 2 ? b : a).url, '/api/sessions', {}, starter)).status);
      expect(statuses).toEqual([201, 201, 201, 429, 429]);
      // Communities have their own budget, shared the same way.
      const communities = [];
      for (let i = 0; i < 4; i++) communities.push((await postJson((i % 2 ? a : b).url, '/api/communities', { name: `LC ${i}` }, starter)).status);
      expect(communities).toEqual([201, 201, 201, 429]);
      expect((await postJson(a.url, '/api/sessions', {}, { 'x-forwarded-for': '198.51.100.21' })).status).toBe(201);
    },
    scaled(60_000)
  );

  it(
    "paper sessions: the per-address limit and the community's cap hold once across both instances",
    async () => {
      const [a, b] = cluster();
      const created = await postJson<{ id: string; communityToken: string }>(a.url, '/api/communities', { name: 'LC' });
      const path = `/api/communities/${created.body.id}/paper-sessions`;
      const poster = (day: number) => ({
        date: `2026-01-${String(day).padStart(2, '0')}`,
        factors: [{ number: 1, distribution: { '1': 1, '2': 0, '3': 2, '4': 0, '5': 1 }, unknown: 0 }]
      });
      const from = (address: string) => ({ authorization: `Bearer ${created.body.communityToken}`, 'x-forwarded-for': address });
      // One address alternating instances gets three.
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await postJson((i % 2 ? b : a).url, path, poster(i + 1), from('203.0.113.30'))).status);
      expect(statuses).toEqual([201, 201, 201, 429]);
      // Many addresses at once on both instances: the community holds its cap of four, not one more.
      const racing = await Promise.all(
        Array.from({ length: 8 }, (_, i) => postJson<{ error?: { code: string } }>((i % 2 ? a : b).url, path, poster(i + 10), from(`198.51.100.${40 + i}`)))
      );
      expect(racing.filter((r) => r.status === 201)).toHaveLength(1);
      expect(racing.filter((r) => r.status === 409).map((r) => r.body.error?.code)).toEqual(Array(7).fill('community_full'));
    },
    scaled(60_000)
  );

  it(
    'new participants per address and session (JOINS_PER_ADDRESS): joins through either instance count against the client address once',
    async () => {
      const [a, b] = cluster();
      const session = await createSession(a.url);
      const nat = { 'x-forwarded-for': '203.0.113.30' };
      const statuses = [];
      // Through either instance: the owner counts, in PostgreSQL; a forwarded join must keep the client's address, not the forwarder's.
      for (let i = 0; i < 5; i++)
        statuses.push((await postJson((i % 2 ? b : a).url, `/api/sessions/${session.code}/participants`, { name: `P${i}` }, nat)).status);
      expect(statuses).toEqual([201, 201, 201, 429, 429]);
      expect((await postJson(b.url, `/api/sessions/${session.code}/participants`, {}, { 'x-forwarded-for': '198.51.100.31' })).status).toBe(201);
    },
    scaled(60_000)
  );
});
