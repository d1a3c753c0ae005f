import pg from 'pg';
import { KeyedSerial } from '../sessions/serial';

/** The PostgreSQL NOTIFY channel on which deleted sessions are announced to every instance. */
const GONE_CHANNEL = 'seeds_sessions_gone';

/** Where a session's authority is: here, or at another instance (its internal URL, null while unknown). */
export type Ownership = { here: true } | { here: false; ownerUrl: string | null };

/**
 * Which instance owns a session's live room. Exactly one instance at a time
 * holds a session's lease; it alone loads the room and applies commands, and
 * the others forward that session's traffic to it (docs/scaling.md).
 */
export interface SessionLeases {
  /** Takes the lease when it is free (or already ours); otherwise says who holds it. */
  acquire(sessionId: string): Promise<Ownership>;
  /** Whether this instance holds the lease now. */
  holds(sessionId: string): boolean;
  /** Gives a lease back (the room was unloaded or deleted). */
  release(sessionId: string): Promise<void>;
  /** Called once when every lease was lost at once (the connection that held them broke). */
  onLost(listener: () => void): void;
  /** Tells every instance that sessions were deleted (purged, or their community deleted), so their owners end them. */
  announceGone(sessionIds: readonly string[]): Promise<void>;
  /** Called for each session another instance (or this one) announced as gone. */
  onGone(listener: (sessionId: string) => void): void;
  close(): Promise<void>;
}

/** One instance on its own: every lease is always here. */
export class LocalLeases implements SessionLeases {
  async acquire(): Promise<Ownership> {
    return { here: true };
  }
  holds(): boolean {
    return true;
  }
  async release(): Promise<void> {}
  onLost(): void {}
  async announceGone(): Promise<void> {}
  onGone(): void {}
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
export class PgSessionLeases implements SessionLeases {
  private readonly held = new Set<string>();
  private readonly serial = new KeyedSerial();
  private readonly listeners: (() => void)[] = [];
  private readonly goneListeners: ((sessionId: string) => void)[] = [];
  private lost = false;
  private closed = false;

  private constructor(
    private readonly client: pg.Client,
    /** This instance's internal URL, as the others reach it (INSTANCE_URL). */
    readonly instanceUrl: string
  ) {
    const fail = (error?: Error) => {
      if (this.closed || this.lost) return;
      this.lost = true;
      this.held.clear();
      console.error(`cluster: the lease connection to PostgreSQL broke${error ? `: ${error.message}` : ''}; every session here is given up`);
      for (const listener of this.listeners) listener();
    };
    client.on('error', fail);
    client.on('end', () => fail());
    client.on('notification', (message) => {
      if (message.channel !== GONE_CHANNEL || !message.payload) return;
      for (const listener of this.goneListeners) listener(message.payload);
    });
  }

  static async connect(databaseUrl: string, instanceUrl: string): Promise<PgSessionLeases> {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: `seeds-leases ${instanceUrl}` });
    await client.connect();
    // `session_owners` is PostgreSQL migration 3: the store has migrated before leases connect.
    await client.query(`LISTEN ${GONE_CHANNEL}`);
    return new PgSessionLeases(client, instanceUrl);
  }

  holds(sessionId: string): boolean {
    return this.held.has(sessionId);
  }

  acquire(sessionId: string): Promise<Ownership> {
    return this.serial.run(sessionId, async () => {
      if (this.held.has(sessionId)) return { here: true };
      if (this.lost || this.closed) return { here: false, ownerUrl: null };
      const { rows } = await this.client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 7)) AS ok', [sessionId]);
      if (rows[0]?.ok) {
        await this.client.query(
          `INSERT INTO session_owners (session_id, instance_url) VALUES ($1, $2)
           ON CONFLICT (session_id) DO UPDATE SET instance_url = excluded.instance_url, since = now()`,
          [sessionId, this.instanceUrl]
        );
        this.held.add(sessionId);
        return { here: true };
      }
      const owner = await this.client.query<{ instance_url: string }>('SELECT instance_url FROM session_owners WHERE session_id = $1', [sessionId]);
      const ownerUrl = owner.rows[0]?.instance_url ?? null;
      // A row naming us while the lock is elsewhere is stale (we gave the lease up): nobody known yet.
      return { here: false, ownerUrl: ownerUrl === this.instanceUrl ? null : ownerUrl };
    });
  }

  release(sessionId: string): Promise<void> {
    return this.serial.run(sessionId, async () => {
      if (!this.held.delete(sessionId) || this.lost || this.closed) return;
      await this.client.query('DELETE FROM session_owners WHERE session_id = $1 AND instance_url = $2', [sessionId, this.instanceUrl]);
      await this.client.query('SELECT pg_advisory_unlock(hashtextextended($1, 7))', [sessionId]);
    });
  }

  onLost(listener: () => void): void {
    this.listeners.push(listener);
  }

  async announceGone(sessionIds: readonly string[]): Promise<void> {
    if (this.lost || this.closed) return;
    for (const id of sessionIds) await this.client.query('SELECT pg_notify($1, $2)', [GONE_CHANNEL, id]);
  }

  onGone(listener: (sessionId: string) => void): void {
    this.goneListeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.held.clear();
    // Ending the connection releases every lock it held.
    await this.client.end().catch(() => undefined);
  }
}
