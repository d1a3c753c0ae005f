/**
 * Comments on a phone (360×740): typed, the page reloaded at once (before the
 * debounced send), still there, acknowledged, shown to the room after the reveal
 * as text (never markup), and hidden by the facilitator.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserAvailability } from '../helpers/browser';
import { createSessionFromLanding, expectParticipantCount, joinByLink, PHONE_360, useE2E } from '../helpers/e2e';

const availability = browserAvailability();
const HOSTILE = '<img src=x onerror="alert(1)"> **vet** & [link](http://x)';

describe.skipIf(!availability.run)(availability.run ? 'comments (browser, phone)' : `comments (browser) skipped: ${availability.reason}`, () => {
  const e2e = useE2E();
  let facilitator: Page;
  let phone: Page;
  let laptop: Page;

  it('a comment typed on a phone survives an immediate reload and is acknowledged', async () => {
    facilitator = await e2e.newPage();
    const code = await createSessionFromLanding(facilitator, e2e.url);
    phone = await e2e.newPage(PHONE_360);
    laptop = await e2e.newPage();
    await joinByLink(phone, e2e.url, code, 'Fenna');
    await joinByLink(laptop, e2e.url, code, 'Gijs');
    // A third voter: an anonymous round shows nothing, comments included, from fewer than k = 3 voters. Her page is
    // not what this test checks, so she joins and votes as a scripted client (REST join, socket.io vote).
    const third = (await e2e.scriptedPerson(code, 'Hanna')).client;
    await expectParticipantCount(facilitator, 3);
    await facilitator.getByTestId('phase-voting').click();
    await expect.poll(() => facilitator.getByTestId('progress').getAttribute('data-total')).toBe('3');
    const ack = await third.send('vote', { factor: 3, answer: 3 });
    expect(ack.ok, JSON.stringify(ack)).toBe(true);

    await phone.getByTestId('vote-3-4').click();
    await expect.poll(() => phone.getByTestId('vote-3-4').isChecked()).toBe(true);
    await phone.getByTestId('comment-3').fill('Trekkers haken af na de zomer');
    // Reload before the pause after typing has passed: the comment was only kept in this browser.
    await phone.reload();
    await expect.poll(() => phone.getByTestId('comment-3').inputValue()).toBe('Trekkers haken af na de zomer');
    await expect.poll(() => phone.getByTestId('my-progress').textContent()).toMatch(/Opgeslagen/);

    await laptop.getByTestId('vote-3-2').click();
    await laptop.getByTestId('comment-3').fill(HOSTILE);
    await laptop.getByTestId('comment-3').blur();
    await expect.poll(() => laptop.getByTestId('my-progress').textContent()).toMatch(/Opgeslagen/);
  });

  it('after the reveal everyone sees the comments of a factor as text, sorted, without names', async () => {
    await facilitator.getByTestId('phase-reveal').click();
    for (const page of [phone, laptop, facilitator]) {
      const list = page.locator('[data-testid="factor-comments"][data-factor="3"] [data-testid="comment"]');
      await expect.poll(() => list.allTextContents()).toEqual([HOSTILE, 'Trekkers haken af na de zomer']);
      expect(await page.locator('[data-testid="factor-comments"] img').count()).toBe(0);
      const box = await page.locator('[data-testid="factor-comments"][data-factor="3"]').textContent();
      expect(box).not.toMatch(/Fenna|Gijs/);
    }
    // Readable on the phone without sideways scrolling.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  });

  it('the facilitator hides a comment from the room', async () => {
    const hide = facilitator.locator('[data-testid="factor-comments"][data-factor="3"]').getByTestId('comment-hide').first();
    await hide.click();
    for (const page of [phone, laptop]) {
      await expect
        .poll(() => page.locator('[data-testid="factor-comments"][data-factor="3"] [data-testid="comment"]').allTextContents())
        .toEqual(['Trekkers haken af na de zomer']);
    }
    expect(await phone.getByTestId('comment-hide').count()).toBe(0);
  });
});
