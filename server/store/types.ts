import type { Language } from '../../src/lib/domain/framework';
import type { Phase } from '../../src/lib/domain/phases';
import type { Answer } from '../../src/lib/domain/ballots';
import type { SessionSettings } from '../../src/lib/protocol';

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
  createdAt: number;
  updatedAt: number;
}

export type SessionPatch = Partial<
  Pick<SessionRecord, 'phase' | 'round' | 'votingDeadline' | 'votingClosed' | 'votingPausedMs' | 'settings' | 'revealedRounds' | 'presenterTokenHash'>
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

/** Everything about one session that the live room keeps in memory. */
export interface LoadedSession {
  session: SessionRecord;
  participants: ParticipantRecord[];
  answers: StoredAnswer[];
  dots: DotRecord[];
  hiddenComments: HiddenComment[];
}

/**
 * The persistence boundary. Writes are applied in the order they are called and
 * each promise resolves only once the write is durable, so a caller acknowledges
 * a client after `await`. SQLite implements it now; a PostgreSQL store can later.
 */
export interface Store {
  findSessionIdByCode(code: string): Promise<string | null>;
  loadSession(id: string): Promise<LoadedSession | null>;
  countLiveSessions(): Promise<number>;
  loadYjsUpdates(sessionId: string): Promise<Uint8Array[]>;

  createSession(session: SessionRecord): Promise<void>;
  updateSession(id: string, patch: SessionPatch): Promise<void>;
  deleteSession(id: string): Promise<void>;
  addParticipant(participant: ParticipantRecord): Promise<void>;
  removeParticipant(sessionId: string, participantId: string): Promise<void>;
  saveAnswer(answer: StoredAnswer): Promise<void>;
  setCommentHidden(sessionId: string, comment: HiddenComment, hidden: boolean): Promise<void>;
  setDots(sessionId: string, voterId: string, actionId: string, count: number): Promise<void>;
  appendYjsUpdate(sessionId: string, update: Uint8Array): Promise<void>;
  /**
   * Replaces every update stored so far for the session by one merged update.
   * Writes are ordered, so `merged` must cover every update appended before this call.
   */
  compactYjs(sessionId: string, merged: Uint8Array): Promise<void>;
  /** Deletes sessions not updated since `before` (epoch ms); returns their ids. */
  purgeIdle(before: number): Promise<string[]>;
  /** Deletes sessions still in the lobby and not updated since `before` (epoch ms); returns their ids. */
  purgeAbandonedLobbies(before: number): Promise<string[]>;
  close(): Promise<void>;
}
