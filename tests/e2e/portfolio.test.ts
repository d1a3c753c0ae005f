/**
 * The programme view in the browser (issue 25): an organisation with three shared communities and one that
 * does not share, opened from its link on a 360 px phone and at 1920×1080 (no sideways scrolling, a table
 * beside every chart, screenshots in test-results/), then a community withdrawing its share from its own page.
 * The communities' revealed rounds are stored through the running server's store (computed by the live
 * statistics); live voting has its own browser tests.
 */
import { describe, expect, it } from 'vitest';
import type { CreateCommunityResponse, CreateOrganisationResponse } from '../../src/lib/protocol';
import { browserAvailability } from '../helpers/browser';
import { axeViolations, useE2E } from '../helpers/e2e';
import { api, postJson } from '../helpers/server';
import { FULL_HD, PHONE_360, screenshot, seedRevealedSession, shareWithInvitation } from '../helpers/e2e-accounts';

const availability = browserAvailability();
const suite = availability.run ? describe : describe.skip;
if (!availability.run) console.warn(availability.reason);

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

suite('the programme view of three shared communities, on a phone and at 1920×1080', () => {
  const e2e = useE2E();
  let organisation: CreateOrganisationResponse;
  const communities: CreateCommunityResponse[] = [];
  let seeded = 0;

  const seed = (communityId: string, base: number, at: number) => {
    const n = ++seeded;
    return seedRevealedSession(e2e, communityId, `e2e-seeded-${n}`, `E${String(n).padStart(5, '0')}`, base, at);
  };

  it('sets up an organisation, three communities that share and one that does not', async () => {
    const created = await postJson<CreateOrganisationResponse>(e2e.url, '/api/organisations', {
      name: 'Greenport West-Holland innovatiepact',
      timeZone: 'Europe/Amsterdam'
    });
    expect(created.status, created.text).toBe(201);
    organisation = created.body;
    const names = ['Vertical Farming lerende gemeenschap', 'Kas als Energiebron', 'Biobased Bouwen', 'Niet gedeeld'];
    for (const [i, name] of names.entries()) {
      const c = await postJson<CreateCommunityResponse>(e2e.url, '/api/communities', { name, language: 'nl' });
      expect(c.status).toBe(201);
      communities.push(c.body);
      for (const [s, at] of [Date.UTC(2026, 1, 10), Date.UTC(2026, 4, 12), Date.UTC(2026, 8, 15)].entries()) await seed(c.body.id, i + s, at);
      // The organisation's consent: a share invitation made with its key (it has no admin), taken by the community.
      if (i < 3) await shareWithInvitation(e2e, organisation.id, { key: organisation.organisationToken }, c.body);
    }
  });

  it('on a 360 px phone: the heatmap, the tables and the trends without sideways scrolling', async () => {
    const phone = await e2e.newPage(PHONE_360);
    await phone.goto(organisation.organisationUrl);
    await phone.getByTestId('portfolio-heatmap').waitFor();
    expect(phone.url()).not.toContain('token=');
    expect(await phone.getByTestId('portfolio-community').count()).toBe(3);
    expect(await phone.getByTestId('portfolio-cell').count()).toBe(36);
    expect(await phone.locator('[data-testid="portfolio-community"]', { hasText: 'Niet gedeeld' }).count()).toBe(0);
    expect(await phone.getByTestId('portfolio-trend').count()).toBe(12);
    // The key left the address bar; the page offers it for another device, hidden on screen, and that link opens it there.
    const deviceLink = phone.getByTestId('organisation-device-link');
    const href = (await deviceLink.getAttribute('href'))!;
    expect(href).toContain(`/o/${organisation.id}#token=${organisation.organisationToken}`);
    expect(await deviceLink.textContent()).not.toContain(organisation.organisationToken);
    const width = await phone.evaluate(() => document.scrollingElement!.scrollWidth);
    await screenshot(phone, 'portfolio-phone-360');
    const otherDevice = await e2e.newPage(PHONE_360);
    await otherDevice.goto(href);
    await otherDevice.getByTestId('portfolio-heatmap').waitFor();
    // Against the device's 360 px: a mobile browser widens innerWidth to content that overflows.
    expect(width).toBeLessThanOrEqual(360);
  });

  it('at 1920×1080: every factor has its programme figures, and the page passes axe', async () => {
    const wide = await e2e.newPage(FULL_HD);
    await wide.goto(organisation.organisationUrl);
    await wide.getByTestId('portfolio-heatmap').waitFor();
    const medians = await wide.getByTestId('portfolio-factor').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-median')));
    expect(medians).toHaveLength(12);
    expect(medians.every((m) => m !== '')).toBe(true);
    await screenshot(wide, 'portfolio-desktop-1920x1080');
    expect(await axeViolations(wide)).toEqual([]);
  });

  it('a community sees itself beside the programme on its page and withdraws: the programme view loses it at once', async () => {
    const owner = await e2e.newPage(FULL_HD);
    await owner.goto(communities[0].communityUrl);
    await owner.getByTestId('community-share').waitFor();
    expect(await owner.getByTestId('beside-factor').count()).toBe(12);
    await owner.getByTestId('share-withdraw').click();
    await expect.poll(() => owner.getByTestId('community-share').count()).toBe(0);
    const view = await api<{ communities: { id: string }[] }>(e2e.url, `/api/organisations/${organisation.id}/portfolio.json`, {
      headers: bearer(organisation.organisationToken)
    });
    expect(view.body.communities.map((c) => c.id)).not.toContain(communities[0].id);
  });
});
