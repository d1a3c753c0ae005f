/**
 * Signing in with the organisation's identity provider in real Chromium: the board's sign-in page,
 * the provider's own login page (node-oidc-provider on a loopback port, tests/helpers/oidc-provider.ts),
 * and back to /home signed in; someone of a domain the operator does not allow sees a clear refusal.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { DESKTOP, PHONE, textOf } from '../helpers/e2e';
import { browserAvailability } from '../helpers/browser';
import { signInAtProvider as loginAtProviderPage, useE2EWithProvider } from '../helpers/e2e-accounts';
import { nl } from '../../src/lib/i18n/nl';
import { en } from '../../src/lib/i18n/en';

const availability = browserAvailability();
const suite = availability.run ? describe : describe.skip;
if (!availability.run) console.warn(availability.reason);

suite('signing in with the organisation’s identity provider', () => {
  const { e2e, op } = useE2EWithProvider(['allowed.example']);

  /** From the board's sign-in page through the provider's login form, as a person does it. */
  async function signInAtProvider(page: Page, login: string): Promise<void> {
    await page.goto(`${e2e.url}/sign-in`);
    await loginAtProviderPage(page, op().url, login);
  }

  it('a facilitator signs in with their organisation and lands on /home, signed in', async () => {
    const page = await e2e.newPage(DESKTOP);
    await signInAtProvider(page, 'alice');
    await page.waitForURL(`${e2e.url}/home`);
    await expect.poll(() => textOf(page, 'home-title')).toContain('Alice Allowed');
    await expect.poll(() => textOf(page, 'account-home')).toBe('Alice Allowed');
    // The session is in an HttpOnly cookie: no script on the page can read it.
    expect(await page.evaluate(() => document.cookie)).not.toMatch(/seeds_(session|oidc_login)/);
    // Still signed in after a reload.
    await page.reload();
    await expect.poll(() => textOf(page, 'home-title')).toContain('Alice Allowed');
  });

  it('someone whose e-mail domain is not allowed sees a clear refusal on a phone, and is not signed in', async () => {
    const page = await e2e.newPage(PHONE);
    await signInAtProvider(page, 'bob');
    await page.waitForURL(`${e2e.url}/sign-in?error=domain_not_allowed`);
    await expect.poll(() => textOf(page, 'sign-in-error')).toBe(nl.errors.domain_not_allowed);
    await expect.poll(() => page.getByTestId('sign-in-oidc').isVisible()).toBe(true);
    expect((await page.request.get(`${e2e.url}/api/me`)).status()).toBe(401);
  });

  it('the refusal reads in English for someone who chose English', async () => {
    const page = await e2e.newPage(DESKTOP);
    await page.addInitScript(() => localStorage.setItem('seeds:language', 'en'));
    await signInAtProvider(page, 'carol');
    await page.waitForURL(`${e2e.url}/sign-in?error=domain_not_allowed`);
    await expect.poll(() => textOf(page, 'sign-in-error')).toBe(en.errors.domain_not_allowed);
  });
});
