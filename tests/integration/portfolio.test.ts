/**
 * The programme view over the real server (issue 25, items 3 and 4): organisations created over REST,
 * communities sharing and withdrawing with their keys, live sessions revealed over real socket.io
 * connections, and the attacks of docs/privacy.md ("The programme role") against
 * `GET /api/organisations/:id/portfolio.json`. Communities with many sessions get their revealed rounds
 * through the running server's own store (computed by the live statistics), so the test stays small.
 */
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { CommunityShares, CreateCommunityResponse, CreateOrganisationResponse, PortfolioView } from '../../src/lib/protocol';
import { computeRoundResults, revealedBallots } from '../../src/lib/domain/results';
import { DEFAULT_THRESHOLDS } from '../../src/lib/domain/statistics';
import type { Answer } from '../../src/lib/domain/ballots';
import type { RunningServer } from '../../server/app';
import { api, postJson, startServer, type ErrorBody } from '../helpers/server';
import { sessionRecord } from '../helpers/store-contract';
import { advance, castBallot, setupSession } from '../helpers/session';
import { shareByInvite, shareInviteToken } from '../helpers/programme';

const FACTORS = 12;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const SECRET_COMMENT = 'SECRET-COMMENT-of-the-board';
const SECRET_NAME = 'Zoë-Secret-Name';

async function createOrganisation(url: string, name = 'Greenport West-Holland innovation pact', timeZone = 'Europe/Amsterdam') {
  const response = await postJson<CreateOrganisationResponse>(url, '/api/organisations', { name, timeZone });
  expect(response.status, response.text).toBe(201);
  expect(response.body.organisationUrl).toBe(`${url}/o/${response.body.id}#token=${response.body.organisationToken}`);
  organisationKeys.set(response.body.id, response.body.organisationToken);
  return response.body;
}

async function createCommunity(url: string, name: string): Promise<CreateCommunityResponse> {
  const response = await postJson<CreateCommunityResponse>(url, '/api/communities', { name, language: 'en' });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

/** Organisation keys by id: an organisation made without an account invites communities with its key. */
const organisationKeys = new Map<string, string>();
/** Shares as the product does: the organisation's single-use invitation, taken with the community's key. */
const share = async (url: string, c: CreateCommunityResponse, organisationId: string, token = c.communityToken) => {
  const key = organisationKeys.get(organisationId);
  const invite = key ? await shareInviteToken(url, organisationId, { key }) : 'no-such-invitation-token-0000';
  return shareByInvite(url, c.id, token, organisationId, invite);
};
const withdraw = (url: string, c: CreateCommunityResponse, organisationId: string, token = c.communityToken) =>
  api(url, `/api/communities/${c.id}/shares/${organisationId}`, { method: 'DELETE', headers: bearer(token) });
const portfolio = (url: string, organisation: CreateOrganisationResponse, token = organisation.organisationToken) =>
  api<PortfolioView>(url, `/api/organisations/${organisation.id}/portfolio.json`, { headers: bearer(token) });

let seeded = 0;

/**
 * Stores a revealed session of the community with `voters` anonymous voters who all score every factor
 * `score`, with a comment and a name in what the round froze (which must never reach the programme view).
 */
async function seedSession(server: RunningServer, communityId: string, score: 1 | 2 | 3 | 4 | 5, at: number, voters = 3): Promise<void> {
  const id = `seeded-${++seeded}`;
  await server.store.createSession(sessionRecord(id, { code: `S${String(seeded).padStart(5, '0')}`, communityId, phase: 'revealed', revealedRounds: [1] }));
  const input = {
    round: 1,
    factorCount: FACTORS,
    thresholds: DEFAULT_THRESHOLDS,
    anonymous: true,
    minVoters: 3,
    voters: Array.from({ length: voters }, (_, i) => ({
      id: `${id}-p${i}`,
      name: SECRET_NAME,
      group: null,
      answers: new Map<number, Answer>(Array.from({ length: FACTORS }, (_, f) => [f + 1, (i === 0 ? score : Math.min(5, score + (i % 2))) as Answer]))
    })),
    comments: [{ factor: 1, text: SECRET_COMMENT }]
  };
  await server.store.saveRevealedRound({ sessionId: id, round: 1, revealedAt: at, results: computeRoundResults(input), ballots: revealedBallots(input) });
}

const JAN = Date.UTC(2026, 0, 20, 10);
const APR = Date.UTC(2026, 3, 20, 10);

/** A community with `sessions` revealed sessions that met their k, shared with the organisation. */
async function sharedCommunity(server: RunningServer, organisationId: string, name: string, score: 1 | 2 | 3 | 4 | 5, sessions = 2) {
  const community = await createCommunity(server.url, name);
  for (let i = 0; i < sessions; i++) await seedSession(server, community.id, score, i === 0 ? JAN : APR);
  expect((await share(server.url, community, organisationId)).status).toBe(200);
  return community;
}

describe('the programme view: organisations, sharing and portfolio.json', () => {
  it('shows the shared communities that held enough sessions, with programme figures from enough communities only', async () => {
    const server = await startServer();
    const organisation = await createOrganisation(server.url);
    const a = await sharedCommunity(server, organisation.id, 'Alpha LC', 2);
    const b = await sharedCommunity(server, organisation.id, 'Bravo LC', 4);

    // Two communities: each row is shown, but no programme figure comes from fewer than three.
    let view = await portfolio(server.url, organisation);
    expect(view.status, view.text).toBe(200);
    expect(view.body.communities.map((c) => c.name)).toEqual(['Alpha LC', 'Bravo LC']);
    expect(view.body.communities[0]).toMatchObject({ id: a.id, sessions: 2 });
    expect(view.body.communities[0].factors[0]).toMatchObject({ number: 1, weak: true });
    for (const f of view.body.factors) expect(f).toMatchObject({ communities: 2, weak: null, divergent: null, median: null });

    await sharedCommunity(server, organisation.id, 'Charlie LC', 3);
    view = await portfolio(server.url, organisation);
    expect(view.body.factors[0]).toMatchObject({ number: 1, communities: 3, weak: 1 });
    expect(view.body.factors[0].median).not.toBeNull();
    expect(view.body.quarters).toEqual(['2026-Q1', '2026-Q2']);
    expect(view.body.trend[0].points.map((p) => p.communities)).toEqual([3, 3]);

    // A community sees itself beside the programme: counts only, from the other shown communities.
    const shares = await api<CommunityShares>(server.url, `/api/communities/${b.id}/shares`, { headers: bearer(b.communityToken) });
    expect(shares.status).toBe(200);
    expect(shares.body.shares).toHaveLength(1);
    expect(shares.body.shares[0].organisation).toEqual({ id: organisation.id, name: 'Greenport West-Holland innovation pact' });
    // Two others shown: fewer than three, so no comparison yet.
    expect(shares.body.shares[0].beside[0]).toMatchObject({ of: 2, lowerThan: null, higherThan: null });

    const xlsx = await api(server.url, `/api/organisations/${organisation.id}/portfolio.xlsx`, { headers: bearer(organisation.organisationToken) });
    expect(xlsx.status).toBe(200);
    const response = await fetch(`${server.url}/api/organisations/${organisation.id}/portfolio.xlsx`, { headers: bearer(organisation.organisationToken) });
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(await response.arrayBuffer()) as never);
    expect(book.worksheets.map((w) => w.name)).toEqual(['communities', 'factors', 'trend']);
    expect(book.getWorksheet('communities')!.rowCount).toBe(1 + 3 * FACTORS);
  });

  it('attack: a community below the minimum of revealed sessions is absent, and counted only as waiting', async () => {
    const server = await startServer();
    const organisation = await createOrganisation(server.url);
    await sharedCommunity(server, organisation.id, 'Alpha LC', 3);
    const young = await sharedCommunity(server, organisation.id, 'Young LC', 1, 1);
    const view = await portfolio(server.url, organisation);
    expect(view.body.communities.map((c) => c.name)).toEqual(['Alpha LC']);
    expect(view.text).not.toContain(young.id);
    expect(view.text).not.toContain('Young LC');
    expect(view.body.waiting).toBe(1);
  });

  it('attack: a community of one participant never reaches the view (each session below k, named ones too)', async () => {
    const server = await startServer();
    const organisation = await createOrganisation(server.url);
    const solo = await createCommunity(server.url, 'Solo LC');
    // Three named sessions (k = 1 in the room) with one voter each, revealed over real connections.
    for (let i = 0; i < 3; i++) {
      const session = await setupSession(server, {
        create: { title: `Solo ${i}`, community: solo.id, anonymous: false },
        createHeaders: bearer(solo.communityToken),
        join: [{ name: SECRET_NAME }]
      });
      await advance(session.facilitator, 'voting');
      await castBallot(session.people[0].client, Object.fromEntries(Array.from({ length: FACTORS }, (_, f) => [f + 1, 1])), SECRET_COMMENT);
      await advance(session.facilitator, 'revealed');
    }
    expect((await share(server.url, solo, organisation.id)).status).toBe(200);
    const view = await portfolio(server.url, organisation);
    expect(view.body.communities).toEqual([]);
    expect(view.body.waiting).toBe(1);
    expect(view.text).not.toContain(SECRET_NAME);
  });

  it('attack: withdrawing removes the community from the view at once, figures and trend included', async () => {
    const server = await startServer();
    const organisation = await createOrganisation(server.url);
    const a = await sharedCommunity(server, organisation.id, 'Alpha LC', 2);
    await sharedCommunity(server, organisation.id, 'Bravo LC', 3);
    await sharedCommunity(server, organisation.id, 'Charlie LC', 4);
    expect((await portfolio(server.url, organisation)).body.factors[0].median).toBe(3.33);
    // Another community's key cannot withdraw it.
    const other = await createCommunity(server.url, 'Other LC');
    expect(
      (await api(server.url, `/api/communities/${a.id}/shares/${organisation.id}`, { method: 'DELETE', headers: bearer(other.communityToken) })).status
    ).toBe(403);
    expect((await withdraw(server.url, a, organisation.id)).status).toBe(204);
    const view = await portfolio(server.url, organisation);
    expect(view.text).not.toContain(a.id);
    expect(view.text).not.toContain('Alpha LC');
    // Two communities left: the programme figures from three are withheld again, in the trend too.
    expect(view.body.factors[0]).toMatchObject({ communities: 2, median: null, weak: null });
    expect(view.body.trend[0].points.every((p) => p.median === null && p.communities === 2)).toBe(true);
    // Sharing again brings it back (the owner's choice).
    expect((await share(server.url, a, organisation.id)).status).toBe(200);
    expect((await portfolio(server.url, organisation)).body.communities.map((c) => c.name)).toContain('Alpha LC');
  });

  it("attack: a foreign organisation's key, a community key, no key or an unknown id read nothing", async () => {
    const server = await startServer();
    const mine = await createOrganisation(server.url, 'Mine');
    const foreign = await createOrganisation(server.url, 'Foreign');
    const c = await sharedCommunity(server, mine.id, 'Alpha LC', 2);
    const refused = async (token: string | null, id = mine.id, file = 'portfolio.json') => {
      const response = await api<ErrorBody>(server.url, `/api/organisations/${id}/${file}`, { headers: token ? bearer(token) : {} });
      expect(response.text).not.toContain('Alpha LC');
      return [response.status, response.body.error?.code];
    };
    expect(await refused(foreign.organisationToken)).toEqual([403, 'forbidden']);
    expect(await refused(foreign.organisationToken, mine.id, 'portfolio.xlsx')).toEqual([403, 'forbidden']);
    expect(await refused(c.communityToken)).toEqual([403, 'forbidden']);
    expect(await refused(null)).toEqual([401, 'unauthorized']);
    expect(await refused(mine.organisationToken, '00000000-0000-4000-8000-000000000000')).toEqual([404, 'not_found']);
    // The foreign organisation's own view holds nothing of the community shared with the other one.
    const theirs = await portfolio(server.url, foreign);
    expect(theirs.status).toBe(200);
    expect(theirs.body.communities).toEqual([]);
    expect(theirs.body.waiting).toBe(0);
    // Sharing needs the community's own key, and an organisation that exists.
    expect((await share(server.url, c, foreign.id, foreign.organisationToken)).status).toBe(403);
    expect((await share(server.url, c, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('attack: no session code, ballot, comment, group or participant name anywhere in the view or its spreadsheet', async () => {
    const server = await startServer({ portfolioMinCommunities: 2 });
    const organisation = await createOrganisation(server.url);
    const live = await createCommunity(server.url, 'Live LC');
    const codes: string[] = [];
    for (let s = 0; s < 2; s++) {
      const session = await setupSession(server, {
        create: { title: `Secret title ${s}`, community: live.id, anonymous: false },
        createHeaders: bearer(live.communityToken),
        join: [0, 1, 2].map((i) => ({ name: `${SECRET_NAME}${i}`, group: 'company' }))
      });
      codes.push(session.code);
      await advance(session.facilitator, 'voting');
      await Promise.all(
        session.people.map(({ client }, i) =>
          castBallot(client, Object.fromEntries(Array.from({ length: FACTORS }, (_, f) => [f + 1, ((i + f) % 5) + 1])) as never, SECRET_COMMENT)
        )
      );
      await advance(session.facilitator, 'revealed');
    }
    expect((await share(server.url, live, organisation.id)).status).toBe(200);
    await sharedCommunity(server, organisation.id, 'Seeded LC', 3);
    const view = await portfolio(server.url, organisation);
    expect(view.body.communities.map((c) => c.name)).toEqual(['Live LC', 'Seeded LC']);
    const response = await fetch(`${server.url}/api/organisations/${organisation.id}/portfolio.xlsx`, { headers: bearer(organisation.organisationToken) });
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(await response.arrayBuffer()) as never);
    const cells: string[] = [];
    book.eachSheet((ws) => ws.eachRow((row) => row.eachCell((cell) => void cells.push(String(cell.value)))));
    for (const text of [view.text, cells.join('\n')]) {
      for (const secret of [SECRET_NAME, SECRET_COMMENT, 'Secret title', 'company', ...codes, 'distribution', 'ballots', 'voters', 'seeded-']) {
        expect(text, secret).not.toContain(secret);
      }
    }
  });

  it('refuses bad organisation requests with a clear error and limits creations per address', async () => {
    const server = await startServer({ sessionsPerHour: 2 });
    const bad = await postJson<ErrorBody>(server.url, '/api/organisations', { name: '', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('bad_request');
    const zone = await postJson<ErrorBody>(server.url, '/api/organisations', { name: 'P', timeZone: 'Mars/Olympus' });
    expect(zone.status).toBe(400);
    await createOrganisation(server.url, 'One');
    await createOrganisation(server.url, 'Two');
    const third = await postJson<ErrorBody>(server.url, '/api/organisations', { name: 'Three' });
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('rate_limited');
  });
});
