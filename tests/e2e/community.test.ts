/**
 * A learning community in the browser: created on the landing page, the next
 * session started from the community page, a short live session voted by three
 * people, a session held on paper entered in the form, and the trend chart and
 * its table showing both sessions.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { CommunityTrends } from '../../src/lib/protocol';
import { axeViolations, DESKTOP, expectParticipantCount, joinByLink, textOf, useE2E, vote } from '../helpers/e2e';
import { browserAvailability } from '../helpers/browser';
import { api } from '../helpers/server';

const availability = browserAvailability();
const suite = availability.run ? describe : describe.skip;
if (!availability.run) console.warn(availability.reason);

suite('a learning community over two sessions, one on paper', () => {
  const e2e = useE2E();
  let facilitator: Page;
  let communityPath = '';
  let liveCode = '';

  it('creates a community on the landing page; the key leaves the address bar but stays in this browser', async () => {
    facilitator = await e2e.newPage(DESKTOP);
    await facilitator.goto(e2e.url);
    await facilitator.getByTestId('community-name').fill('Greenport Vertical Farming LC');
    await facilitator.getByTestId('create-community').click();
    await facilitator.waitForURL(/\/c\/[0-9a-f-]{36}$/);
    communityPath = new URL(facilitator.url()).pathname;
    expect(facilitator.url()).not.toContain('token=');
    await expect.poll(() => textOf(facilitator, 'community-name-heading')).toBe('Greenport Vertical Farming LC');
    expect(await facilitator.getByTestId('community-session').count()).toBe(0);
    await facilitator.reload();
    await expect.poll(() => facilitator.getByTestId('community-new-session').isEnabled()).toBe(true);
  });

  it('starts the next session from the community page and runs it with three voters', async () => {
    await facilitator.getByTestId('community-new-session').click();
    await facilitator.waitForURL(/\/s\/[^/]+\/facilitate/);
    liveCode = (await textOf(facilitator, 'session-code')).replace(/\s/g, '');
    const people = await Promise.all(['Ann', 'Bo', 'Cy'].map(() => e2e.newPage(DESKTOP)));
    for (const [i, person] of people.entries()) await joinByLink(person, e2e.url, liveCode, ['Ann', 'Bo', 'Cy'][i]);
    await expectParticipantCount(facilitator, 3);
    await facilitator.getByTestId('phase-voting').click();
    await vote(people[0], [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]);
    await vote(people[1], [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    await vote(people[2], [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 5]);
    await facilitator.getByTestId('phase-reveal').click();
    await expect.poll(() => facilitator.getByTestId('phase-actions').isEnabled()).toBe(true);
    for (const person of people) await person.context().close();
  });

  it('shows the revealed session in the list and one trend per factor, with a table of the same figures', async () => {
    await facilitator.goto(`${e2e.url}${communityPath}`);
    await expect.poll(() => facilitator.getByTestId('community-trend').count()).toBe(12);
    const row = facilitator.locator(`[data-testid="community-session"][data-code="${liveCode}"]`);
    await expect.poll(() => row.count()).toBe(1);
    // Voters: 3; factor 12 scored 4, 2, 5: mean 3.67 in the table of factor 12.
    await expect.poll(async () => (await row.textContent())?.includes('3')).toBe(true);
    const twelve = facilitator.locator('[data-testid="community-trend"][data-factor="12"]');
    const cells = await twelve.locator('tbody tr').first().locator('td').allTextContents();
    expect(cells[1]).toBe('3');
    expect(cells[2]).toBe('3,67');
    expect(await twelve.locator('svg path.mean').getAttribute('d')).toBeTruthy();
  });

  it('enters a session held on paper; the trend then shows both sessions, oldest first', async () => {
    await facilitator.getByTestId('paper-date').fill('2020-03-01');
    // Factor 1: two 5s and one 1; factor 12: three "don't know".
    await facilitator.getByTestId('paper-count-1-5').fill('2');
    await facilitator.getByTestId('paper-count-1-1').fill('1');
    await facilitator.getByTestId('paper-count-12-unknown').fill('3');
    await facilitator.getByTestId('paper-save').click();
    await expect.poll(() => facilitator.getByTestId('community-session').count()).toBe(2);
    const one = facilitator.locator('[data-testid="community-trend"][data-factor="1"]');
    await expect.poll(() => one.locator('tbody tr').count()).toBe(2);
    const rows = await one.locator('tbody tr').allTextContents();
    // The paper session (2020) comes first: mean (5 + 5 + 1)/3 = 3.67.
    expect(rows[0]).toContain('2020-03-01');
    expect(rows[0]).toContain('3,67');
    expect(await facilitator.locator('[data-testid="community-session"][data-source="paper"]').count()).toBe(1);

    // What the page draws is what trends.json says.
    const token = await facilitator.evaluate((id) => localStorage.getItem(`seeds:community:${id}`), communityPath.split('/').pop()!);
    const trends = await api<CommunityTrends>(e2e.url, `/api${communityPath.replace('/c/', '/communities/')}/trends.json`, {
      headers: { authorization: `Bearer ${token}` }
    });
    expect(trends.body.sessions.map((s) => s.source)).toEqual(['paper', 'live']);
    expect(trends.body.sessions[1].code).toBe(liveCode);
  });

  it('downloads the community in long format (CSV): one row per session × factor', async () => {
    const [download] = await Promise.all([facilitator.waitForEvent('download'), facilitator.getByTestId('community-export-csv').click()]);
    expect(download.suggestedFilename()).toBe('community.csv');
    const text = await readFile((await download.path())!, 'utf8');
    const lines = text.trimEnd().split('\r\n');
    expect(lines).toHaveLength(1 + 2 * 12);
    expect(lines[1].startsWith('P')).toBe(true);
    expect(lines[13].startsWith(`${liveCode},`)).toBe(true);
  });

  it('has no serious accessibility violations', async () => {
    expect(await axeViolations(facilitator)).toEqual([]);
  });
});
