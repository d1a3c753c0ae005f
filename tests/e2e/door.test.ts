/**
 * The facilitator controls the door, in a real browser (issue 20): locking joins shows a newcomer
 * a clear message (also one whose form was already open), selected participants are removed
 * together after a confirmation with their number, and all of it works on a 360 px phone, by
 * keyboard too. Screenshots of the lobby with the new controls go to test-results/.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserAvailability } from '../helpers/browser';
import {
  answerConfirm,
  axeViolations,
  confirmByHand,
  createSessionFromLanding,
  expectParticipantCount,
  fillJoinForm,
  PHONE,
  textOf,
  useE2E,
  keepShot
} from '../helpers/e2e';
import { createSession, joinSession, REPO_ROOT } from '../helpers/server';
import { nl } from '../../src/lib/i18n/nl';

const availability = browserAvailability();
const SHOTS = path.join(REPO_ROOT, 'test-results');

/** Ticks the participant-select boxes of the named people. */
async function tick(page: Page, names: string[]): Promise<void> {
  for (const name of names) await page.getByTestId('participant').filter({ hasText: name }).getByTestId('participant-select').check();
}

const names = (page: Page) => page.getByTestId('participant').locator('.name').allTextContents();

describe.skipIf(!availability.run)(availability.run ? 'the door (browser)' : `the door (browser) skipped: ${availability.reason}`, () => {
  const e2e = useE2E();
  let facilitator: Page;
  let early: Page;
  let code = '';

  it('a facilitator locks the door; a newcomer whose form was open and one who arrives later both read that the session is closed to new participants', async () => {
    facilitator = await e2e.newPage({ viewport: { width: 1366, height: 768 } });
    await confirmByHand(facilitator);
    code = await createSessionFromLanding(facilitator, e2e.url);
    for (const name of ['Ann', 'Puppet one', 'Puppet two']) await joinSession(e2e.url, code, { name });
    await expectParticipantCount(facilitator, 3);

    early = await e2e.newPage(PHONE);
    await early.goto(`${e2e.url}/s/${code}`);
    await early.getByTestId('participant-name').fill('Early');

    const lock = facilitator.getByTestId('lock-joins');
    expect(await lock.getAttribute('aria-pressed')).toBe('false');
    await lock.click();
    await expect.poll(() => lock.getAttribute('aria-pressed')).toBe('true');
    await facilitator.getByTestId('joins-locked-note').waitFor();

    // The form was on screen before the lock: submitting it is refused with the clear message, not a generic error.
    await early.getByTestId('join-session').click();
    await expect.poll(() => textOf(early, 'joins-locked')).toBe(nl.join.locked);

    const late = await e2e.newPage(PHONE);
    await late.goto(`${e2e.url}/s/${code}`);
    await expect.poll(() => textOf(late, 'joins-locked')).toBe(nl.join.locked);
    expect(await late.getByTestId('participant-name').count()).toBe(0);
    await fs.mkdir(SHOTS, { recursive: true });
    await keepShot(late, { path: path.join(SHOTS, 'door-join-locked-360.png'), fullPage: true });
    await expectParticipantCount(facilitator, 3);
  });

  it('the facilitator selects two participants and removes them after a confirmation that names their number', async () => {
    const remove = facilitator.getByTestId('remove-selected');
    expect(await remove.isDisabled()).toBe(true);
    await tick(facilitator, ['Puppet one', 'Puppet two']);
    await expect.poll(() => remove.textContent()).toContain(nl.facilitate.removeSelected(2));
    await keepShot(facilitator, { path: path.join(SHOTS, 'door-facilitator-1366x768.png'), fullPage: true });
    expect(await axeViolations(facilitator)).toEqual([]);

    await remove.click();
    expect(await answerConfirm(facilitator)).toBe(nl.facilitate.confirmRemoveSelected(2));
    await expectParticipantCount(facilitator, 1);
    expect(await names(facilitator)).toEqual(['Ann']);
    await expect.poll(() => textOf(facilitator, 'remove-notice')).toBe(nl.facilitate.removedSome(2));
    expect(await remove.isDisabled()).toBe(true);
  });

  it('unlocking lets the newcomer in after "try again"', async () => {
    await facilitator.getByTestId('lock-joins').click();
    await expect.poll(() => facilitator.getByTestId('lock-joins').getAttribute('aria-pressed')).toBe('false');
    await early.getByTestId('join-check-again').click();
    await fillJoinForm(early, 'Early');
    await expectParticipantCount(facilitator, 2);
  });

  it('on a 360 px phone: lock, select everyone by keyboard, remove them; nothing is wider than the screen', async () => {
    const created = await createSession(e2e.url);
    for (let i = 1; i <= 12; i++) await joinSession(e2e.url, created.code, { name: `Bot ${i} with a rather long display name` });
    const phone = await e2e.newPage({ ...PHONE, viewport: { width: 360, height: 740 } });
    await phone.goto(created.facilitateUrl);
    await confirmByHand(phone);
    await expectParticipantCount(phone, 12);

    await phone.getByTestId('lock-joins').tap();
    await expect.poll(() => phone.getByTestId('lock-joins').getAttribute('aria-pressed')).toBe('true');
    // "Select everyone" by keyboard: focus it and press Space.
    await phone.getByTestId('select-all').focus();
    await phone.keyboard.press('Space');
    await expect.poll(() => phone.getByTestId('participant-select').evaluateAll((boxes) => boxes.every((b) => (b as HTMLInputElement).checked))).toBe(true);
    await expect.poll(() => phone.getByTestId('remove-selected').textContent()).toContain(nl.facilitate.removeSelected(12));
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await keepShot(phone, { path: path.join(SHOTS, 'door-facilitator-360x740.png'), fullPage: true });

    // Unticking one by keyboard leaves eleven.
    await phone.getByTestId('participant-select').first().focus();
    await phone.keyboard.press('Space');
    await expect.poll(() => phone.getByTestId('remove-selected').textContent()).toContain(nl.facilitate.removeSelected(11));
    // Asked in the app's own dialog, in the page's language, the focus on "cancel": Escape takes nothing back.
    await phone.getByTestId('remove-selected').tap();
    const asked = phone.locator('dialog[open][data-testid="confirm-dialog"]');
    await asked.waitFor();
    expect(await asked.getByTestId('confirm-message').textContent()).toBe(nl.facilitate.confirmRemoveSelected(11));
    expect(await asked.getByTestId('confirm-accept').textContent()).toBe(nl.app.confirmYes);
    await expect.poll(() => phone.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('confirm-cancel');
    expect(await axeViolations(phone)).toEqual([]);
    await keepShot(phone, { path: path.join(SHOTS, 'door-confirm-360x740.png') });
    await phone.keyboard.press('Escape');
    await asked.waitFor({ state: 'detached' });
    expect(await phone.getByTestId('participant').count()).toBe(12);
    // Asked again, and answered yes.
    await phone.getByTestId('remove-selected').tap();
    expect(await answerConfirm(phone)).toBe(nl.facilitate.confirmRemoveSelected(11));
    await expectParticipantCount(phone, 1);

    const refused = await fetch(`${e2e.url}/api/sessions/${created.code}/participants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'One more bot' })
    });
    expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([403, 'joins_locked']);
  });
});
