/**
 * The database briefly away while people work: the server refuses each write with "try again in a moment"
 * (`store_unavailable`, nothing changed), and the page keeps what the person did and sends it again by itself
 * once the database is back, for an answer and for an action point with what was typed into it. Before, the page
 * dropped both at that refusal: the answer and the point were gone though the person had seen them on screen.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserAvailability } from '../helpers/browser';
import { connectFacilitator, type BoardClient } from '../helpers/clients';
import { joinByLink, useE2E } from '../helpers/e2e';
import { FaultyStore } from '../helpers/faulty-store';
import { createSession } from '../helpers/server';
import { advance } from '../helpers/session';

const availability = browserAvailability();

describe.skipIf(!availability.run)(availability.run ? 'store outage (browser)' : `store outage (browser): skipped, ${availability.reason}`, () => {
  let faulty!: FaultyStore;
  const e2e = useE2E({ wrapStore: (store) => (faulty = new FaultyStore(store)) });
  let facilitator: BoardClient;
  let session: { code: string; facilitatorToken: string };
  let page: Page;

  it('an answer given while the database is away is stored once it is back, without the person doing anything', async () => {
    session = await createSession(e2e.url);
    facilitator = await connectFacilitator(e2e.url, session.code, session.facilitatorToken);
    page = await e2e.newPage();
    await joinByLink(page, e2e.url, session.code, 'Fenna');
    await advance(facilitator, 'voting');
    await page.getByTestId('vote-1-4').waitFor();

    faulty.failWrites(Infinity, ['saveAnswer']);
    await page.getByTestId('vote-1-4').click();
    await expect.poll(() => faulty.failed.includes('saveAnswer'), { message: 'the server refused the answer' }).toBe(true);
    // Kept on the page as waiting, with no error asking the person to do it again.
    await expect.poll(() => page.getByTestId('vote-1-4').isChecked()).toBe(true);
    expect(await page.getByTestId('saved-state').textContent()).toMatch(/Opslaan…|Saving…/);

    faulty.heal();
    await facilitator.waitForEvent('progress', (progress) => progress.perFactor[0] === 1);
    await expect.poll(() => page.getByTestId('saved-state').textContent()).toMatch(/Opgeslagen|Saved/);
  });

  it('an action point made while the database is away is kept with its text and created once it is back', async () => {
    // A scripted client closes when its test ends: the facilitator connects again.
    facilitator = await connectFacilitator(e2e.url, session.code, session.facilitatorToken);
    await advance(facilitator, 'revealed', 'actions');
    await page.getByTestId('action-add-3').waitFor();

    faulty.failWrites(Infinity, ['saveActionPoints']);
    await page.getByTestId('action-add-3').click();
    await expect.poll(() => faulty.failed.includes('saveActionPoints'), { message: 'the server refused the point' }).toBe(true);
    // Typed into the waiting point meanwhile: it goes with the point when the point is made.
    const text = page.locator('[data-testid="action-item"][data-factor="3"]').getByTestId('action-text');
    await text.fill('Op de agenda van volgende keer');

    faulty.heal();
    const created = await facilitator.waitForEvent('actions', (changed) => changed.some((point) => point.factor === 3));
    expect(created.filter((point) => point.factor === 3)).toHaveLength(1);
    // What the server holds, as a page loaded afresh shows it.
    await page.reload();
    await expect.poll(() => text.inputValue()).toBe('Op de agenda van volgende keer');
    expect(await page.locator('[data-testid="action-item"][data-factor="3"]').count()).toBe(1);
  });
});
