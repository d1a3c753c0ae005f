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
import { DESKTOP, textOf, useE2E, keepShot } from '../helpers/e2e';
import { REPO_ROOT, joinSession, postJson } from '../helpers/server';
import { connectFacilitator, connectParticipant } from '../helpers/clients';
import { castBallot } from '../helpers/session';
import { addPoint } from '../helpers/board';
import { PATIENCE_MS } from '../helpers/clients';
import { scaled } from '../helpers/patience';

const availability = browserAvailability();
const PROJECTOR = { viewport: { width: 1920, height: 1080 } };
const SMALL_PROJECTOR = { width: 1280, height: 720 };
/** Nothing smaller than this on the projector (CSS px at 1920×1080): body text, and chart labels inside the scaled heatmap. */
const MIN_TEXT_PX = 28;
const MIN_CHART_PX = 28;

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

/** Every text on the screen (and the heatmap) lies inside the viewport: a projector cannot scroll. Answers what does not. */
async function cutOff(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const inside = (box: DOMRect) => box.top >= -1 && box.left >= -1 && box.bottom <= innerHeight + 1 && box.right <= innerWidth + 1;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent?.trim() ?? '';
      const element = node.parentElement;
      if (!text || !element || element.closest('title, style, script, .visually-hidden, [hidden], [aria-hidden="true"]')) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const box = range.getBoundingClientRect();
      if (box.width <= 1 || box.height <= 1) continue;
      if (!inside(box)) out.push(`"${text.slice(0, 40)}" at ${Math.round(box.left)},${Math.round(box.top)}–${Math.round(box.right)},${Math.round(box.bottom)}`);
    }
    const map = document.querySelector('[data-testid="heatmap"]');
    if (map && !inside(map.getBoundingClientRect())) out.push('the heatmap');
    return out;
  });
}

/** Goes through every page of a paged view (arrow key), calling `visit` on each; answers the number of pages. */
async function everyPage(page: Page, visit: (n: number) => Promise<void>): Promise<number> {
  const indicator = page.getByTestId('presenter-page');
  const pages = (await indicator.count()) > 0 ? Number(await indicator.getAttribute('data-pages')) : 1;
  for (let i = 0; i < pages; i++) {
    const at = (await indicator.count()) > 0 ? await indicator.getAttribute('data-page') : '1';
    await visit(Number(at));
    if (pages > 1) {
      await page.keyboard.press('ArrowRight');
      await expect.poll(() => indicator.getAttribute('data-page'), { timeout: scaled(PATIENCE_MS) }).not.toBe(at);
    }
  }
  return pages;
}

const settled = (page: Page) => page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));

/** The same view on a smaller projector (1280×720), every page of it: nothing cut off; screenshots kept to be looked at. */
async function atSmallProjector(page: Page, view: string): Promise<void> {
  await page.setViewportSize(SMALL_PROJECTOR);
  await settled(page);
  await everyPage(page, async (n) => {
    await keepShot(page, { path: path.join(REPO_ROOT, 'test-results', `presenter-${view}-page${n}-1280x720.png`) });
    expect(await cutOff(page), `${view} at 1280×720, page ${n}`).toEqual([]);
  });
  await page.setViewportSize(PROJECTOR.viewport);
  await settled(page);
}

async function expectLegible(page: Page, view: string): Promise<void> {
  await settled(page);
  await keepShot(page, { path: path.join(REPO_ROOT, 'test-results', `presenter-${view}.png`) });
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
  for (const language of ['en', 'nl'] as const) {
    it(`follows the workshop from the lobby to the action board, legible in every view (${language})`, { timeout: scaled(300_000) }, async () => {
      const created = (await postJson<CreateSessionResponse>(e2e.url, '/api/sessions', { title: 'Greenport LC', language })).body;
      const screen = await e2e.newPage(PROJECTOR);
      await screen.goto(created.presenterUrl);
      await expect.poll(() => textOf(screen, 'screen-code')).toBe(created.code.replace(/^(...)(...)$/, '$1 $2'));
      await expectLegible(screen, `${language}-lobby`);
      await atSmallProjector(screen, `${language}-lobby`);

      const facilitator = await connectFacilitator(e2e.url, created.code, created.facilitatorToken);
      const people = await Promise.all(
        ['Ann', 'Bas', 'Cor', 'Dee'].map(async (name) => {
          const joined = await joinSession(e2e.url, created.code, { name });
          return connectParticipant(e2e.url, created.code, joined.participantToken);
        })
      );
      expect((await facilitator.send('phase:set', { phase: 'voting', countdownSeconds: 300 })).ok).toBe(true);
      await expect.poll(() => screen.getByTestId('presenter-countdown').textContent()).toMatch(/[45]:\d\d/);
      await expectLegible(screen, `${language}-voting`);
      await atSmallProjector(screen, `${language}-voting`);

      // After the reveal shows the heatmap and attention list, and follows the factor the facilitator opens.
      await Promise.all(people.map((p, i) => castBallot(p, ballot(i), i < 2 ? `Comment from person ${i + 1}` : undefined)));
      expect((await facilitator.send('phase:set', { phase: 'revealed' })).ok).toBe(true);
      await screen.getByTestId('presenter-results').waitFor();
      await expect.poll(() => screen.getByTestId('heatmap-cell').count()).toBeGreaterThan(0);
      await everyPage(screen, async (n) => {
        await expectLegible(screen, `${language}-revealed-page${n}`);
        expect(await cutOff(screen), `revealed, page ${n}`).toEqual([]);
      });
      await atSmallProjector(screen, `${language}-revealed`);

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
      // Findings, tips and comments do not fit one screen: they turn pages, and nothing on any page is cut off.
      await everyPage(screen, async (n) => {
        await expectLegible(screen, `${language}-factor-page${n}`);
        expect(await cutOff(screen), `factor, page ${n}`).toEqual([]);
      });
      await atSmallProjector(screen, `${language}-factor`);
      // Closing it brings the overview back.
      await facilitatorPage.keyboard.press('Escape');
      await screen.getByTestId('presenter-results').waitFor();

      // Shows what moved since the round before.
      expect((await facilitator.send('phase:set', { phase: 'voting' })).ok).toBe(true);
      await Promise.all(people.map((p, i) => castBallot(p, ballot(i + 1))));
      expect((await facilitator.send('phase:set', { phase: 'revealed' })).ok).toBe(true);
      // Round 2 is paged (heatmap, attention, shift): every page is legible and nothing on it is cut off.
      await screen.getByTestId('presenter-page').waitFor();
      const kinds = new Set<string>();
      await everyPage(screen, async (n) => {
        kinds.add((await screen.getByTestId('presenter-results').getAttribute('data-page-kind')) ?? '');
        await expectLegible(screen, `${language}-round2-page${n}`);
        expect(await cutOff(screen), `round 2, page ${n}`).toEqual([]);
      });
      expect([...kinds].sort()).toEqual(['attention', 'heatmap', 'shift']);
      await atSmallProjector(screen, `${language}-round2`);

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
      await expectLegible(screen, `${language}-actions`);

      // Many long action points: they turn pages ("page 2 of 3"), and every one is whole on some page.
      const long = (i: number) =>
        `Point ${i}: a working group of growers, the municipality and the research station meets every quarter to review the pilot greenhouse results and plan next steps`;
      const ids = [popular, quiet];
      // Made at once (the board orders them by dots, not by arrival), not ten round trips one after another.
      const points = Array.from({ length: 10 }, (_, k) => k + 3);
      ids.push(...(await Promise.all(points.map((i) => addPoint(people[i % people.length], ((i - 1) % 12) + 1, long(i))))));
      await expect.poll(() => screen.getByTestId('presenter-board').getAttribute('data-points'), { timeout: scaled(PATIENCE_MS) }).toBe('12');
      await expect.poll(() => screen.getByTestId('presenter-page').getAttribute('data-pages'), { timeout: scaled(PATIENCE_MS) }).not.toBe(null);
      expect(Number(await screen.getByTestId('presenter-page').getAttribute('data-pages'))).toBeGreaterThan(1);
      expect(await textOf(screen, 'presenter-page')).toMatch(language === 'nl' ? /Pagina \d+ van \d+/ : /Page \d+ of \d+/);
      const seen = new Set<string>();
      await everyPage(screen, async (n) => {
        await expect.poll(async () => (await items.first().textContent()) ?? '').not.toBe('');
        expect(await cutOff(screen), `actions, page ${n}`).toEqual([]);
        for (const id of await items.evaluateAll((els) => els.map((el) => el.getAttribute('data-id')!))) seen.add(id);
        await expectLegible(screen, `${language}-actions-page${n}`);
      });
      expect([...seen].sort()).toEqual([...ids].sort());
      await atSmallProjector(screen, `${language}-actions`);
    });
  }

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

  it('leaves the results at once when the session is deleted', async () => {
    const created = (await postJson<CreateSessionResponse>(e2e.url, '/api/sessions', { title: 'Deleted', language: 'nl' })).body;
    const screen = await e2e.newPage(PROJECTOR);
    await screen.goto(created.presenterUrl);
    await screen.getByTestId('screen-code').waitFor();
    const facilitator = await connectFacilitator(e2e.url, created.code, created.facilitatorToken);
    const people = await Promise.all(
      ['Ann', 'Bas', 'Cor'].map(async (name) =>
        connectParticipant(e2e.url, created.code, (await joinSession(e2e.url, created.code, { name })).participantToken)
      )
    );
    expect((await facilitator.send('phase:set', { phase: 'voting' })).ok).toBe(true);
    await Promise.all(people.map((p, i) => castBallot(p, ballot(i))));
    expect((await facilitator.send('phase:set', { phase: 'revealed' })).ok).toBe(true);
    await screen.getByTestId('heatmap').waitFor();

    const deleted = await fetch(`${e2e.url}/api/sessions/${created.code}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${created.facilitatorToken}` }
    });
    expect(deleted.status).toBe(204);
    await expect.poll(() => screen.getByTestId('presenter-ended').getAttribute('data-reason'), { timeout: scaled(PATIENCE_MS) }).toBe('deleted');
    expect(await screen.getByTestId('presenter-results').count()).toBe(0);
    expect(await screen.getByTestId('heatmap').count()).toBe(0);
    expect(await textOf(screen, 'presenter-ended')).toContain('verwijderd');
    await expectLegible(screen, 'deleted');
  });
});
