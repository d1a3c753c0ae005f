/**
 * Sign-in with the organisation's identity provider, against a real OpenID Provider
 * (node-oidc-provider on a loopback port, tests/helpers/oidc-provider.ts): the whole code flow
 * with PKCE into a signed-in account, and the attacks on it — a forged state, a replayed
 * callback, a callback carried to another browser, a foreign issuer, an e-mail domain the
 * operator does not allow.
 */
import { describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { makeDataDir, startServer, type StartOptions } from '../helpers/server';
import { startOidcProvider, TEST_CLIENT, type TestProvider } from '../helpers/oidc-provider';
import { FetchBrowser, loginAtProvider } from '../helpers/oidc-browser';
import { waitFor } from '../helpers/clients';
import { LOGIN_COOKIE } from '../../server/accounts/oidc-routes';
import { SESSION_COOKIE } from '../../server/accounts/service';
import type { AuthConfig, MeResponse } from '../../src/lib/protocol/accounts';

async function setup(allowedDomains: string[] = ['allowed.example'], options: { provider?: TestProvider; server?: StartOptions } = {}) {
  const op = options.provider ?? (await startOidcProvider());
  const server = await startServer({ oidc: op.settings(allowedDomains), ...options.server });
  if (!options.provider) op.allowRedirect(`${server.url}/api/auth/oidc/callback`);
  return { op, server, start: `${server.url}/api/auth/oidc/start` };
}

/** Where the board sent the browser after its callback (path and query). */
async function callback(browser: FetchBrowser, url: string): Promise<string> {
  const response = await browser.request(url);
  await response.body?.cancel();
  const location = new URL(FetchBrowser.location(response, url));
  return `${location.pathname}${location.search}`;
}

/** Who the browser is signed in as on the board (`GET /api/me`) and the identities of that account; null when nobody. */
async function whoIs(browser: FetchBrowser, server: RunningServer) {
  const response = await browser.request(`${server.url}/api/me`);
  if (response.status === 401) {
    await response.body?.cancel();
    return null;
  }
  expect(response.status).toBe(200);
  const me = (await response.json()) as MeResponse;
  const identities = (await server.store.listExternalIdentities(me.id)).map(({ issuer, subject, email }) => ({ issuer, subject, email }));
  return { id: me.id, name: me.name, identities };
}

/** Whether the board has no account for this provider's subject yet (probing makes one, so call it last). */
async function noAccountFor(server: RunningServer, issuer: string, subject: string): Promise<boolean> {
  const { created } = await server.store.findOrCreateByExternalIdentity(
    { issuer, subject, email: null, createdAt: 0 },
    { id: `probe-${subject}`, name: 'probe', createdAt: 0 }
  );
  return created;
}

describe('OpenID Connect sign-in', () => {
  it('signs a person in through the real provider: code flow with PKCE, state and nonce, then lands on /home with an account', async () => {
    const { op, server, start } = await setup();
    const browser = new FetchBrowser();
    expect(((await (await browser.request(`${server.url}/api/auth/config`)).json()) as AuthConfig).oidc).toBe(true);

    const started = await browser.request(start);
    expect(started.status).toBe(303);
    const authorization = new URL(FetchBrowser.location(started, start));
    expect(authorization.origin).toBe(op.url);
    expect(authorization.searchParams.get('client_id')).toBe(TEST_CLIENT.clientId);
    expect(authorization.searchParams.get('redirect_uri')).toBe(`${server.url}/api/auth/oidc/callback`);
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorization.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorization.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The browser holds only an opaque id, HttpOnly, sent back only to the callback path.
    const cookie = started.headers.getSetCookie().find((c) => c.startsWith(`${LOGIN_COOKIE}=`))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\/api\/auth\/oidc/i);
    const loginId = browser.cookies(server.url).get(LOGIN_COOKIE)!;
    for (const secret of ['state', 'nonce', 'code_challenge']) expect(authorization.searchParams.get(secret)).not.toBe(loginId);
    expect(await whoIs(browser, server)).toBeNull();

    const back = await loginAtProvider(browser, authorization.href, op.url, 'alice');
    expect(back.startsWith(`${server.url}/api/auth/oidc/callback?`)).toBe(true);
    expect(new URL(back).searchParams.get('iss')).toBe(op.issuer);
    expect(await callback(browser, back)).toBe('/home');
    // The login is used up (its cookie cleared) and the browser holds the account's session instead.
    expect(browser.cookies(server.url).has(LOGIN_COOKIE)).toBe(false);
    expect(browser.cookies(server.url).has(SESSION_COOKIE)).toBe(true);
    const alice = await whoIs(browser, server);
    expect(alice).toMatchObject({ name: 'Alice Allowed', identities: [{ issuer: op.issuer, subject: 'alice', email: 'alice@allowed.example' }] });

    // Signing in again, from another browser, finds the same account (by issuer and subject).
    const laptop = new FetchBrowser();
    expect(await callback(laptop, await loginAtProvider(laptop, start, op.url, 'alice'))).toBe('/home');
    expect((await whoIs(laptop, server))?.id).toBe(alice!.id);
  });

  it('returns to a path on the board given as next, never to another origin', async () => {
    const { op, start } = await setup();
    const browser = new FetchBrowser();
    expect(await callback(browser, await loginAtProvider(browser, `${start}?next=${encodeURIComponent('/c/abc?x=1')}`, op.url, 'alice'))).toBe('/c/abc?x=1');
    for (const next of ['//evil.example/x', '/\\evil.example', 'https://evil.example/']) {
      expect(await callback(browser, await loginAtProvider(browser, `${start}?next=${encodeURIComponent(next)}`, op.url, 'alice'))).toBe('/home');
    }
  });

  it('refuses an answer whose state is not the one this browser was sent with, and uses the login up', async () => {
    const { op, server, start } = await setup();
    const browser = new FetchBrowser();
    const back = new URL(await loginAtProvider(browser, start, op.url, 'alice'));
    const honest = back.href;
    back.searchParams.set('state', 'A'.repeat(43));
    const cookie = browser.cookies(back.origin).get(LOGIN_COOKIE)!;
    expect(await callback(browser, back.href)).toBe('/sign-in?error=sign_in_failed');
    // The genuine answer cannot be tried after a forged one: the login was taken.
    browser.cookies(back.origin).set(LOGIN_COOKIE, cookie);
    expect(await callback(browser, honest)).toBe('/sign-in?error=sign_in_failed');
    expect(await whoIs(browser, server)).toBeNull();
    expect(await noAccountFor(server, op.issuer, 'alice')).toBe(true);
  });

  it('refuses a replayed callback (the same code and cookie a second time)', async () => {
    const { op, server, start } = await setup();
    const browser = new FetchBrowser();
    const back = await loginAtProvider(browser, start, op.url, 'alice');
    const cookie = browser.cookies(back).get(LOGIN_COOKIE)!;
    expect(await callback(browser, back)).toBe('/home');
    // An eavesdropper who copied both the callback URL and the cookie comes second.
    const thief = new FetchBrowser();
    thief.cookies(back).set(LOGIN_COOKIE, cookie);
    expect(await callback(thief, back)).toBe('/sign-in?error=sign_in_failed');
    expect(await whoIs(thief, server)).toBeNull();
    // So does the same browser going back in its history (still signed in from the first time).
    expect(await callback(browser, back)).toBe('/sign-in?error=sign_in_failed');
  });

  it('refuses a callback carried to another browser (login CSRF), which leaves the real login intact', async () => {
    const { op, server, start } = await setup();
    const attacker = new FetchBrowser();
    const back = await loginAtProvider(attacker, start, op.url, 'alice');
    const victim = new FetchBrowser();
    expect(await callback(victim, back)).toBe('/sign-in?error=sign_in_failed');
    expect(await whoIs(victim, server)).toBeNull();
    expect(await callback(attacker, back)).toBe('/home');
    expect((await whoIs(attacker, server))?.name).toBe('Alice Allowed');
  });

  it('refuses an e-mail domain the operator does not allow, and an address the provider calls unverified: nobody signed in, no account made', async () => {
    const { op, server, start } = await setup(['allowed.example', 'other.example']);
    const outcome = async (login: string) => {
      const browser = new FetchBrowser();
      const landed = await callback(browser, await loginAtProvider(browser, start, op.url, login));
      return { landed, who: await whoIs(browser, server) };
    };
    for (const login of ['bob', 'carol', 'erin']) expect(await outcome(login)).toEqual({ landed: '/sign-in?error=domain_not_allowed', who: null });
    // A provider that says nothing about verification vouches for its addresses; the domain compares without case.
    expect(await outcome('dave')).toMatchObject({
      landed: '/home',
      who: { name: 'Dave Unsaid', identities: [{ subject: 'dave', email: 'Dave@Allowed.Example' }] }
    });
    for (const login of ['bob', 'carol', 'erin']) expect(await noAccountFor(server, op.issuer, login)).toBe(true);
  });

  it('without allowed domains signs in any account, keeping only an e-mail the provider did not call unverified', async () => {
    const { op, server, start } = await setup([]);
    const found = [];
    for (const login of ['bob', 'carol', 'erin']) {
      const browser = new FetchBrowser();
      expect(await callback(browser, await loginAtProvider(browser, start, op.url, login))).toBe('/home');
      found.push(await whoIs(browser, server));
    }
    expect(found.map((who) => [who?.name, who?.identities[0].email])).toEqual([
      ['Bob Elsewhere', 'bob@elsewhere.example'],
      ['Carol Unverified', null],
      ['Erin Without Mail', null]
    ]);
  });

  it('refuses a provider whose metadata names another issuer than the configured one', async () => {
    // The provider calls itself http://localhost:PORT; the board is configured with http://127.0.0.1:PORT.
    const op = await startOidcProvider({ issuerHost: 'localhost' });
    const { server } = await setup([], { provider: { ...op, settings: (domains = []) => ({ ...op.settings(domains), issuer: op.url }) } });
    op.allowRedirect(`${server.url}/api/auth/oidc/callback`);
    const browser = new FetchBrowser();
    const started = await browser.request(`${server.url}/api/auth/oidc/start`);
    expect(started.status).toBe(303);
    expect(started.headers.get('location')).toBe('/sign-in?error=provider_unavailable');
    expect(browser.cookies(server.url).has(LOGIN_COOKIE)).toBe(false);
    expect(await whoIs(browser, server)).toBeNull();
  });

  it('refuses an authorization answer that names another issuer (mix-up), and a provider error answer', async () => {
    const { op, server, start } = await setup();
    const browser = new FetchBrowser();
    const back = new URL(await loginAtProvider(browser, start, op.url, 'alice'));
    back.searchParams.set('iss', 'https://attacker.example');
    expect(await callback(browser, back.href)).toBe('/sign-in?error=sign_in_failed');

    // The provider refused (the person cancelled): the answer carries an error instead of a code.
    const started = await browser.request(start);
    const state = new URL(FetchBrowser.location(started, start)).searchParams.get('state')!;
    const refused = new URL(back.href);
    refused.search = new URLSearchParams({ error: 'access_denied', state, iss: op.issuer }).toString();
    expect(await callback(browser, refused.href)).toBe('/sign-in?error=sign_in_failed');
    expect(await whoIs(browser, server)).toBeNull();
  });

  it('keeps a login under way in the store: it completes after a restart, once', async () => {
    const op = await startOidcProvider();
    const dataDir = await makeDataDir();
    const first = await startServer({ oidc: op.settings(), dataDir });
    op.allowRedirect(`${first.url}/api/auth/oidc/callback`);
    const browser = new FetchBrowser();
    const back = await loginAtProvider(browser, `${first.url}/api/auth/oidc/start`, op.url, 'alice');
    const cookie = browser.cookies(back).get(LOGIN_COOKIE)!;
    await first.close();

    const second = await startServer({ oidc: op.settings(), dataDir, port: first.port });
    expect(second.url).toBe(first.url);
    // fetch's pool may still hold a connection the first server closed: one failed request clears it.
    await waitFor(async () => (await fetch(`${second.url}/healthz`)).ok, { message: 'the restarted server answers' });
    expect(await callback(browser, back)).toBe('/home');
    expect((await whoIs(browser, second))?.name).toBe('Alice Allowed');
    const replay = new FetchBrowser();
    replay.cookies(back).set(LOGIN_COOKIE, cookie);
    expect(await callback(replay, back)).toBe('/sign-in?error=sign_in_failed');
  });

  it('counts each start as a sign-in attempt of the address (SIGN_INS_PER_TEN_MINUTES)', async () => {
    const { start } = await setup(['allowed.example'], { server: { signInsPerTenMinutes: 5 } });
    const browser = new FetchBrowser();
    for (let i = 0; i < 5; i++) {
      const response = await browser.request(start);
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).not.toMatch(/^\/sign-in/);
    }
    const over = await browser.request(start);
    expect(over.headers.get('location')).toBe('/sign-in?error=rate_limited');
  });

  it('has no sign-in routes when OpenID Connect is not configured, and says so', async () => {
    const server = await startServer();
    const response = await fetch(`${server.url}/api/auth/oidc/start`, { redirect: 'manual' });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect(((await (await fetch(`${server.url}/api/auth/config`)).json()) as AuthConfig).oidc).toBe(false);
  });
});
