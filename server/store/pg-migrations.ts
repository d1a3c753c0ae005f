import type pg from 'pg';
import { StoreUnusableError } from './sqlite-check';

/**
 * Versioned schema migrations for the PostgreSQL store (server/store/postgres.ts),
 * the counterpart of MIGRATIONS in ./migrations.ts for SQLite. Version N is
 * `PG_MIGRATIONS[N - 1]`; `schema_migrations` records which versions a
 * database has. Append only: a released migration is never edited.
 *
 * Choices that keep the two stores alike:
 * - JSON that people were shown (results, ballots, settings) is TEXT, not
 *   jsonb: jsonb reorders keys and normalises numbers, and the frozen results
 *   must stay byte for byte what was revealed.
 * - Identifiers and dates that are sorted on use the "C" collation, so ties
 *   order by bytes as in SQLite, whatever locale the cluster was created with.
 * - Epoch milliseconds are BIGINT (read back as numbers, see postgres.ts).
 */
export const PG_MIGRATIONS: readonly string[] = [
  // 1: the schema as SQLite has it after its migrations 1–6 (sessions, participants,
  // answers, dots, Yjs updates, frozen results, action points, hidden comments,
  // communities and paper sessions).
  `
  CREATE TABLE communities (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    framework TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE TABLE sessions (
    id TEXT COLLATE "C" PRIMARY KEY,
    code TEXT COLLATE "C" NOT NULL UNIQUE,
    title TEXT NOT NULL,
    language TEXT NOT NULL,
    framework TEXT NOT NULL,
    anonymous BOOLEAN NOT NULL,
    facilitator_token_hash TEXT NOT NULL,
    presenter_token_hash TEXT,
    phase TEXT NOT NULL,
    round INTEGER NOT NULL,
    voting_deadline BIGINT,
    voting_closed BOOLEAN NOT NULL DEFAULT false,
    voting_paused_ms BIGINT,
    settings TEXT NOT NULL,
    revealed_rounds TEXT NOT NULL,
    community_id TEXT COLLATE "C" REFERENCES communities(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX sessions_updated_at ON sessions(updated_at);
  CREATE INDEX sessions_community ON sessions(community_id);
  CREATE TABLE participants (
    id TEXT COLLATE "C" PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    grp TEXT,
    language TEXT,
    joined_at BIGINT NOT NULL
  );
  CREATE INDEX participants_session ON participants(session_id);
  CREATE TABLE answers (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    round INTEGER NOT NULL,
    participant_id TEXT NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
    factor INTEGER NOT NULL,
    answer TEXT NOT NULL,
    comment TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, round, participant_id, factor)
  );
  CREATE INDEX answers_participant ON answers(participant_id);
  CREATE TABLE dots (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    voter_id TEXT NOT NULL,
    action_id TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (session_id, voter_id, action_id)
  );
  CREATE TABLE yjs_updates (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    data BYTEA NOT NULL
  );
  CREATE INDEX yjs_updates_session ON yjs_updates(session_id, seq);
  CREATE TABLE revealed_results (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    round INTEGER NOT NULL,
    results TEXT NOT NULL,
    ballots TEXT NOT NULL,
    revealed_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, round)
  );
  CREATE TABLE action_points (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    id TEXT COLLATE "C" NOT NULL,
    factor INTEGER,
    position DOUBLE PRECISION NOT NULL,
    owner TEXT NOT NULL,
    due TEXT,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    merged_into TEXT,
    removed BOOLEAN NOT NULL,
    origin TEXT,
    PRIMARY KEY (session_id, id)
  );
  CREATE TABLE hidden_comments (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    round INTEGER NOT NULL,
    factor INTEGER NOT NULL,
    text TEXT NOT NULL
  );
  -- By a digest of the text: a comment may run to about 12 kB of UTF-8, past what a B-tree entry holds.
  CREATE UNIQUE INDEX hidden_comments_key ON hidden_comments(session_id, round, factor, md5(text));
  CREATE TABLE paper_sessions (
    id TEXT COLLATE "C" PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    code TEXT COLLATE "C" NOT NULL UNIQUE,
    title TEXT NOT NULL,
    date TEXT COLLATE "C" NOT NULL,
    factors TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX paper_sessions_community ON paper_sessions(community_id);
  `,
  // 2: as SQLite's migration 7 (issue 14): what a session's review said about an earlier session's
  // action point (done, doing, dropped, carried over, with the carried copy's id); and paper
  // sessions that were imported from another server's export.json.
  `
  CREATE TABLE action_reviews (
    reviewing_session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    origin_session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    action_id TEXT COLLATE "C" NOT NULL,
    status TEXT NOT NULL,
    carried_action_id TEXT,
    reviewed_at BIGINT NOT NULL,
    PRIMARY KEY (reviewing_session_id, origin_session_id, action_id)
  );
  CREATE INDEX action_reviews_origin ON action_reviews(origin_session_id);
  ALTER TABLE paper_sessions ADD COLUMN source TEXT NOT NULL DEFAULT 'paper';
  `,
  // 3: several instances on one database (issue 15): which instance holds each session's lease, by its
  // INSTANCE_URL, for forwarding. The lease itself is an advisory lock (server/cluster/leases.ts); this
  // row only says where to find its holder, and the next holder overwrites a stale one.
  `
  CREATE TABLE session_owners (
    session_id TEXT PRIMARY KEY,
    instance_url TEXT NOT NULL,
    since TIMESTAMPTZ NOT NULL DEFAULT now()
  );
  `,
  // 4: per-address limits shared by every instance (code guessing, sessions and communities per hour): one row per
  // counted event, at PostgreSQL's clock (one clock for all instances, whatever theirs say). The function counts and
  // records under a transaction-scoped advisory lock on the address, so instances racing on one address cannot both
  // take its last event; each call also drops that address's rows older than the window (server/cluster/address-events.ts).
  `
  CREATE TABLE address_events (
    kind TEXT COLLATE "C" NOT NULL,
    address TEXT COLLATE "C" NOT NULL,
    at BIGINT NOT NULL
  );
  CREATE INDEX address_events_key ON address_events (kind, address, at);
  CREATE INDEX address_events_at ON address_events (at);
  CREATE FUNCTION seeds_address_allow(k TEXT, a TEXT, lim INTEGER, window_ms BIGINT) RETURNS BOOLEAN
  LANGUAGE plpgsql VOLATILE AS $$
  DECLARE
    t BIGINT := (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT;
    n INTEGER;
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(k || ' ' || a, 15));
    DELETE FROM address_events WHERE kind = k AND address = a AND at <= t - window_ms;
    SELECT count(*) INTO n FROM address_events WHERE kind = k AND address = a;
    IF n >= lim THEN
      RETURN FALSE;
    END IF;
    INSERT INTO address_events (kind, address, at) VALUES (k, a, t);
    RETURN TRUE;
  END
  $$;
  `,
  // 5: as SQLite's migration 8 (issue 20): paper sessions' figures computed once when stored (older rows are filled
  // at open, fillPaperFigures in postgres.ts); at most one closing review per earlier action point, whichever session
  // (on whichever instance) writes it, enforced by a partial unique index; earlier duplicate closings become "doing".
  `
  ALTER TABLE paper_sessions ADD COLUMN figures TEXT;
  UPDATE action_reviews r SET status = 'doing'
  WHERE r.status IN ('done', 'dropped', 'carried') AND EXISTS (
    SELECT 1 FROM action_reviews e
    WHERE e.origin_session_id = r.origin_session_id AND e.action_id = r.action_id
      AND e.status IN ('done', 'dropped', 'carried')
      AND (e.reviewed_at < r.reviewed_at OR (e.reviewed_at = r.reviewed_at AND e.reviewing_session_id < r.reviewing_session_id))
  );
  CREATE UNIQUE INDEX action_reviews_decided_once ON action_reviews(origin_session_id, action_id)
    WHERE status IN ('done', 'dropped', 'carried');
  CREATE INDEX paper_sessions_latest ON paper_sessions(community_id, date, created_at, code);
  `,
  // 6: fencing (issue 21): each session's ownership epoch, replaced by a larger one from a sequence every time an
  // instance takes the session's lease (server/cluster/leases.ts). A write commits only while the epoch it was
  // called under is still the session's, checked in its own transaction (server/store/postgres.ts), so a write of an
  // instance that lost the session cannot land over what the next owner acknowledged. From a sequence, an epoch is
  // never handed out twice, even when an owner row is deleted and made again.
  `
  CREATE SEQUENCE session_owner_epochs;
  ALTER TABLE session_owners ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0;
  `,
  // 7: as SQLite's migration 9 (issue 23, item 4): sessions and communities carry the IANA time zone where
  // the group meets; rows stored before it get the product's home, Europe/Amsterdam.
  `
  ALTER TABLE sessions ADD COLUMN time_zone TEXT COLLATE "C" NOT NULL DEFAULT 'Europe/Amsterdam';
  ALTER TABLE communities ADD COLUMN time_zone TEXT COLLATE "C" NOT NULL DEFAULT 'Europe/Amsterdam';
  `
];

/**
 * Key of the advisory lock taken while migrating: two processes starting at
 * once on one database migrate one after the other, never both.
 */
const MIGRATION_LOCK_KEY = 0x5eed5_0001;

/**
 * Applies pending migrations in one transaction, holding an advisory lock so
 * that two processes starting at once on one database do not both migrate:
 * the second waits, then finds nothing left to do. A database migrated by a
 * newer version of the board is refused rather than used half-understood.
 */
export async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    try {
      // A migration (or the wait for another process's) may take longer than the pool's limit for everyday statements.
      await client.query('SET LOCAL statement_timeout = 0');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
      const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
      const current = rows[0].v ?? 0;
      if (current > PG_MIGRATIONS.length) {
        throw new StoreUnusableError(
          `The PostgreSQL database is at schema version ${current}, newer than this version of the board knows (${PG_MIGRATIONS.length}): run the newer version, or restore a backup.`
        );
      }
      for (let version = current + 1; version <= PG_MIGRATIONS.length; version++) {
        await client.query(PG_MIGRATIONS[version - 1]);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    client.release();
  }
}
