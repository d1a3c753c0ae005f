import pg from 'pg';
import type { AddressEventKind, AddressEvents } from '../security/address-limits';
import { cutConnection, endWithin, trackConnections } from '../store/pg-end';

/** How often rows of addresses that went quiet are swept away, in ms. */
const SWEEP_MS = 600_000;

/**
 * Per-address counts shared by every instance of a cluster, in PostgreSQL
 * (`address_events`, PostgreSQL migration 4), so an address gets each limit
 * once however many instances its requests reach (docs/scaling.md). Times are
 * PostgreSQL's clock, one for all instances. Counting and recording happen in
 * one function call under an advisory lock on the address, so two instances
 * cannot both hand out an address's last allowed event.
 *
 * Fails open: while PostgreSQL cannot be reached, limits are not enforced (every
 * request that needs the store fails then anyway) and the failure is logged at
 * most once a minute; a counting failure never turns into a refusal or a crash.
 */
export class PgAddressEvents implements AddressEvents {
  private longestWindowMs = 0;
  private lastLogged = 0;
  private readonly sweeper: NodeJS.Timeout;

  private readonly connections: Set<pg.PoolClient>;

  private constructor(private readonly pool: pg.Pool) {
    this.connections = trackConnections(pool);
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS).unref();
  }

  /** A small pool of its own: counting must not queue behind the store's writes. */
  static connect(databaseUrl: string, instanceUrl: string): PgAddressEvents {
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      application_name: `seeds-limits ${instanceUrl}`,
      max: 4,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000
    });
    // An idle pooled connection that breaks emits 'error' on the pool; without a listener that would end the process.
    pool.on('error', (error) => this.logOnce(error));
    return new PgAddressEvents(pool);
  }

  private static lastPoolLog = 0;
  private static logOnce(error: Error): void {
    if (Date.now() - PgAddressEvents.lastPoolLog < 60_000) return;
    PgAddressEvents.lastPoolLog = Date.now();
    console.error('address limits: a PostgreSQL connection failed:', error.message);
  }

  private failedOpen(error: unknown): void {
    if (Date.now() - this.lastLogged < 60_000) return;
    this.lastLogged = Date.now();
    console.error('address limits: PostgreSQL unreachable, not enforcing per-address limits:', error instanceof Error ? error.message : error);
  }

  async allow(kind: AddressEventKind, address: string, limit: number, windowMs: number): Promise<boolean> {
    if (limit === 0) return true;
    this.longestWindowMs = Math.max(this.longestWindowMs, windowMs);
    try {
      const { rows } = await this.pool.query<{ ok: boolean }>('SELECT seeds_address_allow($1, $2, $3, $4) AS ok', [kind, address, limit, windowMs]);
      return rows[0]?.ok === true;
    } catch (error) {
      this.failedOpen(error);
      return true;
    }
  }

  async blocked(kind: AddressEventKind, address: string, limit: number, windowMs: number): Promise<boolean> {
    if (limit === 0) return false;
    try {
      const { rows } = await this.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM address_events
          WHERE kind = $1 AND address = $2 AND at > (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT - $3`,
        [kind, address, windowMs]
      );
      return Number(rows[0]?.n ?? 0) >= limit;
    } catch (error) {
      this.failedOpen(error);
      return false;
    }
  }

  /** Drops rows older than the longest window in use (addresses that stopped coming leave nothing behind). */
  async sweep(): Promise<void> {
    if (this.longestWindowMs === 0) return;
    try {
      await this.pool.query('DELETE FROM address_events WHERE at <= (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT - $1', [this.longestWindowMs]);
    } catch (error) {
      this.failedOpen(error);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    // Bounded: on a link that went silent the pool's end would wait for goodbyes that never come.
    await endWithin(this.pool.end(), () => {
      for (const client of this.connections) cutConnection(client);
    });
  }
}
