/**
 * The action board in a real browser: two people type into the same action point
 * at the same moment and both pages converge; owner, due date and dots reach every
 * page and the exports; markup typed by one person stays text for everyone else.
 */
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { browserAvailability } from '../helpers/browser';
import { scaled } from '../helpers/patience';
import { createSessionFromLanding, expectParticipantCount, joinByLink, textOf, useE2E, vote } from '../helpers/e2e';
import type { ExportJson } from '../../src/lib/domain/export';

const availability = browserAvailability();

const BASE = 'organise a site visit';
const MERGED = `Together: ${BASE} in March`;
const OWNER = 'Bartholomeus';
const DUE = '2026-12-31';
const MARKUP = '<img src=x onerror=alert(1)>';
const OWNER_MARKUP = '<script>alert(2)</script><b>bold</b>';

/** The co-edited text of the (first) action point for `factor` on a page. */
const actionText = (page: Page, factor: number): Locator =>
  page.locator(`[data-testid="action-item"][data-factor="${factor}"]`).first().getByTestId('action-text');
const item = (page: Page, factor: number): Locator => page.locator(`[data-testid="action-item"][data-factor="${factor}"]`).first();

/** Puts the caret at `index` (or the end) of a text area. */
async function caretAt(area: Locator, index: number | 'end'): Promise<void> {
  await area.focus();
  await area.evaluate((el, at) => {
    const textarea = el as HTMLTextAreaElement;
    const position = at === 'end' ? textarea.value.length : at;
    textarea.setSelectionRange(position, position);
  }, index);
}

describe.skipIf(!availability.run)(availability.run ? 'action board (browser)' : `action board (browser) skipped: ${availability.reason}`, () => {
  const e2e = useE2E();
  let facilitator: Page;
  let ann: Page;
  let bob: Page;
  let code = '';

  it('the session reaches the action phase after a reveal', async () => {
    facilitator = await e2e.newPage();
    // Named: two voters' figures are shown only where no k applies (docs/privacy.md).
    code = await createSessionFromLanding(facilitator, e2e.url, 'en', { named: true });
    ann = await e2e.newPage();
    bob = await e2e.newPage();
    // The two join and vote side by side: this step only brings the session to its action phase.
    await Promise.all([joinByLink(ann, e2e.url, code, 'Annemarie'), joinByLink(bob, e2e.url, code, OWNER)]);
    await expectParticipantCount(facilitator, 2);
    await facilitator.getByTestId('phase-voting').click();
    await Promise.all([vote(ann, [2, 3, 1, 4, 2, 3, 3, 4, 2, 1, 3, 'unknown']), vote(bob, [4, 3, 2, 4, 1, 3, 2, 5, 3, 1, 'unknown', 3])]);
    await expect.poll(() => facilitator.getByTestId('progress').getAttribute('data-voted')).toBe('2');
    await facilitator.getByTestId('phase-reveal').click();
    await ann.getByTestId('heatmap').waitFor();
    // Before the step that ends the rounds, the facilitator reads that it does (a new round is offered only here).
    expect(await facilitator.getByTestId('actions-end-rounds').textContent()).toContain('no new round can start');
    await facilitator.getByTestId('phase-actions').click();
    for (const page of [facilitator, ann, bob]) await page.getByTestId('action-add-3').waitFor();
    expect(await facilitator.getByTestId('actions-end-rounds').count()).toBe(0);
  });

  it('two people typing into the same action point at once converge on the merged text', async () => {
    await ann.getByTestId('action-add-3').click();
    for (const page of [facilitator, ann, bob]) await item(page, 3).waitFor();
    await actionText(ann, 3).fill(BASE);
    await expect.poll(() => actionText(bob, 3).inputValue()).toBe(BASE);

    // Ann writes at the start while Bob writes at the end, keystroke by keystroke, at the same time.
    await caretAt(actionText(ann, 3), 0);
    await caretAt(actionText(bob, 3), 'end');
    await Promise.all([ann.keyboard.type('Together: ', { delay: 25 }), bob.keyboard.type(' in March', { delay: 25 })]);

    for (const page of [ann, bob, facilitator]) await expect.poll(() => actionText(page, 3).inputValue()).toBe(MERGED);

    // Ann sees where Bob's caret is: a marker with his name, after the whole text he just typed at the end of.
    const caret = item(ann, 3).getByTestId('remote-caret');
    await expect.poll(() => caret.locator('.who').textContent()).toBe(OWNER);
    const before = await caret.evaluate((el) => {
      let text = '';
      for (let node = el.previousSibling; node; node = node.previousSibling) text = (node.textContent ?? '') + text;
      return text;
    });
    expect(before).toBe(MERGED);
    // Bob's name covers the line below his caret: it fades once he stops, and shows again when his caret moves.
    const nameShown = () => caret.locator('.who').evaluate((el) => getComputedStyle(el).opacity);
    await expect.poll(nameShown).toBe('0');
    // A moved caret's name is drawn anew (its fading starts over): the faded one is marked, and a new one replaces it.
    await caret.locator('.who').evaluate((el) => el.setAttribute('data-faded', ''));
    // Ann typing before his caret shifts it, but Bob did not move it: his name stays faded.
    await caretAt(actionText(ann, 3), 0);
    await ann.keyboard.type('Nu: ');
    for (const page of [ann, bob]) await expect.poll(() => actionText(page, 3).inputValue()).toBe(`Nu: ${MERGED}`);
    expect(await caret.locator('.who[data-faded]').count()).toBe(1);
    for (let i = 0; i < 4; i++) await ann.keyboard.press('Backspace');
    for (const page of [ann, bob]) await expect.poll(() => actionText(page, 3).inputValue()).toBe(MERGED);
    expect(await caret.locator('.who[data-faded]').count()).toBe(1);
    await bob.keyboard.type('!');
    await expect.poll(() => caret.locator('.who[data-faded]').count()).toBe(0);
    await bob.keyboard.press('Backspace');
    for (const page of [ann, bob, facilitator]) await expect.poll(() => actionText(page, 3).inputValue()).toBe(MERGED);
  });

  it('owner, due date and a dot reach every page', async () => {
    // Until a point has a due date, the facilitator is told that the calendar export would be empty.
    await expect.poll(() => facilitator.getByTestId('export-ics-empty').textContent()).toContain('None has one yet');
    await item(bob, 3).getByTestId('action-owner').fill(OWNER);
    await item(bob, 3).getByTestId('action-owner').press('Tab');
    await item(ann, 3).getByTestId('action-due').fill(DUE);
    for (const page of [facilitator, ann, bob]) {
      await expect.poll(() => item(page, 3).getByTestId('action-owner').inputValue()).toBe(OWNER);
      await expect.poll(() => item(page, 3).getByTestId('action-due').inputValue()).toBe(DUE);
    }
    await expect.poll(() => facilitator.getByTestId('export-ics-empty').count()).toBe(0);

    expect(await textOf(ann, 'action-votes')).toBe('0');
    await item(bob, 3).getByTestId('action-vote').click();
    for (const page of [facilitator, ann, bob]) await expect.poll(() => item(page, 3).getByTestId('action-votes').textContent()).toBe('1');
    expect(await item(bob, 3).getByTestId('action-vote').getAttribute('aria-pressed')).toBe('true');
    expect(await item(ann, 3).getByTestId('action-vote').getAttribute('aria-pressed')).toBe('false');
  });

  it('markup typed into an action point stays literal text on other pages', async () => {
    await ann.getByTestId('action-add-5').click();
    await item(ann, 5).waitFor();
    await actionText(ann, 5).fill(MARKUP);
    await item(bob, 5).getByTestId('action-owner').fill(OWNER_MARKUP);
    await item(bob, 5).getByTestId('action-owner').press('Tab');

    for (const page of [facilitator, ann, bob]) {
      await expect.poll(() => actionText(page, 5).inputValue()).toBe(MARKUP);
      await expect.poll(() => item(page, 5).getByTestId('action-owner').inputValue()).toBe(OWNER_MARKUP);
      expect(await page.locator('img[src="x"], main script, main b').count()).toBe(0);
    }
    // The facilitator's "merge into" list names the other point by its text, as text.
    expect(await facilitator.locator('option', { hasText: MARKUP }).count()).toBeGreaterThan(0);
    // (An alert would have been caught as an unexpected dialog by the page helper.)
  });

  it('the exports hold the text, owner, due date and votes', async () => {
    const token = await facilitator.evaluate((c) => localStorage.getItem(`seeds:facilitator:${c}`), code);
    expect(token).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    const get = (file: string, auth = true) =>
      fetch(`${e2e.url}/api/sessions/${code}/${file}`, auth ? { headers: { authorization: `Bearer ${token}` } } : {}).then(async (r) => ({
        status: r.status,
        text: await r.text()
      }));

    expect((await get('export.json', false)).status).toBe(401);
    const json = await get('export.json');
    expect(json.status).toBe(200);
    const data = JSON.parse(json.text) as ExportJson;
    expect(data.actions).toEqual(
      expect.arrayContaining([
        { factor: 3, text: MERGED, owner: OWNER, due: DUE, status: 'open', votes: 1 },
        { factor: 5, text: MARKUP, owner: OWNER_MARKUP, due: null, status: 'open', votes: 0 }
      ])
    );
    expect(data.actions).toHaveLength(2);

    const md = await get('export.md');
    expect(md.status).toBe(200);
    expect(md.text).toContain(`${MERGED} — `);
    expect(md.text).toContain(`owner: ${OWNER}`);
    // People read the due day in their language's format; it is the day typed, never moved through a zone.
    expect(md.text).toContain('due: 31 Dec 2026');
    expect(md.text).toMatch(/ · 1 dot$/m);
    // Markup in a text is escaped the Markdown way (\<), so a renderer shows it as text and never as a tag.
    expect(md.text).toContain('\\<img');
    expect(md.text).not.toMatch(/(^|[^\\])<img/m);
    expect(md.text).not.toMatch(/(^|[^\\])<script/m);
  });

  it('the facilitator compares the results with an earlier session from its export.json', async () => {
    const token = await facilitator.evaluate((c) => localStorage.getItem(`seeds:facilitator:${c}`), code);
    const data = (await fetch(`${e2e.url}/api/sessions/${code}/export.json`, { headers: { authorization: `Bearer ${token}` } }).then((r) =>
      r.json()
    )) as ExportJson;
    const now = data.factors[0].mean!;
    // The "earlier session": the same export with factor 1 one point lower.
    const earlier = {
      ...data,
      session: { ...data.session, title: 'Last spring' },
      factors: data.factors.map((f) => (f.number === 1 ? { ...f, mean: now - 1 } : f))
    };
    // In the action phase the board is the facilitator's stage; the results are one tab away.
    await facilitator.getByTestId('stage-tab-results').click();
    await facilitator.getByText('Compare with an earlier session').click();
    await facilitator
      .getByTestId('compare-file')
      .setInputFiles({ name: 'export.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(earlier)) });
    const row = facilitator.locator('[data-testid="compare-table"] tr[data-factor="1"] td');
    await expect.poll(() => row.nth(2).textContent()).toBe('+1.00');
    expect(await facilitator.getByText('Compared with Last spring').count()).toBe(1);
    // A file that is not an export is refused with a message.
    await facilitator.getByTestId('compare-file').setInputFiles({ name: 'x.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
    await facilitator.getByText('This is not the export.json of a session with results.').waitFor();
  });

  it('a research tip starts an action point, and others see it', async () => {
    await facilitator.getByTestId('stage-tab-actions').click();
    await bob.getByTestId('action-add-4').click();
    await item(bob, 4).waitFor();
    const tip = item(bob, 4).getByTestId('action-tip-4').first();
    const tipText = (await tip.textContent())!.trim();
    expect(tipText.length).toBeGreaterThan(10);
    await tip.click();
    for (const page of [facilitator, ann, bob]) await expect.poll(() => actionText(page, 4).inputValue()).toBe(tipText);
    // Once the point has text, the tips make room.
    expect(await item(bob, 4).getByTestId('action-tip-4').count()).toBe(0);
  });

  it('an action text box grows with its text up to about ten lines, then scrolls', async () => {
    // Measured on the field alone: the values are set without an input event, so nothing is sent or stored.
    const sizes = await actionText(ann, 3).evaluate((element) => {
      const area = element as HTMLTextAreaElement;
      const kept = area.value;
      const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`).join('\n');
      const heightWith = (text: string) => {
        area.value = text;
        return area.offsetHeight;
      };
      const result = {
        one: heightWith('one line'),
        six: heightWith(lines(6)),
        forty: heightWith(lines(40)),
        line: parseFloat(getComputedStyle(area).lineHeight)
      };
      area.value = kept;
      return result;
    });
    expect(sizes.six).toBeGreaterThan(sizes.one);
    expect(sizes.six).toBeGreaterThanOrEqual(6 * sizes.line);
    expect(sizes.forty).toBeLessThan(13 * sizes.line);
  });

  it('removing a point with text asks first and can be undone; merging is a deliberate step and can be undone', async () => {
    const tipText = await actionText(ann, 4).inputValue();
    await item(facilitator, 4).getByTestId('action-remove').click();
    // Nothing is removed before the confirmation.
    expect(await item(ann, 4).count()).toBe(1);
    await item(facilitator, 4).getByTestId('action-remove-confirm').click();
    for (const page of [facilitator, ann, bob]) await expect.poll(() => item(page, 4).count()).toBe(0);
    await facilitator.getByTestId('action-restore').click();
    for (const page of [facilitator, ann, bob]) await expect.poll(() => actionText(page, 4).inputValue()).toBe(tipText);

    // Choosing a target merges nothing; the Merge button does. Both texts stay: the merged point lists its part.
    await item(facilitator, 4).getByTestId('action-merge-target').selectOption({ label: MARKUP });
    expect(await item(ann, 4).count()).toBe(1);
    await item(facilitator, 4).getByTestId('action-merge').click();
    for (const page of [ann, bob]) {
      await expect.poll(() => item(page, 4).count()).toBe(0);
      await expect.poll(() => item(page, 5).locator('.part-text').textContent()).toBe(tipText);
    }
    await item(facilitator, 5).getByTestId('action-unmerge').click();
    for (const page of [facilitator, ann, bob]) await expect.poll(() => actionText(page, 4).inputValue()).toBe(tipText);
  });

  it('dot totals can be hidden until the facilitator shows them, and the board sorts by dots', async () => {
    await facilitator.getByText('Settings').click();
    await facilitator.getByTestId('hide-dot-totals').check();
    await expect.poll(() => item(ann, 3).getByTestId('action-votes').textContent()).toBe('?');
    expect(await ann.getByTestId('dot-totals-hidden').textContent()).toContain('“?”');
    expect(await facilitator.getByTestId('dot-totals-hidden').count()).toBe(0);
    expect(await item(facilitator, 3).getByTestId('action-votes').textContent()).toBe('1');
    // Ann spends two dots on factor 5 while the totals are hidden from her.
    await item(ann, 5).getByTestId('action-vote').click();
    await expect.poll(() => item(ann, 5).getByTestId('action-vote').getAttribute('aria-pressed')).toBe('true');
    await item(ann, 5).getByTestId('action-vote').click();
    await expect.poll(() => item(facilitator, 5).getByTestId('action-votes').textContent()).toBe('2');
    expect(await item(bob, 5).getByTestId('action-votes').textContent()).toBe('?');
    await facilitator.getByTestId('hide-dot-totals').uncheck();
    for (const page of [ann, bob]) await expect.poll(() => item(page, 5).getByTestId('action-votes').textContent()).toBe('2');
    expect(await ann.getByTestId('dot-totals-hidden').count()).toBe(0);

    // Under its factor's heading a point does not name the factor again; sorted by dots, each names its own.
    // (Still there for a screen reader: only its box is gone.)
    const width = (factor: Locator) => factor.evaluate((el) => el.getBoundingClientRect().width);
    expect(await width(item(ann, 5).getByTestId('action-factor'))).toBeLessThanOrEqual(1);
    await ann.getByTestId('action-sort').check();
    expect(await width(ann.getByTestId('action-sorted').getByTestId('action-factor').first())).toBeGreaterThan(20);
    const sorted = ann.getByTestId('action-sorted').getByTestId('action-item');
    await expect.poll(() => sorted.evaluateAll((items) => items.map((el) => el.getAttribute('data-factor')))).toEqual(['5', '3', '4']);
    // Moving dots changes the order for everyone who sorts.
    await item(bob, 4).getByTestId('action-vote').click();
    await item(bob, 4).getByTestId('action-vote').click();
    await expect.poll(() => sorted.evaluateAll((items) => items.map((el) => el.getAttribute('data-factor')))).toEqual(['5', '4', '3']);
    await ann.getByTestId('action-sort').uncheck();
  });

  it('a dot given while the connection is down says it is on its way, and its button waits instead of spending another', async () => {
    // Ann has one dot left (two went to factor 5).
    const before = Number(await item(facilitator, 3).getByTestId('action-votes').textContent());
    await ann.context().setOffline(true);
    const button = item(ann, 3).getByTestId('action-vote');
    await button.click();
    await expect.poll(() => item(ann, 3).getByTestId('action-dot-sending').textContent()).toBe('Sending your dot…');
    expect(await button.isDisabled()).toBe(true);
    expect(await button.getAttribute('aria-busy')).toBe('true');
    await ann.context().setOffline(false);
    // Back online: the dot counts, once, however often it had to be sent (a frame sent into a connection that had
    // dropped unnoticed is lost; the page sends it again with the dots it showed, and the server casts it once).
    await expect.poll(() => item(ann, 3).getByTestId('action-dot-sending').textContent(), { timeout: scaled(30_000) }).toBe('');
    expect(await button.getAttribute('aria-busy')).toBe('false');
    await expect.poll(() => item(facilitator, 3).getByTestId('action-votes').textContent()).toBe(String(before + 1));
    await expect.poll(() => item(ann, 3).getByTestId('action-vote').getAttribute('aria-pressed')).toBe('true');
  });

  it('a dot whose message is lost on the way (a connection that dropped unnoticed) is sent again and counted once', async () => {
    const dee = await e2e.newPage();
    // Between this page and the server: the first dot message is dropped, as a dead connection drops it.
    let dropped = 0;
    await dee.routeWebSocket(/socket\.io/, (page) => {
      const server = page.connectToServer();
      page.onMessage((message) => {
        if (dropped === 0 && typeof message === 'string' && message.includes('"dot:cast"')) return void dropped++;
        server.send(message);
      });
      server.onMessage((message) => page.send(message));
    });
    await joinByLink(dee, e2e.url, code, 'Dee');
    const before = Number(await item(facilitator, 4).getByTestId('action-votes').textContent());
    await item(dee, 4).getByTestId('action-vote').click();
    await expect.poll(() => item(dee, 4).getByTestId('action-dot-sending').textContent()).toBe('Sending your dot…');
    await expect.poll(() => item(facilitator, 4).getByTestId('action-votes').textContent(), { timeout: scaled(30_000) }).toBe(String(before + 1));
    expect(dropped).toBe(1);
    await expect.poll(() => item(dee, 4).getByTestId('action-dot-sending').textContent()).toBe('');
    expect(await item(dee, 4).getByTestId('action-vote').getAttribute('aria-pressed')).toBe('true');
  });

  it('when the session closes while someone types offline, their page says so and shows exactly the unsaved text', async () => {
    const stored = await actionText(ann, 3).inputValue();
    await ann.context().setOffline(true);
    await caretAt(actionText(ann, 3), 'end');
    await ann.keyboard.type(' plus offline words', { delay: 10 });
    const typed = `${stored} plus offline words`;
    expect(await actionText(ann, 3).inputValue()).toBe(typed);
    await facilitator.getByTestId('phase-close').click();
    await expect.poll(() => facilitator.locator('main').textContent()).toContain('Closed');
    await ann.context().setOffline(false);

    const unsaved = ann.getByTestId('unsaved-texts');
    await unsaved.waitFor();
    expect(await unsaved.getByTestId('unsaved-text').allTextContents()).toEqual([typed]);
    expect(await unsaved.getByTestId('unsaved-copy').isVisible()).toBe(true);
    // The server really does not have the words: the export shows what was stored.
    const token = await facilitator.evaluate((c) => localStorage.getItem(`seeds:facilitator:${c}`), code);
    const data = (await fetch(`${e2e.url}/api/sessions/${code}/export.json`, { headers: { authorization: `Bearer ${token}` } }).then((r) =>
      r.json()
    )) as ExportJson;
    expect(data.actions.find((a) => a.factor === 3)?.text).toBe(stored);
    // Someone who typed nothing offline is told nothing of the kind.
    expect(await bob.getByTestId('unsaved-texts').count()).toBe(0);
  });
});
