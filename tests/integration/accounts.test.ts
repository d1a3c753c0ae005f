/**
 * Facilitator accounts over REST (issue 24): the session cookie, 401 without it, cross-site refusal, sign-out
 * (here and everywhere), account deletion, one-time recovery codes and sign-in flooding. Passkeys themselves
 * are signed by a real authenticator in tests/e2e/accounts.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { api, createSession, postJson, startServer, type ErrorBody } from '../helpers/server';
import type { RunningServer } from '../../server/app';
import type { MeResponse } from '../../src/lib/protocol';

/** An account with recovery codes, as sign-up leaves one (the passkey half is the browser's). */
async function accountWithCodes(server: RunningServer, name = 'Ada') {
  const account = await server.accounts.createAccount(name);
  const codes = await server.accounts.issueRecoveryCodes(account.id);
  return { account, codes };
}

/** Signs in with a recovery code; answers the cookie to send (`seeds_session=…`). */
async function signInWith(server: RunningServer, code: string): Promise<string> {
  const response = await postJson(server.url, '/api/auth/recovery', { code }, { origin: server.url });
  expect(response.status).toBe(200);
  const setCookie = response.headers.get('set-cookie') ?? '';
  const match = setCookie.match(/seeds_session=([A-Za-z0-9_-]+)/);
  expect(match).not.toBeNull();
  return `seeds_session=${match![1]}`;
}

const me = (server: RunningServer, cookie?: string) => api<MeResponse | ErrorBody>(server.url, '/api/me', cookie ? { headers: { cookie } } : {});

describe('accounts: the session cookie', () => {
  it('answers /api/me with the cookie and 401 without it or with a forged one; the cookie is HttpOnly, SameSite=Lax, Path=/', async () => {
    const server = await startServer();
    const { account, codes } = await accountWithCodes(server);
    const response = await postJson(server.url, '/api/auth/recovery', { code: codes[0].toLowerCase().replace(/-/g, ' ') }, { origin: server.url });
    expect(response.status).toBe(200);
    const setCookie = response.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^seeds_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).toMatch(/Max-Age=2592000/);
    // Plain http here: a Secure cookie would never come back.
    expect(setCookie).not.toMatch(/Secure/i);
    const cookie = setCookie.split(';')[0];

    const mine = await me(server, cookie);
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual({ id: account.id, name: 'Ada', communities: [], sessions: [], organisations: [] });
    expect(mine.headers.get('cache-control')).toBe('no-store');

    expect((await me(server)).status).toBe(401);
    expect(((await me(server)).body as ErrorBody).error.code).toBe('unauthorized');
    expect((await me(server, 'seeds_session=' + 'A'.repeat(43))).status).toBe(401);
    expect((await me(server, 'seeds_session=not-a-token')).status).toBe(401);
    // The database holds only the hash: the cookie value itself is nowhere in it.
    expect(await server.store.loadAccountSession(cookie.split('=')[1], Date.now())).toBeNull();
  });

  it('slides: a browser in use stays signed in past 30 days (its cookie set again), one left alone for 30 days is signed out', async () => {
    const DAY = 86_400_000;
    let now = Date.now();
    const server = await startServer({ clock: () => now });
    const { codes } = await accountWithCodes(server);
    const cookie = await signInWith(server, codes[0]);
    expect((await me(server, cookie)).headers.get('set-cookie')).toBeNull();
    now += 20 * DAY;
    const slid = await me(server, cookie);
    expect(slid.status).toBe(200);
    expect(slid.headers.get('set-cookie')).toMatch(new RegExp(`^${cookie};.*Max-Age=2592000`));
    now += 20 * DAY;
    expect((await me(server, cookie)).status).toBe(200);
    now += 31 * DAY;
    expect((await me(server, cookie)).status).toBe(401);
  });

  it('marks the cookie Secure when the public origin is https', async () => {
    const server = await startServer({ publicUrl: 'https://board.example.org' });
    const { codes } = await accountWithCodes(server);
    const response = await postJson(server.url, '/api/auth/recovery', { code: codes[0] }, { origin: 'https://board.example.org' });
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toMatch(/; Secure/i);
  });

  it('lists what the account owns in /api/me, newest first, and drops what was deleted', async () => {
    const server = await startServer();
    const { account, codes } = await accountWithCodes(server);
    const cookie = await signInWith(server, codes[0]);
    const session = await createSession(server.url, { title: 'Kick-off' });
    const id = (await server.store.findSessionIdByCode(session.code))!;
    await server.accounts.addMembership(account.id, 'session', id, 'owner');
    // The contract's fields (the home adds more beside them: issue 24, members).
    const listed = ((await me(server, cookie)).body as MeResponse).sessions.map(({ code, title, phase }) => ({ code, title, phase }));
    expect(listed).toEqual([{ code: session.code, title: 'Kick-off', phase: 'lobby' }]);
    await api(server.url, `/api/sessions/${session.code}`, { method: 'DELETE', headers: { authorization: `Bearer ${session.facilitatorToken}` } });
    expect(((await me(server, cookie)).body as MeResponse).sessions).toEqual([]);
  });
});

describe('accounts: what a signed-in facilitator creates is theirs', () => {
  it('records the owner of a session and a community created with the cookie; without it nothing changes', async () => {
    const server = await startServer();
    const { account, codes } = await accountWithCodes(server);
    const cookie = await signInWith(server, codes[0]);
    const headers = { cookie, origin: server.url };
    const session = await postJson<{ code: string }>(server.url, '/api/sessions', { title: 'Mine' }, headers);
    expect(session.status).toBe(201);
    const community = await postJson<{ id: string; communityToken: string }>(server.url, '/api/communities', { name: 'Greenport' }, headers);
    expect(community.status).toBe(201);
    const next = await postJson<{ code: string }>(
      server.url,
      '/api/sessions',
      { community: community.body.id },
      { ...headers, authorization: `Bearer ${community.body.communityToken}` }
    );
    expect(next.status).toBe(201);
    // Someone else's creation, without a cookie, is nobody's.
    const anonymous = await createSession(server.url, { title: 'Anonymous' });

    const listed = (await me(server, cookie)).body as MeResponse;
    // The contract's fields (the home adds more beside them).
    expect(listed.communities.map(({ id, name }) => ({ id, name }))).toEqual([{ id: community.body.id, name: 'Greenport' }]);
    expect(listed.sessions.map((s) => s.code).sort()).toEqual([session.body.code, next.body.code].sort());
    expect(listed.sessions).not.toContainEqual(expect.objectContaining({ code: anonymous.code }));
    expect((await server.store.listMemberships(account.id)).every((m) => m.role === 'owner')).toBe(true);
  });
});

describe('accounts: cross-site requests', () => {
  it('refuses a state-changing request carrying the cookie from another origin, or with no origin, and changes nothing', async () => {
    const server = await startServer();
    const { codes } = await accountWithCodes(server);
    const cookie = await signInWith(server, codes[0]);
    for (const origin of ['https://evil.example', 'null', undefined]) {
      const headers: Record<string, string> = { cookie, 'content-type': 'application/json' };
      if (origin) headers.origin = origin;
      const signOut = await api<ErrorBody>(server.url, '/api/auth/sign-out-everywhere', { method: 'POST', headers });
      expect(signOut.status).toBe(403);
      expect(signOut.body.error.code).toBe('cross_site');
      const remove = await api<ErrorBody>(server.url, '/api/me', { method: 'DELETE', headers, body: '{}' });
      expect(remove.status).toBe(403);
      expect(remove.body.error.code).toBe('cross_site');
    }
    // A page of another site that says it is same-site but whose browser knows better.
    const fetchSite = await api<ErrorBody>(server.url, '/api/auth/sign-out', {
      method: 'POST',
      headers: { cookie, origin: server.url, 'sec-fetch-site': 'cross-site' }
    });
    expect(fetchSite.status).toBe(403);
    expect((await me(server, cookie)).status).toBe(200);
    // Any route the cookie could one day authenticate is covered, not only the account's own.
    const create = await api<ErrorBody>(server.url, '/api/sessions', {
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{}'
    });
    expect(create.status).toBe(403);
    // Reading is not changing: a GET with a foreign origin answers as usual.
    expect((await api(server.url, '/api/me', { headers: { cookie, origin: 'https://evil.example' } })).status).toBe(200);
  });

  it('refuses a sign-in started by another site (login CSRF) and takes one from an allowed origin', async () => {
    const server = await startServer({ allowedOrigins: ['https://kiosk.example'] });
    const { codes } = await accountWithCodes(server);
    const foreign = await postJson<ErrorBody>(server.url, '/api/auth/recovery', { code: codes[0] }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('cross_site');
    // The refused attempt did not use the code up.
    expect((await postJson(server.url, '/api/auth/recovery', { code: codes[0] }, { origin: 'https://kiosk.example' })).status).toBe(200);
  });
});

describe('accounts: signing out, deleting, recovery codes', () => {
  it('signs this browser out, and "sign out everywhere" signs out every browser of the account but no other account', async () => {
    const server = await startServer();
    const { codes } = await accountWithCodes(server);
    const other = await accountWithCodes(server, 'Bo');
    const laptop = await signInWith(server, codes[0]);
    const phone = await signInWith(server, codes[1]);
    const tablet = await signInWith(server, codes[2]);
    const bo = await signInWith(server, other.codes[0]);

    const out = await api(server.url, '/api/auth/sign-out', { method: 'POST', headers: { cookie: tablet, origin: server.url } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/seeds_session=;.*Max-Age=0/);
    expect((await me(server, tablet)).status).toBe(401);
    expect((await me(server, laptop)).status).toBe(200);

    expect((await api(server.url, '/api/auth/sign-out-everywhere', { method: 'POST', headers: { cookie: laptop, origin: server.url } })).status).toBe(204);
    expect((await me(server, laptop)).status).toBe(401);
    expect((await me(server, phone)).status).toBe(401);
    expect((await me(server, bo)).status).toBe(200);
    expect((await api(server.url, '/api/auth/sign-out-everywhere', { method: 'POST', headers: { cookie: laptop, origin: server.url } })).status).toBe(401);
  });

  it('uses each recovery code once: the second use is refused, also when two race', async () => {
    const server = await startServer();
    const { codes } = await accountWithCodes(server);
    expect(codes).toHaveLength(8);
    expect(new Set(codes).size).toBe(8);
    await signInWith(server, codes[0]);
    const again = await postJson<ErrorBody>(server.url, '/api/auth/recovery', { code: codes[0] }, { origin: server.url });
    expect(again.status).toBe(401);
    expect(again.headers.get('set-cookie')).toBeNull();
    const racing = await Promise.all([1, 2].map(() => postJson(server.url, '/api/auth/recovery', { code: codes[1] }, { origin: server.url })));
    expect(racing.map((r) => r.status).sort()).toEqual([200, 401]);
    expect((await postJson(server.url, '/api/auth/recovery', { code: 'AAAA-BBBB-CCCC-DDDD' }, { origin: server.url })).status).toBe(401);
    expect((await postJson(server.url, '/api/auth/recovery', { code: 12 }, { origin: server.url })).status).toBe(400);
  });

  it('deletes the account after asking: its browsers are signed out, its codes dead, what it owned alone deleted', async () => {
    const server = await startServer();
    const { account, codes } = await accountWithCodes(server);
    const cookie = await signInWith(server, codes[0]);
    const session = await createSession(server.url, { title: 'Mine' });
    const id = (await server.store.findSessionIdByCode(session.code))!;
    await server.accounts.addMembership(account.id, 'session', id, 'owner');

    const remove = await api(server.url, '/api/me', {
      method: 'DELETE',
      headers: { cookie, origin: server.url, 'content-type': 'application/json' },
      body: '{}'
    });
    expect(remove.status).toBe(204);
    expect((await me(server, cookie)).status).toBe(401);
    expect(await server.store.loadAccount(account.id)).toBeNull();
    expect((await postJson(server.url, '/api/auth/recovery', { code: codes[1] }, { origin: server.url })).status).toBe(401);
    expect((await api(server.url, `/api/sessions/${session.code}`)).status).toBe(404);
  });

  it('hands what the account owns over to its co-facilitator when asked', async () => {
    const server = await startServer();
    const { account, codes } = await accountWithCodes(server);
    const colleague = await accountWithCodes(server, 'Bo');
    const cookie = await signInWith(server, codes[0]);
    const session = await createSession(server.url, { title: 'Shared' });
    const id = (await server.store.findSessionIdByCode(session.code))!;
    await server.accounts.addMembership(account.id, 'session', id, 'owner');
    await server.accounts.addMembership(colleague.account.id, 'session', id, 'facilitator');
    const remove = await api(server.url, '/api/me', {
      method: 'DELETE',
      headers: { cookie, origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ handOver: true })
    });
    expect(remove.status).toBe(204);
    expect((await api(server.url, `/api/sessions/${session.code}`)).status).toBe(200);
    expect(await server.store.listMembers('session', id)).toEqual([expect.objectContaining({ accountId: colleague.account.id, role: 'owner' })]);
  });

  it('limits sign-in attempts per address: flooding with guessed codes is refused with 429, even for a right code', async () => {
    const server = await startServer({ signInsPerTenMinutes: 5 });
    const { account, codes } = await accountWithCodes(server);
    for (let i = 0; i < 5; i++) {
      expect((await postJson(server.url, '/api/auth/recovery', { code: `AAAA-BBBB-CCCC-DDD${i}` }, { origin: server.url })).status).toBe(401);
    }
    const flooded = await postJson<ErrorBody>(server.url, '/api/auth/recovery', { code: codes[0] }, { origin: server.url });
    expect(flooded.status).toBe(429);
    expect(flooded.body.error.code).toBe('rate_limited');
    // Refused before it was looked at: the code still works once the address may try again.
    expect(await server.store.countRecoveryCodes(account.id)).toBe(8);
  });
});

describe('accounts: passkey ceremonies (the authenticator half is in tests/e2e/accounts.test.ts)', () => {
  const forged = { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'AAAA' }, clientExtensionResults: {} };

  it('hands out options for the request origin, and refuses an answer to an unknown, reused or other ceremony, or a forged one', async () => {
    const server = await startServer();
    const headers = { origin: server.url };
    const start = await postJson<{ ceremony: string; options: { rp: { id: string }; challenge: string; authenticatorSelection: object } }>(
      server.url,
      '/api/auth/passkey/register/options',
      { name: 'Ada' },
      headers
    );
    expect(start.status).toBe(200);
    expect(start.body.options.rp.id).toBe('127.0.0.1');
    expect(start.body.options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });
    // The challenge is kept by the server: what the page sends back is only the ceremony's id.
    expect(start.body.ceremony).not.toBe(start.body.options.challenge);

    const unknown = await postJson<ErrorBody>(server.url, '/api/auth/passkey/register/finish', { ceremony: 'A'.repeat(43), response: forged }, headers);
    expect(unknown.status).toBe(401);
    const wrongKind = await postJson<ErrorBody>(server.url, '/api/auth/passkey/sign-in/finish', { ceremony: start.body.ceremony, response: forged }, headers);
    expect(wrongKind.status).toBe(401);
    // Taking it for the wrong purpose used it up too: a ceremony answers once.
    const again = await postJson<ErrorBody>(server.url, '/api/auth/passkey/register/finish', { ceremony: start.body.ceremony, response: forged }, headers);
    expect(again.status).toBe(401);

    const fresh = await postJson<{ ceremony: string }>(server.url, '/api/auth/passkey/register/options', { name: 'Ada' }, headers);
    const bad = await postJson<ErrorBody>(server.url, '/api/auth/passkey/register/finish', { ceremony: fresh.body.ceremony, response: forged }, headers);
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
    expect((await postJson(server.url, '/api/auth/passkey/register/finish', { ceremony: fresh.body.ceremony }, headers)).status).toBe(400);
    expect((await postJson(server.url, '/api/auth/passkey/register/options', { name: '' }, headers)).status).toBe(400);
    // Adding a passkey needs a signed-in account.
    expect((await postJson(server.url, '/api/auth/passkey/add/options', {}, headers)).status).toBe(401);
  });

  it('limits passkey sign-in attempts per address', async () => {
    const server = await startServer({ signInsPerTenMinutes: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await postJson(server.url, '/api/auth/passkey/sign-in/options', {}, { origin: server.url })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await postJson(server.url, '/api/auth/passkey/register/options', { name: 'Ada' }, { origin: server.url })).status).toBe(429);
  });

  it('answers which ways of signing in this server offers', async () => {
    const server = await startServer();
    expect((await api(server.url, '/api/auth/config')).body).toEqual({ passkeys: true, oidc: false });
  });
});
