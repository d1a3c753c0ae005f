/**
 * Signing in as a person does it in the browser tests (issue 24): passkeys from Chromium's virtual authenticator
 * (the DevTools WebAuthn domain: a CTAP2 platform authenticator with resident keys and user verification), the
 * sign-up with its recovery codes, and a login at the test OpenID Provider's own form (tests/helpers/oidc-provider.ts).
 * WebAuthn refuses IP addresses as relying parties, so pages that use passkeys are opened on localhost.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { Page } from 'playwright-core';
import type { CreateServerOptions } from '../../server/app';
import { useE2E, type E2E } from './e2e';
import { startOidcProvider, type TestProvider } from './oidc-provider';
import { boundedStep } from './teardown';

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
