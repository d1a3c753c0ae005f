import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { Answer } from '../../src/lib/domain/ballots';
import { DEFAULT_MIN_VOTERS, DEFAULT_THRESHOLDS } from '../../src/lib/domain/statistics';
import { DecidedElsewhereError } from './types';
import { parseOnePerTurn } from './revealed-rows';
import { FIGURES_BACKFILL_BATCH, figuresJsonFor, storedFigures } from './paper-figures';
import type {
  ActionReviewRecord,
  CommunityRecord,
  CommunitySessionRow,
  HiddenComment,
  LoadedSession,
  PaperSessionRecord,
  ParticipantRecord,
  RevealedRound,
  SessionPatch,
  SessionRecord,
  Store,
  StoredAnswer
} from './types';
import { MIGRATIONS } from './migrations';
import { checkDatabaseFile, checkOpenDatabase, probeWrite, StoreUnusableError } from './sqlite-check';
import type { ActionRecord } from '../../src/lib/domain/action-points';

/** How hard SQLite works to keep a commit: FULL survives power loss, NORMAL a process crash. */
export type Synchronous = 'FULL' | 'NORMAL';

export interface SqliteStoreOptions {
  dataDir: string;
  synchronous?: Synchronous;
  fileName?: string;
}

interface PendingWrite {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** Set on a batch of consecutive answers, which later answers join (one multi-row statement). */
  answers?: StoredAnswer[];
  waiters?: { resolve: () => void; reject: (error: unknown) => void }[];
}

/** Rows per multi-row answer statement (7 parameters each, well under SQLite's limit). */
const ANSWER_ROWS_PER_STATEMENT = 64;

type RevealedRow = { session_id: string; round: number; results: string; ballots: string; revealed_at: number };

function toRevealedRound(row: RevealedRow): RevealedRound {
  return { sessionId: row.session_id, round: row.round, revealedAt: row.revealed_at, results: JSON.parse(row.results), ballots: JSON.parse(row.ballots) };
}

type SessionRow = {
  id: string;
  code: string;
  title: string;
  language: string;
  framework: string;
  anonymous: number;
  facilitator_token_hash: string;
  presenter_token_hash: string | null;
  phase: string;
  round: number;
  voting_deadline: number | null;
  voting_closed: number;
  voting_paused_ms: number | null;
  settings: string;
  revealed_rounds: string;
  community_id: string | null;
  time_zone: string;
  created_at: number;
  updated_at: number;
};

type CommunityRow = { id: string; name: string; language: string; framework: string; token_hash: string; time_zone: string; created_at: number };
type PaperRow = {
  id: string;
  community_id: string;
  code: string;
  title: string;
  date: string;
  factors: string;
  figures: string | null;
  created_at: number;
  source: string;
};

type ReviewRow = {
  reviewing_session_id: string;
  origin_session_id: string;
  action_id: string;
  status: string;
  carried_action_id: string | null;
  reviewed_at: number;
};

function toPaperSession(row: PaperRow): PaperSessionRecord {
  return {
    id: row.id,
    communityId: row.community_id,
    code: row.code,
    title: row.title,
    date: row.date,
    factors: JSON.parse(row.factors),
    figures: storedFigures(row.factors, row.figures),
    createdAt: row.created_at,
    source: row.source === 'import' ? 'import' : 'paper'
  };
}

type ActionRow = {
  id: string;
  factor: number | null;
  position: number;
  owner: string;
  due: string | null;
  status: string;
  created_by: string;
  created_at: number;
  merged_into: string | null;
  removed: number;
  origin: string | null;
};

function toActionRecord(row: ActionRow): ActionRecord {
  return {
    id: row.id,
    factor: row.factor,
    position: row.position,
    owner: row.owner,
    due: row.due,
    status: row.status as ActionRecord['status'],
    createdBy: row.created_by,
    createdAt: row.created_at,
    mergedInto: row.merged_into,
    removed: row.removed === 1,
    origin: row.origin
  };
}

function toSessionRecord(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    code: row.code,
    title: row.title,
    language: row.language as SessionRecord['language'],
    framework: row.framework,
    anonymous: row.anonymous === 1,
    facilitatorTokenHash: row.facilitator_token_hash,
    presenterTokenHash: row.presenter_token_hash,
    phase: row.phase as SessionRecord['phase'],
    round: row.round,
    votingDeadline: row.voting_deadline,
    votingClosed: row.voting_closed === 1,
    votingPausedMs: row.voting_paused_ms,
    // Settings added later (k, hidden dot totals, unclearFrom) take their defaults in sessions stored before them.
    settings: {
      minVoters: DEFAULT_MIN_VOTERS,
      hideDotTotals: false,
      unclearFrom: DEFAULT_THRESHOLDS.unclearFrom,
      joinsLocked: false,
      ...JSON.parse(row.settings)
    },
    revealedRounds: JSON.parse(row.revealed_rounds),
    communityId: row.community_id ?? null,
    timeZone: row.time_zone,
    createdAt: row.created_at,
    updatedAt: row.updated_at
  };
}

/** The parameters of `upsertAction` for one record (serialised when the write is called). */
function actionParams(sessionId: string, r: ActionRecord): unknown[] {
  return [sessionId, r.id, r.factor, r.position, r.owner, r.due, r.status, r.createdBy, r.createdAt, r.mergedInto, r.removed ? 1 : 0, r.origin];
}

/**
 * Fills the figures of paper sessions stored before the column existed (migration 8), in batches, each in its own
 * transaction: at open, before the store serves anything, so every reader finds them stored. Nothing else changes.
 */
function fillPaperFigures(db: Database.Database): void {
  const missing = db.prepare<[number], { id: string; factors: string }>('SELECT id, factors FROM paper_sessions WHERE figures IS NULL LIMIT ?');
  const fill = db.prepare<[string, string]>('UPDATE paper_sessions SET figures = ? WHERE id = ? AND figures IS NULL');
  for (;;) {
    const rows = missing.all(FIGURES_BACKFILL_BATCH);
    if (rows.length === 0) return;
    db.transaction(() => {
      for (const row of rows) fill.run(figuresJsonFor(row.factors), row.id);
    })();
  }
}

/**
 * SQLite store (better-sqlite3, WAL). Writes are queued and committed together
 * in one transaction per event-loop turn (group commit): with `synchronous=FULL`
 * every commit is fsynced, and batching keeps that affordable under load.
 * A promise resolves only after its transaction committed.
 */
export class SqliteStore implements Store {
  readonly file: string;
  private readonly db: Database.Database;
  private queue: PendingWrite[] = [];
  private flushScheduled = false;
  private readonly touched = new Set<string>();
  private closed = false;
  private readonly stmt;

  constructor(options: SqliteStoreOptions) {
    fs.mkdirSync(options.dataDir, { recursive: true });
    this.file = path.join(options.dataDir, options.fileName ?? 'board.sqlite');
    // A corrupt or unwritable file is refused here, with a message that says so, instead of failing on some later write.
    checkDatabaseFile(this.file);
    this.db = this.open(options.synchronous ?? 'FULL');
    const db = this.db;
    this.stmt = {
      sessionIdByCode: db.prepare<[string], { id: string }>('SELECT id FROM sessions WHERE code = ?'),
      sessionById: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?'),
      participantsBySession: db.prepare<[string], Record<string, unknown>>('SELECT * FROM participants WHERE session_id = ? ORDER BY joined_at, id'),
      answersBySession: db.prepare<[string], Record<string, unknown>>('SELECT * FROM answers WHERE session_id = ?'),
      dotsBySession: db.prepare<[string], { voter_id: string; action_id: string; count: number }>(
        'SELECT voter_id, action_id, count FROM dots WHERE session_id = ?'
      ),
      revealedBySession: db.prepare<[string], RevealedRow>('SELECT * FROM revealed_results WHERE session_id = ? ORDER BY round'),
      latestRevealed: db.prepare<[string], RevealedRow>('SELECT * FROM revealed_results WHERE session_id = ? ORDER BY round DESC LIMIT 1'),
      // OR IGNORE: a frozen round is never overwritten.
      insertRevealed: db.prepare(
        'INSERT OR IGNORE INTO revealed_results (session_id, round, results, ballots, revealed_at) VALUES (@sessionId, @round, @results, @ballots, @revealedAt)'
      ),
      actionsBySession: db.prepare<[string], ActionRow>('SELECT * FROM action_points WHERE session_id = ?'),
      upsertAction: db.prepare(
        `INSERT INTO action_points (session_id, id, factor, position, owner, due, status, created_by, created_at, merged_into, removed, origin)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (session_id, id) DO UPDATE SET factor = excluded.factor, position = excluded.position, owner = excluded.owner, due = excluded.due,
           status = excluded.status, merged_into = excluded.merged_into, removed = excluded.removed`
      ),
      hiddenCommentsBySession: db.prepare<[string], HiddenComment>('SELECT round, factor, text FROM hidden_comments WHERE session_id = ?'),
      insertHiddenComment: db.prepare<[string, number, number, string]>(
        'INSERT INTO hidden_comments (session_id, round, factor, text) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'
      ),
      deleteHiddenComment: db.prepare<[string, number, number, string]>(
        'DELETE FROM hidden_comments WHERE session_id = ? AND round = ? AND factor = ? AND text = ?'
      ),
      countLive: db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sessions WHERE phase <> 'closed'"),
      yjsBySession: db.prepare<[string], { seq: number; data: Buffer }>('SELECT seq, data FROM yjs_updates WHERE session_id = ? ORDER BY seq'),
      insertSession: db.prepare(
        `INSERT INTO sessions (id, code, title, language, framework, anonymous, facilitator_token_hash, presenter_token_hash, phase, round, voting_deadline, voting_closed, voting_paused_ms, settings, revealed_rounds, community_id, time_zone, created_at, updated_at)
         VALUES (@id, @code, @title, @language, @framework, @anonymous, @facilitatorTokenHash, @presenterTokenHash, @phase, @round, @votingDeadline, @votingClosed, @votingPausedMs, @settings, @revealedRounds, @communityId, @timeZone, @createdAt, @updatedAt)`
      ),
      touchSession: db.prepare<[number, string]>('UPDATE sessions SET updated_at = ? WHERE id = ?'),
      deleteSession: db.prepare<[string]>('DELETE FROM sessions WHERE id = ?'),
      insertParticipant: db.prepare(
        `INSERT INTO participants (id, session_id, token_hash, name, grp, language, joined_at) VALUES (@id, @sessionId, @tokenHash, @name, @group, @language, @joinedAt)`
      ),
      deleteParticipant: db.prepare<[string, string]>('DELETE FROM participants WHERE session_id = ? AND id = ?'),
      // Dots name their voter without a foreign key (the facilitator votes too), so they go explicitly.
      deleteVoterDots: db.prepare<[string, string]>('DELETE FROM dots WHERE session_id = ? AND voter_id = ?'),
      upsertDots: db.prepare(
        `INSERT INTO dots (session_id, voter_id, action_id, count) VALUES (?, ?, ?, ?) ON CONFLICT (session_id, voter_id, action_id) DO UPDATE SET count = excluded.count`
      ),
      deleteDots: db.prepare<[string, string, string]>('DELETE FROM dots WHERE session_id = ? AND voter_id = ? AND action_id = ?'),
      insertYjs: db.prepare<[string, Buffer]>('INSERT INTO yjs_updates (session_id, data) VALUES (?, ?)'),
      deleteYjs: db.prepare<[string]>('DELETE FROM yjs_updates WHERE session_id = ?'),
      // Sessions of a community stay: its trend is built from their frozen results (docs/privacy.md).
      idleSessions: db.prepare<[number], { id: string }>('SELECT id FROM sessions WHERE updated_at < ? AND community_id IS NULL'),
      insertCommunity: db.prepare(
        'INSERT INTO communities (id, name, language, framework, token_hash, time_zone, created_at) VALUES (@id, @name, @language, @framework, @tokenHash, @timeZone, @createdAt)'
      ),
      communityById: db.prepare<[string], CommunityRow>('SELECT * FROM communities WHERE id = ?'),
      sessionsByCommunity: db.prepare<[string], { id: string; code: string; title: string; phase: string; time_zone: string; created_at: number }>(
        'SELECT id, code, title, phase, time_zone, created_at FROM sessions WHERE community_id = ? ORDER BY created_at, id'
      ),
      insertPaper: db.prepare(
        'INSERT INTO paper_sessions (id, community_id, code, title, date, factors, figures, created_at, source) VALUES (@id, @communityId, @code, @title, @date, @factors, @figures, @createdAt, @source)'
      ),
      countPapers: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM paper_sessions WHERE community_id = ?'),
      countCommunitySessions: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM sessions WHERE community_id = ?'),
      papersByCommunity: db.prepare<[string], PaperRow>('SELECT * FROM paper_sessions WHERE community_id = ? ORDER BY date, created_at, id'),
      latestPaper: db.prepare<[string, string, number], PaperRow>(
        'SELECT * FROM paper_sessions WHERE community_id = ? AND date <= ? AND created_at < ? ORDER BY date DESC, created_at DESC, code DESC LIMIT 1'
      ),
      sessionExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM sessions WHERE id = ?'),
      upsertReview: db.prepare(
        `INSERT INTO action_reviews (reviewing_session_id, origin_session_id, action_id, status, carried_action_id, reviewed_at)
         SELECT @reviewingSessionId, @originSessionId, @actionId, @status, @carriedActionId, @reviewedAt
         WHERE EXISTS (SELECT 1 FROM sessions WHERE id = @reviewingSessionId) AND EXISTS (SELECT 1 FROM sessions WHERE id = @originSessionId)
         ON CONFLICT (reviewing_session_id, origin_session_id, action_id) DO UPDATE SET status = excluded.status,
           carried_action_id = excluded.carried_action_id, reviewed_at = excluded.reviewed_at`
      ),
      reviewsByCommunity: db.prepare<[string], ReviewRow>(
        `SELECT r.* FROM action_reviews r JOIN sessions s ON s.id = r.origin_session_id WHERE s.community_id = ?
         ORDER BY r.reviewed_at, r.reviewing_session_id, r.origin_session_id, r.action_id`
      ),
      reviewsByOrigins: db.prepare<[string, string], ReviewRow>(
        `SELECT r.* FROM action_reviews r JOIN sessions s ON s.id = r.origin_session_id
         WHERE s.community_id = ? AND r.origin_session_id IN (SELECT value FROM json_each(?))
         ORDER BY r.reviewed_at, r.reviewing_session_id, r.origin_session_id, r.action_id`
      ),
      sessionIdsByCommunity: db.prepare<[string], { id: string }>('SELECT id FROM sessions WHERE community_id = ?'),
      deleteCommunity: db.prepare<[string]>('DELETE FROM communities WHERE id = ?'),
      // A lobby where the review of earlier sessions was recorded is being prepared, not abandoned (the review closes other sessions' points).
      abandonedLobbies: db.prepare<[number], { id: string }>(
        "SELECT id FROM sessions WHERE phase = 'lobby' AND updated_at < ? AND NOT EXISTS (SELECT 1 FROM action_reviews WHERE reviewing_session_id = sessions.id)"
      )
    };
  }

  private open(synchronous: Synchronous): Database.Database {
    let db: Database.Database | null = null;
    try {
      db = new Database(this.file);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${synchronous}`);
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      checkOpenDatabase(db, this.file);
      this.migrate(db);
      fillPaperFigures(db);
      return db;
    } catch (error) {
      db?.close();
      if (error instanceof StoreUnusableError) throw error;
      throw new StoreUnusableError(`Cannot open the database file ${this.file}: ${(error as Error).message}`, { cause: error });
    }
  }

  private migrate(db: Database.Database): void {
    const current = db.pragma('user_version', { simple: true }) as number;
    for (let version = current; version < MIGRATIONS.length; version++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[version]);
        db.pragma(`user_version = ${version + 1}`);
      })();
    }
  }

  /** Queues a write; it commits with the others queued in this turn of the event loop. */
  private write<T>(run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Commits every queued write in one transaction. */
  flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const results: unknown[] = [];
    try {
      this.db.transaction(() => {
        for (const item of batch) results.push(item.run());
        this.touchActiveSessions();
      })();
    } catch (error) {
      // The whole batch rolled back; retry each write alone so one bad write cannot sink the others.
      for (const item of batch) {
        try {
          item.resolve(
            this.db.transaction(() => {
              const result = item.run();
              this.touchActiveSessions();
              return result;
            })()
          );
        } catch (itemError) {
          item.reject(itemError);
        }
      }
      // Not discarded: the retries above answer each write, but the reason the batch failed is an operator's first clue.
      console.error(`store: a batch of ${batch.length} writes failed and was retried one by one:`, error);
      return;
    }
    batch.forEach((item, index) => item.resolve(results[index]));
  }

  /** Records, inside the current transaction, that the sessions written to are active now (for the idle purge). */
  private touchActiveSessions(): void {
    if (this.touched.size === 0) return;
    const now = Date.now();
    for (const id of this.touched) this.stmt.touchSession.run(now, id);
    this.touched.clear();
  }

  /** Reads see every write queued before them. */
  private read<T>(run: () => T): Promise<T> {
    if (this.queue.length > 0) this.flush();
    try {
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  findSessionIdByCode(code: string): Promise<string | null> {
    return this.read(() => this.stmt.sessionIdByCode.get(code)?.id ?? null);
  }

  async loadSession(id: string): Promise<LoadedSession | null> {
    const read = await this.read(() => {
      const row = this.stmt.sessionById.get(id);
      if (!row) return null;
      const participants: ParticipantRecord[] = this.stmt.participantsBySession.all(id).map((p) => ({
        id: p.id as string,
        sessionId: p.session_id as string,
        tokenHash: p.token_hash as string,
        name: p.name as string,
        group: (p.grp as string | null) ?? null,
        language: (p.language as ParticipantRecord['language']) ?? null,
        joinedAt: p.joined_at as number
      }));
      const answers: StoredAnswer[] = this.stmt.answersBySession.all(id).map((a) => ({
        sessionId: a.session_id as string,
        round: a.round as number,
        participantId: a.participant_id as string,
        factor: a.factor as number,
        answer: (a.answer === 'unknown' ? 'unknown' : Number(a.answer)) as Answer,
        comment: (a.comment as string | null) ?? null
      }));
      const dots = this.stmt.dotsBySession.all(id).map((d) => ({ voterId: d.voter_id, actionId: d.action_id, count: d.count }));
      const revealedRows = this.stmt.revealedBySession.all(id);
      const actions = this.stmt.actionsBySession.all(id).map(toActionRecord);
      const hiddenComments = this.stmt.hiddenCommentsBySession.all(id).map((h) => ({ round: h.round, factor: h.factor, text: h.text }));
      return { session: toSessionRecord(row), participants, answers, dots, revealedRows, actions, hiddenComments };
    });
    if (!read) return null;
    const { revealedRows, ...rest } = read;
    return { ...rest, revealed: await parseOnePerTurn(revealedRows, toRevealedRound) };
  }

  countLiveSessions(): Promise<number> {
    return this.read(() => this.stmt.countLive.get()?.n ?? 0);
  }

  loadYjsUpdates(sessionId: string): Promise<Uint8Array[]> {
    return this.read(() => this.stmt.yjsBySession.all(sessionId).map((row) => new Uint8Array(row.data)));
  }

  async loadRevealedRounds(sessionId: string): Promise<RevealedRound[]> {
    return parseOnePerTurn(await this.read(() => this.stmt.revealedBySession.all(sessionId)), toRevealedRound);
  }

  loadLatestRevealedRound(sessionId: string): Promise<RevealedRound | null> {
    return this.read(() => {
      const row = this.stmt.latestRevealed.get(sessionId);
      return row ? toRevealedRound(row) : null;
    });
  }

  saveRevealedRound(revealed: RevealedRound): Promise<void> {
    // Serialised now, not at commit: what is stored is what was revealed at this moment.
    const row = {
      sessionId: revealed.sessionId,
      round: revealed.round,
      results: JSON.stringify(revealed.results),
      ballots: JSON.stringify(revealed.ballots),
      revealedAt: revealed.revealedAt
    };
    return this.write(() => {
      this.stmt.insertRevealed.run(row);
    });
  }

  createSession(session: SessionRecord, communityCap?: number): Promise<boolean> {
    return this.write(() => {
      // Counted inside the write's transaction: one connection writes this file, so nothing can come between count and insert.
      if (session.communityId && communityCap !== undefined && (this.stmt.countCommunitySessions.get(session.communityId)?.n ?? 0) >= communityCap)
        return false;
      this.stmt.insertSession.run({
        ...session,
        anonymous: session.anonymous ? 1 : 0,
        votingClosed: session.votingClosed ? 1 : 0,
        settings: JSON.stringify(session.settings),
        revealedRounds: JSON.stringify(session.revealedRounds),
        communityId: session.communityId ?? null
      });
      return true;
    });
  }

  updateSession(id: string, patch: SessionPatch): Promise<void> {
    const columns: Record<string, unknown> = {};
    if (patch.phase !== undefined) columns.phase = patch.phase;
    if (patch.round !== undefined) columns.round = patch.round;
    if (patch.votingDeadline !== undefined) columns.voting_deadline = patch.votingDeadline;
    if (patch.votingClosed !== undefined) columns.voting_closed = patch.votingClosed ? 1 : 0;
    if (patch.votingPausedMs !== undefined) columns.voting_paused_ms = patch.votingPausedMs;
    if (patch.presenterTokenHash !== undefined) columns.presenter_token_hash = patch.presenterTokenHash;
    if (patch.settings !== undefined) columns.settings = JSON.stringify(patch.settings);
    if (patch.revealedRounds !== undefined) columns.revealed_rounds = JSON.stringify(patch.revealedRounds);
    columns.updated_at = Date.now();
    // Column names come from the fixed list above, never from input.
    const sql = `UPDATE sessions SET ${Object.keys(columns)
      .map((c) => `${c} = @${c}`)
      .join(', ')} WHERE id = @id`;
    return this.write(() => {
      this.db.prepare(sql).run({ ...columns, id });
    });
  }

  deleteSession(id: string): Promise<void> {
    return this.write(() => {
      this.stmt.deleteSession.run(id);
    });
  }

  addParticipant(participant: ParticipantRecord): Promise<void> {
    return this.write(() => {
      this.stmt.insertParticipant.run(participant);
      this.stmt.touchSession.run(Date.now(), participant.sessionId);
    });
  }

  removeParticipant(sessionId: string, participantId: string): Promise<void> {
    return this.write(() => {
      this.stmt.deleteParticipant.run(sessionId, participantId);
      this.stmt.deleteVoterDots.run(sessionId, participantId);
    });
  }

  removeParticipants(sessionId: string, participantIds: readonly string[]): Promise<void> {
    // One queued write: should the batch around it fail, it is retried alone, still all together.
    return this.write(() => {
      for (const id of participantIds) {
        this.stmt.deleteParticipant.run(sessionId, id);
        this.stmt.deleteVoterDots.run(sessionId, id);
      }
    });
  }

  setCommentHidden(sessionId: string, comment: HiddenComment, hidden: boolean): Promise<void> {
    return this.write(() => {
      const statement = hidden ? this.stmt.insertHiddenComment : this.stmt.deleteHiddenComment;
      statement.run(sessionId, comment.round, comment.factor, comment.text);
    });
  }

  /**
   * Answers queued one after another join one batch, written with multi-row
   * statements: under load most of a commit is answers, and one statement per
   * 64 rows costs less than one per row. Order with other writes is kept,
   * because only consecutive answers are batched.
   */
  saveAnswer(answer: StoredAnswer): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    let batch = this.queue.at(-1);
    if (!batch?.answers) {
      const answers: StoredAnswer[] = [];
      const waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
      batch = {
        run: () => this.insertAnswers(answers),
        resolve: () => waiters.forEach((w) => w.resolve()),
        reject: (error) => waiters.forEach((w) => w.reject(error)),
        answers,
        waiters
      };
      this.queue.push(batch);
      this.scheduleFlush();
    }
    const { answers, waiters } = batch as Required<PendingWrite>;
    answers.push(answer);
    return new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
  }

  private insertAnswers(answers: StoredAnswer[]): void {
    const now = Date.now();
    for (let start = 0; start < answers.length; start += ANSWER_ROWS_PER_STATEMENT) {
      const chunk = answers.slice(start, start + ANSWER_ROWS_PER_STATEMENT);
      const params: (string | number | null)[] = [];
      for (const a of chunk) {
        params.push(a.sessionId, a.round, a.participantId, a.factor, String(a.answer), a.comment, now);
        // Marking the session as active once per commit, not once per vote, spares an index update per vote.
        this.touched.add(a.sessionId);
      }
      this.answerStatement(chunk.length).run(...params);
    }
  }

  private readonly answerStatements = new Map<number, Database.Statement>();

  /** `INSERT … VALUES (…), (…) ON CONFLICT DO UPDATE` for `rows` rows; rows later in a statement win, as later votes should. */
  private answerStatement(rows: number): Database.Statement {
    let statement = this.answerStatements.get(rows);
    if (!statement) {
      const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', ');
      statement = this.db.prepare(
        `INSERT INTO answers (session_id, round, participant_id, factor, answer, comment, updated_at) VALUES ${values}
         ON CONFLICT (session_id, round, participant_id, factor) DO UPDATE SET answer = excluded.answer, comment = excluded.comment, updated_at = excluded.updated_at`
      );
      this.answerStatements.set(rows, statement);
    }
    return statement;
  }

  setDots(sessionId: string, voterId: string, actionId: string, count: number): Promise<void> {
    return this.write(() => {
      if (count <= 0) this.stmt.deleteDots.run(sessionId, voterId, actionId);
      else this.stmt.upsertDots.run(sessionId, voterId, actionId, count);
    });
  }

  saveActionPoints(sessionId: string, records: readonly ActionRecord[]): Promise<void> {
    const rows = records.map((r) => actionParams(sessionId, r));
    return this.write(() => {
      for (const row of rows) this.stmt.upsertAction.run(...row);
      this.touched.add(sessionId);
    });
  }

  appendYjsUpdate(sessionId: string, update: Uint8Array): Promise<void> {
    return this.write(() => {
      this.stmt.insertYjs.run(sessionId, Buffer.from(update));
    });
  }

  compactYjs(sessionId: string, merged: Uint8Array): Promise<void> {
    return this.write(() => {
      this.stmt.deleteYjs.run(sessionId);
      this.stmt.insertYjs.run(sessionId, Buffer.from(merged));
      this.stmt.touchSession.run(Date.now(), sessionId);
    });
  }

  purgeIdle(before: number): Promise<string[]> {
    return this.write(() => {
      const ids = this.stmt.idleSessions.all(before).map((row) => row.id);
      for (const id of ids) this.stmt.deleteSession.run(id);
      return ids;
    });
  }

  /** A tiny write through the write queue and a read: rejects while the database cannot take both. */
  async probe(): Promise<void> {
    await this.write(() => probeWrite(this.db, this.file));
    await this.read(() => this.stmt.countLive.get());
  }

  purgeAbandonedLobbies(before: number): Promise<string[]> {
    return this.write(() => {
      const ids = this.stmt.abandonedLobbies.all(before).map((row) => row.id);
      for (const id of ids) this.stmt.deleteSession.run(id);
      return ids;
    });
  }

  createCommunity(community: CommunityRecord): Promise<void> {
    const row = { ...community };
    return this.write(() => {
      this.stmt.insertCommunity.run(row);
    });
  }

  loadCommunity(id: string): Promise<CommunityRecord | null> {
    return this.read(() => {
      const row = this.stmt.communityById.get(id);
      if (!row) return null;
      return {
        id: row.id,
        name: row.name,
        language: row.language as CommunityRecord['language'],
        framework: row.framework,
        tokenHash: row.token_hash,
        timeZone: row.time_zone,
        createdAt: row.created_at
      };
    });
  }

  listCommunitySessions(communityId: string): Promise<CommunitySessionRow[]> {
    return this.read(() =>
      this.stmt.sessionsByCommunity.all(communityId).map((r) => ({
        id: r.id,
        code: r.code,
        title: r.title,
        phase: r.phase as CommunitySessionRow['phase'],
        timeZone: r.time_zone,
        createdAt: r.created_at
      }))
    );
  }

  savePaperSession(paper: PaperSessionRecord, cap?: number): Promise<boolean> {
    // Serialised now: what is stored is what was validated at this moment.
    const row = { ...paper, factors: JSON.stringify(paper.factors), figures: JSON.stringify(paper.figures) };
    return this.write(() => {
      // Counted inside the write's transaction, as for sessions.
      if (cap !== undefined && (this.stmt.countPapers.get(paper.communityId)?.n ?? 0) >= cap) return false;
      this.stmt.insertPaper.run(row);
      return true;
    });
  }

  listPaperSessions(communityId: string): Promise<PaperSessionRecord[]> {
    return this.read(() => this.stmt.papersByCommunity.all(communityId).map(toPaperSession));
  }

  latestPaperSession(communityId: string, day: string, createdBefore: number): Promise<PaperSessionRecord | null> {
    return this.read(() => {
      const row = this.stmt.latestPaper.get(communityId, day, createdBefore);
      return row ? toPaperSession(row) : null;
    });
  }

  loadActionPoints(sessionId: string): Promise<ActionRecord[]> {
    return this.read(() => this.stmt.actionsBySession.all(sessionId).map(toActionRecord));
  }

  saveActionReview(review: ActionReviewRecord, actions: readonly ActionRecord[] = []): Promise<void> {
    const row = { ...review };
    const points = actions.map((r) => actionParams(review.reviewingSessionId, r));
    return this.write(() => {
      // As documented: a review (and its board change) for a session deleted meanwhile is not stored, and not an error.
      if (!this.stmt.sessionExists.get(review.reviewingSessionId) || !this.stmt.sessionExists.get(review.originSessionId)) return;
      for (const params of points) this.stmt.upsertAction.run(...params);
      try {
        this.stmt.upsertReview.run(row);
      } catch (error) {
        // The only unique index the upsert does not resolve is action_reviews_decided_once: another session closed it first.
        // Thrown inside the transaction, so the board change above rolls back with it.
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new DecidedElsewhereError(review.originSessionId, review.actionId);
        throw error;
      }
      this.touched.add(review.reviewingSessionId);
    });
  }

  listActionReviews(communityId: string, originSessionIds?: readonly string[]): Promise<ActionReviewRecord[]> {
    const origins = originSessionIds ? JSON.stringify(originSessionIds) : null;
    return this.read(() =>
      (origins === null ? this.stmt.reviewsByCommunity.all(communityId) : this.stmt.reviewsByOrigins.all(communityId, origins)).map((r) => ({
        reviewingSessionId: r.reviewing_session_id,
        originSessionId: r.origin_session_id,
        actionId: r.action_id,
        status: r.status as ActionReviewRecord['status'],
        carriedActionId: r.carried_action_id,
        reviewedAt: r.reviewed_at
      }))
    );
  }

  deleteCommunity(id: string): Promise<string[]> {
    return this.write(() => {
      const ids = this.stmt.sessionIdsByCommunity.all(id).map((row) => row.id);
      // Sessions first (their rows cascade), then the community (its paper sessions cascade).
      for (const sessionId of ids) this.stmt.deleteSession.run(sessionId);
      this.stmt.deleteCommunity.run(id);
      return ids;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }
}
