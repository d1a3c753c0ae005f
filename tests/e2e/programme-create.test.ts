/**
 * A programme view created from the landing page (no screen made one before: only `POST /api/organisations`): on a
 * 360 px phone, the folded form opens with the keyboard, the name is sent with Enter, and the browser lands on the
 * new programme's page with its key kept out of the address bar, the notice to keep the link, the link for another
 * device and the invitation of a first community. Both pages pass axe and do not scroll sideways.
 */
import { describe, expect, it } from 'vitest';
import { browserAvailability } from '../helpers/browser';
import { axeViolations, PHONE, textOf, useE2E } from '../helpers/e2e';
import { api } from '../helpers/server';
import { screenshot } from '../helpers/e2e-accounts';
import { nl } from '../../src/lib/i18n/nl';
import { LIMITS } from '../../src/lib/protocol';

const availability = browserAvailability();
const NAME = 'Greenport West-Holland innovatiepact';

describe.skipIf(!availability.run)(
  availability.run ? 'creating a programme view from the landing page (browser)' : `programme creation skipped: ${availability.reason}`,
  () => {
    const e2e = useE2E();

    it('a phone creates a programme view from the landing page and lands on it, its key kept but not shown', async () => {
      // A phone in Lisbon: the programme counts its quarters in the creator's time zone.
      const phone = await e2e.newPage({ ...PHONE, timezoneId: 'Europe/Lisbon' });
      await phone.goto(e2e.url);
      // Folded: the landing page stays about sessions and communities until it is opened.
      expect(await phone.getByTestId('organisation-name').isVisible()).toBe(false);
      await phone.getByTestId('organisation-create-open').locator('summary').focus();
      await phone.keyboard.press('Enter');
      await phone.getByTestId('organisation-name').waitFor();
      expect(await phone.getByTestId('create-organisation').isDisabled()).toBe(true);
      await screenshot(phone, 'programme-create-landing-360');
      expect(await axeViolations(phone)).toEqual([]);

      // A name past the limit is cut by the field, and the field says so (a paste of 200 characters).
      await phone.getByTestId('organisation-name').fill('Innovatiepact '.repeat(15));
      expect(await phone.getByTestId('organisation-name').inputValue()).toHaveLength(LIMITS.titleMax);
      expect(await textOf(phone, 'organisation-name-full')).toBe(nl.landing.fieldFull(LIMITS.titleMax));
      await phone.getByTestId('organisation-name').fill(NAME);
      expect(await textOf(phone, 'organisation-name-full')).toBe('');
      await phone.getByTestId('organisation-name').press('Enter');
      await phone.waitForURL(/\/o\/[0-9a-f-]{36}/);
      await expect.poll(() => textOf(phone, 'programme-name')).toBe(NAME);
      const id = new URL(phone.url()).pathname.split('/')[2];
      // The key leaves the address bar; the page says to keep the link and offers it for another device.
      await expect.poll(() => phone.url()).toBe(`${e2e.url}/o/${id}`);
      expect(await phone.getByText(nl.programme.keepLink).isVisible()).toBe(true);
      const href = (await phone.getByTestId('organisation-device-link').getAttribute('href')) ?? '';
      const token = href.split('#token=')[1] ?? '';
      expect(token).toMatch(/^[A-Za-z0-9_-]{16,128}$/);
      expect(await phone.locator('body').innerText()).not.toContain(token);
      // A new programme has no community yet, and its key holder invites the first one.
      await phone.getByTestId('programme-empty').waitFor();
      await phone.getByTestId('share-invite-create').click();
      await phone.getByTestId('share-invite-link').waitFor();
      await screenshot(phone, 'programme-created-360');
      // Its cards stand apart, those drawn by its components too (two touched).
      const gaps = await phone
        .locator('.container > section')
        .evaluateAll((cards) => cards.slice(1).map((card, i) => card.getBoundingClientRect().top - cards[i].getBoundingClientRect().bottom));
      expect(gaps.length).toBeGreaterThan(2);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(16);
      expect(await phone.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(360);
      expect(await axeViolations(phone)).toEqual([]);

      // The server stored what the page showed: the programme, in the phone's time zone, readable with the key.
      const view = await api<{ organisation: { name: string; timeZone: string } }>(e2e.url, `/api/organisations/${id}/portfolio.json`, {
        headers: { authorization: `Bearer ${token}` }
      });
      expect(view.status).toBe(200);
      expect(view.body.organisation.name).toBe(NAME);
      expect(view.body.organisation.timeZone).toBe('Europe/Lisbon');
    });
  }
);
