/**
 * Every entry link opened the way people open them: in a browser that has
 * never seen the session (a fresh context), on a phone, after a reload.
 * The links come from the API and from the facilitator's lobby.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { CreateSessionResponse } from '../../src/lib/protocol';
import { DESKTOP, PHONE, fillJoinForm, textOf, useE2E } from '../helpers/e2e';
import { browserAvailability } from '../helpers/browser';
import { postJson } from '../helpers/server';

const availability = browserAvailability();
const suite = availability.run ? describe : describe.skip;
if (!availability.run) console.warn(availability.reason);

suite('entry links in a fresh browser', () => {
  const e2e = useE2E();
  let created: CreateSessionResponse;
  let facilitator: Page;

  it('the facilitateUrl from POST /api/sessions opens the facilitator view on a phone, and survives a reload', async () => {
    const response = await postJson<CreateSessionResponse>(e2e.url, '/api/sessions', { title: 'Links', language: 'en' });
    expect(response.status).toBe(201);
    created = response.body;
    facilitator = await e2e.newPage(PHONE);
    await facilitator.goto(created.facilitateUrl);
    await expect.poll(() => textOf(facilitator, 'session-code')).toBe(created.code);
    // The token left the address bar (and so the history), but this browser keeps it.
    expect(facilitator.url()).not.toContain('token=');
    await facilitator.reload();
    await expect.poll(() => textOf(facilitator, 'session-code')).toBe(created.code);
    await expect.poll(() => facilitator.getByTestId('phase-voting').isEnabled()).toBe(true);
  });

  it('the lobby hands out the presenter link, which opens a read-only presenter screen elsewhere', async () => {
    const href = await facilitator.getByTestId('presenter-link').getAttribute('href');
    expect(href).toBe(created.presenterUrl);
    // One button for it in the lobby (the exports' second one is for the phases after voting).
    expect(await facilitator.locator(`a[href="${href}"]`).count()).toBe(1);
    const screen = await e2e.newPage({ viewport: { width: 1920, height: 1080 } });
    await screen.goto(href!);
    await expect.poll(() => textOf(screen, 'screen-code')).toBe(created.code.replace(/^(...)(...)$/, '$1 $2'));
    expect(screen.url()).not.toContain('key=');
    // A presenter cannot steer: no controls on the page, and the socket refuses commands.
    expect(await screen.getByTestId('phase-voting').count()).toBe(0);
    await screen.reload();
    await expect.poll(() => textOf(screen, 'screen-code')).not.toBe('');

    // The room's PC opened the screen without its key first; then the link is pasted into the same tab (only the
    // fragment differs, so the browser does not load the page again): the screen takes the key without a reload.
    const pasted = await e2e.newPage({ viewport: { width: 1920, height: 1080 } });
    await pasted.goto(href!.replace(/#.*/, ''));
    await pasted.getByRole('alert').waitFor();
    expect(await pasted.getByTestId('screen-code').count()).toBe(0);
    await pasted.goto(href!);
    await expect.poll(() => textOf(pasted, 'screen-code')).toBe(created.code.replace(/^(...)(...)$/, '$1 $2'));
  });

  it('the facilitator link for another device steers the same session from a second browser', async () => {
    await facilitator.getByTestId('facilitator-link').click();
    // The secret QR code needs its own click, under a warning (the laptop may be on the projector).
    await facilitator.getByTestId('facilitator-qr-warning').waitFor();
    expect(await facilitator.getByTestId('facilitator-qr').count()).toBe(0);
    await facilitator.getByTestId('facilitator-qr-show').click();
    await facilitator.getByTestId('facilitator-qr').waitFor();
    await facilitator.getByTestId('facilitator-qr-hide').click();
    expect(await facilitator.getByTestId('facilitator-qr').count()).toBe(0);
    const href = await facilitator.getByTestId('facilitator-link-url').getAttribute('href');
    expect(href).toBe(created.facilitateUrl);
    // The key itself is never written on the (possibly projected) screen: the link and copy button hold it.
    const token = created.facilitateUrl.split('#token=')[1];
    expect(await facilitator.locator('body').innerText()).not.toContain(token);
    const second = await e2e.newPage(DESKTOP);
    await second.goto(href!);
    await expect.poll(() => textOf(second, 'session-code')).toBe(created.code);
    await second.getByTestId('phase-voting').click();
    // Both facilitator devices follow.
    await expect.poll(() => facilitator.getByTestId('progress').count()).toBe(1);
    await expect.poll(() => second.getByTestId('progress').count()).toBe(1);
  });

  it('the join link, with the code typed in lower case, lets a phone join and vote', async () => {
    const phone = await e2e.newPage(PHONE);
    await phone.goto(created.joinUrl.replace(created.code, created.code.toLowerCase()));
    await fillJoinForm(phone, 'Noor');
    await phone.getByTestId('vote-1-4').click();
    await expect.poll(() => phone.getByTestId('vote-1-4').isChecked()).toBe(true);
    await phone.reload();
    await expect.poll(() => phone.getByTestId('vote-1-4').isChecked()).toBe(true);
    await expect.poll(() => facilitator.getByTestId('participant-count').textContent()).toBe('1');
  });
});
