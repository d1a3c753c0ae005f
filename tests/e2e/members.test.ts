/**
 * Co-facilitators and the home in a real browser (issue 24, items 2 and 3): keys from link-based use claimed into
 * a new account in one click, an invite link taken by a colleague on a 360 px phone who signs up on the way, who
 * steers the next session from the phone without its key, and loses the controls the moment the owner removes them.
 * Passkeys come from Chromium's virtual authenticator (as in accounts.test.ts); pages open on localhost, a
 * secure context (WebAuthn refuses IP addresses).
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { DESKTOP, PHONE, answerConfirm, confirmByHand, useE2E } from '../helpers/e2e';
import { browserAvailability } from '../helpers/browser';
import { postJson } from '../helpers/server';
import { addAuthenticator, makeInviteLink, signUpWithPasskey } from '../helpers/e2e-accounts';
import type { CreateCommunityResponse } from '../../src/lib/protocol';

const availability = browserAvailability();
const suite = availability.run ? describe : describe.skip;
if (!availability.run) console.warn(availability.reason);

suite('co-facilitators and the home', () => {
  const e2e = useE2E();
  const local = (path: string) => e2e.url.replace('127.0.0.1', 'localhost') + path;
  let owner: Page;
  let phone: Page;
  let communityId = '';
  let inviteUrl = '';
  let code = '';

  it('claims the community key this browser holds into a new account in one click', async () => {
    const created = await postJson<CreateCommunityResponse>(e2e.url, '/api/communities', { name: 'Greenport Vertical Farming' });
    communityId = created.body.id;
    owner = await e2e.newPage(DESKTOP);
    await addAuthenticator(owner);
    // Link-based use first: the community link leaves its key in this browser.
    await owner.goto(local(new URL(created.body.communityUrl).pathname + new URL(created.body.communityUrl).hash));
    await expect.poll(() => owner.getByTestId('community-new-session').isVisible()).toBe(true);
    await owner.goto(local('/sign-in'));
    await signUpWithPasskey(owner, 'Olga Owner');
    await owner.waitForURL(/\/home$/);
    await owner.getByTestId('home-claim').click();
    await expect.poll(() => owner.locator(`[data-testid="home-community"][data-id="${communityId}"]`).count()).toBe(1);
  });

  it('makes a single-use invite link on the community page', async () => {
    await owner.goto(local(`/c/${communityId}`));
    inviteUrl = await makeInviteLink(owner);
  });

  it('a colleague on a phone signs up from the invite, accepts it and steers the next session without its key', async () => {
    phone = await e2e.newPage(PHONE);
    await addAuthenticator(phone);
    await phone.goto(inviteUrl);
    await phone.getByTestId('invite-sign-in').click();
    await phone.waitForURL(/\/sign-in$/);
    await signUpWithPasskey(phone, 'Cas Colleague');
    // Back from the home to the invite it was on its way to.
    await phone.waitForURL(/\/invite$/);
    await phone.getByTestId('invite-accept').click();
    await phone.waitForURL(new RegExp(`/c/${communityId}$`));

    // The owner starts the next session; the colleague opens it from their own home.
    await owner.getByTestId('community-new-session').click();
    await owner.waitForURL(/\/facilitate/);
    code = owner.url().match(/\/s\/([^/]+)\/facilitate/)![1];
    await phone.goto(local('/home'));
    await phone.locator(`[data-testid="home-session"][data-code="${code}"] a`).click();
    await phone.waitForURL(/\/facilitate/);
    await phone.getByTestId('phase-voting').click();
    await expect.poll(() => owner.getByTestId('phase-reveal').isVisible()).toBe(true);
    await expect.poll(() => phone.getByTestId('no-presenter-link').isVisible()).toBe(true);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= 360)).toBe(true);
  });

  it("the owner removes the colleague: the phone's page loses the controls at once", async () => {
    await owner.goto(local(`/c/${communityId}`));
    // The page asks first, naming the colleague.
    await confirmByHand(owner);
    await owner.getByTestId('co-facilitator-remove').click();
    expect(await answerConfirm(owner)).toContain('Cas Colleague');
    await expect.poll(() => owner.getByTestId('co-facilitator').count()).toBe(0);
    await expect.poll(() => phone.getByTestId('facilitator-revoked').isVisible()).toBe(true);
    expect(await phone.getByTestId('phase-reveal').count()).toBe(0);
  });
});
