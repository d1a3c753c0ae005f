/**
 * The pages in the authorization matrix with accounts (issue 24, docs/authorization.md "Pages"): for the owner, a
 * co-facilitator, a removed co-facilitator, another account and no account, each a fresh browser holding only its
 * account cookie (no key), the community page and a session's facilitate page either show their controls or say
 * that this device has no key. The people are made as in the REST and socket matrix (tests/helpers/accounts.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { DESKTOP, useE2E } from '../helpers/e2e';
import { browserAvailability } from '../helpers/browser';
import { accountWorld, postAs, type AccountWorld } from '../helpers/accounts';
import { ACCOUNT_ROLES, type AccountRole } from '../helpers/authorization-table';
import type { CreateSessionResponse } from '../../src/lib/protocol';
import { nl } from '../../src/lib/i18n/nl';

const availability = browserAvailability();
const suite = availability.run ? describe : describe.skip;
if (!availability.run) console.warn(availability.reason);

/** What a page shows: its controls, the owner's controls too (`owner`), or only the no-key refusal (`refused`). */
type PageOutcome = 'owner' | 'controls' | 'refused';

/** The pages' table, as docs/authorization.md shows it. */
const PAGE_MATRIX: Record<'community' | 'facilitate', Record<AccountRole, PageOutcome>> = {
  community: { owner: 'owner', coFacilitator: 'controls', removedCoFacilitator: 'refused', otherAccount: 'refused', noAccount: 'refused' },
  facilitate: { owner: 'controls', coFacilitator: 'controls', removedCoFacilitator: 'refused', otherAccount: 'refused', noAccount: 'refused' }
};

suite('pages in the authorization matrix with accounts', () => {
  const e2e = useE2E({ signInsPerTenMinutes: 0 });

  /** A fresh browser with only `role`'s account cookie (none for no account). */
  async function browserOf(w: AccountWorld, role: AccountRole): Promise<Page> {
    const page = await e2e.newPage(DESKTOP);
    if (role !== 'noAccount') {
      const [name, value] = w.people[role].cookie.split('=');
      await page.context().addCookies([{ name, value, url: e2e.url, httpOnly: true, sameSite: 'Lax' }]);
    }
    return page;
  }

  async function communityPage(page: Page, id: string): Promise<PageOutcome> {
    await page.goto(`${e2e.url}/c/${id}`);
    const refusal = page.getByText(nl.community.noToken);
    const controls = page.getByTestId('community-new-session');
    await expect.poll(async () => (await refusal.isVisible()) || (await controls.isVisible())).toBe(true);
    if (await refusal.isVisible()) return 'refused';
    // The co-facilitators' list loads after the page (its invite button with it, for the owner).
    await page.getByTestId('co-facilitator').first().waitFor();
    return (await page.getByTestId('invite-create').isVisible()) ? 'owner' : 'controls';
  }

  async function facilitatePage(page: Page, code: string): Promise<PageOutcome> {
    await page.goto(`${e2e.url}/s/${code}/facilitate`);
    const refusal = page.getByText(nl.facilitate.noToken);
    const controls = page.getByTestId('steer-bar');
    await expect.poll(async () => (await refusal.isVisible()) || (await controls.isVisible())).toBe(true);
    return (await controls.isVisible()) ? 'controls' : 'refused';
  }

  it('shows each role the controls of the community page and the facilitate page as the table says', async () => {
    const w = await accountWorld(e2e.server);
    const session = await postAs<CreateSessionResponse>(e2e.server, w.owner, '/api/sessions', { community: w.community });
    expect(session.status, session.text).toBe(201);
    const actual = { community: {}, facilitate: {} } as typeof PAGE_MATRIX;
    for (const role of ACCOUNT_ROLES) {
      const page = await browserOf(w, role);
      actual.community[role] = await communityPage(page, w.community);
      actual.facilitate[role] = await facilitatePage(page, session.body.code);
      await page.context().close();
    }
    expect(actual).toEqual(PAGE_MATRIX);
  });
});
