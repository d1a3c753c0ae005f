/**
 * The take-home in the browser (issue 23): a Dutch workshop of two rounds with comments in both,
 * then what the facilitator downloads: the heatmap SVG and PNG (named after the session, its day
 * and the round; the SVG carries title, date, round, voters and both legends), the Markdown and
 * the spreadsheet (both rounds' comments, by round) and each CSV table from the CSV menu, opened
 * with the keyboard. The screen is kept in test-results/take-home/ to be looked at.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserAvailability } from '../helpers/browser';
import { DESKTOP, downloadBytes, useE2E, keepShot } from '../helpers/e2e';
import { connectParticipant, type BoardClient } from '../helpers/clients';
import { joinSession, REPO_ROOT } from '../helpers/server';
import { castBallot } from '../helpers/session';
import { nl } from '../../src/lib/i18n/nl';

const availability = browserAvailability();
const suite = availability.run ? describe : describe.skip;
if (!availability.run) console.warn(availability.reason);

const SHOTS = path.join(REPO_ROOT, 'test-results', 'take-home');
// 23:20 UTC on 5 Dec 2026: 00:20 on 6 Dec in Amsterdam, where the group meets: the files carry the 6th.
const AFTER_MIDNIGHT = Date.UTC(2026, 11, 5, 23, 20);
const ALL_FOURS = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [i + 1, 4 as const]));

suite('take-home files of a two-round workshop', () => {
  const e2e = useE2E({ clock: () => AFTER_MIDNIGHT });
  let facilitator: Page;
  let code: string;
  const people: BoardClient[] = [];

  /** Waits for the download a click starts; returns its suggested name and its bytes. */
  async function download(click: () => Promise<void>): Promise<{ name: string; body: Buffer }> {
    const [file] = await Promise.all([facilitator.waitForEvent('download'), click()]);
    return { name: file.suggestedFilename(), body: await downloadBytes(file) };
  }

  it('plays two rounds with comments in both', async () => {
    facilitator = await e2e.newPage({ ...DESKTOP, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam', acceptDownloads: true });
    await facilitator.goto(e2e.url);
    await facilitator.locator('#session-title').fill('Groeiplan Zürich');
    await facilitator.getByTestId('create-session').click();
    await facilitator.waitForURL(/\/s\/[^/]+\/facilitate/);
    code = (await facilitator.getByTestId('session-code').textContent())!.trim();
    for (const name of ['A', 'B', 'C']) {
      const joined = await joinSession(e2e.url, code, { name });
      people.push(await connectParticipant(e2e.url, code, joined.participantToken));
    }
    const round = async (comments: [number, number, string][]) => {
      await facilitator.getByTestId('phase-voting').click();
      await expect.poll(async () => (await people[0].state()).phase).toBe('voting');
      for (const p of people) await castBallot(p, ALL_FOURS);
      for (const [person, factor, comment] of comments) expect((await people[person].send('vote', { factor, answer: 3, comment })).ok).toBe(true);
      await expect.poll(() => facilitator.getByTestId('progress').getAttribute('data-voted')).toBe('3');
      await facilitator.getByTestId('phase-reveal').click();
      await facilitator.getByTestId('heatmap').waitFor();
    };
    await round([
      [0, 2, 'Ronde een: te weinig tijd'],
      [1, 5, 'Ronde een: wie trekt dit?']
    ]);
    await round([[2, 2, 'Ronde twee: al beter']]);
    await expect.poll(async () => (await people[0].state()).results.length).toBe(2);
    await fs.mkdir(SHOTS, { recursive: true });
    await keepShot(facilitator, { path: path.join(SHOTS, 'facilitator-results-round-2.png'), fullPage: true });
  });

  it('the heatmap files are named after the session, day and round, and the SVG carries title, date, round, voters and legends', async () => {
    const svg = await download(() => facilitator.getByTestId('download-svg').click());
    expect(svg.name).toBe('groeiplan-zürich-2026-12-06-ronde-2.svg');
    const text = svg.body.toString('utf8');
    const words = text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(text).toMatch(/data-testid="heatmap-file-title"[^>]*>Groeiplan Zürich</);
    expect(text).toMatch(/data-testid="heatmap-file-meta"[^>]*>6 dec\.? 2026 · ronde 2 · 3 deelnemers</);
    expect(words).toContain(nl.results.legend);
    expect(text).toContain('data-testid="heatmap-legend-consensus"');
    expect(words).toContain(nl.takeHome.consensusScale);
    await fs.writeFile(path.join(SHOTS, svg.name), svg.body);

    const png = await download(() => facilitator.getByTestId('download-png').click());
    expect(png.name).toBe('groeiplan-zürich-2026-12-06-ronde-2.png');
    expect(png.body.subarray(1, 4).toString('latin1')).toBe('PNG');
    await fs.writeFile(path.join(SHOTS, png.name), png.body);
    // The PNG as an image people look at, kept with the screenshot.
    const viewer = await e2e.newPage(DESKTOP);
    await viewer.setContent(`<img id="png" src="data:image/png;base64,${png.body.toString('base64')}">`);
    const size = await viewer.locator('#png').evaluate((img: HTMLImageElement) => img.decode().then(() => [img.naturalWidth, img.naturalHeight]));
    expect(size[0]).toBeGreaterThan(1000);
  });

  it('the Markdown and the spreadsheet hold both rounds’ comments, by round', async () => {
    const md = await download(() => facilitator.getByTestId('export-md').click());
    expect(md.name).toBe('groeiplan-zürich-2026-12-06.md');
    const lines = md.body.toString('utf8').split('\n');
    const one = lines.indexOf('### Ronde 1', lines.indexOf('## Toelichtingen'));
    const two = lines.indexOf('### Ronde 2', one);
    expect(one).toBeGreaterThan(0);
    expect(lines.slice(one, two)).toEqual(expect.arrayContaining(['- Ronde een: te weinig tijd', '- Ronde een: wie trekt dit?']));
    expect(lines.slice(two)).toContain('- Ronde twee: al beter');

    const xlsx = await download(() => facilitator.getByTestId('export-xlsx').click());
    expect(xlsx.name).toBe('groeiplan-zürich-2026-12-06.xlsx');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.body as unknown as ArrayBuffer);
    const rows: unknown[][] = [];
    book.getWorksheet(nl.export.comments)!.eachRow((row, n) => n > 1 && rows.push([row.getCell(1).value, row.getCell(4).value]));
    expect(rows).toEqual([
      [1, 'Ronde een: te weinig tijd'],
      [1, 'Ronde een: wie trekt dit?'],
      [2, 'Ronde twee: al beter']
    ]);
    expect(String(book.getWorksheet(nl.export.ballots)!.getRow(1).getCell(1).value)).toContain('V1');
  });

  it('the CSV menu offers each table, by keyboard', async () => {
    const menu = facilitator.getByTestId('export-csv');
    await menu.focus();
    await facilitator.keyboard.press('Enter');
    await facilitator.getByTestId('export-csv-comments').waitFor();
    await keepShot(facilitator, { path: path.join(SHOTS, 'csv-menu-open.png') });
    const names: string[] = [];
    for (const table of ['factors', 'comments', 'actions', 'ballots'] as const) {
      const button = facilitator.getByTestId(`export-csv-${table}`);
      expect(((await button.textContent()) ?? '').trim()).toBe(nl.takeHome.csvTables[table]);
      await button.focus();
      const file = await download(() => facilitator.keyboard.press('Enter'));
      names.push(file.name);
      if (table === 'comments') {
        expect(file.body.toString('utf8')).toBe(
          'factor,comment,round\r\n2,Ronde een: te weinig tijd,1\r\n5,Ronde een: wie trekt dit?,1\r\n2,Ronde twee: al beter,2\r\n'
        );
      }
    }
    expect(names).toEqual(['factoren', 'toelichtingen', 'actiepunten', 'antwoorden'].map((t) => `groeiplan-zürich-2026-12-06-${t}.csv`));
  });

  it('the print view (the PDF people take home) lists both rounds’ comments under their rounds', async () => {
    await facilitator.goto(`${e2e.url}/s/${code}/print`);
    const comments = facilitator.getByTestId('print-comments');
    await comments.waitFor();
    await expect.poll(() => comments.locator('h3').allTextContents()).toEqual(['Ronde 1', 'Ronde 2']);
    const text = (await comments.textContent()) ?? '';
    expect(text.indexOf('Ronde een: te weinig tijd')).toBeGreaterThan(text.indexOf('Ronde 1'));
    expect(text.indexOf('Ronde twee: al beter')).toBeGreaterThan(text.indexOf('Ronde 2'));
    // Each round's results and what moved between them, as in the Markdown report, not only the last round's table.
    expect((await facilitator.getByTestId('print-round').allTextContents()).map((h) => h.replace(/\s*\(.*$/, ''))).toEqual(['Ronde 1', 'Ronde 2']);
    expect(await facilitator.getByTestId('print-shift').allTextContents()).toEqual(['Verschuiving ronde 1 → 2']);
    expect(await facilitator.locator('.meta').textContent()).toMatch(/Rondes: 1, 2/);
    await keepShot(facilitator, { path: path.join(SHOTS, 'print-view.png'), fullPage: true });
  });
});
