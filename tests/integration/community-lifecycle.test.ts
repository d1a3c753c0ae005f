/**
 * The rest of a community's life (issue 14): the agenda's "since last time",
 * the calendar of due dates, importing an earlier session's export.json, and
 * deleting the community with every session in it. Real server, real sockets,
 * a real SQLite file.
 */
import { describe, expect, it } from 'vitest';
import type { CommunitySummary, CommunityTrends, CreateCommunityResponse, CreatePaperSessionResponse } from '../../src/lib/protocol';
import { addPoint } from '../helpers/board';
import { connectRefused, waitFor } from '../helpers/clients';
import { api, postJson, startServer, type ErrorBody } from '../helpers/server';
import { advance, castBallot, setupSession } from '../helpers/session';
import { humanDate } from '../../src/lib/domain/dates';
import type { RunningServer } from '../../server/app';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function community(server: RunningServer, name = 'Greenport'): Promise<CreateCommunityResponse> {
  const created = await postJson<CreateCommunityResponse>(server.url, '/api/communities', { name, language: 'en' });
  expect(created.status, created.text).toBe(201);
  return created.body;
}

const sessionOf = (server: RunningServer, c: CreateCommunityResponse, title: string, participants = 0) =>
  setupSession(server, { participants, create: { community: c.id, title, language: 'en' }, createHeaders: bearer(c.communityToken) });

/** The events of an iCalendar text (lines unfolded), each as its property → value. */
function calendarEvents(ics: string): Record<string, string>[] {
  const lines = ics.replace(/\r\n[ \t]/g, '').split(/\r\n/);
  const events: Record<string, string>[] = [];
  let current: Record<string, string> | null = null;
  for (const line of lines) {
    if (line === 'BEGIN:VEVENT') current = {};
    else if (line === 'END:VEVENT' && current) {
      events.push(current);
      current = null;
    } else if (current) {
      const colon = line.indexOf(':');
      current[line.slice(0, colon)] = line.slice(colon + 1);
    }
  }
  return events;
}

describe('community: agenda, calendar, import, deletion', () => {
  it('puts the review in the Markdown agenda and the due dates of open points in calendars, once per point', async () => {
    const server = await startServer();
    const c = await community(server);
    const first = await sessionOf(server, c, 'January');
    await advance(first.facilitator, 'voting', 'revealed', 'actions');
    const visit = await addPoint(first.facilitator, 3, 'Plan a *site* visit; bring boots, please');
    const finished = await addPoint(first.facilitator, 1, 'Book a room');
    const undated = await addPoint(first.facilitator, 2, 'Write to the mayor');
    for (const ack of await Promise.all([
      first.facilitator.send('action:update', { actionId: visit, owner: 'Ana', due: '2027-01-15' }),
      first.facilitator.send('action:update', { actionId: finished, due: '2027-01-10', status: 'done' }),
      first.facilitator.send('action:update', { actionId: undated, owner: 'Bo' })
    ]))
      expect(ack.ok).toBe(true);

    const sessionIcs = await api<string>(server.url, `/api/sessions/${first.code}/actions.ics`, { headers: bearer(first.created.facilitatorToken) });
    expect(sessionIcs.status).toBe(200);
    expect(sessionIcs.headers.get('content-type')).toContain('text/calendar');
    const sessionEvents = calendarEvents(sessionIcs.text);
    expect(sessionEvents.map((e) => [e.UID, e['DTSTART;VALUE=DATE'], e['DTEND;VALUE=DATE'], e.SUMMARY])).toEqual([
      [`${first.code}-${visit}@seeds-live-board`, '20270115', '20270116', 'Plan a *site* visit\\; bring boots\\, please']
    ]);
    expect(sessionEvents[0].DESCRIPTION).toBe(
      'Plan a *site* visit\\; bring boots\\, please\\n\\nOwner: Ana\\nFactor 3: Continuous attention to community building\\nJanuary'
    );
    expect((await api(server.url, `/api/sessions/${first.code}/actions.ics`)).status).toBe(401);
    await advance(first.facilitator, 'closed');

    const second = await sessionOf(server, c, 'February');
    const review = second.facilitator.snapshot.review!;
    expect(review.map((i) => i.text)).toEqual(['Plan a *site* visit; bring boots, please', 'Write to the mayor']);
    expect((await second.facilitator.send('review:set', { key: review[0].key, status: 'carried' })).ok).toBe(true);
    expect((await second.facilitator.send('review:set', { key: review[1].key, status: 'dropped' })).ok).toBe(true);

    const md = await api<string>(server.url, `/api/sessions/${second.code}/export.md`, { headers: bearer(second.created.facilitatorToken) });
    const agenda = md.text.slice(md.text.indexOf('## Since last time'), md.text.indexOf('## Results'));
    expect(agenda.trim().split('\n')).toEqual([
      '## Since last time',
      '',
      // People read days in their language's format (the meeting's day where it met; a due date as typed).
      // Never nested in our own brackets (issue 23): the details follow a dash, separated by dots.
      `- **Carried over**: Plan a \\*site\\* visit; bring boots, please — From January (${humanDate(review[0].sessionDate, 'en')}) · factor 3 · owner: Ana · due: 15 Jan 2027`,
      `- **Dropped**: Write to the mayor — From January (${humanDate(review[0].sessionDate, 'en')}) · factor 2 · owner: Bo`
    ]);
    const json = await api<{ review: { status: string }[] }>(server.url, `/api/sessions/${second.code}/export.json`, {
      headers: bearer(second.created.facilitatorToken)
    });
    expect(json.body.review.map((r) => r.status)).toEqual(['carried', 'dropped']);

    // The community calendar lists the carried copy (in February), not the original twice, and nothing done or undated.
    const carriedTo = (await second.facilitator.state()).review![0].carriedTo!;
    const communityIcs = await api<string>(server.url, `/api/communities/${c.id}/actions.ics`, { headers: bearer(c.communityToken) });
    expect(communityIcs.status).toBe(200);
    expect(calendarEvents(communityIcs.text).map((e) => [e.UID, e['DTSTART;VALUE=DATE']])).toEqual([
      [`${second.code}-${carriedTo}@seeds-live-board`, '20270115']
    ]);
    expect(communityIcs.text).toContain('X-WR-CALNAME:Greenport');
    expect((await api(server.url, `/api/communities/${c.id}/actions.ics`, { headers: bearer('x'.repeat(40)) })).status).toBe(403);
  });

  it("imports an earlier session's export.json into the trend with the same statistics, and refuses what is not one", async () => {
    const server = await startServer();
    // The earlier session was held on its own, before the community existed.
    const alone = await setupSession(server, { participants: 3, create: { title: 'Before the community', language: 'en' } });
    await advance(alone.facilitator, 'voting');
    const ballots = [
      { 1: 4, 2: 2, 3: 'unknown' },
      { 1: 5, 2: 3, 3: 'unknown' },
      { 1: 3, 2: 2, 3: 'unknown' }
    ] as const;
    for (const [i, b] of ballots.entries()) await castBallot(alone.people[i].client, b);
    await advance(alone.facilitator, 'revealed');
    const exported = await api<Record<string, unknown> & { factors: { number: number; mean: number | null; consensus: number | null }[] }>(
      server.url,
      `/api/sessions/${alone.code}/export.json`,
      { headers: bearer(alone.created.facilitatorToken) }
    );
    expect(exported.status).toBe(200);

    const c = await community(server);
    const imported = await postJson<CreatePaperSessionResponse>(server.url, `/api/communities/${c.id}/imports`, exported.body, bearer(c.communityToken));
    expect(imported.status, imported.text).toBe(201);
    expect(imported.body.code).toMatch(/^P[0-9A-Z]{6}$/);
    const trends = await api<CommunityTrends>(server.url, `/api/communities/${c.id}/trends.json`, { headers: bearer(c.communityToken) });
    const session = trends.body.sessions.find((s) => s.code === imported.body.code)!;
    expect(session).toMatchObject({ title: 'Before the community', source: 'import', voters: 3 });
    // Factors 1 and 2 as the original showed them; factor 3 had only "don't know"; unscored factors are empty.
    for (const number of [1, 2]) {
      const original = exported.body.factors.find((f) => f.number === number)!;
      const now = session.factors.find((f) => f.number === number)!;
      expect(now.mean).toBeCloseTo(original.mean!, 10);
      expect(now.consensus).toBeCloseTo(original.consensus!, 10);
    }
    expect(session.factors.find((f) => f.number === 3)!.mean).toBeNull();
    const summary = await api<CommunitySummary>(server.url, `/api/communities/${c.id}`, { headers: bearer(c.communityToken) });
    expect(summary.body.sessions.map((s) => [s.code, s.source])).toEqual([[imported.body.code, 'import']]);

    // The community's next session compares with it: "since last time" carries the imported figures.
    const next = await sessionOf(server, c, 'Next', 1);
    const lastTime = next.facilitator.snapshot.lastTime!;
    expect(lastTime).toMatchObject({ code: imported.body.code, source: 'import', voters: 3 });
    expect(lastTime.factors.find((f) => f.number === 1)!.mean).toBeCloseTo(exported.body.factors.find((f) => f.number === 1)!.mean!, 10);
    expect(next.people[0].client.snapshot.lastTime).toEqual(lastTime);

    const refusals = await Promise.all([
      postJson<ErrorBody>(server.url, `/api/communities/${c.id}/imports`, { hello: 'world' }, bearer(c.communityToken)),
      postJson<ErrorBody>(
        server.url,
        `/api/communities/${c.id}/imports`,
        { ...exported.body, factors: [{ number: 1, distribution: null, unknown: 0 }] },
        bearer(c.communityToken)
      ),
      postJson<ErrorBody>(server.url, `/api/communities/${c.id}/imports`, exported.body),
      postJson<ErrorBody>(server.url, `/api/communities/${c.id}/imports`, exported.body, bearer('y'.repeat(40)))
    ]);
    expect(refusals.map((r) => [r.status, r.body.error.code])).toEqual([
      [400, 'bad_request'],
      [400, 'bad_request'],
      [401, 'unauthorized'],
      [403, 'forbidden']
    ]);
  });

  it('deletes a community with all its sessions: open connections are told, links stop working, other communities stay', async () => {
    const server = await startServer();
    const doomed = await community(server, 'Doomed');
    const kept = await community(server, 'Kept');
    const live = await sessionOf(server, doomed, 'Live one', 1);
    const other = await sessionOf(server, kept, 'Elsewhere');
    const paper = await postJson(
      server.url,
      `/api/communities/${doomed.id}/paper-sessions`,
      { date: '2026-03-01', factors: [{ number: 1, distribution: { '1': 1, '2': 0, '3': 0, '4': 0, '5': 0 }, unknown: 0 }] },
      bearer(doomed.communityToken)
    );
    expect(paper.status).toBe(201);

    expect((await api(server.url, `/api/communities/${doomed.id}`, { method: 'DELETE' })).status).toBe(401);
    expect((await api(server.url, `/api/communities/${doomed.id}`, { method: 'DELETE', headers: bearer(kept.communityToken) })).status).toBe(403);
    const deleted = await api(server.url, `/api/communities/${doomed.id}`, { method: 'DELETE', headers: bearer(doomed.communityToken) });
    expect(deleted.status).toBe(204);

    await live.people[0].client.waitForEvent('session:deleted');
    await waitFor(() => !live.facilitator.socket.connected, { message: 'the facilitator was disconnected' });
    expect((await api(server.url, `/api/sessions/${live.code}`)).status).toBe(404);
    expect((await connectRefused(server.url, { code: live.code, token: live.created.facilitatorToken })).code).toBe('unauthorized');
    expect((await api(server.url, `/api/communities/${doomed.id}`, { headers: bearer(doomed.communityToken) })).status).toBe(404);
    expect((await api(server.url, `/api/sessions/${other.code}`)).status).toBe(200);
    const keptSummary = await api<CommunitySummary>(server.url, `/api/communities/${kept.id}`, { headers: bearer(kept.communityToken) });
    expect(keptSummary.body.sessions.map((s) => s.code)).toEqual([other.code]);
  });

  it("names a community's untitled sessions after the community and number them, so meetings can be told apart", async () => {
    const server = await startServer();
    const c = await community(server, 'Greenport LC');
    const untitled = () => setupSession(server, { create: { community: c.id }, createHeaders: bearer(c.communityToken) });
    const first = await untitled();
    const second = await untitled();
    expect([first.facilitator.snapshot.title, second.facilitator.snapshot.title]).toEqual(['Greenport LC · 1', 'Greenport LC · 2']);
    expect(second.facilitator.snapshot.review).toEqual([]);
    const titled = await sessionOf(server, c, 'Spring meeting');
    expect(titled.facilitator.snapshot.title).toBe('Spring meeting');
  });
});
