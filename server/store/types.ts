import type { Language } from '../../src/lib/domain/framework';
import type { Phase } from '../../src/lib/domain/phases';
import type { Answer } from '../../src/lib/domain/ballots';
import type { FrozenBallot } from '../../src/lib/domain/results';
import type { RoundResults, SessionSettings } from '../../src/lib/protocol';
import type { ActionRecord } from '../../src/lib/domain/action-points';
import type { ActionReviewRecord } from '../../src/lib/domain/review';
import type { PaperFigures } from '../../src/lib/domain/community';
import type { RevealAt, SessionMode } from '../../src/lib/domain/checkins';

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

/** The store as a whole: the health probe and closing. */
export interface StoreLifecycle {
  /** A tiny write and read that change nothing; rejects while the store cannot do both (for `/healthz`). */
  probe(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The persistence boundary, split by aggregate above; `Store` is all of them together. Writes are applied in
 * the order they are called and each promise resolves only once the write is durable, so a caller
 * acknowledges a client after `await`. One SQL implementation serves SQLite and PostgreSQL (./sql-store.ts).
 */
export interface Store extends SessionStore, BallotStore, BoardStore, CommunityStore, CheckinStore, StoreLifecycle {}
