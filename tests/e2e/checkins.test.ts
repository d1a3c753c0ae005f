/**
 * A check-in in the browser (issue 25, items 1, 2 and 5): a facilitator starts
 * a check-in from the community page (a deadline days ahead, results revealed at
 * the meeting) and copies the invitation; two people answer on 360 px phones on
 * their own time (one in English, one who comes back after a reload, finds their
 * answers and changes one); the facilitator's panel counts who is done, closes
 * early and starts the meeting; the meeting's presenter screen (1920×1080) opens
 * with the check-in's results, and the group goes on to action points.
 * Screenshots of each screen land in test-results/ to be looked at.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axeViolations, checkedAnswers, DESKTOP, fillJoinForm, PHONE, textOf, useE2E, vote, keepShot } from '../helpers/e2e';
import { browserAvailability } from '../helpers/browser';
import { REPO_ROOT } from '../helpers/server';

const availability = browserAvailability();
const suite = availability.run ? describe : describe.skip;
if (!availability.run) console.warn(availability.reason);

const PROJECTOR = { viewport: { width: 1920, height: 1080 } };
const shot = (page: Page, name: string) => keepShot(page, { path: path.join(REPO_ROOT, 'test-results', `checkins-${name}.png`), fullPage: true });

/** Nothing is wider than the viewport (a phone must not scroll sideways). */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  expect(scroll, 'page wider than the screen').toBeLessThanOrEqual(width);
}

/** A `datetime-local` value `days` ahead in this browser's zone, on the hour. */
async function localDaysAhead(page: Page, days: number): Promise<string> {
  return page.evaluate((d) => {
    const t = new Date(Date.now() + d * 86_400_000);
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}T${pad(t.getHours())}:00`;
  }, days);
}

suite('a check-in answered on phones, continued by the meeting on the projector', () => {
  const e2e = useE2E();
  let facilitator: Page;
  let communityPath = '';
  let checkinCode = '';
  let joinUrl = '';
  let ann: Page;
  let bo: Page;
  let screen: Page;

  it('starts a check-in from the community page with a deadline, revealed at the meeting, and copies the invitation', async () => {
    facilitator = await e2e.newPage({ ...DESKTOP, permissions: ['clipboard-read', 'clipboard-write'] });
    await facilitator.goto(e2e.url);
    await facilitator.getByTestId('community-name').fill('Greenport Glastuinbouw LC');
    await facilitator.getByTestId('create-community').click();
    await facilitator.waitForURL(/\/c\/[0-9a-f-]{36}#token=/);
    communityPath = new URL(facilitator.url()).pathname;
    await expect.poll(() => facilitator.getByTestId('community-new-session').isEnabled()).toBe(true);
    await facilitator.getByTestId('community-checkin').check();
    await facilitator.getByTestId('community-checkin-deadline').fill(await localDaysAhead(facilitator, 3));
    await facilitator.locator('input[name="reveal-at"][value="manual"]').check();
    // The reveal choices are radios in rows, not stretched to the form's width.
    expect(await facilitator.locator('input[name="reveal-at"][value="manual"]').evaluate((el) => el.getBoundingClientRect().width)).toBeLessThan(40);
    await shot(facilitator, 'community-form-desktop');
    expect(await axeViolations(facilitator)).toEqual([]);
    await facilitator.getByTestId('community-new-session').click();
    await facilitator.waitForURL(/\/s\/[^/]+\/facilitate/);
    checkinCode = (await textOf(facilitator, 'session-code')).replace(/\s/g, '');
    await facilitator.getByTestId('checkin-panel').waitFor();
    await expect.poll(() => textOf(facilitator, 'checkin-progress')).toBe('0 van 0 klaar');
    // The reveal choice is labelled, and a deadline days away reads in days, not as 4277 minutes.
    expect(await textOf(facilitator, 'checkin-reveal-at')).toBe('Uitkomsten: worden zichtbaar als ik de bijeenkomst start');
    await expect.poll(() => textOf(facilitator, 'countdown')).toMatch(/^\D*[23]d \d{1,2}:\d\d:\d\d\D*$/);

    const invitation = await facilitator.getByTestId('checkin-invitation').inputValue();
    joinUrl = invitation.match(/https?:\/\/\S+/)?.[0] ?? '';
    expect(joinUrl).toContain(`/s/${checkinCode}`);
    await facilitator.getByTestId('checkin-copy').click();
    await expect.poll(() => facilitator.evaluate(() => navigator.clipboard.readText())).toBe(invitation);
    await shot(facilitator, 'facilitator-panel-desktop');

    // The community page lists it as open.
    const facilitateUrl = facilitator.url();
    await facilitator.goto(`${e2e.url}${communityPath}`);
    await expect.poll(() => facilitator.locator(`[data-testid="community-checkin-row"][data-code="${checkinCode}"]`).count()).toBe(1);
    await shot(facilitator, 'community-open-checkins-desktop');
    await facilitator.goto(facilitateUrl);
    await facilitator.getByTestId('checkin-panel').waitFor();
  });

  it('three people answer on their own time, two on 360 px phones (one of them in English)', async () => {
    ann = await e2e.newPage(PHONE);
    await ann.goto(joinUrl);
    await fillJoinForm(ann, 'Ann');
    await ann.getByTestId('checkin-own-time').waitFor();
    await vote(ann, [4, 4, 3, 3, 2, 2, 5, 5, 4, 4, 3, 3], { tap: true });
    await expectNoSidewaysScroll(ann);
    await shot(ann, 'phone-ann-nl');
    await expect.poll(() => textOf(facilitator, 'checkin-progress')).toBe('1 van 1 klaar');

    bo = await e2e.newPage(PHONE);
    await bo.goto(joinUrl);
    await bo.locator('button.lang').click();
    await fillJoinForm(bo, 'Bo');
    await expect.poll(() => textOf(bo, 'checkin-own-time')).toMatch(/^Score on your own time/);
    await vote(bo, [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], { tap: true });
    // Done, in a check-in: answers change until it closes (not "until the facilitator shows the results").
    expect(await textOf(bo, 'vote-done')).toBe('Done! You can still change your answers until the check-in closes.');
    await expectNoSidewaysScroll(bo);
    await shot(bo, 'phone-bo-en');
    expect(await axeViolations(bo)).toEqual([]);
    await expect.poll(() => textOf(facilitator, 'checkin-progress')).toBe('2 van 2 klaar');

    // A third, so the group figures reach the privacy threshold (k = 3) in the meeting: their screen is not looked at,
    // so they answer as a scripted client (joined through the same REST join as the form).
    const cy = await e2e.scriptedPerson(checkinCode, 'Cy');
    await cy.vote([3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
    await expect.poll(() => textOf(facilitator, 'checkin-progress')).toBe('3 van 3 klaar');
    cy.close();
  });

  it('Ann comes back later on the same phone, finds her answers and changes one', async () => {
    await ann.reload();
    await ann.getByTestId('vote-1-1').waitFor();
    await expect.poll(() => checkedAnswers(ann)).toEqual(['4', '4', '3', '3', '2', '2', '5', '5', '4', '4', '3', '3']);
    await vote(ann, [null, null, null, null, null, null, null, null, null, null, null, 1], { tap: true });
    await ann.reload();
    await expect.poll(() => checkedAnswers(ann)).toEqual(['4', '4', '3', '3', '2', '2', '5', '5', '4', '4', '3', '1']);
    await expect.poll(() => textOf(facilitator, 'checkin-progress')).toBe('3 van 3 klaar');
  });

  it('the facilitator closes early; late answers are refused with a clear message', async () => {
    await facilitator.getByTestId('checkin-close').click();
    await facilitator.getByTestId('checkin-waiting').waitFor();
    await ann.getByTestId('checkin-closed').waitFor();
    // Closed: no "you can still change your answers" beside it.
    expect(await ann.getByTestId('vote-done').count()).toBe(0);
    await shot(ann, 'phone-ann-closed');
    await expectNoSidewaysScroll(ann);
    await bo.getByTestId('checkin-closed').waitFor();
    expect(await textOf(bo, 'checkin-closed')).toMatch(/^This check-in has closed/);
  });

  it('starts the meeting; its presenter screen at 1920×1080 shows the check-in results; the group goes to action points', async () => {
    await facilitator.getByTestId('checkin-meeting').click();
    await facilitator.waitForURL((u) => /\/s\/[^/]+\/facilitate/.test(u.pathname) && !u.pathname.includes(`/s/${checkinCode}/`));
    const presenterLink = facilitator.getByRole('link', { name: 'Presentatiescherm openen' }).first();
    await presenterLink.waitFor();
    const presenterUrl = (await presenterLink.getAttribute('href'))!;
    // The meeting holds the check-in's figures: "since last time" is not the check-in compared with itself.
    await facilitator.getByTestId('download-svg').waitFor();
    expect(await facilitator.getByTestId('last-time').count()).toBe(0);
    // Three voters reach the privacy threshold (k = 3): the figures show.
    expect(await facilitator.getByTestId('results-withheld').count()).toBe(0);
    screen = await e2e.newPage(PROJECTOR);
    await screen.goto(presenterUrl);
    await screen.getByTestId('presenter-results').waitFor();
    await shot(screen, 'presenter-results-1920');
    await shot(facilitator, 'meeting-facilitator-desktop');

    await facilitator.getByTestId('phase-actions').click();
    await facilitator.getByTestId('action-add-12').click();
    const point = facilitator.locator('[data-testid="action-item"][data-factor="12"]').first();
    await point.getByTestId('action-text').fill('Plan a visit to the growers');
    await point.getByTestId('action-text').press('Tab');
    await expect.poll(() => screen.getByTestId('presenter-action').count()).toBeGreaterThan(0);
    await shot(screen, 'presenter-actions-1920');
  });
});
