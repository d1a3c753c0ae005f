/**
 * The home store contract (issue 24, a facilitator's home and co-facilitators): membership roles, archive marks,
 * invites looked up once used, co-facilitators with their names, and the bounded overview the home is built from.
 * Run by tests/integration/store-contract.test.ts on SQLite (file and memory) and PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { communityRecord, participantRecord, sessionRecord, type StoreImplementation } from './store-contract';
import type { RoundResults } from '../../src/lib/protocol';

/** A revealed round whose attention list names `numbers` (weakest first), with a bulky comment list the overview must not need. */
function revealed(sessionId: string, round: number, numbers: number[]) {
  const results = {
    round,
    voters: 3,
    minVoters: null,
    withheld: null,
    factors: [],
    attention: numbers.map((number, i) => ({ number, weak: true, divergent: false, unclear: false, mean: 1 + i / 10, consensus: 0.9, unknownShare: 0 })),
    groups: [],
    comments: [['x'.repeat(1000)]]
  } as unknown as RoundResults;
  return { sessionId, round, revealedAt: 100 + round, results, ballots: [] };
}

export function describeHomeStoreContract(implementation: StoreImplementation): void {
  describe.skipIf(implementation.skip)(`Home store contract: ${implementation.name}`, () => {
    it('answers the strongest role over several targets in one read', async () => {
      const { store } = await implementation.open();
      await store.createAccount({ id: 'a1', name: 'Ada', createdAt: 1 });
      await store.setMembership({ accountId: 'a1', kind: 'community', target: 'c1', role: 'facilitator', addedAt: 1 });
      await store.setMembership({ accountId: 'a1', kind: 'session', target: 's1', role: 'owner', addedAt: 2 });
      const both = [
        { kind: 'session' as const, target: 's1' },
        { kind: 'community' as const, target: 'c1' }
      ];
      expect(await store.membershipRole('a1', both)).toBe('owner');
      expect(await store.membershipRole('a1', [{ kind: 'community', target: 'c1' }])).toBe('facilitator');
      // Kind and target together: a session id is not a community id.
      expect(await store.membershipRole('a1', [{ kind: 'community', target: 's1' }])).toBeNull();
      expect(await store.membershipRole('nobody', both)).toBeNull();
      expect(await store.membershipRole('a1', [])).toBeNull();
    });

    it('archives and restores one membership only, and reads session credentials without loading sessions', async () => {
      const { store } = await implementation.open();
      await store.createAccount({ id: 'a1', name: 'Ada', createdAt: 1 });
      await store.createAccount({ id: 'a2', name: 'Bo', createdAt: 1 });
      await store.createCommunity(communityRecord('c1'));
      await store.createSession(sessionRecord('s1', { communityId: 'c1' }));
      await store.setMembership({ accountId: 'a1', kind: 'community', target: 'c1', role: 'owner', addedAt: 1 });
      await store.setMembership({ accountId: 'a2', kind: 'community', target: 'c1', role: 'facilitator', addedAt: 2 });
      expect(await store.setMembershipArchived('a1', 'community', 'c1', 50)).toBe(true);
      expect(await store.setMembershipArchived('a1', 'community', 'c9', 50)).toBe(false);
      expect((await store.loadAccountOverview('a1', 10)).communities[0].archivedAt).toBe(50);
      expect((await store.loadAccountOverview('a2', 10)).communities[0].archivedAt).toBeNull();
      // A role change (an invite accepted later) keeps the mark.
      await store.setMembership({ accountId: 'a1', kind: 'community', target: 'c1', role: 'owner', addedAt: 3 });
      expect((await store.loadAccountOverview('a1', 10)).communities[0].archivedAt).toBe(50);
      expect(await store.setMembershipArchived('a1', 'community', 'c1', null)).toBe(true);
      expect((await store.loadAccountOverview('a1', 10)).communities[0].archivedAt).toBeNull();

      const credential = { id: 's1', code: 'C-s1', communityId: 'c1', facilitatorTokenHash: 'hash-s1' };
      expect(await store.sessionCredential('C-s1')).toEqual(credential);
      expect(await store.sessionCredentialById('s1')).toEqual(credential);
      expect(await store.sessionCredential('C-none')).toBeNull();
    });

    it('finds an invite after it was used, and lists members with their names, oldest first, bounded', async () => {
      const { store } = await implementation.open();
      for (const [id, name] of [
        ['a1', 'Ada'],
        ['a2', 'Bo'],
        ['a3', 'Cy']
      ])
        await store.createAccount({ id, name, createdAt: 1 });
      await store.createInvite({
        tokenHash: 'inv',
        kind: 'community',
        target: 'c1',
        role: 'facilitator',
        createdBy: 'a1',
        createdAt: 1,
        expiresAt: 1000,
        usedAt: null,
        usedBy: null
      });
      expect(await store.useInvite('inv', 'a2', 10)).not.toBeNull();
      expect(await store.useInvite('inv', 'a3', 11)).toBeNull();
      expect(await store.findInvite('inv')).toMatchObject({ usedAt: 10, usedBy: 'a2', target: 'c1' });
      expect(await store.findInvite('unknown')).toBeNull();
      await store.setMembership({ accountId: 'a1', kind: 'community', target: 'c1', role: 'owner', addedAt: 1 });
      await store.setMembership({ accountId: 'a3', kind: 'community', target: 'c1', role: 'facilitator', addedAt: 3 });
      await store.setMembership({ accountId: 'a2', kind: 'community', target: 'c1', role: 'facilitator', addedAt: 2 });
      await store.setMembership({ accountId: 'a2', kind: 'session', target: 'c1', role: 'owner', addedAt: 2 });
      expect(await store.listMemberAccounts('community', 'c1', 10)).toEqual([
        { accountId: 'a1', name: 'Ada', role: 'owner', addedAt: 1 },
        { accountId: 'a2', name: 'Bo', role: 'facilitator', addedAt: 2 },
        { accountId: 'a3', name: 'Cy', role: 'facilitator', addedAt: 3 }
      ]);
      expect((await store.listMemberAccounts('community', 'c1', 2)).map((m) => m.accountId)).toEqual(['a1', 'a2']);
    });

    it('purges invites, used or not, that expired before a moment, and keeps the others', async () => {
      const { store } = await implementation.open();
      await store.createAccount({ id: 'a1', name: 'Ada', createdAt: 1 });
      const invite = (tokenHash: string, expiresAt: number) =>
        store.createInvite({
          tokenHash,
          kind: 'community',
          target: 'c1',
          role: 'facilitator',
          createdBy: 'a1',
          createdAt: 1,
          expiresAt,
          usedAt: null,
          usedBy: null
        });
      await invite('old-used', 100);
      await invite('old', 200);
      await invite('edge', 300);
      await invite('new', 1000);
      expect(await store.useInvite('old-used', 'a1', 50)).not.toBeNull();
      expect(await store.purgeExpiredInvites(300)).toBe(2);
      expect(await store.findInvite('old-used')).toBeNull();
      expect(await store.findInvite('old')).toBeNull();
      expect(await store.findInvite('edge')).not.toBeNull();
      expect(await store.findInvite('new')).not.toBeNull();
      expect(await store.purgeExpiredInvites(300)).toBe(0);
    });

    it('overviews communities and sessions with participants and the latest attention, once each, newest activity first', async () => {
      const opened = await implementation.open();
      const store = opened.store;
      await store.createAccount({ id: 'a1', name: 'Ada', createdAt: 1 });
      await store.createCommunity(communityRecord('c1', { createdAt: 10 }));
      await store.createCommunity(communityRecord('c2', { createdAt: 20 }));
      await store.createSession(sessionRecord('s1', { communityId: 'c1', createdAt: 30 }));
      await store.createSession(sessionRecord('s2', { createdAt: 40 }));
      await store.createSession(sessionRecord('s3', { createdAt: 50 }));
      await store.addParticipant(participantRecord('p1', 's1'));
      await store.addParticipant(participantRecord('p2', 's1'));
      await store.saveRevealedRound(revealed('s1', 1, [5]));
      await store.saveRevealedRound(revealed('s1', 2, [7, 3, 9, 11]));
      await store.setMembership({ accountId: 'a1', kind: 'community', target: 'c1', role: 'facilitator', addedAt: 1 });
      await store.setMembership({ accountId: 'a1', kind: 'community', target: 'c2', role: 'owner', addedAt: 1 });
      // s1 is reached twice (its community and its own membership): listed once, with the stronger role.
      await store.setMembership({ accountId: 'a1', kind: 'session', target: 's1', role: 'owner', addedAt: 2 });
      await store.setMembership({ accountId: 'a1', kind: 'session', target: 's2', role: 'owner', addedAt: 2 });
      // A membership of something deleted simply drops out.
      await store.setMembership({ accountId: 'a1', kind: 'session', target: 'gone', role: 'owner', addedAt: 2 });
      const store2 = await opened.reopen();
      const overview = await store2.loadAccountOverview('a1', 10);
      // s1 took a participant and a reveal after s2 was stored: the latest activity comes first.
      expect(overview.sessions.map((s) => [s.id, s.role, s.participants, s.archivable])).toEqual([
        ['s1', 'owner', 2, true],
        ['s2', 'owner', 0, true]
      ]);
      const s1 = overview.sessions.find((s) => s.id === 's1')!;
      expect(s1.communityId).toBe('c1');
      expect(s1.attention?.map((a) => a.number)).toEqual([7, 3, 9]);
      expect(overview.sessions.find((s) => s.id === 's2')!.attention).toBeNull();
      const updated = overview.sessions.map((s) => s.updatedAt);
      expect([...updated].sort((a, b) => b - a)).toEqual(updated);
      expect(overview.communities.map((c) => [c.id, c.role, c.sessions])).toEqual([
        ['c1', 'facilitator', 1],
        ['c2', 'owner', 0]
      ]);
      expect(overview.communities[0].lastActivity).toBe(s1.updatedAt);
      expect(await store2.loadAccountOverview('nobody', 10)).toEqual({ communities: [], sessions: [] });
      expect((await store2.loadAccountOverview('a1', 1)).sessions).toHaveLength(1);
    });
  });
}
