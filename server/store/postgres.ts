import pg from 'pg';
import type { Answer } from '../../src/lib/domain/ballots';
import type { ActionRecord } from '../../src/lib/domain/action-points';
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
import { DecidedElsewhereError } from './types';
import { migrate } from './pg-migrations';
import { FIGURES_BACKFILL_BATCH, figuresJsonFor } from './paper-figures';
import { toActionRecord, toPaperSession, toRevealedRound, toSessionRecord, typeParsers } from './pg-rows';
import { parseOnePerTurn } from './revealed-rows';
import { StoreUnusableError } from './sqlite-check';
import { FencedError, type WriteFence } from './fence';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (libpq-style parameters such as `?sslmode=` work too). */
  connectionString: string;
  /** Connections in the pool: one writes at a time, the others serve reads. */
  poolSize?: number;
}

/**
 * Limits on the pool's connections, set by PostgreSQL on each of them. A transaction left open by an
 * instance cut off from the database holds its locks, among them the share lock on its sessions' owner
 * rows that fencing takes: PostgreSQL ends it after IDLE_IN_TRANSACTION_TIMEOUT_MS of silence (our
 * transactions never wait on anything but the next statement), and any statement after
 * STATEMENT_TIMEOUT_MS, both well within the ~25 s after which another instance can take a lease over.
 */
export const STATEMENT_TIMEOUT_MS = 15_000;
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 5_000;

/** The session a write is for and the ownership epoch it was called under (./fence.ts). */
interface Fence {
  sessionId: string;
  epoch: number;
}

/** What a queued write runs against: the writing connection, inside the batch's transaction. */
interface Tx {
  query(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  /** Marks a session active (updated_at) once, at the end of the transaction. */
  touch(sessionId: string): void;
}

interface Waiter {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface PendingWrite extends Waiter {
  run: (tx: Tx) => Promise<unknown>;
  /** Set on a fenced write of one session: it commits only while this epoch is the session's. */
  fence?: Fence;
  /** Set on a batch of consecutive answers, which later answers join; `waiters[i]` awaits `answers[i]`, fenced by `fences[i]`. */
  answers?: StoredAnswer[];
  waiters?: Waiter[];
  fences?: (Fence | undefined)[];
}

/** Rows per multi-row answer statement (7 parameters each). */
const ANSWER_ROWS_PER_STATEMENT = 256;

/** An error PostgreSQL answered (a constraint, a type): the connection itself is fine. */
function isDatabaseError(error: unknown): boolean {
  return error instanceof pg.DatabaseError;
}

/**
 * PostgreSQL store (node-postgres, a connection pool). The same promise as the
 * SQLite store: writes apply in call order and each promise resolves only
 * after its transaction committed (PostgreSQL's default `synchronous_commit =
 * on`: the commit record is flushed to disk first).
 *
 * Order with a pool: every write goes through one queue and is run by one
 * connection at a time. Writes called while a commit is in flight wait and
 * then commit together in one transaction (group commit): the same batching
 * as SQLite's one transaction per event-loop turn, so the cost of a commit is
 * shared under load. Reads use any pooled connection, after every write
 * called before them has settled, so a read sees what was written before it.
 */
export class PostgresStore implements Store {
  private readonly pool: pg.Pool;
  private queue: PendingWrite[] = [];
  private flushing = false;
  /** Settles once every write called so far has settled (never rejects): what a read waits for. */
  private lastWrite: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Set when several instances share the database: session writes then carry and check their epoch. */
  private fence: WriteFence | null = null;
  /** Every connection the pool has open, so that `interrupt` can cut them all. */
  private readonly connections = new Set<pg.PoolClient>();

  private constructor(pool: pg.Pool) {
    this.pool = pool;
    pool.on('connect', (client) => this.connections.add(client));
    pool.on('remove', (client) => this.connections.delete(client));
  }

  /**
   * Fences every write of a session from now on (several instances on one database): a write
   * carries the epoch `fence` says this instance holds for its session when the write is called
   * (none: refused at once), and commits only if that epoch is still the session's current one,
   * checked inside the committing transaction; otherwise it rejects with a `FencedError`.
   */
  fenceWith(fence: WriteFence): void {
    this.fence = fence;
  }

  /**
   * This instance lost its sessions (its lease connection broke or went silent): cut every
   * connection of the pool at once, so that nothing it queued or had under way reaches the
   * database any more. Writes under way reject (nothing acknowledged); the pool connects anew.
   */
  interrupt(): void {
    for (const client of this.connections) (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  }

  /** Connects, applies pending migrations and returns the store; refuses a database it cannot use, saying why. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      types: typeParsers,
      // A database that does not answer fails a write or a probe instead of hanging it.
      connectionTimeoutMillis: 5000,
      keepAlive: true,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      application_name: 'seeds-live-board'
    });
    // An idle connection that breaks (the server restarted) must not crash the process; the next use reconnects.
    pool.on('error', (error) => console.error('store: an idle PostgreSQL connection failed:', error.message));
    try {
      await migrate(pool);
      await fillPaperFigures(pool);
    } catch (error) {
      await pool.end().catch(() => undefined);
      if (error instanceof StoreUnusableError) throw error;
      throw new StoreUnusableError(`Cannot use the PostgreSQL database at ${redact(options.connectionString)}: ${(error as Error).message}`, {
        cause: error
      });
    }
    return new PostgresStore(pool);
  }

  // ---- the write queue ----

  private enqueue(item: PendingWrite | null, settled: Promise<unknown>): void {
    this.lastWrite = settled.catch(() => undefined);
    if (item) this.queue.push(item);
    if (!this.flushing) {
      this.flushing = true;
      // Writes called in this turn of the event loop join the first batch.
      setImmediate(() => void this.drain());
    }
  }

  /** A write; with `sessionId`, fenced by the epoch this instance holds for that session now. */
  private write<T>(run: (tx: Tx) => Promise<T>, sessionId?: string): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    let fence: Fence | undefined;
    if (sessionId !== undefined && this.fence) {
      const epoch = this.fence.epochOf(sessionId);
      if (epoch === null) return Promise.reject(new FencedError(sessionId, null));
      fence = { sessionId, epoch };
    }
    let item!: PendingWrite;
    const promise = new Promise<T>((resolve, reject) => {
      item = { run, fence, resolve: resolve as (value: unknown) => void, reject };
    });
    this.enqueue(item, promise);
    return promise;
  }

  /** Commits batches until the queue is empty; writes called meanwhile form the next batch. */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.commit(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async commit(batch: PendingWrite[]): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    // A connection that breaks while checked out reports it here as well as to the query; without a listener it would crash the process.
    const onError = (error: Error) => console.error('store: the PostgreSQL write connection failed:', error.message);
    client.on('error', onError);
    let broken: Error | undefined;
    try {
      for (const settle of await this.runBatch(client, batch)) settle();
    } catch (error) {
      if (!isDatabaseError(error)) {
        // The connection or the server failed: whether the commit happened is unknown, so nothing is acknowledged.
        broken = error as Error;
        for (const item of batch) item.reject(error);
        return;
      }
      // The whole batch rolled back; retry each write alone so one bad write cannot sink the others (as SQLite does).
      for (const item of batch) {
        const singles: PendingWrite[] =
          item.answers && item.waiters && item.fences
            ? item.answers.map((answer, i) => this.answerWrite([answer], [item.waiters![i]], [item.fences![i]]))
            : [item];
        for (const single of singles) {
          await this.runBatch(client, [single]).then(
            (settle) => settle.forEach((s) => s()),
            (retryError) => single.reject(retryError)
          );
        }
      }
      // Not discarded: the retries answer each write, but the reason the batch failed is an operator's first clue.
      console.error(`store: a batch of ${batch.length} writes failed and was retried one by one:`, (error as Error).message);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /**
   * Runs a batch in one transaction and returns how to answer each of its writes once it committed.
   * Fencing: the transaction first takes a share lock on the owner row of every session the batch
   * writes for and reads its epoch. A write whose epoch is no longer current (another instance took
   * the session over; or this instance lost it since the write was called) is left out and rejected
   * with a FencedError; the others commit, other sessions' writes in the same batch included. The
   * lock is held until COMMIT, and a takeover replaces the epoch by updating that row, so it waits
   * for this transaction: no takeover can come between the check and the commit.
   */
  private async runBatch(client: pg.PoolClient, batch: readonly PendingWrite[]): Promise<(() => void)[]> {
    const fenced = new Set<string>();
    for (const item of batch) {
      if (item.fence) fenced.add(item.fence.sessionId);
      for (const fence of item.fences ?? []) if (fence) fenced.add(fence.sessionId);
    }
    return this.transaction(
      client,
      async (tx, current) => {
        const stale = (f: Fence | undefined): f is Fence =>
          f !== undefined && (current.get(f.sessionId) !== f.epoch || this.fence?.epochOf(f.sessionId) !== f.epoch);
        const settle: (() => void)[] = [];
        for (const item of batch) {
          if (item.answers && item.waiters && item.fences) {
            const kept: StoredAnswer[] = [];
            item.answers.forEach((answer, i) => {
              const fence = item.fences![i];
              const waiter = item.waiters![i];
              if (stale(fence)) settle.push(() => waiter.reject(new FencedError(fence.sessionId, fence.epoch)));
              else {
                kept.push(answer);
                settle.push(() => waiter.resolve(undefined));
              }
            });
            if (kept.length > 0) await this.insertAnswers(tx, kept);
          } else if (stale(item.fence)) {
            const fence = item.fence;
            settle.push(() => item.reject(new FencedError(fence.sessionId, fence.epoch)));
          } else {
            const value = await item.run(tx);
            settle.push(() => item.resolve(value));
          }
        }
        return settle;
      },
      fenced
    );
  }

  /** Runs `run` in one transaction on `client`, with the sessions it touched marked active before COMMIT. */
  private async transaction<T>(
    client: pg.PoolClient,
    run: (tx: Tx, epochs: ReadonlyMap<string, number>) => Promise<T>,
    fenced: ReadonlySet<string> = new Set()
  ): Promise<T> {
    const touched = new Set<string>();
    const tx: Tx = { query: (sql, params) => client.query(sql, params), touch: (id) => touched.add(id) };
    try {
      let epochs = new Map<string, number>();
      if (fenced.size === 0) await client.query('BEGIN');
      else {
        // The fencing check goes with BEGIN in one round trip (a simple query of two statements, the ids quoted by
        // the driver): it must not cost every group commit a network round trip of its own. In one order (by id),
        // so that two transactions never wait for each other's rows crosswise.
        const ids = [...fenced].map((id) => client.escapeLiteral(id)).join(', ');
        const results = (await client.query(
          `BEGIN; SELECT session_id, epoch FROM session_owners WHERE session_id IN (${ids}) ORDER BY session_id FOR SHARE`
        )) as unknown as pg.QueryResult[];
        epochs = new Map(results[1].rows.map((r) => [r.session_id as string, r.epoch as number]));
      }
      const result = await run(tx, epochs);
      // Marking the session as active once per commit, not once per vote, spares an index update per vote.
      if (touched.size > 0) await client.query('UPDATE sessions SET updated_at = $1 WHERE id = ANY($2)', [Date.now(), [...touched]]);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Reads see every write called before them (they wait for it to settle), then use any pooled connection. */
  private async read<T>(run: (db: pg.Pool) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('store is closed');
    await this.lastWrite;
    return run(this.pool);
  }

  // ---- reads ----

  findSessionIdByCode(code: string): Promise<string | null> {
    return this.read(async (db) => (await db.query('SELECT id FROM sessions WHERE code = $1', [code])).rows[0]?.id ?? null);
  }

  loadSession(id: string): Promise<LoadedSession | null> {
    return this.read(async (db) => {
      // One snapshot for all eight reads, so the parts agree with each other.
      const client = await db.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const row = (await client.query('SELECT * FROM sessions WHERE id = $1', [id])).rows[0];
        if (!row) return null;
        // One after another: a connection runs one query at a time anyway.
        const participants = await client.query('SELECT * FROM participants WHERE session_id = $1 ORDER BY joined_at, id', [id]);
        const answers = await client.query('SELECT * FROM answers WHERE session_id = $1', [id]);
        const dots = await client.query('SELECT voter_id, action_id, count FROM dots WHERE session_id = $1', [id]);
        const revealed = await client.query('SELECT * FROM revealed_results WHERE session_id = $1 ORDER BY round', [id]);
        const actions = await client.query('SELECT * FROM action_points WHERE session_id = $1', [id]);
        const hidden = await client.query('SELECT round, factor, text FROM hidden_comments WHERE session_id = $1', [id]);
        return {
          session: toSessionRecord(row),
          participants: participants.rows.map((p): ParticipantRecord => ({
            id: p.id,
            sessionId: p.session_id,
            tokenHash: p.token_hash,
            name: p.name,
            group: p.grp ?? null,
            language: p.language ?? null,
            joinedAt: p.joined_at
          })),
          answers: answers.rows.map((a): StoredAnswer => ({
            sessionId: a.session_id,
            round: a.round,
            participantId: a.participant_id,
            factor: a.factor,
            answer: (a.answer === 'unknown' ? 'unknown' : Number(a.answer)) as Answer,
            comment: a.comment ?? null
          })),
          dots: dots.rows.map((d) => ({ voterId: d.voter_id, actionId: d.action_id, count: d.count })),
          revealed: await parseOnePerTurn(revealed.rows, toRevealedRound),
          actions: actions.rows.map(toActionRecord),
          hiddenComments: hidden.rows.map((h): HiddenComment => ({ round: h.round, factor: h.factor, text: h.text }))
        };
      } finally {
        await client.query('COMMIT').catch(() => undefined);
        client.release();
      }
    });
  }

  countLiveSessions(): Promise<number> {
    return this.read(async (db) => Number((await db.query("SELECT count(*) AS n FROM sessions WHERE phase <> 'closed'")).rows[0].n));
  }

  loadYjsUpdates(sessionId: string): Promise<Uint8Array[]> {
    return this.read(async (db) =>
      (await db.query<{ data: Buffer }>('SELECT data FROM yjs_updates WHERE session_id = $1 ORDER BY seq', [sessionId])).rows.map((r) => new Uint8Array(r.data))
    );
  }

  loadRevealedRounds(sessionId: string): Promise<RevealedRound[]> {
    return this.read(async (db) =>
      parseOnePerTurn((await db.query('SELECT * FROM revealed_results WHERE session_id = $1 ORDER BY round', [sessionId])).rows, toRevealedRound)
    );
  }

  loadLatestRevealedRound(sessionId: string): Promise<RevealedRound | null> {
    return this.read(async (db) => {
      const row = (await db.query('SELECT * FROM revealed_results WHERE session_id = $1 ORDER BY round DESC LIMIT 1', [sessionId])).rows[0];
      return row ? toRevealedRound(row) : null;
    });
  }

  loadCommunity(id: string): Promise<CommunityRecord | null> {
    return this.read(async (db) => {
      const row = (await db.query('SELECT * FROM communities WHERE id = $1', [id])).rows[0];
      if (!row) return null;
      return {
        id: row.id,
        name: row.name,
        language: row.language,
        framework: row.framework,
        tokenHash: row.token_hash,
        timeZone: row.time_zone,
        createdAt: row.created_at
      };
    });
  }

  listCommunitySessions(communityId: string): Promise<CommunitySessionRow[]> {
    return this.read(async (db) =>
      (
        await db.query('SELECT id, code, title, phase, time_zone, created_at FROM sessions WHERE community_id = $1 ORDER BY created_at, id', [communityId])
      ).rows.map((r) => ({ id: r.id, code: r.code, title: r.title, phase: r.phase, timeZone: r.time_zone, createdAt: r.created_at }))
    );
  }

  listPaperSessions(communityId: string): Promise<PaperSessionRecord[]> {
    return this.read(async (db) =>
      (await db.query('SELECT * FROM paper_sessions WHERE community_id = $1 ORDER BY date, created_at, id', [communityId])).rows.map(toPaperSession)
    );
  }

  // ---- writes ----

  createSession(session: SessionRecord, communityCap?: number): Promise<boolean> {
    // Serialised now, not at commit: what is stored is the record as it was passed.
    const params = [
      session.id,
      session.code,
      session.title,
      session.language,
      session.framework,
      session.anonymous,
      session.facilitatorTokenHash,
      session.presenterTokenHash,
      session.phase,
      session.round,
      session.votingDeadline,
      session.votingClosed,
      session.votingPausedMs,
      JSON.stringify(session.settings),
      JSON.stringify(session.revealedRounds),
      session.communityId ?? null,
      session.createdAt,
      session.updatedAt,
      session.timeZone
    ];
    const communityId = session.communityId ?? null;
    return this.write(async (tx) => {
      if (communityId !== null && communityCap !== undefined && (await communityCount(tx, 'sessions', communityId)) >= communityCap) return false;
      await tx.query(
        `INSERT INTO sessions (id, code, title, language, framework, anonymous, facilitator_token_hash, presenter_token_hash, phase, round,
           voting_deadline, voting_closed, voting_paused_ms, settings, revealed_rounds, community_id, created_at, updated_at, time_zone)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
        params
      );
      return true;
    }, session.id);
  }

  updateSession(id: string, patch: SessionPatch): Promise<void> {
    const columns: Record<string, unknown> = {};
    if (patch.phase !== undefined) columns.phase = patch.phase;
    if (patch.round !== undefined) columns.round = patch.round;
    if (patch.votingDeadline !== undefined) columns.voting_deadline = patch.votingDeadline;
    if (patch.votingClosed !== undefined) columns.voting_closed = patch.votingClosed;
    if (patch.votingPausedMs !== undefined) columns.voting_paused_ms = patch.votingPausedMs;
    if (patch.presenterTokenHash !== undefined) columns.presenter_token_hash = patch.presenterTokenHash;
    if (patch.settings !== undefined) columns.settings = JSON.stringify(patch.settings);
    if (patch.revealedRounds !== undefined) columns.revealed_rounds = JSON.stringify(patch.revealedRounds);
    columns.updated_at = Date.now();
    const names = Object.keys(columns);
    // Column names come from the fixed list above, never from input.
    const sql = `UPDATE sessions SET ${names.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1`;
    const params = [id, ...names.map((c) => columns[c])];
    return this.write(async (tx) => {
      await tx.query(sql, params);
    }, id);
  }

  deleteSession(id: string): Promise<void> {
    return this.write(async (tx) => {
      await tx.query('DELETE FROM sessions WHERE id = $1', [id]);
    }, id);
  }

  addParticipant(participant: ParticipantRecord): Promise<void> {
    const p = participant;
    const params = [p.id, p.sessionId, p.tokenHash, p.name, p.group, p.language, p.joinedAt];
    return this.write(async (tx) => {
      await tx.query('INSERT INTO participants (id, session_id, token_hash, name, grp, language, joined_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', params);
      await tx.query('UPDATE sessions SET updated_at = $1 WHERE id = $2', [Date.now(), p.sessionId]);
    }, p.sessionId);
  }

  removeParticipant(sessionId: string, participantId: string): Promise<void> {
    return this.write(async (tx) => {
      await tx.query('DELETE FROM participants WHERE session_id = $1 AND id = $2', [sessionId, participantId]);
      // Dots name their voter without a foreign key (the facilitator votes too), so they go explicitly.
      await tx.query('DELETE FROM dots WHERE session_id = $1 AND voter_id = $2', [sessionId, participantId]);
    }, sessionId);
  }

  removeParticipants(sessionId: string, participantIds: readonly string[]): Promise<void> {
    const ids = [...participantIds];
    // One queued write, two statements: all of these participants go in one transaction, or none.
    return this.write(async (tx) => {
      await tx.query('DELETE FROM participants WHERE session_id = $1 AND id = ANY($2::text[])', [sessionId, ids]);
      await tx.query('DELETE FROM dots WHERE session_id = $1 AND voter_id = ANY($2::text[])', [sessionId, ids]);
    }, sessionId);
  }

  /**
   * Answers called one after another join one batch, written with multi-row
   * statements, as in the SQLite store. Order with other writes is kept,
   * because only consecutive answers are batched.
   */
  saveAnswer(answer: StoredAnswer): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    let fence: Fence | undefined;
    if (this.fence) {
      const epoch = this.fence.epochOf(answer.sessionId);
      if (epoch === null) return Promise.reject(new FencedError(answer.sessionId, null));
      fence = { sessionId: answer.sessionId, epoch };
    }
    let batch = this.queue.at(-1);
    let added: PendingWrite | null = null;
    if (!batch?.answers) {
      batch = this.answerWrite([], [], []);
      added = batch;
    }
    const { answers, waiters, fences } = batch as Required<PendingWrite>;
    answers.push({ ...answer });
    fences.push(fence);
    const promise = new Promise<void>((resolve, reject) => waiters.push({ resolve: resolve as (value: unknown) => void, reject }));
    this.enqueue(added, promise);
    return promise;
  }

  /** A write of consecutive answers (later answers join it while it is queued); `waiters[i]` awaits `answers[i]`. */
  private answerWrite(answers: StoredAnswer[], waiters: Waiter[], fences: (Fence | undefined)[]): PendingWrite {
    return {
      run: (tx) => this.insertAnswers(tx, answers),
      resolve: () => waiters.forEach((w) => w.resolve(undefined)),
      reject: (error) => waiters.forEach((w) => w.reject(error)),
      answers,
      waiters,
      fences
    };
  }

  private async insertAnswers(tx: Tx, answers: readonly StoredAnswer[]): Promise<void> {
    // One statement may not change a row twice (PostgreSQL refuses it), so only each key's last answer goes in: later votes win, as in order.
    const latest = new Map<string, StoredAnswer>();
    for (const a of answers) latest.set(`${a.sessionId}\n${a.round}\n${a.participantId}\n${a.factor}`, a);
    const rows = [...latest.values()];
    const now = Date.now();
    for (let start = 0; start < rows.length; start += ANSWER_ROWS_PER_STATEMENT) {
      const chunk = rows.slice(start, start + ANSWER_ROWS_PER_STATEMENT);
      const params: unknown[] = [];
      const values = chunk.map((a, i) => {
        params.push(a.sessionId, a.round, a.participantId, a.factor, String(a.answer), a.comment, now);
        tx.touch(a.sessionId);
        const n = i * 7;
        return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}, $${n + 7})`;
      });
      await tx.query(
        `INSERT INTO answers (session_id, round, participant_id, factor, answer, comment, updated_at) VALUES ${values.join(', ')}
         ON CONFLICT (session_id, round, participant_id, factor) DO UPDATE SET answer = excluded.answer, comment = excluded.comment, updated_at = excluded.updated_at`,
        params
      );
    }
  }

  saveRevealedRound(revealed: RevealedRound): Promise<void> {
    // Serialised now, not at commit: what is stored is what was revealed at this moment.
    const params = [revealed.sessionId, revealed.round, JSON.stringify(revealed.results), JSON.stringify(revealed.ballots), revealed.revealedAt];
    return this.write(async (tx) => {
      // DO NOTHING: a frozen round is never overwritten.
      await tx.query(
        'INSERT INTO revealed_results (session_id, round, results, ballots, revealed_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id, round) DO NOTHING',
        params
      );
    }, revealed.sessionId);
  }

  setCommentHidden(sessionId: string, comment: HiddenComment, hidden: boolean): Promise<void> {
    const params = [sessionId, comment.round, comment.factor, comment.text];
    return this.write(async (tx) => {
      if (hidden) {
        await tx.query(
          'INSERT INTO hidden_comments (session_id, round, factor, text) VALUES ($1, $2, $3, $4) ON CONFLICT (session_id, round, factor, md5(text)) DO NOTHING',
          params
        );
      } else {
        await tx.query('DELETE FROM hidden_comments WHERE session_id = $1 AND round = $2 AND factor = $3 AND md5(text) = md5($4) AND text = $4', params);
      }
    }, sessionId);
  }

  setDots(sessionId: string, voterId: string, actionId: string, count: number): Promise<void> {
    return this.write(async (tx) => {
      if (count <= 0) await tx.query('DELETE FROM dots WHERE session_id = $1 AND voter_id = $2 AND action_id = $3', [sessionId, voterId, actionId]);
      else
        await tx.query(
          'INSERT INTO dots (session_id, voter_id, action_id, count) VALUES ($1, $2, $3, $4) ON CONFLICT (session_id, voter_id, action_id) DO UPDATE SET count = excluded.count',
          [sessionId, voterId, actionId, count]
        );
    }, sessionId);
  }

  saveActionPoints(sessionId: string, records: readonly ActionRecord[]): Promise<void> {
    const rows = records.map((r) => actionParams(sessionId, r));
    return this.write(async (tx) => {
      for (const row of rows) await tx.query(UPSERT_ACTION, row);
      tx.touch(sessionId);
    }, sessionId);
  }

  appendYjsUpdate(sessionId: string, update: Uint8Array): Promise<void> {
    const data = Buffer.from(update);
    return this.write(async (tx) => {
      await tx.query('INSERT INTO yjs_updates (session_id, data) VALUES ($1, $2)', [sessionId, data]);
    }, sessionId);
  }

  compactYjs(sessionId: string, merged: Uint8Array): Promise<void> {
    const data = Buffer.from(merged);
    return this.write(async (tx) => {
      await tx.query('DELETE FROM yjs_updates WHERE session_id = $1', [sessionId]);
      await tx.query('INSERT INTO yjs_updates (session_id, data) VALUES ($1, $2)', [sessionId, data]);
      tx.touch(sessionId);
    }, sessionId);
  }

  purgeIdle(before: number): Promise<string[]> {
    return this.write(async (tx) => {
      // Sessions of a community stay: its trend is built from their frozen results (docs/privacy.md).
      const { rows } = await tx.query('DELETE FROM sessions WHERE updated_at < $1 AND community_id IS NULL RETURNING id', [before]);
      return rows.map((r) => r.id as string);
    });
  }

  purgeAbandonedLobbies(before: number): Promise<string[]> {
    return this.write(async (tx) => {
      // A lobby where the review of earlier sessions was recorded is being prepared, not abandoned (the review closes other sessions' points).
      const { rows } = await tx.query(
        `DELETE FROM sessions WHERE phase = 'lobby' AND updated_at < $1
           AND NOT EXISTS (SELECT 1 FROM action_reviews r WHERE r.reviewing_session_id = sessions.id) RETURNING id`,
        [before]
      );
      return rows.map((r) => r.id as string);
    });
  }

  createCommunity(community: CommunityRecord): Promise<void> {
    const c = community;
    const params = [c.id, c.name, c.language, c.framework, c.tokenHash, c.createdAt, c.timeZone];
    return this.write(async (tx) => {
      await tx.query('INSERT INTO communities (id, name, language, framework, token_hash, created_at, time_zone) VALUES ($1, $2, $3, $4, $5, $6, $7)', params);
    });
  }

  savePaperSession(paper: PaperSessionRecord, cap?: number): Promise<boolean> {
    // Serialised now: what is stored is what was validated at this moment.
    const params = [
      paper.id,
      paper.communityId,
      paper.code,
      paper.title,
      paper.date,
      JSON.stringify(paper.factors),
      JSON.stringify(paper.figures),
      paper.createdAt,
      paper.source
    ];
    return this.write(async (tx) => {
      if (cap !== undefined && (await communityCount(tx, 'paper_sessions', paper.communityId)) >= cap) return false;
      await tx.query(
        'INSERT INTO paper_sessions (id, community_id, code, title, date, factors, figures, created_at, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
        params
      );
      return true;
    });
  }

  latestPaperSession(communityId: string, day: string, createdBefore: number): Promise<PaperSessionRecord | null> {
    return this.read(async (db) => {
      const { rows } = await db.query(
        'SELECT * FROM paper_sessions WHERE community_id = $1 AND date <= $2 AND created_at < $3 ORDER BY date DESC, created_at DESC, code DESC LIMIT 1',
        [communityId, day, createdBefore]
      );
      return rows[0] ? toPaperSession(rows[0]) : null;
    });
  }

  loadActionPoints(sessionId: string): Promise<ActionRecord[]> {
    return this.read(async (db) => (await db.query('SELECT * FROM action_points WHERE session_id = $1', [sessionId])).rows.map(toActionRecord));
  }

  saveActionReview(review: ActionReviewRecord, actions: readonly ActionRecord[] = []): Promise<void> {
    const r = review;
    const params = [r.reviewingSessionId, r.originSessionId, r.actionId, r.status, r.carriedActionId, r.reviewedAt];
    const points = actions.map((a) => actionParams(r.reviewingSessionId, a));
    const write = this.write(async (tx) => {
      // As documented: nothing stored (and no error) for a session deleted meanwhile, the board change included.
      const { rows } = await tx.query('SELECT count(*)::int AS n FROM sessions WHERE id = $1 OR id = $2', [r.reviewingSessionId, r.originSessionId]);
      if (rows[0].n < (r.reviewingSessionId === r.originSessionId ? 1 : 2)) return;
      for (const row of points) await tx.query(UPSERT_ACTION, row);
      await tx.query(
        // Not stored (and not an error) when either session is gone meanwhile, as on SQLite.
        `INSERT INTO action_reviews (reviewing_session_id, origin_session_id, action_id, status, carried_action_id, reviewed_at)
         SELECT $1, $2, $3, $4, $5, $6
         WHERE EXISTS (SELECT 1 FROM sessions WHERE id = $1) AND EXISTS (SELECT 1 FROM sessions WHERE id = $2)
         ON CONFLICT (reviewing_session_id, origin_session_id, action_id) DO UPDATE SET status = excluded.status,
           carried_action_id = excluded.carried_action_id, reviewed_at = excluded.reviewed_at`,
        params
      );
      tx.touch(r.reviewingSessionId);
    }, r.reviewingSessionId);
    // A unique violation of action_reviews_decided_once: another session (perhaps on another instance) closed the point
    // first. PostgreSQL aborted the whole transaction, the board change included, and the batch retried this write alone.
    return write.catch((error: unknown) => {
      if (error instanceof pg.DatabaseError && error.code === '23505' && error.constraint === 'action_reviews_decided_once') {
        throw new DecidedElsewhereError(r.originSessionId, r.actionId);
      }
      throw error;
    });
  }

  listActionReviews(communityId: string, originSessionIds?: readonly string[]): Promise<ActionReviewRecord[]> {
    return this.read(async (db) =>
      (
        await db.query(
          `SELECT r.* FROM action_reviews r JOIN sessions s ON s.id = r.origin_session_id WHERE s.community_id = $1
             AND ($2::text[] IS NULL OR r.origin_session_id = ANY($2::text[]))
           ORDER BY r.reviewed_at, r.reviewing_session_id, r.origin_session_id, r.action_id`,
          [communityId, originSessionIds ? [...originSessionIds] : null]
        )
      ).rows.map((row) => ({
        reviewingSessionId: row.reviewing_session_id,
        originSessionId: row.origin_session_id,
        actionId: row.action_id,
        status: row.status,
        carriedActionId: row.carried_action_id ?? null,
        reviewedAt: row.reviewed_at
      }))
    );
  }

  deleteCommunity(id: string): Promise<string[]> {
    return this.write(async (tx) => {
      // Sessions first (their rows cascade), then the community (its paper sessions cascade); one transaction.
      const { rows } = await tx.query('DELETE FROM sessions WHERE community_id = $1 RETURNING id', [id]);
      await tx.query('DELETE FROM communities WHERE id = $1', [id]);
      return rows.map((r) => r.id as string);
    });
  }

  /**
   * A write through the write queue and a read, changing nothing: taking a
   * transaction id makes the commit write and flush a WAL record, which fails
   * while the disk is full, the server is a read-only standby or unreachable.
   */
  async probe(): Promise<void> {
    await this.write((tx) => tx.query('SELECT pg_current_xact_id()'));
    await this.read((db) => db.query('SELECT 1 FROM sessions LIMIT 1'));
  }

  /** Commits what is queued, then closes the pool; writes called after this reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lastWrite;
    await this.pool.end();
  }
}

const UPSERT_ACTION = `INSERT INTO action_points (session_id, id, factor, position, owner, due, status, created_by, created_at, merged_into, removed, origin)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
  ON CONFLICT (session_id, id) DO UPDATE SET factor = excluded.factor, position = excluded.position, owner = excluded.owner, due = excluded.due,
    status = excluded.status, merged_into = excluded.merged_into, removed = excluded.removed`;

/** The parameters of UPSERT_ACTION for one record (serialised when the write is called). */
function actionParams(sessionId: string, r: ActionRecord): unknown[] {
  return [sessionId, r.id, r.factor, r.position, r.owner, r.due, r.status, r.createdBy, r.createdAt, r.mergedInto, r.removed, r.origin];
}

/**
 * How many rows of `table` (sessions or paper_sessions) a community holds, counted after taking its row's lock:
 * every capped insert takes it first, so two instances inserting into one community at once count one after the
 * other, and the second sees the first's row (READ COMMITTED: each statement sees what committed before it).
 * FOR NO KEY UPDATE does not wait for the key-share locks that inserts referencing the community hold.
 */
async function communityCount(tx: Tx, table: 'sessions' | 'paper_sessions', communityId: string): Promise<number> {
  await tx.query('SELECT 1 FROM communities WHERE id = $1 FOR NO KEY UPDATE', [communityId]);
  const { rows } = await tx.query(`SELECT count(*)::int AS n FROM ${table} WHERE community_id = $1`, [communityId]);
  return rows[0].n as number;
}

/** Fills the figures of paper sessions stored before the column existed (migration 5), in batches, before the store serves. */
async function fillPaperFigures(pool: pg.Pool): Promise<void> {
  for (;;) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // SKIP LOCKED: instances starting at once fill different rows instead of waiting for each other.
      const { rows } = await client.query<{ id: string; factors: string }>(
        'SELECT id, factors FROM paper_sessions WHERE figures IS NULL LIMIT $1 FOR UPDATE SKIP LOCKED',
        [FIGURES_BACKFILL_BATCH]
      );
      for (const row of rows) await client.query('UPDATE paper_sessions SET figures = $1 WHERE id = $2', [figuresJsonFor(row.factors), row.id]);
      await client.query('COMMIT');
      if (rows.length === 0) return;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

/** A connection string without its password, for messages and logs. */
export function redact(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(an unparsable DATABASE_URL)';
  }
}
