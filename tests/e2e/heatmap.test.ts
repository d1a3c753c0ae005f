/**
 * The heatmap downloads look like the screen: the SVG and the PNG (on the first
 * click) are rasterised in Chromium and every cell of every row is sampled and
 * compared with the same spot on the on-screen heatmap; the row backgrounds are
 * white, never black; factor names are whole (wrapped, never cut with "…").
 */
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserAvailability } from '../helpers/browser';
import { createSessionFromLanding, downloadBytes, useE2E } from '../helpers/e2e';
import { connectParticipant } from '../helpers/clients';
import { joinSession } from '../helpers/server';
import type { Answer } from '../../src/lib/protocol';
import { nl } from '../../src/lib/i18n/nl';
import { scaled } from '../helpers/patience';

const availability = browserAvailability();
type Rgb = [number, number, number];
interface Spot {
  factor: number;
  score: string;
  x: number;
  y: number;
}

/** Colours at `spots` (in SVG units) of an image shown at `scale` pixels per unit, read from a canvas in the page. */
async function sample(page: Page, src: string, spots: { x: number; y: number }[], scale: number): Promise<Rgb[]> {
  return page.evaluate(
    async ({ src, spots, scale }) => {
      const image = new Image();
      image.src = src;
      await image.decode();
      const canvas = document.createElement('canvas');
      const width = image.naturalWidth || image.width;
      const height = image.naturalHeight || image.height;
      canvas.width = Math.round(width * (src.startsWith('data:image/svg') ? scale : 1));
      canvas.height = Math.round(height * (src.startsWith('data:image/svg') ? scale : 1));
      const context = canvas.getContext('2d')!;
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      return spots.map(({ x, y }) => {
        const d = context.getImageData(Math.round(x * scale), Math.round(y * scale), 1, 1).data;
        return [d[0], d[1], d[2]] as [number, number, number];
      });
    },
    { src, spots, scale }
  );
}

const close = (a: Rgb, b: Rgb) => a.every((v, i) => Math.abs(v - b[i]) <= 8);

describe.skipIf(!availability.run)(availability.run ? 'heatmap downloads (browser)' : `heatmap downloads (browser) skipped: ${availability.reason}`, () => {
  const e2e = useE2E();
  let facilitator: Page;

  it('reveals results of five voters', async () => {
    facilitator = await e2e.newPage({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    const code = await createSessionFromLanding(facilitator, e2e.url);
    const voters = await Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => {
        const joined = await joinSession(e2e.url, code, { name: `V${i}` });
        return connectParticipant(e2e.url, code, joined.participantToken);
      })
    );
    await facilitator.getByTestId('phase-voting').click();
    await voters[0].waitForEvent('phase', (p) => p.phase === 'voting');
    for (const [i, voter] of voters.entries()) {
      for (let factor = 1; factor <= 12; factor++) {
        // Three agree, one is off by one, one varies or does not know: shares of 0.2 to 0.8.
        const answer: Answer =
          i < 3
            ? (((factor % 5) + 1) as Answer)
            : i === 3
              ? ((((factor + 1) % 5) + 1) as Answer)
              : factor % 3 === 0
                ? 'unknown'
                : ((((factor * 2) % 5) + 1) as Answer);
        const ack = await voter.send('vote', { factor, answer });
        expect(ack.ok).toBe(true);
      }
    }
    await facilitator.getByTestId('phase-reveal').click();
    await facilitator.getByTestId('heatmap-cell').first().waitFor();
  });

  it('the downloaded SVG and PNG match the screen cell by cell', async () => {
    const heatmap = facilitator.getByTestId('heatmap');
    const viewWidth = Number(await heatmap.getAttribute('width'));
    const spots: Spot[] = await facilitator.$$eval('[data-testid="heatmap-cell"]', (cells) =>
      cells.map((c) => ({
        factor: Number(c.getAttribute('data-factor')),
        score: c.getAttribute('data-score')!,
        // Inside the cell, away from its rounded corner and from the count in its middle.
        x: Number(c.getAttribute('x')) + 7,
        y: Number(c.getAttribute('y')) + 7
      }))
    );
    expect(spots).toHaveLength(72);
    // Row backgrounds: the right edge of every row, beyond the badges.
    const rows = await facilitator.$$eval('.row-focus', (rects) =>
      rects.map((r) => ({ x: Number(r.getAttribute('width')) - 2, y: Number(r.getAttribute('y')) + 6 }))
    );
    expect(rows).toHaveLength(12);

    const screenPng = await heatmap.screenshot();
    const screenBox = (await heatmap.boundingBox())!;
    const toData = (buffer: Buffer, type: string) => `data:${type};base64,${buffer.toString('base64')}`;
    const screenScale = screenBox.width / viewWidth;

    const [svgDownload] = await Promise.all([facilitator.waitForEvent('download'), facilitator.getByRole('button', { name: nl.results.downloadSvg }).click()]);
    const svgText = (await downloadBytes(svgDownload)).toString('utf8');
    const [pngDownload] = await Promise.all([
      facilitator.waitForEvent('download', { timeout: scaled(10_000) }),
      facilitator.getByRole('button', { name: nl.results.downloadPng }).click()
    ]);
    expect(pngDownload.suggestedFilename()).toMatch(/\.png$/);
    const png = await downloadBytes(pngDownload);
    if (process.env.KEEP_HEATMAP) await fs.writeFile(process.env.KEEP_HEATMAP, png);

    // Whole names, no stylesheet needed, no filled focus rectangles.
    expect(svgText).not.toContain('…');
    expect(svgText).not.toMatch(/var\(--/);
    expect(svgText).not.toMatch(/class="row-focus[^"]*"[^>]*fill="(?!none)/);
    const labelText = svgText.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(labelText).toContain('Aandacht voor het vacuüm tussen ideeontwikkeling en toepassing');

    const checker = await e2e.newPage();
    const points = [...spots, ...rows];
    const onScreen = await sample(checker, toData(screenPng, 'image/png'), points, screenScale);
    // The files carry a heading (title, date, round, voters) above the heatmap: its spots are that much lower there.
    const offset = Number(/\sy="(\d+)"/.exec(/<svg[^>]*data-testid="heatmap"[^>]*>/.exec(svgText)![0])![1]);
    expect(offset).toBeGreaterThan(0);
    const inFile = points.map((p) => ({ x: p.x, y: p.y + offset }));
    const fromSvg = await sample(checker, `data:image/svg+xml;base64,${Buffer.from(svgText).toString('base64')}`, inFile, 1);
    const fromPng = await sample(checker, toData(png, 'image/png'), inFile, 2);
    const mismatches = points.flatMap((_point, i) => {
      const label = i < spots.length ? `cell ${spots[i].factor}/${spots[i].score}` : `row background ${i - spots.length + 1}`;
      return [
        close(onScreen[i], fromSvg[i]) ? [] : [`${label}: screen ${onScreen[i]} svg ${fromSvg[i]}`],
        close(onScreen[i], fromPng[i]) ? [] : [`${label}: screen ${onScreen[i]} png ${fromPng[i]}`]
      ].flat();
    });
    expect(mismatches).toEqual([]);
    // No black rows: every row's background is white in all three.
    for (const colours of [onScreen, fromSvg, fromPng]) for (const c of colours.slice(spots.length)) expect(c).toEqual([255, 255, 255]);
    // And the cells are not all one colour: the ramp is there.
    expect(new Set(fromPng.slice(0, spots.length).map(String)).size).toBeGreaterThan(3);
  });
});
