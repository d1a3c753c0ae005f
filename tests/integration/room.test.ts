/**
 * A real room at the protocol level over real sockets: links behind a proxy,
 * one person in two tabs, the server's clock, people with the same name,
 * limits that let a whole room in but stop guessers, and silent connections.
 * Rounds and the clock's changes in full run without HTTP over the in-memory
 * socket pair (tests/unit/room-protocol.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import QRCode from 'qrcode';
import { PROTOCOL_VERSION, type CreateSessionResponse, type ErrorCode } from '../../src/lib/protocol';
import { BoardClient, connectClient, connectFacilitator, connectParticipant, ticketFor, upgradeStatus, waitFor, yjsBase } from '../helpers/clients';
import { api, createSession, joinSession, postJson, startServer, type ErrorBody } from '../helpers/server';
import { advance, castBallot, setupSession } from '../helpers/session';
import { configFromEnv } from '../../server/config';
import { scaled } from '../helpers/patience';

const FORWARDED = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'board.example.org' };

/** A socket.io connection that sends extra handshake headers (as a proxy would), resolving with its client or its connect error code. */
function connectWithHeaders(url: string, auth: Record<string, unknown>, headers: Record<string, string>): Promise<BoardClient | ErrorCode> {
  const socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    extraHeaders: headers,
    auth: { protocolVersion: PROTOCOL_VERSION, ...auth }
  });
  const client = new BoardClient(socket as never);
  return new Promise((resolve) => {
    socket.once('state', () => resolve(client));
    socket.once('connect_error', (error) => {
      socket.disconnect();
      resolve(((error as Error & { data?: { code: ErrorCode } }).data?.code ?? 'internal') as ErrorCode);
    });
  });
}

/** The status a Yjs upgrade with `ticket` (not fetched here: it may be forged) is answered with (101 when accepted). */
function yjsUpgradeStatus(url: string, code: string, ticket: string, headers: Record<string, string> = {}): Promise<number> {
  return upgradeStatus(`${yjsBase(url)}/${code}?ticket=${encodeURIComponent(ticket)}`, headers);
}

describe('links come from one place', () => {
  it('behind a trusted proxy every link and the QR code use the forwarded scheme and host', async () => {
    const server = await startServer();
    const created = (await postJson<CreateSessionResponse>(server.url, '/api/sessions', {}, FORWARDED)).body;
    const base = `https://board.example.org/s/${created.code}`;
    expect(created.joinUrl).toBe(base);
    expect(created.facilitateUrl).toBe(`${base}/facilitate#token=${created.facilitatorToken}`);
    expect(created.presenterUrl).toMatch(new RegExp(`^${base.replace(/\./g, '\\.')}/screen#key=[A-Za-z0-9_-]{40,}$`));
    const qr = await api(server.url, `/api/sessions/${created.code}/qr.svg`, { headers: FORWARDED });
    expect(qr.text).toBe(await QRCode.toString(base, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }));

    // The facilitator's socket hands out the same links, built from its own handshake.
    const facilitator = await connectWithHeaders(server.url, { code: created.code, token: created.facilitatorToken }, FORWARDED);
    expect(facilitator).toBeInstanceOf(BoardClient);
    const links = await (facilitator as BoardClient).waitForEvent('links');
    expect(links).toEqual({ joinUrl: created.joinUrl, facilitateUrl: created.facilitateUrl, presenterUrl: created.presenterUrl });
    // A participant learns the join link only; a presenter also its own presenter link, never the facilitator's.
    const joined = await joinSession(server.url, created.code);
    const participant = (await connectWithHeaders(server.url, { code: created.code, token: joined.participantToken }, FORWARDED)) as BoardClient;
    expect(await participant.waitForEvent('links')).toEqual({ joinUrl: base });
    const presenterKey = new URL(created.presenterUrl).hash.replace('#key=', '');
    const presenter = (await connectWithHeaders(server.url, { code: created.code, token: presenterKey }, FORWARDED)) as BoardClient;
    expect(await presenter.waitForEvent('links')).toEqual({ joinUrl: base, presenterUrl: created.presenterUrl });
  });

  it('ignores forwarded headers from a peer that is not a trusted proxy, and hostile hosts', async () => {
    const untrusting = await startServer({ trustProxy: 'false' });
    const created = (await postJson<CreateSessionResponse>(untrusting.url, '/api/sessions', {}, FORWARDED)).body;
    expect(created.joinUrl).toBe(`${untrusting.url}/s/${created.code}`);

    const server = await startServer();
    const hostile = (await postJson<CreateSessionResponse>(server.url, '/api/sessions', {}, { 'x-forwarded-host': 'evil.example/"><script>' })).body;
    expect(hostile.joinUrl).toBe(`${server.url}/s/${hostile.code}`);
  });

  it('PUBLIC_URL wins over every request', async () => {
    const server = await startServer({ publicUrl: configFromEnv({ PUBLIC_URL: 'https://seeds.example.net/' }).publicUrl });
    const created = (await postJson<CreateSessionResponse>(server.url, '/api/sessions', {}, FORWARDED)).body;
    expect(created.joinUrl).toBe(`https://seeds.example.net/s/${created.code}`);
    expect(created.presenterUrl.startsWith(`https://seeds.example.net/s/${created.code}/screen#key=`)).toBe(true);
    // The app serves from the root of its host: a path would give links that cannot load, so it is refused at start.
    expect(() => configFromEnv({ PUBLIC_URL: 'https://seeds.example.net/board' })).toThrow(/path is not supported/);
    expect(() => configFromEnv({ PUBLIC_URL: 'javascript:alert(1)' })).toThrow(/http/);
  });
});

describe('the presenter link', () => {
  it('is a read-only credential: it sees the session and can change nothing, on socket.io or the board', async () => {
    const server = await startServer();
    const { created, facilitator } = await setupSession(server, { participants: 1 });
    const key = new URL(created.presenterUrl).hash.replace('#key=', '');
    expect(key).not.toBe(created.facilitatorToken);
    const presenter = await connectClient(server.url, { code: created.code, token: key });
    expect(presenter.snapshot.me).toEqual({ role: 'presenter' });
    expect(presenter.snapshot.participants).toBeNull();
    expect(presenter.snapshot.myBallot).toBeNull();
    for (const phase of ['voting', 'closed'] as const) {
      const ack = await presenter.send('phase:set', { phase });
      expect(ack.ok ? 'ok' : ack.error.code).toBe('forbidden');
    }
    expect((await api(server.url, `/api/sessions/${created.code}/export.json`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(403);
    await advance(facilitator, 'voting');
    await presenter.waitForEvent('phase', (p) => p.phase === 'voting');
  });
});

describe('tabs agree with the server', () => {
  it("shows a participant's answer on every connection of theirs at once, and to nobody else", async () => {
    const server = await startServer();
    const { facilitator, people, code } = await setupSession(server, { participants: 2 });
    const [ann, bo] = people;
    const secondTab = await connectParticipant(server.url, code, ann.joined.participantToken);
    await advance(facilitator, 'voting');
    expect((await ann.client.send('vote', { factor: 3, answer: 2, comment: 'tab A', round: 1 })).ok).toBe(true);
    const echo = await secondTab.waitForEvent('ballot');
    expect(echo).toEqual({ round: 1, factor: 3, answer: 2, comment: 'tab A' });
    await bo.client.state();
    expect(bo.client.events('ballot')).toEqual([]);
    expect(facilitator.events('ballot')).toEqual([]);
  });
});

describe('the server is the clock', () => {
  // The clock changes in full run over the in-memory socket pair (tests/unit/room-protocol.test.ts); here the clock's
  // commands travel over real socket.io once each.
  it('answers clock:sync and voting:control over socket.io with the server time', async () => {
    const server = await startServer();
    const { facilitator, people } = await setupSession(server, { participants: 1 });
    const sync = await people[0].client.send('clock:sync', {});
    expect(sync.ok && Math.abs(sync.data.serverNow - Date.now()) < 5000).toBe(true);
    await facilitator.send('phase:set', { phase: 'voting', countdownSeconds: 120 });
    const paused = await facilitator.send('voting:control', { action: 'pause' });
    expect(paused.ok && paused.data.votingDeadline === null && paused.data.votingPausedMs! > 100_000).toBe(true);
    expect((await people[0].client.waitForEvent('phase', (p) => p.votingPausedMs !== null)).votingDeadline).toBeNull();
  });

  it(
    'closes voting at the deadline, as the label says, and reveals nothing by itself',
    async () => {
      const server = await startServer();
      const { facilitator, people } = await setupSession(server, { participants: 1 });
      await facilitator.send('phase:set', { phase: 'voting', countdownSeconds: 10 });
      const change = await people[0].client.waitForEvent('phase', (p) => p.votingClosed, 15_000);
      expect(change.phase).toBe('voting');
      const state = await people[0].client.state();
      expect(state.phase).toBe('voting');
      expect(state.results).toEqual([]);
    },
    scaled(20_000)
  );
});

describe('names people can tell apart', () => {
  it('makes a name that is already taken distinct, whatever its case or spacing', async () => {
    const server = await startServer();
    const { code, created } = await setupSession(server, { create: { anonymous: false } });
    const names = [];
    for (const name of ['Sam', 'Sam', ' sam ', 'Noor', '']) names.push((await joinSession(server.url, code, { name })).name);
    expect(names).toEqual(['Sam', 'Sam (2)', 'sam (3)', 'Noor', '']);
    const facilitator = await connectFacilitator(server.url, code, created.facilitatorToken);
    expect(facilitator.snapshot.participants!.map((p) => p.name)).toEqual(['Sam', 'Sam (2)', 'sam (3)', 'Noor', '']);
  });

  it('shows each person with their group in the named results and in every export of ballots', async () => {
    const server = await startServer();
    const session = await setupSession(server, {
      create: { anonymous: false, language: 'en' },
      join: [{ name: 'Sam', group: 'company' }, { name: 'Sam', group: 'government' }, { name: 'Noor' }]
    });
    const { code, created, facilitator, people } = session;
    expect((await facilitator.state()).participants!.map((p) => [p.name, p.group])).toEqual([
      ['Sam', 'company'],
      ['Sam (2)', 'government'],
      ['Noor', null]
    ]);
    await advance(facilitator, 'voting');
    await Promise.all(
      people.map((p, i) => castBallot(p.client, Object.fromEntries(Array.from({ length: 12 }, (_, f) => [f + 1, (((i + f) % 5) + 1) as 1 | 2 | 3 | 4 | 5]))))
    );
    await advance(facilitator, 'revealed');
    const [round] = (await people[2].client.state()).results;
    expect(round.named!.map((p) => [p.name, p.group])).toEqual([
      ['Sam', 'company'],
      ['Sam (2)', 'government'],
      ['Noor', null]
    ]);
    // The ballot table names the group as people read it, in the session's language; the columns before it keep their places.
    const auth = { headers: { authorization: `Bearer ${created.facilitatorToken}` } };
    const csv = (await api(server.url, `/api/sessions/${code}/export.csv?table=ballots`, auth)).text
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(csv[0].split(',').slice(0, 3)).toEqual(['voter', 'round', 'factor_1']);
    expect(csv[0].split(',').at(-1)).toBe('group');
    const groupOf = Object.fromEntries(csv.slice(1).map((line) => [line.split(',')[0], line.split(',').at(-1)]));
    expect(groupOf).toEqual({ Noor: '', Sam: 'Company', 'Sam (2)': 'Government' });
  });

  it('leaves groups out of the ballot rows of an anonymous session', async () => {
    const server = await startServer();
    const session = await setupSession(server, { join: [1, 2, 3].map((i) => ({ name: `P${i}`, group: 'company' })) });
    await advance(session.facilitator, 'voting');
    await Promise.all(session.people.map((p) => castBallot(p.client, { 1: 4, 2: 3 })));
    await advance(session.facilitator, 'revealed');
    const auth = { headers: { authorization: `Bearer ${session.created.facilitatorToken}` } };
    const rows = (await api(server.url, `/api/sessions/${session.code}/export.csv?table=ballots`, auth)).text.trim().split('\r\n').slice(1);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.split(',').at(-1)).toBe('');
  });
});

describe('limits that fit a room', () => {
  it('lets 60 people behind one address join a known session', async () => {
    const server = await startServer();
    const { code } = await createSession(server.url);
    const statuses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => postJson(server.url, `/api/sessions/${code}/participants`, { name: `Person ${i}` }).then((r) => r.status))
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(60);
  });

  it('limits code guessing per client address across REST, QR, exports, socket.io and Yjs, and tells a guesser nothing', async () => {
    const server = await startServer({ codeGuessesPerMinute: 5 });
    const { code, facilitatorToken } = await createSession(server.url);
    const guesser = { 'x-forwarded-for': '203.0.113.7' };
    // Five misses, each through another door.
    expect((await api(server.url, '/api/sessions/ZZZZZZ', { headers: guesser })).status).toBe(404);
    expect((await api(server.url, '/api/sessions/YYYYYY/qr.svg', { headers: guesser })).status).toBe(404);
    expect((await api(server.url, `/api/sessions/${code}/export.json`, { headers: { ...guesser, authorization: `Bearer ${'x'.repeat(43)}` } })).status).toBe(
      403
    );
    expect(await connectWithHeaders(server.url, { code: 'XXXXXX', token: 'y'.repeat(43) }, guesser)).toBe('not_found');
    expect(await yjsUpgradeStatus(server.url, code, 'z'.repeat(43), guesser)).toBe(401);
    // Now every lookup from that address is refused, the real code included.
    const blocked = await api<ErrorBody>(server.url, `/api/sessions/${code}`, { headers: guesser });
    expect([blocked.status, blocked.body.error.code]).toEqual([429, 'rate_limited']);
    expect((await postJson(server.url, `/api/sessions/${code}/participants`, {}, guesser)).status).toBe(429);
    expect((await api(server.url, `/api/sessions/${code}/qr.svg`, { headers: guesser })).status).toBe(429);
    expect((await api(server.url, `/api/sessions/${code}/export.json`, { headers: { ...guesser, authorization: `Bearer ${facilitatorToken}` } })).status).toBe(
      429
    );
    expect(await connectWithHeaders(server.url, { code, token: facilitatorToken }, guesser)).toBe('rate_limited');
    // Even with a valid ticket (fetched from another address).
    expect(await yjsUpgradeStatus(server.url, code, await ticketFor(server.url, code, facilitatorToken), guesser)).toBe(429);
    // Other addresses are not affected.
    expect((await api(server.url, `/api/sessions/${code}`, { headers: { 'x-forwarded-for': '198.51.100.4' } })).status).toBe(200);
  });

  it('limits how many sessions one address starts, and purges sessions left in the lobby', async () => {
    const server = await startServer({ sessionsPerHour: 3 });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await createSession(server.url)).code);
    const refused = await postJson<ErrorBody>(server.url, '/api/sessions', {});
    expect([refused.status, refused.body.error.code]).toEqual([429, 'rate_limited']);
    expect((await postJson(server.url, '/api/sessions', {}, { 'x-forwarded-for': '198.51.100.9' })).status).toBe(201);
    expect(codes).toHaveLength(3);
  });

  it('caps the connections of one person', async () => {
    const server = await startServer({ connectionsPerPerson: 2 });
    const { code, people } = await setupSession(server, { participants: 1 });
    await connectParticipant(server.url, code, people[0].joined.participantToken);
    const third = await connectClient(server.url, { code, token: people[0].joined.participantToken }).catch(
      (error: { data?: { code: string } }) => error.data?.code
    );
    expect(third).toBe('too_many_connections');
  });
});

describe('presence is honest', () => {
  it('shows a participant whose connection went silent as away, on socket.io and on the board', async () => {
    const server = await startServer({ heartbeatMs: 300 });
    const { facilitator, people } = await setupSession(server, { participants: 1 });
    const id = people[0].joined.participantId;
    await waitFor(async () => (await facilitator.state()).participants!.find((p) => p.id === id)?.connected);
    // The phone locks: its socket stays open but answers nothing (not even the server's pings).
    const engine = people[0].client.socket.io.engine as unknown as { onPacket: (packet: unknown) => void };
    engine.onPacket = () => undefined;
    const away = await facilitator.waitForEvent('participant', (p) => p.id === id && !p.connected, 10_000);
    expect(away.connected).toBe(false);
  });

  it('closes a silent board connection', async () => {
    const server = await startServer({ heartbeatMs: 300 });
    const { code, facilitator, people } = await setupSession(server, { participants: 1 });
    await advance(facilitator, 'voting', 'revealed', 'actions');
    const ticket = await ticketFor(server.url, code, people[0].joined.participantToken);
    const ws = new WebSocket(`${yjsBase(server.url)}/${code}?ticket=${encodeURIComponent(ticket)}`);
    await new Promise((resolve) => ws.once('open', resolve));
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const room = (await server.realtime.registry.get(code))!;
    await waitFor(() => room.connectionCount === 2, { timeout: 10_000, message: 'the silent board connection closed' });
  });
});

describe('the lobby purge', () => {
  it('deletes sessions that never left the lobby after LOBBY_PURGE_HOURS, and keeps those that did', async () => {
    const server = await startServer({ lobbyPurgeHours: 2 });
    const idle = await setupSession(server, {});
    const used = await setupSession(server, {});
    await advance(used.facilitator, 'voting');
    // One hour later nothing goes; three hours later the abandoned lobby does, with its live room and connections.
    expect(await server.purgeNow(Date.now() + 3_600_000)).toEqual([]);
    expect(await server.purgeNow(Date.now() + 3 * 3_600_000)).toHaveLength(1);
    await idle.facilitator.waitForEvent('session:deleted');
    expect((await api(server.url, `/api/sessions/${idle.code}`)).status).toBe(404);
    expect((await api(server.url, `/api/sessions/${used.code}`)).status).toBe(200);
  });
});
