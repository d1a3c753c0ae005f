/**
 * Dates in the browser (issue 23, item 4): an Amsterdam community just after
 * midnight (00:20 on 6 Dec 2026, which is still 5 Dec in UTC), with the
 * browser's clock (playwright's page.clock) and the server's clock (its
 * `clock` option) both at that instant. The community page lists the session
 * revealed then on 6 Dec in the Dutch format, the trend axis says "6 dec",
 * the paper form proposes 6 Dec and refuses 7 Dec in Dutch; two sessions on
 * one day are told apart; the print report says 6 dec 2026 without wrapping it. A
 * browser in Chicago creates a community in its own zone.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { CommunitySummary, CreateCommunityResponse } from '../../src/lib/protocol';
import { DESKTOP, useE2E } from '../helpers/e2e';
import { browserAvailability } from '../helpers/browser';
import { api, postJson } from '../helpers/server';
import { advance, castBallot, setupSession } from '../helpers/session';

const availability = browserAvailability();
const suite = availability.run ? describe : describe.skip;
if (!availability.run) console.warn(availability.reason);

// 23:20 UTC on 5 Dec 2026 = 00:20 on 6 Dec in Amsterdam.
const AFTER_MIDNIGHT = Date.UTC(2026, 11, 5, 23, 20);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

suite('dates where the group met, in an Amsterdam browser after midnight', () => {
  const e2e = useE2E({ clock: () => AFTER_MIDNIGHT });
  let page: Page;
  let community: CreateCommunityResponse;
  let liveCode = '';
  let facilitatorToken = '';

  it('a session revealed at 00:20 is listed on 6 dec 2026, and the trend axis says 6 dec', async () => {
    const created = await postJson<CreateCommunityResponse>(e2e.url, '/api/communities', { name: 'Westland LC', language: 'nl', timeZone: 'Europe/Amsterdam' });
    expect(created.status, created.text).toBe(201);
    community = created.body;
    const session = await setupSession(e2e.server, {
      create: { community: community.id, title: 'Kick-off', anonymous: false },
      createHeaders: bearer(community.communityToken),
      join: [{ name: 'Ann' }]
    });
    liveCode = session.code;
    facilitatorToken = session.created.facilitatorToken;
    await advance(session.facilitator, 'voting');
    await castBallot(session.people[0].client, { 1: 4, 2: 2 });
    await advance(session.facilitator, 'revealed');

    page = await e2e.newPage({ ...DESKTOP, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
    await page.clock.setFixedTime(new Date(AFTER_MIDNIGHT));
    await page.goto(community.communityUrl);
    const row = page.locator(`[data-testid="community-session"][data-code="${liveCode}"]`);
    await expect.poll(() => row.getAttribute('data-date')).toBe('2026-12-06');
    expect((await row.getByTestId('community-session-date').textContent())?.trim()).toMatch(/^6 dec\.? 2026$/);
    const axis = page.locator('[data-testid="community-trend"][data-factor="1"] [data-testid="trend-axis-day"]');
    expect(await axis.allTextContents()).toEqual([expect.stringMatching(/^6 dec\.?$/)]);
    // Nothing ISO-like or UTC-dated on the page.
    const text = (await page.locator('main, body').first().innerText()) ?? '';
    expect(text).not.toMatch(/\d{2}-\d{2}-\d{2}/);
    expect(text).not.toMatch(/5 dec/);
  });

  it('the paper form proposes today in Amsterdam (6 Dec, not the UTC day) in Dutch and refuses tomorrow', async () => {
    expect(await page.getByTestId('paper-date').inputValue()).toBe('2026-12-06');
    expect((await page.getByTestId('paper-date-shown').textContent())?.trim()).toMatch(/^Gehouden op 6 dec\.? 2026$/);
    await page.getByTestId('paper-count-1-3').fill('2');
    await page.getByTestId('paper-date').fill('2026-12-07');
    await page.getByTestId('paper-save').click();
    await expect.poll(() => page.getByTestId('paper-error').textContent()).toMatch(/na vandaag \(6 dec\.? 2026\)/);
    expect(await page.locator('[data-testid="community-session"]').count()).toBe(1);

    // Today is fine; the two sessions of 6 Dec are told apart (the live one by its time, the axis by their titles).
    await page.getByTestId('paper-date').fill('2026-12-06');
    await page.locator('#paper-name').fill('Poster');
    await page.getByTestId('paper-save').click();
    await expect.poll(() => page.locator('[data-testid="community-session"]').count()).toBe(2);
    const live = page.locator(`[data-testid="community-session"][data-code="${liveCode}"] [data-testid="community-session-date"]`);
    expect((await live.textContent())?.replace(/\s+/g, ' ').trim()).toMatch(/^6 dec\.? 2026 · 00:20$/);
    const trend = page.locator('[data-testid="community-trend"][data-factor="1"]');
    const labels = await trend.locator('svg text.axis').allTextContents();
    expect(labels).toEqual(expect.arrayContaining(['Kick-off', 'Poster']));
  });

  it('the print report dates the session 6 dec 2026 and never wraps a date', async () => {
    await page.evaluate(([code, token]) => localStorage.setItem(`seeds:facilitator:${code}`, token), [liveCode, facilitatorToken]);
    await page.goto(`${e2e.url}/s/${liveCode}/print`);
    const day = page.getByTestId('print-date');
    await expect.poll(() => day.textContent()).toMatch(/^6 dec\.? 2026$/);
    expect(await day.evaluate((el) => getComputedStyle(el).whiteSpace)).toBe('nowrap');
  });

  it('a browser in Chicago creates a community in its own time zone', async () => {
    const chicago = await e2e.newPage({ ...DESKTOP, locale: 'en-US', timezoneId: 'America/Chicago' });
    await chicago.goto(e2e.url);
    await chicago.getByTestId('community-name').fill('Chicago LC');
    await chicago.getByTestId('create-community').click();
    await chicago.waitForURL(/\/c\/[0-9a-f-]{36}#token=/);
    // The page keeps the link's key in this browser once it has opened.
    await chicago.getByTestId('community-name-heading').waitFor();
    const id = new URL(chicago.url()).pathname.split('/').at(-1)!;
    const token = await chicago.evaluate((key) => localStorage.getItem(key), `seeds:community:${id}`);
    expect(token).toBeTruthy();
    const summary = await api<CommunitySummary>(e2e.url, `/api/communities/${id}`, { headers: bearer(token!) });
    expect(summary.status, summary.text).toBe(200);
    expect(summary.body.timeZone).toBe('America/Chicago');
  });
});
