/**
 * Communities over the real server: sessions created with the community token,
 * votes over real socket.io connections, a paper session over REST, and
 * `trends.json` checked against a computation written here from the ballots
 * the test cast (not with the domain's functions). Then the authorisation of
 * every community endpoint.
 */
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { Answer, CommunitySummary, CommunityTrends, CreateCommunityResponse, CreateSessionResponse } from '../../src/lib/protocol';
import { FaultyStore } from '../helpers/faulty-store';
import { api, makeDataDir, postJson, startServer, type ErrorBody } from '../helpers/server';
import { advance, castBallot, setupSession } from '../helpers/session';

const FACTORS = 12;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function createCommunity(url: string, name = 'Greenport Vertical Farming LC'): Promise<CreateCommunityResponse> {
  const response = await postJson<CreateCommunityResponse>(url, '/api/communities', { name, language: 'en' });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

type Ballot = Record<number, Answer>;

/** What a factor should show, computed here from raw answers: Tastle–Wierman consensus, k in anonymous sessions. */
function expected(ballots: Ballot[], factor: number, k: number) {
  const scores = ballots.map((b) => b[factor]).filter((a): a is 1 | 2 | 3 | 4 | 5 => typeof a === 'number');
  const n = scores.length;
  if (n === 0 || n < k) return { number: factor, n, mean: null, consensus: null, weak: false, divergent: false };
  const mean = scores.reduce((a, b) => a + b, 0) / n;
  let consensus = 1;
  for (const value of new Set(scores)) {
    const share = scores.filter((s) => s === value).length / n;
    consensus += share * Math.log2(1 - Math.abs(value - mean) / 4);
  }
  return { number: factor, n, mean, consensus, weak: n >= 2 && mean < 3, divergent: n >= 2 && consensus < 0.6 };
}

function expectFactorsClose(actual: CommunityTrends['sessions'][number]['factors'], wanted: ReturnType<typeof expected>[]): void {
  expect(actual).toHaveLength(wanted.length);
  actual.forEach((got, i) => {
    const want = wanted[i];
    expect({ number: got.number, n: got.n, weak: got.weak, divergent: got.divergent }).toEqual({
      number: want.number,
      n: want.n,
      weak: want.weak,
      divergent: want.divergent
    });
    for (const key of ['mean', 'consensus'] as const) {
      if (want[key] === null) expect(got[key], `factor ${want.number} ${key}`).toBeNull();
      else expect(got[key], `factor ${want.number} ${key}`).toBeCloseTo(want[key]!, 3);
    }
  });
}

/** Ballot of voter i: varied scores; factor 12 only "don't know" and factor 11 scored by two people only. */
function ballot(i: number, shift: number): Ballot {
  return Object.fromEntries(
    Array.from({ length: FACTORS }, (_, f) => {
      const factor = f + 1;
      if (factor === 12) return [factor, 'unknown'];
      if (factor === 11 && i >= 2) return [factor, 'unknown'];
      return [factor, ((((i + 1) * (factor + shift)) % 5) + 1) as Answer];
    })
  );
}

async function runLiveSession(
  community: CreateCommunityResponse,
  title: string,
  ballots: Ballot[],
  anonymous: boolean,
  server: Awaited<ReturnType<typeof startServer>>
) {
  const session = await setupSession(server, {
    create: { title, community: community.id, anonymous },
    createHeaders: bearer(community.communityToken),
    join: ballots.map((_, i) => ({ name: `${title} person ${i + 1}` }))
  });
  await advance(session.facilitator, 'voting');
  await Promise.all(session.people.map(({ client }, i) => castBallot(client, ballots[i], `comment of ${title} ${i}`)));
  await advance(session.facilitator, 'revealed');
  return session;
}

describe('communities: trends from what each session revealed', () => {
  it('a community with two live sessions and one paper session: trends.json matches an independent computation', async () => {
    const dataDir = await makeDataDir();
    const server = await startServer({ dataDir });
    const community = await createCommunity(server.url);
    expect(community.communityUrl).toBe(`${server.url}/c/${community.id}#token=${community.communityToken}`);

    // Session A: anonymous, 3 voters (k = 3): factor 11 has 2 scores, so its figures are withheld.
    const ballotsA = [0, 1, 2].map((i) => ballot(i, 0));
    const a = await runLiveSession(community, 'Spring', ballotsA, true, server);

    // Session B: named, 4 voters; round 1 revealed, then a second round with other answers: only the latest counts.
    const round1 = [0, 1, 2, 3].map((i) => ballot(i, 1));
    const b = await runLiveSession(community, 'Summer', round1, false, server);
    const round2 = [0, 1, 2, 3].map((i) => ballot(i, 3));
    await advance(b.facilitator, 'voting');
    await Promise.all(b.people.map(({ client }, i) => castBallot(client, round2[i])));
    await advance(b.facilitator, 'revealed');
    // Votes after the reveal change nothing of what was frozen (a third round that is never revealed).
    await advance(b.facilitator, 'voting');
    await castBallot(b.people[0].client, { 1: 1, 2: 1 });

    // A session still in its lobby is listed on the page but has nothing in the trend.
    const lobby = await postJson<CreateSessionResponse>(server.url, '/api/sessions', { community: community.id }, bearer(community.communityToken));
    expect(lobby.status).toBe(201);

    // Session C: on paper, held earlier than the others.
    const paperFactors = [
      { number: 1, distribution: { '1': 0, '2': 1, '3': 4, '4': 2, '5': 0 }, unknown: 1 },
      { number: 5, distribution: { '1': 3, '2': 0, '3': 0, '4': 0, '5': 3 }, unknown: 0 }
    ];
    const paper = await postJson<{ code: string }>(
      server.url,
      `/api/communities/${community.id}/paper-sessions`,
      { title: 'Poster', date: '2020-01-15', factors: paperFactors },
      bearer(community.communityToken)
    );
    expect(paper.status, paper.text).toBe(201);
    expect(paper.body.code).toMatch(/^P[23456789A-HJKMNP-Z]{6}$/);

    const trends = await api<CommunityTrends>(server.url, `/api/communities/${community.id}/trends.json`, { headers: bearer(community.communityToken) });
    expect(trends.status).toBe(200);
    // The community's zone (none given: Europe/Amsterdam, the product's home), not the UTC day.
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam' }).format(new Date());
    expect(trends.body.community).toEqual({ id: community.id, name: 'Greenport Vertical Farming LC' });
    expect(trends.body.sessions.map((s) => [s.code, s.title, s.date, s.source, s.voters])).toEqual([
      [paper.body.code, 'Poster', '2020-01-15', 'paper', 8],
      [a.code, 'Spring', today, 'live', 3],
      [b.code, 'Summer', today, 'live', 4]
    ]);
    const factors = Array.from({ length: FACTORS }, (_, i) => i + 1);
    // Paper: every count is a ballot; no k on a poster.
    const paperBallots: Ballot[] = [];
    for (const f of paperFactors) {
      let row = 0;
      const put = (answer: Answer) => ((paperBallots[row] ??= {})[f.number] = answer) && row++;
      for (const score of [1, 2, 3, 4, 5] as const) for (let i = 0; i < f.distribution[score]; i++) put(score);
      for (let i = 0; i < f.unknown; i++) put('unknown');
    }
    expectFactorsClose(
      trends.body.sessions[0].factors,
      factors.map((f) => expected(paperBallots, f, 1))
    );
    expectFactorsClose(
      trends.body.sessions[1].factors,
      factors.map((f) => expected(ballotsA, f, 3))
    );
    expect(trends.body.sessions[1].factors[10]).toMatchObject({ n: 2, mean: null, consensus: null });
    expectFactorsClose(
      trends.body.sessions[2].factors,
      factors.map((f) => expected(round2, f, 1))
    );

    // Nothing per person crosses sessions: no names, comments, ballots or voter ids in the trend.
    for (const secret of ['Spring person', 'Summer person', 'comment of', 'named', 'ballots', 'participant']) expect(trends.text).not.toContain(secret);

    const summary = await api<CommunitySummary>(server.url, `/api/communities/${community.id}`, { headers: bearer(community.communityToken) });
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({
      id: community.id,
      name: 'Greenport Vertical Farming LC',
      language: 'en',
      framework: 'seeds-of-innovation',
      factorCount: 12
    });
    expect(summary.body.sessions.map((s) => [s.code, s.source, s.revealed])).toEqual(
      expect.arrayContaining([
        [paper.body.code, 'paper', true],
        [a.code, 'live', true],
        [b.code, 'live', true],
        [lobby.body.code, 'live', false]
      ])
    );
    expect(summary.body.sessions).toHaveLength(4);
    expect(summary.body.sessions[0].code).toBe(paper.body.code);

    // Exports: the long format (session × factor) in CSV and the spreadsheet, a Markdown summary; all from trends.json.
    const auth = { headers: bearer(community.communityToken) };
    const csv = await api<string>(server.url, `/api/communities/${community.id}/export.csv`, auth);
    expect(csv.status).toBe(200);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('session,title,date,source,voters,factor,n,mean,consensus,weak,divergent,attention');
    expect(lines).toHaveLength(1 + 3 * FACTORS);
    const expectedLines = trends.body.sessions.flatMap((s) =>
      s.factors.map((f) =>
        [s.code, s.title, s.date, s.source, s.voters, f.number, f.n, f.mean ?? '', f.consensus ?? '', f.weak, f.divergent, s.attention.includes(f.number)].join(
          ','
        )
      )
    );
    expect(lines.slice(1)).toEqual(expectedLines);
    const md = await api<string>(server.url, `/api/communities/${community.id}/export.md`, auth);
    expect(md.status).toBe(200);
    expect(md.text).toContain('# Greenport Vertical Farming LC');
    expect(md.text).toContain(`Spring (${a.code})`);
    expect(md.text.match(/^### \d+\. /gm)).toHaveLength(FACTORS);
    for (const secret of ['Spring person', 'Summer person', 'comment of']) expect(md.text + csv.text).not.toContain(secret);
    const xlsx = await fetch(`${server.url}/api/communities/${community.id}/export.xlsx`, auth);
    expect(xlsx.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as never);
    const sheet = book.getWorksheet('trends')!;
    expect(sheet.rowCount).toBe(1 + 3 * FACTORS);
    expect(sheet.getRow(2).values).toEqual([
      undefined,
      ...lines[1]
        .split(',')
        .map((v, i) =>
          i === 2
            ? new Date(`${v}T00:00:00Z`)
            : i === 1 || i === 3 || i === 0
              ? v
              : v === ''
                ? undefined
                : v === 'true'
                  ? true
                  : v === 'false'
                    ? false
                    : Number(v)
        )
    ]);
    // The day is a real date cell, shown with the month named.
    expect(sheet.getRow(2).getCell(3).numFmt).toBe('d mmm yyyy');

    // The same after a restart on the same data.
    await server.close();
    const again = await startServer({ dataDir });
    const after = await api<CommunityTrends>(again.url, `/api/communities/${community.id}/trends.json`, { headers: bearer(community.communityToken) });
    expect(after.body).toEqual(trends.body);
  });

  it('refuses invalid paper counts with the reasons and stores nothing', async () => {
    const server = await startServer();
    const community = await createCommunity(server.url);
    const path = `/api/communities/${community.id}/paper-sessions`;
    const zero = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 };
    const cases: unknown[] = [
      { date: '2026-01-01', factors: [{ number: 1, distribution: zero, unknown: 0 }] },
      { date: '2026-01-01', factors: [{ number: 13, distribution: { ...zero, '3': 1 }, unknown: 0 }] },
      { date: '2026-01-01', factors: [{ number: 1, distribution: { ...zero, '3': -1 }, unknown: 0 }] },
      { date: '2026-01-01', factors: [{ number: 1, distribution: { ...zero, '3': 1.5 }, unknown: 0 }] },
      { date: '2026-13-01', factors: [{ number: 1, distribution: { ...zero, '3': 1 }, unknown: 0 }] },
      {
        date: '2026-01-01',
        factors: [
          { number: 2, distribution: { ...zero, '3': 1 }, unknown: 0 },
          { number: 2, distribution: { ...zero, '4': 1 }, unknown: 0 }
        ]
      },
      'not an object'
    ];
    for (const body of cases) {
      const response = await postJson<ErrorBody>(server.url, path, body, bearer(community.communityToken));
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('bad_request');
    }
    const zeroCase = await postJson<ErrorBody>(server.url, path, cases[0], bearer(community.communityToken));
    expect(zeroCase.body.error.details).toEqual(['factors: at least one count is needed']);
    const trends = await api<CommunityTrends>(server.url, `/api/communities/${community.id}/trends.json`, { headers: bearer(community.communityToken) });
    expect(trends.body.sessions).toEqual([]);
  });

  it('refuses a community session with another framework, a nameless community, and rate-limits creating communities', async () => {
    const server = await startServer({ sessionsPerHour: 2 });
    const community = await createCommunity(server.url);
    const other = await postJson<ErrorBody>(server.url, '/api/sessions', { community: community.id, framework: 'other' }, bearer(community.communityToken));
    expect(other.status).toBe(400);
    expect((await postJson<ErrorBody>(server.url, '/api/communities', { name: '   ' })).status).toBe(400);
    expect((await postJson<ErrorBody>(server.url, '/api/communities', { name: 'x', extra: 1 })).status).toBe(400);
    expect((await postJson(server.url, '/api/communities', { name: 'Second' })).status).toBe(201);
    const third = await postJson<ErrorBody>(server.url, '/api/communities', { name: 'Third' });
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('rate_limited');
  });
});

describe('communities: authorisation of every endpoint', () => {
  it("answers 401 without a token, 403 for a wrong, another community's or a session's token, 404 for an unknown id", async () => {
    // Guess limiting is off here (every refusal below would count); it has a test of its own.
    const server = await startServer({ codeGuessesPerMinute: 0 });
    const mine = await createCommunity(server.url, 'Mine');
    const theirs = await createCommunity(server.url, 'Theirs');
    const session = await postJson<CreateSessionResponse>(server.url, '/api/sessions', { community: mine.id }, bearer(mine.communityToken));
    expect(session.status).toBe(201);
    const paperBody = { date: '2026-01-01', factors: [{ number: 1, distribution: { '1': 1, '2': 0, '3': 0, '4': 0, '5': 0 }, unknown: 0 }] };

    const endpoints: { name: string; call: (id: string, headers: Record<string, string>) => Promise<{ status: number; body: unknown }> }[] = [
      { name: 'GET summary', call: (id, headers) => api(server.url, `/api/communities/${id}`, { headers }) },
      { name: 'GET trends.json', call: (id, headers) => api(server.url, `/api/communities/${id}/trends.json`, { headers }) },
      { name: 'POST paper-sessions', call: (id, headers) => postJson(server.url, `/api/communities/${id}/paper-sessions`, paperBody, headers) },
      { name: 'GET export.csv', call: (id, headers) => api(server.url, `/api/communities/${id}/export.csv`, { headers }) },
      { name: 'GET export.md', call: (id, headers) => api(server.url, `/api/communities/${id}/export.md`, { headers }) },
      { name: 'GET export.xlsx', call: (id, headers) => api(server.url, `/api/communities/${id}/export.xlsx`, { headers }) },
      { name: 'POST sessions in a community', call: (id, headers) => postJson(server.url, '/api/sessions', { community: id }, headers) },
      { name: 'GET actions.ics', call: (id, headers) => api(server.url, `/api/communities/${id}/actions.ics`, { headers }) },
      {
        name: 'POST imports',
        call: (id, headers) =>
          postJson(
            server.url,
            `/api/communities/${id}/imports`,
            { session: { title: 'Imported', createdAt: '2026-01-01' }, factors: paperBody.factors },
            headers
          )
      }
    ];
    const credentials: [string, Record<string, string>, number, string][] = [
      ['no token', {}, 401, 'unauthorized'],
      ['a malformed header', { authorization: 'Basic abc' }, 401, 'unauthorized'],
      ['a wrong token', bearer('x'.repeat(43)), 403, 'forbidden'],
      ["another community's token", bearer(theirs.communityToken), 403, 'forbidden'],
      ["a session's facilitator token", bearer(session.body.facilitatorToken), 403, 'forbidden']
    ];
    for (const endpoint of endpoints) {
      for (const [label, headers, status, code] of credentials) {
        const response = await endpoint.call(mine.id, headers);
        expect(response.status, `${endpoint.name} with ${label}`).toBe(status);
        expect((response.body as ErrorBody).error.code, `${endpoint.name} with ${label}`).toBe(code);
      }
      const unknown = await endpoint.call('00000000-0000-4000-8000-000000000000', bearer(mine.communityToken));
      expect(unknown.status, `${endpoint.name} for an unknown community`).toBe(404);
      const right = await endpoint.call(mine.id, bearer(mine.communityToken));
      expect(right.status, `${endpoint.name} with the right token: ${JSON.stringify(right.body)}`).toBeLessThan(300);
    }

    // Nothing was written by a refused request: one session and one paper session, both from the right token.
    const summary = await api<CommunitySummary>(server.url, `/api/communities/${mine.id}`, { headers: bearer(mine.communityToken) });
    expect(summary.body.sessions.map((s) => s.source).sort()).toEqual(['import', 'live', 'live', 'paper']);
    const theirsSummary = await api<CommunitySummary>(server.url, `/api/communities/${theirs.id}`, { headers: bearer(theirs.communityToken) });
    expect(theirsSummary.body.sessions).toEqual([]);
    // The community token is no facilitator key: it cannot read a session's export.
    const exported = await api(server.url, `/api/sessions/${session.body.code}/export.json`, { headers: bearer(mine.communityToken) });
    expect(exported.status).toBe(403);

    // Deleting needs the community's own token too; refused attempts leave it whole.
    for (const [label, headers, status] of credentials) {
      const refused = await api(server.url, `/api/communities/${mine.id}`, { method: 'DELETE', headers });
      expect(refused.status, `DELETE with ${label}`).toBe(status);
    }
    expect((await api(server.url, `/api/communities/${mine.id}`, { headers: bearer(mine.communityToken) })).status).toBe(200);
    expect((await api(server.url, `/api/communities/${mine.id}`, { method: 'DELETE', headers: bearer(mine.communityToken) })).status).toBe(204);
    expect((await api(server.url, `/api/communities/${theirs.id}`, { headers: bearer(theirs.communityToken) })).status).toBe(200);
  });

  it('counts wrong community tokens and unknown ids as guesses: an address that keeps guessing is refused for a while', async () => {
    const server = await startServer({ codeGuessesPerMinute: 3 });
    const community = await createCommunity(server.url);
    const trendsOf = (headers: Record<string, string>) => api<ErrorBody>(server.url, `/api/communities/${community.id}/trends.json`, { headers });
    for (let i = 0; i < 3; i++) expect((await trendsOf(bearer(`wrong-token-number-${i}`))).status).toBe(403);
    const blocked = await trendsOf(bearer(community.communityToken));
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('rate_limited');
  });
});

describe('communities: store first', () => {
  it('a failed store write answers 503 store_unavailable and leaves nothing behind: no community, no paper session, no session', async () => {
    let faulty: FaultyStore | null = null;
    const server = await startServer({ wrapStore: (store) => (faulty = new FaultyStore(store)) });
    faulty!.failWrites(1, ['createCommunity']);
    const refused = await postJson<ErrorBody>(server.url, '/api/communities', { name: 'Lost' });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('store_unavailable');
    expect(faulty!.failed).toEqual(['createCommunity']);

    const community = await createCommunity(server.url);
    const auth = bearer(community.communityToken);
    faulty!.failWrites(1, ['savePaperSession']);
    const paper = await postJson<ErrorBody>(
      server.url,
      `/api/communities/${community.id}/paper-sessions`,
      { date: '2026-01-01', factors: [{ number: 1, distribution: { '1': 1, '2': 0, '3': 0, '4': 0, '5': 0 }, unknown: 0 }] },
      auth
    );
    expect(paper.status).toBe(503);
    faulty!.failWrites(1, ['createSession']);
    const session = await postJson<ErrorBody>(server.url, '/api/sessions', { community: community.id }, auth);
    expect(session.status).toBe(503);
    const summary = await api<CommunitySummary>(server.url, `/api/communities/${community.id}`, { headers: auth });
    expect(summary.body.sessions).toEqual([]);
  });
});
