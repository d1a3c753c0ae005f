/**
 * A two-round workshop as a room runs it: one person keeps their answers,
 * one answers in two tabs, one answers offline across the round change; and
 * phones whose clocks are 45 s off read the same countdown.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { DESKTOP, PHONE, createSessionFromLanding, expectParticipantCount, joinByLink, textOf, useE2E, vote } from '../helpers/e2e';
import { browserAvailability } from '../helpers/browser';
import { scaled } from '../helpers/patience';

const availability = browserAvailability();
const suite = availability.run ? describe : describe.skip;
if (!availability.run) console.warn(availability.reason);

const answered = async (page: Page) => Number(await page.getByTestId('my-progress').getAttribute('data-answered'));

suite('two rounds, two tabs, one offline phone', () => {
  const e2e = useE2E();
  let facilitator: Page;
  let code: string;
  let ann: Page;
  let boA: Page;
  let boB: Page;
  let cy: Page;

  it('three people join; one of them opens the session in a second tab', async () => {
    facilitator = await e2e.newPage(DESKTOP);
    code = await createSessionFromLanding(facilitator, e2e.url, 'en');
    // The three join at once (nothing here depends on who came first).
    const joined = async (options: typeof PHONE, name: string) => {
      const page = await e2e.newPage(options);
      await joinByLink(page, e2e.url, code, name);
      return page;
    };
    [ann, [boA, boB], cy] = await Promise.all([
      joined(PHONE, 'Ann'),
      joined(DESKTOP, 'Bo').then(async (a) => {
        // The same browser (same storage), another tab.
        const b = await a.context().newPage();
        await b.goto(`${e2e.url}/s/${code}`);
        return [a, b] as const;
      }),
      joined(PHONE, 'Cy')
    ]);
    await expectParticipantCount(facilitator, 3);
  });

  it('an answer given in one tab shows in the other at once', async () => {
    await facilitator.getByTestId('phase-voting').click();
    await vote(ann, [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4], { tap: true });
    await vote(boA, [2, null, null, null, null, null, null, null, null, null, null, null]);
    await expect.poll(() => boB.getByTestId('vote-1-2').isChecked()).toBe(true);
    await expect.poll(() => answered(boB)).toBe(1);
    await vote(cy, [3, 3, 3, null, null, null, null, null, null, null, null, null], { tap: true });
  });

  it('an answer made offline across the round change is not sent into round 2, and its author is told', async () => {
    await cy.context().setOffline(true);
    await cy.getByTestId('offline-banner').waitFor({ timeout: scaled(60_000) });
    await cy.getByTestId('vote-4-5').tap();
    await expect.poll(() => cy.getByTestId('vote-4-5').isChecked()).toBe(true);
    // The facilitator reveals although not everyone is done (and confirms that), then starts round 2.
    await expect.poll(() => facilitator.getByTestId('progress').getAttribute('data-voted')).toBe('1');
    await facilitator.getByTestId('phase-reveal').click();
    await facilitator.getByTestId('heatmap').waitFor();
    await facilitator.getByTestId('phase-voting').click();
    await expect.poll(() => facilitator.getByTestId('progress').getAttribute('data-voted')).toBe('0');
    await cy.context().setOffline(false);
    await cy.getByTestId('round-notice').waitFor();
    await expect.poll(() => answered(cy)).toBe(0);
    expect(await cy.getByTestId('vote-4-5').isChecked()).toBe(false);
    // Nothing of round 1 reached round 2 on the server.
    await expect.poll(() => facilitator.getByTestId('progress').getAttribute('data-voted')).toBe('0');
  });

  it('round 2 starts empty on every screen, and the same score clicked again is sent and counted', async () => {
    for (const page of [ann, boA, boB]) {
      await expect.poll(() => answered(page)).toBe(0);
      await expect.poll(() => page.getByTestId('vote-1-4').isChecked()).toBe(false);
    }
    await vote(ann, [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4], { tap: true });
    await expect.poll(() => facilitator.getByTestId('progress').getAttribute('data-voted')).toBe('1');
    await ann.reload();
    await expect.poll(() => answered(ann)).toBe(12);
    expect(await textOf(facilitator, 'progress')).toMatch(/1/);
  });
});

suite('the countdown follows the server, not the device clock', () => {
  const e2e = useE2E();

  it('three phones with clocks right, 45 s fast and 45 s slow show the same time left', async () => {
    const facilitator = await e2e.newPage(DESKTOP);
    const code = await createSessionFromLanding(facilitator, e2e.url, 'en');
    // The three phones join at once (the test reads their countdowns, not the order they came in), each straight by
    // the join link: its device clock is read on the session page itself rather than on a landing page loaded first.
    const phones = await Promise.all(
      [0, 45_000, -45_000].map(async (skew, i) => {
        const page = await e2e.newPage(PHONE);
        // The device's wall clock is off; timers still run at normal speed.
        if (skew !== 0) await page.clock.setSystemTime(new Date(Date.now() + skew));
        await joinByLink(page, e2e.url, code, `Phone ${i + 1}`);
        const deviceSkew = (await page.evaluate(() => Date.now())) - Date.now();
        expect(Math.abs(deviceSkew - skew)).toBeLessThan(5000);
        return page;
      })
    );
    await expectParticipantCount(facilitator, 3);
    await facilitator.locator('.countdown input').fill('2');
    await facilitator.getByTestId('phase-voting').click();
    const remaining = async (page: Page) => Number(await page.getByTestId('countdown').first().getAttribute('data-remaining'));
    for (const page of phones) await expect.poll(() => remaining(page)).toBeGreaterThan(0);
    const readings = await Promise.all(phones.map(remaining));
    // Read within a second of each other; each close to the two minutes the facilitator set.
    expect(Math.max(...readings) - Math.min(...readings)).toBeLessThanOrEqual(3);
    for (const seconds of readings) expect(seconds).toBeGreaterThan(100);
    for (const seconds of readings) expect(seconds).toBeLessThanOrEqual(120);

    // The facilitator pauses: every phone shows the same paused time.
    await facilitator.getByTestId('timer-pause').click();
    for (const page of phones) await expect.poll(() => page.getByTestId('countdown').first().getAttribute('data-state')).toBe('paused');
    // Closing voting without revealing: every phone says so, and no results appear.
    await facilitator.getByTestId('voting-close').click();
    for (const page of phones) await expect.poll(() => page.getByTestId('countdown').first().getAttribute('data-state')).toBe('closed');
    expect(await phones[0].getByTestId('heatmap').count()).toBe(0);
  });

  it('without a countdown the facilitator is offered one of a minute, not "+1 minute"; with one, a minute more', async () => {
    const host = await e2e.newPage(DESKTOP);
    const session = await createSessionFromLanding(host, e2e.url, 'en');
    const phone = await e2e.newPage(PHONE);
    await joinByLink(phone, e2e.url, session, 'Dee');
    await expectParticipantCount(host, 1);
    await host.getByTestId('phase-voting').click();
    const start = host.getByTestId('timer-start');
    await expect.poll(() => start.isVisible()).toBe(true);
    expect(await start.textContent()).toContain('Close in 1 minute');
    expect(await host.getByTestId('timer-extend').count()).toBe(0);
    // No countdown runs until asked for.
    expect(await phone.getByTestId('countdown').count()).toBe(0);

    await start.click();
    const remaining = async () => Number(await phone.getByTestId('countdown').first().getAttribute('data-remaining'));
    await expect.poll(remaining).toBeGreaterThan(0);
    expect(await remaining()).toBeLessThanOrEqual(60);
    await host.getByTestId('timer-extend').click();
    await expect.poll(remaining).toBeGreaterThan(60);
    expect(await host.getByTestId('timer-start').count()).toBe(0);
  });
});
