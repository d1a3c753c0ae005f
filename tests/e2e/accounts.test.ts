/**
 * Facilitator accounts in a real browser (issue 24): passkeys made and used by Chromium's virtual authenticator
 * (the DevTools WebAuthn domain: a CTAP2 platform authenticator with resident keys and user verification), the
 * pages, and a second fresh browser that signs in with a recovery code and adds its own passkey.
 * WebAuthn refuses IP addresses as relying parties, so the pages are opened on localhost (a secure context).
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { DESKTOP, PHONE, textOf, useE2E } from '../helpers/e2e';
import { browserAvailability } from '../helpers/browser';
import { addAuthenticator, fitsWidth } from '../helpers/e2e-accounts';

const availability = browserAvailability();
const suite = availability.run ? describe : describe.skip;
if (!availability.run) console.warn(availability.reason);

suite('a facilitator account with passkeys', () => {
  const e2e = useE2E();
  let laptop: Page;
  let codes: string[] = [];
  let sessionCode = '';
  const local = (path: string) => e2e.url.replace('127.0.0.1', 'localhost') + path;

  it('signs up with a name and a passkey, is shown eight recovery codes once, and lands on /home', async () => {
    laptop = await e2e.newPage(DESKTOP);
    const authenticator = await addAuthenticator(laptop);
    await laptop.goto(local('/'));
    await laptop.getByTestId('sign-in').click();
    await laptop.waitForURL(/\/sign-in$/);
    await laptop.getByTestId('sign-up-name').fill('Ada Lovelace');
    await laptop.getByTestId('sign-up').click();
    await expect.poll(() => laptop.getByTestId('recovery-code').count()).toBe(8);
    codes = await laptop.getByTestId('recovery-code').allTextContents();
    expect(codes.every((c) => /^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/.test(c.trim()))).toBe(true);
    expect(await authenticator.credentials()).toBe(1);
    await laptop.getByTestId('recovery-codes-saved').click();
    await laptop.waitForURL(/\/home$/);
    await expect.poll(() => textOf(laptop, 'home-title')).toContain('Ada Lovelace');
    await expect.poll(() => textOf(laptop, 'account-home')).toBe('Ada Lovelace');
    // Shown once: the sign-in page, opened again, shows no codes.
    await laptop.goto(local('/sign-in'));
    expect(await laptop.getByTestId('recovery-code').count()).toBe(0);
  });

  it('a session started while signed in is listed on /home', async () => {
    await laptop.goto(local('/'));
    await laptop.getByTestId('create-session').click();
    await laptop.waitForURL(/\/facilitate/);
    sessionCode = laptop.url().match(/\/s\/([^/]+)\/facilitate/)![1];
    await laptop.goto(local('/home'));
    await expect.poll(() => laptop.locator(`[data-testid="home-session"][data-code="${sessionCode}"]`).count()).toBe(1);
  });

  it('signs out, and signs in again with the passkey alone (no name asked)', async () => {
    await laptop.getByTestId('sign-out').click();
    await laptop.waitForURL(/\/sign-in$/);
    await laptop.goto(local('/home'));
    await laptop.waitForURL(/\/sign-in$/);
    await laptop.getByTestId('sign-in-passkey').click();
    await laptop.waitForURL(/\/home$/);
    await expect.poll(() => textOf(laptop, 'home-title')).toContain('Ada Lovelace');
    await expect.poll(() => laptop.locator(`[data-testid="home-session"][data-code="${sessionCode}"]`).count()).toBe(1);
    // This server has no OpenID Connect configured: no button for it.
    await laptop.goto(local('/sign-in'));
    await expect.poll(() => laptop.getByTestId('sign-in-passkey').isVisible()).toBe(true);
    expect(await laptop.getByTestId('sign-in-oidc').count()).toBe(0);
  });

  it('a second, fresh browser on a 360 px phone signs in with a recovery code, finds the session, and adds its own passkey', async () => {
    const phone = await e2e.newPage(PHONE);
    const authenticator = await addAuthenticator(phone);
    await phone.goto(local('/sign-in'));
    expect(await fitsWidth(phone, 360)).toBe(true);
    await phone.getByTestId('recovery-code-input').fill(codes[0].toLowerCase());
    await phone.getByTestId('recovery-submit').click();
    await phone.waitForURL(/\/home$/);
    await expect.poll(() => phone.locator(`[data-testid="home-session"][data-code="${sessionCode}"]`).count()).toBe(1);
    expect(await fitsWidth(phone, 360)).toBe(true);

    await phone.getByTestId('add-passkey').click();
    await expect.poll(() => authenticator.credentials()).toBe(1);
    await phone.getByTestId('sign-out').click();
    await phone.waitForURL(/\/sign-in$/);
    // The used code is refused now; the new passkey signs in.
    await phone.getByTestId('recovery-code-input').fill(codes[0]);
    await phone.getByTestId('recovery-submit').click();
    await expect.poll(() => phone.getByTestId('sign-in-error').isVisible()).toBe(true);
    await phone.getByTestId('sign-in-passkey').click();
    await phone.waitForURL(/\/home$/);
    await expect.poll(() => textOf(phone, 'home-title')).toContain('Ada Lovelace');
  });

  it('"sign out everywhere" from the phone signs the laptop out too; deleting the account asks first', async () => {
    const phone = e2e.browser.contexts().at(-1)!.pages()[0];
    await phone.getByTestId('sign-out-everywhere').click();
    await phone.waitForURL(/\/sign-in$/);
    await laptop.goto(local('/home'));
    await laptop.waitForURL(/\/sign-in$/);

    await laptop.getByTestId('sign-in-passkey').click();
    await laptop.waitForURL(/\/home$/);
    await laptop.getByTestId('delete-account').click();
    await expect.poll(() => laptop.getByTestId('delete-confirm').isVisible()).toBe(true);
    await laptop.getByTestId('delete-account-yes').click();
    await laptop.waitForURL((url) => url.pathname === '/');
    // The passkey is dead with the account.
    await laptop.goto(local('/sign-in'));
    await laptop.getByTestId('sign-in-passkey').click();
    await expect.poll(() => laptop.getByTestId('sign-in-error').isVisible()).toBe(true);
  });
});
