/**
 * The programme consent store contract (issue 25): an organisation's single-use share invitations and the one-time
 * claim of its admin. Run by tests/integration/store-contract.test.ts on SQLite and PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { communityRecord, type StoreImplementation } from './store-contract';

const organisation = (id: string) => ({ id, name: `Programme ${id}`, timeZone: 'UTC', tokenHash: `h-${id}`, createdAt: 1 });

export function describeProgrammeConsentStoreContract(implementation: StoreImplementation): void {
  describe.skipIf(implementation.skip)(`Programme consent store contract: ${implementation.name}`, () => {
    it("shares a community only by taking one of the organisation's unused, unexpired invitations, once; within the cap", async () => {
      const opened = await implementation.open();
      const store = opened.store;
      for (const id of ['o1', 'o2']) await store.createOrganisation(organisation(id));
      for (const id of ['c1', 'c2', 'c3']) await store.createCommunity(communityRecord(id));
      await store.createShareInvite({ tokenHash: 'i1', organisationId: 'o1', createdAt: 10, expiresAt: 100 });
      await store.createShareInvite({ tokenHash: 'i2', organisationId: 'o1', createdAt: 10, expiresAt: 100 });
      await store.createShareInvite({ tokenHash: 'i3', organisationId: 'o1', createdAt: 10, expiresAt: 100 });
      // Unknown, another organisation's, expired: nothing stored, the invitation stays unused.
      expect(await store.shareByInvite('nope', 'c1', 'o1', 50, 10)).toBe('unknown');
      expect(await store.shareByInvite('i1', 'c1', 'o2', 50, 10)).toBe('unknown');
      expect(await store.shareByInvite('i1', 'c1', 'o1', 100, 10)).toBe('expired');
      expect(await store.listCommunityShares('c1')).toEqual([]);
      expect(await store.shareByInvite('i1', 'c1', 'o1', 50, 10)).toBe('shared');
      expect(await store.shareByInvite('i1', 'c2', 'o1', 51, 10)).toBe('used');
      // The cap counts the organisation's other shares: full, and the invitation is kept for later.
      expect(await store.shareByInvite('i2', 'c2', 'o1', 52, 1)).toBe('full');
      // Two racing takers of one invitation: one shares.
      const race = await Promise.all([store.shareByInvite('i2', 'c2', 'o1', 53, 10), store.shareByInvite('i2', 'c3', 'o1', 53, 10)]);
      expect(race.sort()).toEqual(['shared', 'used']);
      const reopened = await opened.reopen();
      expect((await reopened.loadPortfolioFigures('o1')).map((c) => c.id).sort()).toHaveLength(2);
      expect((await reopened.listCommunityShares('c1')).map((s) => [s.organisationId, s.sharedAt])).toEqual([['o1', 50]]);
      expect(await reopened.listCommunityShares('c1')).toHaveLength(1);
      expect(await reopened.shareByInvite('i3', 'c1', 'o1', 60, 10)).toBe('shared');
      // Sharing again keeps the first moment.
      expect((await reopened.listCommunityShares('c1')).map((s) => s.sharedAt)).toEqual([50]);
    });

    it('purges share invitations, taken or not, that expired before a moment; a purged one no longer shares', async () => {
      const { store } = await implementation.open();
      await store.createOrganisation(organisation('o1'));
      await store.createCommunity(communityRecord('c1'));
      await store.createShareInvite({ tokenHash: 'taken', organisationId: 'o1', createdAt: 10, expiresAt: 100 });
      await store.createShareInvite({ tokenHash: 'old', organisationId: 'o1', createdAt: 10, expiresAt: 200 });
      await store.createShareInvite({ tokenHash: 'new', organisationId: 'o1', createdAt: 10, expiresAt: 1000 });
      expect(await store.shareByInvite('taken', 'c1', 'o1', 50, 10)).toBe('shared');
      expect(await store.purgeExpiredShareInvites(300)).toBe(2);
      expect(await store.shareByInvite('old', 'c1', 'o1', 150, 10)).toBe('unknown');
      // The share made with a purged invitation stays: purging forgets invitations, not consent already given.
      expect((await store.listCommunityShares('c1')).map((s) => s.organisationId)).toEqual(['o1']);
      expect(await store.purgeExpiredShareInvites(300)).toBe(0);
      expect(await store.shareByInvite('new', 'c1', 'o1', 400, 10)).toBe('shared');
    });

    it('removes a community by the organisation once, tells its owner until dismissed, and a new invitation takes it back', async () => {
      const opened = await implementation.open();
      const store = opened.store;
      for (const id of ['o1', 'o2']) await store.createOrganisation(organisation(id));
      for (const id of ['c1', 'c2']) await store.createCommunity(communityRecord(id));
      for (const token of ['i1', 'i2', 'i3', 'j1'])
        await store.createShareInvite({ tokenHash: token, organisationId: token.startsWith('j') ? 'o2' : 'o1', createdAt: 10, expiresAt: 1000 });
      expect(await store.shareByInvite('i1', 'c1', 'o1', 20, 10)).toBe('shared');
      expect(await store.shareByInvite('i2', 'c2', 'o1', 21, 10)).toBe('shared');
      expect(await store.shareByInvite('j1', 'c1', 'o2', 22, 10)).toBe('shared');
      expect((await store.listOrganisationShares('o1', 10)).map((r) => [r.communityId, r.sharedAt])).toEqual([
        ['c1', 20],
        ['c2', 21]
      ]);
      expect(await store.listOrganisationShares('o1', 1)).toHaveLength(1);
      // Another organisation's share, or a community that does not share: nothing removed, nothing recorded.
      expect(await store.removeShareByOrganisation('o2', 'c2', 30)).toBe(false);
      expect(await store.listShareRemovals('c2')).toEqual([]);
      // Two racing removals of one share: one removes and records.
      const race = await Promise.all([store.removeShareByOrganisation('o1', 'c1', 40), store.removeShareByOrganisation('o1', 'c1', 41)]);
      expect(race.filter(Boolean)).toHaveLength(1);
      const reopened = await opened.reopen();
      expect((await reopened.listOrganisationShares('o1', 10)).map((r) => r.communityId)).toEqual(['c2']);
      expect((await reopened.loadPortfolioFigures('o1')).map((c) => c.id)).toEqual(['c2']);
      // Its other programme keeps it; the owner's page lists the removal with the programme's name.
      expect((await reopened.listCommunityShares('c1')).map((s) => s.organisationId)).toEqual(['o2']);
      const removals = await reopened.listShareRemovals('c1');
      expect(removals.map((r) => [r.organisationId, r.organisationName])).toEqual([['o1', 'Programme o1']]);
      expect([40, 41]).toContain(removals[0].removedAt);
      // A replay records nothing twice; a new invitation takes it back and clears the removal.
      expect(await reopened.removeShareByOrganisation('o1', 'c1', 50)).toBe(false);
      expect(await reopened.listShareRemovals('c1')).toHaveLength(1);
      expect(await reopened.shareByInvite('i3', 'c1', 'o1', 60, 10)).toBe('shared');
      expect(await reopened.listShareRemovals('c1')).toEqual([]);
      expect((await reopened.listOrganisationShares('o1', 10)).map((r) => [r.communityId, r.sharedAt])).toEqual([
        ['c1', 60],
        ['c2', 21]
      ]);
      // The owner dismisses the notice of a removal: it goes, that community's only; dismissing none changes nothing.
      expect(await reopened.removeShareByOrganisation('o1', 'c1', 70)).toBe(true);
      expect(await reopened.removeShareByOrganisation('o1', 'c2', 71)).toBe(true);
      await reopened.dismissShareRemoval('c1', 'o1');
      await reopened.dismissShareRemoval('c1', 'o1');
      await reopened.dismissShareRemoval('c1', 'o2');
      expect(await reopened.listShareRemovals('c1')).toEqual([]);
      expect((await reopened.listShareRemovals('c2')).map((r) => [r.organisationId, r.removedAt])).toEqual([['o1', 71]]);
    });

    it('makes the first claimer the admin of an organisation without one, and nobody after', async () => {
      const opened = await implementation.open();
      const store = opened.store;
      await store.createOrganisation(organisation('o1'));
      await store.createOrganisation(organisation('o2'));
      for (const id of ['a1', 'a2', 'a3']) await store.createAccount({ id, name: id, createdAt: 1 });
      expect(await store.organisationHasAdmin('o1')).toBe(false);
      // A lead is no admin.
      await store.setMembership({ accountId: 'a3', kind: 'organisation', target: 'o1', role: 'facilitator', addedAt: 1 });
      expect(await store.organisationHasAdmin('o1')).toBe(false);
      const race = await Promise.all([store.claimOrganisationAdmin('a1', 'o1', 5), store.claimOrganisationAdmin('a2', 'o1', 5)]);
      expect(race.filter(Boolean)).toHaveLength(1);
      const admin = race[0] ? 'a1' : 'a2';
      const reopened = await opened.reopen();
      expect(await reopened.organisationHasAdmin('o1')).toBe(true);
      expect(await reopened.organisationHasAdmin('o2')).toBe(false);
      expect(await reopened.membershipRole(admin, [{ kind: 'organisation', target: 'o1' }])).toBe('owner');
      expect(await reopened.claimOrganisationAdmin(admin, 'o1', 6)).toBe(true);
      expect(await reopened.claimOrganisationAdmin('a3', 'o1', 6)).toBe(false);
      expect(await reopened.membershipRole('a3', [{ kind: 'organisation', target: 'o1' }])).toBe('facilitator');
    });
  });
}
