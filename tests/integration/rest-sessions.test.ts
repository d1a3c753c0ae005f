import { describe, expect, it } from 'vitest';
import type { CreateSessionResponse, JoinSessionResponse, SessionSummary } from '../../src/lib/protocol';
import type { ExportJson } from '../../src/lib/domain/export';
import { api, createSession, getExport, joinSession, postJson, startServer, type ErrorBody } from '../helpers/server';
import { advance, castBallot, setupSession } from '../helpers/session';

const BASE64URL_TOKEN = /^[A-Za-z0-9_-]{22,}$/;

function expectError(response: { status: number; body: unknown; headers: Headers }, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  const body = response.body as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
}

describe('REST: sessions', () => {
  it('creates a session with an unguessable facilitator token and links', async () => {
    const server = await startServer();
    const response = await postJson<CreateSessionResponse>(server.url, '/api/sessions', { title: 'Greenport', language: 'en', anonymous: true });
    expect(response.status).toBe(201);
    const { code, facilitatorToken, joinUrl, facilitateUrl } = response.body;
    expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/);
    // ≥ 128 bits: 22 base64url characters carry 132 bits.
    expect(facilitatorToken).toMatch(BASE64URL_TOKEN);
    expect(joinUrl).toBe(`${server.url}/s/${code}`);
    expect(facilitateUrl.startsWith(`${server.url}/s/${code}/facilitate`)).toBe(true);
    expect(facilitateUrl).toContain(facilitatorToken);

    const other = await createSession(server.url);
    expect(other.code).not.toBe(code);
    expect(other.facilitatorToken).not.toBe(facilitatorToken);
  });

  it('describes a session by code, typed in any case and with spaces', async () => {
    const server = await startServer();
    const { code } = await createSession(server.url, { title: 'Monitor 2026', language: 'en' });
    const summary = await api<SessionSummary>(server.url, `/api/sessions/${code}`);
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ code, title: 'Monitor 2026', phase: 'lobby', language: 'en', participants: 0 });

    const typed = `${code.slice(0, 3).toLowerCase()} ${code.slice(3).toLowerCase()}`;
    const loose = await api<SessionSummary>(server.url, `/api/sessions/${encodeURIComponent(typed)}`);
    expect(loose.status).toBe(200);
    expect(loose.body.code).toBe(code);

    await joinSession(server.url, code, { name: 'Ann' });
    expect((await api<SessionSummary>(server.url, `/api/sessions/${code}`)).body.participants).toBe(1);
  });

  it('answers 404 JSON for unknown codes', async () => {
    const server = await startServer();
    expectError(await api(server.url, '/api/sessions/ZZZZZZ'), 404, 'not_found');
    expectError(await api(server.url, '/api/sessions/not-a-code'), 404, 'not_found');
    expectError(await api(server.url, '/api/nothing-here'), 404, 'not_found');
  });

  it('refuses bad create bodies with a 4xx JSON error', async () => {
    const server = await startServer();
    const post = (body: string, contentType = 'application/json') =>
      api(server.url, '/api/sessions', { method: 'POST', headers: { 'content-type': contentType }, body });
    for (const body of [{ title: 5 }, { language: 'de' }, { anonymous: 'yes' }, { title: 'ok', extra: true }, { title: 'x'.repeat(500) }, []]) {
      expectError(await postJson(server.url, '/api/sessions', body), 400, 'bad_request');
    }
    expectError(await post('{"title":'), 400, 'bad_request');
    expectError(await post('null'), 400, 'bad_request');
    expectError(await post('{"title":"T"}', 'text/plain'), 400, 'bad_request');
    expectError(await api(server.url, '/api/sessions', { method: 'POST' }), 400, 'bad_request');
    expectError(await postJson(server.url, '/api/sessions', { title: 'x'.repeat(17 * 1024) }), 413, 'too_large');
    // Nothing was created by any of it.
    await expect(server.store.countLiveSessions()).resolves.toBe(0);
  });

  it('serves /healthz and a QR code', async () => {
    const server = await startServer();
    expect((await api(server.url, '/healthz')).status).toBe(200);
    const { code } = await createSession(server.url);
    const qr = await api(server.url, `/api/sessions/${code}/qr.svg`);
    expect(qr.status).toBe(200);
    expect(qr.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(qr.text).toMatch(/<svg[\s>]/);
    expectError(await api(server.url, '/api/sessions/ZZZZZZ/qr.svg'), 404, 'not_found');
  });

  it('guards the export with the facilitator token', async () => {
    const server = await startServer();
    const mine = await createSession(server.url);
    const theirs = await createSession(server.url);
    const none = await getExport(server.url, mine.code);
    expectError(none, 401, 'unauthorized');
    expectError(await getExport(server.url, mine.code, theirs.facilitatorToken), 403, 'forbidden');
    const { participantToken } = await joinSession(server.url, mine.code, { name: 'Ann' });
    expectError(await getExport(server.url, mine.code, participantToken), 403, 'forbidden');
    expectError(await getExport(server.url, 'ZZZZZZ', mine.facilitatorToken), 404, 'not_found');
    expect((await getExport(server.url, mine.code, mine.facilitatorToken)).status).toBe(200);
  });

  it('exports the contract shape (docs/contracts.md) after a reveal', async () => {
    const server = await startServer();
    // Named: two voters' figures are shown only where no k applies (docs/privacy.md).
    const session = await setupSession(server, { create: { title: 'Export', language: 'en', anonymous: false }, participants: 2 });
    await advance(session.facilitator, 'voting');
    await castBallot(session.people[0].client, { 1: 4, 2: 'unknown' });
    await castBallot(session.people[1].client, { 1: 2 });
    await advance(session.facilitator, 'revealed');

    const response = await getExport<ExportJson>(server.url, session.code, session.created.facilitatorToken);
    expect(response.status).toBe(200);
    const data = response.body;
    expect(Object.keys(data.session).sort()).toEqual(['code', 'createdAt', 'date', 'language', 'phase', 'timeZone', 'title']);
    expect(data.session).toMatchObject({ code: session.code, title: 'Export', language: 'en', phase: 'revealed' });
    expect(new Date(data.session.createdAt).toISOString()).toBe(data.session.createdAt);
    expect(data.participants).toBe(2);
    expect(data.factors.map((f) => f.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (const factor of data.factors) {
      for (const key of ['number', 'id', 'title', 'n', 'unknown', 'mean', 'median', 'stddev', 'consensus', 'distribution', 'weak', 'divergent']) {
        expect(factor).toHaveProperty(key);
      }
      expect(typeof factor.id).toBe('string');
      expect(typeof factor.title).toBe('string');
      expect(Object.keys(factor.distribution!).sort()).toEqual(['1', '2', '3', '4', '5']);
      expect(typeof factor.weak).toBe('boolean');
      expect(typeof factor.divergent).toBe('boolean');
    }
    expect(data.factors[0]).toMatchObject({ n: 2, unknown: 0, mean: 3, median: 3, stddev: 1, distribution: { '1': 0, '2': 1, '3': 0, '4': 1, '5': 0 } });
    expect(data.factors[1]).toMatchObject({ n: 0, unknown: 1, mean: null, consensus: null, weak: false, divergent: false });
    expect(data.actions).toEqual([]);
  });

  it('joins a participant with a rejoin token', async () => {
    const server = await startServer();
    const { code } = await createSession(server.url);
    const response = await postJson<JoinSessionResponse>(server.url, `/api/sessions/${code}/participants`, { name: '  Ann\u0007 ', group: 'company' });
    expect(response.status).toBe(201);
    expect(response.body.participantToken).toMatch(BASE64URL_TOKEN);
    expect(response.body.name).toBe('Ann');
    expect(typeof response.body.participantId).toBe('string');

    const anonymous = await joinSession(server.url, code);
    expect(anonymous.participantToken).not.toBe(response.body.participantToken);

    expectError(await postJson(server.url, '/api/sessions/ZZZZZZ/participants', { name: 'Bo' }), 404, 'not_found');
    expectError(await postJson(server.url, `/api/sessions/${code}/participants`, { name: 'Bo', group: 'aliens' }), 400, 'bad_request');
    expectError(await postJson(server.url, `/api/sessions/${code}/participants`, { name: 7 }), 400, 'bad_request');
    expectError(await postJson(server.url, `/api/sessions/${code}/participants`, { nickname: 'Bo' }), 400, 'bad_request');
  });

  it('limits code guessing per address, not joining a known session', async () => {
    const server = await startServer({ codeGuessesPerMinute: 3 });
    const { code } = await createSession(server.url);
    // A room behind one NAT: many joins from one address to a known code are fine.
    for (let i = 0; i < 10; i++) await joinSession(server.url, code, { name: `P${i}` });
    for (let i = 0; i < 3; i++) expectError(await postJson(server.url, '/api/sessions/ZZZZZZ/participants', {}), 404, 'not_found');
    // Over the limit every lookup by code is refused, the known one too, so the answer tells a guesser nothing.
    expectError(await postJson(server.url, `/api/sessions/${code}/participants`, { name: 'P11' }), 429, 'rate_limited');
    expectError(await api(server.url, `/api/sessions/${code}`), 429, 'rate_limited');
  });

  it('caps the participants of a session', async () => {
    const server = await startServer({ maxParticipants: 2 });
    const { code } = await createSession(server.url);
    await joinSession(server.url, code, { name: 'A' });
    await joinSession(server.url, code, { name: 'B' });
    expectError(await postJson(server.url, `/api/sessions/${code}/participants`, { name: 'C' }), 409, 'session_full');
    expect((await api<SessionSummary>(server.url, `/api/sessions/${code}`)).body.participants).toBe(2);
  });
});
