/**
 * The presenter screen on a 1920×1080 projector, opened from the presenter link
 * in a browser that has never seen the session, follows a whole workshop:
 * join instructions, countdown, the revealed heatmap and attention list, the
 * factor the facilitator opens (with its comments), the shift since the round
 * before, and the action board sorted by dots. In every view no text is smaller
 * than a room can read from the back; screenshots of each view are kept in
 * test-results/ to be looked at.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { CreateSessionResponse } from '../../src/lib/protocol';
import { browserAvailability } from '../helpers/browser';
import { DESKTOP, textOf, useE2E } from '../helpers/e2e';
import { REPO_ROOT, joinSession, postJson } from '../helpers/server';
import { connectFacilitator, connectParticipant } from '../helpers/clients';
import { castBallot } from '../helpers/session';
import { addPoint } from '../helpers/board';

const availability = browserAvailability();
const PROJECTOR = { viewport: { width: 1920, height: 1080 } };
/** Body text on the projector (CSS px at 1920×1080), and chart labels inside the scaled heatmap. */
const MIN_TEXT_PX = 24;
const MIN_CHART_PX = 18;

/** The smallest rendered text on the page: HTML by computed font size, SVG text by font size × the drawing's scale. */
async function smallestText(page: Page): Promise<{ html: { px: number; text: string }; chart: { px: number; text: string } }> {
  return page.evaluate(() => {
    const html = { px: Infinity, text: '' };
    const chart = { px: Infinity, text: '' };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent?.trim() ?? '';
      const element = node.parentElement;
      if (!text || !element || element.closest('title, style, script, .visually-hidden, [hidden], [aria-hidden="true"]')) continue;
      const box = element.getBoundingClientRect();
      // Nothing seen: empty boxes and the 1 px boxes of screen-reader-only text (e.g. the route announcer).
      if (box.width <= 1 || box.height <= 1) continue;
      const svg = element.closest('svg');
      if (svg) {
        const scale = svg.getBoundingClientRect().width / (svg.viewBox.baseVal?.width || svg.getBoundingClientRect().width);
        const px = parseFloat(getComputedStyle(element).fontSize) * scale;
        if (px < chart.px) Object.assign(chart, { px, text });
      } else {
        const px = parseFloat(getComputedStyle(element).fontSize);
        if (px < html.px) Object.assign(html, { px, text: `${text} <${element.tagName} ${element.className} in ${element.parentElement?.tagName}>` });
      }
    }
    return { html, chart };
  });
}

async function expectLegible(page: Page, view: string): Promise<void> {
  await page.screenshot({ path: path.join(REPO_ROOT, 'test-results', `presenter-${view}.png`) });
  const { html, chart } = await smallestText(page);
  expect(html.px, `${view}: "${html.text}" is ${html.px}px`).toBeGreaterThanOrEqual(MIN_TEXT_PX);
  if (chart.px !== Infinity) expect(chart.px, `${view}: chart label "${chart.text}" is ${chart.px.toFixed(1)}px`).toBeGreaterThanOrEqual(MIN_CHART_PX);
}

const ballot = (i: number) =>
  Object.fromEntries(Array.from({ length: 12 }, (_, f) => [f + 1, f === 11 ? 'unknown' : ((((i * 3 + f) % 5) + 1) as 1 | 2 | 3 | 4 | 5)])) as Record<
    number,
    1 | 2 | 3 | 4 | 5 | 'unknown'
  >;

describe.skipIf(!availability.run)(availability.run ? 'presenter screen (1920×1080)' : `presenter screen skipped: ${availability.reason}`, () => {
  const e2e = useE2E();

  // One story in one test: the socket.io clients of the test helpers live as long as a test.
  it('follows the workshop from the lobby to the action board, legible in every view', async () => {
    const created = (await postJson<CreateSessionResponse>(e2e.url, '/api/sessions', { title: 'Greenport LC', language: 'en' })).body;
    const screen = await e2e.newPage(PROJECTOR);
    await screen.goto(created.presenterUrl);
    await expect.poll(() => textOf(screen, 'screen-code')).toBe(created.code.replace(/^(...)(...)$/, '$1 $2'));
    await expectLegible(screen, 'lobby');

    const facilitator = await connectFacilitator(e2e.url, created.code, created.facilitatorToken);
    const people = await Promise.all(
      ['Ann', 'Bas', 'Cor', 'Dee'].map(async (name) => {
        const joined = await joinSession(e2e.url, created.code, { name });
        return connectParticipant(e2e.url, created.code, joined.participantToken);
      })
    );
    expect((await facilitator.send('phase:set', { phase: 'voting', countdownSeconds: 300 })).ok).toBe(true);
    await expect.poll(() => screen.getByTestId('presenter-countdown').textContent()).toMatch(/[45]:\d\d/);
    await expectLegible(screen, 'voting');

    // After the reveal shows the heatmap and attention list, and follows the factor the facilitator opens.
    await Promise.all(people.map((p, i) => castBallot(p, ballot(i), i < 2 ? `Comment from person ${i + 1}` : undefined)));
    expect((await facilitator.send('phase:set', { phase: 'revealed' })).ok).toBe(true);
    await screen.getByTestId('presenter-results').waitFor();
    await expect.poll(() => screen.getByTestId('heatmap-cell').count()).toBeGreaterThan(0);
    await expectLegible(screen, 'revealed');

    // The facilitator opens a factor on their laptop; the projector shows it large, with the room's comments.
    const facilitatorPage = await e2e.newPage(DESKTOP);
    await facilitatorPage.goto(created.facilitateUrl);
    const first = facilitatorPage.getByTestId('attention-item').first();
    const factor = Number(await first.getAttribute('data-factor'));
    await first.getByRole('button').first().click();
    await expect.poll(() => screen.getByTestId('presenter-factor').getAttribute('data-factor')).toBe(String(factor));
    await expect
      .poll(() => screen.getByTestId('presenter-comments').locator('li').allTextContents())
      .toEqual(['Comment from person 1', 'Comment from person 2']);
    await expectLegible(screen, 'factor');
    // Closing it brings the overview back.
    await facilitatorPage.keyboard.press('Escape');
    await screen.getByTestId('presenter-results').waitFor();

    // Shows what moved since the round before.
    expect((await facilitator.send('phase:set', { phase: 'voting' })).ok).toBe(true);
    await Promise.all(people.map((p, i) => castBallot(p, ballot(i + 1))));
    expect((await facilitator.send('phase:set', { phase: 'revealed' })).ok).toBe(true);
    await screen.getByTestId('presenter-shift').waitFor();
    await expectLegible(screen, 'shift');

    // In the action phase shows the action board sorted by dots.
    expect((await facilitator.send('phase:set', { phase: 'actions' })).ok).toBe(true);
    const quiet = await addPoint(people[0], 3, 'Quarterly site visits');
    const popular = await addPoint(people[1], 5, 'A shared roadmap for 2027');
    for (const p of people.slice(0, 3)) expect((await p.send('dot:cast', { actionId: popular, delta: 1 })).ok).toBe(true);
    expect((await people[3].send('dot:cast', { actionId: quiet, delta: 1 })).ok).toBe(true);
    const items = screen.getByTestId('presenter-action');
    await expect
      .poll(() => items.evaluateAll((els) => els.map((el) => [el.getAttribute('data-id'), el.getAttribute('data-dots')])))
      .toEqual([
        [popular, '3'],
        [quiet, '1']
      ]);
    await expect.poll(() => items.first().textContent()).toContain('A shared roadmap for 2027');
    await expectLegible(screen, 'actions');
  });

  it('shows the names arriving in the lobby of a named session', async () => {
    const created = (await postJson<CreateSessionResponse>(e2e.url, '/api/sessions', { title: 'Named', language: 'en', anonymous: false })).body;
    const screen = await e2e.newPage(PROJECTOR);
    await screen.goto(created.presenterUrl);
    await screen.getByTestId('screen-code').waitFor();
    for (const name of ['Ann', 'Bas', 'Ann']) await joinSession(e2e.url, created.code, { name });
    await expect.poll(() => screen.getByTestId('presenter-arrival').allTextContents()).toEqual(['Ann', 'Bas', 'Ann (2)']);
    await expectLegible(screen, 'arrivals');
  });

  it('says so when the presenter link names a session that does not exist (any more)', async () => {
    const screen = await e2e.newPage(PROJECTOR);
    await screen.goto(`${e2e.url}/s/ZZZZZZ/screen#key=${'k'.repeat(43)}`);
    await expect.poll(() => screen.getByRole('alert').textContent()).toBeTruthy();
    expect(await screen.getByTestId('screen-code').count()).toBe(0);
  });
});
