import type { Language } from '../../src/lib/domain/framework';
import type { Phase } from '../../src/lib/domain/phases';
import type { Answer } from '../../src/lib/domain/ballots';
import type { FrozenBallot } from '../../src/lib/domain/results';
import type { RoundResults, SessionSettings } from '../../src/lib/protocol';
import type { ActionRecord } from '../../src/lib/domain/action-points';
import type { ActionReviewRecord } from '../../src/lib/domain/review';
import type { PaperFigures } from '../../src/lib/domain/community';
import type { SharedCommunityFigures } from '../../src/lib/domain/portfolio';
import type { RevealAt, SessionMode } from '../../src/lib/domain/checkins';
import type { AttentionItem } from '../../src/lib/domain/statistics';

export type { ActionReviewRecord } from '../../src/lib/domain/review';

export interface SessionRecord {
  id: string;
  code: string;
  title: string;
  language: Language;
  framework: string;
  anonymous: boolean;
  facilitatorTokenHash: string;
  /** Hash of the read-only presenter credential (derived from the facilitator token); null until first derived. */
  presenterTokenHash: string | null;
  phase: Phase;
  round: number;
  /** Epoch ms (server clock) at which the ballot box closes by itself, or null. */
  votingDeadline: number | null;
  /** During `voting`: the facilitator closed the ballot box without revealing. */
  votingClosed: boolean;
  /** During `voting`: a paused countdown's remaining milliseconds, or null. */
  votingPausedMs: number | null;
  settings: SessionSettings;
  /** Rounds whose results were revealed, ascending. */
  revealedRounds: number[];
  /** The learning community this session belongs to, or null for a session on its own. */
  communityId: string | null;
  /** The IANA time zone where the group meets: every date written for the session is the local day there. */
  timeZone: string;
  /** `live` (a meeting) or `checkin`: scored on people's own time until `deadline` (issue 25). */
  mode: SessionMode;
  /** A check-in's deadline (epoch ms), kept after it passed; null for a live session. */
  deadline: number | null;
  /** A check-in's reveal: by itself at the deadline, or by the facilitator; null for a live session. */
  revealAt: RevealAt | null;
  /**
   * A meeting started from a check-in: the check-in's id. Its round 1 is the check-in's frozen round, so the
   * community's trend and the programme view count that measurement once (the check-in's, continued here).
   */
  seededFrom?: string | null;
  createdAt: number;
  updatedAt: number;
}

export type SessionPatch = Partial<
  Pick<
    SessionRecord,
    'phase' | 'round' | 'votingDeadline' | 'votingClosed' | 'votingPausedMs' | 'settings' | 'revealedRounds' | 'presenterTokenHash' | 'deadline'
  >
>;

export interface ParticipantRecord {
  id: string;
  sessionId: string;
  tokenHash: string;
  name: string;
  group: string | null;
  language: Language | null;
  joinedAt: number;
}

export interface StoredAnswer {
  sessionId: string;
  round: number;
  participantId: string;
  factor: number;
  answer: Answer;
  comment: string | null;
}

/** A comment the facilitator hid from the room. */
export interface HiddenComment {
  round: number;
  factor: number;
  text: string;
}

export interface DotRecord {
  voterId: string;
  actionId: string;
  count: number;
}

/**
 * What one round revealed, frozen at the reveal and never recomputed: later
 * removals or setting changes do not touch it (docs/privacy.md).
 */
export interface RevealedRound {
  sessionId: string;
  round: number;
  /** Epoch ms of the reveal. */
  revealedAt: number;
  /**
   * The results exactly as every role received them: `{round, voters, minVoters,
   * withheld, factors: FactorStats[], attention, groups, named}` (RoundResults in
   * src/lib/protocol). Per factor: `{number, n, unknown, mean, median, stddev,
   * consensus, distribution: {"1".."5"} | null, weak, divergent}`; figures are
   * null where fewer than k voters scored.
   */
  results: RoundResults;
  /** Ballot rows for the CSV export: `{name: string | null, answers: (1..5 | "unknown" | null)[]}`, sorted, without ids. */
  ballots: FrozenBallot[];
}

/** A learning community: a series of sessions followed over time (issue 14). */
export interface CommunityRecord {
  id: string;
  name: string;
  language: Language;
  framework: string;
  /** Hash of the community credential; the token itself is never stored. */
  tokenHash: string;
  /** The IANA time zone where the community meets (its sessions take it unless given another). */
  timeZone: string;
  createdAt: number;
}

/** A live session of a community, as its community page lists it. */
export interface CommunitySessionRow {
  id: string;
  code: string;
  title: string;
  phase: Phase;
  /** The session's IANA time zone. */
  timeZone: string;
  createdAt: number;
  /** A meeting was started from this check-in: its measurement lives on as the meeting's round 1 (counted there). */
  continued: boolean;
}

/** Counts of one factor counted on a paper poster: dots per score and "don't know". */
export interface PaperFactorCounts {
  number: number;
  distribution: Record<'1' | '2' | '3' | '4' | '5', number>;
  unknown: number;
}

/** A session held on paper, entered afterwards: aggregates only, nothing per person. */
export interface PaperSessionRecord {
  id: string;
  communityId: string;
  /** `P` and six code characters: never a valid live session code, so the two cannot be confused. */
  code: string;
  title: string;
  /** The day it was held, YYYY-MM-DD. */
  date: string;
  factors: PaperFactorCounts[];
  /**
   * Its figures (paperFigures of `factors`), computed once when it was stored and
   * stored with it; readers never recompute them. Rows stored before the column
   * existed get theirs when the store opens.
   */
  figures: PaperFigures;
  /** `paper`: counted on a poster; `import`: a session held elsewhere, imported from its export.json. */
  source: 'paper' | 'import';
  createdAt: number;
}

/**
 * A review decision refused because another session of the community already
 * decided the same earlier action point (done, dropped or carried over): the
 * store's constraint, so two sessions racing, even on two instances, cannot both
 * decide it. Nothing of the write it came with was stored.
 */
export class DecidedElsewhereError extends Error {
  constructor(
    readonly originSessionId: string,
    readonly actionId: string
  ) {
    super(`action point ${originSessionId}/${actionId} was already decided by another session`);
    this.name = 'DecidedElsewhereError';
  }
}

/** Everything about one session that the live room keeps in memory. */
export interface LoadedSession {
  session: SessionRecord;
  participants: ParticipantRecord[];
  answers: StoredAnswer[];
  dots: DotRecord[];
  /** Frozen results of revealed rounds, oldest first. */
  revealed: RevealedRound[];
  actions: ActionRecord[];
  hiddenComments: HiddenComment[];
}

/** Sessions and their participants: the session row, who joined, and the purges that remove idle sessions. */
export interface SessionStore {
  findSessionIdByCode(code: string): Promise<string | null>;
  loadSession(id: string): Promise<LoadedSession | null>;
  countLiveSessions(): Promise<number>;
  /**
   * Stores a new session. With `communityCap`, a session of a community is stored only
   * while its community holds fewer than that many live sessions, counted in the same
   * transaction as the insert (so instances sharing a database cannot both pass the
   * last place); answers false, storing nothing, when the community is full.
   */
  createSession(session: SessionRecord, communityCap?: number): Promise<boolean>;
  updateSession(id: string, patch: SessionPatch): Promise<void>;
  deleteSession(id: string): Promise<void>;
  addParticipant(participant: ParticipantRecord): Promise<void>;
  removeParticipant(sessionId: string, participantId: string): Promise<void>;
  /** Removes several participants (with their answers and dots) in one transaction: all of them, or none. */
  removeParticipants(sessionId: string, participantIds: readonly string[]): Promise<void>;
  /**
   * Deletes sessions not updated since `before` (epoch ms); returns their ids.
   * Sessions of a community are kept: the community's trend is built from them (docs/privacy.md).
   */
  purgeIdle(before: number): Promise<string[]>;
  /** Deletes sessions still in the lobby and not updated since `before` (epoch ms); returns their ids. */
  purgeAbandonedLobbies(before: number): Promise<string[]>;
}

/** A check-in as the community page and the deadline sweep read it. */
export interface CheckinRow {
  id: string;
  code: string;
  title: string;
  phase: Phase;
  deadline: number;
  revealAt: RevealAt;
  timeZone: string;
  /** The ballot box closed (its deadline passed; it waits for the facilitator to reveal). */
  votingClosed: boolean;
}

/**
 * Check-ins (issue 25): the sessions whose deadline must be kept even when no instance has them in
 * memory (idle unload, a restart), and a community's open ones for its page.
 */
export interface CheckinStore {
  /** Check-ins still open for scoring whose deadline is at or before `now`, oldest deadline first, at most `limit`. */
  listDueCheckins(now: number, limit: number): Promise<CheckinRow[]>;
  /** A community's check-ins still open for scoring (phase `voting`), nearest deadline first. */
  listOpenCheckins(communityId: string): Promise<CheckinRow[]>;
  /** "9 of 14 done" for a check-in's own round (round 1): participants who answered `factorCount` factors, of all. */
  checkinProgress(sessionId: string, factorCount: number): Promise<{ done: number; of: number }>;
  /** The code of the meeting started from this check-in, or null: a check-in starts one meeting (a unique index holds it). */
  findMeetingOf(checkinId: string): Promise<string | null>;
}

/** Ballots: the answers of a session's rounds, what each revealed round froze, and the comments hidden from the room. */
export interface BallotStore {
  saveAnswer(answer: StoredAnswer): Promise<void>;
  /**
   * Freezes what a round revealed. Call it before the phase change that
   * reveals the round, in the same event-loop turn, so both commit in one
   * transaction; a round already frozen is never overwritten.
   */
  saveRevealedRound(revealed: RevealedRound): Promise<void>;
  /**
   * The frozen results of every revealed round of a session, oldest first
   * (empty before the first reveal or for an unknown session). The latest
   * revealed round is the last element; trends across sessions are built from
   * it. Each element's `results` is byte for byte what participants, screens
   * and exports were shown.
   */
  loadRevealedRounds(sessionId: string): Promise<RevealedRound[]>;
  /** The latest revealed round of a session, or null before its first reveal. */
  loadLatestRevealedRound(sessionId: string): Promise<RevealedRound | null>;
  setCommentHidden(sessionId: string, comment: HiddenComment, hidden: boolean): Promise<void>;
}

/** The action board: its Yjs document, the server's record of each action point, dots, and the review of earlier points. */
export interface BoardStore {
  loadYjsUpdates(sessionId: string): Promise<Uint8Array[]>;
  appendYjsUpdate(sessionId: string, update: Uint8Array): Promise<void>;
  /**
   * Replaces every update stored so far for the session by one merged update.
   * Writes are ordered, so `merged` must cover every update appended before this call.
   */
  compactYjs(sessionId: string, merged: Uint8Array): Promise<void>;
  setDots(sessionId: string, voterId: string, actionId: string, count: number): Promise<void>;
  /** Inserts or replaces action point records (structure only). */
  saveActionPoints(sessionId: string, records: readonly ActionRecord[]): Promise<void>;
  /** The action points of a session (structure only), in no particular order; empty for an unknown session. */
  loadActionPoints(sessionId: string): Promise<ActionRecord[]>;
  /**
   * Stores what a session's review said about an earlier action point (one
   * record per reviewing session and origin point; a later call replaces it),
   * together with `actions` (the reviewing session's board records it changed,
   * e.g. the carried copy) in one transaction. A closing status (done, dropped,
   * carried) for a point another session already closed is refused by the
   * store's constraint with DecidedElsewhereError, and then none of it is stored.
   * When either session no longer exists (deleted in the meantime) nothing is
   * stored and the write still succeeds: the deletion would have removed the
   * record, and the rest of the change it commits with must not fail for it.
   */
  saveActionReview(review: ActionReviewRecord, actions?: readonly ActionRecord[]): Promise<void>;
}

/** Learning communities: the community, its live sessions as listed, its paper and imported sessions, and its reviews. */
export interface CommunityStore {
  createCommunity(community: CommunityRecord): Promise<void>;
  loadCommunity(id: string): Promise<CommunityRecord | null>;
  /** The live sessions of a community, oldest first (by creation, then id). */
  listCommunitySessions(communityId: string): Promise<CommunitySessionRow[]>;
  /**
   * Stores a paper session; its community must exist and its code be unused. With
   * `cap`, only while the community holds fewer than `cap` paper and imported sessions,
   * counted in the same transaction as the insert; answers false, storing nothing, when full.
   */
  savePaperSession(paper: PaperSessionRecord, cap?: number): Promise<boolean>;
  /** The paper sessions of a community, oldest first (by date, then creation, then id). */
  listPaperSessions(communityId: string): Promise<PaperSessionRecord[]>;
  /**
   * The community's latest paper or imported session held on or before `day` (YYYY-MM-DD)
   * and stored before `createdBefore` (by date, then creation, then code), or null: what a
   * room's "since last time" needs, one row however many the community holds.
   */
  latestPaperSession(communityId: string, day: string, createdBefore: number): Promise<PaperSessionRecord | null>;
  /**
   * Every review of action points whose origin session belongs to the community; with
   * `originSessionIds`, only those of points of these sessions (a room's review looks back
   * on at most REVIEW_SESSIONS_MAX sessions, so its load does not grow with the community).
   */
  listActionReviews(communityId: string, originSessionIds?: readonly string[]): Promise<ActionReviewRecord[]>;
  /**
   * Deletes a community with all its sessions (live and paper) and everything
   * they hold, in one transaction; returns the ids of the live sessions deleted.
   */
  deleteCommunity(id: string): Promise<string[]>;
}

/** A facilitator's account (issue 24): participants never have one. */
export interface AccountRecord {
  id: string;
  name: string;
  createdAt: number;
}

/** A passkey (WebAuthn credential) of an account, as @simplewebauthn/server verifies with it. */
export interface PasskeyRecord {
  /** The credential id, base64url. */
  credentialId: string;
  accountId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The signature counter last seen (0 for authenticators that keep none). */
  counter: number;
  transports: string[];
  createdAt: number;
  lastUsedAt: number | null;
}

/** A signed-in browser: its cookie's session id is stored only as `hashToken` of it. */
export interface AccountSessionRecord {
  idHash: string;
  accountId: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

/** An account's sign-in at an OpenID Provider: (issuer, subject) names one person there. */
export interface ExternalIdentityRecord {
  issuer: string;
  subject: string;
  accountId: string;
  email: string | null;
  createdAt: number;
}

/**
 * What a membership is of. An 'organisation' membership (issue 25) makes an account its admin ('owner') or one of
 * its programme leads ('facilitator'): it reads the programme view and nothing of any community or session.
 */
export type MembershipKind = 'community' | 'session' | 'organisation';
export type MembershipRole = 'owner' | 'facilitator';

/** What an account may steer: a community (by id) or a session (by id), as its owner or a co-facilitator. */
export interface MembershipRecord {
  accountId: string;
  kind: MembershipKind;
  target: string;
  role: MembershipRole;
  addedAt: number;
}

/** A single-use invite to become a co-facilitator; its token is stored only as its hash. */
export interface InviteRecord {
  tokenHash: string;
  kind: MembershipKind;
  target: string;
  role: MembershipRole;
  createdBy: string | null;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  usedBy: string | null;
}

/**
 * A WebAuthn ceremony in progress: the challenge the server handed out, kept here (never trusted back from the
 * client) under the hash of a random id, until it is taken once or expires. An OpenID Connect login under way
 * (`oidc`) is kept the same way: its state, nonce and PKCE verifier as JSON in `challenge`.
 */
export interface CeremonyRecord {
  idHash: string;
  purpose: 'register' | 'authenticate' | 'add-passkey' | 'oidc';
  challenge: string;
  /** The signed-in account adding a passkey; null otherwise. */
  accountId: string | null;
  /** The name a new account will get (registration). */
  name: string | null;
  expiresAt: number;
}

/** What `/api/me` lists of an account: the communities and sessions it has a membership of that still exist. */
export interface AccountHome {
  communities: { id: string; name: string; role: MembershipRole }[];
  sessions: { id: string; code: string; title: string; phase: Phase; role: MembershipRole }[];
}

/** Facilitator accounts: the account, its passkeys and recovery codes, its signed-in browsers, identities, memberships and invites. */
export interface AccountStore {
  /** Stores a new account. */
  createAccount(account: AccountRecord): Promise<void>;
  loadAccount(id: string): Promise<AccountRecord | null>;
  /** Deletes an account and everything of it (passkeys, codes, sessions, identities, memberships, its invites). */
  deleteAccount(id: string): Promise<void>;

  addPasskey(passkey: PasskeyRecord): Promise<void>;
  findPasskey(credentialId: string): Promise<PasskeyRecord | null>;
  listPasskeys(accountId: string): Promise<PasskeyRecord[]>;
  /** Records a sign-in with the passkey: its new signature counter and when. */
  usePasskey(credentialId: string, counter: number, at: number): Promise<void>;

  /** Replaces every recovery code of the account by these (hashes). */
  setRecoveryCodes(accountId: string, codeHashes: readonly string[]): Promise<void>;
  /**
   * Uses a recovery code once: marks it used and answers its account, in one statement, so two
   * requests racing with one code cannot both succeed; null for an unknown or already used code.
   */
  useRecoveryCode(codeHash: string, at: number): Promise<string | null>;
  /** How many unused recovery codes the account has left. */
  countRecoveryCodes(accountId: string): Promise<number>;

  createAccountSession(session: AccountSessionRecord): Promise<void>;
  /** The signed-in browser with this id hash, if it has not expired by `now`. */
  loadAccountSession(idHash: string, now: number): Promise<AccountSessionRecord | null>;
  touchAccountSession(idHash: string, lastSeenAt: number, expiresAt: number): Promise<void>;
  deleteAccountSession(idHash: string): Promise<void>;
  /** Signs every browser of the account out; answers how many. */
  deleteAccountSessions(accountId: string): Promise<number>;
  /** Deletes expired browser sessions and ceremonies; answers how many sessions. */
  purgeExpiredAccountSessions(now: number): Promise<number>;

  /**
   * The account signed in by (issuer, subject), made from `account` when there is none yet: in one transaction,
   * so two first sign-ins racing (even on two instances) end with one account.
   */
  findOrCreateByExternalIdentity(
    identity: Omit<ExternalIdentityRecord, 'accountId'>,
    account: AccountRecord
  ): Promise<{ account: AccountRecord; created: boolean }>;
  listExternalIdentities(accountId: string): Promise<ExternalIdentityRecord[]>;

  /** Adds a membership, or changes the role of the one the account has of that target. */
  setMembership(membership: MembershipRecord): Promise<void>;
  removeMembership(accountId: string, kind: MembershipKind, target: string): Promise<void>;
  listMemberships(accountId: string): Promise<MembershipRecord[]>;
  /** Everyone with a membership of the target, oldest first. */
  listMembers(kind: MembershipKind, target: string): Promise<MembershipRecord[]>;
  /** The account's communities and sessions that still exist, newest first. */
  loadAccountHome(accountId: string): Promise<AccountHome>;

  createInvite(invite: InviteRecord): Promise<void>;
  /**
   * Takes an invite once for `accountId`: marks it used if it is unused and not expired at `at`, in one statement
   * (a stolen invite used twice, or two racing, succeeds once); answers it, or null.
   */
  useInvite(tokenHash: string, accountId: string, at: number): Promise<InviteRecord | null>;
  /** Deletes invites (used or not) that expired before `before`, so the table holds at most the recent ones; answers how many. */
  purgeExpiredInvites(before: number): Promise<number>;

  saveCeremony(ceremony: CeremonyRecord): Promise<void>;
  /** Takes a ceremony once (deleting it): null when unknown, already taken or expired at `now`. */
  takeCeremony(idHash: string, now: number): Promise<CeremonyRecord | null>;
}

/** An organisation: a programme whose learning communities may share their frozen figures with it (issue 25). */
export interface OrganisationRecord {
  id: string;
  name: string;
  /** The IANA time zone of the programme: its quarters are counted on these clocks. */
  timeZone: string;
  /** Hash of the organisation key (until accounts give programme leads a role); the key itself is never stored. */
  tokenHash: string;
  createdAt: number;
}

/** A community's share with an organisation, as the community page lists it. */
export interface CommunityShareRow {
  organisationId: string;
  organisationName: string;
  sharedAt: number;
}

/** A shared community's figures for the programme view, with the framework its sessions use. */
export interface SharedCommunityRows extends SharedCommunityFigures {
  framework: string;
}

/** Organisations and the communities that share their frozen figures with them. */
export interface OrganisationStore {
  createOrganisation(organisation: OrganisationRecord): Promise<void>;
  loadOrganisation(id: string): Promise<OrganisationRecord | null>;
  /**
   * Shares a community's frozen figures with an organisation (both must exist). Sharing again keeps the first
   * moment. With `cap`, only while the organisation holds fewer than `cap` shares, counted in the same
   * transaction; answers false, storing nothing, when it is full.
   */
  shareCommunity(communityId: string, organisationId: string, sharedAt: number, cap?: number): Promise<boolean>;
  /** Withdraws the share (nothing when there is none): the figures leave the view with the next read. */
  withdrawShare(communityId: string, organisationId: string): Promise<void>;
  /** The organisations a community shares with, by name. */
  listCommunityShares(communityId: string): Promise<CommunityShareRow[]>;
  /**
   * Every community sharing with the organisation, each with the figures of its sessions' latest revealed
   * rounds (voters, k, withheld and per factor n, mean, consensus: nothing per person, no comment, no code),
   * in one query whatever the number of communities and sessions. A shared community without rounds has none.
   */
  loadPortfolioFigures(organisationId: string): Promise<SharedCommunityRows[]>;
  /** The organisations the account is admin ('owner') or programme lead ('facilitator') of, by name, at most `max`: one read. */
  listAccountOrganisations(accountId: string, max: number): Promise<AccountOrganisationRow[]>;
}

/** A single-use invitation of an organisation for one community to share with it (its consent; issue 25). */
export interface ShareInviteRecord {
  /** SHA-256 of the token in the link; the token itself is never stored. */
  tokenHash: string;
  organisationId: string;
  createdAt: number;
  expiresAt: number;
}

/** What taking a share invitation did: shared, or why nothing was stored. */
export type ShareByInviteOutcome = 'shared' | 'unknown' | 'used' | 'expired' | 'full';

/**
 * The organisation's consent (issue 25): share invitations and the one-time claim of an organisation's admin.
 * Kept apart from OrganisationStore (the figures) so the consent rules have their own contract.
 */
export interface ProgrammeConsentStore {
  createShareInvite(invite: ShareInviteRecord): Promise<void>;
  /**
   * Takes the invitation for the community and shares it with the invitation's organisation, in one transaction
   * (which also clears an earlier removal by that organisation):
   * only an unused, unexpired invitation of `organisationId` shares, once (two racing takers: one wins), and only
   * while the organisation holds fewer than `cap` other shares. Sharing again keeps the first moment. Nothing is
   * stored (the invitation stays unused) unless the answer is 'shared'.
   */
  shareByInvite(tokenHash: string, communityId: string, organisationId: string, at: number, cap: number): Promise<ShareByInviteOutcome>;
  /** Deletes share invitations (taken or not) that expired before `before`; answers how many. */
  purgeExpiredShareInvites(before: number): Promise<number>;
  /**
   * Makes the account the organisation's admin (an 'owner' membership) only if it has none yet, in one transaction
   * (two racing claims: one wins). True when the account is now its admin (also when it already was).
   */
  claimOrganisationAdmin(accountId: string, organisationId: string, at: number): Promise<boolean>;
  /** Whether the organisation has an admin: while it has none, its key manages it. */
  organisationHasAdmin(organisationId: string): Promise<boolean>;
  /** The communities sharing with the organisation, by name (what its admin may remove), at most `max`: one read. */
  listOrganisationShares(organisationId: string, max: number): Promise<OrganisationShareRow[]>;
  /**
   * The organisation removes the community from its programme: deletes the share and records the removal for the
   * community's owner, in one transaction. False, changing nothing, when the community does not share with it (never
   * did, was removed already, or withdrew), so a replayed removal records nothing twice.
   */
  removeShareByOrganisation(organisationId: string, communityId: string, at: number): Promise<boolean>;
  /** The programmes that removed the community (and have not taken it back by a new invitation), by name. */
  listShareRemovals(communityId: string): Promise<ShareRemovalRow[]>;
  /** The owner has read that the organisation removed the community: the notice goes (nothing when there is none). */
  dismissShareRemoval(communityId: string, organisationId: string): Promise<void>;
}

/** A community sharing with an organisation, as the organisation's admin lists them. */
export interface OrganisationShareRow {
  communityId: string;
  communityName: string;
  sharedAt: number;
}

/** An organisation that removed a community from its programme, as the community's page shows it. */
export interface ShareRemovalRow {
  organisationId: string;
  organisationName: string;
  removedAt: number;
}

/** An organisation on an account's home. */
export interface AccountOrganisationRow {
  id: string;
  name: string;
  role: MembershipRole;
}

/** What claims and invites need of a session, without loading it: its id, code, community and facilitator-token hash. */
export interface SessionCredential {
  id: string;
  code: string;
  communityId: string | null;
  facilitatorTokenHash: string;
}

/** A session on a facilitator's home: enough to find it again and see how it went at a glance. */
export interface HomeSessionRow {
  id: string;
  code: string;
  title: string;
  phase: Phase;
  communityId: string | null;
  timeZone: string;
  createdAt: number;
  /** The last change of anything in the session (votes, board, phase): "newest activity first". */
  updatedAt: number;
  participants: number;
  role: MembershipRole;
  /** Whether the account holds a membership of the session itself (a community's sessions are archived with it). */
  archivable: boolean;
  archivedAt: number | null;
  /** The first few factors of the latest revealed round's attention list; null before any reveal. */
  attention: AttentionItem[] | null;
}

export interface HomeCommunityRow {
  id: string;
  name: string;
  timeZone: string;
  createdAt: number;
  /** The latest change in any of its sessions, or its creation. */
  lastActivity: number;
  sessions: number;
  role: MembershipRole;
  archivedAt: number | null;
}

/** A facilitator's home: its communities and the latest sessions it steers (its own and its communities'). */
export interface AccountOverview {
  communities: HomeCommunityRow[];
  sessions: HomeSessionRow[];
}

/** A co-facilitator (or owner) as the list on a community or session shows them. */
export interface MemberAccount {
  accountId: string;
  name: string;
  role: MembershipRole;
  addedAt: number;
}

/** A facilitator's home and co-facilitators (issue 24): the reads and writes beyond the accounts' own. */
export interface HomeStore {
  sessionCredential(code: string): Promise<SessionCredential | null>;
  sessionCredentialById(id: string): Promise<SessionCredential | null>;
  /** The strongest role the account has of any of these targets (owner over facilitator), or null: one indexed read. */
  membershipRole(accountId: string, targets: readonly { kind: MembershipKind; target: string }[]): Promise<MembershipRole | null>;
  /** Hides a membership from the home (archivedAt) or shows it again (null); false when the account has no such membership. */
  setMembershipArchived(accountId: string, kind: MembershipKind, target: string, archivedAt: number | null): Promise<boolean>;
  /** An invite by its token hash, used or not (to tell a used invite from an unknown one). */
  findInvite(tokenHash: string): Promise<InviteRecord | null>;
  /** The accounts with a membership of the target, with their names, oldest first, at most `max`. */
  listMemberAccounts(kind: MembershipKind, target: string, max: number): Promise<MemberAccount[]>;
  /** Bounded work whatever the account holds: three reads (./home-rows.ts). */
  loadAccountOverview(accountId: string, max: number): Promise<AccountOverview>;
}

/** The store as a whole: the health probe and closing. */
export interface StoreLifecycle {
  /** A tiny write and read that change nothing; rejects while the store cannot do both (for `/healthz`). */
  probe(): Promise<void>;
  /** Settles once every write called so far has (committed or failed), committing at once what waits to share a commit. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The persistence boundary, split by aggregate above; `Store` is all of them together. Writes are applied in
 * the order they are called and each promise resolves only once the write is durable, so a caller
 * acknowledges a client after `await`. One SQL implementation serves SQLite and PostgreSQL (./sql-store.ts).
 */
export interface Store
  extends
    SessionStore,
    BallotStore,
    BoardStore,
    CommunityStore,
    CheckinStore,
    AccountStore,
    HomeStore,
    OrganisationStore,
    ProgrammeConsentStore,
    StoreLifecycle {}
