/**
 * Stages follow the phase (DESIGN.md, third round): on every role's screen — a
 * 360×740 phone, a 1366×768 laptop and a 1920×1080 projector-sized screen — the
 * stage the facilitator just opened is in the viewport without scrolling, even
 * when the person had scrolled far down the previous stage. The participant
 * lands on the action board when actions open; the facilitator keeps the phase
 * buttons in a sticky bar; the presenter leaves the results when the session
 * closes. The other stage is one tab away (keyboard too). Screenshots of the
 * stages of every screen go to test-results/stages/ to be looked at.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BrowserContextOptions, Page } from 'playwright-core';
import type { CreateSessionResponse, Phase } from '../../src/lib/protocol';
import { browserAvailability } from '../helpers/browser';
import { fillJoinForm, useE2E, keepShot } from '../helpers/e2e';
import { REPO_ROOT, joinSession, postJson } from '../helpers/server';
import { PATIENCE_MS, connectFacilitator, connectParticipant, type BoardClient } from '../helpers/clients';
import { castBallot } from '../helpers/session';
import { scaled } from '../helpers/patience';

const availability = browserAvailability();
const SHOTS = path.join(REPO_ROOT, 'test-results', 'stages');
const SCREENS: Record<string, BrowserContextOptions> = {
  '360x740': { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true },
  '1366x768': { viewport: { width: 1366, height: 768 } },
  '1920x1080': { viewport: { width: 1920, height: 1080 } }
};
type Role = 'participant' | 'facilitator' | 'presenter';

/** What each role's screen must show in the viewport once a phase opens. */
const TARGET: Record<Role, Partial<Record<Phase, string>>> = {
  participant: { voting: 'vote-1-1', revealed: 'heatmap', actions: 'action-board', closed: 'action-board' },
  facilitator: { voting: 'progress', revealed: 'heatmap', actions: 'action-board', closed: 'action-board' },
  presenter: { voting: 'presenter-progress', revealed: 'heatmap', actions: 'presenter-board', closed: 'presenter-ended' }
};

/**
 * Whether the element is shown and its top lies on the screen, below a sticky bar,
 * with (at least the first 80 px of) it visible — what a person sees without scrolling.
 */
async function inViewport(page: Page, testId: string): Promise<string> {
  return page.evaluate((id) => {
    const el = [...document.querySelectorAll<HTMLElement | SVGElement>(`[data-testid="${id}"]`)].find((e) => e.checkVisibility());
    if (!el) return 'not shown';
    const box = el.getBoundingClientRect();
    const bar = document.querySelector('[data-sticky-bar]');
    const covered = bar ? Math.max(0, bar.getBoundingClientRect().bottom) : 0;
    const ok = box.height > 0 && box.top >= covered - 1 && box.top <= innerHeight - Math.min(box.height, 80);
    return ok ? 'in view' : `top ${Math.round(box.top)} px (sticky bar to ${Math.round(covered)}, screen ${innerHeight}, scrolled ${Math.round(scrollY)})`;
  }, testId);
}

/** The person has read on: each page is scrolled as far down as it goes. */
const scrollToEnd = (page: Page) => page.evaluate(() => window.scrollTo(0, document.scrollingElement!.scrollHeight));

const ballot = (i: number) =>
  Object.fromEntries(Array.from({ length: 12 }, (_, f) => [f + 1, (((i + f) % 5) + 1) as 1 | 2 | 3 | 4 | 5])) as Record<number, 1 | 2 | 3 | 4 | 5>;

describe.skipIf(!availability.run)(availability.run ? 'stages (browser)' : `stages skipped: ${availability.reason}`, () => {
  // One server and browser connection for the file's three stories (each has a session of its own): a server start and
  // teardown per story was work that checked nothing.
  const e2e = useE2E();

  describe('stages follow the phase', () => {
    it('every role at 360, 1366 and 1920 px sees the stage just opened, from voting to the close', { timeout: scaled(300_000) }, async () => {
      await fs.mkdir(SHOTS, { recursive: true });
      const created = (await postJson<CreateSessionResponse>(e2e.url, '/api/sessions', { title: 'Greenport werksessie', language: 'nl' })).body;
      const facilitator = await connectFacilitator(e2e.url, created.code, created.facilitatorToken);
      const screens: { role: Role; size: string; page: Page }[] = [];
      for (const [size, options] of Object.entries(SCREENS)) {
        const participant = await e2e.newPage(options);
        await participant.goto(`${e2e.url}/s/${created.code}`);
        await fillJoinForm(participant, `Deelnemer ${size}`);
        const host = await e2e.newPage(options);
        await host.goto(created.facilitateUrl);
        await host.getByTestId('phase-voting').waitFor();
        const presenter = await e2e.newPage(options);
        await presenter.goto(created.presenterUrl);
        await presenter.getByTestId('screen-code').waitFor();
        screens.push({ role: 'participant', size, page: participant }, { role: 'facilitator', size, page: host }, { role: 'presenter', size, page: presenter });
      }
      // Three more voters over sockets, so every round is revealed (k = 3 in an anonymous session).
      const voters: BoardClient[] = [];
      for (const name of ['Ann', 'Bas', 'Cor']) {
        const joined = await joinSession(e2e.url, created.code, { name });
        voters.push(await connectParticipant(e2e.url, created.code, joined.participantToken));
      }

      const phone = screens.find((s) => s.role === 'participant' && s.size === '360x740')!.page;
      const steps: Phase[] = ['voting', 'revealed', 'voting', 'revealed', 'actions', 'closed'];
      for (const [step, phase] of steps.entries()) {
        await Promise.all(screens.map(({ page }) => scrollToEnd(page)));
        if (phase === 'revealed') await Promise.all(voters.map((v, i) => castBallot(v, ballot(i + step))));
        const ack = await facilitator.send('phase:set', { phase });
        expect(ack.ok, `phase ${phase}`).toBe(true);
        for (const { role, size, page } of screens) {
          const target = TARGET[role][phase]!;
          await expect
            .poll(() => inViewport(page, target), { timeout: scaled(PATIENCE_MS), message: `${role} at ${size}: ${target} after ${phase}` })
            .toBe('in view');
        }
        for (const { role, size, page } of screens) await keepShot(page, { path: path.join(SHOTS, `${role}-${size}-${step + 1}-${phase}.png`) });
      }
      // A screen reader hears where the page went.
      await expect.poll(() => phone.getByTestId('stage-announcement').textContent()).toContain('Actiepunten');
      // Nine pages left open would go on drawing beside the next stories.
      await Promise.all(screens.map(({ page }) => page.context().close()));
    });
  });

  describe('stage tabs', () => {
    it('the results are one tab away from the action board, by keyboard too', { timeout: scaled(180_000) }, async () => {
      const created = (await postJson<CreateSessionResponse>(e2e.url, '/api/sessions', { title: 'Tabs', language: 'en' })).body;
      const facilitator = await connectFacilitator(e2e.url, created.code, created.facilitatorToken);
      const laptop = await e2e.newPage(SCREENS['1366x768']);
      await laptop.goto(`${e2e.url}/s/${created.code}`);
      await fillJoinForm(laptop, 'Dee');
      const voters: BoardClient[] = [];
      for (const name of ['Ann', 'Bas', 'Cor'])
        voters.push(await connectParticipant(e2e.url, created.code, (await joinSession(e2e.url, created.code, { name })).participantToken));
      expect((await facilitator.send('phase:set', { phase: 'voting' })).ok).toBe(true);
      await Promise.all(voters.map((v, i) => castBallot(v, ballot(i))));
      // Focus on an answer that the reveal takes away: it moves to the new stage, and a live region says which.
      await laptop.getByTestId('vote-1-3').focus();
      expect((await facilitator.send('phase:set', { phase: 'revealed' })).ok).toBe(true);
      await laptop.getByTestId('heatmap').waitFor();
      await expect.poll(() => laptop.evaluate(() => document.activeElement?.getAttribute('data-testid')), { timeout: scaled(PATIENCE_MS) }).toBe('stage');
      expect(await laptop.getByTestId('stage').getAttribute('data-stage')).toBe('results');
      expect(await laptop.getByTestId('stage-announcement').textContent()).toBe('Now: Results');
      expect((await facilitator.send('phase:set', { phase: 'actions' })).ok).toBe(true);
      const actionsTab = laptop.getByRole('tab', { name: 'Action points' });
      const resultsTab = laptop.getByRole('tab', { name: 'Results' });
      await expect.poll(() => actionsTab.getAttribute('aria-selected'), { timeout: scaled(PATIENCE_MS) }).toBe('true');
      expect(await laptop.getByTestId('action-board').isVisible()).toBe(true);
      expect(await laptop.getByTestId('heatmap').isVisible()).toBe(false);
      // Arrow keys move between the tabs (the tab pattern: the selected tab is the only tab stop).
      await actionsTab.focus();
      await laptop.keyboard.press('ArrowRight');
      await expect.poll(() => resultsTab.getAttribute('aria-selected')).toBe('true');
      expect(await laptop.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('stage-tab-results');
      await expect.poll(() => laptop.getByTestId('heatmap').isVisible()).toBe(true);
      expect(await laptop.getByTestId('action-board').isVisible()).toBe(false);
      expect(await resultsTab.getAttribute('tabindex')).toBe('0');
      expect(await actionsTab.getAttribute('tabindex')).toBe('-1');
      // "+ action" from the attention list brings the board back, with the new point on it.
      await laptop.getByTestId('attention-item').first().waitFor();
      await laptop.locator('[data-testid^="attention-add-"]').first().click();
      await expect.poll(() => actionsTab.getAttribute('aria-selected')).toBe('true');
      await laptop.getByTestId('action-item').first().waitFor();
      await laptop.context().close();
    });
  });

  describe('a stage that arrives late', () => {
    it(
      'on a slow connection the results arrive seconds after the reveal, and both phones still land on the heatmap',
      { timeout: scaled(120_000) },
      async () => {
        const created = (await postJson<CreateSessionResponse>(e2e.url, '/api/sessions', { title: 'Traag netwerk', language: 'nl' })).body;
        const facilitator = await connectFacilitator(e2e.url, created.code, created.facilitatorToken);
        const phone = await e2e.newPage(SCREENS['360x740']);
        await phone.goto(`${e2e.url}/s/${created.code}`);
        await fillJoinForm(phone, 'Dee');
        const host = await e2e.newPage(SCREENS['360x740']);
        await host.goto(created.facilitateUrl);
        await host.getByTestId('phase-voting').waitFor();
        const voters: BoardClient[] = [];
        for (const name of ['Ann', 'Bas', 'Cor'])
          voters.push(await connectParticipant(e2e.url, created.code, (await joinSession(e2e.url, created.code, { name })).participantToken));
        // From now on the app's code arrives 8 s late, as on a slow phone network: what the pages fetch from here on (the
        // results stage, fetched ahead while people vote) comes after the reveal.
        let delayed = 0;
        for (const page of [phone, host])
          await page.route('**/_app/immutable/**', async (route) => {
            delayed++;
            await new Promise((resolve) => setTimeout(resolve, 8_000));
            await route.continue();
          });
        expect((await facilitator.send('phase:set', { phase: 'voting' })).ok).toBe(true);
        await phone.getByTestId('vote-1-1').waitFor();
        await Promise.all(voters.map((v, i) => castBallot(v, ballot(i))));
        await Promise.all([phone, host].map(scrollToEnd));
        expect((await facilitator.send('phase:set', { phase: 'revealed' })).ok).toBe(true);
        for (const page of [phone, host]) await page.getByTestId('heatmap').waitFor({ timeout: scaled(30_000) });
        expect(delayed, 'the results stage came over the slow connection').toBeGreaterThan(1);
        for (const page of [phone, host]) await expect.poll(() => inViewport(page, 'heatmap'), { timeout: scaled(PATIENCE_MS) }).toBe('in view');
      }
    );
  });
});
