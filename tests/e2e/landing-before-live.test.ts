/**
 * The landing page is rendered on the server, so a slow phone shows it seconds before its script runs. Typed then,
 * a session code must still take the person to the session, and nothing else typed may be lost to a plain form
 * submission. A browser with scripts off stands in for "not live yet": its join form sends `/?code=…`, which the
 * page completes once live; the other forms' buttons wait, on the sign-in page too.
 */
import { describe, expect, it } from 'vitest';
import type { CreateSessionResponse } from '../../src/lib/protocol';
import { browserAvailability } from '../helpers/browser';
import { PHONE, useE2E } from '../helpers/e2e';
import { postJson } from '../helpers/server';
import { nl } from '../../src/lib/i18n/nl';

const availability = browserAvailability();

describe.skipIf(!availability.run)(
  availability.run ? 'the landing page before its script runs (browser)' : `landing before live skipped: ${availability.reason}`,
  () => {
    const e2e = useE2E();

    it('a code sent before the page is live still reaches the session; the other forms wait', async () => {
      const created = await postJson<CreateSessionResponse>(e2e.url, '/api/sessions', { title: 'Kwartaalsessie', language: 'nl' });
      expect(created.status, created.text).toBe(201);
      const code = created.body.code;

      const notLive = await e2e.newPage({ ...PHONE, javaScriptEnabled: false });
      await notLive.goto(e2e.url);
      for (const button of ['create-session', 'create-community', 'create-organisation']) expect(await notLive.getByTestId(button).isDisabled()).toBe(true);
      await notLive.getByTestId('join-code').fill(code.toLowerCase());
      await notLive.getByTestId('join-submit').click();
      await notLive.waitForURL(/\?code=/);
      // What was typed is still there after the plain submission.
      expect(await notLive.getByTestId('join-code').inputValue()).toBe(code.toLowerCase());
      const sent = notLive.url();

      // The same address once the page is live: on to the session's join page, as the button would have done.
      const phone = await e2e.newPage(PHONE);
      await phone.goto(sent);
      await phone.waitForURL(`${e2e.url}/s/${code}`);
      await phone.getByTestId('participant-name').waitFor();

      // A code that names no session says so, and keeps what was typed.
      const wrong = await e2e.newPage(PHONE);
      await wrong.goto(`${e2e.url}/?code=ABC234`);
      await expect.poll(() => wrong.getByRole('alert').textContent()).toBe(nl.landing.unknownCode);
      expect(await wrong.getByTestId('join-code').inputValue()).toBe('ABC234');
      expect(new URL(wrong.url()).search).toBe('');
      expect(await wrong.getByTestId('create-session').isEnabled()).toBe(true);

      // The other page rendered on the server, sign-in, waits the same way: a recovery code typed there is not lost.
      await notLive.goto(`${e2e.url}/sign-in`);
      await notLive.getByTestId('recovery-code-input').fill('abcd-efgh');
      for (const button of ['sign-in-passkey', 'sign-up', 'recovery-submit']) expect(await notLive.getByTestId(button).isDisabled()).toBe(true);
    });
  }
);
