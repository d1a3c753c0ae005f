/**
 * The review of a community's earlier action points (issue 14), attacked:
 * an origin session deleted under an open review, racing facilitator tabs,
 * a full board, a closed session, hostile text into the calendar. Each refusal
 * is typed and changes nothing, in memory or in the SQLite file (checked after
 * a restart). Real server, real sockets, real Yjs.
 */
import { describe, expect, it } from 'vitest';
import { LIMITS, type CommunityTrends, type CreateCommunityResponse } from '../../src/lib/protocol';
import { addPoint, textIn } from '../helpers/board';
import * as Y from 'yjs';
import { connectFacilitator, connectYjs, waitFor } from '../helpers/clients';
import { api, makeDataDir, postJson, startServer } from '../helpers/server';
import { advance, castBallot, setupSession } from '../helpers/session';
import type { RunningServer } from '../../server/app';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const code = (ack: { ok: boolean; error?: { code: string } }) => (ack.ok ? 'ok' : ack.error!.code);

async function community(server: RunningServer): Promise<CreateCommunityResponse> {
  const created = await postJson<CreateCommunityResponse>(server.url, '/api/communities', { name: 'Greenport', language: 'en' });
  expect(created.status, created.text).toBe(201);
  return created.body;
}

function sessionOf(server: RunningServer, c: CreateCommunityResponse) {
  return setupSession(server, { create: { community: c.id, title: 'Meeting' }, createHeaders: bearer(c.communityToken) });
}

/** A closed session of the community whose board has the given open points (text → due date or null). */
async function sessionWithPoints(server: RunningServer, c: CreateCommunityResponse, points: Array<[string, string | null]>) {
  const s = await sessionOf(server, c);
  await advance(s.facilitator, 'voting', 'revealed', 'actions');
  const ids: string[] = [];
  for (const [text, due] of points) {
    const id = await addPoint(s.facilitator, 1, text);
    if (due) expect((await s.facilitator.send('action:update', { actionId: id, due })).ok).toBe(true);
    ids.push(id);
  }
  await advance(s.facilitator, 'closed');
  return { ...s, ids };
}

describe('review:set attacked', () => {
  it('an origin session deleted while a later session reviews it: refused not_found, and no stray copy turns up after a restart', async () => {
    const dataDir = await makeDataDir();
    const server = await startServer({ dataDir });
    const c = await community(server);
    const first = await sessionWithPoints(server, c, [['Plan a site visit', null]]);
    const second = await sessionOf(server, c);
    const key = second.facilitator.snapshot.review![0].key;

    // The first session's facilitator deletes it while the second session's review is open.
    const deleted = await api(server.url, `/api/sessions/${first.code}`, { method: 'DELETE', headers: bearer(first.created.facilitatorToken) });
    expect(deleted.status).toBe(204);

    const refused = await second.facilitator.send('review:set', { key, status: 'carried' });
    expect(code(refused)).toBe('not_found');
    expect((await second.facilitator.state()).actions).toEqual([]);

    // What is stored is what was shown: no copy of the deleted session's point comes back from the file.
    second.facilitator.close();
    await server.close();
    const restarted = await startServer({ dataDir });
    const again = await connectFacilitator(restarted.url, second.code, second.created.facilitatorToken);
    expect(again.snapshot.actions).toEqual([]);
    expect(again.snapshot.review).toEqual([]);
    again.close();
    await restarted.close();
  });

  it('a point carried by a session that was then deleted is open again for the next session, from where it came', async () => {
    const server = await startServer();
    const c = await community(server);
    const first = await sessionWithPoints(server, c, [['Plan a site visit', '2027-01-15']]);
    const second = await sessionOf(server, c);
    const key = second.facilitator.snapshot.review![0].key;
    expect((await second.facilitator.send('review:set', { key, status: 'carried' })).ok).toBe(true);
    // A third session opened before the deletion lists the carried copy; reviewing it afterwards is refused, nothing changes.
    const third = await sessionOf(server, c);
    expect(third.facilitator.snapshot.review!.map((i) => i.sessionCode)).toEqual([second.code]);
    const deleted = await api(server.url, `/api/sessions/${second.code}`, { method: 'DELETE', headers: bearer(second.created.facilitatorToken) });
    expect(deleted.status).toBe(204);
    const copyKey = third.facilitator.snapshot.review![0].key;
    expect(code(await third.facilitator.send('review:set', { key: copyKey, status: 'carried' }))).toBe('not_found');
    expect((await third.facilitator.state()).actions).toEqual([]);
    // A session started now lists the original point again.
    const fourth = await sessionOf(server, c);
    expect(fourth.facilitator.snapshot.review!.map((i) => [i.key, i.review])).toEqual([[`${first.code}/${first.ids[0]}`, null]]);
    await server.close();
  });

  it('two facilitator tabs carrying the same point at once make one copy; carry, drop, carry in a burst ends carried with that copy', async () => {
    const server = await startServer();
    const c = await community(server);
    await sessionWithPoints(server, c, [['Plan a site visit', '2027-01-15']]);
    const second = await sessionOf(server, c);
    const key = second.facilitator.snapshot.review![0].key;
    const tab = await connectFacilitator(server.url, second.code, second.created.facilitatorToken);

    const acks = await Promise.all([second.facilitator.send('review:set', { key, status: 'carried' }), tab.send('review:set', { key, status: 'carried' })]);
    expect(acks.map(code)).toEqual(['ok', 'ok']);
    const copies = (await tab.state()).actions.filter((a) => a.origin === key);
    expect(copies).toHaveLength(1);

    const burst = await Promise.all([
      tab.send('review:set', { key, status: 'dropped' }),
      second.facilitator.send('review:set', { key, status: 'carried' }),
      tab.send('review:set', { key, status: 'done' }),
      second.facilitator.send('review:set', { key, status: 'carried' })
    ]);
    expect(burst.map(code)).toEqual(['ok', 'ok', 'ok', 'ok']);
    const state = await tab.state();
    expect(state.review!.map((i) => [i.review, i.carriedTo])).toEqual([['carried', copies[0].id]]);
    expect(state.actions.filter((a) => a.origin === key).map((a) => [a.id, a.removed])).toEqual([[copies[0].id, false]]);
    tab.close();
    await server.close();
  });

  it('carrying onto a full board is refused too_large and records no review', async () => {
    const server = await startServer({ limits: { commandsPerSecond: 10_000, commandBurst: 10_000 } });
    const c = await community(server);
    await sessionWithPoints(server, c, [['Plan a site visit', null]]);
    const second = await sessionOf(server, c);
    const key = second.facilitator.snapshot.review![0].key;
    await advance(second.facilitator, 'voting', 'revealed', 'actions');
    const acks = await Promise.all(
      Array.from({ length: LIMITS.actionsPerSession }, (_, i) => second.facilitator.send('action:create', { actionId: `point-${i}`, factor: 1, text: `${i}` }))
    );
    expect(acks.filter((a) => !a.ok).map(code)).toEqual([]);
    const refused = await second.facilitator.send('review:set', { key, status: 'carried' });
    expect(code(refused)).toBe('too_large');
    const state = await second.facilitator.state();
    expect(state.review![0].review).toBeNull();
    expect(state.actions).toHaveLength(LIMITS.actionsPerSession);
    await server.close();
  });

  it('carrying while the session closes: either carried before the close or refused session_closed, never half', async () => {
    const server = await startServer();
    const c = await community(server);
    await sessionWithPoints(server, c, [['Plan a site visit', null]]);
    const second = await sessionOf(server, c);
    const key = second.facilitator.snapshot.review![0].key;
    const [carry, close] = await Promise.all([
      second.facilitator.send('review:set', { key, status: 'carried' }),
      second.facilitator.send('phase:set', { phase: 'closed' })
    ]);
    expect(close.ok).toBe(true);
    const state = await second.facilitator.state();
    const copies = state.actions.filter((a) => a.origin === key && !a.removed);
    if (carry.ok) expect([state.review![0].review, copies.length]).toEqual(['carried', 1]);
    else expect([code(carry), state.review![0].review, copies.length]).toEqual(['session_closed', null, 0]);
    expect(code(await second.facilitator.send('review:set', { key, status: 'dropped' }))).toBe('session_closed');
    await server.close();
  });
});

describe('imports attacked', () => {
  const counts = (n: number) => ({ '1': n, '2': 0, '3': 0, '4': 0, '5': 0 });
  const valid = () => ({
    session: { title: 'Elsewhere', createdAt: '2026-02-01T10:00:00.000Z' },
    factors: [{ number: 1, distribution: counts(2), unknown: 0 }]
  });

  it('refuses hostile export.json bodies with a typed 4xx, stores nothing, and still serves', async () => {
    const server = await startServer();
    const c = await community(server);
    const url = `/api/communities/${c.id}/imports`;
    const post = (body: string, type = 'application/json') =>
      api<{ error: { code: string } }>(server.url, url, { method: 'POST', body, headers: { ...bearer(c.communityToken), 'content-type': type } });
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const bodies: Array<[string, string, string?]> = [
      ['huge count', JSON.stringify({ ...valid(), factors: [{ number: 1, distribution: counts(1e308), unknown: 0 }] })],
      ['negative count', JSON.stringify({ ...valid(), factors: [{ number: 1, distribution: counts(-3), unknown: 0 }] })],
      ['fractional count', JSON.stringify({ ...valid(), factors: [{ number: 1, distribution: counts(1.5), unknown: 0 }] })],
      ['factor beyond the framework', JSON.stringify({ ...valid(), factors: [{ number: 13, distribution: counts(1), unknown: 0 }] })],
      ['the same factor twice', JSON.stringify({ ...valid(), factors: [1, 1].map((number) => ({ number, distribution: counts(1), unknown: 0 })) })],
      [
        '41 factors',
        JSON.stringify({ ...valid(), factors: Array.from({ length: 41 }, (_, i) => ({ number: (i % 12) + 1, distribution: counts(1), unknown: 0 })) })
      ],
      ['40 factors', JSON.stringify({ ...valid(), factors: Array.from({ length: 40 }, (_, i) => ({ number: i + 1, distribution: counts(1), unknown: 0 })) })],
      ['an impossible day', JSON.stringify({ ...valid(), session: { title: 'x', createdAt: '2026-02-30T10:00:00Z' } })],
      ['deeply nested', `{"session":${deep}}`],
      ['more than a megabyte', JSON.stringify({ ...valid(), padding: 'x'.repeat(1_100_000) })],
      ['not JSON', '{"session": nope'],
      ['JSON null', 'null'],
      ['a JSON string', '"export"'],
      ['wrong content type', JSON.stringify(valid()), 'text/plain']
    ];
    const answers: Array<[string, number, string]> = [];
    for (const [what, body, type] of bodies) {
      const res = await post(body, type);
      answers.push([what, res.status, res.body?.error?.code ?? `(no typed error: ${res.text.slice(0, 60)})`]);
    }
    expect(answers.filter(([, status, errorCode]) => status < 400 || status >= 500 || !/^[a-z_]+$/.test(errorCode))).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const summary = await api<{ sessions: unknown[] }>(server.url, `/api/communities/${c.id}`, { headers: bearer(c.communityToken) });
    expect(summary.body.sessions).toEqual([]);
    const ok = await post(JSON.stringify(valid()));
    expect(ok.status, ok.text).toBe(201);

    // Prototype keys are just unknown keys: ignored, nothing polluted, and the counts stored are exactly the five scores.
    const proto = await post(
      '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"session":{"title":"x","createdAt":"2026-02-01"},"factors":[{"number":1,"distribution":{"__proto__":{"6":1},"1":1,"2":0,"3":0,"4":0,"5":0},"unknown":0}]}'
    );
    expect(proto.status, proto.text).toBe(201);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const trends = await api<CommunityTrends>(server.url, `/api/communities/${c.id}/trends.json`, { headers: bearer(c.communityToken) });
    expect(trends.body.sessions.map((s) => [s.voters, s.factors.find((f) => f.number === 1)!.n])).toEqual([
      [2, 2],
      [1, 1]
    ]);
    await server.close();
  });
});

describe('calendars attacked', () => {
  it("a lone CR typed into an action point's text stays inside its event in the session's and the community's calendar", async () => {
    const server = await startServer();
    const c = await community(server);
    const first = await sessionOf(server, c);
    await advance(first.facilitator, 'voting', 'revealed', 'actions');
    const id = await addPoint(first.facilitator, 1, 'Visit');
    expect((await first.facilitator.send('action:update', { actionId: id, due: '2027-01-15' })).ok).toBe(true);
    // The board's text is free text edited through Yjs: nothing stops a bare CR there.
    const board = await connectYjs(server.url, first.code, first.created.facilitatorToken);
    (await textIn(board.doc, id)).insert(5, '\rBEGIN:VEVENT\rSUMMARY:injected\rEND:VEVENT');
    const calendars = [`/api/sessions/${first.code}/actions.ics`, `/api/communities/${c.id}/actions.ics`];
    const tokens = [first.created.facilitatorToken, c.communityToken];
    for (const [i, path] of calendars.entries()) {
      let ics = '';
      // The text reaches the server through the Yjs connection: wait until the calendar has it.
      for (let attempt = 0; attempt < 50 && !ics.includes('injected'); attempt++) ics = (await api(server.url, path, { headers: bearer(tokens[i]) })).text;
      expect(ics).toContain('injected');
      expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
      expect(ics.split('\r\n').filter((l) => l === 'BEGIN:VEVENT')).toHaveLength(1);
    }
    board.destroy();
    await server.close();
  });
});

describe('purge and the review', () => {
  it('a community session prepared in the lobby whose review was recorded is not purged as abandoned; an empty one is', async () => {
    const server = await startServer({ lobbyPurgeHours: 48 });
    const c = await community(server);
    await sessionWithPoints(server, c, [['Plan a site visit', '2027-01-15']]);
    // The facilitator starts next month's session today and goes through the review with the group's answers.
    const prepared = await sessionOf(server, c);
    const key = prepared.facilitator.snapshot.review![0].key;
    expect((await prepared.facilitator.send('review:set', { key, status: 'carried' })).ok).toBe(true);
    const empty = await sessionOf(server, c);
    const purged = await server.purgeNow(Date.now() + 49 * 3_600_000);
    expect(purged).toHaveLength(1);
    await empty.facilitator.waitForEvent('session:deleted');
    const state = await prepared.facilitator.state();
    expect(state.review!.map((i) => i.review)).toEqual(['carried']);
    expect(state.actions.filter((a) => a.origin === key && !a.removed)).toHaveLength(1);
    await server.close();
  });
});

describe('deleting a community under live sessions', () => {
  it('a session started while its community is deleted: a typed answer, and no session left behind', async () => {
    const server = await startServer();
    const c = await community(server);
    const [created, deleted] = await Promise.all([
      postJson<{ code?: string; error?: { code: string } }>(server.url, '/api/sessions', { community: c.id, title: 'Late' }, bearer(c.communityToken)),
      api(server.url, `/api/communities/${c.id}`, { method: 'DELETE', headers: bearer(c.communityToken) })
    ]);
    expect(deleted.status).toBe(204);
    if (created.status === 201) expect((await api(server.url, `/api/sessions/${created.body.code}`)).status).toBe(404);
    else expect(created.body.error?.code).toMatch(/^(not_found|store_unavailable)$/);
    expect((await api(server.url, '/healthz')).status).toBe(200);
    await server.close();
  });

  it('racing review:set and live board connections: typed answers, connections closed, nothing of the community left after a restart', async () => {
    const dataDir = await makeDataDir();
    const server = await startServer({ dataDir });
    const c = await community(server);
    const first = await sessionWithPoints(server, c, [
      ['Plan a site visit', '2027-01-15'],
      ['Write the newsletter', null]
    ]);
    const second = await sessionOf(server, c);
    await advance(second.facilitator, 'voting', 'revealed', 'actions');
    const board = await connectYjs(server.url, second.code, second.created.facilitatorToken);
    const [a, b] = second.facilitator.snapshot.review!.map((i) => i.key);

    // A command the deletion overtakes may get no answer at all: the session ends and the server closes the connection.
    const carry = (key: string) =>
      second.facilitator.send('review:set', { key, status: 'carried' }).then(
        (ack) => (ack.ok ? 'ok' : ack.error.code),
        (error: Error) => (/disconnected/.test(error.message) ? 'disconnected' : Promise.reject(error))
      );
    const [carryA, deleted, carryB] = await Promise.all([
      carry(a),
      api(server.url, `/api/communities/${c.id}`, { method: 'DELETE', headers: bearer(c.communityToken) }),
      carry(b)
    ]);
    expect(deleted.status).toBe(204);
    for (const outcome of [carryA, carryB]) expect(['ok', 'session_deleted', 'not_found', 'store_unavailable', 'disconnected']).toContain(outcome);
    // The board connection is closed; a write on it afterwards goes nowhere and crashes nothing.
    await waitFor(() => !board.provider.wsconnected, { message: 'the board connection was closed' });
    board.doc.getMap('texts').set('late', new Y.Text('written after the deletion'));
    expect((await api(server.url, `/api/sessions/${first.code}`)).status).toBe(404);
    expect((await api(server.url, `/api/sessions/${second.code}`)).status).toBe(404);
    expect(await server.purgeNow(Date.now())).toEqual([]);

    await server.close();
    const restarted = await startServer({ dataDir });
    expect((await api(restarted.url, `/api/sessions/${second.code}`)).status).toBe(404);
    expect((await api(restarted.url, `/api/communities/${c.id}`, { headers: bearer(c.communityToken) })).status).toBe(404);
    expect((await api(restarted.url, '/healthz')).status).toBe(200);
    await restarted.close();
  });
});

describe('since last time', () => {
  it('compares with the latest revealed round of the last session with results, skipping sessions without', async () => {
    const server = await startServer();
    const c = await community(server);
    const first = await setupSession(server, { participants: 3, create: { community: c.id, title: 'Two rounds' }, createHeaders: bearer(c.communityToken) });
    await advance(first.facilitator, 'voting');
    for (const p of first.people) await castBallot(p.client, { 1: 2 });
    await advance(first.facilitator, 'revealed', 'voting');
    for (const p of first.people) await castBallot(p.client, { 1: 4 });
    await advance(first.facilitator, 'revealed', 'closed');
    // A session that never revealed anything sits in between.
    const empty = await sessionOf(server, c);
    await advance(empty.facilitator, 'closed');
    const third = await sessionOf(server, c);
    const lastTime = third.facilitator.snapshot.lastTime!;
    expect(lastTime.code).toBe(first.code);
    expect(lastTime.factors.find((f) => f.number === 1)!.mean).toBe(4);
    await server.close();
  });
});
