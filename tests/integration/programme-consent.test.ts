/**
 * Joining a programme needs the organisation's consent (issue 25), and an organisation made without an account can
 * get an admin later, over a real server with real accounts and cookie sessions in its store.
 *
 * The attack: anyone who knows an organisation's id (it is in every programme link and on every sharing community's
 * page) used to be able to share any community with it. An attacker makes communities of their own, fills them with
 * fabricated sessions and shares them into the programme: its heatmap, counts and medians then carry made-up
 * figures (poisoning), or its 500 places fill up (flooding). Now a community shares only by taking one of the
 * organisation's single-use share invitations, which its admin (or its key, while it has no admin) makes.
 */
import { describe, expect, it } from 'vitest';
import type {
  AccountHomeView,
  ClaimResult,
  CommunityShares,
  CreateCommunityResponse,
  CreateOrganisationResponse,
  OrganisationShares,
  PortfolioView
} from '../../src/lib/protocol';
import { computeRoundResults, revealedBallots } from '../../src/lib/domain/results';
import { DEFAULT_THRESHOLDS } from '../../src/lib/domain/statistics';
import type { Answer } from '../../src/lib/domain/ballots';
import type { RunningServer } from '../../server/app';
import { api, postJson, startServer, type ErrorBody } from '../helpers/server';
import { asBrowser, getAs, postAs, signIn, type SignedIn } from '../helpers/accounts';
import { sessionRecord } from '../helpers/store-contract';
import { requestShareInvite, shareByInvite, shareInviteToken } from '../helpers/programme';

const FACTORS = 12;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const JAN = Date.UTC(2026, 0, 20, 10);
const APR = Date.UTC(2026, 3, 20, 10);
let seeded = 0;

async function organisationOf(server: RunningServer, admin: SignedIn | null, name = 'Greenport programme'): Promise<CreateOrganisationResponse> {
  const response = admin
    ? await postAs<CreateOrganisationResponse>(server, admin, '/api/organisations', { name })
    : await postJson<CreateOrganisationResponse>(server.url, '/api/organisations', { name });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

/** A community with two revealed sessions that met their k, every voter scoring every factor `score`. */
async function communityWithSessions(server: RunningServer, name: string, score: Answer): Promise<CreateCommunityResponse> {
  const created = await postJson<CreateCommunityResponse>(server.url, '/api/communities', { name, language: 'en' });
  expect(created.status, created.text).toBe(201);
  for (const at of [JAN, APR]) {
    const id = `consent-${++seeded}`;
    await server.store.createSession(
      sessionRecord(id, { code: `C${String(seeded).padStart(5, '0')}`, communityId: created.body.id, phase: 'revealed', revealedRounds: [1] })
    );
    const input = {
      round: 1,
      factorCount: FACTORS,
      thresholds: DEFAULT_THRESHOLDS,
      anonymous: true,
      minVoters: 3,
      voters: Array.from({ length: 4 }, (_, i) => ({
        id: `${id}-p${i}`,
        name: `P${i}`,
        group: null,
        answers: new Map<number, Answer>(Array.from({ length: FACTORS }, (_, f) => [f + 1, score]))
      })),
      comments: []
    };
    await server.store.saveRevealedRound({ sessionId: id, round: 1, revealedAt: at, results: computeRoundResults(input), ballots: revealedBallots(input) });
  }
  return created.body;
}

const view = async (server: RunningServer, admin: SignedIn, organisationId: string) => {
  const response = await getAs<PortfolioView>(server, admin, `/api/organisations/${organisationId}/portfolio.json`);
  expect(response.status, response.text).toBe(200);
  return response.body;
};

describe('attack: poisoning and flooding a programme by sharing into it', () => {
  it('attack: a community whose owner only knows the organisation id cannot join its figures, however often it tries', async () => {
    const server = await startServer({ codeGuessesPerMinute: 1000 });
    const admin = await signIn(server, 'Ada');
    const organisation = await organisationOf(server, admin);
    const honest = await communityWithSessions(server, 'Honest LC', 4);
    const invite = await shareInviteToken(server.url, organisation.id, { headers: asBrowser(server, admin) });
    expect((await shareByInvite(server.url, honest.id, honest.communityToken, organisation.id, invite)).status).toBe(200);

    // The attacker's fabricated communities, each with two "revealed" sessions of all 1s.
    const fakes: CreateCommunityResponse[] = [];
    for (let i = 0; i < 5; i++) fakes.push(await communityWithSessions(server, `Fake LC ${i}`, 1));
    for (const fake of fakes) {
      // As before the fix: the organisation's id alone (no body).
      const bare = await api<ErrorBody>(server.url, `/api/communities/${fake.id}/shares/${organisation.id}`, {
        method: 'PUT',
        headers: bearer(fake.communityToken)
      });
      expect([bare.status, bare.body.error?.code]).toEqual([403, 'forbidden']);
      // A made-up invitation, and the honest community's invitation taken again.
      const guessed = await shareByInvite(server.url, fake.id, fake.communityToken, organisation.id, 'A'.repeat(43));
      expect([guessed.status, (guessed.body as unknown as ErrorBody).error?.code]).toEqual([404, 'not_found']);
      const reused = await shareByInvite(server.url, fake.id, fake.communityToken, organisation.id, invite);
      expect([reused.status, (reused.body as unknown as ErrorBody).error?.code]).toEqual([410, 'invite_used']);
    }
    // An invitation of the attacker's own organisation does not open another one.
    const own = await organisationOf(server, null, 'Attacker programme');
    const foreign = await shareInviteToken(server.url, own.id, { key: own.organisationToken });
    expect((await shareByInvite(server.url, fakes[0].id, fakes[0].communityToken, organisation.id, foreign)).status).toBe(404);

    const after = await view(server, admin, organisation.id);
    expect(after.communities.map((c) => c.name)).toEqual(['Honest LC']);
    expect(after.waiting).toBe(0);
    expect(JSON.stringify(after)).not.toContain('Fake LC');
    for (const fake of fakes) {
      const shares = await api<{ shares: unknown[] }>(server.url, `/api/communities/${fake.id}/shares`, { headers: bearer(fake.communityToken) });
      expect(shares.body.shares).toEqual([]);
    }
  });

  it('attack: nobody but the admin makes share invitations: not a lead, another account, a community owner, nor a forwarded key once there is an admin', async () => {
    const server = await startServer({ codeGuessesPerMinute: 1000 });
    const admin = await signIn(server, 'Ada');
    const stranger = await signIn(server, 'Sam');
    const organisation = await organisationOf(server, admin);
    const community = await communityWithSessions(server, 'Some LC', 3);
    const leadInvite = await postAs<{ inviteUrl: string }>(server, admin, `/api/organisations/${organisation.id}/invites`);
    const lea = await signIn(server, 'Lea');
    expect((await postAs(server, lea, '/api/invites/accept', { token: new URL(leadInvite.body.inviteUrl).hash.replace('#token=', '') })).status).toBe(200);

    const refused = async (caller: Parameters<typeof requestShareInvite>[2]) => {
      const response = await requestShareInvite(server.url, organisation.id, caller);
      return [response.status, (response.body as unknown as ErrorBody).error?.code];
    };
    expect(await refused({ headers: asBrowser(server, lea) })).toEqual([403, 'forbidden']);
    expect(await refused({ headers: asBrowser(server, stranger) })).toEqual([403, 'forbidden']);
    expect(await refused({ key: organisation.organisationToken })).toEqual([403, 'forbidden']);
    expect(await refused({ key: community.communityToken })).toEqual([403, 'forbidden']);
    expect(await refused({ headers: {} })).toEqual([401, 'unauthorized']);
    // A share invitation is not a lead's invite: taking it at /invites/accept grants nothing.
    const shareInvite = await shareInviteToken(server.url, organisation.id, { headers: asBrowser(server, admin) });
    expect((await postAs(server, stranger, '/api/invites/accept', { token: shareInvite })).status).toBe(404);
    expect((await getAs<AccountHomeView>(server, stranger, '/api/me')).body.organisations).toEqual([]);
    // And it still works for the community it was meant for.
    expect((await shareByInvite(server.url, community.id, community.communityToken, organisation.id, shareInvite)).status).toBe(200);
  });

  it('with consent: the invited community appears, its owner withdraws at any time, and sharing again needs a new invitation', async () => {
    const server = await startServer();
    const admin = await signIn(server, 'Ada');
    const organisation = await organisationOf(server, admin);
    const community = await communityWithSessions(server, 'Invited LC', 4);
    const first = await shareInviteToken(server.url, organisation.id, { headers: asBrowser(server, admin) });
    const shared = await shareByInvite(server.url, community.id, community.communityToken, organisation.id, first);
    expect(shared.status, shared.text).toBe(200);
    expect(shared.body.shares.map((s) => s.organisation.id)).toEqual([organisation.id]);
    expect((await view(server, admin, organisation.id)).communities.map((c) => c.name)).toEqual(['Invited LC']);

    // Withdrawal needs nobody's consent.
    const withdrawn = await api(server.url, `/api/communities/${community.id}/shares/${organisation.id}`, {
      method: 'DELETE',
      headers: bearer(community.communityToken)
    });
    expect(withdrawn.status).toBe(204);
    expect((await view(server, admin, organisation.id)).communities).toEqual([]);
    // The used invitation does not bring it back; a new one does.
    expect((await shareByInvite(server.url, community.id, community.communityToken, organisation.id, first)).status).toBe(410);
    const second = await shareInviteToken(server.url, organisation.id, { headers: asBrowser(server, admin) });
    expect((await shareByInvite(server.url, community.id, community.communityToken, organisation.id, second)).status).toBe(200);
    expect((await view(server, admin, organisation.id)).communities.map((c) => c.name)).toEqual(['Invited LC']);
  });
});

describe('an organisation made without an account gets an admin later: its key holder claims it, once', () => {
  const claim = (server: RunningServer, who: SignedIn, organisation: CreateOrganisationResponse, token = organisation.organisationToken) =>
    postAs<ClaimResult>(server, who, '/api/me/claims', { organisations: [{ id: organisation.id, token }] });

  it('the first signed-in key holder becomes admin; its key then only reads, and a second claimer is refused', async () => {
    const server = await startServer();
    const organisation = await organisationOf(server, null);
    // Before an admin exists the key manages the organisation: it may invite communities.
    const early = await communityWithSessions(server, 'Early LC', 4);
    const byKey = await shareInviteToken(server.url, organisation.id, { key: organisation.organisationToken });
    expect((await shareByInvite(server.url, early.id, early.communityToken, organisation.id, byKey)).status).toBe(200);

    const ada = await signIn(server, 'Ada');
    const claimed = await claim(server, ada, organisation);
    expect(claimed.status, claimed.text).toBe(200);
    expect(claimed.body).toMatchObject({ organisations: [organisation.id], refused: 0 });
    expect((await getAs<AccountHomeView>(server, ada, '/api/me')).body.organisations).toEqual([
      { id: organisation.id, name: 'Greenport programme', role: 'admin' }
    ]);
    // Claiming again is harmless.
    expect((await claim(server, ada, organisation)).body).toMatchObject({ organisations: [organisation.id], refused: 0 });
    // The admin invites leads and communities now; the key reads the view but no longer invites.
    expect((await postAs(server, ada, `/api/organisations/${organisation.id}/invites`)).status).toBe(201);
    expect((await requestShareInvite(server.url, organisation.id, { headers: asBrowser(server, ada) })).status).toBe(201);
    expect((await requestShareInvite(server.url, organisation.id, { key: organisation.organisationToken })).status).toBe(403);
    expect((await api(server.url, `/api/organisations/${organisation.id}/portfolio.json`, { headers: bearer(organisation.organisationToken) })).status).toBe(
      200
    );
  });

  it('attack: a forwarded key makes nobody else admin, a wrong key claims nothing, and racing claims make one admin', async () => {
    const server = await startServer({ codeGuessesPerMinute: 1000 });
    const organisation = await organisationOf(server, null);
    const [ada, sam, eve] = [await signIn(server, 'Ada'), await signIn(server, 'Sam'), await signIn(server, 'Eve')];
    const other = await organisationOf(server, null, 'Other programme');

    // A wrong key (another organisation's) claims nothing.
    const wrong = await claim(server, eve, organisation, other.organisationToken);
    expect(wrong.body).toMatchObject({ organisations: [], refused: 1 });

    // Two key holders claim at the same moment: exactly one becomes admin.
    const [first, second] = await Promise.all([claim(server, ada, organisation), claim(server, sam, organisation)]);
    const winners = [first, second].filter((r) => r.body.organisations.length === 1);
    expect(winners.length).toBe(1);
    expect([first, second].map((r) => r.body.refused).sort()).toEqual([0, 1]);
    const loser = winners[0] === first ? sam : ada;
    // Later claims with the (forwarded) key are refused too, and grant nothing.
    expect((await claim(server, eve, organisation)).body).toMatchObject({ organisations: [], refused: 1 });
    for (const who of [loser, eve]) {
      expect((await getAs<AccountHomeView>(server, who, '/api/me')).body.organisations).toEqual([]);
      expect((await postAs(server, who, `/api/organisations/${organisation.id}/invites`)).status).toBe(403);
      expect((await requestShareInvite(server.url, organisation.id, { headers: asBrowser(server, who) })).status).toBe(403);
    }
  });
});

describe("the organisation's admin removes a community from the programme", () => {
  const remove = (server: RunningServer, organisationId: string, communityId: string, headers: Record<string, string>) =>
    api<ErrorBody>(server.url, `/api/organisations/${organisationId}/shares/${communityId}`, { method: 'DELETE', headers });
  const sharesOf = async (server: RunningServer, community: CreateCommunityResponse) => {
    const response = await api<CommunityShares>(server.url, `/api/communities/${community.id}/shares`, { headers: bearer(community.communityToken) });
    expect(response.status, response.text).toBe(200);
    return response.body;
  };
  const invited = async (server: RunningServer, admin: SignedIn, organisationId: string, community: CreateCommunityResponse) => {
    const invite = await shareInviteToken(server.url, organisationId, { headers: asBrowser(server, admin) });
    const shared = await shareByInvite(server.url, community.id, community.communityToken, organisationId, invite);
    expect(shared.status, shared.text).toBe(200);
  };

  it('lists the shared communities, removes one from the view at once, tells its owner, and it can be invited again', async () => {
    const server = await startServer();
    const admin = await signIn(server, 'Ada');
    const organisation = await organisationOf(server, admin);
    const [alpha, beta] = [await communityWithSessions(server, 'Alpha LC', 4), await communityWithSessions(server, 'Beta LC', 2)];
    for (const community of [alpha, beta]) await invited(server, admin, organisation.id, community);
    const listed = await getAs<OrganisationShares>(server, admin, `/api/organisations/${organisation.id}/shares`);
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.communities.map((c) => [c.id, c.name])).toEqual([
      [alpha.id, 'Alpha LC'],
      [beta.id, 'Beta LC']
    ]);

    expect((await remove(server, organisation.id, beta.id, asBrowser(server, admin))).status).toBe(204);
    expect((await view(server, admin, organisation.id)).communities.map((c) => c.name)).toEqual(['Alpha LC']);
    expect((await getAs<OrganisationShares>(server, admin, `/api/organisations/${organisation.id}/shares`)).body.communities.map((c) => c.id)).toEqual([
      alpha.id
    ]);
    // The owner's page says which programme removed it, and when.
    const owner = await sharesOf(server, beta);
    expect(owner.shares).toEqual([]);
    expect(owner.removed.map((r) => r.organisation)).toEqual([{ id: organisation.id, name: 'Greenport programme' }]);
    expect((await sharesOf(server, alpha)).removed).toEqual([]);

    // Invited again: back in the view, and the notice is gone.
    await invited(server, admin, organisation.id, beta);
    expect((await view(server, admin, organisation.id)).communities.map((c) => c.name)).toEqual(['Alpha LC', 'Beta LC']);
    expect((await sharesOf(server, beta)).removed).toEqual([]);
  });

  it("attack: only the admin of this organisation removes: not a lead, a removed admin, another organisation's admin, the community's owner, the key once there is an admin", async () => {
    const server = await startServer({ codeGuessesPerMinute: 1000 });
    const [ada, bob, lea, sam] = [await signIn(server, 'Ada'), await signIn(server, 'Bob'), await signIn(server, 'Lea'), await signIn(server, 'Sam')];
    const organisation = await organisationOf(server, ada);
    const theirs = await organisationOf(server, bob, 'Another programme');
    const leadInvite = await postAs<{ inviteUrl: string }>(server, ada, `/api/organisations/${organisation.id}/invites`);
    expect((await postAs(server, lea, '/api/invites/accept', { token: new URL(leadInvite.body.inviteUrl).hash.replace('#token=', '') })).status).toBe(200);
    const ownerCommunity = await postAs<CreateCommunityResponse>(server, sam, '/api/communities', { name: 'Sam LC' });
    const community = ownerCommunity.body;
    await invited(server, ada, organisation.id, community);
    // A second admin who was removed: their cookie no longer counts.
    const former = await signIn(server, 'Fay');
    await server.store.setMembership({ accountId: former.accountId, kind: 'organisation', target: organisation.id, role: 'owner', addedAt: 1 });
    await server.store.removeMembership(former.accountId, 'organisation', organisation.id);

    const refused = async (organisationId: string, headers: Record<string, string>) => {
      const response = await remove(server, organisationId, community.id, headers);
      return [response.status, response.body.error?.code];
    };
    expect(await refused(organisation.id, asBrowser(server, lea))).toEqual([403, 'forbidden']);
    expect(await refused(organisation.id, asBrowser(server, former))).toEqual([403, 'forbidden']);
    expect(await refused(organisation.id, asBrowser(server, bob))).toEqual([403, 'forbidden']);
    expect(await refused(organisation.id, asBrowser(server, sam))).toEqual([403, 'forbidden']);
    expect(await refused(organisation.id, bearer(organisation.organisationToken))).toEqual([403, 'forbidden']);
    expect(await refused(organisation.id, bearer(community.communityToken))).toEqual([403, 'forbidden']);
    // The admin's own cookie, sent by another site's page: refused before anything is read.
    expect(await refused(organisation.id, asBrowser(server, ada, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }))).toEqual([
      403,
      'cross_site'
    ]);
    expect(await refused(organisation.id, {})).toEqual([401, 'unauthorized']);
    // Another organisation's admin naming their own organisation: the community does not share with it.
    expect(await refused(theirs.id, asBrowser(server, bob))).toEqual([404, 'not_found']);
    // The lead and the removed admin cannot list the communities either.
    for (const who of [lea, former, bob]) expect((await getAs(server, who, `/api/organisations/${organisation.id}/shares`)).status).toBe(403);

    // Nothing changed: still shared, in the view, and the owner's page has no removal.
    // (Sam's community has no sessions yet: the view counts it as waiting; the admin's list names it.)
    expect((await view(server, ada, organisation.id)).waiting).toBe(1);
    expect((await getAs<OrganisationShares>(server, ada, `/api/organisations/${organisation.id}/shares`)).body.communities.map((c) => c.id)).toEqual([
      community.id
    ]);
    expect((await getAs<CommunityShares>(server, sam, `/api/communities/${community.id}/shares`)).body).toMatchObject({
      shares: [{ organisation: { id: organisation.id } }],
      removed: []
    });
  });

  it("attack: an admin naming someone else's share, or replaying a removal, changes nothing more", async () => {
    const server = await startServer({ codeGuessesPerMinute: 1000 });
    const [ada, bob] = [await signIn(server, 'Ada'), await signIn(server, 'Bob')];
    const organisation = await organisationOf(server, ada);
    const theirs = await organisationOf(server, bob, 'Another programme');
    const [mine, other] = [await communityWithSessions(server, 'Mine LC', 4), await communityWithSessions(server, 'Other LC', 3)];
    await invited(server, ada, organisation.id, mine);
    await invited(server, bob, theirs.id, other);
    await invited(server, bob, theirs.id, mine);

    // A community that shares only with another programme: not found here, and its share there stays.
    expect((await remove(server, organisation.id, other.id, asBrowser(server, ada))).status).toBe(404);
    expect((await view(server, bob, theirs.id)).communities.map((c) => c.name)).toEqual(['Mine LC', 'Other LC']);
    expect((await sharesOf(server, other)).removed).toEqual([]);
    // Not a community id at all.
    expect((await remove(server, organisation.id, 'x'.repeat(36), asBrowser(server, ada))).status).toBe(404);

    expect((await remove(server, organisation.id, mine.id, asBrowser(server, ada))).status).toBe(204);
    const first = (await sharesOf(server, mine)).removed;
    // The same request again (a replay, or a second tab): nothing left to remove, nothing recorded twice.
    const replay = await remove(server, organisation.id, mine.id, asBrowser(server, ada));
    expect([replay.status, replay.body.error?.code]).toEqual([404, 'not_found']);
    expect((await sharesOf(server, mine)).removed).toEqual(first);
    // Removing it from one programme leaves it in the other.
    expect((await sharesOf(server, mine)).shares.map((s) => s.organisation.id)).toEqual([theirs.id]);
    expect((await view(server, bob, theirs.id)).communities.map((c) => c.name)).toEqual(['Mine LC', 'Other LC']);
  });
});
