/**
 * Phones (360×740, touch): scoring one factor per screen (auto-advance after a
 * tapped score, back to change one, arrow keys and comments do not move on,
 * answers kept over a reload), and results readable at 360 px after the reveal
 * (no sideways scrolling; every factor's mean, consensus, distribution and
 * badges inside the screen). Screenshots of both pages go to a temp directory
 * (its path is printed) to be looked at.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import type { Answer } from '../../src/lib/protocol';
import { browserAvailability } from '../helpers/browser';
import {
  FACTORS,
  axeViolations,
  checkedAnswers,
  createSessionFromLanding,
  expectParticipantCount,
  joinByLink,
  PHONE_360,
  useE2E,
  vote,
  keepShot,
  type ScriptedPerson
} from '../helpers/e2e';

const availability = browserAvailability();
const WIDTH = 360;

// Three voters (k = 3 in anonymous sessions). Factor 1 weak, 4 weak and divergent,
// 5 divergent, 12 unclear (two of three "don't know").
const FIRST_PASS: Answer[] = [2, 4, 3, 1, 3, 4, 3, 2, 4, 3, 5, 'unknown'];
const FENNA: Answer[] = [2, 4, 3, 1, 5, 4, 3, 2, 4, 3, 5, 'unknown'];
const OTHERS: Answer[][] = [
  [2, 4, 3, 5, 1, 4, 3, 2, 4, 3, 5, 'unknown'],
  [1, 4, 3, 1, 5, 4, 3, 2, 4, 3, 5, 3]
];

/** The factor the phone's voting strip shows, as its position indicator says. */
const position = (page: Page) => page.getByTestId('vote-position').getAttribute('data-factor');

/** The horizontal extent of an element on the screen. */
async function span(locator: Locator): Promise<{ left: number; right: number; width: number }> {
  const box = await locator.evaluate((el) => el.getBoundingClientRect().toJSON() as DOMRect);
  return { left: box.left, right: box.right, width: box.width };
}

/** Whether the element lies within the screen's width (after scrolling it vertically into view). */
async function insideScreen(locator: Locator): Promise<boolean> {
  const { left, right, width } = await span(locator);
  return width > 0 && left >= 0 && right <= WIDTH;
}

/** The whole page as screen-sized pieces (a 12,000 px tall image is unreadable when looked at). */
async function screens(page: Page, stem: string): Promise<void> {
  const height = await page.evaluate(() => document.scrollingElement!.scrollHeight);
  for (let y = 0, i = 1; y < height && i <= 20; y += 740, i++) {
    await keepShot(page, {
      path: `${stem}-${String(i).padStart(2, '0')}.png`,
      fullPage: true,
      clip: { x: 0, y, width: WIDTH, height: Math.min(740, height - y) }
    });
  }
}

describe.skipIf(!availability.run)(availability.run ? 'phones (browser, 360 px)' : `phones (browser) skipped: ${availability.reason}`, () => {
  const e2e = useE2E();
  let facilitator: Page;
  let phone: Page;
  // The other two voters make up the figures (k = 3); their screens are not looked at, so they are scripted clients.
  const others: ScriptedPerson[] = [];
  let shots = '';

  it('scores all 12 factors one per screen: each tapped score moves on to the next factor', async () => {
    shots = await fs.mkdtemp(path.join(os.tmpdir(), 'phones-shots-'));
    console.log(`[phones] screenshots in ${shots}`);
    facilitator = await e2e.newPage();
    const code = await createSessionFromLanding(facilitator, e2e.url);
    phone = await e2e.newPage(PHONE_360);
    await joinByLink(phone, e2e.url, code, 'Fenna');
    for (const name of ['Gijs', 'Hanna']) others.push(await e2e.scriptedPerson(code, name));
    await expectParticipantCount(facilitator, 3);
    await facilitator.getByTestId('phase-voting').click();
    await phone.getByTestId('vote-1-1').waitFor();
    expect(await position(phone)).toBe('1');
    await keepShot(phone, { path: path.join(shots, 'voting-360.png') });

    for (const [i, answer] of FIRST_PASS.entries()) {
      const n = i + 1;
      // The factor is on screen without anyone scrolling: the previous score moved the strip on.
      await expect.poll(() => position(phone)).toBe(String(n));
      await expect.poll(() => insideScreen(phone.getByTestId(`vote-${n}-${answer}`))).toBe(true);
      expect(await insideScreen(phone.getByTestId(`vote-${n === 12 ? 11 : n + 1}-1`)), 'only one factor on screen').toBe(false);
      await phone.getByTestId(`vote-${n}-${answer}`).tap();
      await expect.poll(() => phone.getByTestId(`vote-${n}-${answer}`).isChecked()).toBe(true);
      if (n === 6) await keepShot(phone, { path: path.join(shots, 'voting-360-factor-6.png') });
    }
    await expect.poll(() => phone.getByTestId('my-progress').getAttribute('data-answered')).toBe('12');
    // The last factor has no next one: the strip stays.
    expect(await position(phone)).toBe('12');
    expect(await phone.getByTestId('vote-position').getAttribute('data-advancing')).toBe('false');
    expect(await phone.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(WIDTH);
  });

  it('goes back to change one; arrow keys and typing a comment do not move on', async () => {
    // Back by the numbered jump list, change factor 5, and the strip moves on to 6.
    await phone.getByTestId('vote-jump-5').tap();
    await expect.poll(() => position(phone)).toBe('5');
    expect(await phone.getByTestId('vote-jump-5').getAttribute('aria-current')).toBe('step');
    await phone.getByTestId('vote-5-4').tap();
    await expect.poll(() => phone.getByTestId('vote-5-4').isChecked()).toBe(true);
    await expect.poll(() => position(phone)).toBe('6');
    // Back with "Previous".
    await phone.getByTestId('vote-prev').tap();
    await expect.poll(() => position(phone)).toBe('5');
    // Arrow keys browse the options (each one a saved choice) and stay on the factor.
    await phone.getByTestId('vote-5-4').focus();
    await phone.keyboard.press('ArrowRight');
    await expect.poll(() => phone.getByTestId('vote-5-5').isChecked()).toBe(true);
    await expect.poll(() => phone.getByTestId('my-progress').textContent()).toMatch(/Opgeslagen/);
    expect(await phone.getByTestId('vote-position').getAttribute('data-advancing')).toBe('false');
    expect(await position(phone)).toBe('5');
    expect(await phone.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid)).toBe('vote-5-5');
    // A comment on a scored factor: typing it keeps the factor on screen.
    await phone.getByTestId('vote-jump-7').tap();
    await expect.poll(() => position(phone)).toBe('7');
    await expect.poll(() => insideScreen(phone.getByTestId('comment-7'))).toBe(true);
    await phone.getByTestId('comment-7').fill('Resultaten delen we pas aan het eind');
    await expect.poll(() => phone.getByTestId('my-progress').textContent()).toMatch(/Opgeslagen/);
    expect(await phone.getByTestId('vote-position').getAttribute('data-advancing')).toBe('false');
    expect(await position(phone)).toBe('7');

    await phone.reload();
    await phone.getByTestId('vote-1-1').waitFor();
    await expect.poll(() => checkedAnswers(phone)).toEqual(FENNA.map(String));
    expect(await phone.getByTestId('comment-7').inputValue()).toBe('Resultaten delen we pas aan het eind');
    // Every factor answered: it opens on the first one.
    expect(await position(phone)).toBe('1');
  });

  it('after the reveal, every result fits the 360 px screen: nothing hidden sideways', async () => {
    // The other two vote over their sockets.
    await Promise.all(others.map((person, i) => person.vote(OTHERS[i])));
    await expect.poll(() => facilitator.getByTestId('progress').getAttribute('data-voted')).toBe('3');
    await facilitator.getByTestId('phase-reveal').click();

    await phone.getByTestId('heatmap').waitFor();
    await expect.poll(() => phone.getByTestId('factor-stats').count()).toBe(12);
    expect(await phone.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(WIDTH);
    expect(await insideScreen(phone.getByTestId('heatmap')), 'the heatmap fits').toBe(true);
    for (const cell of await phone.getByTestId('heatmap-cell').all()) expect(await insideScreen(cell), 'every heatmap cell on screen').toBe(true);

    for (const n of FACTORS) {
      const card = phone.locator(`[data-testid="factor-stats"][data-factor="${n}"]`);
      await card.scrollIntoViewIfNeeded();
      expect(await insideScreen(card), `factor ${n} summary`).toBe(true);
      for (const part of ['summary-title', 'summary-mean', 'summary-consensus', 'summary-distribution']) {
        const element = card.getByTestId(part);
        expect(await element.isVisible(), `${part} of factor ${n} shown`).toBe(true);
        expect(await insideScreen(element), `${part} of factor ${n} inside the screen`).toBe(true);
      }
      // The full name: wrapped, never cut off.
      const title = card.getByTestId('summary-title');
      expect(await title.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
      expect((await title.textContent())?.trim()).not.toMatch(/…$/);
      for (const badge of await card.getByTestId('factor-badge').all()) {
        expect(await badge.isVisible()).toBe(true);
        expect(await insideScreen(badge), `badge of factor ${n} inside the screen`).toBe(true);
      }
    }
    const kinds = (n: number) =>
      phone
        .locator(`[data-testid="factor-stats"][data-factor="${n}"] [data-testid="factor-badge"]`)
        .evaluateAll((els) => els.map((el) => el.getAttribute('data-kind')));
    expect(await kinds(1)).toEqual(['weak']);
    expect(await kinds(4)).toEqual(['weak', 'divergent']);
    expect(await kinds(5)).toEqual(['divergent']);
    expect(await kinds(12)).toEqual(['unclear']);
    expect(await kinds(2)).toEqual([]);
    // The same figures as the contract's data attributes (factor 2: 4, 4, 4).
    const two = phone.locator('[data-testid="factor-stats"][data-factor="2"]');
    expect(await two.getAttribute('data-n')).toBe('3');
    expect(await two.getAttribute('data-mean')).toBe('4');
    expect(await two.getAttribute('data-consensus')).toBe('1');
    // The laptop keeps the wide table.
    expect(await facilitator.locator('[data-testid="factor-stats"][data-factor="2"]').evaluate((el) => el.tagName)).toBe('TR');

    // The comment is reachable from the factor's summary.
    await phone.locator('[data-testid="factor-stats"][data-factor="7"]').getByTestId('summary-open').tap();
    await expect.poll(() => phone.locator('dialog[open]').textContent()).toContain('Resultaten delen we pas aan het eind');
    await keepShot(phone, { path: path.join(shots, 'results-360-factor-7.png') });
    await phone.keyboard.press('Escape');
    await phone.locator('dialog[open]').waitFor({ state: 'detached' });

    await screens(phone, path.join(shots, 'results-360'));
  });

  it('a second round: the shift from round 1, and every other table, stacked within the 360 px screen', async () => {
    await facilitator.getByTestId('phase-voting').click();
    await phone.getByTestId('vote-1-1').waitFor();
    await expect.poll(() => phone.getByTestId('my-progress').getAttribute('data-answered')).toBe('0');
    await Promise.all([vote(phone, OTHERS[1], { tap: true }), ...others.map((person, i) => person.vote(OTHERS[i]))]);
    await expect.poll(() => facilitator.getByTestId('progress').getAttribute('data-voted')).toBe('3');
    await facilitator.getByTestId('phase-reveal').click();
    await phone.getByTestId('heatmap').waitFor();
    await expect.poll(() => phone.locator('details summary').count()).toBeGreaterThanOrEqual(2);

    // Open every fold (the shift between rounds, the groups) and look at every cell.
    const closed = phone.locator('details:not([open]) > summary');
    for (let i = 0; i < 10 && (await closed.count()) > 0; i++) await closed.first().tap();
    expect(await closed.count()).toBe(0);
    await expect.poll(() => phone.locator('table').count()).toBeGreaterThanOrEqual(2);
    expect(await phone.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(WIDTH);
    const cells = await phone.locator('table td, table tbody th').all();
    expect(cells.length).toBeGreaterThanOrEqual(12 * 5);
    for (const cell of cells) expect(await insideScreen(cell), `${await cell.textContent()} inside the screen`).toBe(true);
    // Each figure keeps its column's name beside it (factor 1 went from 1.67 to 1.33 in the mean).
    const shift = phone.locator('tr[data-factor="1"]');
    expect(
      await shift
        .locator('td')
        .first()
        .evaluate((el) => getComputedStyle(el, '::before').content)
    ).toContain('Gemiddelde');
    expect(await shift.textContent()).toMatch(/[−-]0,33/);
    await screens(phone, path.join(shots, 'round-2-360'));
    // Stacked tables and the summary keep axe-core content (no serious or critical violation).
    expect(await axeViolations(phone)).toEqual([]);

    // In English too: the summary's words follow the language switch.
    await phone.getByRole('button', { name: 'English' }).tap();
    await expect.poll(() => phone.getByTestId('summary-mean').first().textContent()).toContain('Mean');
    expect(await phone.getByTestId('summary-open').first().textContent()).toMatch(/^Details/);
    await phone.evaluate(() => window.scrollTo(0, 0));
    await phone.getByTestId('heatmap').scrollIntoViewIfNeeded();
    await keepShot(phone, { path: path.join(shots, 'results-360-en.png') });
  });
});
