import { sql, type CompiledQuery, type Kysely } from 'kysely';
import type { ActionRecord } from '../../src/lib/domain/action-points';
import type { Phase } from '../../src/lib/domain/phases';
import {
  DecidedElsewhereError,
  type AccountHome,
  type AccountOverview,
  type MemberAccount,
  type SessionCredential,
  type AccountRecord,
  type AccountSessionRecord,
  type CeremonyRecord,
  type ExternalIdentityRecord,
  type InviteRecord,
  type MembershipKind,
  type AccountOrganisationRow,
  type MembershipRecord,
  type MembershipRole,
  type PasskeyRecord,
  type ActionReviewRecord,
  type CheckinRow,
  type CommunityRecord,
  type CommunitySessionRow,
  type CommunityShareRow,
  type HiddenComment,
  type OrganisationRecord,
  type SharedCommunityRows,
  type ShareByInviteOutcome,
  type OrganisationShareRow,
  type ShareRemovalRow,
  type ShareInviteRecord,
  type LoadedSession,
  type PaperSessionRecord,
  type ParticipantRecord,
  type RevealedRound,
  type SessionPatch,
  type SessionRecord,
  type Store,
  type StoredAnswer
} from './types';
import { queryBuilder, type Dialect, type Executor, type KeptQuery, type Row, type Schema } from './schema';
import {
  toAccount,
  toAccountSession,
  toCeremony,
  toExternalIdentity,
  toInvite,
  toMembership,
  toPasskey,
  actionRow,
  parseOnePerTurn,
  toActionRecord,
  toAnswer,
  toCheckinRow,
  toCommunity,
  toCommunitySession,
  toPaperSession,
  toParticipant,
  toReview,
  toRevealedRound,
  toSessionRecord
} from './rows';
import { FencedError, type WriteFence } from './fence';
import { VersionedCache } from './versioned-cache';
import type { FrozenRoundFigures } from '../../src/lib/domain/portfolio';
import { CommandError } from '../../src/lib/protocol';
import { toAccountOverview, toSessionCredential } from './home-rows';

/**
 * What the SQL store needs of a database: the small driver wrapper each dialect implements
 * (./sqlite.ts on better-sqlite3, ./postgres.ts on a pg pool), as tldraw's sync-core keeps one.
 */
export interface SqlDriver {
  readonly dialect: Dialect;
  /** Rows per multi-row answer statement (7 parameters each). */
  readonly answerRowsPerStatement: number;
  /**
   * One upsert may not change a row twice (PostgreSQL refuses it), so an answer batch keeps only each key's last
   * answer. SQLite applies a statement's rows one after another, so a later row simply wins.
   */
  readonly upsertChangesRowOnce: boolean;
  /**
   * Runs `work` in one transaction on the writing connection and commits it. `fenced` when it writes sessions'
   * data under their epochs: PostgreSQL shared by several instances then runs it on the connection that holds the
   * sessions' leases (docs/scaling.md, "Fencing").
   */
  transaction<T>(work: (tx: Executor) => Promise<T>, fenced: boolean): Promise<T>;
  /** Runs reads on one consistent view of the data. */
  snapshot<T>(work: (db: Executor) => Promise<T>): Promise<T>;
  /** Runs a read on any connection. */
  readonly reader: Executor;
  /** The database refused a statement (a constraint, a type): the connection is fine, so the batch is retried write by write. */
  isStatementError(error: unknown): boolean;
  /** A unique index refused a row (the only one an upsert leaves is action_reviews_decided_once). */
  isUniqueViolation(error: unknown): boolean;
  /** Inside a transaction: something that makes its commit reach the disk while changing nothing (for /healthz). */
  probe(tx: Executor): Promise<void>;
  close(): Promise<void>;
}

type Compilable = { compile(): CompiledQuery };

const ignore = () => undefined;

/** A write of a session's data, under the epoch of its owner (only when the store is fenced). */
const isFenced = (item: PendingWrite): boolean => item.fence !== undefined || (item.answers?.epochs?.some((epoch) => epoch !== undefined) ?? false);

/**
 * Statements of the hot path built once per dialect and size and kept for the process (their SQL depends on
 * nothing else): building a many-row upsert with Kysely costs more than running it, and a store opened anew
 * (a restart, a test) would otherwise build each size again.
 */
const statements = new Map<string, KeptQuery>();
/** Names given to kept statements: never one name for two texts, even after the cache started over. */
let named = 0;

function cached(key: string, build: () => CompiledQuery): KeptQuery {
  let statement = statements.get(key);
  if (!statement) {
    // Bounded: the touch statement has one size per number of sessions in a commit, answers one per batch size up to a statement's rows.
    if (statements.size >= 1024) statements.clear();
    statement = { ...build(), name: `seeds_kept_${++named}` };
    statements.set(key, statement);
  }
  return statement;
}

/** Shared communities whose figures one statement reads (an organisation holds at most 500). */
const PORTFOLIO_READ_CHUNK = 250;
/**
 * Rounds of parsed programme figures a store keeps (about 1 KiB each): an organisation at its cap of 500 communities
 * of 40 sessions each, or several smaller ones. Beyond it the least recently read communities are parsed again.
 */
const PORTFOLIO_CACHE_ROUNDS = 20_000;

/** Parameters of one answer in the upsert: session_id, round, participant_id, factor, answer, comment, updated_at. */
const ANSWER_PARAMETERS = 7;
/**
 * How long a board update may wait for others to share its commit (SqlStore.enqueue): far below what a person
 * notices in someone else's typing (~100 ms), long enough that a busy board commits several keystrokes at once.
 */
export const BOARD_COMMIT_WINDOW_MS = 8;

/** What a store may be told beyond its driver (tests set a long window to hold board updates as long as they like). */
export interface SqlStoreOptions {
  boardCommitWindowMs?: number;
}

/** Answer rows (see AnswerBatch) with only each key's last answer, in place of earlier ones: later votes win, as in order. */
function latestAnswers(rows: unknown[]): unknown[] {
  const latest = new Map<string, number>();
  for (let i = 0; i < rows.length; i += ANSWER_PARAMETERS) latest.set(`${rows[i]}\n${rows[i + 1]}\n${rows[i + 2]}\n${rows[i + 3]}`, i);
  if (latest.size * ANSWER_PARAMETERS === rows.length) return rows;
  const kept: unknown[] = [];
  for (const i of latest.values()) for (let p = i; p < i + ANSWER_PARAMETERS; p++) kept.push(rows[p]);
  return kept;
}

/** What a queued write runs against: the writing connection, inside the batch's transaction. */
interface Tx {
  run(query: Compilable): Promise<Row[]>;
  /** Runs one statement per row of `parameters` where the driver does that cheaper (see Executor.runEach); otherwise undefined. */
  runEach?: Executor['runEach'];
  /** Marks a session active (updated_at) once, at the end of the transaction. */
  touch(sessionId: string): void;
}

/** The session a write is for and the ownership epoch it was called under (./fence.ts). */
interface Fence {
  sessionId: string;
  epoch: number;
}

interface Waiter {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Consecutive answers, which later answers join while queued: the hot path of a loaded room, so each answer is
 * kept as its statement parameters (taken when it is called, updated_at set at commit), not as an object to copy
 * and map again. Answer `i` is `rows[7i … 7i+6]` (its session id first), awaited by `waiters[i]`, fenced by `epochs[i]`.
 */
interface AnswerBatch {
  rows: unknown[];
  waiters: Waiter[];
  /**
   * The epoch each answer was called under (undefined: not fenced); null while no answer of the batch is fenced (a
   * single instance). A number per answer, not a Fence object: the session id is already the row's first parameter.
   */
  epochs: (number | undefined)[] | null;
}

interface PendingWrite extends Waiter {
  run: (tx: Tx) => Promise<unknown>;
  /** Set on a fenced write of one session: it commits only while this epoch is the session's. */
  fence?: Fence;
  /** Set on a batch of consecutive answers. */
  answers?: AnswerBatch;
}

/**
 * The store, once, for SQLite and PostgreSQL: queries built with Kysely, run by a driver.
 *
 * Writes are queued and committed together in one transaction (group commit): the writes called
 * in one turn of the event loop form the first batch, and those called while a commit is in flight
 * (PostgreSQL) the next. Every write goes through the one queue and one connection at a time, so
 * writes apply in call order; a promise resolves only after its transaction committed (SQLite:
 * WAL with `synchronous=FULL`; PostgreSQL: `synchronous_commit=on`). Reads wait until every write
 * called before them settled, so a read sees what was written before it.
 */
export class SqlStore implements Store {
  protected readonly db: Kysely<Schema>;
  private queue: PendingWrite[] = [];
  private flushing = false;
  /** The commit of writes that may wait (board updates), held for the commit window; see enqueue. */
  private windowTimer: NodeJS.Timeout | null = null;
  private readonly commitWindowMs: number;
  /** When the last write that may wait was called (performance.now(), which a wrong wall clock cannot move): a window opens only while such writes keep coming. */
  private lastMayWaitAt = -Infinity;
  /** The last write called: once it settled, every write called before it has (what a read waits for; may reject). */
  private lastWrite: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Set when several instances share the database: session writes then carry and check their epoch. */
  private fence: WriteFence | null = null;
  /** The programme view's figures this store parsed, per community, under the version they were read at (see loadPortfolioFigures). */
  private readonly portfolioFigures = new VersionedCache<readonly FrozenRoundFigures[]>(PORTFOLIO_CACHE_ROUNDS, (rounds) => rounds.length + 1);
  /** Sessions marked active (updated_at) in the current second, and when that second began: see runBatch. */
  private touchedRecently = new Set<string>();
  private touchedSince = 0;

  constructor(
    protected readonly driver: SqlDriver,
    options: SqlStoreOptions = {}
  ) {
    this.db = queryBuilder(driver.dialect);
    this.commitWindowMs = options.boardCommitWindowMs ?? BOARD_COMMIT_WINDOW_MS;
  }

  /**
   * Fences every write of a session from now on (several instances on one PostgreSQL database): a write
   * carries the epoch `fence` says this instance holds for its session when the write is called (none:
   * refused at once), and commits only if this instance still holds the session under that epoch, checked
   * inside the committing transaction; otherwise it rejects with a `FencedError`.
   */
  fenceWith(fence: WriteFence): void {
    this.fence = fence;
  }

  // ---- the write queue ----

  /** Settles (never rejects) once every write called so far has settled. */
  protected settled(): Promise<unknown> {
    return this.lastWrite.then(ignore, ignore);
  }

  /** Commits what waits in a commit window now and settles once every write called so far has (a server stopping). */
  async flush(): Promise<void> {
    this.endWindow();
    await this.settled();
  }

  /**
   * Queues a write. Writes called in this turn of the event loop join the first batch. A write that `mayWait` (a
   * board update: nobody waits for an answer to it, and it is relayed once committed) starts a commit window instead
   * when the store is idle and such writes keep coming (the last one was called within the window): what arrives
   * within the window shares its commit. A keystroke on a busy board is otherwise a commit (and at synchronous=FULL an
   * fsync) of its own, the most of what it cost the server beyond a bare relay (bench/README.md); one person typing
   * alone commits at once, as before. Any other write, and any read, ends the window at once: what waited commits
   * with it, in call order.
   */
  private enqueue(item: PendingWrite | null, settled: Promise<unknown>, mayWait = false): void {
    // The caller's own promise, not a copy that cannot reject: one promise less per vote. Writes settle in call order.
    this.lastWrite = settled;
    if (item) this.queue.push(item);
    let busyBoard = false;
    if (mayWait) {
      const now = performance.now();
      busyBoard = now - this.lastMayWaitAt < this.commitWindowMs;
      this.lastMayWaitAt = now;
    }
    if (this.windowTimer && !mayWait) this.endWindow();
    else if (!this.flushing) {
      this.flushing = true;
      if (busyBoard) {
        this.windowTimer = setTimeout(() => {
          this.windowTimer = null;
          void this.drain();
        }, this.commitWindowMs);
      } else setImmediate(() => void this.drain());
    }
  }

  /** Commits what waits in a commit window in the next batch (a write or read that should not wait came, or the store closes). */
  private endWindow(): void {
    if (!this.windowTimer) return;
    clearTimeout(this.windowTimer);
    this.windowTimer = null;
    setImmediate(() => void this.drain());
  }

  /** The fence of a write for `sessionId` now; null when this instance does not own the session. */
  private fenceFor(sessionId: string | undefined): Fence | undefined | null {
    if (sessionId === undefined || !this.fence) return undefined;
    const epoch = this.fence.epochOf(sessionId);
    return epoch === null ? null : { sessionId, epoch };
  }

  /** A write; with `sessionId`, fenced by the epoch this instance holds for that session now. */
  private write<T>(run: (tx: Tx) => Promise<T>, sessionId?: string, mayWait = false): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    const fence = this.fenceFor(sessionId);
    if (fence === null) return Promise.reject(new FencedError(sessionId!, null));
    let item!: PendingWrite;
    const promise = new Promise<T>((resolve, reject) => {
      item = { run, fence, resolve: resolve as (value: unknown) => void, reject };
    });
    this.enqueue(item, promise, mayWait);
    return promise;
  }

  /** Commits batches until the queue is empty; writes called meanwhile form the next batch. */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        for (const part of this.byConnection(batch)) await this.commit(part);
        // The writes its acknowledgements set off come in this turn (on SQLite the commit took no turn at all): let
        // them, and what else arrives by the next turn, join the next batch instead of committing alone.
        if (this.queue.length > 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * Fenced, a batch's session writes commit on the lease connection and the rest (maintenance: a purge, a
   * community's deletion) on the pool, in consecutive parts in call order: one slow purge must not hold the lease
   * connection, whose silence gives every room up (docs/scaling.md, "Fencing").
   */
  private byConnection(batch: PendingWrite[]): PendingWrite[][] {
    if (!this.fence) return [batch];
    const parts: PendingWrite[][] = [];
    let last: boolean | null = null;
    for (const item of batch) {
      const fenced = isFenced(item);
      if (fenced !== last) parts.push([]);
      parts[parts.length - 1].push(item);
      last = fenced;
    }
    return parts;
  }

  private async commit(batch: PendingWrite[]): Promise<void> {
    try {
      for (const settle of await this.runBatch(batch)) settle();
    } catch (error) {
      if (!this.driver.isStatementError(error)) {
        // The connection or the server failed: whether the commit happened is unknown, so nothing is acknowledged.
        for (const item of batch) item.reject(error);
        return;
      }
      // The whole batch rolled back; retry each write alone so one bad write cannot sink the others.
      for (const item of batch) {
        const answers = item.answers;
        const singles: PendingWrite[] = answers
          ? answers.waiters.map((waiter, i) =>
              this.answerWrite({
                rows: answers.rows.slice(i * ANSWER_PARAMETERS, (i + 1) * ANSWER_PARAMETERS),
                waiters: [waiter],
                epochs: answers.epochs && [answers.epochs[i]]
              })
            )
          : [item];
        for (const single of singles) {
          await this.runBatch([single]).then(
            (settle) => settle.forEach((s) => s()),
            (retryError) => single.reject(retryError)
          );
        }
      }
      // Not discarded: the retries answer each write, but the reason the batch failed is an operator's first clue.
      console.error(`store: a batch of ${batch.length} writes failed and was retried one by one:`, (error as Error).message);
    }
  }

  /**
   * Runs a batch in one transaction and returns how to answer each of its writes once it committed.
   * Fencing: a write whose epoch is no longer the one this instance holds for its session (it lost the session,
   * or lost it and took it again, since the write was called) is left out and rejected with a FencedError; the
   * others commit, other sessions' writes in the same batch included. The check runs inside the transaction, which
   * runs on the connection that holds the sessions' leases (the driver's `fenced`): the lease cannot be given back
   * before this transaction ends, and it is lost only with that connection, which rolls the transaction back.
   */
  private runBatch(batch: readonly PendingWrite[]): Promise<(() => void)[]> {
    const fence = this.fence;
    // Session writes go on the lease connection; a batch of maintenance alone (a purge) stays off it (byConnection).
    const fenced = fence !== null && batch.some(isFenced);
    return this.driver.transaction(async (connection) => {
      const touched = new Set<string>();
      const tx: Tx = { run: (query) => connection.run(query.compile()), runEach: connection.runEach, touch: (id) => touched.add(id) };
      const stale = (sessionId: string, epoch: number | undefined) => epoch !== undefined && fence?.epochOf(sessionId) !== epoch;
      const settle: (() => void)[] = [];
      for (const item of batch) {
        const answers = item.answers;
        const epochs = answers?.epochs;
        let staleAnswers = 0;
        if (epochs) for (let i = 0; i < epochs.length; i++) if (stale(answers.rows[i * ANSWER_PARAMETERS] as string, epochs[i])) staleAnswers++;
        if (answers && staleAnswers === 0) {
          // Nothing fenced, or every fence holds (the usual case): all of them go in, and one call answers them all once committed.
          await this.insertAnswers(tx, answers.rows);
          settle.push(() => item.resolve(undefined));
        } else if (answers) {
          const rows: unknown[] = [];
          const kept: Waiter[] = [];
          answers.waiters.forEach((waiter, i) => {
            const sessionId = answers.rows[i * ANSWER_PARAMETERS] as string;
            const epoch = epochs![i];
            if (stale(sessionId, epoch)) settle.push(() => waiter.reject(new FencedError(sessionId, epoch!)));
            else {
              for (let p = i * ANSWER_PARAMETERS; p < (i + 1) * ANSWER_PARAMETERS; p++) rows.push(answers.rows[p]);
              kept.push(waiter);
            }
          });
          if (kept.length > 0) await this.insertAnswers(tx, rows);
          settle.push(() => kept.forEach((waiter) => waiter.resolve(undefined)));
        } else if (item.fence && stale(item.fence.sessionId, item.fence.epoch)) {
          const fence = item.fence;
          settle.push(() => item.reject(new FencedError(fence.sessionId, fence.epoch)));
        } else {
          const value = await item.run(tx);
          settle.push(() => item.resolve(value));
        }
      }
      // Marking the session as active once per commit, not once per vote, spares an index update per vote.
      // And at most once a second per session (what reads updated_at, the idle purge and the homes' order, counts in days and
      // minutes): a busy room's every group commit otherwise rewrites its session row and index, ~1–4 µs a vote (bench/README.md).
      const now = Date.now();
      if (now - this.touchedSince >= 1000) [this.touchedRecently, this.touchedSince] = [new Set(), now];
      for (const id of touched) if (this.touchedRecently.has(id)) touched.delete(id);
      if (touched.size > 0) {
        await tx.run({ compile: () => ({ ...this.touchStatement(touched.size), parameters: [now, ...touched] }) });
        // Marked once committed: a batch that rolled back (and is retried write by write) has touched nothing yet.
        const recently = this.touchedRecently;
        settle.push(() => touched.forEach((id) => recently.add(id)));
      }
      return settle;
    }, fenced);
  }

  /** `UPDATE sessions SET updated_at = ? WHERE id IN (…)` for `count` ids, built once per count (every commit runs one). */
  private touchStatement(count: number): KeptQuery {
    const ids = Array.from({ length: count }, () => '');
    return cached(`${this.driver.dialect} touch ${count}`, () => this.db.updateTable('sessions').set({ updated_at: 0 }).where('id', 'in', ids).compile());
  }

  /** Reads see every write called before them (they wait for it to settle). */
  private async read<T>(run: (db: Executor) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('store is closed');
    // A read waits for the writes called before it: a board update's commit window is not worth holding it up for.
    this.endWindow();
    await this.settled();
    try {
      return await run(this.driver.reader);
    } catch (error) {
      // A read the database could not answer (a cut link, a restart) is the typed `store_unavailable` wherever it is
      // awaited, as a failed write is (./committed.ts), not an unexpected error; the cause is logged, never dropped.
      console.error('store: a read failed; nothing was changed:', error);
      throw new CommandError('store_unavailable', 'The server could not read its database just now; nothing was changed. Try again in a moment.');
    }
  }

  private async rows(query: Compilable): Promise<Row[]> {
    return this.read((db) => db.run(query.compile()));
  }

  private async first(query: Compilable): Promise<Row | undefined> {
    return (await this.rows(query))[0];
  }

  // ---- sessions and participants ----

  async findSessionIdByCode(code: string): Promise<string | null> {
    const row = await this.first(this.db.selectFrom('sessions').select('id').where('code', '=', code));
    return (row?.id as string | undefined) ?? null;
  }

  async loadSession(id: string): Promise<LoadedSession | null> {
    // One snapshot for all seven reads, so the parts agree with each other; the frozen rounds are parsed after it.
    const read = await this.read(() =>
      this.driver.snapshot(async (db) => {
        const run = (query: Compilable) => db.run(query.compile());
        const [row] = await run(this.db.selectFrom('sessions').selectAll().where('id', '=', id));
        if (!row) return null;
        return {
          session: toSessionRecord(row),
          participants: (await run(this.db.selectFrom('participants').selectAll().where('session_id', '=', id).orderBy('joined_at').orderBy('id'))).map(
            toParticipant
          ),
          answers: (await run(this.db.selectFrom('answers').selectAll().where('session_id', '=', id))).map(toAnswer),
          dots: (await run(this.db.selectFrom('dots').select(['voter_id', 'action_id', 'count']).where('session_id', '=', id))).map((d) => ({
            voterId: d.voter_id as string,
            actionId: d.action_id as string,
            count: d.count as number
          })),
          revealedRows: await run(this.db.selectFrom('revealed_results').selectAll().where('session_id', '=', id).orderBy('round')),
          actions: (await run(this.db.selectFrom('action_points').selectAll().where('session_id', '=', id))).map(toActionRecord),
          hiddenComments: (await run(this.db.selectFrom('hidden_comments').select(['round', 'factor', 'text']).where('session_id', '=', id))).map(
            (h): HiddenComment => ({ round: h.round as number, factor: h.factor as number, text: h.text as string })
          )
        };
      })
    );
    if (!read) return null;
    const { revealedRows, ...rest } = read;
    return { ...rest, revealed: await parseOnePerTurn(revealedRows) };
  }

  async countLiveSessions(): Promise<number> {
    const row = await this.first(
      this.db
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('phase', '<>', 'closed')
    );
    return Number(row?.n ?? 0);
  }

  // ---- a facilitator's home and co-facilitators (issue 24; the accounts' own methods are further down) ----

  /** A session's id, code, community and facilitator-token hash by code, without loading the session (claims, invites). */
  async sessionCredential(code: string): Promise<SessionCredential | null> {
    const row = await this.first(this.db.selectFrom('sessions').select(['id', 'code', 'community_id', 'facilitator_token_hash']).where('code', '=', code));
    return row ? toSessionCredential(row) : null;
  }

  async sessionCredentialById(id: string): Promise<SessionCredential | null> {
    const row = await this.first(this.db.selectFrom('sessions').select(['id', 'code', 'community_id', 'facilitator_token_hash']).where('id', '=', id));
    return row ? toSessionCredential(row) : null;
  }

  async membershipRole(accountId: string, targets: readonly { kind: MembershipKind; target: string }[]): Promise<MembershipRole | null> {
    if (targets.length === 0) return null;
    const rows = await this.rows(
      this.db
        .selectFrom('memberships')
        .select('role')
        .where('account_id', '=', accountId)
        .where((eb) => eb.or(targets.map((t) => eb.and([eb('kind', '=', t.kind), eb('target', '=', t.target)]))))
    );
    if (rows.some((r) => r.role === 'owner')) return 'owner';
    return rows.length > 0 ? 'facilitator' : null;
  }

  setMembershipArchived(accountId: string, kind: MembershipKind, target: string, archivedAt: number | null): Promise<boolean> {
    const update = this.db
      .updateTable('memberships')
      .set({ archived_at: archivedAt })
      .where('account_id', '=', accountId)
      .where('kind', '=', kind)
      .where('target', '=', target)
      .returning('account_id');
    return this.write(async (tx) => (await tx.run(update)).length > 0);
  }

  async findInvite(tokenHash: string): Promise<InviteRecord | null> {
    const row = await this.first(this.db.selectFrom('invites').selectAll().where('token_hash', '=', tokenHash));
    return row ? toInvite(row) : null;
  }

  async listMemberAccounts(kind: MembershipKind, target: string, max: number): Promise<MemberAccount[]> {
    const rows = await this.rows(
      this.db
        .selectFrom('memberships as m')
        .innerJoin('accounts as a', 'a.id', 'm.account_id')
        .select(['m.account_id', 'a.name', 'm.role', 'm.added_at'])
        .where('m.kind', '=', kind)
        .where('m.target', '=', target)
        .orderBy('m.added_at')
        .orderBy('m.account_id')
        .limit(max)
    );
    return rows.map((r) => ({ accountId: r.account_id as string, name: r.name as string, role: r.role as MembershipRole, addedAt: Number(r.added_at) }));
  }

  /**
   * Three reads whatever the account holds: its communities (with their sessions' count and latest activity), the
   * latest `max` sessions it reaches (its own, and those of its communities, with their participants counted in the
   * same query), and the attention list of each listed session's latest revealed round (only that part of the JSON).
   */
  async loadAccountOverview(accountId: string, max: number): Promise<AccountOverview> {
    const attention =
      this.driver.dialect === 'sqlite'
        ? sql<string | null>`json_extract(r.results, '$.attention')`
        : sql<string | null>`(r.results::json -> 'attention')::text`;
    return this.read(() =>
      this.driver.snapshot(async (snap) => {
        const communities = await snap.run(
          this.db
            .selectFrom('memberships as m')
            .innerJoin('communities as c', 'c.id', 'm.target')
            .select(['c.id', 'c.name', 'c.created_at', 'c.time_zone', 'm.role', 'm.archived_at'])
            .select((eb) => [
              eb
                .selectFrom('sessions as s')
                .select((sb) => sb.fn.max('s.updated_at').as('u'))
                .whereRef('s.community_id', '=', 'c.id')
                .as('last_activity'),
              eb
                .selectFrom('sessions as s')
                .select((sb) => sb.fn.countAll().as('n'))
                .whereRef('s.community_id', '=', 'c.id')
                .as('session_count')
            ])
            .where('m.account_id', '=', accountId)
            .where('m.kind', '=', 'community')
            .orderBy('c.created_at', 'desc')
            .limit(max)
            .compile()
        );
        const sessions = await snap.run(
          this.db
            .selectFrom('memberships as m')
            .innerJoin('sessions as s', (join) =>
              join.on((eb) =>
                eb.or([
                  eb.and([eb('m.kind', '=', 'session'), eb('s.id', '=', eb.ref('m.target'))]),
                  eb.and([eb('m.kind', '=', 'community'), eb('s.community_id', '=', eb.ref('m.target'))])
                ])
              )
            )
            .select([
              's.id',
              's.code',
              's.title',
              's.phase',
              's.community_id',
              's.time_zone',
              's.created_at',
              's.updated_at',
              'm.kind',
              'm.role',
              'm.archived_at'
            ])
            .select((eb) =>
              eb
                .selectFrom('participants as p')
                .select((sb) => sb.fn.countAll().as('n'))
                .whereRef('p.session_id', '=', 's.id')
                .as('participants')
            )
            .where('m.account_id', '=', accountId)
            .orderBy('s.updated_at', 'desc')
            .orderBy('s.id')
            .limit(max * 2)
            .compile()
        );
        const ids = [...new Set(sessions.map((r) => r.id as string))].slice(0, max);
        const latest = ids.length
          ? await snap.run(
              this.db
                .selectFrom('revealed_results as r')
                .select(['r.session_id', attention.as('attention')])
                .where('r.session_id', 'in', ids)
                .where((eb) =>
                  eb(
                    'r.round',
                    '=',
                    eb
                      .selectFrom('revealed_results as r2')
                      .select((sb) => sb.fn.max('r2.round').as('m'))
                      .whereRef('r2.session_id', '=', 'r.session_id')
                  )
                )
                .compile()
            )
          : [];
        return toAccountOverview(communities, sessions, latest, max);
      })
    );
  }

  createSession(session: SessionRecord, communityCap?: number): Promise<boolean> {
    // Serialised now, not at commit: what is stored is the record as it was passed.
    const s = session;
    const insert = this.db.insertInto('sessions').values({
      id: s.id,
      code: s.code,
      title: s.title,
      language: s.language,
      framework: s.framework,
      anonymous: s.anonymous ? 1 : 0,
      facilitator_token_hash: s.facilitatorTokenHash,
      presenter_token_hash: s.presenterTokenHash,
      phase: s.phase,
      round: s.round,
      voting_deadline: s.votingDeadline,
      voting_closed: s.votingClosed ? 1 : 0,
      voting_paused_ms: s.votingPausedMs,
      settings: JSON.stringify(s.settings),
      revealed_rounds: JSON.stringify(s.revealedRounds),
      community_id: s.communityId ?? null,
      time_zone: s.timeZone,
      mode: s.mode,
      deadline: s.deadline,
      reveal_at: s.revealAt,
      seeded_from: s.seededFrom ?? null,
      created_at: s.createdAt,
      updated_at: s.updatedAt
    });
    const communityId = s.communityId ?? null;
    return this.write(async (tx) => {
      if (communityId !== null && communityCap !== undefined && (await this.communityCount(tx, 'sessions', communityId)) >= communityCap) return false;
      await tx.run(insert);
      return true;
    }, s.id);
  }

  updateSession(id: string, patch: SessionPatch): Promise<void> {
    const columns: Partial<Schema['sessions']> = { updated_at: Date.now() };
    if (patch.phase !== undefined) columns.phase = patch.phase;
    if (patch.round !== undefined) columns.round = patch.round;
    if (patch.votingDeadline !== undefined) columns.voting_deadline = patch.votingDeadline;
    if (patch.votingClosed !== undefined) columns.voting_closed = patch.votingClosed ? 1 : 0;
    if (patch.votingPausedMs !== undefined) columns.voting_paused_ms = patch.votingPausedMs;
    if (patch.presenterTokenHash !== undefined) columns.presenter_token_hash = patch.presenterTokenHash;
    if (patch.settings !== undefined) columns.settings = JSON.stringify(patch.settings);
    if (patch.revealedRounds !== undefined) columns.revealed_rounds = JSON.stringify(patch.revealedRounds);
    if (patch.deadline !== undefined) columns.deadline = patch.deadline;
    const update = this.db.updateTable('sessions').set(columns).where('id', '=', id);
    return this.write(async (tx) => void (await tx.run(update)), id);
  }

  deleteSession(id: string): Promise<void> {
    return this.write(async (tx) => void (await tx.run(this.db.deleteFrom('sessions').where('id', '=', id))), id);
  }

  addParticipant(participant: ParticipantRecord): Promise<void> {
    const p = participant;
    // Built once per dialect (see `cached`): building the insert with Kysely cost more than running it, on every join.
    const statement = cached(`${this.driver.dialect} participant`, () =>
      this.db.insertInto('participants').values({ id: '', session_id: '', token_hash: '', name: '', grp: null, language: null, joined_at: 0 }).compile()
    );
    const parameters = [p.id, p.sessionId, p.tokenHash, p.name, p.group, p.language ?? null, p.joinedAt];
    return this.write(async (tx) => {
      await tx.run({ compile: () => ({ ...statement, parameters }) });
      tx.touch(p.sessionId);
    }, p.sessionId);
  }

  removeParticipant(sessionId: string, participantId: string): Promise<void> {
    return this.removeParticipants(sessionId, [participantId]);
  }

  removeParticipants(sessionId: string, participantIds: readonly string[]): Promise<void> {
    const ids = [...participantIds];
    // One queued write, two statements: all of these participants go in one transaction, or none.
    return this.write(async (tx) => {
      if (ids.length === 0) return;
      await tx.run(this.db.deleteFrom('participants').where('session_id', '=', sessionId).where('id', 'in', ids));
      // Dots name their voter without a foreign key (the facilitator votes too), so they go explicitly.
      await tx.run(this.db.deleteFrom('dots').where('session_id', '=', sessionId).where('voter_id', 'in', ids));
    }, sessionId);
  }

  purgeIdle(before: number): Promise<string[]> {
    return this.write(async (tx) => {
      // Sessions of a community stay: its trend is built from their frozen results (docs/privacy.md).
      const rows = await tx.run(this.db.deleteFrom('sessions').where('updated_at', '<', before).where('community_id', 'is', null).returning('id'));
      return rows.map((r) => r.id as string);
    });
  }

  purgeAbandonedLobbies(before: number): Promise<string[]> {
    return this.write(async (tx) => {
      // A lobby where the review of earlier sessions was recorded is being prepared, not abandoned (the review closes other sessions' points).
      const rows = await tx.run(
        this.db
          .deleteFrom('sessions')
          .where('phase', '=', 'lobby')
          .where('updated_at', '<', before)
          .where(({ not, exists, selectFrom }) =>
            not(exists(selectFrom('action_reviews').select('action_id').whereRef('action_reviews.reviewing_session_id', '=', 'sessions.id')))
          )
          .returning('id')
      );
      return rows.map((r) => r.id as string);
    });
  }

  // ---- check-ins ----

  async listDueCheckins(now: number, limit: number): Promise<CheckinRow[]> {
    // Open for scoring and past the deadline: the sweep loads each (on its owner) and the room closes or reveals it.
    const rows = await this.rows(
      this.db
        .selectFrom('sessions')
        .select(['id', 'code', 'title', 'phase', 'deadline', 'reveal_at', 'time_zone', 'voting_closed'])
        .where('mode', '=', 'checkin')
        .where('phase', '=', 'voting')
        .where('voting_closed', '=', 0)
        .where('voting_deadline', '<=', now)
        .orderBy('voting_deadline')
        .orderBy('id')
        .limit(limit)
    );
    return rows.map(toCheckinRow);
  }

  async findMeetingOf(checkinId: string): Promise<string | null> {
    const row = await this.first(this.db.selectFrom('sessions').select('code').where('seeded_from', '=', checkinId));
    return row ? (row.code as string) : null;
  }

  async listOpenCheckins(communityId: string): Promise<CheckinRow[]> {
    const rows = await this.rows(
      this.db
        .selectFrom('sessions')
        .select(['id', 'code', 'title', 'phase', 'deadline', 'reveal_at', 'time_zone', 'voting_closed'])
        .where('community_id', '=', communityId)
        .where('mode', '=', 'checkin')
        .where('phase', '=', 'voting')
        .orderBy('deadline')
        .orderBy('id')
    );
    return rows.map(toCheckinRow);
  }

  async checkinProgress(sessionId: string, factorCount: number): Promise<{ done: number; of: number }> {
    const [of, done] = await Promise.all([
      this.first(
        this.db
          .selectFrom('participants')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('session_id', '=', sessionId)
      ),
      this.first(
        this.db
          .selectFrom((eb) =>
            eb
              .selectFrom('answers')
              .select('participant_id')
              .where('session_id', '=', sessionId)
              .where('round', '=', 1)
              .groupBy('participant_id')
              .having((h) => h.fn.countAll(), '>=', factorCount)
              .as('complete')
          )
          .select((eb) => eb.fn.countAll().as('n'))
      )
    ]);
    return { done: Number(done?.n ?? 0), of: Number(of?.n ?? 0) };
  }

  // ---- ballots ----

  /**
   * Answers called one after another join one batch, written with multi-row statements: under load
   * most of a commit is answers, and one statement per many rows costs less than one per row. Order
   * with other writes is kept, because only consecutive answers are batched.
   */
  saveAnswer(answer: StoredAnswer): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    // The epoch alone (the session id is in the row): no object per vote.
    const epoch = this.fence ? this.fence.epochOf(answer.sessionId) : undefined;
    if (epoch === null) return Promise.reject(new FencedError(answer.sessionId, null));
    const last = this.queue.at(-1);
    let added: PendingWrite | null = null;
    let batch = last?.answers;
    if (!batch) {
      added = this.answerWrite({ rows: [], waiters: [], epochs: null });
      batch = added.answers!;
    }
    // Taken now, not at commit: what is stored is the answer as it was passed.
    batch.rows.push(answer.sessionId, answer.round, answer.participantId, answer.factor, String(answer.answer), answer.comment ?? null, 0);
    if (epoch !== undefined || batch.epochs) (batch.epochs ??= new Array<number | undefined>(batch.waiters.length).fill(undefined)).push(epoch);
    const waiters = batch.waiters;
    const promise = new Promise<void>((resolve, reject) => waiters.push({ resolve: resolve as (value: unknown) => void, reject }));
    this.enqueue(added, promise);
    return promise;
  }

  /** A write of consecutive answers (later answers join it while it is queued). */
  private answerWrite(answers: AnswerBatch): PendingWrite {
    const { waiters } = answers;
    return {
      run: (tx) => this.insertAnswers(tx, answers.rows),
      resolve: () => {
        for (const waiter of waiters) waiter.resolve(undefined);
      },
      reject: (error) => {
        for (const waiter of waiters) waiter.reject(error);
      },
      answers
    };
  }

  /** Upserts answers given as their statement parameters, `ANSWER_PARAMETERS` per answer (see AnswerBatch). */
  private async insertAnswers(tx: Tx, answerRows: unknown[]): Promise<void> {
    let rows = answerRows;
    const now = Date.now();
    for (let i = 0; i < rows.length; i += ANSWER_PARAMETERS) {
      rows[i + ANSWER_PARAMETERS - 1] = now;
      tx.touch(rows[i] as string);
    }
    if (this.driver.upsertChangesRowOnce) rows = latestAnswers(rows);
    const most = this.driver.answerRowsPerStatement;
    // In process (SQLite) the one-row upsert, run for each answer: cheaper per row than a many-row statement.
    if (most === 1 && tx.runEach) return tx.runEach(this.answerStatement(1), rows, ANSWER_PARAMETERS);
    const count = rows.length / ANSWER_PARAMETERS;
    // Over the network (PostgreSQL) each statement is a round trip: as many rows as a statement takes.
    for (let start = 0; start < count;) {
      const n = Math.min(count - start, most);
      const parameters = n === count ? rows : rows.slice(start * ANSWER_PARAMETERS, (start + n) * ANSWER_PARAMETERS);
      const statement = this.answerStatement(n);
      await tx.run({ compile: () => ({ ...statement, parameters }) });
      start += n;
    }
  }

  /**
   * The upsert of `rows` answers, built once per row count: the hot path of a loaded room, where building
   * the query anew for every batch cost more than running it. Its parameters are the rows' columns, row by row.
   */
  private answerStatement(rows: number): KeptQuery {
    const row = { session_id: '', round: 0, participant_id: '', factor: 0, answer: '', comment: null, updated_at: 0 };
    return cached(`${this.driver.dialect} answers ${rows}`, () =>
      this.db
        .insertInto('answers')
        .values(Array.from({ length: rows }, () => row))
        .onConflict((oc) =>
          oc.columns(['session_id', 'round', 'participant_id', 'factor']).doUpdateSet((eb) => ({
            answer: eb.ref('excluded.answer'),
            comment: eb.ref('excluded.comment'),
            updated_at: eb.ref('excluded.updated_at')
          }))
        )
        .compile()
    );
  }

  saveRevealedRound(revealed: RevealedRound): Promise<void> {
    // Serialised now, not at commit: what is stored is what was revealed at this moment. DO NOTHING: a frozen round is never overwritten.
    const insert = this.db
      .insertInto('revealed_results')
      .values({
        session_id: revealed.sessionId,
        round: revealed.round,
        results: JSON.stringify(revealed.results),
        ballots: JSON.stringify(revealed.ballots),
        revealed_at: revealed.revealedAt
      })
      .onConflict((oc) => oc.columns(['session_id', 'round']).doNothing());
    // With it, in the same transaction: the figures the programme view may read, so it never parses the results.
    const r = revealed.results;
    const figures = this.db
      .insertInto('round_figures')
      .values({
        session_id: revealed.sessionId,
        round: revealed.round,
        revealed_at: revealed.revealedAt,
        voters: r.voters ?? 0,
        min_voters: r.minVoters ?? null,
        // A frozen round says null or why it was withheld; anything falsy (older test data wrote false) is "not withheld".
        withheld: r.withheld ? String(r.withheld) : null,
        factors: JSON.stringify((r.factors ?? []).map((f) => [f.number, f.n, f.mean, f.consensus]))
      })
      .onConflict((oc) => oc.columns(['session_id', 'round']).doNothing());
    return this.write(async (tx) => {
      await tx.run(insert);
      await tx.run(figures);
    }, revealed.sessionId);
  }

  async loadRevealedRounds(sessionId: string): Promise<RevealedRound[]> {
    return parseOnePerTurn(await this.rows(this.db.selectFrom('revealed_results').selectAll().where('session_id', '=', sessionId).orderBy('round')));
  }

  async loadLatestRevealedRound(sessionId: string): Promise<RevealedRound | null> {
    const row = await this.first(this.db.selectFrom('revealed_results').selectAll().where('session_id', '=', sessionId).orderBy('round', 'desc').limit(1));
    return row ? toRevealedRound(row) : null;
  }

  setCommentHidden(sessionId: string, comment: HiddenComment, hidden: boolean): Promise<void> {
    const key = { session_id: sessionId, round: comment.round, factor: comment.factor, text: comment.text };
    const statement = hidden
      ? this.db
          .insertInto('hidden_comments')
          .values(key)
          .onConflict((oc) => oc.doNothing())
      : this.db
          .deleteFrom('hidden_comments')
          .where('session_id', '=', sessionId)
          .where('round', '=', comment.round)
          .where('factor', '=', comment.factor)
          .where('text', '=', comment.text);
    return this.write(async (tx) => void (await tx.run(statement)), sessionId);
  }

  // ---- the action board ----

  async loadYjsUpdates(sessionId: string): Promise<Uint8Array[]> {
    const rows = await this.rows(this.db.selectFrom('yjs_updates').select('data').where('session_id', '=', sessionId).orderBy('seq'));
    return rows.map((r) => new Uint8Array(r.data as Buffer));
  }

  appendYjsUpdate(sessionId: string, update: Uint8Array): Promise<void> {
    // Every keystroke on a board is one append: the statement is built once (building it with Kysely cost more than running it).
    const statement = cached(`${this.driver.dialect} yjs append`, () =>
      this.db
        .insertInto('yjs_updates')
        .values({ session_id: '', data: Buffer.alloc(0) })
        .compile()
    );
    const insert = { ...statement, parameters: [sessionId, Buffer.from(update)] };
    return this.write(async (tx) => void (await tx.run({ compile: () => insert })), sessionId, true);
  }

  compactYjs(sessionId: string, merged: Uint8Array): Promise<void> {
    const insert = this.db.insertInto('yjs_updates').values({ session_id: sessionId, data: Buffer.from(merged) });
    return this.write(async (tx) => {
      await tx.run(this.db.deleteFrom('yjs_updates').where('session_id', '=', sessionId));
      await tx.run(insert);
      tx.touch(sessionId);
    }, sessionId);
  }

  setDots(sessionId: string, voterId: string, actionId: string, count: number): Promise<void> {
    const statement =
      count <= 0
        ? this.db.deleteFrom('dots').where('session_id', '=', sessionId).where('voter_id', '=', voterId).where('action_id', '=', actionId)
        : this.db
            .insertInto('dots')
            .values({ session_id: sessionId, voter_id: voterId, action_id: actionId, count })
            .onConflict((oc) => oc.columns(['session_id', 'voter_id', 'action_id']).doUpdateSet((eb) => ({ count: eb.ref('excluded.count') })));
    return this.write(async (tx) => void (await tx.run(statement)), sessionId);
  }

  /** Inserts or replaces action points (structure only); created_by, created_at and origin never change. */
  private upsertActions(sessionId: string, records: readonly ActionRecord[]): Compilable[] {
    return records.map((r) =>
      this.db
        .insertInto('action_points')
        .values(actionRow(sessionId, r))
        .onConflict((oc) =>
          oc.columns(['session_id', 'id']).doUpdateSet((eb) => ({
            factor: eb.ref('excluded.factor'),
            position: eb.ref('excluded.position'),
            owner: eb.ref('excluded.owner'),
            due: eb.ref('excluded.due'),
            status: eb.ref('excluded.status'),
            merged_into: eb.ref('excluded.merged_into'),
            removed: eb.ref('excluded.removed')
          }))
        )
    );
  }

  saveActionPoints(sessionId: string, records: readonly ActionRecord[]): Promise<void> {
    const upserts = this.upsertActions(sessionId, records);
    return this.write(async (tx) => {
      for (const upsert of upserts) await tx.run(upsert);
      tx.touch(sessionId);
    }, sessionId);
  }

  async loadActionPoints(sessionId: string): Promise<ActionRecord[]> {
    return (await this.rows(this.db.selectFrom('action_points').selectAll().where('session_id', '=', sessionId))).map(toActionRecord);
  }

  saveActionReview(review: ActionReviewRecord, actions: readonly ActionRecord[] = []): Promise<void> {
    const r = review;
    const upserts = this.upsertActions(r.reviewingSessionId, actions);
    const both = [...new Set([r.reviewingSessionId, r.originSessionId])];
    const insert = this.db
      .insertInto('action_reviews')
      .values({
        reviewing_session_id: r.reviewingSessionId,
        origin_session_id: r.originSessionId,
        action_id: r.actionId,
        status: r.status,
        carried_action_id: r.carriedActionId,
        reviewed_at: r.reviewedAt
      })
      .onConflict((oc) =>
        oc.columns(['reviewing_session_id', 'origin_session_id', 'action_id']).doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          carried_action_id: eb.ref('excluded.carried_action_id'),
          reviewed_at: eb.ref('excluded.reviewed_at')
        }))
      );
    const write = this.write(async (tx) => {
      // As documented: nothing stored (and no error) for a session deleted meanwhile, the board change included.
      const [row] = await tx.run(
        this.db
          .selectFrom('sessions')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('id', 'in', both)
      );
      if (Number(row.n) < both.length) return;
      for (const upsert of upserts) await tx.run(upsert);
      await tx.run(insert);
      tx.touch(r.reviewingSessionId);
    }, r.reviewingSessionId);
    // A unique violation of action_reviews_decided_once: another session (perhaps on another instance) closed the point
    // first. The whole transaction rolled back, the board change included, and the batch retried this write alone.
    return write.catch((error: unknown) => {
      if (this.driver.isUniqueViolation(error)) throw new DecidedElsewhereError(r.originSessionId, r.actionId);
      throw error;
    });
  }

  // ---- communities ----

  /**
   * How many rows of `table` a community holds, counted in the inserting transaction. On PostgreSQL after taking
   * its row's lock: every capped insert takes it first, so two instances inserting into one community at once count
   * one after the other, and the second sees the first's row (READ COMMITTED: each statement sees what committed
   * before it). FOR NO KEY UPDATE does not wait for the key-share locks that inserts referencing the community
   * hold. SQLite has one writer at a time, so nothing can come between count and insert.
   */
  private async communityCount(tx: Tx, table: 'sessions' | 'paper_sessions', communityId: string): Promise<number> {
    if (this.driver.dialect === 'postgres') await tx.run(this.db.selectFrom('communities').select('id').where('id', '=', communityId).forNoKeyUpdate());
    const [row] = await tx.run(
      this.db
        .selectFrom(table as 'sessions')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('community_id', '=', communityId)
    );
    return Number(row.n);
  }

  createCommunity(community: CommunityRecord): Promise<void> {
    const c = community;
    const insert = this.db.insertInto('communities').values({
      id: c.id,
      name: c.name,
      language: c.language,
      framework: c.framework,
      token_hash: c.tokenHash,
      time_zone: c.timeZone,
      created_at: c.createdAt
    });
    return this.write(async (tx) => void (await tx.run(insert)));
  }

  async loadCommunity(id: string): Promise<CommunityRecord | null> {
    const row = await this.first(this.db.selectFrom('communities').selectAll().where('id', '=', id));
    return row ? toCommunity(row) : null;
  }

  async listCommunitySessions(communityId: string): Promise<CommunitySessionRow[]> {
    const rows = await this.rows(
      this.db
        .selectFrom('sessions')
        .select(['id', 'code', 'title', 'phase', 'time_zone', 'created_at'])
        .select((eb) => eb.exists(eb.selectFrom('sessions as m').select('m.id').whereRef('m.seeded_from', '=', 'sessions.id')).as('continued'))
        .where('community_id', '=', communityId)
        .orderBy('created_at')
        .orderBy('id')
    );
    return rows.map(toCommunitySession);
  }

  savePaperSession(paper: PaperSessionRecord, cap?: number): Promise<boolean> {
    // Serialised now: what is stored is what was validated at this moment.
    const insert = this.db.insertInto('paper_sessions').values({
      id: paper.id,
      community_id: paper.communityId,
      code: paper.code,
      title: paper.title,
      date: paper.date,
      factors: JSON.stringify(paper.factors),
      figures: JSON.stringify(paper.figures),
      created_at: paper.createdAt,
      source: paper.source
    });
    return this.write(async (tx) => {
      if (cap !== undefined && (await this.communityCount(tx, 'paper_sessions', paper.communityId)) >= cap) return false;
      await tx.run(insert);
      return true;
    });
  }

  async listPaperSessions(communityId: string): Promise<PaperSessionRecord[]> {
    const query = this.db.selectFrom('paper_sessions').selectAll().where('community_id', '=', communityId).orderBy('date').orderBy('created_at').orderBy('id');
    return (await this.rows(query)).map(toPaperSession);
  }

  async latestPaperSession(communityId: string, day: string, createdBefore: number): Promise<PaperSessionRecord | null> {
    const row = await this.first(
      this.db
        .selectFrom('paper_sessions')
        .selectAll()
        .where('community_id', '=', communityId)
        .where('date', '<=', day)
        .where('created_at', '<', createdBefore)
        .orderBy('date', 'desc')
        .orderBy('created_at', 'desc')
        .orderBy('code', 'desc')
        .limit(1)
    );
    return row ? toPaperSession(row) : null;
  }

  async listActionReviews(communityId: string, originSessionIds?: readonly string[]): Promise<ActionReviewRecord[]> {
    if (originSessionIds?.length === 0) return [];
    let query = this.db
      .selectFrom('action_reviews as r')
      .innerJoin('sessions as s', 's.id', 'r.origin_session_id')
      .selectAll('r')
      .where('s.community_id', '=', communityId);
    if (originSessionIds) query = query.where('r.origin_session_id', 'in', [...originSessionIds]);
    const rows = await this.rows(query.orderBy('r.reviewed_at').orderBy('r.reviewing_session_id').orderBy('r.origin_session_id').orderBy('r.action_id'));
    return rows.map(toReview);
  }

  deleteCommunity(id: string): Promise<string[]> {
    return this.write(async (tx) => {
      // Sessions first (their rows cascade), then the community (its paper sessions cascade); one transaction.
      const rows = await tx.run(this.db.deleteFrom('sessions').where('community_id', '=', id).returning('id'));
      await tx.run(this.db.deleteFrom('communities').where('id', '=', id));
      return rows.map((r) => r.id as string);
    });
  }

  // ---- accounts (issue 24) ----
  // Account writes name no session, so they are not fenced: any instance may serve a sign-in.

  createAccount(account: AccountRecord): Promise<void> {
    const insert = this.db.insertInto('accounts').values({ id: account.id, name: account.name, created_at: account.createdAt });
    return this.write(async (tx) => void (await tx.run(insert)));
  }

  async loadAccount(id: string): Promise<AccountRecord | null> {
    const row = await this.first(this.db.selectFrom('accounts').selectAll().where('id', '=', id));
    return row ? toAccount(row) : null;
  }

  deleteAccount(id: string): Promise<void> {
    // Everything of the account cascades (passkeys, codes, browser sessions, identities, memberships, its invites).
    return this.write(async (tx) => void (await tx.run(this.db.deleteFrom('accounts').where('id', '=', id))));
  }

  addPasskey(passkey: PasskeyRecord): Promise<void> {
    const insert = this.db.insertInto('passkeys').values({
      credential_id: passkey.credentialId,
      account_id: passkey.accountId,
      public_key: passkey.publicKey,
      counter: passkey.counter,
      transports: JSON.stringify(passkey.transports),
      created_at: passkey.createdAt,
      last_used_at: passkey.lastUsedAt
    });
    return this.write(async (tx) => void (await tx.run(insert)));
  }

  async findPasskey(credentialId: string): Promise<PasskeyRecord | null> {
    const row = await this.first(this.db.selectFrom('passkeys').selectAll().where('credential_id', '=', credentialId));
    return row ? toPasskey(row) : null;
  }

  async listPasskeys(accountId: string): Promise<PasskeyRecord[]> {
    const rows = await this.rows(this.db.selectFrom('passkeys').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('credential_id'));
    return rows.map(toPasskey);
  }

  usePasskey(credentialId: string, counter: number, at: number): Promise<void> {
    const update = this.db.updateTable('passkeys').set({ counter, last_used_at: at }).where('credential_id', '=', credentialId);
    return this.write(async (tx) => void (await tx.run(update)));
  }

  setRecoveryCodes(accountId: string, codeHashes: readonly string[]): Promise<void> {
    return this.write(async (tx) => {
      await tx.run(this.db.deleteFrom('recovery_codes').where('account_id', '=', accountId));
      if (codeHashes.length > 0) {
        await tx.run(this.db.insertInto('recovery_codes').values(codeHashes.map((code_hash) => ({ code_hash, account_id: accountId, used_at: null }))));
      }
    });
  }

  useRecoveryCode(codeHash: string, at: number): Promise<string | null> {
    // One statement marks it used and answers its account: of two requests with one code, one finds it unused.
    const update = this.db
      .updateTable('recovery_codes')
      .set({ used_at: at })
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null)
      .returning('account_id');
    return this.write(async (tx) => ((await tx.run(update))[0]?.account_id as string | undefined) ?? null);
  }

  async countRecoveryCodes(accountId: string): Promise<number> {
    const row = await this.first(
      this.db
        .selectFrom('recovery_codes')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('account_id', '=', accountId)
        .where('used_at', 'is', null)
    );
    return Number(row?.n ?? 0);
  }

  createAccountSession(session: AccountSessionRecord): Promise<void> {
    const insert = this.db.insertInto('account_sessions').values({
      id_hash: session.idHash,
      account_id: session.accountId,
      created_at: session.createdAt,
      last_seen_at: session.lastSeenAt,
      expires_at: session.expiresAt
    });
    return this.write(async (tx) => void (await tx.run(insert)));
  }

  async loadAccountSession(idHash: string, now: number): Promise<AccountSessionRecord | null> {
    const row = await this.first(this.db.selectFrom('account_sessions').selectAll().where('id_hash', '=', idHash).where('expires_at', '>', now));
    return row ? toAccountSession(row) : null;
  }

  touchAccountSession(idHash: string, lastSeenAt: number, expiresAt: number): Promise<void> {
    const update = this.db.updateTable('account_sessions').set({ last_seen_at: lastSeenAt, expires_at: expiresAt }).where('id_hash', '=', idHash);
    return this.write(async (tx) => void (await tx.run(update)));
  }

  deleteAccountSession(idHash: string): Promise<void> {
    return this.write(async (tx) => void (await tx.run(this.db.deleteFrom('account_sessions').where('id_hash', '=', idHash))));
  }

  deleteAccountSessions(accountId: string): Promise<number> {
    return this.write(async (tx) => (await tx.run(this.db.deleteFrom('account_sessions').where('account_id', '=', accountId).returning('id_hash'))).length);
  }

  purgeExpiredAccountSessions(now: number): Promise<number> {
    return this.write(async (tx) => {
      await tx.run(this.db.deleteFrom('auth_ceremonies').where('expires_at', '<=', now));
      return (await tx.run(this.db.deleteFrom('account_sessions').where('expires_at', '<=', now).returning('id_hash'))).length;
    });
  }

  findOrCreateByExternalIdentity(
    identity: Omit<ExternalIdentityRecord, 'accountId'>,
    account: AccountRecord
  ): Promise<{ account: AccountRecord; created: boolean }> {
    const existing = () =>
      this.db
        .selectFrom('external_identities as i')
        .innerJoin('accounts as a', 'a.id', 'i.account_id')
        .select(['a.id', 'a.name', 'a.created_at'])
        .where('i.issuer', '=', identity.issuer)
        .where('i.subject', '=', identity.subject);
    return this.write(async (tx) => {
      const [found] = await tx.run(existing());
      if (found) return { account: toAccount(found), created: false };
      // Our account first (the identity refers to it), then the identity unless another transaction made it
      // meanwhile (PostgreSQL waits for that one to commit); whichever identity row stands names the account.
      await tx.run(this.db.insertInto('accounts').values({ id: account.id, name: account.name, created_at: account.createdAt }));
      await tx.run(
        this.db
          .insertInto('external_identities')
          .values({
            issuer: identity.issuer,
            subject: identity.subject,
            account_id: account.id,
            email: identity.email,
            created_at: identity.createdAt
          })
          .onConflict((oc) => oc.columns(['issuer', 'subject']).doNothing())
      );
      const [winner] = await tx.run(existing());
      if (winner.id === account.id) return { account, created: true };
      await tx.run(this.db.deleteFrom('accounts').where('id', '=', account.id));
      return { account: toAccount(winner), created: false };
    });
  }

  async listExternalIdentities(accountId: string): Promise<ExternalIdentityRecord[]> {
    const rows = await this.rows(this.db.selectFrom('external_identities').selectAll().where('account_id', '=', accountId).orderBy('created_at'));
    return rows.map(toExternalIdentity);
  }

  setMembership(m: MembershipRecord): Promise<void> {
    const upsert = this.db
      .insertInto('memberships')
      .values({ account_id: m.accountId, kind: m.kind, target: m.target, role: m.role, added_at: m.addedAt })
      .onConflict((oc) => oc.columns(['account_id', 'kind', 'target']).doUpdateSet({ role: m.role }));
    return this.write(async (tx) => void (await tx.run(upsert)));
  }

  removeMembership(accountId: string, kind: MembershipKind, target: string): Promise<void> {
    const remove = this.db.deleteFrom('memberships').where('account_id', '=', accountId).where('kind', '=', kind).where('target', '=', target);
    return this.write(async (tx) => void (await tx.run(remove)));
  }

  async listMemberships(accountId: string): Promise<MembershipRecord[]> {
    const rows = await this.rows(this.db.selectFrom('memberships').selectAll().where('account_id', '=', accountId).orderBy('added_at').orderBy('target'));
    return rows.map(toMembership);
  }

  async listMembers(kind: MembershipKind, target: string): Promise<MembershipRecord[]> {
    const rows = await this.rows(
      this.db.selectFrom('memberships').selectAll().where('kind', '=', kind).where('target', '=', target).orderBy('added_at').orderBy('account_id')
    );
    return rows.map(toMembership);
  }

  async loadAccountHome(accountId: string): Promise<AccountHome> {
    return this.read(() =>
      this.driver.snapshot(async (snap) => {
        const communities = await snap.run(
          this.db
            .selectFrom('memberships as m')
            .innerJoin('communities as c', 'c.id', 'm.target')
            .select(['c.id', 'c.name', 'm.role'])
            .where('m.account_id', '=', accountId)
            .where('m.kind', '=', 'community')
            .orderBy('c.created_at', 'desc')
            .orderBy('c.id')
            .compile()
        );
        const sessions = await snap.run(
          this.db
            .selectFrom('memberships as m')
            .innerJoin('sessions as s', 's.id', 'm.target')
            .select(['s.id', 's.code', 's.title', 's.phase', 'm.role'])
            .where('m.account_id', '=', accountId)
            .where('m.kind', '=', 'session')
            .orderBy('s.updated_at', 'desc')
            .orderBy('s.id')
            .compile()
        );
        return {
          communities: communities.map((r) => ({ id: r.id as string, name: r.name as string, role: r.role as MembershipRole })),
          sessions: sessions.map((r) => ({
            id: r.id as string,
            code: r.code as string,
            title: r.title as string,
            phase: r.phase as Phase,
            role: r.role as MembershipRole
          }))
        };
      })
    );
  }

  purgeExpiredInvites(before: number): Promise<number> {
    return this.write(async (tx) => (await tx.run(this.db.deleteFrom('invites').where('expires_at', '<', before).returning('token_hash'))).length);
  }

  createInvite(invite: InviteRecord): Promise<void> {
    const insert = this.db.insertInto('invites').values({
      token_hash: invite.tokenHash,
      kind: invite.kind,
      target: invite.target,
      role: invite.role,
      created_by: invite.createdBy,
      created_at: invite.createdAt,
      expires_at: invite.expiresAt,
      used_at: invite.usedAt,
      used_by: invite.usedBy
    });
    return this.write(async (tx) => void (await tx.run(insert)));
  }

  useInvite(tokenHash: string, accountId: string, at: number): Promise<InviteRecord | null> {
    const update = this.db
      .updateTable('invites')
      .set({ used_at: at, used_by: accountId })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', at)
      .returningAll();
    return this.write(async (tx) => {
      const [row] = await tx.run(update);
      return row ? toInvite(row) : null;
    });
  }

  saveCeremony(ceremony: CeremonyRecord): Promise<void> {
    const insert = this.db.insertInto('auth_ceremonies').values({
      id_hash: ceremony.idHash,
      purpose: ceremony.purpose,
      challenge: ceremony.challenge,
      account_id: ceremony.accountId,
      name: ceremony.name,
      expires_at: ceremony.expiresAt
    });
    return this.write(async (tx) => void (await tx.run(insert)));
  }

  takeCeremony(idHash: string, now: number): Promise<CeremonyRecord | null> {
    const take = this.db.deleteFrom('auth_ceremonies').where('id_hash', '=', idHash).returningAll();
    return this.write(async (tx) => {
      const [row] = await tx.run(take);
      return row && (row.expires_at as number) > now ? toCeremony(row) : null;
    });
  }

  // ---- organisations and shares (issue 25) ----

  createOrganisation(organisation: OrganisationRecord): Promise<void> {
    const o = organisation;
    const insert = this.db
      .insertInto('organisations')
      .values({ id: o.id, name: o.name, time_zone: o.timeZone, token_hash: o.tokenHash, created_at: o.createdAt });
    return this.write(async (tx) => void (await tx.run(insert)));
  }

  async listAccountOrganisations(accountId: string, max: number): Promise<AccountOrganisationRow[]> {
    const rows = await this.rows(
      this.db
        .selectFrom('memberships as m')
        .innerJoin('organisations as o', 'o.id', 'm.target')
        .select(['o.id', 'o.name', 'm.role'])
        .where('m.account_id', '=', accountId)
        .where('m.kind', '=', 'organisation')
        .orderBy('o.name')
        .orderBy('o.id')
        .limit(max)
    );
    return rows.map((r) => ({ id: r.id as string, name: r.name as string, role: r.role as MembershipRole }));
  }

  async loadOrganisation(id: string): Promise<OrganisationRecord | null> {
    const row = await this.first(this.db.selectFrom('organisations').selectAll().where('id', '=', id));
    return row
      ? {
          id: row.id as string,
          name: row.name as string,
          timeZone: row.time_zone as string,
          tokenHash: row.token_hash as string,
          createdAt: Number(row.created_at)
        }
      : null;
  }

  shareCommunity(communityId: string, organisationId: string, sharedAt: number, cap?: number): Promise<boolean> {
    // Sharing again keeps the first moment: DO NOTHING on the key.
    const insert = this.db
      .insertInto('community_shares')
      .values({ organisation_id: organisationId, community_id: communityId, shared_at: sharedAt })
      .onConflict((oc) => oc.columns(['organisation_id', 'community_id']).doNothing());
    return this.write(async (tx) => {
      if (cap !== undefined) {
        // As communityCount: PostgreSQL takes the organisation's row lock first, so two instances count one after the other.
        if (this.driver.dialect === 'postgres')
          await tx.run(this.db.selectFrom('organisations').select('id').where('id', '=', organisationId).forNoKeyUpdate());
        const [row] = await tx.run(
          this.db
            .selectFrom('community_shares')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('organisation_id', '=', organisationId)
            .where('community_id', '!=', communityId)
        );
        if (Number(row.n) >= cap) return false;
      }
      await tx.run(insert);
      return true;
    });
  }

  // ---- the organisation's consent: share invitations, claiming its admin (issue 25) ----

  purgeExpiredShareInvites(before: number): Promise<number> {
    return this.write(async (tx) => (await tx.run(this.db.deleteFrom('share_invites').where('expires_at', '<', before).returning('token_hash'))).length);
  }

  createShareInvite(invite: ShareInviteRecord): Promise<void> {
    const insert = this.db.insertInto('share_invites').values({
      token_hash: invite.tokenHash,
      organisation_id: invite.organisationId,
      created_at: invite.createdAt,
      expires_at: invite.expiresAt,
      used_at: null,
      used_by: null
    });
    return this.write(async (tx) => void (await tx.run(insert)));
  }

  shareByInvite(tokenHash: string, communityId: string, organisationId: string, at: number, cap: number): Promise<ShareByInviteOutcome> {
    return this.write(async (tx) => {
      // PostgreSQL: the organisation's row lock first, so racing takers (and the share count) go one after the other.
      if (this.driver.dialect === 'postgres') await tx.run(this.db.selectFrom('organisations').select('id').where('id', '=', organisationId).forNoKeyUpdate());
      const [invite] = await tx.run(
        this.db.selectFrom('share_invites').selectAll().where('token_hash', '=', tokenHash).where('organisation_id', '=', organisationId)
      );
      if (!invite) return 'unknown';
      if (invite.used_at !== null) return 'used';
      if (Number(invite.expires_at) <= at) return 'expired';
      const [count] = await tx.run(
        this.db
          .selectFrom('community_shares')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('organisation_id', '=', organisationId)
          .where('community_id', '!=', communityId)
      );
      if (Number(count.n) >= cap) return 'full';
      // The used mark is conditional as well: of two takers racing past the read (SQLite serialises writers anyway),
      // only the one whose update changed the row shares.
      const taken = await tx.run(
        this.db
          .updateTable('share_invites')
          .set({ used_at: at, used_by: communityId })
          .where('token_hash', '=', tokenHash)
          .where('used_at', 'is', null)
          .returning('token_hash')
      );
      if (taken.length === 0) return 'used';
      await tx.run(
        this.db
          .insertInto('community_shares')
          .values({ organisation_id: organisationId, community_id: communityId, shared_at: at })
          .onConflict((oc) => oc.columns(['organisation_id', 'community_id']).doNothing())
      );
      // Invited again: the owner's page no longer says the programme removed it.
      await tx.run(this.db.deleteFrom('share_removals').where('community_id', '=', communityId).where('organisation_id', '=', organisationId));
      return 'shared';
    });
  }

  claimOrganisationAdmin(accountId: string, organisationId: string, at: number): Promise<boolean> {
    return this.write(async (tx) => {
      if (this.driver.dialect === 'postgres') await tx.run(this.db.selectFrom('organisations').select('id').where('id', '=', organisationId).forNoKeyUpdate());
      const [admin] = await tx.run(
        this.db
          .selectFrom('memberships')
          .select('account_id')
          .where('kind', '=', 'organisation')
          .where('target', '=', organisationId)
          .where('role', '=', 'owner')
          .limit(1)
      );
      if (admin) return admin.account_id === accountId;
      await tx.run(
        this.db
          .insertInto('memberships')
          .values({ account_id: accountId, kind: 'organisation', target: organisationId, role: 'owner', added_at: at })
          .onConflict((oc) => oc.columns(['account_id', 'kind', 'target']).doUpdateSet({ role: 'owner' }))
      );
      return true;
    });
  }

  async organisationHasAdmin(organisationId: string): Promise<boolean> {
    const row = await this.first(
      this.db
        .selectFrom('memberships')
        .select('account_id')
        .where('kind', '=', 'organisation')
        .where('target', '=', organisationId)
        .where('role', '=', 'owner')
        .limit(1)
    );
    return row !== undefined && row !== null;
  }

  async listOrganisationShares(organisationId: string, max: number): Promise<OrganisationShareRow[]> {
    const rows = await this.rows(
      this.db
        .selectFrom('community_shares as sh')
        .innerJoin('communities as c', 'c.id', 'sh.community_id')
        .select(['c.id', 'c.name', 'sh.shared_at'])
        .where('sh.organisation_id', '=', organisationId)
        .orderBy('c.name')
        .orderBy('c.id')
        .limit(max)
    );
    return rows.map((r) => ({ communityId: r.id as string, communityName: r.name as string, sharedAt: Number(r.shared_at) }));
  }

  removeShareByOrganisation(organisationId: string, communityId: string, at: number): Promise<boolean> {
    return this.write(async (tx) => {
      const removed = await tx.run(
        this.db.deleteFrom('community_shares').where('organisation_id', '=', organisationId).where('community_id', '=', communityId).returning('community_id')
      );
      // Only a share that was there is recorded as removed: of two racing removals, one records.
      if (removed.length === 0) return false;
      await tx.run(
        this.db
          .insertInto('share_removals')
          .values({ community_id: communityId, organisation_id: organisationId, removed_at: at })
          .onConflict((oc) => oc.columns(['community_id', 'organisation_id']).doUpdateSet({ removed_at: at }))
      );
      return true;
    });
  }

  async listShareRemovals(communityId: string): Promise<ShareRemovalRow[]> {
    const rows = await this.rows(
      this.db
        .selectFrom('share_removals as r')
        .innerJoin('organisations as o', 'o.id', 'r.organisation_id')
        .select(['r.organisation_id', 'o.name', 'r.removed_at'])
        .where('r.community_id', '=', communityId)
        .orderBy('r.removed_at', 'desc')
        .orderBy('r.organisation_id')
    );
    return rows.map((r) => ({ organisationId: r.organisation_id as string, organisationName: r.name as string, removedAt: Number(r.removed_at) }));
  }

  dismissShareRemoval(communityId: string, organisationId: string): Promise<void> {
    const dismiss = this.db.deleteFrom('share_removals').where('community_id', '=', communityId).where('organisation_id', '=', organisationId);
    return this.write(async (tx) => void (await tx.run(dismiss)));
  }

  withdrawShare(communityId: string, organisationId: string): Promise<void> {
    const remove = this.db.deleteFrom('community_shares').where('organisation_id', '=', organisationId).where('community_id', '=', communityId);
    return this.write(async (tx) => void (await tx.run(remove)));
  }

  async listCommunityShares(communityId: string): Promise<CommunityShareRow[]> {
    const rows = await this.rows(
      this.db
        .selectFrom('community_shares as sh')
        .innerJoin('organisations as o', 'o.id', 'sh.organisation_id')
        .select(['sh.organisation_id', 'o.name', 'sh.shared_at'])
        .where('sh.community_id', '=', communityId)
        .orderBy('o.name')
        .orderBy('sh.organisation_id')
    );
    return rows.map((r) => ({ organisationId: r.organisation_id as string, organisationName: r.name as string, sharedAt: Number(r.shared_at) }));
  }

  async loadPortfolioFigures(organisationId: string): Promise<SharedCommunityRows[]> {
    // First one narrow row per shared community, with the version its figures are at (bumped by triggers in the
    // transaction of every write that may change them: migrations.ts); then the figures of only the communities this
    // store has not parsed at that version. The version is read before the figures: a write landing in between leaves
    // newer figures under an older version, which the next read fetches again, never the reverse.
    const shared = await this.rows(
      this.db
        .selectFrom('community_shares as sh')
        .innerJoin('communities as c', 'c.id', 'sh.community_id')
        .select(['c.id', 'c.name', 'c.framework', 'c.figures_version'])
        .where('sh.organisation_id', '=', organisationId)
        .orderBy('c.id')
    );
    // Hits are taken now, before any await: another request's reads may evict them meanwhile.
    const figures = new Map<string, readonly FrozenRoundFigures[]>();
    const stale: string[] = [];
    for (const r of shared) {
      const hit = this.portfolioFigures.get(r.id as string, Number(r.figures_version));
      if (hit) figures.set(r.id as string, hit);
      else stale.push(r.id as string);
    }
    const versions = new Map(shared.map((r) => [r.id as string, Number(r.figures_version)]));
    for (let i = 0; i < stale.length; i += PORTFOLIO_READ_CHUNK) {
      const chunk = stale.slice(i, i + PORTFOLIO_READ_CHUNK);
      const rounds = await this.loadCommunityRounds(chunk);
      for (const id of chunk) {
        const list = rounds.get(id) ?? [];
        figures.set(id, list);
        this.portfolioFigures.set(id, versions.get(id)!, list);
      }
    }
    const result: SharedCommunityRows[] = shared.map((r) => ({
      id: r.id as string,
      name: r.name as string,
      framework: r.framework as string,
      rounds: figures.get(r.id as string)!
    }));
    return result;
  }

  /**
   * Each counting session's latest revealed round, per community, oldest first: only the narrow figures each round
   * froze for this view (round_figures). The rounds' results, with their comments, group means and names, are not read.
   */
  private async loadCommunityRounds(communityIds: string[]): Promise<Map<string, FrozenRoundFigures[]>> {
    const rows = await this.rows(
      this.db
        .selectFrom('sessions as s')
        // A check-in continued by a meeting counts once: as the meeting's round 1 (or its later round).
        .where((eb) => eb.not(eb.exists(eb.selectFrom('sessions as m').select('m.id').whereRef('m.seeded_from', '=', 's.id'))))
        // Each session's latest revealed round only (what its trend shows), found by the primary key.
        .innerJoin('round_figures as rf', (join) =>
          join.onRef('rf.session_id', '=', 's.id').on('rf.round', '=', (eb) =>
            eb
              .selectFrom('round_figures as r2')
              .select((e) => e.fn.max('r2.round').as('m'))
              .whereRef('r2.session_id', '=', 's.id')
          )
        )
        .select(['s.community_id', 'rf.revealed_at', 'rf.voters', 'rf.min_voters', 'rf.withheld', 'rf.factors'])
        .where('s.community_id', 'in', communityIds)
        .orderBy('s.community_id')
        .orderBy('rf.revealed_at')
    );
    const byCommunity = new Map<string, FrozenRoundFigures[]>();
    for (const r of rows) {
      const id = r.community_id as string;
      let rounds = byCommunity.get(id);
      if (!rounds) byCommunity.set(id, (rounds = []));
      const factors = JSON.parse(r.factors as string) as [number, number, number | null, number | null][];
      rounds.push({
        revealedAt: Number(r.revealed_at),
        voters: Number(r.voters),
        minVoters: r.min_voters === null || r.min_voters === undefined ? null : Number(r.min_voters),
        withheld: r.withheld ? String(r.withheld) : null,
        factors: factors.map(([number, n, mean, consensus]) => ({ number, n, mean, consensus }))
      });
    }
    return byCommunity;
  }

  // ---- the store as a whole ----

  /** A write through the write queue and a read, changing nothing: rejects while the database cannot take both. */
  async probe(): Promise<void> {
    await this.write((tx) => this.driver.probe({ run: (query) => tx.run({ compile: () => query }) }));
    await this.rows(this.db.selectFrom('sessions').select('id').limit(1));
  }

  /** Commits what is queued, then closes the connection(s); writes called after this reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.endWindow();
    await this.settled();
    await this.driver.close();
  }
}
