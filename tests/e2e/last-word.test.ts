/**
 * Nothing someone typed is lost at a phase change. A comment typed just before
 * the facilitator reveals reaches the server after voting closed: the server
 * refuses it, and its author reads so on the results stage (not only in the
 * voting form, which is gone by then), with the text to copy, after a reload
 * too, until they dismiss it; when another round opens they carry it into it.
 * The same for answers queued offline and replayed after the reveal, a name
 * typed while the facilitator locks the door, and action-point text typed just
 * before the session closes.
 *
 * "Just before" is made exact, not left to timing: the participant's socket.io
 * frames carrying the vote are held in the page's WebSocket (Playwright's
 * routeWebSocket, the real server behind it) until the facilitator has revealed,
 * then delivered; the server's real refusal does the rest.
 */
import { describe, expect, it } from 'vitest';
import type { Page, WebSocketRoute } from 'playwright-core';
import { browserAvailability } from '../helpers/browser';
import { createSessionFromLanding, expectParticipantCount, fillJoinForm, joinByLink, PHONE, textOf, useE2E } from '../helpers/e2e';
import { nl } from '../../src/lib/i18n/nl';

const availability = browserAvailability();

/**
 * Holds the page's WebSocket frames (to paths matching `path`) that match `hold` while `holding` is on;
 * `release()` delivers them in order, `drop()` loses them with the connection (the network went away).
 */
async function holdFrames(page: Page, path: RegExp, hold: (message: string | Buffer) => boolean) {
  const held: { server: WebSocketRoute; message: string | Buffer }[] = [];
  const routes: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
  const state = { holding: false };
  await page.routeWebSocket(path, (ws) => {
    const server = ws.connectToServer();
    routes.push({ page: ws, server });
    ws.onMessage((message) => {
      if (state.holding && hold(message)) held.push({ server, message });
      else server.send(message);
    });
  });
  return {
    get held() {
      return held.length;
    },
    start() {
      state.holding = true;
    },
    release() {
      state.holding = false;
      for (const { server, message } of held.splice(0)) server.send(message);
    },
    async drop() {
      state.holding = false;
      held.splice(0);
      for (const route of routes.splice(0)) {
        await route.server.close();
        await route.page.close({ code: 4000, reason: 'network gone' });
      }
    }
  };
}
const isVote = (message: string | Buffer) => typeof message === 'string' && /^42\d*\["vote"/.test(message);

describe.skipIf(!availability.run)(availability.run ? 'the last word before a phase change (browser)' : `last word skipped: ${availability.reason}`, () => {
  const e2e = useE2E();
  let facilitator: Page;
  let fenna: Page;
  let gijs: Page;
  let code = '';
  const TYPED = 'Niemand trekt de kar na de zomer';

  it('a comment typed just before the reveal: refused by the server, and its author is told on the results stage with the text', async () => {
    facilitator = await e2e.newPage();
    code = await createSessionFromLanding(facilitator, e2e.url);
    fenna = await e2e.newPage(PHONE);
    const frames = await holdFrames(fenna, /\/socket\.io\//, isVote);
    await joinByLink(fenna, e2e.url, code, 'Fenna');
    gijs = await e2e.newPage();
    await joinByLink(gijs, e2e.url, code, 'Gijs');
    await expectParticipantCount(facilitator, 2);
    await facilitator.getByTestId('phase-voting').click();

    await fenna.getByTestId('vote-4-3').click();
    await expect.poll(() => fenna.getByTestId('my-progress').textContent()).toMatch(/Opgeslagen/);
    // The comment leaves the phone (the field loses focus), but reaches the server only after the reveal.
    frames.start();
    await fenna.getByTestId('comment-4').fill(TYPED);
    await fenna.getByTestId('comment-4').blur();
    await expect.poll(() => frames.held).toBe(1);
    await facilitator.getByTestId('phase-reveal').click();
    await fenna.locator('[data-testid="stage"][data-stage="results"]').waitFor();
    frames.release();

    const notice = fenna.getByTestId('lost-change');
    await notice.waitFor();
    expect(await notice.count()).toBe(1);
    expect(await notice.getAttribute('data-factor')).toBe('4');
    expect(await notice.textContent()).toContain(nl.vote.lostChange('comment', 4, 'closed', 1));
    expect(await notice.getByTestId('lost-text').textContent()).toBe(TYPED);
    expect(await notice.getByTestId('lost-copy').isVisible()).toBe(true);
    // In view where the page moved to (the results stage), polite, readable on the phone.
    expect(await fenna.locator('[data-testid="stage"][data-stage="results"] [data-testid="lost-change"]').count()).toBe(1);
    await expect.poll(() => notice.evaluate((el) => el.getBoundingClientRect().top >= 0 && el.getBoundingClientRect().top < window.innerHeight)).toBe(true);
    expect(await fenna.getByTestId('lost-changes').getAttribute('role')).toBe('status');
    expect(await fenna.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    // Someone whose every change arrived is told nothing of the kind.
    expect(await gijs.getByTestId('lost-change').count()).toBe(0);
  });

  it('the notice and the text survive a reload', async () => {
    await fenna.reload();
    await fenna.locator('[data-testid="stage"][data-stage="results"]').waitFor();
    await expect.poll(() => fenna.getByTestId('lost-text').textContent()).toBe(TYPED);
  });

  it('when another round opens, the author carries the text into it; then it is gone, also after a reload', async () => {
    await facilitator.getByTestId('phase-voting').click();
    await fenna.getByTestId('lost-reuse').click();
    await expect.poll(() => fenna.getByTestId('comment-4').inputValue()).toBe(TYPED);
    await expect.poll(() => fenna.getByTestId('my-progress').textContent()).toMatch(/Opgeslagen/);
    expect(await fenna.getByTestId('lost-change').count()).toBe(0);
    await fenna.reload();
    await expect.poll(() => fenna.getByTestId('comment-4').inputValue()).toBe(TYPED);
    expect(await fenna.getByTestId('lost-change').count()).toBe(0);
  });

  it('a name typed while the facilitator locks the door is kept in the form, and the newcomer is told', async () => {
    const late = await e2e.newPage(PHONE);
    await late.goto(`${e2e.url}/s/${code}`);
    await late.getByTestId('participant-name').fill('Hanna van der Berg');
    await facilitator.getByTestId('lock-joins').click();
    await expect.poll(() => facilitator.getByTestId('lock-joins').getAttribute('aria-pressed')).toBe('true');
    await late.getByTestId('join-session').click();
    await expect.poll(() => textOf(late, 'joins-locked')).toBe(nl.join.locked);
    await facilitator.getByTestId('lock-joins').click();
    await expect.poll(() => facilitator.getByTestId('lock-joins').getAttribute('aria-pressed')).toBe('false');
    await late.getByTestId('join-check-again').click();
    await expect.poll(() => late.getByTestId('participant-name').inputValue()).toBe('Hanna van der Berg');
    await fillJoinForm(late, 'Hanna van der Berg');
    // Nothing later looks at her page: closed, it no longer renders and syncs beside the pages under test.
    await late.context().close();
  });

  it('answers given while the connection was gone and replayed after the facilitator revealed are reported, not dropped', async () => {
    const frames = await holdFrames(gijs, /\/socket\.io\//, isVote);
    await gijs.reload();
    await gijs.getByTestId('vote-7-2').click();
    await expect.poll(() => gijs.getByTestId('my-progress').textContent()).toMatch(/Opgeslagen/);
    // These never reach the server: the connection drops with them on the way.
    frames.start();
    await gijs.getByTestId('vote-7-5').click();
    await gijs.getByTestId('comment-7').fill('Geschreven zonder verbinding');
    await gijs.getByTestId('comment-7').blur();
    await expect.poll(() => frames.held).toBe(2);
    await facilitator.getByTestId('phase-reveal').click();
    await expect.poll(() => facilitator.getByTestId('phase-actions').isEnabled()).toBe(true);
    await frames.drop();

    // Reconnected (after socket.io's back-off), the page finds voting closed: what it still held is reported, not silently dropped.
    const notice = gijs.getByTestId('lost-change');
    await notice.waitFor();
    expect(await notice.count()).toBe(1);
    expect(await notice.textContent()).toContain(nl.vote.lostChange('both', 7, 'closed', 2));
    expect(await notice.getByTestId('lost-text').textContent()).toBe('Geschreven zonder verbinding');
    // Dismissed, it stays gone after a reload.
    await notice.getByTestId('lost-dismiss').click();
    expect(await gijs.getByTestId('lost-change').count()).toBe(0);
    await gijs.reload();
    await gijs.locator('[data-testid="stage"][data-stage="results"]').waitFor();
    expect(await gijs.getByTestId('lost-change').count()).toBe(0);
  });

  it('action-point text typed just before the session closes is shown to its author with a copy button, also after a reload, until dismissed', async () => {
    await facilitator.getByTestId('phase-actions').click();
    const board = await holdFrames(gijs, /\/yjs\//, () => true);
    await gijs.reload();
    await gijs.locator('[data-testid="stage"][data-stage="actions"]').waitFor();
    await gijs.getByTestId('action-add-5').click();
    const text = gijs.locator('[data-testid="action-item"][data-factor="5"]').first().getByTestId('action-text');
    await text.fill('Eerst');
    await expect.poll(() => facilitator.locator('[data-testid="action-item"][data-factor="5"] [data-testid="action-text"]').first().inputValue()).toBe('Eerst');
    board.start();
    await text.pressSequentially(' en dan de rest', { delay: 5 });
    await expect.poll(() => board.held).toBeGreaterThan(0);
    await facilitator.getByTestId('phase-close').click();
    await expect.poll(() => gijs.getByTestId('action-add-5').count()).toBe(0);
    board.release();
    const unsaved = gijs.getByTestId('unsaved-texts');
    await unsaved.waitFor();
    expect(await unsaved.getByTestId('unsaved-text').allTextContents()).toEqual(['Eerst en dan de rest']);
    expect(await unsaved.getByTestId('unsaved-copy').isVisible()).toBe(true);
    // Kept across a reload until dismissed.
    await gijs.reload();
    await expect.poll(() => gijs.getByTestId('unsaved-text').allTextContents()).toEqual(['Eerst en dan de rest']);
    await gijs.getByTestId('unsaved-dismiss').click();
    expect(await gijs.getByTestId('unsaved-texts').count()).toBe(0);
    await gijs.reload();
    await gijs.getByTestId('action-board').waitFor();
    expect(await gijs.getByTestId('unsaved-texts').count()).toBe(0);
  });
});
