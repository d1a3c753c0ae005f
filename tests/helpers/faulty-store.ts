import type { ActionRecord } from '../../src/lib/domain/action-points';
/**
 * Fault injection for the store: a real store (SQLite in the tests) behind a
 * switch that makes writes fail on demand, the way a full or vanished disk
 * makes them fail, without touching the reads. Not a mock: every write that
 * is not failed goes to the real store, in order.
 */
import type {
  AccountHome,
  AccountOverview,
  MemberAccount,
  MembershipRole,
  SessionCredential,
  AccountRecord,
  AccountSessionRecord,
  CeremonyRecord,
  ExternalIdentityRecord,
  InviteRecord,
  MembershipKind,
  MembershipRecord,
  PasskeyRecord,
  CheckinRow,
  ActionReviewRecord,
  CommunityRecord,
  CommunitySessionRow,
  CommunityShareRow,
  HiddenComment,
  OrganisationRecord,
  SharedCommunityRows,
  ShareByInviteOutcome,
  OrganisationShareRow,
  ShareRemovalRow,
  ShareInviteRecord,
  AccountOrganisationRow,
  PaperSessionRecord,
  LoadedSession,
  ParticipantRecord,
  RevealedRound,
  SessionPatch,
  SessionRecord,
  Store,
  StoredAnswer
} from '../../server/store/types';

export type WriteName =
  | 'createSession'
  | 'saveRevealedRound'
  | 'updateSession'
  | 'deleteSession'
  | 'addParticipant'
  | 'removeParticipant'
  | 'saveAnswer'
  | 'setDots'
  | 'setCommentHidden'
  | 'saveActionPoints'
  | 'appendYjsUpdate'
  | 'compactYjs'
  | 'purgeIdle'
  | 'purgeAbandonedLobbies'
  | 'probe'
  | 'createCommunity'
  | 'savePaperSession'
  | 'saveActionReview'
  | 'deleteCommunity'
  | 'createOrganisation'
  | 'shareCommunity'
  | 'withdrawShare'
  | 'dismissShareRemoval'
  | 'removeShareByOrganisation'
  | 'createShareInvite'
  | 'shareByInvite'
  | 'claimOrganisationAdmin';

export class InjectedWriteError extends Error {
  constructor(readonly write: WriteName) {
    super(`injected fault: ${write} failed (SQLITE_FULL: database or disk is full)`);
    this.name = 'InjectedWriteError';
  }
}

export class FaultyStore implements Store {
  private failing: { remaining: number; only: ReadonlySet<WriteName> | null } | null = null;
  /** Writes that were failed, in order. */
  readonly failed: WriteName[] = [];

  constructor(readonly inner: Store) {}

  /** The next `count` writes (of the given kinds, or any) fail; Infinity until `heal()`. */
  failWrites(count = 1, only?: WriteName[]): void {
    this.failing = { remaining: count, only: only ? new Set(only) : null };
  }

  heal(): void {
    this.failing = null;
  }

  private write<T>(name: WriteName, run: () => Promise<T>): Promise<T> {
    const failing = this.failing;
    if (failing && (failing.only === null || failing.only.has(name))) {
      if (--failing.remaining <= 0) this.failing = null;
      this.failed.push(name);
      return Promise.reject(new InjectedWriteError(name));
    }
    return run();
  }

  findSessionIdByCode(code: string): Promise<string | null> {
    return this.inner.findSessionIdByCode(code);
  }
  loadSession(id: string): Promise<LoadedSession | null> {
    return this.inner.loadSession(id);
  }
  countLiveSessions(): Promise<number> {
    return this.inner.countLiveSessions();
  }
  listDueCheckins(now: number, limit: number): Promise<CheckinRow[]> {
    return this.inner.listDueCheckins(now, limit);
  }
  listOpenCheckins(communityId: string): Promise<CheckinRow[]> {
    return this.inner.listOpenCheckins(communityId);
  }
  checkinProgress(sessionId: string, factorCount: number): Promise<{ done: number; of: number }> {
    return this.inner.checkinProgress(sessionId, factorCount);
  }

  findMeetingOf(checkinId: string): Promise<string | null> {
    return this.inner.findMeetingOf(checkinId);
  }
  loadYjsUpdates(sessionId: string): Promise<Uint8Array[]> {
    return this.inner.loadYjsUpdates(sessionId);
  }
  loadRevealedRounds(sessionId: string): Promise<RevealedRound[]> {
    return this.inner.loadRevealedRounds(sessionId);
  }
  loadLatestRevealedRound(sessionId: string): Promise<RevealedRound | null> {
    return this.inner.loadLatestRevealedRound(sessionId);
  }
  saveRevealedRound(revealed: RevealedRound): Promise<void> {
    return this.write('saveRevealedRound', () => this.inner.saveRevealedRound(revealed));
  }
  createSession(session: SessionRecord, communityCap?: number): Promise<boolean> {
    return this.write('createSession', () => this.inner.createSession(session, communityCap));
  }
  updateSession(id: string, patch: SessionPatch): Promise<void> {
    return this.write('updateSession', () => this.inner.updateSession(id, patch));
  }
  deleteSession(id: string): Promise<void> {
    return this.write('deleteSession', () => this.inner.deleteSession(id));
  }
  addParticipant(participant: ParticipantRecord): Promise<void> {
    return this.write('addParticipant', () => this.inner.addParticipant(participant));
  }
  removeParticipant(sessionId: string, participantId: string): Promise<void> {
    return this.write('removeParticipant', () => this.inner.removeParticipant(sessionId, participantId));
  }
  // Fails with the same switch as a single removal: both are "the removal" to a test.
  removeParticipants(sessionId: string, participantIds: readonly string[]): Promise<void> {
    return this.write('removeParticipant', () => this.inner.removeParticipants(sessionId, participantIds));
  }
  saveAnswer(answer: StoredAnswer): Promise<void> {
    return this.write('saveAnswer', () => this.inner.saveAnswer(answer));
  }
  setCommentHidden(sessionId: string, comment: HiddenComment, hidden: boolean): Promise<void> {
    return this.write('setCommentHidden', () => this.inner.setCommentHidden(sessionId, comment, hidden));
  }
  setDots(sessionId: string, voterId: string, actionId: string, count: number): Promise<void> {
    return this.write('setDots', () => this.inner.setDots(sessionId, voterId, actionId, count));
  }
  loadActionPoints(sessionId: string): Promise<ActionRecord[]> {
    return this.inner.loadActionPoints(sessionId);
  }
  saveActionReview(review: ActionReviewRecord, actions?: readonly ActionRecord[]): Promise<void> {
    return this.write('saveActionReview', () => this.inner.saveActionReview(review, actions));
  }
  listActionReviews(communityId: string, originSessionIds?: readonly string[]): Promise<ActionReviewRecord[]> {
    return this.inner.listActionReviews(communityId, originSessionIds);
  }
  deleteCommunity(id: string): Promise<string[]> {
    return this.write('deleteCommunity', () => this.inner.deleteCommunity(id));
  }
  saveActionPoints(sessionId: string, records: readonly ActionRecord[]): Promise<void> {
    return this.write('saveActionPoints', () => this.inner.saveActionPoints(sessionId, records));
  }
  appendYjsUpdate(sessionId: string, update: Uint8Array): Promise<void> {
    return this.write('appendYjsUpdate', () => this.inner.appendYjsUpdate(sessionId, update));
  }
  compactYjs(sessionId: string, merged: Uint8Array): Promise<void> {
    return this.write('compactYjs', () => this.inner.compactYjs(sessionId, merged));
  }
  purgeIdle(before: number): Promise<string[]> {
    return this.write('purgeIdle', () => this.inner.purgeIdle(before));
  }
  purgeAbandonedLobbies(before: number): Promise<string[]> {
    return this.write('purgeAbandonedLobbies', () => this.inner.purgeAbandonedLobbies(before));
  }
  probe(): Promise<void> {
    return this.write('probe', () => this.inner.probe());
  }
  createCommunity(community: CommunityRecord): Promise<void> {
    return this.write('createCommunity', () => this.inner.createCommunity(community));
  }
  createOrganisation(organisation: OrganisationRecord): Promise<void> {
    return this.write('createOrganisation', () => this.inner.createOrganisation(organisation));
  }
  loadOrganisation(id: string): Promise<OrganisationRecord | null> {
    return this.inner.loadOrganisation(id);
  }
  shareCommunity(communityId: string, organisationId: string, sharedAt: number, cap?: number): Promise<boolean> {
    return this.write('shareCommunity', () => this.inner.shareCommunity(communityId, organisationId, sharedAt, cap));
  }
  withdrawShare(communityId: string, organisationId: string): Promise<void> {
    return this.write('withdrawShare', () => this.inner.withdrawShare(communityId, organisationId));
  }
  createShareInvite(invite: ShareInviteRecord): Promise<void> {
    return this.write('createShareInvite', () => this.inner.createShareInvite(invite));
  }
  shareByInvite(tokenHash: string, communityId: string, organisationId: string, at: number, cap: number): Promise<ShareByInviteOutcome> {
    return this.write('shareByInvite', () => this.inner.shareByInvite(tokenHash, communityId, organisationId, at, cap));
  }
  claimOrganisationAdmin(accountId: string, organisationId: string, at: number): Promise<boolean> {
    return this.write('claimOrganisationAdmin', () => this.inner.claimOrganisationAdmin(accountId, organisationId, at));
  }
  organisationHasAdmin(organisationId: string): Promise<boolean> {
    return this.inner.organisationHasAdmin(organisationId);
  }
  listOrganisationShares(organisationId: string, max: number): Promise<OrganisationShareRow[]> {
    return this.inner.listOrganisationShares(organisationId, max);
  }
  removeShareByOrganisation(organisationId: string, communityId: string, at: number): Promise<boolean> {
    return this.write('removeShareByOrganisation', () => this.inner.removeShareByOrganisation(organisationId, communityId, at));
  }
  dismissShareRemoval(communityId: string, organisationId: string): Promise<void> {
    return this.write('dismissShareRemoval', () => this.inner.dismissShareRemoval(communityId, organisationId));
  }
  listShareRemovals(communityId: string): Promise<ShareRemovalRow[]> {
    return this.inner.listShareRemovals(communityId);
  }
  listCommunityShares(communityId: string): Promise<CommunityShareRow[]> {
    return this.inner.listCommunityShares(communityId);
  }
  loadPortfolioFigures(organisationId: string): Promise<SharedCommunityRows[]> {
    return this.inner.loadPortfolioFigures(organisationId);
  }
  listAccountOrganisations(accountId: string, max: number): Promise<AccountOrganisationRow[]> {
    return this.inner.listAccountOrganisations(accountId, max);
  }
  loadCommunity(id: string): Promise<CommunityRecord | null> {
    return this.inner.loadCommunity(id);
  }
  listCommunitySessions(communityId: string): Promise<CommunitySessionRow[]> {
    return this.inner.listCommunitySessions(communityId);
  }
  savePaperSession(paper: PaperSessionRecord, cap?: number): Promise<boolean> {
    return this.write('savePaperSession', () => this.inner.savePaperSession(paper, cap));
  }
  listPaperSessions(communityId: string): Promise<PaperSessionRecord[]> {
    return this.inner.listPaperSessions(communityId);
  }
  latestPaperSession(communityId: string, day: string, createdBefore: number): Promise<PaperSessionRecord | null> {
    return this.inner.latestPaperSession(communityId, day, createdBefore);
  }
  // Accounts pass through: no test fails them yet.
  createAccount(account: AccountRecord): Promise<void> {
    return this.inner.createAccount(account);
  }
  loadAccount(id: string): Promise<AccountRecord | null> {
    return this.inner.loadAccount(id);
  }
  deleteAccount(id: string): Promise<void> {
    return this.inner.deleteAccount(id);
  }
  addPasskey(passkey: PasskeyRecord): Promise<void> {
    return this.inner.addPasskey(passkey);
  }
  findPasskey(credentialId: string): Promise<PasskeyRecord | null> {
    return this.inner.findPasskey(credentialId);
  }
  listPasskeys(accountId: string): Promise<PasskeyRecord[]> {
    return this.inner.listPasskeys(accountId);
  }
  usePasskey(credentialId: string, counter: number, at: number): Promise<void> {
    return this.inner.usePasskey(credentialId, counter, at);
  }
  setRecoveryCodes(accountId: string, codeHashes: readonly string[]): Promise<void> {
    return this.inner.setRecoveryCodes(accountId, codeHashes);
  }
  useRecoveryCode(codeHash: string, at: number): Promise<string | null> {
    return this.inner.useRecoveryCode(codeHash, at);
  }
  countRecoveryCodes(accountId: string): Promise<number> {
    return this.inner.countRecoveryCodes(accountId);
  }
  createAccountSession(session: AccountSessionRecord): Promise<void> {
    return this.inner.createAccountSession(session);
  }
  loadAccountSession(idHash: string, now: number): Promise<AccountSessionRecord | null> {
    return this.inner.loadAccountSession(idHash, now);
  }
  touchAccountSession(idHash: string, lastSeenAt: number, expiresAt: number): Promise<void> {
    return this.inner.touchAccountSession(idHash, lastSeenAt, expiresAt);
  }
  deleteAccountSession(idHash: string): Promise<void> {
    return this.inner.deleteAccountSession(idHash);
  }
  deleteAccountSessions(accountId: string): Promise<number> {
    return this.inner.deleteAccountSessions(accountId);
  }
  purgeExpiredAccountSessions(now: number): Promise<number> {
    return this.inner.purgeExpiredAccountSessions(now);
  }
  listExternalIdentities(accountId: string): Promise<ExternalIdentityRecord[]> {
    return this.inner.listExternalIdentities(accountId);
  }
  sessionCredential(code: string): Promise<SessionCredential | null> {
    return this.inner.sessionCredential(code);
  }

  sessionCredentialById(id: string): Promise<SessionCredential | null> {
    return this.inner.sessionCredentialById(id);
  }

  membershipRole(accountId: string, targets: readonly { kind: MembershipKind; target: string }[]): Promise<MembershipRole | null> {
    return this.inner.membershipRole(accountId, targets);
  }

  setMembershipArchived(accountId: string, kind: MembershipKind, target: string, archivedAt: number | null): Promise<boolean> {
    return this.inner.setMembershipArchived(accountId, kind, target, archivedAt);
  }

  findInvite(tokenHash: string): Promise<InviteRecord | null> {
    return this.inner.findInvite(tokenHash);
  }

  listMemberAccounts(kind: MembershipKind, target: string, max: number): Promise<MemberAccount[]> {
    return this.inner.listMemberAccounts(kind, target, max);
  }

  loadAccountOverview(accountId: string, max: number): Promise<AccountOverview> {
    return this.inner.loadAccountOverview(accountId, max);
  }

  setMembership(membership: MembershipRecord): Promise<void> {
    return this.inner.setMembership(membership);
  }
  removeMembership(accountId: string, kind: MembershipKind, target: string): Promise<void> {
    return this.inner.removeMembership(accountId, kind, target);
  }
  listMemberships(accountId: string): Promise<MembershipRecord[]> {
    return this.inner.listMemberships(accountId);
  }
  listMembers(kind: MembershipKind, target: string): Promise<MembershipRecord[]> {
    return this.inner.listMembers(kind, target);
  }
  loadAccountHome(accountId: string): Promise<AccountHome> {
    return this.inner.loadAccountHome(accountId);
  }
  purgeExpiredInvites(before: number): Promise<number> {
    return this.inner.purgeExpiredInvites(before);
  }
  purgeExpiredShareInvites(before: number): Promise<number> {
    return this.inner.purgeExpiredShareInvites(before);
  }
  createInvite(invite: InviteRecord): Promise<void> {
    return this.inner.createInvite(invite);
  }
  useInvite(tokenHash: string, accountId: string, at: number): Promise<InviteRecord | null> {
    return this.inner.useInvite(tokenHash, accountId, at);
  }
  saveCeremony(ceremony: CeremonyRecord): Promise<void> {
    return this.inner.saveCeremony(ceremony);
  }
  takeCeremony(idHash: string, now: number): Promise<CeremonyRecord | null> {
    return this.inner.takeCeremony(idHash, now);
  }
  findOrCreateByExternalIdentity(
    identity: Omit<ExternalIdentityRecord, 'accountId'>,
    account: AccountRecord
  ): Promise<{ account: AccountRecord; created: boolean }> {
    return this.inner.findOrCreateByExternalIdentity(identity, account);
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
