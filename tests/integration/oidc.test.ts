/**
 * Sign-in with the organisation's identity provider, against a real OpenID Provider
 * (node-oidc-provider on a loopback port, tests/helpers/oidc-provider.ts): the whole code flow
 * with PKCE, and the attacks on it — a forged state, a replayed callback, a callback carried to
 * another browser, a foreign issuer, an e-mail domain the operator does not allow.
 */
import { describe, expect, it } from 'vitest';
import { makeDataDir, startServer, type StartOptions } from '../helpers/server';
import { startOidcProvider, TEST_CLIENT, type TestProvider } from '../helpers/oidc-provider';
import { FetchBrowser, loginAtProvider } from '../helpers/oidc-browser';
import { waitFor } from '../helpers/clients';
import type { ExternalIdentity } from '../../server/accounts/external-identity';
import { LOGIN_COOKIE, STARTS_PER_ADDRESS } from '../../server/accounts/oidc-routes';

async function setup(allowedDomains: string[] = ['allowed.example'], options: { provider?: TestProvider; server?: StartOptions } = {}) {
  const op = options.provider ?? (await startOidcProvider());
  const signedIn: ExternalIdentity[] = [];
  const server = await startServer({
    oidc: op.settings(allowedDomains),
    externalSignIn: async (identity, _req, res, next) => {
      signedIn.push(identity);
      res.redirect(303, next);
    },
    ...options.server
  });
  if (!options.provider) op.allowRedirect(`${server.url}/api/auth/oidc/callback`);
  return { op, server, signedIn, start: `${server.url}/api/auth/oidc/start` };
}

/** Where the board sent the browser after its callback (path and query). */
async function callback(browser: FetchBrowser, url: string): Promise<string> {
  const response = await browser.request(url);
  await response.body?.cancel();
  const location = new URL(FetchBrowser.location(response, url));
  return `${location.pathname}${location.search}`;
}

describe('OpenID Connect sign-in', () => {
  it('signs a person in through the real provider: code flow with PKCE, state and nonce, then lands on /home', async () => {
    const { op, server, signedIn, start } = await setup();
    const browser = new FetchBrowser();

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

    const back = await loginAtProvider(browser, authorization.href, op.url, 'alice');
    expect(back.startsWith(`${server.url}/api/auth/oidc/callback?`)).toBe(true);
    expect(new URL(back).searchParams.get('iss')).toBe(op.issuer);
    expect(await callback(browser, back)).toBe('/home');
    expect(signedIn).toEqual([{ issuer: op.issuer, subject: 'alice', profile: { name: 'Alice Allowed', email: 'alice@allowed.example' } }]);
    // The login is used up: the cookie is cleared.
    expect(browser.cookies(server.url).has(LOGIN_COOKIE)).toBe(false);
  });

  it('returns to a path on the board given as next, never to another origin', async () => {
    const { op, server, signedIn, start } = await setup();
    const browser = new FetchBrowser();
    expect(await callback(browser, await loginAtProvider(browser, `${start}?next=${encodeURIComponent('/c/abc?x=1')}`, op.url, 'alice'))).toBe('/c/abc?x=1');
    for (const next of ['//evil.example/x', '/\\evil.example', 'https://evil.example/']) {
      expect(await callback(browser, await loginAtProvider(browser, `${start}?next=${encodeURIComponent(next)}`, op.url, 'alice'))).toBe('/home');
    }
    expect(signedIn).toHaveLength(4);
    void server;
  });

  it('refuses an answer whose state is not the one this browser was sent with, and uses the login up', async () => {
    const { op, signedIn, start } = await setup();
    const browser = new FetchBrowser();
    const back = new URL(await loginAtProvider(browser, start, op.url, 'alice'));
    const honest = back.href;
    back.searchParams.set('state', 'A'.repeat(43));
    const cookie = browser.cookies(back.origin).get(LOGIN_COOKIE)!;
    expect(await callback(browser, back.href)).toBe('/sign-in?error=sign_in_failed');
    // The genuine answer cannot be tried after a forged one: the login was taken.
    browser.cookies(back.origin).set(LOGIN_COOKIE, cookie);
    expect(await callback(browser, honest)).toBe('/sign-in?error=sign_in_failed');
    expect(signedIn).toEqual([]);
  });

  it('refuses a replayed callback (the same code and cookie a second time)', async () => {
    const { op, signedIn, start } = await setup();
    const browser = new FetchBrowser();
    const back = await loginAtProvider(browser, start, op.url, 'alice');
    const cookie = browser.cookies(back).get(LOGIN_COOKIE)!;
    expect(await callback(browser, back)).toBe('/home');
    // An eavesdropper who copied both the callback URL and the cookie comes second.
    const thief = new FetchBrowser();
    thief.cookies(back).set(LOGIN_COOKIE, cookie);
    expect(await callback(thief, back)).toBe('/sign-in?error=sign_in_failed');
    // So does the same browser going back in its history.
    expect(await callback(browser, back)).toBe('/sign-in?error=sign_in_failed');
    expect(signedIn).toHaveLength(1);
  });

  it('refuses a callback carried to another browser (login CSRF), which leaves the real login intact', async () => {
    const { op, signedIn, start } = await setup();
    const attacker = new FetchBrowser();
    const back = await loginAtProvider(attacker, start, op.url, 'alice');
    const victim = new FetchBrowser();
    expect(await callback(victim, back)).toBe('/sign-in?error=sign_in_failed');
    expect(signedIn).toEqual([]);
    expect(await callback(attacker, back)).toBe('/home');
    expect(signedIn.map((i) => i.subject)).toEqual(['alice']);
  });

  it('refuses an e-mail domain the operator does not allow, and an address the provider calls unverified', async () => {
    const { op, signedIn, start } = await setup(['allowed.example', 'other.example']);
    const outcome = async (login: string) => {
      const browser = new FetchBrowser();
      return callback(browser, await loginAtProvider(browser, start, op.url, login));
    };
    expect(await outcome('bob')).toBe('/sign-in?error=domain_not_allowed');
    expect(await outcome('carol')).toBe('/sign-in?error=domain_not_allowed');
    expect(await outcome('erin')).toBe('/sign-in?error=domain_not_allowed');
    expect(signedIn).toEqual([]);
    // A provider that says nothing about verification vouches for its addresses; the domain compares without case.
    expect(await outcome('dave')).toBe('/home');
    expect(signedIn).toEqual([{ issuer: op.issuer, subject: 'dave', profile: { name: 'Dave Unsaid', email: 'Dave@Allowed.Example' } }]);
  });

  it('without allowed domains signs in any account, keeping only an e-mail the provider did not call unverified', async () => {
    const { op, signedIn, start } = await setup([]);
    for (const login of ['bob', 'carol', 'erin']) {
      const browser = new FetchBrowser();
      expect(await callback(browser, await loginAtProvider(browser, start, op.url, login))).toBe('/home');
    }
    expect(signedIn.map((i) => i.profile)).toEqual([
      { name: 'Bob Elsewhere', email: 'bob@elsewhere.example' },
      { name: 'Carol Unverified' },
      { name: 'Erin Without Mail' }
    ]);
  });

  it('refuses a provider whose metadata names another issuer than the configured one', async () => {
    // The provider calls itself http://localhost:PORT; the board is configured with http://127.0.0.1:PORT.
    const op = await startOidcProvider({ issuerHost: 'localhost' });
    const { server, signedIn } = await setup([], { provider: { ...op, settings: (domains = []) => ({ ...op.settings(domains), issuer: op.url }) } });
    op.allowRedirect(`${server.url}/api/auth/oidc/callback`);
    const browser = new FetchBrowser();
    const started = await browser.request(`${server.url}/api/auth/oidc/start`);
    expect(started.status).toBe(303);
    expect(started.headers.get('location')).toBe('/sign-in?error=provider_unavailable');
    expect(browser.cookies(server.url).has(LOGIN_COOKIE)).toBe(false);
    expect(signedIn).toEqual([]);
  });

  it('refuses an authorization answer that names another issuer (mix-up), and a provider error answer', async () => {
    const { op, signedIn, start } = await setup();
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
    expect(signedIn).toEqual([]);
  });

  it('keeps a login under way in the store: it completes after a restart, once', async () => {
    const op = await startOidcProvider();
    const signedIn: ExternalIdentity[] = [];
    const externalSignIn: StartOptions['externalSignIn'] = async (identity, _req, res, next) => {
      signedIn.push(identity);
      res.redirect(303, next);
    };
    const dataDir = await makeDataDir();
    const first = await startServer({ oidc: op.settings(), externalSignIn, dataDir });
    op.allowRedirect(`${first.url}/api/auth/oidc/callback`);
    const browser = new FetchBrowser();
    const back = await loginAtProvider(browser, `${first.url}/api/auth/oidc/start`, op.url, 'alice');
    const cookie = browser.cookies(back).get(LOGIN_COOKIE)!;
    await first.close();

    const second = await startServer({ oidc: op.settings(), externalSignIn, dataDir, port: first.port });
    expect(second.url).toBe(first.url);
    // fetch's pool may still hold a connection the first server closed: one failed request clears it.
    await waitFor(async () => (await fetch(`${second.url}/healthz`)).ok, { message: 'the restarted server answers' });
    expect(await callback(browser, back)).toBe('/home');
    expect(signedIn.map((i) => i.subject)).toEqual(['alice']);
    const replay = new FetchBrowser();
    replay.cookies(back).set(LOGIN_COOKIE, cookie);
    expect(await callback(replay, back)).toBe('/sign-in?error=sign_in_failed');
  });

  it('limits the starts per address, each of which holds a row in the store until it expires', async () => {
    const { start } = await setup();
    const browser = new FetchBrowser();
    for (let i = 0; i < STARTS_PER_ADDRESS; i++) {
      const response = await browser.request(start);
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).not.toMatch(/^\/sign-in/);
    }
    const over = await browser.request(start);
    expect(over.headers.get('location')).toBe('/sign-in?error=rate_limited');
  });

  it('has no sign-in routes when OpenID Connect is not configured', async () => {
    const server = await startServer();
    const response = await fetch(`${server.url}/api/auth/oidc/start`, { redirect: 'manual' });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});
