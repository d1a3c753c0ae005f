/**
 * The room's day on small screens (issue 23, items 6 and 7): a facilitator's laptop at
 * 1366×768 sees the code and QR without scrolling and never shows the secret facilitator
 * QR by itself; a 360×740 phone sees the join button without scrolling, keeps a score's
 * factor on screen when its comment field was opened first, and reads a community page
 * that does not scroll sideways; "+ action point" puts the keyboard in the new point.
 * Screenshots are kept in test-results/ (looked at while writing this test).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { CreateCommunityResponse, CreateSessionResponse } from '../../src/lib/protocol';
import { browserAvailability } from '../helpers/browser';
import { createSessionFromLanding, expectParticipantCount, fillJoinForm, PHONE_360, useE2E, keepShot } from '../helpers/e2e';
import { joinSession, postJson, REPO_ROOT } from '../helpers/server';
import { clippedPlaceholders, clippedText, fitsWidth } from '../helpers/e2e-accounts';
import { advance, castBallot, setupSession } from '../helpers/session';

const availability = browserAvailability();
const SHOTS = path.join(REPO_ROOT, 'test-results');
const LAPTOP = { viewport: { width: 1366, height: 768 } };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  await fs.mkdir(SHOTS, { recursive: true });
  await keepShot(page, { path: path.join(SHOTS, `small-screens-${name}.png`), fullPage });
}

/** Whether the element is entirely inside the viewport as the page first shows it (no scrolling). */
function inFirstView(page: Page, testId: string): Promise<boolean> {
  return page
    .getByTestId(testId)
    .first()
    .evaluate((el) => {
      const box = el.getBoundingClientRect();
      return window.scrollY === 0 && box.top >= 0 && box.bottom <= window.innerHeight && box.height > 0;
    });
}

describe.skipIf(!availability.run)(availability.run ? 'small screens (browser)' : `small screens skipped: ${availability.reason}`, () => {
  const e2e = useE2E();
  let facilitator: Page;
  let phone: Page;
  let code = '';
  const longName = 'Wilhelmina van Oranje-Nassau Greenport';

  it('at 1366×768 the lobby shows the code and QR without scrolling, and the secret QR only after its own click', async () => {
    facilitator = await e2e.newPage(LAPTOP);
    code = await createSessionFromLanding(facilitator, e2e.url);
    const qr = facilitator.locator(`img[src="/api/sessions/${code}/qr.svg"]`);
    await facilitator.waitForFunction((img) => img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0, await qr.elementHandle());
    expect(await inFirstView(facilitator, 'session-code')).toBe(true);
    expect(await qr.evaluate((img) => img.getBoundingClientRect().bottom <= window.innerHeight)).toBe(true);

    // Nothing secret is on the screen by default; opening the panel shows a warning, not the QR code.
    expect(await facilitator.getByTestId('facilitator-qr').count()).toBe(0);
    await facilitator.getByTestId('facilitator-link').click();
    await facilitator.getByTestId('facilitator-qr-warning').waitFor();
    expect(await facilitator.getByTestId('facilitator-qr').count()).toBe(0);
    await shot(facilitator, 'lobby-1366x768');
    await facilitator.getByTestId('facilitator-qr-show').click();
    await facilitator.getByTestId('facilitator-qr').waitFor();
    // Closing the panel hides it again, and reopening does not bring it back by itself.
    await facilitator.getByTestId('facilitator-link').click();
    await facilitator.getByTestId('facilitator-link').click();
    await facilitator.getByTestId('facilitator-qr-warning').waitFor();
    expect(await facilitator.getByTestId('facilitator-qr').count()).toBe(0);

    // Seen at 360 px: the code broke after its space ("JQ3" above "TPJ"), which reads as two codes.
    await facilitator.setViewportSize({ width: 360, height: 740 });
    const codeLines = () =>
      facilitator.getByTestId('session-code').evaluate((el) => {
        const range = document.createRange();
        range.selectNodeContents(el);
        return new Set([...range.getClientRects()].map((line) => Math.round(line.top))).size;
      });
    await expect.poll(codeLines).toBe(1);
    expect(await fitsWidth(facilitator, 360)).toBe(true);
    await shot(facilitator, 'lobby-360x740');
    await facilitator.setViewportSize(LAPTOP.viewport!);
  });

  it('on a 360×740 phone the top bar shows the sign-in link and the language switch whole, in both languages', async () => {
    const page = await e2e.newPage({ ...PHONE_360, locale: 'nl-NL' });
    await page.goto(e2e.url);
    for (const [language, signIn] of [
      ['nl', 'Inloggen'],
      ['en', 'Sign in']
    ] as const) {
      if ((await page.locator('html').getAttribute('lang')) !== language) await page.getByRole('button', { name: 'English' }).click();
      await expect.poll(() => page.getByTestId('sign-in').textContent()).toBe(signIn);
      // Seen at 360 px: the bar shrank the link with the brand and cut "Inloggen" to "Inlog".
      expect(await clippedText(page, 'header')).toEqual([]);
      expect(await clippedPlaceholders(page, 'body')).toEqual([]);
      expect(await fitsWidth(page, 360)).toBe(true);
      // The brand is its logo here, and still names the link.
      await expect.poll(() => page.getByRole('link', { name: 'Seeds of Innovation' }).count()).toBe(1);
      await shot(page, `top-bar-360-${language}`);
    }
  });

  it('on a 360×740 phone the join button is in view, the title small, and a long name is cut at a word with the full name kept', async () => {
    phone = await e2e.newPage(PHONE_360);
    await phone.goto(`${e2e.url}/s/${code}`);
    await phone.getByTestId('join-session').waitFor();
    expect(await inFirstView(phone, 'join-session')).toBe(true);
    const titleHeight = await phone.locator('#join-heading').evaluate((el) => el.getBoundingClientRect().height / window.innerHeight);
    expect(titleHeight).toBeLessThan(0.15);
    // The privacy promise is still on the form, below the button.
    expect(await phone.getByTestId('privacy-promise').isVisible()).toBe(true);
    expect(await clippedText(phone, 'body')).toEqual([]);
    // Seen at 360 px: the name's placeholder, which said that an empty name joins anonymously, was cut.
    expect(await clippedPlaceholders(phone, 'body')).toEqual([]);
    // What it said is a hint below the field now, whole.
    expect(await phone.locator('#participant-name-hint').textContent()).toMatch(/anonymously|anoniem/);
    expect(await phone.locator('#participant-name-hint').isVisible()).toBe(true);
    await shot(phone, 'join-360x740', true);
    await fillJoinForm(phone, longName);
    // Seen at 360 px: the header's code broke after its space ("EDY" above "ZCH") beside a long phase name.
    const codeLines = await phone.getByTestId('header-code').evaluate((el) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
    });
    expect(codeLines).toBe(1);

    await expectParticipantCount(facilitator, 1);
    const shown = facilitator.getByTestId('participant-name-shown');
    await expect.poll(() => shown.getAttribute('title')).toBe(longName);
    const visible = await shown.locator('[aria-hidden="true"]').textContent();
    expect(visible).toMatch(/^Wilhelmina van( Oranje-Nassau)?…$/);
    // A screen reader hears the full name.
    expect(await shown.locator('.visually-hidden').textContent()).toBe(longName);
  });

  it('on the phone a comment opened before the score keeps the factor on screen (no swipe back)', async () => {
    await facilitator.getByTestId('phase-voting').click();
    const field = phone.getByTestId('comment-1');
    await field.waitFor();
    // Nothing answered yet: no "Saved" beside "0 of 12".
    expect(await phone.getByTestId('saved-state').count()).toBe(0);
    // The box's hint before a score ("… saved once you choose a score") is whole: the box is as tall as its lines.
    const hintCut = await field.evaluate((box: HTMLTextAreaElement) => {
      const style = getComputedStyle(box);
      const probe = document.createElement('div');
      probe.textContent = box.placeholder;
      const width = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      Object.assign(probe.style, {
        position: 'absolute',
        visibility: 'hidden',
        width: `${width}px`,
        font: style.font,
        lineHeight: style.lineHeight,
        whiteSpace: 'pre-wrap'
      });
      document.body.append(probe);
      const needed = probe.getBoundingClientRect().height;
      probe.remove();
      return needed - (box.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom));
    });
    expect(hintCut).toBeLessThanOrEqual(1);
    await field.tap();
    await field.fill('Te weinig tijd voor onderzoek');
    await phone.getByTestId('vote-1-2').tap();
    await expect.poll(() => phone.getByTestId('vote-1-2').isChecked()).toBe(true);
    // The score was taken with its comment, and the strip stayed on factor 1.
    await expect.poll(() => phone.getByTestId('saved-state').textContent()).toMatch(/Opgeslagen/);
    const position = phone.getByTestId('vote-position');
    expect(await position.getAttribute('data-advancing')).toBe('false');
    expect(await position.getAttribute('data-factor')).toBe('1');
    // Without a comment field opened, a score moves on as before.
    await phone.getByTestId('vote-next').tap();
    await expect.poll(() => position.getAttribute('data-factor')).toBe('2');
    await phone.getByTestId('vote-2-4').tap();
    await expect.poll(() => position.getAttribute('data-factor')).toBe('3');
    await shot(phone, 'voting-360x740');
  });

  it('after "+ action point" the keyboard is in the new point’s text', async () => {
    await facilitator.getByTestId('phase-reveal').click();
    await facilitator.getByTestId('phase-actions').click();
    const add = facilitator.getByTestId('action-add-general');
    await add.click();
    await expect
      .poll(() =>
        facilitator.evaluate(() => document.activeElement?.tagName === 'TEXTAREA' && document.activeElement.closest('[data-testid="action-item"]') !== null)
      )
      .toBe(true);
    await facilitator.keyboard.type('Onderzoekstijd inroosteren');
    await expect.poll(() => facilitator.locator('[data-testid="action-item"] textarea').first().inputValue()).toBe('Onderzoekstijd inroosteren');
    await shot(facilitator, 'action-focus-1366x768');
  });

  it('on the phone a factor title with a long word keeps "+ action point" on screen (no sideways scrolling)', async () => {
    // Factor 4 is "Hanteren van concurrentiegevoeligheid": with a point under it its title is bold, and the long word must wrap, not push the button out.
    await phone.getByTestId('action-add-4').tap();
    await phone.locator('[data-testid="action-item"][data-factor="4"]').waitFor();
    const size = await phone.evaluate(() => {
      // The lines the long word is laid out on: it broke mid-word ("concurrentiegevoelighei" / "d") beside the button.
      const title = document.querySelector('[data-testid="action-add-4"]')!.closest('.group-head')!.querySelector('h3')!;
      const walker = document.createTreeWalker(title, NodeFilter.SHOW_TEXT);
      let lines = 0;
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.textContent!.indexOf('concurrentiegevoeligheid');
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + 'concurrentiegevoeligheid'.length);
        lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
      }
      return {
        scrollWidth: document.scrollingElement!.scrollWidth,
        buttonRight: document.querySelector('[data-testid="action-add-4"]')!.getBoundingClientRect().right,
        lines
      };
    });
    await shot(phone, 'action-long-title-360x740');
    // Against the device's 360 px: a mobile browser widens its layout viewport (and innerWidth) to content that overflows.
    expect(size.scrollWidth).toBeLessThanOrEqual(360);
    expect(size.buttonRight).toBeLessThanOrEqual(360);
    expect(size.lines).toBe(1);
  });

  it('a community page on a 360 px phone does not scroll sideways and is a few screens long', async () => {
    const created = await postJson<CreateCommunityResponse>(e2e.url, '/api/communities', {
      name: 'Greenport Vertical Farming lerende gemeenschap met een lange naam',
      language: 'nl',
      timeZone: 'Europe/Amsterdam'
    });
    expect(created.status, created.text).toBe(201);
    const community = created.body;
    for (let i = 0; i < 2; i++) {
      const session = await setupSession(e2e.server, {
        create: { community: community.id, title: `Kwartaalsessie ${i + 1} met een nogal lange titel`, anonymous: false },
        createHeaders: bearer(community.communityToken),
        join: [{ name: 'Ann' }]
      });
      await advance(session.facilitator, 'voting');
      await castBallot(session.people[0].client, Object.fromEntries(Array.from({ length: 12 }, (_, f) => [f + 1, ((f + i) % 5) + 1])) as Record<number, 1>);
      await advance(session.facilitator, 'revealed');
    }
    for (const day of ['2026-01-15', '2026-03-12', '2026-05-21', '2026-06-18', '2026-09-10', '2026-10-08']) {
      const paper = await postJson(
        e2e.url,
        `/api/communities/${community.id}/paper-sessions`,
        {
          title: `Poster ${day}`,
          date: day,
          factors: Array.from({ length: 12 }, (_, f) => ({ number: f + 1, distribution: { '1': 1, '2': 2, '3': f % 4, '4': 2, '5': 1 }, unknown: 1 }))
        },
        bearer(community.communityToken)
      );
      expect(paper.status, paper.text).toBe(201);
    }
    const page = await e2e.newPage(PHONE_360);
    await page.goto(community.communityUrl);
    await page.locator('[data-testid="community-trend"]').first().waitFor();
    const size = await page.evaluate(() => ({
      scrollWidth: document.scrollingElement!.scrollWidth,
      height: document.scrollingElement!.scrollHeight
    }));
    await shot(page, 'community-360x740-first', true);
    // The device's 360 px, not innerWidth: a mobile browser widens innerWidth to content that overflows.
    expect(size.scrollWidth).toBeLessThanOrEqual(360);
    expect(await clippedText(page, 'body')).toEqual([]);
    console.log(`[small screens] community page at 360 px: ${size.height} px high, ${size.scrollWidth} px wide`);
    expect(size.height).toBeLessThan(5000);
    // Its cards stand apart, those drawn by its components too ("Share with an organisation" touched "Export").
    const gaps = await page
      .locator('.container > section')
      .evaluateAll((cards) => cards.slice(1).map((card, i) => card.getBoundingClientRect().top - cards[i].getBoundingClientRect().bottom));
    expect(gaps.length).toBeGreaterThan(2);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(16);
    // Eight sessions under one small chart: the day labels are thinned so that none prints over another.
    const boxes = await page
      .locator('[data-testid="community-trend"]')
      .first()
      .locator('[data-testid="trend-axis-day"]')
      .evaluateAll((texts) => texts.map((t) => t.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right })));
    expect(boxes.length).toBeGreaterThan(1);
    expect(boxes.length).toBeLessThan(8);
    for (let i = 1; i < boxes.length; i++) expect(boxes[i].left).toBeGreaterThanOrEqual(boxes[i - 1].right);
    // Everything is still one tap away: all sessions, the other charts, the occasional tasks.
    expect(await page.locator('[data-testid="community-session"]').count()).toBe(5);
    await page.getByTestId('community-all-sessions').tap();
    expect(await page.locator('[data-testid="community-session"]').count()).toBe(8);
    await page.getByTestId('trend-next').tap();
    await page.locator('[data-testid="community-trend"][data-factor="4"]').waitFor();
    await shot(page, 'community-360x740', true);
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(360);
  });

  it('the projector pages a long list of arrivals instead of cutting it, names cut at a word', async () => {
    const created = (await postJson<CreateSessionResponse>(e2e.url, '/api/sessions', { title: 'Named', language: 'nl', anonymous: false })).body;
    const screen = await e2e.newPage({ viewport: { width: 1920, height: 1080 } });
    await screen.goto(created.presenterUrl!);
    await screen.getByTestId('screen-code').waitFor();
    const names = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? `Deelnemer ${i + 1} van kwekerij Westland Noord` : `Persoon ${i + 1}`));
    // Ten joins at a time (the arrivals' order is not what is checked), not sixty one after another.
    for (let i = 0; i < names.length; i += 10) await Promise.all(names.slice(i, i + 10).map((name) => joinSession(e2e.url, created.code, { name })));
    const area = screen.getByTestId('presenter-arrival-pages');
    await expect.poll(async () => Number(await area.getAttribute('data-pages'))).toBeGreaterThan(1);
    // Every name on the page is inside the area: nothing cut off at the bottom of the projector.
    const overflow = await area.evaluate((el) => {
      const bottom = el.getBoundingClientRect().bottom;
      return [...el.querySelectorAll('[data-testid="presenter-arrival"]')].filter((li) => li.getBoundingClientRect().bottom > bottom + 1).length;
    });
    expect(overflow).toBe(0);
    expect(await screen.evaluate(() => document.scrollingElement!.scrollHeight <= window.innerHeight)).toBe(true);
    const long = screen.locator('[data-testid="presenter-arrival"] bdi[title]').first();
    expect(await long.getAttribute('title')).toMatch(/^Deelnemer \d+ van kwekerij Westland Noord$/);
    expect(await long.locator('[aria-hidden="true"]').textContent()).toMatch(/^Deelnemer \d+ van…$/);
    await shot(screen, 'presenter-arrivals-1920x1080');
  });
});
