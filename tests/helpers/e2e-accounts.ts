/**
 * Signing in as a person does it in the browser tests (issue 24): passkeys from Chromium's virtual authenticator
 * (the DevTools WebAuthn domain: a CTAP2 platform authenticator with resident keys and user verification), the
 * sign-up with its recovery codes, and a login at the test OpenID Provider's own form (tests/helpers/oidc-provider.ts).
 * WebAuthn refuses IP addresses as relying parties, so pages that use passkeys are opened on localhost.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { BrowserContextOptions, Page } from 'playwright-core';
import type { CreateServerOptions } from '../../server/app';
import type { CreateCommunityResponse } from '../../src/lib/protocol';
import { computeRoundResults, revealedBallots } from '../../src/lib/domain/results';
import { DEFAULT_THRESHOLDS } from '../../src/lib/domain/statistics';
import type { Answer } from '../../src/lib/domain/ballots';
import { keepShot, PHONE_360, useE2E, type E2E } from './e2e';
import { startOidcProvider, type TestProvider } from './oidc-provider';
import { boundedStep } from './teardown';
import { REPO_ROOT } from './server';
import { sessionRecord } from './store-contract';
import { shareByInvite, shareInviteToken, type OrganisationCaller } from './programme';
import type { SignedIn } from './accounts';

/**
 * `useE2E` with OpenID Connect configured: a real OpenID Provider (tests/helpers/oidc-provider.ts) started before
 * the board, which reads its settings at start, allowing `allowedDomains`; the provider accepts the board's
 * callback on each of `hosts` (localhost where the story uses passkeys too). `op()` is the provider once started.
 */
export function useE2EWithProvider(allowedDomains: string[], hosts: readonly ('127.0.0.1' | 'localhost')[] = ['127.0.0.1']): { e2e: E2E; op(): TestProvider } {
  let op: TestProvider | undefined;
  beforeAll(async () => {
    op = await startOidcProvider({ closeAfterTest: false });
  });
  afterAll(async () => {
    if (op) await boundedStep('closing the OpenID provider', op.close());
  });
  const settings: Partial<CreateServerOptions> = {
    get oidc() {
      return op!.settings(allowedDomains);
    }
  };
  const e2e = useE2E(settings);
  beforeAll(() => {
    for (const host of hosts) op!.allowRedirect(`${e2e.url.replace('127.0.0.1', host)}/api/auth/oidc/callback`);
  });
  return { e2e, op: () => op! };
}

/** Gives the page's browser a platform authenticator that holds passkeys and verifies its user. */
export async function addAuthenticator(page: Page): Promise<{ credentials(): Promise<number> }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true
    }
  });
  return {
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.length
  };
}

/** On /sign-in: signs up as `name` with a passkey, returns the recovery codes shown once, and leaves their page. */
export async function signUpWithPasskey(page: Page, name: string): Promise<string[]> {
  await page.getByTestId('sign-up-name').fill(name);
  await page.getByTestId('sign-up').click();
  await expect.poll(() => page.getByTestId('recovery-code').count()).toBe(8);
  const codes = (await page.getByTestId('recovery-code').allTextContents()).map((c) => c.trim());
  await page.getByTestId('recovery-codes-saved').click();
  return codes;
}

/** On /sign-in (already open): the identity provider's button, then its login form as `login`. */
export async function signInAtProvider(page: Page, providerUrl: string, login: string): Promise<void> {
  await page.getByTestId('sign-in-oidc').click();
  await page.waitForURL((url) => url.href.startsWith(`${providerUrl}/interaction/`));
  await page.getByTestId('op-login').fill(login);
  await page.getByTestId('op-submit').click();
}

/** On a community or session page of its owner: makes a single-use invite link and returns it (on localhost). */
export async function makeInviteLink(page: Page): Promise<string> {
  await page.getByTestId('invite-create').click();
  await expect.poll(() => page.getByTestId('invite-link').inputValue()).toMatch(/\/invite#token=/);
  return (await page.getByTestId('invite-link').inputValue()).replace('127.0.0.1', 'localhost');
}

/** No sideways scrolling on the device's width. */
export const fitsWidth = (page: Page, width: number): Promise<boolean> => page.evaluate((w) => document.documentElement.scrollWidth <= w, width);

/**
 * Elements inside `scope` that do not fit the viewport: a box reaching past its right edge, or a sideways scroll
 * region whose content is wider than the region (a table that a phone has to scroll). Described as tag.class.
 */
export const overflowing = (page: Page, scope: string): Promise<string[]> =>
  page.evaluate((selector) => {
    const width = document.documentElement.clientWidth;
    const found: string[] = [];
    for (const root of document.querySelectorAll(selector))
      for (const el of [root, ...root.querySelectorAll('*')]) {
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.height <= 1) continue;
        const overflowX = getComputedStyle(el).overflowX;
        const scrolls = (overflowX === 'auto' || overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1;
        if (box.right > width + 0.5 || scrolls)
          found.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} ${Math.round(box.right)}/${width}${scrolls ? ' scrolls' : ''}`);
      }
    return found;
  }, scope);

/**
 * Links, buttons and labels inside `scope` whose text is cut off without an ellipsis (their box hides part of it):
 * "Inlog" for "Inloggen". A text cut with an ellipsis that is drawn shows that it goes on, and is not listed.
 */
export const clippedText = (page: Page, scope: string): Promise<string[]> =>
  page.evaluate((selector) => {
    const found: string[] = [];
    for (const root of document.querySelectorAll(selector))
      for (const el of root.querySelectorAll<HTMLElement>('a, button, label, [role="button"]')) {
        // Not shown, or visually hidden on purpose (the skip link is a 1 px box until it has the focus).
        if (el.getBoundingClientRect().width <= 1) continue;
        const style = getComputedStyle(el);
        // An ellipsis is drawn only in a block container: on a flex or grid box the text is cut bare.
        const ellipsis = style.textOverflow === 'ellipsis' && !/flex|grid/.test(style.display);
        if (style.overflowX === 'visible' || ellipsis) continue;
        if (el.scrollWidth > el.clientWidth + 1) found.push(`${el.tagName.toLowerCase()} "${el.textContent?.trim()}" ${el.clientWidth}/${el.scrollWidth}`);
      }
    return found;
  }, scope);

/** Placeholders in `scope` wider than their field's text box (measured in the field's own font): cut, as seen on a phone. */
export const clippedPlaceholders = (page: Page, scope: string): Promise<string[]> =>
  page.evaluate((selector) => {
    const context = document.createElement('canvas').getContext('2d')!;
    const found: string[] = [];
    for (const root of document.querySelectorAll(selector))
      for (const field of root.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input[placeholder], textarea[placeholder]')) {
        if (field.getBoundingClientRect().width <= 1 || field instanceof HTMLTextAreaElement) continue;
        const style = getComputedStyle(field);
        context.font = style.font;
        const room = field.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        const needed = context.measureText(field.placeholder).width;
        if (needed > room + 1) found.push(`"${field.placeholder}" ${Math.round(room)}/${Math.round(needed)}`);
      }
    return found;
  }, scope);

// ---- organisations and shares as the programme e2e files set them up (programme-people, portfolio)

export { PHONE_360 };
export const FULL_HD: BrowserContextOptions = { viewport: { width: 1920, height: 1080 } };

/** A full-page screenshot in test-results/`name`.png, for people to look at (with E2E_SHOTS=1: keepShot). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await keepShot(page, { path: path.join(REPO_ROOT, 'test-results', `${name}.png`), fullPage: true });
}

/** A fresh browser holding only the account's cookie. */
export async function browserOf(e2e: E2E, who: SignedIn, options: BrowserContextOptions): Promise<Page> {
  const page = await e2e.newPage(options);
  const [name, value] = who.cookie.split('=');
  await page.context().addCookies([{ name, value, url: e2e.url, httpOnly: true, sameSite: 'Lax' }]);
  return page;
}

/**
 * A revealed session `id` (code `code`) of the community, its round 1 revealed at `at` by four voters who score factor
 * f ((base + voter + f) mod 5) + 1: stored through the running server's store, computed by the live statistics.
 */
export async function seedRevealedSession(e2e: E2E, communityId: string, id: string, code: string, base: number, at: number): Promise<void> {
  await e2e.server.store.createSession(sessionRecord(id, { code, communityId, phase: 'revealed', revealedRounds: [1] }));
  const input = {
    round: 1,
    factorCount: 12,
    thresholds: DEFAULT_THRESHOLDS,
    anonymous: true,
    minVoters: 3,
    voters: [0, 1, 2, 3].map((v) => ({
      id: `${id}-${v}`,
      name: '',
      group: null,
      answers: new Map<number, Answer>(Array.from({ length: 12 }, (_, f) => [f + 1, (((base + v + f) % 5) + 1) as Answer]))
    }))
  };
  await e2e.server.store.saveRevealedRound({ sessionId: id, round: 1, revealedAt: at, results: computeRoundResults(input), ballots: revealedBallots(input) });
}

/** The organisation's consent and the owner's share: a share invitation (by `caller`), taken with the community's key. */
export async function shareWithInvitation(e2e: E2E, organisationId: string, caller: OrganisationCaller, community: CreateCommunityResponse): Promise<void> {
  const invite = await shareInviteToken(e2e.url, organisationId, caller);
  const shared = await shareByInvite(e2e.url, community.id, community.communityToken, organisationId, invite);
  expect(shared.status, shared.text).toBe(200);
}
