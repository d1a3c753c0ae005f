/**
 * A learning community in the browser: created on the landing page, the next
 * session started from the community page, a short live session voted by three
 * people that ends with an action point, a session held on paper entered in the
 * form, a second live session whose lobby reviews the first one's action point
 * (carried over onto its board, seen by a participant in a fresh browser), the
 * trend chart and its table showing all three, two sessions compared, and
 * finally the community deleted.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { CommunityTrends } from '../../src/lib/protocol';
import { axeViolations, downloadBytes, DESKTOP, expectParticipantCount, joinByLink, textOf, useE2E, vote, type ScriptedPerson } from '../helpers/e2e';
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
  let secondCode = '';
  const ACTION_TEXT = 'Visit the vertical farm in Delft';

  it('creates a community on the landing page; the key stays in the address (its fragment, for bookmarks) and in this browser', async () => {
    facilitator = await e2e.newPage(DESKTOP);
    await facilitator.goto(e2e.url);
    await facilitator.getByTestId('community-name').fill('Greenport Vertical Farming LC');
    await facilitator.getByTestId('create-community').click();
    await facilitator.waitForURL(/\/c\/[0-9a-f-]{36}#token=/);
    communityPath = new URL(facilitator.url()).pathname;
    expect(new URL(facilitator.url()).hash).toMatch(/^#token=/);
    await expect.poll(() => textOf(facilitator, 'community-name-heading')).toBe('Greenport Vertical Farming LC');
    expect(await facilitator.getByTestId('community-session').count()).toBe(0);
    await facilitator.reload();
    await expect.poll(() => facilitator.getByTestId('community-new-session').isEnabled()).toBe(true);
  });

  it('starts the next session from the community page and runs it with three voters', async () => {
    await facilitator.getByTestId('community-new-session').click();
    await facilitator.waitForURL(/\/s\/[^/]+\/facilitate/);
    liveCode = (await textOf(facilitator, 'session-code')).replace(/\s/g, '');
    // The voters' screens are not what this story looks at (the community's are): they are scripted clients, joined
    // through the same REST join as the join form.
    const people: ScriptedPerson[] = [];
    for (const name of ['Ann', 'Bo', 'Cy']) people.push(await e2e.scriptedPerson(liveCode, name));
    await expectParticipantCount(facilitator, 3);
    await facilitator.getByTestId('phase-voting').click();
    await Promise.all(people.map((person) => person.client.waitForEvent('phase', (change) => change.phase === 'voting')));
    await people[0].vote([4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]);
    await people[1].vote([2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    await people[2].vote([3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 5]);
    await facilitator.getByTestId('phase-reveal').click();
    await expect.poll(() => facilitator.getByTestId('phase-actions').isEnabled()).toBe(true);
    for (const person of people) person.close();
    // The session ends with one action point for next time.
    await facilitator.getByTestId('phase-actions').click();
    await facilitator.getByTestId('action-add-6').click();
    const point = facilitator.locator('[data-testid="action-item"][data-factor="6"]').first();
    await point.getByTestId('action-text').fill(ACTION_TEXT);
    await point.getByTestId('action-owner').fill('Ann');
    await point.getByTestId('action-owner').press('Tab');
    await point.getByTestId('action-due').fill('2027-02-01');
    await point.getByTestId('action-due').press('Tab');
    // Stored once the server's structure shows the owner on a reload.
    await expect
      .poll(async () => {
        const token = await facilitator.evaluate((code) => localStorage.getItem(`seeds:facilitator:${code}`), liveCode);
        const md = await api<string>(e2e.url, `/api/sessions/${liveCode}/export.md`, { headers: { authorization: `Bearer ${token}` } });
        // The agenda writes the due day as people read it (the session is Dutch): "1 feb 2027".
        return md.text.includes(ACTION_TEXT) && md.text.includes('Ann') && /\b1 feb\.? 2027\b/.test(md.text);
      })
      .toBe(true);
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
    expect(rows[0]).toMatch(/1 mrt\.? 2020/);
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

  it("starts a second session whose lobby reviews the first one's action point; carried over, it is on the new board", async () => {
    await facilitator.getByTestId('community-new-session').click();
    await facilitator.waitForURL(/\/s\/[^/]+\/facilitate/);
    secondCode = (await textOf(facilitator, 'session-code')).replace(/\s/g, '');
    const item = facilitator.getByTestId('review-action');
    await expect.poll(() => item.count()).toBe(1);
    expect(await item.getAttribute('data-status')).toBe('open');
    expect(await item.textContent()).toContain(ACTION_TEXT);
    expect(await item.textContent()).toMatch(/Uiterlijk 1 feb\.? 2027/);

    // A participant who never saw the first session follows the review from a fresh browser.
    const newcomer = await e2e.newPage(DESKTOP);
    await joinByLink(newcomer, e2e.url, secondCode, 'Dee');
    await expect.poll(() => newcomer.getByTestId('review-action').count()).toBe(1);
    await item.getByTestId('review-status').selectOption('carried');
    await expect.poll(() => item.getAttribute('data-status')).toBe('carried');
    await expect.poll(() => newcomer.getByTestId('review-action').getAttribute('data-status')).toBe('carried');
    // Nobody can change it but the facilitator: the participant has no select.
    expect(await newcomer.getByTestId('review-status').count()).toBe(0);
    // The projector shows the room the same decisions.
    const presenterUrl = await facilitator.getByTestId('presenter-link').getAttribute('href');
    const screen = await e2e.newPage({ viewport: { width: 1920, height: 1080 } });
    await screen.goto(new URL(presenterUrl!, e2e.url).href);
    await expect.poll(() => screen.getByTestId('presenter-review-action').getAttribute('data-status')).toBe('carried');
    await screen.context().close();

    // Two more voters, a short round, and the action phase: the carried point is there, with where it came from.
    const more: ScriptedPerson[] = [];
    for (const name of ['Eli', 'Fay']) more.push(await e2e.scriptedPerson(secondCode, name));
    await expectParticipantCount(facilitator, 3);
    await facilitator.getByTestId('phase-voting').click();
    await vote(newcomer, [5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5]);
    await more[0].vote([4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]);
    await more[1].vote([4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]);
    await facilitator.getByTestId('phase-reveal').click();
    await expect.poll(() => facilitator.getByTestId('phase-actions').isEnabled()).toBe(true);
    await facilitator.getByTestId('phase-actions').click();
    const carried = newcomer.locator('[data-testid="action-item"][data-factor="6"]');
    await expect.poll(() => carried.count()).toBe(1);
    await expect.poll(() => carried.getByTestId('action-text').inputValue()).toBe(ACTION_TEXT);
    expect(await carried.getByTestId('action-owner').inputValue()).toBe('Ann');
    // Where it came from, with the first session's day as a Dutch reader writes it ("6 dec 2026"), not ISO.
    expect(await carried.getByTestId('action-origin').textContent()).toMatch(/\(\d{1,2} [a-z]{3}\.? \d{4}\)/);
    await newcomer.context().close();
    for (const person of more) person.close();
  });

  it('shows all three sessions in the trend and compares two of them side by side', async () => {
    await facilitator.goto(`${e2e.url}${communityPath}`);
    await expect.poll(() => facilitator.getByTestId('community-session').count()).toBe(3);
    const one = facilitator.locator('[data-testid="community-trend"][data-factor="1"]');
    await expect.poll(() => one.locator('tbody tr').count()).toBe(3);
    const compare = facilitator.getByTestId('community-compare-table');
    // By default the last two: the first live session (mean 3) and the second (mean 4.33) → Δ +1.33 for factor 1.
    await expect.poll(() => compare.locator('tr[data-factor="1"]').textContent()).toContain('4,33');
    expect(await compare.locator('tr[data-factor="1"]').textContent()).toContain('+1,33');
  });

  it('downloads the community in long format (CSV): one row per session × factor', async () => {
    const [download] = await Promise.all([facilitator.waitForEvent('download'), facilitator.getByTestId('community-export-csv').click()]);
    // Named after the community and today where it meets (issue 23), not "community.csv" for every community.
    expect(download.suggestedFilename()).toMatch(/^greenport-vertical-farming-lc-\d{4}-\d{2}-\d{2}-trends\.csv$/);
    const text = (await downloadBytes(download)).toString('utf8');
    const lines = text.trimEnd().split('\r\n');
    expect(lines).toHaveLength(1 + 3 * 12);
    expect(lines[1].startsWith('P')).toBe(true);
    expect(lines[13].startsWith(`${liveCode},`)).toBe(true);
    expect(lines[25].startsWith(`${secondCode},`)).toBe(true);
  });

  it('has no serious accessibility violations', async () => {
    expect(await axeViolations(facilitator)).toEqual([]);
  });

  it('deletes the community after a confirmation: its sessions are gone and the community link no longer opens', async () => {
    await facilitator.getByTestId('community-delete').click();
    await facilitator.getByTestId('community-delete-confirm').click();
    await facilitator.waitForURL(`${e2e.url}/`);
    expect((await api(e2e.url, `/api/sessions/${liveCode}`)).status).toBe(404);
    expect((await api(e2e.url, `/api/sessions/${secondCode}`)).status).toBe(404);
    await facilitator.goto(`${e2e.url}${communityPath}`);
    await expect.poll(() => facilitator.getByRole('alert').count()).toBeGreaterThan(0);
  });
});
