/**
 * A facilitator's home and co-facilitators (issue 24, items 2 and 3) against a real server with real
 * accounts and cookie sessions in its store: ownership, claims, invites, removal at once, and cookies
 * from another origin.
 */
import { describe, expect, it } from 'vitest';
import { createSession, joinSession, postJson, startServer, api, type ErrorBody } from '../helpers/server';
import { connectFacilitator, connectParticipant, waitFor } from '../helpers/clients';
import { advance, castBallot } from '../helpers/session';
import { asBrowser, connectWithCookie, cookieRefused, deleteAs, getAs, openBoard, postAs, signIn, type SignedIn } from '../helpers/accounts';
import type { AccountHomeView, ClaimResult, CreateCommunityResponse, CreateSessionResponse, FacilitatorList, InviteCreated } from '../../src/lib/protocol';
import type { RunningServer } from '../../server/app';

async function communityOf(server: RunningServer, owner: SignedIn | null, name = 'Greenport LC'): Promise<CreateCommunityResponse> {
  const response = owner
    ? await postAs<CreateCommunityResponse>(server, owner, '/api/communities', { name })
    : await postJson<CreateCommunityResponse>(server.url, '/api/communities', { name });
  expect(response.status).toBe(201);
  return response.body;
}

async function inviteTo(server: RunningServer, owner: SignedIn, path: string): Promise<string> {
  const response = await postAs<InviteCreated>(server, owner, `${path}/invites`);
  expect(response.status, response.text).toBe(201);
  return new URL(response.body.inviteUrl).hash.replace('#token=', '');
}

const me = (server: RunningServer, who: SignedIn) => getAs<AccountHomeView>(server, who, '/api/me');

describe('a facilitator home', () => {
  it('lists what the account created, newest activity first, with phase, date, participants and attention', async () => {
    const server = await startServer();
    const owner = await signIn(server, 'Olga');
    const stranger = await signIn(server, 'Sam');
    const community = await communityOf(server, owner);
    const alone = (await postAs<CreateSessionResponse>(server, owner, '/api/sessions', { title: 'Standalone' })).body;
    // Started from the home without the community key: the cookie authorises it.
    const inside = await postAs<CreateSessionResponse>(server, owner, '/api/sessions', { community: community.id, title: 'Q1' });
    expect(inside.status, inside.text).toBe(201);

    // A round with results in the community's session: the attention list shows at a glance.
    const facilitator = await connectFacilitator(server.url, inside.body.code, inside.body.facilitatorToken);
    const people = await Promise.all(
      [1, 2, 3].map(async (i) => {
        const joined = await joinSession(server.url, inside.body.code, { name: `P${i}` });
        return connectParticipant(server.url, inside.body.code, joined.participantToken);
      })
    );
    await advance(facilitator, 'voting');
    for (const [i, person] of people.entries())
      await castBallot(person, Object.fromEntries(Array.from({ length: 12 }, (_, f) => [f + 1, f === 0 ? 1 : i === 0 ? 1 : 5])));
    await advance(facilitator, 'revealed');

    const home = await me(server, owner);
    expect(home.status).toBe(200);
    expect(home.body.name).toBe('Olga');
    expect(home.body.communities).toMatchObject([{ id: community.id, name: 'Greenport LC', role: 'owner', sessions: 1, archivedAt: null }]);
    expect(home.body.sessions.map((s) => s.code)).toEqual([inside.body.code, alone.code]);
    const q1 = home.body.sessions[0];
    expect(q1).toMatchObject({ title: 'Q1', phase: 'revealed', participants: 3, communityId: community.id, role: 'owner', archivable: false });
    expect(q1.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(q1.attention?.[0]).toMatchObject({ number: 1, weak: true });
    expect(home.body.sessions[1]).toMatchObject({ title: 'Standalone', phase: 'lobby', participants: 0, attention: null, archivable: true });

    // Archived: still listed, marked; restored again.
    expect((await postAs(server, owner, '/api/me/archive', { kind: 'session', id: alone.code, archived: true })).status).toBe(204);
    expect((await me(server, owner)).body.sessions.find((s) => s.code === alone.code)?.archivedAt).not.toBeNull();
    expect((await postAs(server, owner, '/api/me/archive', { kind: 'session', id: alone.code, archived: false })).status).toBe(204);
    expect((await me(server, owner)).body.sessions.find((s) => s.code === alone.code)?.archivedAt).toBeNull();
    // Nobody archives what is not theirs.
    expect((await postAs(server, stranger, '/api/me/archive', { kind: 'community', id: community.id, archived: true })).status).toBe(404);

    expect((await me(server, stranger)).body).toMatchObject({ communities: [], sessions: [] });
    expect((await api(server.url, '/api/me')).status).toBe(401);
  });

  it('claims the keys a browser holds: each valid key makes the account owner, wrong keys count as guesses', async () => {
    const server = await startServer({ codeGuessesPerMinute: 5 });
    const owner = await signIn(server, 'Olga');
    const community = await communityOf(server, null);
    const session = await createSession(server.url, { title: 'Anonymous workshop' });
    const other = await createSession(server.url, { title: 'Not mine' });

    const claimed = await postAs<ClaimResult>(server, owner, '/api/me/claims', {
      communities: [{ id: community.id, token: community.communityToken }],
      sessions: [
        { code: session.code, token: session.facilitatorToken },
        { code: other.code, token: session.facilitatorToken }
      ]
    });
    expect(claimed.status).toBe(200);
    expect(claimed.body).toEqual({ communities: [community.id], sessions: [session.code], organisations: [], refused: 1 });
    const home = (await me(server, owner)).body;
    expect(home.communities.map((c) => c.id)).toEqual([community.id]);
    expect(home.sessions.map((s) => s.code)).toEqual([session.code]);
    // The claimed community now opens with the cookie alone.
    expect((await getAs(server, owner, `/api/communities/${community.id}`)).status).toBe(200);

    // A bounded list, and guessing keys by claiming them runs into the guess limit.
    const tooMany = Array.from({ length: 51 }, () => ({ code: other.code, token: 'x'.repeat(43) }));
    expect((await postAs(server, owner, '/api/me/claims', { sessions: tooMany })).status).toBe(400);
    const guesses = Array.from({ length: 10 }, () => ({ code: other.code, token: 'y'.repeat(43) }));
    expect((await postAs<ErrorBody>(server, owner, '/api/me/claims', { sessions: guesses })).status).toBe(429);
    expect((await me(server, owner)).body.sessions.map((s) => s.code)).toEqual([session.code]);
  });
});

describe('co-facilitators', () => {
  it('accepts an invite once, only for its own target, and lets the co-facilitator steer from their own device', async () => {
    const server = await startServer();
    const owner = await signIn(server, 'Olga');
    const colleague = await signIn(server, 'Cas');
    const thief = await signIn(server, 'Mallory');
    const community = await communityOf(server, owner);
    const elsewhere = await communityOf(server, owner, 'Another LC');
    const token = await inviteTo(server, owner, `/api/communities/${community.id}`);

    // Only the owner invites; without signing in nobody accepts.
    expect((await postJson(server.url, '/api/invites/accept', { token }, { origin: server.url })).status).toBe(401);
    const accepted = await postAs(server, colleague, '/api/invites/accept', { token });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body).toEqual({ kind: 'community', id: community.id });

    // A stolen invite used a second time is refused, by anyone.
    const again = await postAs<ErrorBody>(server, thief, '/api/invites/accept', { token });
    expect(again.status).toBe(410);
    expect(again.body.error.code).toBe('invite_used');
    expect((await postAs<ErrorBody>(server, colleague, '/api/invites/accept', { token })).body.error.code).toBe('invite_used');
    expect((await getAs(server, thief, `/api/communities/${community.id}`)).status).toBe(403);

    // The invite granted its own community and nothing else.
    expect((await getAs(server, colleague, `/api/communities/${community.id}/trends.json`)).status).toBe(200);
    expect((await getAs(server, colleague, `/api/communities/${elsewhere.id}`)).status).toBe(403);
    // A co-facilitator neither invites nor removes.
    expect((await postAs(server, colleague, `/api/communities/${community.id}/invites`)).status).toBe(403);
    expect((await deleteAs(server, colleague, `/api/communities/${community.id}/facilitators/${owner.accountId}`)).status).toBe(403);

    const list = await getAs<FacilitatorList>(server, owner, `/api/communities/${community.id}/facilitators`);
    expect(list.body.members.map((m) => [m.name, m.role])).toEqual([
      ['Olga', 'owner'],
      ['Cas', 'facilitator']
    ]);

    // The co-facilitator starts the next session of the community and steers it without its key.
    const started = await postAs<CreateSessionResponse>(server, colleague, '/api/sessions', { community: community.id });
    expect(started.status).toBe(201);
    const steering = await connectWithCookie(server, started.body.code, colleague);
    expect(steering.snapshot.me.role).toBe('facilitator');
    expect((await steering.send('phase:set', { phase: 'voting' })).ok).toBe(true);
    const links = steering.events('links')[0];
    expect(links.facilitateUrl).toBeUndefined();
    expect(links.presenterUrl).toBeUndefined();
    // The owner's export works with the cookie too (no bearer token).
    expect((await getAs(server, owner, `/api/sessions/${started.body.code}/export.json`)).status).toBe(200);
  });

  it('removing a co-facilitator ends their socket and board connections at once and REST refuses them', async () => {
    const server = await startServer();
    const owner = await signIn(server, 'Olga');
    const colleague = await signIn(server, 'Cas');
    const community = await communityOf(server, owner);
    const token = await inviteTo(server, owner, `/api/communities/${community.id}`);
    expect((await postAs(server, colleague, '/api/invites/accept', { token })).status).toBe(200);
    const session = (await postAs<CreateSessionResponse>(server, owner, '/api/sessions', { community: community.id })).body;
    const ownerSocket = await connectFacilitator(server.url, session.code, session.facilitatorToken);

    const steering = await connectWithCookie(server, session.code, colleague);
    const board = await openBoard(server, session.code, steering);
    expect((await getAs(server, colleague, `/api/sessions/${session.code}/export.json`)).status).toBe(200);

    expect((await deleteAs(server, owner, `/api/communities/${community.id}/facilitators/${colleague.accountId}`)).status).toBe(204);
    await waitFor(() => !steering.socket.connected, { message: 'the removed co-facilitator was disconnected' });
    await waitFor(() => board.closed() !== null, { message: 'their board connection closed' });
    expect(board.closed()).toBe(4403);
    expect((await getAs(server, colleague, `/api/sessions/${session.code}/export.json`)).status).toBe(403);
    expect((await getAs(server, colleague, `/api/communities/${community.id}`)).status).toBe(403);
    expect(await cookieRefused(server, session.code, colleague)).toBe('unauthorized');
    // The owner's own connection stays.
    expect(ownerSocket.socket.connected).toBe(true);
    expect((await me(server, colleague)).body.communities).toEqual([]);
  });

  it('a session invite grants that session only, and its owner removes the co-facilitator from it', async () => {
    const server = await startServer();
    const owner = await signIn(server, 'Olga');
    const colleague = await signIn(server, 'Cas');
    const mine = (await postAs<CreateSessionResponse>(server, owner, '/api/sessions', { title: 'Mine' })).body;
    const other = (await postAs<CreateSessionResponse>(server, owner, '/api/sessions', { title: 'Other' })).body;
    const token = await inviteTo(server, owner, `/api/sessions/${mine.code}`);
    expect((await postAs(server, colleague, '/api/invites/accept', { token })).body).toEqual({ kind: 'session', code: mine.code });
    expect((await getAs(server, colleague, `/api/sessions/${mine.code}/export.json`)).status).toBe(200);
    expect((await getAs(server, colleague, `/api/sessions/${other.code}/export.json`)).status).toBe(403);
    expect(await cookieRefused(server, other.code, colleague)).toBe('unauthorized');
    const steering = await connectWithCookie(server, mine.code, colleague);
    expect((await me(server, colleague)).body.sessions.map((s) => [s.code, s.role])).toEqual([[mine.code, 'facilitator']]);

    expect((await deleteAs(server, owner, `/api/sessions/${mine.code}/facilitators/${colleague.accountId}`)).status).toBe(204);
    await waitFor(() => !steering.socket.connected, { message: 'the removed co-facilitator was disconnected' });
    expect((await getAs(server, colleague, `/api/sessions/${mine.code}/export.json`)).status).toBe(403);
  });

  it('refuses a session cookie sent from another origin', async () => {
    const server = await startServer();
    const owner = await signIn(server, 'Olga');
    const community = await communityOf(server, owner);
    const session = (await postAs<CreateSessionResponse>(server, owner, '/api/sessions', { title: 'Mine' })).body;
    const evil = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };

    expect((await getAs(server, owner, `/api/communities/${community.id}`)).status).toBe(200);
    expect((await getAs(server, owner, `/api/communities/${community.id}`, evil)).status).toBe(401);
    expect((await getAs(server, owner, `/api/sessions/${session.code}/export.json`, evil)).status).toBe(401);
    // A top-level navigation from another site carries the Lax cookie but no Origin: its fetch metadata refuses it.
    const navigation = await api(server.url, `/api/sessions/${session.code}/export.json`, {
      headers: { cookie: owner.cookie, 'sec-fetch-site': 'cross-site' }
    });
    expect(navigation.status).toBe(401);
    // State-changing requests with the cookie from elsewhere are refused before any route (the accounts' guard).
    for (const path of ['/api/me/claims', `/api/communities/${community.id}/invites`, '/api/sessions']) {
      const refused = await postAs<ErrorBody>(server, owner, path, path === '/api/sessions' ? { community: community.id } : {}, evil);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('cross_site');
    }
    expect(await cookieRefused(server, session.code, owner, { origin: 'https://evil.example' })).not.toBe('ok');
    // From our own origin the same cookie works.
    const steering = await connectWithCookie(server, session.code, owner);
    expect(steering.snapshot.me.role).toBe('facilitator');
    expect(asBrowser(server, owner).cookie).toBe(owner.cookie);
  });
});

describe('invite attempts per address', () => {
  // The code-guess limit is off here, so only the invite limit can refuse: a flood of attempts with wrong tokens was
  // counted as guesses before, but with valid tokens (or invites made by the hundred) nothing stopped an address.
  it('stops making invite links from one address at the limit (SIGN_INS_PER_TEN_MINUTES)', async () => {
    const server = await startServer({ signInsPerTenMinutes: 3, codeGuessesPerMinute: 0 });
    const owner = await signIn(server, 'Olga');
    const community = await communityOf(server, owner);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await postAs(server, owner, `/api/communities/${community.id}/invites`)).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const refused = await postAs<ErrorBody>(server, owner, `/api/communities/${community.id}/invites`);
    expect(refused.body.error.code).toBe('rate_limited');
  });

  it('counts taking an invite, valid or not: after the limit even a valid invite is refused and grants nothing', async () => {
    const server = await startServer({ signInsPerTenMinutes: 3, codeGuessesPerMinute: 0 });
    const owner = await signIn(server, 'Olga');
    const colleague = await signIn(server, 'Cas');
    const community = await communityOf(server, owner);
    const token = await inviteTo(server, owner, `/api/communities/${community.id}`);
    for (const wrong of ['w'.repeat(43), 'v'.repeat(43)]) expect((await postAs(server, colleague, '/api/invites/accept', { token: wrong })).status).toBe(404);
    const refused = await postAs<ErrorBody>(server, colleague, '/api/invites/accept', { token });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect((await me(server, colleague)).body.communities).toEqual([]);
  });
});
