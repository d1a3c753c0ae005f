/**
 * Issue 24's browser story in one piece: a facilitator who first used the board without an account signs up with a
 * passkey (the link-based key this browser holds is claimed into the account), creates a community and runs a short
 * session; a second, fresh browser signs in with a recovery code and finds both; a colleague invited by link signs
 * in on a 360 px phone with the organisation's identity provider (a real OpenID Provider on a loopback port),
 * steers the community's next session from the phone, and loses the controls the moment the owner removes them.
 * Passkeys come from Chromium's virtual authenticator; pages open on localhost (WebAuthn refuses IP addresses),
 * so the provider is told the board's localhost callback.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createSessionFromLanding, DESKTOP, expectParticipantCount, PHONE, textOf } from '../helpers/e2e';
import { castBallot } from '../helpers/session';
import { addAuthenticator, makeInviteLink, fitsWidth, signInAtProvider, signUpWithPasskey, useE2EWithProvider } from '../helpers/e2e-accounts';
import { browserAvailability } from '../helpers/browser';

const availability = browserAvailability();
const suite = availability.run ? describe : describe.skip;
if (!availability.run) console.warn(availability.reason);

suite("a facilitator's home, from the first anonymous session to a removed co-facilitator", () => {
  const { e2e, op } = useE2EWithProvider(['allowed.example'], ['localhost']);
  const local = (path = '') => e2e.url.replace('127.0.0.1', 'localhost') + path;

  let owner: Page;
  let phone: Page;
  let codes: string[] = [];
  let anonymousCode = '';
  let communityId = '';
  let firstCode = '';
  let nextCode = '';
  let inviteUrl = '';
  const homeSession = (page: Page, code: string) => page.locator(`[data-testid="home-session"][data-code="${code}"]`);
  const homeCommunity = (page: Page, id: string) => page.locator(`[data-testid="home-community"][data-id="${id}"]`);

  it('1. without an account, a one-off session starts from the landing page (its key stays in this browser)', async () => {
    owner = await e2e.newPage(DESKTOP);
    await addAuthenticator(owner);
    anonymousCode = await createSessionFromLanding(owner, local());
    await owner.goto(local('/home'));
    await owner.waitForURL(/\/sign-in$/);
  });

  it('2. signs up with a passkey, and claims the earlier session into the account in one click', async () => {
    codes = await signUpWithPasskey(owner, 'Olga Owner');
    await owner.waitForURL(/\/home$/);
    await expect.poll(() => textOf(owner, 'home-title')).toContain('Olga Owner');
    expect(await homeSession(owner, anonymousCode).count()).toBe(0);
    await owner.getByTestId('home-claim').click();
    await expect.poll(() => homeSession(owner, anonymousCode).count()).toBe(1);
  });

  it('3. creates a community while signed in and runs a short session: one participant joins and votes, the results are revealed', async () => {
    await owner.goto(local('/'));
    await owner.getByTestId('community-name').fill('Greenport Vertical Farming');
    await owner.getByTestId('create-community').click();
    await owner.waitForURL(/\/c\/[0-9a-f-]{36}/);
    communityId = new URL(owner.url()).pathname.split('/')[2];
    await expect.poll(() => owner.getByTestId('community-new-session').isEnabled()).toBe(true);
    await owner.getByTestId('community-new-session').click();
    await owner.waitForURL(/\/s\/[^/]+\/facilitate/);
    firstCode = owner.url().match(/\/s\/([^/]+)\/facilitate/)![1];

    // The participant's own page is not this story's: she joins and votes as a scripted client (REST join, socket.io).
    const participant = (await e2e.scriptedPerson(firstCode, 'Pia')).client;
    await expectParticipantCount(owner, 1);
    await owner.getByTestId('phase-voting').click();
    await expect.poll(() => owner.getByTestId('progress').getAttribute('data-total')).toBe('1');
    await castBallot(participant, { 1: 3, 2: 4, 3: 2, 4: 3, 5: 5, 6: 3, 7: 4, 8: 2, 9: 3, 10: 4, 11: 3, 12: 3 });
    await expect.poll(() => owner.getByTestId('progress').getAttribute('data-voted')).toBe('1');
    await owner.getByTestId('phase-reveal').click();
    await expect.poll(() => owner.getByTestId('phase-actions').isEnabled()).toBe(true);
  });

  it('4. a second, fresh browser signs in with a recovery code and finds the community and both sessions on /home', async () => {
    const laptop = await e2e.newPage(DESKTOP);
    await laptop.goto(local('/sign-in'));
    await laptop.getByTestId('recovery-code-input').fill(codes[0]);
    await laptop.getByTestId('recovery-submit').click();
    await laptop.waitForURL(/\/home$/);
    await expect.poll(() => homeCommunity(laptop, communityId).count()).toBe(1);
    await expect.poll(() => homeSession(laptop, firstCode).count()).toBe(1);
    await expect.poll(() => homeSession(laptop, anonymousCode).count()).toBe(1);
    // Opened from the home, the session is steerable on this device, which never held its key.
    await homeSession(laptop, firstCode).locator('a').first().click();
    await laptop.waitForURL(/\/facilitate/);
    await expect.poll(() => laptop.getByTestId('phase-actions').isEnabled()).toBe(true);
    await laptop.context().close();
  });

  it('5. the owner makes a single-use invite link on the community page', async () => {
    await owner.goto(local(`/c/${communityId}`));
    inviteUrl = await makeInviteLink(owner);
  });

  it('6. a colleague on a 360 px phone opens the invite, signs in with the identity provider and accepts', async () => {
    phone = await e2e.newPage(PHONE);
    await phone.goto(inviteUrl);
    await phone.getByTestId('invite-sign-in').click();
    await phone.waitForURL(/\/sign-in$/);
    await signInAtProvider(phone, op().url, 'alice');
    // Back on the board signed in; the home sends the person on to the invite they were accepting.
    await phone.waitForURL(/\/invite$/);
    await phone.getByTestId('invite-accept').click();
    await phone.waitForURL(new RegExp(`/c/${communityId}$`));
    await expect.poll(() => textOf(phone, 'community-name-heading')).toBe('Greenport Vertical Farming');
    expect(await fitsWidth(phone, 360)).toBe(true);
    await owner.reload();
    await expect.poll(() => textOf(owner, 'co-facilitator')).toContain('Alice Allowed');
  });

  it("7. the owner starts the community's next session; the colleague opens it from the phone's home and starts the voting", async () => {
    await owner.getByTestId('community-new-session').click();
    await owner.waitForURL(/\/facilitate/);
    nextCode = owner.url().match(/\/s\/([^/]+)\/facilitate/)![1];
    await phone.goto(local('/home'));
    await expect.poll(() => homeCommunity(phone, communityId).count()).toBe(1);
    await homeSession(phone, nextCode).locator('a').first().click();
    await phone.waitForURL(new RegExp(`/s/${nextCode}/facilitate`));
    await phone.getByTestId('phase-voting').click();
    // The owner's open page follows the phone's step.
    await expect.poll(() => owner.getByTestId('phase-reveal').isVisible()).toBe(true);
    expect(await fitsWidth(phone, 360)).toBe(true);
  });

  it("8. the owner removes the colleague: the phone's open page loses the controls at once, and the home no longer lists the community", async () => {
    await owner.goto(local(`/c/${communityId}`));
    await owner.getByTestId('co-facilitator-remove').click();
    await expect.poll(() => owner.getByTestId('co-facilitator').count()).toBe(0);
    await expect.poll(() => phone.getByTestId('facilitator-revoked').isVisible()).toBe(true);
    expect(await phone.getByTestId('phase-reveal').count()).toBe(0);
    await phone.goto(local('/home'));
    await expect.poll(() => textOf(phone, 'home-title')).toContain('Alice Allowed');
    expect(await homeCommunity(phone, communityId).count()).toBe(0);
    expect(await homeSession(phone, nextCode).count()).toBe(0);
  });
});
