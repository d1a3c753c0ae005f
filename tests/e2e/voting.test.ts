/**
 * Voting and the reveal in a real browser: three people score all 12 factors
 * (one reloads half-way, one changes a vote), nobody sees anything but their own
 * answers before the reveal, and afterwards every page shows the same heatmap
 * and statistics, equal to what the domain code computes from the same votes.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserAvailability } from '../helpers/browser';
import { FACTORS, checkedAnswers, createSessionFromLanding, expectParticipantCount, joinByLink, useE2E, vote } from '../helpers/e2e';
import { factorStats, roundTo } from '../../src/lib/domain/statistics';
import type { Answer } from '../../src/lib/protocol';
import { en } from '../../src/lib/i18n/en';
import { nl } from '../../src/lib/i18n/nl';

const availability = browserAvailability();

/** Distinctive names, so that they can be looked for in what the server sends. */
const NAMES = ['Annemarie', 'Bartholomeus', 'Cemile'];
/** Final answers per person, factor 1..12. Cemile first answers 5 on factor 1, then changes it to "don't know". */
const VOTES: Answer[][] = [
  [2, 4, 3, 1, 5, 'unknown', 3, 2, 4, 5, 1, 3],
  [4, 4, 2, 1, 5, 3, 'unknown', 2, 3, 1, 1, 4],
  ['unknown', 4, 1, 2, 4, 3, 'unknown', 5, 'unknown', 5, 2, 3]
];
const FIRST_TRY: Answer[] = [5, ...VOTES[2].slice(1)];
const plain = (value: number | null) => (value === null ? '' : String(roundTo(value)));

describe.skipIf(!availability.run)(availability.run ? 'voting and reveal (browser)' : `voting and reveal (browser) skipped: ${availability.reason}`, () => {
  const e2e = useE2E();
  let facilitator: Page;
  const people: Page[] = [];
  /** WebSocket frames each participant received before the reveal. */
  const frames: string[][] = [];

  it('three people join and the facilitator opens voting', async () => {
    facilitator = await e2e.newPage();
    // Named: the checks below read per-person progress and figures of one or two voters, which an
    // anonymous session withholds (k = 3, docs/privacy.md); the page must say so before anyone joins.
    const code = await createSessionFromLanding(facilitator, e2e.url, undefined, { named: true });
    for (const [i, name] of NAMES.entries()) {
      const page = await e2e.newPage();
      frames[i] = [];
      page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => frames[i].push(String(payload))));
      if (i === 0) {
        await page.goto(`${e2e.url}/s/${code}`);
        const promise = await page.getByTestId('privacy-promise').textContent();
        expect([nl.join.namedNote, en.join.namedNote]).toContain(promise?.trim());
      }
      await joinByLink(page, e2e.url, code, name, i + 1);
      people.push(page);
    }
    await expectParticipantCount(facilitator, 3);
    await facilitator.getByTestId('phase-voting').click();
    for (const page of people) await page.getByTestId('vote-1-1').waitFor();
    // The voting page keeps the same promise: a named session never says "nobody sees your scores".
    const promise = (await people[0].getByTestId('privacy-promise').textContent())?.trim();
    expect([nl.vote.secretNamed, en.vote.secretNamed]).toContain(promise);
    const progress = facilitator.getByTestId('progress');
    expect(await progress.getAttribute('data-voted')).toBe('0');
    expect(await progress.getAttribute('data-total')).toBe('3');
  });

  it('a person who reloads half-way gets their answers back', async () => {
    const [ann] = people;
    await vote(ann, VOTES[0].slice(0, 6));
    await expect.poll(() => ann.getByTestId('my-progress').getAttribute('data-answered')).toBe('6');
    // Reload only once the server has all six (the facilitator's list counts acknowledged answers).
    await expect.poll(() => facilitator.getByTestId('participant').filter({ hasText: NAMES[0] }).textContent()).toContain('6/12');
    await ann.reload();
    await ann.getByTestId('vote-1-1').waitFor();
    await expect.poll(() => checkedAnswers(ann)).toEqual([...VOTES[0].slice(0, 6).map(String), ...Array(6).fill(null)]);
    expect(await ann.getByTestId('my-progress').getAttribute('data-answered')).toBe('6');
    await vote(ann, [...Array(6).fill(null), ...VOTES[0].slice(6)]);
  });

  it('everyone answers all 12, one changes a vote; progress counts 3 of 3', async () => {
    // Two people answer side by side; the third's own change is checked step by step on their page.
    await Promise.all([
      vote(people[1], VOTES[1]),
      (async () => {
        await vote(people[2], FIRST_TRY);
        expect(await people[2].getByTestId('vote-1-5').isChecked()).toBe(true);
        await vote(people[2], ['unknown']);
        expect(await people[2].getByTestId('vote-1-5').isChecked()).toBe(false);
      })()
    ]);

    for (const [i, page] of people.entries()) {
      await expect.poll(() => page.getByTestId('my-progress').getAttribute('data-answered')).toBe('12');
      expect(await checkedAnswers(page)).toEqual(VOTES[i].map(String));
    }
    const progress = facilitator.getByTestId('progress');
    await expect.poll(() => progress.getAttribute('data-voted')).toBe('3');
    expect(await progress.getAttribute('data-total')).toBe('3');
  });

  it('before the reveal no page shows results or anybody else’s answers', async () => {
    for (const [i, page] of people.entries()) {
      expect(await page.getByTestId('heatmap').count()).toBe(0);
      expect(await page.getByTestId('heatmap-cell').count()).toBe(0);
      expect(await page.getByTestId('factor-stats').count()).toBe(0);
      // The only selected options are the person's own.
      expect(await checkedAnswers(page)).toEqual(VOTES[i].map(String));
      // Nothing the server sent them holds a distribution or another person's name.
      const received = frames[i].join('\n');
      expect(received).toContain(NAMES[i]);
      expect(received).not.toContain('"distribution"');
      for (const other of NAMES.filter((_, j) => j !== i)) expect(received).not.toContain(other);
    }
  });

  it('after the reveal every page shows the same heatmap and statistics', async () => {
    await facilitator.getByTestId('phase-reveal').click();
    const expected = FACTORS.map((n) =>
      factorStats(
        n,
        VOTES.map((answers) => answers[n - 1])
      )
    );
    const expectedCells: Record<string, string> = {};
    for (const s of expected) {
      for (const score of ['1', '2', '3', '4', '5'] as const) expectedCells[`${s.number}-${score}`] = String(s.distribution![score]);
      expectedCells[`${s.number}-unknown`] = String(s.unknown);
    }
    const expectedStats = expected.map((s) => ({ factor: String(s.number), n: String(s.n), mean: plain(s.mean), consensus: plain(s.consensus) }));

    for (const page of [facilitator, ...people]) {
      await page.getByTestId('heatmap').waitFor();
      const cells = () =>
        page
          .getByTestId('heatmap-cell')
          .evaluateAll((rects) =>
            Object.fromEntries(rects.map((r) => [`${r.getAttribute('data-factor')}-${r.getAttribute('data-score')}`, r.getAttribute('data-count')]))
          );
      await expect.poll(cells).toEqual(expectedCells);
      const stats = await page.getByTestId('factor-stats').evaluateAll((rows) =>
        rows.map((r) => ({
          factor: r.getAttribute('data-factor'),
          n: r.getAttribute('data-n'),
          mean: r.getAttribute('data-mean'),
          consensus: r.getAttribute('data-consensus')
        }))
      );
      expect(stats).toEqual(expectedStats);

      // By hand: factor 1 has the scores 2 and 4 (and one "don't know"): mean 3, and
      // consensus 1 + 2 · ½ · log₂(1 − 1/4) = 1 + log₂ 0.75 ≈ 0.585.
      expect(stats[0]).toEqual({ factor: '1', n: '2', mean: '3', consensus: '0.585' });
      // Factor 2: everyone gave 4, so full consensus. Factor 7: a single score.
      expect(stats[1]).toEqual({ factor: '2', n: '3', mean: '4', consensus: '1' });
      expect(stats[6]).toEqual({ factor: '7', n: '1', mean: '3', consensus: '1' });
      expect(await page.locator('[data-testid="heatmap-cell"][data-factor="1"][data-score="unknown"]').getAttribute('data-count')).toBe('1');
    }
    // Voting is over: the scoring form is gone.
    for (const page of people) expect(await page.getByTestId('vote-1-1').count()).toBe(0);
  });

  it('the heatmap works from the keyboard: focus shows counts and the statement, Enter opens the details', async () => {
    const page = people[0];
    const firstRow = page.locator('svg[data-testid="heatmap"] .row-focus').first();
    await firstRow.focus();
    const caption = page.locator('figure.heatmap-figure figcaption');
    // Factor 1's counts: one 2, one 4, one "don't know".
    await expect.poll(() => caption.textContent()).toMatch(/2: 1, 3: 0, 4: 1/);
    await page.keyboard.press('Enter');
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    expect(await dialog.locator('h2').textContent()).toMatch(/^1\. /);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('dialog[open]').count()).toBe(0);
  });
});
