/**
 * A whole workshop in a real browser, once in Dutch and once in English: a
 * facilitator and five participants (two on phones, one of them in dark mode)
 * go from creating the session to the export. Along the way: no sideways
 * scrolling at 360 px, touch targets of at least 44 px, and no serious or
 * critical axe-core findings on the landing, join, voting, results and action pages.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserAvailability } from '../helpers/browser';
import { DESKTOP, FACTORS, PHONE, axeViolations, createSessionFromLanding, expectParticipantCount, fillJoinForm, textOf, useE2E, vote } from '../helpers/e2e';
import type { ExportJson } from '../../src/lib/domain/export';
import { en } from '../../src/lib/i18n/en';
import { nl } from '../../src/lib/i18n/nl';
import type { Answer } from '../../src/lib/protocol';

const availability = browserAvailability();

interface Person {
  name: string;
  phone: boolean;
  page: Page;
}
const PEOPLE = [
  { name: 'Ana', phone: false, dark: false },
  { name: 'Bas', phone: false, dark: false },
  { name: 'Chen', phone: false, dark: false },
  { name: 'Dewi', phone: true, dark: false },
  { name: 'Eli', phone: true, dark: true }
];
/** Person i's answer to factor n: a spread of scores with some "don't know". */
const answerOf = (i: number, n: number): Answer => {
  const v = (n + 2 * i) % 6;
  return v === 0 ? 'unknown' : (v as Answer);
};

/** Fails with the list of findings, so the report says what to fix. */
async function expectAccessible(page: Page, where: string): Promise<void> {
  expect(await axeViolations(page), `axe on ${where}`).toEqual([]);
}

/** No sideways scrolling on a 360 px wide phone. */
async function expectNoHorizontalScroll(page: Page, where: string): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth), `scroll width of ${where}`).toBeLessThanOrEqual(360);
}

describe.skipIf(!availability.run)(availability.run ? 'workshop (browser)' : `workshop (browser) skipped: ${availability.reason}`, () => {
  const e2e = useE2E();

  describe.each([
    { language: 'nl' as const, t: nl },
    { language: 'en' as const, t: en }
  ])('in $language', ({ language, t }) => {
    let facilitator: Page;
    let code = '';
    const people: Person[] = [];
    const everyone = () => [facilitator, ...people.map((p) => p.page)];
    const phones = () => people.filter((p) => p.phone);

    it('the facilitator creates the session in the chosen language and five people join', async () => {
      facilitator = await e2e.newPage(DESKTOP);
      await facilitator.goto(e2e.url);
      if (language === 'en') {
        await facilitator.getByRole('button', { name: nl.app.switchTo }).click();
        await expect.poll(() => facilitator.evaluate(() => document.documentElement.lang)).toBe('en');
      }
      await expectAccessible(facilitator, 'the landing page');
      code = await createSessionFromLanding(facilitator, e2e.url, language);

      for (const [i, person] of PEOPLE.entries()) {
        const page = await e2e.newPage(person.phone ? { ...PHONE, colorScheme: person.dark ? 'dark' : 'light' } : DESKTOP);
        people.push({ name: person.name, phone: person.phone, page });
        if (i === 0 || i === 3) {
          // By typing the code on the landing page.
          await page.goto(e2e.url);
          if (person.phone) await expectNoHorizontalScroll(page, 'the landing page');
          await page.getByTestId('join-code').fill(code.toLowerCase());
          await page.getByTestId('join-submit').click();
        } else {
          await page.goto(`${e2e.url}/s/${code}`);
        }
        await page.getByTestId('participant-name').waitFor();
        expect(await page.evaluate(() => document.documentElement.lang)).toBe(language);
        expect(await page.locator('h1').textContent()).toBe(t.join.title);
        // An anonymous session says so, with its k, in the session's language (docs/privacy.md).
        expect((await page.getByTestId('privacy-promise').textContent())?.trim()).toBe(t.join.anonymousNote(3));
        if (person.phone) await expectNoHorizontalScroll(page, 'the join page');
        if (i === 0 || i === 4) await expectAccessible(page, `the join page (${person.name})`);
        // Three share a stakeholder group, so the group breakdown has something to show.
        await fillJoinForm(page, person.name, i < 3 ? 1 : i - 1);
      }
      await expectParticipantCount(facilitator, 5);
      await expectAccessible(facilitator, 'the lobby (facilitator)');
    });

    it('everyone scores all 12 factors, phones by touch', async () => {
      await facilitator.getByTestId('phase-voting').click();
      for (const { page } of people) await page.getByTestId('vote-12-unknown').waitFor();
      expect((await people[0].page.getByTestId('privacy-promise').textContent())?.trim()).toBe(t.vote.secretAnonymous(3));

      for (const { page, name } of phones()) {
        await expectNoHorizontalScroll(page, `the voting page (${name})`);
        const boxes = await page.getByTestId(/^vote-\d+-/).evaluateAll((inputs) => inputs.map((input) => input.getBoundingClientRect()));
        expect(boxes).toHaveLength(72);
        expect(Math.min(...boxes.map((b) => b.height)), 'height of the smallest vote option').toBeGreaterThanOrEqual(44);
        expect(Math.min(...boxes.map((b) => b.width)), 'width of the smallest vote option').toBeGreaterThanOrEqual(44);
      }

      await Promise.all(
        people.map(({ page, phone }, i) =>
          vote(
            page,
            FACTORS.map((n) => answerOf(i, n)),
            { tap: phone }
          )
        )
      );
      for (const { page } of people) await expect.poll(() => page.getByTestId('my-progress').getAttribute('data-answered')).toBe('12');
      await expect.poll(() => facilitator.getByTestId('progress').getAttribute('data-voted')).toBe('5');
      expect(await facilitator.getByTestId('progress').getAttribute('data-total')).toBe('5');

      await expectAccessible(facilitator, 'the voting progress (facilitator)');
      await expectAccessible(people[0].page, 'the voting page (desktop)');
      await expectAccessible(people[4].page, 'the voting page (phone, dark)');
      for (const { page, name } of phones()) await expectNoHorizontalScroll(page, `the voting page when done (${name})`);
    });

    it('the reveal shows the results on every page', async () => {
      await facilitator.getByTestId('phase-reveal').click();
      for (const page of everyone()) {
        await page.getByTestId('heatmap').waitFor();
        await expect.poll(() => page.getByTestId('factor-stats').count()).toBe(12);
        await expect
          .poll(() => page.locator('[data-testid="factor-stats"][data-factor="1"]').getAttribute('data-n'))
          .toBe(String(PEOPLE.filter((_, i) => answerOf(i, 1) !== 'unknown').length));
      }
      await expectAccessible(facilitator, 'the results page (facilitator)');
      await expectAccessible(people[1].page, 'the results page (desktop)');
      await expectAccessible(people[3].page, 'the results page (phone)');
      for (const { page, name } of phones()) await expectNoHorizontalScroll(page, `the results page (${name})`);
    });

    it('the group drafts and dot-votes action points, then the session closes and exports', async () => {
      await facilitator.getByTestId('phase-actions').click();
      const [ana, bas] = people;
      const [dewi, eli] = phones();
      for (const { page } of people) await page.getByTestId('action-add-1').waitFor();

      const text = language === 'nl' ? 'Elk kwartaal een werkbezoek plannen' : 'Plan a site visit every quarter';
      await ana.page.getByTestId('action-add-1').click();
      const item = (page: Page) => page.locator('[data-testid="action-item"][data-factor="1"]').first();
      await item(ana.page).getByTestId('action-text').fill(text);
      await expect.poll(() => item(dewi.page).getByTestId('action-text').inputValue()).toBe(text);
      await item(dewi.page).getByTestId('action-owner').fill(dewi.name);
      await item(dewi.page).getByTestId('action-owner').press('Tab');
      await item(dewi.page).getByTestId('action-due').fill('2027-03-01');
      for (const page of [ana.page, bas.page, eli.page]) await item(page).getByTestId('action-vote').click();
      for (const page of everyone()) {
        await expect.poll(() => item(page).getByTestId('action-votes').textContent()).toBe('3');
        await expect.poll(() => item(page).getByTestId('action-owner').inputValue()).toBe(dewi.name);
      }

      await expectAccessible(facilitator, 'the action page (facilitator)');
      await expectAccessible(bas.page, 'the action page (desktop)');
      await expectAccessible(eli.page, 'the action page (phone, dark)');
      for (const { page, name } of phones()) await expectNoHorizontalScroll(page, `the action page (${name})`);

      await facilitator.getByTestId('phase-close').click();
      for (const { page } of people) await expect.poll(() => page.locator('main').textContent()).toContain(t.closed.title);
      expect(await item(ana.page).getByTestId('action-text').isDisabled()).toBe(true);
      // The join link after the close, on a phone that never joined (a newcomer's run): it says the session is closed,
      // in the session's language, and offers no form.
      const late = await e2e.newPage(PHONE);
      await late.goto(`${e2e.url}/s/${code}`);
      await expect.poll(() => late.getByRole('alert').textContent()).toBe(t.landing.closedCode);
      expect(await late.getByTestId('participant-name').count()).toBe(0);
      await expectNoHorizontalScroll(late, 'the join page of a closed session');

      const token = await facilitator.evaluate((c) => localStorage.getItem(`seeds:facilitator:${c}`), code);
      const headers = { authorization: `Bearer ${token}` };
      const json = (await (await fetch(`${e2e.url}/api/sessions/${code}/export.json`, { headers })).json()) as ExportJson;
      expect(json.session).toMatchObject({ code, language, phase: 'closed' });
      expect(json.participants).toBe(5);
      expect(json.factors.map((f) => f.n + f.unknown)).toEqual(FACTORS.map(() => 5));
      expect(json.actions).toEqual([{ factor: 1, text, owner: dewi.name, due: '2027-03-01', status: 'open', votes: 3 }]);
      const md = await (await fetch(`${e2e.url}/api/sessions/${code}/export.md`, { headers })).text();
      expect(md).toContain(language === 'nl' ? '## Actiepunten' : '## Action points');
      expect(md).toContain(dewi.name);
      expect(await textOf(facilitator, 'session-code')).toBe(code);
    });
  });
});
