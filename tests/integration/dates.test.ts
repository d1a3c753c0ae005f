/**
 * Dates are the day where the group met (issue 23, item 4), over the real
 * server: communities and sessions created with IANA time zones, reveals at a
 * fixed instant of the server's clock (the `clock` option stamps creations,
 * reveals and "today"), and the dates of trends.json, the community page's
 * summary, the session's exports and the paper-session check read back.
 */
import { describe, expect, it } from 'vitest';
import type { CommunitySummary, CommunityTrends, CreateCommunityResponse, SessionSummary } from '../../src/lib/protocol';
import type { ExportJson } from '../../src/lib/domain/export';
import { api, postJson, startServer, type ErrorBody } from '../helpers/server';
import { advance, castBallot, setupSession } from '../helpers/session';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
// 23:20 UTC on 5 Dec 2026: 00:20 on 6 Dec in Amsterdam.
const AMSTERDAM_AFTER_MIDNIGHT = Date.UTC(2026, 11, 5, 23, 20);
// 01:00 UTC on 6 Dec 2026: 19:00 on 5 Dec in Chicago.
const CHICAGO_EVENING = Date.UTC(2026, 11, 6, 1, 0);

async function startClockedServer() {
  const clock = { now: AMSTERDAM_AFTER_MIDNIGHT };
  const server = await startServer({ clock: () => clock.now });
  return { server, clock };
}

async function createCommunity(url: string, body: Record<string, unknown>): Promise<CreateCommunityResponse> {
  const response = await postJson<CreateCommunityResponse>(url, '/api/communities', { name: 'Greenport LC', language: 'en', ...body });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

/** A session of the community, created and revealed at the clock's instant, with one voter. */
async function revealedSession(server: Awaited<ReturnType<typeof startServer>>, community: CreateCommunityResponse, extra: Record<string, unknown> = {}) {
  const session = await setupSession(server, {
    create: { community: community.id, anonymous: false, ...extra },
    createHeaders: bearer(community.communityToken),
    join: [{ name: 'Ann' }]
  });
  await advance(session.facilitator, 'voting');
  await castBallot(session.people[0].client, { 1: 4, 2: 2 });
  await advance(session.facilitator, 'revealed');
  return session;
}

describe('dates are the local day where the group met', () => {
  it('a reveal after midnight in Amsterdam is dated 6 Dec in trends, the session list and the exports; an evening in Chicago 5 Dec', async () => {
    const { server, clock } = await startClockedServer();
    const amsterdam = await createCommunity(server.url, { timeZone: 'Europe/Amsterdam' });
    const chicago = await createCommunity(server.url, { timeZone: 'America/Chicago' });

    clock.now = AMSTERDAM_AFTER_MIDNIGHT;
    const late = await revealedSession(server, amsterdam);
    clock.now = CHICAGO_EVENING;
    const evening = await revealedSession(server, chicago);

    // The session takes its community's zone and shows it.
    const lateSummary = await api<SessionSummary>(server.url, `/api/sessions/${late.code}`);
    expect(lateSummary.body.timeZone).toBe('Europe/Amsterdam');
    expect((await api<SessionSummary>(server.url, `/api/sessions/${evening.code}`)).body.timeZone).toBe('America/Chicago');

    const trendsOf = async (c: CreateCommunityResponse) =>
      (await api<CommunityTrends>(server.url, `/api/communities/${c.id}/trends.json`, { headers: bearer(c.communityToken) })).body;
    expect((await trendsOf(amsterdam)).sessions.map((s) => s.date)).toEqual(['2026-12-06']);
    expect((await trendsOf(chicago)).sessions.map((s) => s.date)).toEqual(['2026-12-05']);

    const summaryOf = async (c: CreateCommunityResponse) =>
      (await api<CommunitySummary>(server.url, `/api/communities/${c.id}`, { headers: bearer(c.communityToken) })).body;
    const a = await summaryOf(amsterdam);
    expect(a.timeZone).toBe('Europe/Amsterdam');
    expect(a.sessions.map((s) => [s.date, s.time])).toEqual([['2026-12-06', '00:20']]);
    const c = await summaryOf(chicago);
    expect(c.timeZone).toBe('America/Chicago');
    expect(c.sessions.map((s) => [s.date, s.time])).toEqual([['2026-12-05', '19:00']]);

    // The exports: ISO days for machines (JSON, community CSV), the language's own format for people (Markdown).
    const exportOf = async (s: typeof late) =>
      (await api<ExportJson>(server.url, `/api/sessions/${s.code}/export.json`, { headers: bearer(s.created.facilitatorToken) })).body;
    expect((await exportOf(late)).session).toMatchObject({ date: '2026-12-06', timeZone: 'Europe/Amsterdam', createdAt: '2026-12-05T23:20:00.000Z' });
    expect((await exportOf(evening)).session).toMatchObject({ date: '2026-12-05', timeZone: 'America/Chicago' });
    const md = await api<string>(server.url, `/api/sessions/${evening.code}/export.md`, { headers: bearer(evening.created.facilitatorToken) });
    expect(md.text).toMatch(/^- Date: 5 Dec 2026$/m);
    const csv = await api<string>(server.url, `/api/communities/${amsterdam.id}/export.csv`, { headers: bearer(amsterdam.communityToken) });
    expect(csv.text).toContain(`${late.code},`);
    expect(csv.text).toContain(',2026-12-06,');
    expect(csv.text).not.toContain('2026-12-05');
    const communityMd = await api<string>(server.url, `/api/communities/${chicago.id}/export.md`, { headers: bearer(chicago.communityToken) });
    expect(communityMd.text).toContain('5 Dec 2026');
    expect(communityMd.text).not.toMatch(/\d{4}-\d{2}-\d{2}/);
  });

  it('a session may name its own zone; without one it takes the community zone, and on its own Europe/Amsterdam', async () => {
    const { server } = await startClockedServer();
    const amsterdam = await createCommunity(server.url, { timeZone: 'Europe/Amsterdam' });
    const elsewhere = await revealedSession(server, amsterdam, { timeZone: 'America/Chicago' });
    expect((await api<SessionSummary>(server.url, `/api/sessions/${elsewhere.code}`)).body.timeZone).toBe('America/Chicago');
    // 23:20 UTC on 5 Dec is 17:20 on 5 Dec in Chicago.
    const trends = await api<CommunityTrends>(server.url, `/api/communities/${amsterdam.id}/trends.json`, { headers: bearer(amsterdam.communityToken) });
    expect(trends.body.sessions.map((s) => s.date)).toEqual(['2026-12-05']);

    const alone = await postJson<{ code: string }>(server.url, '/api/sessions', {});
    expect((await api<SessionSummary>(server.url, `/api/sessions/${alone.body.code}`)).body.timeZone).toBe('Europe/Amsterdam');
    const community = await createCommunity(server.url, {});
    const summary = await api<CommunitySummary>(server.url, `/api/communities/${community.id}`, { headers: bearer(community.communityToken) });
    expect(summary.body.timeZone).toBe('Europe/Amsterdam');
  });

  it('a time zone that is not an IANA zone is refused with bad_request and nothing is created', async () => {
    const { server } = await startClockedServer();
    for (const timeZone of ['Mars/Olympus', '+01:00', 'x'.repeat(200), 42]) {
      const session = await postJson<ErrorBody>(server.url, '/api/sessions', { timeZone });
      expect(session.status, JSON.stringify(timeZone)).toBe(400);
      expect(session.body.error.code).toBe('bad_request');
      expect(session.body.error.details?.join(' ')).toMatch(/timeZone: (must be an IANA time zone|Invalid input|Too big|Expected string)/i);
      const community = await postJson<ErrorBody>(server.url, '/api/communities', { name: 'LC', timeZone });
      expect(community.status).toBe(400);
      expect(community.body.error.code).toBe('bad_request');
    }
  });

  it("a paper session dated after today in the community's zone is refused; today there is accepted", async () => {
    const { server, clock } = await startClockedServer();
    const chicago = await createCommunity(server.url, { timeZone: 'America/Chicago' });
    clock.now = CHICAGO_EVENING;
    const summary = await api<CommunitySummary>(server.url, `/api/communities/${chicago.id}`, { headers: bearer(chicago.communityToken) });
    // What the paper form proposes: today in Chicago, though it is already 6 Dec in UTC.
    expect(summary.body.today).toBe('2026-12-05');
    const paper = (date: string) =>
      postJson<ErrorBody | { code: string }>(
        server.url,
        `/api/communities/${chicago.id}/paper-sessions`,
        { title: 'Poster', date, factors: [{ number: 1, distribution: { '1': 0, '2': 1, '3': 2, '4': 0, '5': 0 }, unknown: 0 }] },
        bearer(chicago.communityToken)
      );
    const tomorrow = await paper('2026-12-06');
    expect(tomorrow.status, tomorrow.text).toBe(400);
    expect((tomorrow.body as ErrorBody).error.code).toBe('bad_request');
    expect((tomorrow.body as ErrorBody).error.message).toContain('after today');
    const today = await paper('2026-12-05');
    expect(today.status, today.text).toBe(201);
    const trends = await api<CommunityTrends>(server.url, `/api/communities/${chicago.id}/trends.json`, { headers: bearer(chicago.communityToken) });
    expect(trends.body.sessions.map((s) => s.date)).toEqual(['2026-12-05']);

    // Amsterdam, 00:20 on 6 Dec: 6 Dec is today there.
    const amsterdam = await createCommunity(server.url, { timeZone: 'Europe/Amsterdam' });
    clock.now = AMSTERDAM_AFTER_MIDNIGHT;
    const ok = await postJson(
      server.url,
      `/api/communities/${amsterdam.id}/paper-sessions`,
      { date: '2026-12-06', factors: [{ number: 1, distribution: { '1': 1, '2': 0, '3': 0, '4': 0, '5': 0 }, unknown: 0 }] },
      bearer(amsterdam.communityToken)
    );
    expect(ok.status, ok.text).toBe(201);
  });
});
