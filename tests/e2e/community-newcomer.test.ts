/**
 * A newcomer's walk through a community (issue 14), with the text people
 * really type: long points, emoji, markup. Screenshots for a human to look at.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Page } from 'playwright-core';
import { DESKTOP, FACTORS, PHONE, expectParticipantCount, joinByLink, textOf, useE2E, vote } from '../helpers/e2e';
import { castBallot } from '../helpers/session';
import { browserAvailability } from '../helpers/browser';

const availability = browserAvailability();
const suite = availability.run ? describe : describe.skip;
const SHOTS = process.env.SHOTS_DIR;
const shot = async (page: Page, name: string) => {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
};

suite('a newcomer runs two community sessions', () => {
  const e2e = useE2E();
  let facilitator: Page;
  let communityPath = '';
  const LONG =
    `Plan een bezoek aan de verticale kas in Delft met alle partners 🌱👩‍👩‍👧‍👦 en **vet** [link](javascript:alert(1)) <b>html</b> ${'lang '.repeat(60)}`.trim();

  it('creates a community and a first session with three action points', async () => {
    facilitator = await e2e.newPage(DESKTOP);
    // Signed out, nobody's co-facilitator lists are asked for (each such request answered 401 in the console).
    const memberLists: string[] = [];
    facilitator.on('request', (request) => void (request.url().includes('/facilitators') && memberLists.push(request.url())));
    onTestFinished(() => expect(memberLists).toEqual([]));
    await facilitator.goto(e2e.url);
    await shot(facilitator, '01-landing');
    await facilitator.getByTestId('community-name').fill('Greenport <i>LC</i> 🌱');
    await facilitator.getByTestId('create-community').click();
    await facilitator.waitForURL(/\/c\/[0-9a-f-]{36}#token=/);
    communityPath = new URL(facilitator.url()).pathname;
    await shot(facilitator, '02-community-empty');
    await facilitator.getByTestId('community-new-session').click();
    await facilitator.waitForURL(/\/s\/[^/]+\/facilitate/);
    const code = (await textOf(facilitator, 'session-code')).replace(/\s/g, '');
    await shot(facilitator, '03-first-lobby');
    // Ann's own page is not what this test looks at: she joins and votes as a scripted client (REST join, socket.io).
    const person = (await e2e.scriptedPerson(code, 'Ann')).client;
    await expectParticipantCount(facilitator, 1);
    await facilitator.getByTestId('phase-voting').click();
    await expect.poll(() => facilitator.getByTestId('progress').getAttribute('data-total')).toBe('1');
    await castBallot(person, Object.fromEntries(FACTORS.map((f) => [f, 4])) as Record<number, 4>);
    await expect.poll(() => facilitator.getByTestId('progress').getAttribute('data-voted')).toBe('1');
    await facilitator.getByTestId('phase-reveal').click();
    await expect.poll(() => facilitator.getByTestId('phase-actions').isEnabled()).toBe(true);
    await facilitator.getByTestId('phase-actions').click();
    for (const [factor, text, owner, due] of [
      [6, LONG, 'Ann 👩‍🌾 <script>', '2027-02-01'],
      [3, 'Kort', '', ''],
      [1, 'Nog een punt', 'Bo', '2027-03-01']
    ] as const) {
      await facilitator.getByTestId(`action-add-${factor}`).click();
      const point = facilitator.locator(`[data-testid="action-item"][data-factor="${factor}"]`).first();
      await point.getByTestId('action-text').fill(text);
      if (owner) {
        await point.getByTestId('action-owner').fill(owner);
        await point.getByTestId('action-owner').press('Tab');
      }
      if (due) {
        await point.getByTestId('action-due').fill(due);
        await point.getByTestId('action-due').press('Tab');
      }
    }
    await shot(facilitator, '04-first-board');
  });

  it('the second session reviews them in the lobby (desktop and phone)', async () => {
    await facilitator.goto(`${e2e.url}${communityPath}`);
    await expect.poll(() => facilitator.getByTestId('community-session').count()).toBe(1);
    await shot(facilitator, '05-community-one-session');
    await facilitator.getByTestId('community-new-session').click();
    await facilitator.waitForURL(/\/s\/[^/]+\/facilitate/);
    const code = (await textOf(facilitator, 'session-code')).replace(/\s/g, '');
    const items = facilitator.getByTestId('review-action');
    await expect.poll(() => items.count()).toBe(3);
    await shot(facilitator, '06-second-lobby-review');
    await items.first().getByTestId('review-status').selectOption('carried');
    await items.nth(1).getByTestId('review-status').selectOption('dropped');
    await expect.poll(() => items.first().getAttribute('data-status')).toBe('carried');
    await shot(facilitator, '07-second-lobby-reviewed');
    const phone = await e2e.newPage(PHONE);
    await joinByLink(phone, e2e.url, code, 'Dee');
    await expect.poll(() => phone.getByTestId('review-action').count()).toBe(3);
    await shot(phone, '08-participant-phone-review');
    await expectParticipantCount(facilitator, 1);
    await facilitator.getByTestId('phase-voting').click();
    await vote(phone, [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    await facilitator.getByTestId('phase-reveal').click();
    await expect.poll(() => facilitator.getByTestId('phase-actions').isEnabled()).toBe(true);
    await shot(facilitator, '09-second-results-since-last-time');
    await facilitator.getByTestId('phase-actions').click();
    await expect.poll(() => facilitator.locator('[data-testid="action-item"][data-factor="6"]').count()).toBe(1);
    await shot(facilitator, '10-second-board-carried');
    await shot(phone, '11-participant-phone-board');
    await facilitator.goto(`${e2e.url}${communityPath}`);
    await expect.poll(() => facilitator.getByTestId('community-session').count()).toBe(2);
    await shot(facilitator, '12-community-two-sessions');
    // The page never scrolls sideways (the hidden trend tables once made it 66 px wider than the window).
    const [scroll, client] = await facilitator.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    expect(scroll).toBe(client);
    // Nor on a 360 px phone, where the comparison's selects once took the width of their longest session title.
    await facilitator.setViewportSize({ width: 360, height: 780 });
    // (Folded on a phone, to keep the page short: opened here.)
    await facilitator.getByTestId('community-compare-fold').locator('summary').click();
    await facilitator.getByTestId('community-compare').waitFor();
    const [phoneScroll, phoneClient] = await facilitator.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    expect(phoneScroll).toBe(phoneClient);
  });
});
