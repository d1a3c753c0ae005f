import type { ActionRecord } from '../../src/lib/domain/action-points';
import { CLOSING_REVIEW_STATUSES } from '../../src/lib/domain/review';
import {
  DecidedElsewhereError,
  type ActionReviewRecord,
  type CommunityRecord,
  type CommunitySessionRow,
  type DotRecord,
  type HiddenComment,
  type LoadedSession,
  type PaperSessionRecord,
  type ParticipantRecord,
  type RevealedRound,
  type SessionPatch,
  type SessionRecord,
  type Store,
  type StoredAnswer
} from './types';

/**
 * What a memory store holds. Kept apart from the store object so that a test
 * can "restart" on the same data (a new `MemoryStore(data)`), as a SQLite
 * store reopens its file.
 */
export interface MemoryData {
  sessions: Map<string, SessionRecord>;
  /** sessionId → participantId → record */
  participants: Map<string, Map<string, ParticipantRecord>>;
  /** sessionId → `${round}:${participantId}:${factor}` → answer */
  answers: Map<string, Map<string, StoredAnswer>>;
  /** sessionId → `${voterId}\n${actionId}` → dot record */
  dots: Map<string, Map<string, DotRecord>>;
  /** sessionId → action id → action point */
  actions: Map<string, Map<string, ActionRecord>>;
  yjs: Map<string, Uint8Array[]>;
  /** sessionId → round → frozen results */
  revealed: Map<string, Map<number, RevealedRound>>;
  /** sessionId → `round factor text` → a comment hidden from the room */
  hiddenComments: Map<string, Map<string, HiddenComment>>;
  communities: Map<string, CommunityRecord>;
  /** paper session id → record */
  papers: Map<string, PaperSessionRecord>;
  /** `${reviewingSessionId}\n${originSessionId}\n${actionId}` → review */
  reviews: Map<string, ActionReviewRecord>;
}

export function emptyMemoryData(): MemoryData {
  return {
    sessions: new Map(),
    participants: new Map(),
    answers: new Map(),
    dots: new Map(),
    actions: new Map(),
    yjs: new Map(),
    revealed: new Map(),
    hiddenComments: new Map(),
    communities: new Map(),
    papers: new Map(),
    reviews: new Map()
  };
}

/** A write that breaks a rule the SQLite schema enforces (unique code, foreign keys). */
export class MemoryConstraintError extends Error {
  readonly code = 'SQLITE_CONSTRAINT';
  constructor(message: string) {
    super(message);
    this.name = 'MemoryConstraintError';
  }
}

/**
 * A complete `Store` in memory, with the same rules as the SQLite schema
 * (unique codes and participant tokens, foreign keys, cascades) and the same
 * ordering: each write applies when it is called, in call order, and its
 * promise resolves after. Nothing survives the process; for unit tests of
 * rooms and for checking that the store contract does not depend on SQLite
 * (`tests/integration/store-contract.test.ts`). Records are copied in and out,
 * so callers cannot change stored state by mutating what they passed or got.
 */
export class MemoryStore implements Store {
  private closed = false;

  constructor(readonly data: MemoryData = emptyMemoryData()) {}

  private write<T>(run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    try {
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private read<T>(run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return Promise.resolve(run());
  }

  private session(id: string): SessionRecord {
    const session = this.data.sessions.get(id);
    if (!session) throw new MemoryConstraintError(`FOREIGN KEY constraint failed: no session ${id}`);
    return session;
  }

  private touch(id: string): void {
    const session = this.data.sessions.get(id);
    if (session) session.updatedAt = Math.max(session.updatedAt, Date.now());
  }

  findSessionIdByCode(code: string): Promise<string | null> {
    return this.read(() => {
      for (const session of this.data.sessions.values()) if (session.code === code) return session.id;
      return null;
    });
  }

  loadSession(id: string): Promise<LoadedSession | null> {
    return this.read(() => {
      const session = this.data.sessions.get(id);
      if (!session) return null;
      const participants = [...(this.data.participants.get(id)?.values() ?? [])].sort(
        (a, b) => a.joinedAt - b.joinedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
      );
      return structuredClone({
        session,
        participants,
        answers: [...(this.data.answers.get(id)?.values() ?? [])],
        dots: [...(this.data.dots.get(id)?.values() ?? [])],
        revealed: this.revealedOf(id),
        hiddenComments: [...(this.data.hiddenComments.get(id)?.values() ?? [])].map((h) => ({ ...h })),
        actions: [...(this.data.actions.get(id)?.values() ?? [])]
      });
    });
  }

  private revealedOf(sessionId: string): RevealedRound[] {
    return [...(this.data.revealed.get(sessionId)?.values() ?? [])].sort((a, b) => a.round - b.round);
  }

  loadRevealedRounds(sessionId: string): Promise<RevealedRound[]> {
    return this.read(() => structuredClone(this.revealedOf(sessionId)));
  }

  loadLatestRevealedRound(sessionId: string): Promise<RevealedRound | null> {
    return this.read(() => structuredClone(this.revealedOf(sessionId).at(-1) ?? null));
  }

  /** Like SQLite's INSERT OR IGNORE: a frozen round is never overwritten. */
  saveRevealedRound(revealed: RevealedRound): Promise<void> {
    return this.write(() => {
      this.session(revealed.sessionId);
      let rounds = this.data.revealed.get(revealed.sessionId);
      if (!rounds) this.data.revealed.set(revealed.sessionId, (rounds = new Map()));
      if (!rounds.has(revealed.round)) rounds.set(revealed.round, structuredClone(revealed));
    });
  }

  countLiveSessions(): Promise<number> {
    return this.read(() => [...this.data.sessions.values()].filter((s) => s.phase !== 'closed').length);
  }

  loadYjsUpdates(sessionId: string): Promise<Uint8Array[]> {
    return this.read(() => (this.data.yjs.get(sessionId) ?? []).map((update) => update.slice()));
  }

  createSession(session: SessionRecord, communityCap?: number): Promise<boolean> {
    return this.write(() => {
      if (session.communityId !== null && !this.data.communities.has(session.communityId)) {
        throw new MemoryConstraintError(`FOREIGN KEY constraint failed: no community ${session.communityId}`);
      }
      if (this.data.sessions.has(session.id)) throw new MemoryConstraintError(`UNIQUE constraint failed: sessions.id`);
      let held = 0;
      for (const other of this.data.sessions.values()) {
        if (other.code === session.code) throw new MemoryConstraintError(`UNIQUE constraint failed: sessions.code`);
        if (session.communityId !== null && other.communityId === session.communityId) held++;
      }
      if (session.communityId !== null && communityCap !== undefined && held >= communityCap) return false;
      this.data.sessions.set(session.id, structuredClone(session));
      return true;
    });
  }

  updateSession(id: string, patch: SessionPatch): Promise<void> {
    return this.write(() => {
      const session = this.data.sessions.get(id);
      if (!session) return; // like UPDATE … WHERE id = ?: nothing to change
      const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
      Object.assign(session, structuredClone(defined), { updatedAt: Date.now() });
    });
  }

  deleteSession(id: string): Promise<void> {
    return this.write(() => this.cascadeDelete(id));
  }

  private cascadeDelete(id: string): void {
    this.data.sessions.delete(id);
    this.data.participants.delete(id);
    this.data.answers.delete(id);
    this.data.dots.delete(id);
    this.data.actions.delete(id);
    this.data.yjs.delete(id);
    this.data.revealed.delete(id);
    this.data.hiddenComments.delete(id);
    for (const [key, review] of this.data.reviews) {
      if (review.reviewingSessionId === id || review.originSessionId === id) this.data.reviews.delete(key);
    }
  }

  addParticipant(participant: ParticipantRecord): Promise<void> {
    return this.write(() => {
      this.session(participant.sessionId);
      for (const people of this.data.participants.values()) {
        for (const other of people.values()) {
          if (other.id === participant.id) throw new MemoryConstraintError('UNIQUE constraint failed: participants.id');
          if (other.tokenHash === participant.tokenHash) throw new MemoryConstraintError('UNIQUE constraint failed: participants.token_hash');
        }
      }
      let people = this.data.participants.get(participant.sessionId);
      if (!people) this.data.participants.set(participant.sessionId, (people = new Map()));
      people.set(participant.id, structuredClone(participant));
      this.touch(participant.sessionId);
    });
  }

  removeParticipant(sessionId: string, participantId: string): Promise<void> {
    return this.removeParticipants(sessionId, [participantId]);
  }

  removeParticipants(sessionId: string, participantIds: readonly string[]): Promise<void> {
    return this.write(() => {
      for (const participantId of participantIds) {
        if (!this.data.participants.get(sessionId)?.delete(participantId)) continue;
        const answers = this.data.answers.get(sessionId);
        for (const [key, answer] of answers ?? []) if (answer.participantId === participantId) answers!.delete(key);
        const dots = this.data.dots.get(sessionId);
        for (const [key, dot] of dots ?? []) if (dot.voterId === participantId) dots!.delete(key);
      }
    });
  }

  saveAnswer(answer: StoredAnswer): Promise<void> {
    return this.write(() => {
      this.session(answer.sessionId);
      if (!this.data.participants.get(answer.sessionId)?.has(answer.participantId)) {
        throw new MemoryConstraintError(`FOREIGN KEY constraint failed: no participant ${answer.participantId}`);
      }
      let answers = this.data.answers.get(answer.sessionId);
      if (!answers) this.data.answers.set(answer.sessionId, (answers = new Map()));
      answers.set(`${answer.round}:${answer.participantId}:${answer.factor}`, structuredClone(answer));
      this.touch(answer.sessionId);
    });
  }

  setDots(sessionId: string, voterId: string, actionId: string, count: number): Promise<void> {
    return this.write(() => {
      this.session(sessionId);
      let dots = this.data.dots.get(sessionId);
      if (!dots) this.data.dots.set(sessionId, (dots = new Map()));
      const key = `${voterId}\n${actionId}`;
      if (count <= 0) dots.delete(key);
      else dots.set(key, { voterId, actionId, count });
    });
  }

  setCommentHidden(sessionId: string, comment: HiddenComment, hidden: boolean): Promise<void> {
    return this.write(() => {
      this.session(sessionId);
      let hiddenComments = this.data.hiddenComments.get(sessionId);
      if (!hiddenComments) this.data.hiddenComments.set(sessionId, (hiddenComments = new Map()));
      const key = `${comment.round} ${comment.factor} ${comment.text}`;
      if (hidden) hiddenComments.set(key, { round: comment.round, factor: comment.factor, text: comment.text });
      else hiddenComments.delete(key);
    });
  }

  saveActionPoints(sessionId: string, records: readonly ActionRecord[]): Promise<void> {
    return this.write(() => {
      this.session(sessionId);
      let actions = this.data.actions.get(sessionId);
      if (!actions) this.data.actions.set(sessionId, (actions = new Map()));
      for (const r of records) actions.set(r.id, structuredClone(r));
      this.touch(sessionId);
    });
  }

  appendYjsUpdate(sessionId: string, update: Uint8Array): Promise<void> {
    return this.write(() => {
      this.session(sessionId);
      let updates = this.data.yjs.get(sessionId);
      if (!updates) this.data.yjs.set(sessionId, (updates = []));
      updates.push(update.slice());
    });
  }

  compactYjs(sessionId: string, merged: Uint8Array): Promise<void> {
    return this.write(() => {
      this.session(sessionId);
      this.data.yjs.set(sessionId, [merged.slice()]);
      this.touch(sessionId);
    });
  }

  purgeIdle(before: number): Promise<string[]> {
    return this.write(() => {
      const ids = [...this.data.sessions.values()].filter((s) => s.updatedAt < before && s.communityId === null).map((s) => s.id);
      for (const id of ids) this.cascadeDelete(id);
      return ids;
    });
  }

  purgeAbandonedLobbies(before: number): Promise<string[]> {
    return this.write(() => {
      // As on SQLite: a lobby where the review was recorded is being prepared, not abandoned.
      const reviewing = new Set([...this.data.reviews.values()].map((r) => r.reviewingSessionId));
      const ids = [...this.data.sessions.values()].filter((s) => s.phase === 'lobby' && s.updatedAt < before && !reviewing.has(s.id)).map((s) => s.id);
      for (const id of ids) this.cascadeDelete(id);
      return ids;
    });
  }

  probe(): Promise<void> {
    return this.write(() => undefined);
  }

  createCommunity(community: CommunityRecord): Promise<void> {
    return this.write(() => {
      if (this.data.communities.has(community.id)) throw new MemoryConstraintError('UNIQUE constraint failed: communities.id');
      this.data.communities.set(community.id, structuredClone(community));
    });
  }

  loadCommunity(id: string): Promise<CommunityRecord | null> {
    return this.read(() => structuredClone(this.data.communities.get(id) ?? null));
  }

  listCommunitySessions(communityId: string): Promise<CommunitySessionRow[]> {
    return this.read(() =>
      [...this.data.sessions.values()]
        .filter((s) => s.communityId === communityId)
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((s) => ({ id: s.id, code: s.code, title: s.title, phase: s.phase, timeZone: s.timeZone, createdAt: s.createdAt }))
    );
  }

  savePaperSession(paper: PaperSessionRecord, cap?: number): Promise<boolean> {
    return this.write(() => {
      if (!this.data.communities.has(paper.communityId)) throw new MemoryConstraintError(`FOREIGN KEY constraint failed: no community ${paper.communityId}`);
      let held = 0;
      for (const other of this.data.papers.values()) {
        if (other.id === paper.id) throw new MemoryConstraintError('UNIQUE constraint failed: paper_sessions.id');
        if (other.code === paper.code) throw new MemoryConstraintError('UNIQUE constraint failed: paper_sessions.code');
        if (other.communityId === paper.communityId) held++;
      }
      if (cap !== undefined && held >= cap) return false;
      this.data.papers.set(paper.id, structuredClone(paper));
      return true;
    });
  }

  latestPaperSession(communityId: string, day: string, createdBefore: number): Promise<PaperSessionRecord | null> {
    return this.read(() => {
      let latest: PaperSessionRecord | null = null;
      for (const p of this.data.papers.values()) {
        if (p.communityId !== communityId || p.date > day || p.createdAt >= createdBefore) continue;
        if (
          !latest ||
          p.date > latest.date ||
          (p.date === latest.date && (p.createdAt > latest.createdAt || (p.createdAt === latest.createdAt && p.code > latest.code)))
        )
          latest = p;
      }
      return structuredClone(latest);
    });
  }

  listPaperSessions(communityId: string): Promise<PaperSessionRecord[]> {
    return this.read(() =>
      structuredClone(
        [...this.data.papers.values()]
          .filter((p) => p.communityId === communityId)
          .sort((a, b) => a.date.localeCompare(b.date) || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      )
    );
  }

  loadActionPoints(sessionId: string): Promise<ActionRecord[]> {
    return this.read(() => structuredClone([...(this.data.actions.get(sessionId)?.values() ?? [])]));
  }

  saveActionReview(review: ActionReviewRecord, actions: readonly ActionRecord[] = []): Promise<void> {
    return this.write(() => {
      // As on SQLite: a review of a session deleted in the meantime is not stored (the deletion would have removed it).
      if (!this.data.sessions.has(review.reviewingSessionId) || !this.data.sessions.has(review.originSessionId)) return;
      // As the SQL stores' partial unique index: one closing decision per earlier point, checked before anything is written.
      if (CLOSING_STATUSES.has(review.status)) {
        for (const other of this.data.reviews.values()) {
          if (
            other.originSessionId === review.originSessionId &&
            other.actionId === review.actionId &&
            other.reviewingSessionId !== review.reviewingSessionId &&
            CLOSING_STATUSES.has(other.status)
          )
            throw new DecidedElsewhereError(review.originSessionId, review.actionId);
        }
      }
      if (actions.length > 0) {
        let board = this.data.actions.get(review.reviewingSessionId);
        if (!board) this.data.actions.set(review.reviewingSessionId, (board = new Map()));
        for (const r of actions) board.set(r.id, structuredClone(r));
      }
      this.data.reviews.set(`${review.reviewingSessionId}\n${review.originSessionId}\n${review.actionId}`, { ...review });
      this.touch(review.reviewingSessionId);
    });
  }

  listActionReviews(communityId: string, originSessionIds?: readonly string[]): Promise<ActionReviewRecord[]> {
    const origins = originSessionIds ? new Set(originSessionIds) : null;
    return this.read(() =>
      [...this.data.reviews.values()]
        .filter((r) => this.data.sessions.get(r.originSessionId)?.communityId === communityId && (!origins || origins.has(r.originSessionId)))
        .sort(
          (a, b) =>
            a.reviewedAt - b.reviewedAt ||
            compare(a.reviewingSessionId, b.reviewingSessionId) ||
            compare(a.originSessionId, b.originSessionId) ||
            compare(a.actionId, b.actionId)
        )
        .map((r) => ({ ...r }))
    );
  }

  deleteCommunity(id: string): Promise<string[]> {
    return this.write(() => {
      const ids = [...this.data.sessions.values()].filter((s) => s.communityId === id).map((s) => s.id);
      for (const sessionId of ids) this.cascadeDelete(sessionId);
      for (const [paperId, paper] of this.data.papers) if (paper.communityId === id) this.data.papers.delete(paperId);
      this.data.communities.delete(id);
      return ids;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const CLOSING_STATUSES: ReadonlySet<string> = new Set(CLOSING_REVIEW_STATUSES);

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
