/**
 * The lobby in a real browser: a facilitator creates a session, one person joins
 * by typing the code, another through the join link; reloads keep identities;
 * the language switch changes the interface.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserAvailability } from '../helpers/browser';
import { createSessionFromLanding, expectParticipantCount, fillJoinForm, textOf, useE2E } from '../helpers/e2e';
import { en } from '../../src/lib/i18n/en';
import { nl } from '../../src/lib/i18n/nl';

const require = createRequire(import.meta.url);
const availability = browserAvailability();

describe.skipIf(!availability.run)(availability.run ? 'lobby (browser)' : `lobby (browser) skipped: ${availability.reason}`, () => {
  const e2e = useE2E();
  let facilitator: Page;
  let ann: Page;
  let bob: Page;
  let code = '';
  let joinLink = '';

  it('a facilitator creates a session and sees its code, QR code and join link', async () => {
    facilitator = await e2e.newPage();
    code = await createSessionFromLanding(facilitator, e2e.url);
    expect(facilitator.url()).toBe(`${e2e.url}/s/${code}/facilitate`);
    await expectParticipantCount(facilitator, 0);

    // The QR image is served and decoded by the browser.
    const qr = facilitator.locator(`img[src="/api/sessions/${code}/qr.svg"]`);
    await qr.waitFor();
    await facilitator.waitForFunction((img) => img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0, await qr.elementHandle());
    const response = await fetch(`${e2e.url}/api/sessions/${code}/qr.svg`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('image/svg+xml');
    expect(await response.text()).toContain('<svg');

    // The join link shown to the room names the code.
    const link = facilitator.locator('.link a');
    expect(await link.textContent()).toContain(code);
    joinLink = (await link.getAttribute('href')) ?? '';
    expect(joinLink).toBe(`${e2e.url}/s/${code}`);

    // What a phone camera reads from the QR code is the join link: draw the image on a
    // canvas in the page and decode it with jsQR (a QR reader independent of the encoder).
    await facilitator.evaluate(fs.readFileSync(require.resolve('jsqr/dist/jsQR.js'), 'utf8'));
    const decoded = await qr.evaluate((img: HTMLImageElement) => {
      const canvas = document.createElement('canvas');
      canvas.width = 440;
      canvas.height = 440;
      const context = canvas.getContext('2d')!;
      context.fillStyle = '#fff';
      context.fillRect(0, 0, 440, 440);
      context.drawImage(img, 0, 0, 440, 440);
      const pixels = context.getImageData(0, 0, 440, 440);
      const reader = (window as unknown as { jsQR: (d: Uint8ClampedArray, w: number, h: number) => { data: string } | null }).jsQR;
      return reader(pixels.data, pixels.width, pixels.height)?.data ?? null;
    });
    expect(decoded).toBe(joinLink);
  });

  it('one person joins by typing the code in lower case with a space, another through the link', async () => {
    ann = await e2e.newPage();
    await ann.goto(e2e.url);
    await ann.getByTestId('join-code').fill(`${code.slice(0, 3)} ${code.slice(3)}`.toLowerCase());
    await ann.getByTestId('join-submit').click();
    await ann.waitForURL(`${e2e.url}/s/${code}`);
    await fillJoinForm(ann, 'Ann', 1);
    await expect.poll(() => ann.locator('main').textContent()).toContain(nl.lobby.waiting);
    await expectParticipantCount(facilitator, 1);

    bob = await e2e.newPage();
    await bob.goto(joinLink);
    await fillJoinForm(bob, 'Bob', 2);
    await expectParticipantCount(facilitator, 2);
    await expect.poll(() => facilitator.getByTestId('participant').allTextContents()).toEqual([expect.stringContaining('Ann'), expect.stringContaining('Bob')]);
  });

  it('a reload keeps the same person: no new join form, the count stays 2', async () => {
    const before = await ann.evaluate((c) => localStorage.getItem(`seeds:participant:${c}`), code);
    expect(before).toBeTruthy();
    await ann.reload();
    await expect.poll(() => ann.locator('main').textContent()).toContain(nl.lobby.waiting);
    expect(await ann.getByTestId('participant-name').count()).toBe(0);
    expect(await ann.locator('main strong').first().textContent()).toBe('Ann');
    expect(await ann.evaluate((c) => localStorage.getItem(`seeds:participant:${c}`), code)).toBe(before);

    // The facilitator sees Ann back online, still two people.
    await expect
      .poll(() => facilitator.getByTestId('participant').evaluateAll((items) => items.map((li) => li.getAttribute('data-connected'))))
      .toEqual(['true', 'true']);
    expect(await textOf(facilitator, 'participant-count')).toBe('2');

    // And the facilitator page survives a reload too (the token is kept in this browser).
    await facilitator.reload();
    await expectParticipantCount(facilitator, 2);
    expect(await textOf(facilitator, 'session-code')).toBe(code);
  });

  it('switching the language to English changes the texts and <html lang>', async () => {
    expect(await bob.evaluate(() => document.documentElement.lang)).toBe('nl');
    expect(await bob.locator('main').textContent()).toContain(nl.lobby.waiting);
    await bob.getByRole('button', { name: nl.app.switchTo }).click();
    await expect.poll(() => bob.evaluate(() => document.documentElement.lang)).toBe('en');
    const main = (await bob.locator('main').textContent()) ?? '';
    expect(main).toContain(en.lobby.waiting);
    expect(main).toContain(en.lobby.participants(2));
    expect(main).not.toContain(nl.lobby.waiting);
    expect(await bob.getByRole('button', { name: en.app.switchTo }).count()).toBe(1);

    // The choice is remembered on this device, and it is Bob's alone.
    await bob.reload();
    await expect.poll(() => bob.locator('main').textContent()).toContain(en.lobby.waiting);
    expect(await bob.evaluate(() => document.documentElement.lang)).toBe('en');
    expect(await ann.evaluate(() => document.documentElement.lang)).toBe('nl');
  });
});
