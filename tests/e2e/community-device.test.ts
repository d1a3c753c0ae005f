/**
 * A community's link for another device: created on a laptop, the community page
 * offers its secret link (key in the fragment, written on screen without it), a
 * copy button and a QR code behind a click; opened in a fresh browser (a second
 * device, a 360 px phone) it shows the community as to its owner; the page's
 * address, bookmarked, opens the community again after a reload and in yet
 * another fresh browser. A browser without the key says where to find the link.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserAvailability } from '../helpers/browser';
import { axeViolations, DESKTOP, PHONE, textOf, useE2E } from '../helpers/e2e';
import { nl } from '../../src/lib/i18n/nl';

const availability = browserAvailability();
const NAME = 'Greenport Glastuinbouw LC';

describe.skipIf(!availability.run)(
  availability.run ? 'community link for another device (browser)' : `community device link skipped: ${availability.reason}`,
  () => {
    const e2e = useE2E();
    let laptop: Page;
    let deviceUrl = '';
    let communityId = '';

    it('the community page offers its link for another device, the key never written on screen', async () => {
      laptop = await e2e.newPage(DESKTOP);
      await laptop.goto(e2e.url);
      await laptop.getByTestId('community-name').fill(NAME);
      await laptop.getByTestId('create-community').click();
      await laptop.waitForURL(/\/c\/[0-9a-f-]{36}#token=/);
      communityId = new URL(laptop.url()).pathname.split('/')[2];
      await expect.poll(() => textOf(laptop, 'community-name-heading')).toBe(NAME);
      // Just created: the page points at the link.
      expect(await textOf(laptop, 'community-keep-link')).toBe(nl.community.keepLink);

      const link = laptop.getByTestId('community-device-link');
      expect(await link.isVisible()).toBe(true);
      deviceUrl = (await link.getAttribute('href')) ?? '';
      const token = deviceUrl.split('#token=')[1] ?? '';
      expect(token).toMatch(/^[A-Za-z0-9_-]{16,128}$/);
      expect(deviceUrl).toBe(`${e2e.url}/c/${communityId}#token=${token}`);
      expect(await laptop.locator('main, body').first().innerText()).not.toContain(token);

      // The QR code only after a click; keyboard reaches it.
      expect(await laptop.getByTestId('community-device-qr').count()).toBe(0);
      await laptop.getByTestId('community-device-qr-show').focus();
      await laptop.keyboard.press('Enter');
      await laptop.getByTestId('community-device-qr').waitFor();
      expect(await laptop.getByTestId('community-device-qr').getAttribute('src')).toMatch(/^data:image\/png;base64,/);
      expect(await axeViolations(laptop)).toEqual([]);
    });

    it('opened in a fresh browser (a phone), the device link shows the community as to its owner', async () => {
      const phone = await e2e.newPage(PHONE);
      await phone.goto(deviceUrl);
      await expect.poll(() => textOf(phone, 'community-name-heading')).toBe(NAME);
      expect(await phone.getByTestId('community-new-session').isEnabled()).toBe(true);
      expect(await phone.getByTestId('community-device-link').getAttribute('href')).toBe(deviceUrl);
      // Nothing wider than the 360 px phone.
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      expect(await axeViolations(phone)).toEqual([]);
    });

    it('the page address works as a bookmark: after a reload, and in yet another fresh browser', async () => {
      const bookmark = laptop.url();
      expect(bookmark).toBe(deviceUrl);
      await laptop.reload();
      await expect.poll(() => textOf(laptop, 'community-name-heading')).toBe(NAME);
      expect(laptop.url()).toBe(deviceUrl);
      // A revisit is not a new link: no "keep this link" notice.
      expect(await laptop.getByTestId('community-keep-link').count()).toBe(0);

      const other = await e2e.newPage(DESKTOP);
      await other.goto(bookmark);
      await expect.poll(() => textOf(other, 'community-name-heading')).toBe(NAME);

      // An address without the key, in a browser that kept it, gets the key back (so bookmarking it then works).
      await other.goto(`${e2e.url}/c/${communityId}`);
      await expect.poll(() => textOf(other, 'community-name-heading')).toBe(NAME);
      await expect.poll(() => other.url()).toBe(deviceUrl);
    });

    it('a browser without the key says where the link is found', async () => {
      const stranger = await e2e.newPage(DESKTOP);
      await stranger.goto(`${e2e.url}/c/${communityId}`);
      await expect.poll(() => stranger.getByRole('alert').first().textContent()).toBe(nl.community.noToken);
    });
  }
);
