import pg from 'pg';
import { KeyedSerial } from '../sessions/serial';
import type { WriteFence } from '../store/fence';
import { cutConnection, endWithin, keepErrorsHandled } from '../store/pg-end';
import { IDLE_IN_TRANSACTION_TIMEOUT_MS, STATEMENT_TIMEOUT_MS, typeParsers, type LeaseConnection, type Queryable } from '../store/postgres';

/** The PostgreSQL NOTIFY channel on which deleted sessions are announced to every instance. */
const GONE_CHANNEL = 'seeds_sessions_gone';
/**
 * The channel on which a removed co-facilitator's membership is announced (issue 24): the instances owning the
 * target's live sessions end that account's connections there (server/accounts/revocation.ts).
 */
const REVOKED_CHANNEL = 'seeds_memberships_revoked';

/**
 * A dead peer that sends no FIN (a crashed machine, a cut network) is noticed only by timers.
 * PostgreSQL probes the lease connection after 10 s of silence, every 5 s, 3 times: it frees a
 * vanished instance's leases within about 25 s (the kernel default would be over two hours).
 * This side asks PostgreSQL every 2 s when the connection is idle, and gives up when it has
 * been waiting 5 s with no answer at all: an instance cut off from the database hands its rooms
 * over (after at most ~7 s) well before PostgreSQL can give its leases to another instance, so
 * a session never has two live rooms (docs/scaling.md). Silence is measured, not the time one
 * query takes: a long queue (a burst of requests) on a connection that answers is not a cut.
 */
const SERVER_KEEPALIVE = '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3';
/**
 * The lease connection is also the one the store writes sessions' data on (fencing: docs/scaling.md), so PostgreSQL
 * bounds its transactions as it does the pool's, with two limits set from this side's silence check:
 * - a statement is answered within 0.8 × `timeoutMs` (an error when it takes longer) and a row lock waited for at
 *   most 2 s, so that one slow write (a stalled disk, another instance's purge holding rows) fails alone instead of
 *   leaving the connection silent long enough to be taken for a cut, which would give every room up;
 * - a transaction left idle (this instance cut off from the database in the middle of one) ends the connection, and
 *   with it the leases, only after `timeoutMs` + `heartbeatMs` + 2 s: by then this instance has noticed the silence
 *   and given its rooms up, so a session is never live here while another instance takes it.
 */
function leaseOptions(timing: LeaseTiming): string {
  const statement = Math.min(STATEMENT_TIMEOUT_MS, Math.max(1000, Math.round(0.8 * timing.timeoutMs)));
  const idleInTransaction = Math.max(IDLE_IN_TRANSACTION_TIMEOUT_MS, timing.timeoutMs + timing.heartbeatMs + 2000);
  return `${SERVER_KEEPALIVE} -c lock_timeout=2000 -c statement_timeout=${statement} -c idle_in_transaction_session_timeout=${idleInTransaction}`;
}
/** Records the new holder of a session's lease ($1, by its INSTANCE_URL $2) with a new epoch, never handed out before. */
export const TAKE_EPOCH_SQL = `INSERT INTO session_owners (session_id, instance_url, epoch) VALUES ($1, $2, nextval('session_owner_epochs'))
  ON CONFLICT (session_id) DO UPDATE SET instance_url = excluded.instance_url, since = now(), epoch = excluded.epoch
  RETURNING epoch`;
/** PostgreSQL's code for a lock not obtained within lock_timeout. */
const LOCK_NOT_AVAILABLE = '55P03';
export const LEASE_HEARTBEAT_MS = 2000;
export const LEASE_TIMEOUT_MS = 5000;

/** How often the lease connection is checked, and after how much silence it counts as cut (the defaults above; tests shorten both). */
export interface LeaseTiming {
  heartbeatMs: number;
  timeoutMs: number;
}
const DEFAULT_TIMING: LeaseTiming = { heartbeatMs: LEASE_HEARTBEAT_MS, timeoutMs: LEASE_TIMEOUT_MS };
/** Lookups waiting on the lease connection beyond which routing answers "try again" instead of queueing more. */
const MAX_WAITING = 1000;

/** Where a session's authority is: here, or at another instance (its internal URL, null while unknown). */
export type Ownership = { here: true } | { here: false; ownerUrl: string | null };

/** Where a session's lease is, found without taking it: here, with nobody (free), or elsewhere. */
export type Whereabouts = { at: 'here' } | { at: 'nobody' } | { at: 'elsewhere'; ownerUrl: string | null };

/**
 * Which instance owns a session's live room. Exactly one instance at a time
 * holds a session's lease; it alone loads the room and applies commands, and
 * the others forward that session's traffic to it (docs/scaling.md).
 */
export interface SessionLeases extends WriteFence {
  /** Takes the lease when it is free (or already ours); otherwise says who holds it. */
  acquire(sessionId: string): Promise<Ownership>;
  /**
   * Where the lease is, without taking it. Routing asks this: only loading a room takes a
   * lease, so a request that loads none (a 404, a refused handshake) leaves no lock behind.
   */
  locate(sessionId: string): Promise<Whereabouts>;
  /** Whether this instance holds the lease now. */
  holds(sessionId: string): boolean;
  /** Gives a lease back (the room was unloaded or deleted). */
  release(sessionId: string): Promise<void>;
  /** Called each time every lease was lost at once (the connection that held them broke; a new one is made). */
  onLost(listener: () => void): void;
  /** Tells every instance that sessions were deleted (purged, or their community deleted), so their owners end them. */
  announceGone(sessionIds: readonly string[]): Promise<void>;
  /** Called for each session another instance (or this one) announced as gone. */
  onGone(listener: (sessionId: string) => void): void;
  /** Tells every other instance that a membership was removed (a short JSON text, server/accounts/revocation.ts). */
  announceRevoked(payload: string): Promise<void>;
  /** Called for each removal another instance announced (this one's own are applied where they happen). */
  onRevoked(listener: (payload: string) => void): void;
  close(): Promise<void>;
}

const ignore = () => undefined;

/** One instance on its own: every lease is always here. */
export class LocalLeases implements SessionLeases {
  async acquire(): Promise<Ownership> {
    return { here: true };
  }
  async locate(): Promise<Whereabouts> {
    return { at: 'here' };
  }
  holds(): boolean {
    return true;
  }
  /** Alone on its store: nothing to fence, one constant epoch. */
  epochOf(): number {
    return 0;
  }
  async release(): Promise<void> {}
  onLost(): void {}
  async announceGone(): Promise<void> {}
  onGone(): void {}
  async announceRevoked(): Promise<void> {}
  onRevoked(): void {}
  async close(): Promise<void> {}
}

/**
 * Leases as PostgreSQL session-level advisory locks, all held on one dedicated
 * connection of this instance. PostgreSQL releases them the moment that
 * connection ends — the process was killed, the machine died, the network
 * broke — so a survivor can take a dead owner's sessions at once, and two
 * instances can never hold the same one: PostgreSQL decides, nothing of ours.
 * `session_owners` only records each holder's internal URL, for forwarding;
 * the lock, not the row, is the truth (a stale row is overwritten by the next holder).
 */
export class PgSessionLeases implements SessionLeases, LeaseConnection {
  /** The sessions whose lease this instance holds, each with the epoch it took it under. */
  private readonly held = new Map<string, number>();
  /**
   * The lease connection's turns: each query of the leases, and each transaction the store runs on it (`lend`), has
   * the connection to itself, so that no lease statement (an unlock, a new epoch) ever lands inside a transaction.
   */
  private turn: Promise<unknown> = Promise.resolve();
  private readonly serial = new KeyedSerial();
  private readonly listeners: (() => void)[] = [];
  private readonly goneListeners: ((sessionId: string) => void)[] = [];
  private readonly revokedListeners: ((payload: string) => void)[] = [];
  private lost = false;
  private closed = false;
  private reconnecting: NodeJS.Timeout | null = null;
  private readonly heartbeat: NodeJS.Timeout;
  /** Queries sent on the lease connection and not answered yet; since when it has been busy; its last answer. */
  private waiting = 0;
  private busySince = 0;
  private lastAnswer = Date.now();
  /** One lookup per session at a time, shared by every request that asks meanwhile. */
  private readonly locating = new Map<string, Promise<Whereabouts>>();

  private constructor(
    private client: pg.Client,
    private readonly databaseUrl: string,
    /** This instance's internal URL, as the others reach it (INSTANCE_URL). */
    readonly instanceUrl: string,
    private readonly timing: LeaseTiming
  ) {
    this.watch(client);
    // A connection that goes silent (no error, no end) is as lost as a closed one.
    this.heartbeat = setInterval(() => {
      if (this.lost || this.closed) return;
      const current = this.client;
      if (this.waiting === 0) return void this.ask(current, 'SELECT 1').catch(() => undefined);
      if (Date.now() - Math.max(this.busySince, this.lastAnswer) <= timing.timeoutMs) return;
      // Timers run before the loop reads its sockets: after the event loop itself stalled, answers may be waiting
      // unread. Decide once they have been read (setImmediate runs after this turn's I/O).
      setImmediate(() => {
        const silent = Date.now() - Math.max(this.busySince, this.lastAnswer);
        if (this.waiting > 0 && silent > timing.timeoutMs) this.fail(current, new Error(`no answer for ${Math.round(silent / 1000)} s`));
      });
    }, timing.heartbeatMs);
    this.heartbeat.unref();
  }

  private static async open(databaseUrl: string, instanceUrl: string, timing: LeaseTiming): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: databaseUrl,
      application_name: `seeds-leases ${instanceUrl}`,
      types: typeParsers,
      connectionTimeoutMillis: timing.timeoutMs,
      keepAlive: true,
      options: leaseOptions(timing)
    });
    // Before it connects: a connection that ends while it is set up (its LISTENs) would otherwise end the process.
    keepErrorsHandled(client);
    try {
      await client.connect();
      // `session_owners` is PostgreSQL migration 3: the store has migrated before leases connect.
      await client.query(`LISTEN ${GONE_CHANNEL}`);
      await client.query(`LISTEN ${REVOKED_CHANNEL}`);
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  static async connect(databaseUrl: string, instanceUrl: string, timing: LeaseTiming = DEFAULT_TIMING): Promise<PgSessionLeases> {
    return new PgSessionLeases(await PgSessionLeases.open(databaseUrl, instanceUrl, timing), databaseUrl, instanceUrl, timing);
  }

  /** Every lease went (or may have gone) with this connection: give every room up and connect anew. */
  private fail(client: pg.Client, error?: Error): void {
    // Only the current connection's end matters (an old one may report late).
    if (this.closed || this.lost || client !== this.client) return;
    this.lost = true;
    this.held.clear();
    console.error(`cluster: the lease connection to PostgreSQL broke${error ? `: ${error.message}` : ''}; every session here is given up`);
    for (const listener of this.listeners) listener();
    // Drop a silent connection: once the network is back, PostgreSQL learns at once that it (and its locks) is gone.
    cutConnection(client);
    this.reconnect();
  }

  private watch(client: pg.Client): void {
    client.on('error', (error) => this.fail(client, error));
    client.on('end', () => this.fail(client));
    client.on('notification', (message) => {
      if (!message.payload) return;
      if (message.channel === GONE_CHANNEL) for (const listener of this.goneListeners) listener(message.payload);
      // Our own announcement comes back too; it was applied where it happened, and applying it again is harmless.
      if (message.channel === REVOKED_CHANNEL) for (const listener of this.revokedListeners) listener(message.payload);
    });
  }

  /**
   * A new lease connection after the old one broke (PostgreSQL restarted, a failover, a
   * terminated backend): without it this instance could serve no session again until
   * restarted. It starts holding nothing; rooms are loaded (and leases taken) on demand.
   */
  private reconnect(): void {
    if (this.closed || this.reconnecting) return;
    this.reconnecting = setTimeout(() => {
      this.reconnecting = null;
      PgSessionLeases.open(this.databaseUrl, this.instanceUrl, this.timing).then(
        (client) => {
          if (this.closed) return void client.end().catch(() => undefined);
          this.client = client;
          this.watch(client);
          this.lost = false;
          console.log('cluster: the lease connection to PostgreSQL is back');
        },
        (error) => {
          console.error(`cluster: reconnecting the lease connection failed: ${(error as Error).message}; trying again`);
          this.reconnect();
        }
      );
    }, 1000);
    this.reconnecting.unref();
  }

  /** Runs `task` when the lease connection's earlier turns are done; counted as waiting meanwhile, for the silence check. */
  private inTurn<T>(task: () => Promise<T>): Promise<T> {
    if (this.waiting++ === 0) this.busySince = Date.now();
    const result = this.turn.then(task);
    this.turn = result.then(ignore, ignore);
    return result.finally(() => this.waiting--);
  }

  /** One statement on `client`; any answer from PostgreSQL, error or not, is a sign of life. */
  private async send<R extends pg.QueryResultRow>(client: pg.Client, config: pg.QueryConfig): Promise<pg.QueryResult<R>> {
    try {
      const result = await client.query<R>(config);
      this.lastAnswer = Date.now();
      return result;
    } catch (error) {
      if (typeof (error as { code?: unknown }).code === 'string') this.lastAnswer = Date.now();
      throw error;
    }
  }

  /** A query of the leases on the lease connection, in a turn of its own. */
  private ask<R extends pg.QueryResultRow>(client: pg.Client, text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.inTurn(() => this.send<R>(client, { text, values }));
  }

  /**
   * Lends the lease connection to the store for one transaction of session writes (fencing, docs/scaling.md): it
   * is the connection that holds the sessions' locks, so what commits on it commits while this instance holds
   * them. PostgreSQL frees a lock only when this connection ends (and then rolls its open transaction back first)
   * or when `release` unlocks it in a turn of its own, after the transaction. Refused while the connection is lost.
   */
  lend<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    return this.inTurn(async () => {
      if (this.lost || this.closed) throw new Error('the lease connection to PostgreSQL is lost: write refused');
      const client = this.client;
      return work({ query: (config) => this.send(client, config) });
    });
  }

  holds(sessionId: string): boolean {
    return this.held.has(sessionId);
  }

  epochOf(sessionId: string): number | null {
    return this.held.get(sessionId) ?? null;
  }

  locate(sessionId: string): Promise<Whereabouts> {
    if (this.held.has(sessionId)) return Promise.resolve({ at: 'here' });
    const pending = this.locating.get(sessionId);
    if (pending) return pending;
    // A flood of requests must not become an unbounded queue on the one lease connection: answer "try again".
    if (this.waiting >= MAX_WAITING) return Promise.resolve({ at: 'elsewhere', ownerUrl: null });
    const lookup = this.lookUp(sessionId).finally(() => this.locating.delete(sessionId));
    this.locating.set(sessionId, lookup);
    return lookup;
  }

  private lookUp(sessionId: string): Promise<Whereabouts> {
    return this.serial.run(sessionId, async () => {
      if (this.held.has(sessionId)) return { at: 'here' };
      if (this.lost || this.closed) return { at: 'elsewhere', ownerUrl: null };
      // Free when we can take the lock, and then give it straight back (CASE evaluates in order); else who holds it.
      const { rows } = await this.ask<{ free: boolean; owner: string | null }>(
        this.client,
        `SELECT CASE WHEN pg_try_advisory_lock(k.h) THEN pg_advisory_unlock(k.h) ELSE false END AS free,
                (SELECT instance_url FROM session_owners WHERE session_id = $1) AS owner
           FROM (SELECT hashtextextended($1, 7) AS h) k`,
        [sessionId]
      );
      if (rows[0]?.free) return { at: 'nobody' };
      const ownerUrl = rows[0]?.owner ?? null;
      // A row naming us while the lock is elsewhere is stale (we gave the lease up): nobody known yet.
      return { at: 'elsewhere', ownerUrl: ownerUrl === this.instanceUrl ? null : ownerUrl };
    });
  }

  acquire(sessionId: string): Promise<Ownership> {
    return this.serial.run(sessionId, async () => {
      if (this.held.has(sessionId)) return { here: true };
      if (this.lost || this.closed) return { here: false, ownerUrl: null };
      const client = this.client;
      const { rows } = await this.ask<{ ok: boolean }>(client, 'SELECT pg_try_advisory_lock(hashtextextended($1, 7)) AS ok', [sessionId]);
      if (rows[0]?.ok) {
        // A new epoch with the lease, before anything is loaded or acknowledged under it: a write this instance called
        // under an earlier ownership of the session (before it lost the lease and took it again) never commits under this one.
        let taken: pg.QueryResult<{ epoch: string }>;
        try {
          taken = await this.ask<{ epoch: string }>(client, TAKE_EPOCH_SQL, [sessionId, this.instanceUrl]);
        } catch (error) {
          // Not held without its epoch: give the lock back whatever failed (advisory locks count their takings, so one
          // left here would stay taken through every later acquire and release, and no other instance could ever take it).
          await this.ask(client, 'SELECT pg_advisory_unlock(hashtextextended($1, 7))', [sessionId]).catch(() => undefined);
          // Another instance's transaction holds the row (a purge deleting the session): not yet.
          if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) return { here: false, ownerUrl: null };
          throw error;
        }
        // The connection that took the lock broke meanwhile: the lock went with it.
        if (client !== this.client || this.lost) return { here: false, ownerUrl: null };
        this.held.set(sessionId, Number(taken.rows[0].epoch));
        return { here: true };
      }
      const owner = await this.ask<{ instance_url: string }>(client, 'SELECT instance_url FROM session_owners WHERE session_id = $1', [sessionId]);
      const ownerUrl = owner.rows[0]?.instance_url ?? null;
      // A row naming us while the lock is elsewhere is stale (we gave the lease up): nobody known yet.
      return { here: false, ownerUrl: ownerUrl === this.instanceUrl ? null : ownerUrl };
    });
  }

  release(sessionId: string): Promise<void> {
    return this.serial.run(sessionId, async () => {
      if (!this.held.delete(sessionId) || this.lost || this.closed) return;
      try {
        // Epochs come from a sequence: the next owner's is new even though this row goes.
        await this.ask(this.client, 'DELETE FROM session_owners WHERE session_id = $1 AND instance_url = $2', [sessionId, this.instanceUrl]);
      } finally {
        await this.ask(this.client, 'SELECT pg_advisory_unlock(hashtextextended($1, 7))', [sessionId]);
      }
    });
  }

  onLost(listener: () => void): void {
    this.listeners.push(listener);
  }

  async announceGone(sessionIds: readonly string[]): Promise<void> {
    if (this.lost || this.closed) return;
    for (const id of sessionIds) await this.ask(this.client, 'SELECT pg_notify($1, $2)', [GONE_CHANNEL, id]);
  }

  onGone(listener: (sessionId: string) => void): void {
    this.goneListeners.push(listener);
  }

  async announceRevoked(payload: string): Promise<void> {
    if (this.lost || this.closed) return;
    await this.ask(this.client, 'SELECT pg_notify($1, $2)', [REVOKED_CHANNEL, payload]);
  }

  onRevoked(listener: (payload: string) => void): void {
    this.revokedListeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnecting) clearTimeout(this.reconnecting);
    clearInterval(this.heartbeat);
    this.held.clear();
    // Ending the connection releases every lock it held; on a silent link it is cut after a grace (PostgreSQL frees the locks then).
    const client = this.client;
    await endWithin(
      client.end().catch(() => undefined),
      () => cutConnection(client)
    );
  }
}
