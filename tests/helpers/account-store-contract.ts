/**
 * The account store contract (issue 24): what every store must do with accounts, passkeys, recovery codes,
 * signed-in browsers, external identities, memberships, invites and WebAuthn ceremonies. Run by
 * tests/integration/store-contract.test.ts on SQLite (file and memory) and PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { communityRecord, sessionRecord, type StoreImplementation } from './store-contract';
import type { PasskeyRecord } from '../../server/store/types';

const passkey = (credentialId: string, accountId: string, overrides: Partial<PasskeyRecord> = {}): PasskeyRecord => ({
  credentialId,
  accountId,
  publicKey: `pk-${credentialId}`,
  counter: 0,
  transports: ['internal', 'hybrid'],
  createdAt: 1000,
  lastUsedAt: null,
  ...overrides
});

export function describeAccountStoreContract(implementation: StoreImplementation): void {
  describe.skipIf(implementation.skip)(`Account store contract: ${implementation.name}`, () => {
    it('stores an account with its passkeys, and keeps them over a restart', async () => {
      const opened = await implementation.open();
      await opened.store.createAccount({ id: 'a1', name: 'Ada', createdAt: 10 });
      await opened.store.addPasskey(passkey('cred-1', 'a1'));
      await opened.store.addPasskey(passkey('cred-2', 'a1', { createdAt: 2000, transports: [] }));
      await opened.store.usePasskey('cred-1', 7, 5000);
      const store = await opened.reopen();
      expect(await store.loadAccount('a1')).toEqual({ id: 'a1', name: 'Ada', createdAt: 10 });
      expect(await store.loadAccount('nobody')).toBeNull();
      expect(await store.findPasskey('cred-1')).toEqual(passkey('cred-1', 'a1', { counter: 7, lastUsedAt: 5000 }));
      expect(await store.findPasskey('cred-none')).toBeNull();
      expect((await store.listPasskeys('a1')).map((p) => p.credentialId)).toEqual(['cred-1', 'cred-2']);
    });

    it('refuses a passkey whose credential id is taken, and one for no account', async () => {
      const { store } = await implementation.open();
      await store.createAccount({ id: 'a1', name: 'Ada', createdAt: 10 });
      await store.createAccount({ id: 'a2', name: 'Bo', createdAt: 10 });
      await store.addPasskey(passkey('cred-1', 'a1'));
      await expect(store.addPasskey(passkey('cred-1', 'a2'))).rejects.toThrow();
      await expect(store.addPasskey(passkey('cred-9', 'nobody'))).rejects.toThrow();
      expect((await store.findPasskey('cred-1'))?.accountId).toBe('a1');
    });

    it('uses a recovery code once, even when two requests race with it; new codes replace the old', async () => {
      const { store } = await implementation.open();
      await store.createAccount({ id: 'a1', name: 'Ada', createdAt: 10 });
      await store.setRecoveryCodes('a1', ['h1', 'h2', 'h3']);
      expect(await store.countRecoveryCodes('a1')).toBe(3);
      const racing = await Promise.all([store.useRecoveryCode('h1', 100), store.useRecoveryCode('h1', 101)]);
      expect(racing.filter((a) => a === 'a1')).toHaveLength(1);
      expect(racing.filter((a) => a === null)).toHaveLength(1);
      expect(await store.useRecoveryCode('h1', 102)).toBeNull();
      expect(await store.useRecoveryCode('unknown', 102)).toBeNull();
      expect(await store.countRecoveryCodes('a1')).toBe(2);
      await store.setRecoveryCodes('a1', ['h4']);
      expect(await store.useRecoveryCode('h2', 103)).toBeNull();
      expect(await store.useRecoveryCode('h4', 103)).toBe('a1');
    });

    it('finds a signed-in browser by its hash until it expires; slides, signs out one or all, purges expired', async () => {
      const { store } = await implementation.open();
      await store.createAccount({ id: 'a1', name: 'Ada', createdAt: 10 });
      await store.createAccount({ id: 'a2', name: 'Bo', createdAt: 10 });
      await store.createAccountSession({ idHash: 's1', accountId: 'a1', createdAt: 100, lastSeenAt: 100, expiresAt: 1000 });
      await store.createAccountSession({ idHash: 's2', accountId: 'a1', createdAt: 100, lastSeenAt: 100, expiresAt: 1000 });
      await store.createAccountSession({ idHash: 's3', accountId: 'a2', createdAt: 100, lastSeenAt: 100, expiresAt: 500 });
      expect(await store.loadAccountSession('s1', 999)).toEqual({ idHash: 's1', accountId: 'a1', createdAt: 100, lastSeenAt: 100, expiresAt: 1000 });
      expect(await store.loadAccountSession('s1', 1000)).toBeNull();
      await store.touchAccountSession('s1', 900, 2000);
      expect((await store.loadAccountSession('s1', 1500))?.lastSeenAt).toBe(900);
      await store.deleteAccountSession('s2');
      expect(await store.loadAccountSession('s2', 200)).toBeNull();
      expect(await store.purgeExpiredAccountSessions(600)).toBe(1);
      expect(await store.loadAccountSession('s3', 200)).toBeNull();
      await store.createAccountSession({ idHash: 's4', accountId: 'a1', createdAt: 100, lastSeenAt: 100, expiresAt: 5000 });
      expect(await store.deleteAccountSessions('a1')).toBe(2);
      expect(await store.loadAccountSession('s4', 200)).toBeNull();
    });

    it('makes one account per external identity, however many first sign-ins race (on two instances too)', async () => {
      const { store, second } = await implementation.open();
      const other = await second();
      const identity = { issuer: 'https://idp.example', subject: 'sub-1', email: 'ada@example.org', createdAt: 10 };
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? other : store).findOrCreateByExternalIdentity(identity, { id: `try-${i}`, name: `Ada ${i}`, createdAt: 10 })
        )
      );
      const ids = new Set(results.map((r) => r.account.id));
      expect(ids.size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const [id] = ids;
      expect(await store.listExternalIdentities(id)).toEqual([{ ...identity, accountId: id }]);
      // The losers' accounts were not left behind.
      for (let i = 0; i < 6; i++) if (`try-${i}` !== id) expect(await store.loadAccount(`try-${i}`)).toBeNull();
      const again = await store.findOrCreateByExternalIdentity(identity, { id: 'later', name: 'X', createdAt: 20 });
      expect(again).toEqual({ account: { id, name: expect.any(String), createdAt: 10 }, created: false });
    });

    it('lists the communities and sessions of an account that still exist, with its role', async () => {
      const { store } = await implementation.open();
      await store.createAccount({ id: 'a1', name: 'Ada', createdAt: 10 });
      await store.createCommunity(communityRecord('c1', { createdAt: 1 }));
      await store.createCommunity(communityRecord('c2', { createdAt: 2 }));
      await store.createSession(sessionRecord('s1'));
      await store.setMembership({ accountId: 'a1', kind: 'community', target: 'c1', role: 'owner', addedAt: 1 });
      await store.setMembership({ accountId: 'a1', kind: 'community', target: 'c2', role: 'facilitator', addedAt: 2 });
      await store.setMembership({ accountId: 'a1', kind: 'session', target: 's1', role: 'owner', addedAt: 3 });
      await store.setMembership({ accountId: 'a1', kind: 'session', target: 'gone', role: 'owner', addedAt: 4 });
      // Setting again changes the role, not the count.
      await store.setMembership({ accountId: 'a1', kind: 'community', target: 'c2', role: 'owner', addedAt: 9 });
      expect(await store.loadAccountHome('a1')).toEqual({
        communities: [
          { id: 'c2', name: 'Community c2', role: 'owner' },
          { id: 'c1', name: 'Community c1', role: 'owner' }
        ],
        sessions: [{ id: 's1', code: 'C-s1', title: 'Session s1', phase: 'lobby', role: 'owner' }]
      });
      expect((await store.listMemberships('a1')).map((m) => m.target)).toEqual(['c1', 'c2', 's1', 'gone']);
      expect(await store.listMembers('community', 'c2')).toEqual([{ accountId: 'a1', kind: 'community', target: 'c2', role: 'owner', addedAt: 2 }]);
      await store.removeMembership('a1', 'community', 'c1');
      expect((await store.loadAccountHome('a1')).communities.map((c) => c.id)).toEqual(['c2']);
      await store.deleteSession('s1');
      expect((await store.loadAccountHome('a1')).sessions).toEqual([]);
    });

    it('takes an invite once, never after it expired, and never twice when two accounts race for it', async () => {
      const { store } = await implementation.open();
      await store.createAccount({ id: 'a1', name: 'Ada', createdAt: 10 });
      await store.createAccount({ id: 'a2', name: 'Bo', createdAt: 10 });
      await store.createAccount({ id: 'a3', name: 'Cy', createdAt: 10 });
      const invite = { kind: 'community' as const, target: 'c1', role: 'facilitator' as const, createdBy: 'a1', createdAt: 100, usedAt: null, usedBy: null };
      await store.createInvite({ ...invite, tokenHash: 'i1', expiresAt: 1000 });
      await store.createInvite({ ...invite, tokenHash: 'i2', expiresAt: 1000 });
      const racing = await Promise.all([store.useInvite('i1', 'a2', 200), store.useInvite('i1', 'a3', 200)]);
      expect(racing.filter((r) => r !== null)).toHaveLength(1);
      expect(await store.useInvite('i1', 'a3', 300)).toBeNull();
      expect(await store.useInvite('i2', 'a2', 1000)).toBeNull();
      expect(await store.useInvite('none', 'a2', 200)).toBeNull();
    });

    it('takes a ceremony once and not after it expired', async () => {
      const { store } = await implementation.open();
      await store.saveCeremony({ idHash: 'c1', purpose: 'register', challenge: 'ch', accountId: null, name: 'Ada', expiresAt: 1000 });
      await store.saveCeremony({ idHash: 'c2', purpose: 'authenticate', challenge: 'ch2', accountId: null, name: null, expiresAt: 1000 });
      expect(await store.takeCeremony('c1', 999)).toEqual({
        idHash: 'c1',
        purpose: 'register',
        challenge: 'ch',
        accountId: null,
        name: 'Ada',
        expiresAt: 1000
      });
      expect(await store.takeCeremony('c1', 999)).toBeNull();
      expect(await store.takeCeremony('c2', 1000)).toBeNull();
    });

    it('deletes an account with everything of it', async () => {
      const { store } = await implementation.open();
      await store.createAccount({ id: 'a1', name: 'Ada', createdAt: 10 });
      await store.addPasskey(passkey('cred-1', 'a1'));
      await store.setRecoveryCodes('a1', ['h1']);
      await store.createAccountSession({ idHash: 's1', accountId: 'a1', createdAt: 100, lastSeenAt: 100, expiresAt: 1000 });
      await store.setMembership({ accountId: 'a1', kind: 'community', target: 'c1', role: 'owner', addedAt: 1 });
      await store.findOrCreateByExternalIdentity({ issuer: 'i', subject: 's', email: null, createdAt: 1 }, { id: 'a2', name: 'B', createdAt: 1 });
      await store.deleteAccount('a1');
      expect(await store.loadAccount('a1')).toBeNull();
      expect(await store.findPasskey('cred-1')).toBeNull();
      expect(await store.useRecoveryCode('h1', 200)).toBeNull();
      expect(await store.loadAccountSession('s1', 200)).toBeNull();
      expect(await store.listMembers('community', 'c1')).toEqual([]);
      expect(await store.loadAccount('a2')).not.toBeNull();
    });
  });
}
