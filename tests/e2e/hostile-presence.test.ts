/**
 * Hostile presence in a real browser: a participant's awareness message whose
 * colour is a CSS payload (fixed, full-screen, a data: image) and whose name is
 * markup. Another viewer's page must look and behave as before: the board is
 * still what is under the pointer, no element carries that style, and the name
 * is shown as text.
 */
import { describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import type { Page } from 'playwright-core';
import { browserAvailability } from '../helpers/browser';
import { RawYjs, YJS_MESSAGE } from '../helpers/clients';
import { createSessionFromLanding, expectParticipantCount, joinByLink, useE2E, vote } from '../helpers/e2e';
import { joinSession } from '../helpers/server';
import { textOf } from '../../src/lib/board/actions';

const availability = browserAvailability();

const PIXEL =
  'data:image/svg+xml;base64,' +
  Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>').toString('base64');
const COLOUR = `#b3261e; position:fixed; inset:0; z-index:99999; background:url(${PIXEL})`;
const NAME = '<img src=x onerror=alert(1)>Mallory';

/** One awareness entry, as y-websocket would send it. */
function awareness(clientId: number, clock: number, state: unknown): Uint8Array {
  const update = encoding.createEncoder();
  encoding.writeVarUint(update, 1);
  encoding.writeVarUint(update, clientId);
  encoding.writeVarUint(update, clock);
  encoding.writeVarString(update, JSON.stringify(state));
  const message = encoding.createEncoder();
  encoding.writeVarUint(message, YJS_MESSAGE.awareness);
  encoding.writeVarUint8Array(message, encoding.toUint8Array(update));
  return encoding.toUint8Array(message);
}

/** What is under the middle of the board, and whether any element carries the payload's style. */
function inspect(page: Page) {
  return page.evaluate(() => {
    const board = document.querySelector('[data-testid="action-item"]')!;
    board.scrollIntoView({ block: 'center' });
    const box = board.getBoundingClientRect();
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    const styled = [...document.querySelectorAll<HTMLElement>('[style]')].filter((el) => /position:\s*fixed|url\(/i.test(el.getAttribute('style') ?? ''));
    return {
      boardUnderPointer: hit !== null && board.contains(hit),
      styled: styled.length,
      images: document.querySelectorAll('img[src="x"]').length,
      text: document.body.innerText
    };
  });
}

describe.skipIf(!availability.run)(availability.run ? 'hostile presence (browser)' : `hostile presence (browser) skipped: ${availability.reason}`, () => {
  const e2e = useE2E();

  it('a hostile colour and name in awareness change nothing another viewer sees', async () => {
    const facilitator = await e2e.newPage();
    const code = await createSessionFromLanding(facilitator, e2e.url, 'en');
    const ann = await e2e.newPage();
    await joinByLink(ann, e2e.url, code, 'Annemarie');
    await expectParticipantCount(facilitator, 1);
    await facilitator.getByTestId('phase-voting').click();
    await vote(ann, [2, 3, 1, 4, 2, 3, 3, 4, 2, 1, 3, 'unknown']);
    await expect.poll(() => facilitator.getByTestId('progress').getAttribute('data-voted')).toBe('1');
    await facilitator.getByTestId('phase-reveal').click();
    await facilitator.getByTestId('phase-actions').click();
    await ann.getByTestId('action-add-3').click();
    const point = facilitator.getByTestId('action-item').first();
    await point.waitFor();
    const actionId = (await point.getAttribute('data-id'))!;
    expect(await inspect(facilitator)).toMatchObject({ boardUnderPointer: true, styled: 0 });

    // Mallory joins and speaks only awareness, over a raw socket, in the action phase and after the close.
    const mallory = await joinSession(e2e.url, code, { name: 'Mallory' });
    const raw = await RawYjs.open(e2e.url, code, mallory.participantToken);
    // A caret that really is in the point's text (its Y.Text's id), so the page draws it with her colour.
    const room = (await e2e.server.realtime.registry.get(code))!;
    const text = textOf((await room.doc()).doc, actionId)!;
    const cursor = { type: { client: text._item!.id.client, clock: text._item!.id.clock }, assoc: 0 };
    raw.send(awareness(424242, 1, { name: NAME, colour: COLOUR, editing: actionId, cursor }));
    // Her presence does arrive (her name as text, her caret in the text), so the attack had its chance to render.
    await expect.poll(async () => (await inspect(facilitator)).text).toContain('Mallory');
    await facilitator.getByTestId('remote-caret').first().waitFor({ state: 'attached' });
    const seen = await inspect(facilitator);
    expect(seen).toMatchObject({ boardUnderPointer: true, styled: 0, images: 0 });
    expect(seen.text).toContain('<img src=x onerror=alert(1)>Mallory');
    await point.click();

    await facilitator.getByTestId('phase-close').click();
    raw.send(awareness(424242, 2, { name: NAME, colour: COLOUR, editing: actionId, cursor }));
    await expect.poll(async () => (await inspect(facilitator)).text).toContain('Mallory');
    expect(await inspect(facilitator)).toMatchObject({ boardUnderPointer: true, styled: 0, images: 0 });
  });
});
