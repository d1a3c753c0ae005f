import type Database from 'better-sqlite3';
import type pg from 'pg';
import { StoreUnusableError } from './unusable';
import type { Dialect } from './schema';

/**
 * The store's schema migrations: ONE list for SQLite and PostgreSQL (`MIGRATIONS`), each entry the
 * same change written for each dialect. `store_migrations` records, in either database, which
 * versions it has; version N is `MIGRATIONS[N - 1]`. Append only: a released migration is never edited.
 * A later migration may be written with Kysely's schema builder (`queryBuilder(dialect).schema…compile()`)
 * where the two dialects agree, or as SQL per dialect where they do not.
 *
 * Version 1 is the baseline: the schema as the two stores had it when they became one (issue 21).
 * Before that, each dialect kept its own list, recorded its own way (SQLite in `PRAGMA user_version`,
 * PostgreSQL in `schema_migrations`); those lists are frozen below as the steps of the baseline. A
 * database written by that code (at any of its versions) takes the steps it lacks and is then marked
 * as at version 1; a new database takes them all. Nothing in them changes any more.
 *
 * Choices that keep the two dialects alike:
 * - JSON that people were shown (results, ballots, settings) is TEXT, not jsonb: jsonb reorders keys
 *   and normalises numbers, and the frozen results must stay byte for byte what was revealed.
 * - Identifiers and dates that are sorted on use the "C" collation on PostgreSQL, so ties order by
 *   bytes as in SQLite, whatever locale the cluster was created with.
 * - Epoch milliseconds are BIGINT on PostgreSQL (read back as numbers, ./postgres.ts).
 */
export interface Migration {
  name: string;
  sqlite: (db: Database.Database) => void;
  postgres: (client: pg.PoolClient) => Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'baseline: the schema of both stores as of issue 21',
    sqlite(db) {
      const legacy = db.pragma('user_version', { simple: true }) as number;
      for (let version = legacy; version < SQLITE_BASELINE_STEPS.length; version++) {
        db.exec(SQLITE_BASELINE_STEPS[version]);
        db.pragma(`user_version = ${version + 1}`);
      }
    },
    async postgres(client) {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
      const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
      for (let version = (rows[0].v ?? 0) + 1; version <= POSTGRES_BASELINE_STEPS.length; version++) {
        await client.query(POSTGRES_BASELINE_STEPS[version - 1]);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
      }
    }
  },
  {
    name: 'accounts: facilitator accounts, passkeys, recovery codes, cookie sessions, external identities, memberships, invites (issue 24)',
    sqlite(db) {
      db.exec(accountTables('sqlite'));
    },
    async postgres(client) {
      await client.query(accountTables('postgres'));
    }
  },
  {
    // Issue 25, items 3 and 4: organisations (a programme of learning communities) and which communities share their
    // frozen figures with one. A share row is the owner's choice; deleting it withdraws the figures from the view at
    // once (nothing is copied: the view is built from the communities' frozen rounds at each request). The key is
    // stored only as a hash, as a community's is; accounts will replace it by the programme lead's role.
    // `round_figures`: what each revealed round froze, as much as the programme view may read (voters, k, withheld,
    // per factor [number, n, mean, consensus]), written with the frozen round and never changed; rounds revealed before
    // it are filled from their frozen results here. The view reads these narrow rows instead of parsing every round's
    // results (comments included) for every community of the programme.
    name: 'organisations and the communities that share their figures with them (issue 25)',
    sqlite(db) {
      db.exec(`
        CREATE TABLE organisations (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          time_zone TEXT NOT NULL,
          token_hash TEXT NOT NULL,
          created_at INTEGER NOT NULL
        );
        CREATE TABLE community_shares (
          organisation_id TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
          community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
          shared_at INTEGER NOT NULL,
          PRIMARY KEY (organisation_id, community_id)
        ) WITHOUT ROWID;
        CREATE INDEX community_shares_community ON community_shares(community_id);
        CREATE TABLE round_figures (
          session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
          round INTEGER NOT NULL,
          revealed_at INTEGER NOT NULL,
          voters INTEGER NOT NULL,
          min_voters INTEGER,
          withheld TEXT,
          factors TEXT NOT NULL,
          PRIMARY KEY (session_id, round)
        ) WITHOUT ROWID;
        INSERT INTO round_figures (session_id, round, revealed_at, voters, min_voters, withheld, factors)
        SELECT session_id, round, revealed_at, json_extract(results, '$.voters'), json_extract(results, '$.minVoters'), json_extract(results, '$.withheld'),
          (SELECT json_group_array(json_array(json_extract(f.value, '$.number'), json_extract(f.value, '$.n'), json_extract(f.value, '$.mean'),
            json_extract(f.value, '$.consensus'))) FROM json_each(results, '$.factors') AS f)
        FROM revealed_results;
      `);
    },
    async postgres(client) {
      await client.query(`
        CREATE TABLE organisations (
          id TEXT COLLATE "C" PRIMARY KEY,
          name TEXT NOT NULL,
          time_zone TEXT COLLATE "C" NOT NULL,
          token_hash TEXT NOT NULL,
          created_at BIGINT NOT NULL
        );
        CREATE TABLE community_shares (
          organisation_id TEXT COLLATE "C" NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
          community_id TEXT COLLATE "C" NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
          shared_at BIGINT NOT NULL,
          PRIMARY KEY (organisation_id, community_id)
        );
        CREATE INDEX community_shares_community ON community_shares(community_id);
        CREATE TABLE round_figures (
          session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
          round INTEGER NOT NULL,
          revealed_at BIGINT NOT NULL,
          voters INTEGER NOT NULL,
          min_voters INTEGER,
          withheld TEXT,
          factors TEXT NOT NULL,
          PRIMARY KEY (session_id, round)
        );
        INSERT INTO round_figures (session_id, round, revealed_at, voters, min_voters, withheld, factors)
        SELECT session_id, round, revealed_at, ((results::json)->>'voters')::int, ((results::json)->>'minVoters')::int, (results::json)->>'withheld',
          (SELECT coalesce(json_agg(json_build_array(f->'number', f->'n', f->'mean', f->'consensus'))::text, '[]')
            FROM json_array_elements((results::json)->'factors') AS f)
        FROM revealed_results;
      `);
    }
  },
  {
    // Issue 25: a session can be a check-in, scored on people's own time until a deadline kept after it passed
    // (voting_deadline is the ballot box's clock and clears when it closes); the index serves the deadline sweep.
    name: 'check-ins: session mode, deadline and reveal',
    sqlite(db) {
      db.exec(`
        ALTER TABLE sessions ADD COLUMN mode TEXT NOT NULL DEFAULT 'live';
        ALTER TABLE sessions ADD COLUMN deadline INTEGER;
        ALTER TABLE sessions ADD COLUMN reveal_at TEXT;
        ALTER TABLE sessions ADD COLUMN seeded_from TEXT;
        CREATE INDEX sessions_checkins ON sessions(mode, phase, voting_deadline);
        CREATE UNIQUE INDEX sessions_seeded_from ON sessions(seeded_from);
      `);
    },
    async postgres(client) {
      await client.query(`
        ALTER TABLE sessions ADD COLUMN mode TEXT COLLATE "C" NOT NULL DEFAULT 'live';
        ALTER TABLE sessions ADD COLUMN deadline BIGINT;
        ALTER TABLE sessions ADD COLUMN reveal_at TEXT COLLATE "C";
        ALTER TABLE sessions ADD COLUMN seeded_from TEXT COLLATE "C";
        CREATE INDEX sessions_checkins ON sessions(mode, phase, voting_deadline);
        CREATE UNIQUE INDEX sessions_seeded_from ON sessions(seeded_from);
      `);
    }
  },
  {
    // A facilitator's home (issue 24): an account hides a community or session from its home (and shows it again)
    // without touching anyone else's view of it, so the mark sits on its own membership.
    name: 'members: archived memberships (hidden from the account home, reversible)',
    sqlite(db) {
      db.exec('ALTER TABLE memberships ADD COLUMN archived_at INTEGER');
    },
    async postgres(client) {
      await client.query('ALTER TABLE memberships ADD COLUMN archived_at BIGINT');
    }
  },
  {
    // Issue 25: joining a programme needs the organisation's consent. Its admin (or, while it has none, its key)
    // makes a single-use share invitation; a community shares only by taking one, so nobody who merely knows the
    // organisation's id can put fabricated communities into its figures or flood it. Only the hash is stored.
    name: 'programme consent: single-use share invitations of an organisation',
    sqlite(db) {
      db.exec(shareInviteTable('sqlite'));
    },
    async postgres(client) {
      await client.query(shareInviteTable('postgres'));
    }
  },
  {
    // Issue 25, the programme view's cost: a community's `figures_version` changes whenever what the view reads of it
    // may have changed (a round frozen in one of its sessions, a session added or removed: a meeting continuing a
    // check-in makes the check-in stop counting). Each store keeps the figures it parsed per community under the version
    // it read first (sql-store.ts, loadPortfolioFigures), so a view reads one narrow row per shared community and parses
    // only the communities that changed, on whichever instance wrote the change. Triggers, not the store's code, bump
    // it: every write path that touches these rows (today's and tomorrow's, cascades included) bumps it in its own
    // transaction, under the same fence as the write. Existing databases need no backfill beyond the column: a version
    // is only compared with one read from the same database, and no store has cached anything before this runs.
    name: 'communities: a version of the figures the programme view reads, bumped by triggers',
    sqlite(db) {
      db.exec(`
        ALTER TABLE communities ADD COLUMN figures_version INTEGER NOT NULL DEFAULT 0;
        CREATE TRIGGER round_figures_version AFTER INSERT ON round_figures BEGIN
          UPDATE communities SET figures_version = figures_version + 1 WHERE id = (SELECT community_id FROM sessions WHERE id = NEW.session_id);
        END;
        CREATE TRIGGER round_figures_removed_version AFTER DELETE ON round_figures BEGIN
          UPDATE communities SET figures_version = figures_version + 1 WHERE id = (SELECT community_id FROM sessions WHERE id = OLD.session_id);
        END;
        CREATE TRIGGER sessions_added_version AFTER INSERT ON sessions WHEN NEW.community_id IS NOT NULL BEGIN
          UPDATE communities SET figures_version = figures_version + 1 WHERE id = NEW.community_id;
        END;
        CREATE TRIGGER sessions_removed_version AFTER DELETE ON sessions WHEN OLD.community_id IS NOT NULL BEGIN
          UPDATE communities SET figures_version = figures_version + 1 WHERE id = OLD.community_id;
        END;
        CREATE TRIGGER sessions_moved_version AFTER UPDATE OF community_id, seeded_from ON sessions BEGIN
          UPDATE communities SET figures_version = figures_version + 1 WHERE id IN (OLD.community_id, NEW.community_id);
        END;
      `);
    },
    async postgres(client) {
      await client.query(`
        ALTER TABLE communities ADD COLUMN figures_version BIGINT NOT NULL DEFAULT 0;
        CREATE FUNCTION round_figures_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            UPDATE communities SET figures_version = figures_version + 1 WHERE id = (SELECT community_id FROM sessions WHERE id = OLD.session_id);
          ELSE
            UPDATE communities SET figures_version = figures_version + 1 WHERE id = (SELECT community_id FROM sessions WHERE id = NEW.session_id);
          END IF;
          RETURN NULL;
        END $$;
        CREATE TRIGGER round_figures_version AFTER INSERT OR DELETE ON round_figures FOR EACH ROW EXECUTE FUNCTION round_figures_version();
        CREATE FUNCTION sessions_figures_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP IN ('DELETE', 'UPDATE') THEN
            UPDATE communities SET figures_version = figures_version + 1 WHERE id = OLD.community_id;
          END IF;
          IF TG_OP IN ('INSERT', 'UPDATE') THEN
            UPDATE communities SET figures_version = figures_version + 1 WHERE id = NEW.community_id;
          END IF;
          RETURN NULL;
        END $$;
        CREATE TRIGGER sessions_figures_version AFTER INSERT OR DELETE OR UPDATE OF community_id, seeded_from ON sessions
          FOR EACH ROW EXECUTE FUNCTION sessions_figures_version();
      `);
    }
  },
  {
    // Issue 25, what it left: an organisation's admin removes a community from the programme. The share goes, and this
    // row tells the community's owner who removed it and when (their page says so); taking a new invitation of that
    // organisation deletes it. One row per community and organisation, so a community holds at most one per programme.
    name: 'programme consent: removals of a community by the organisation, shown to its owner',
    sqlite(db) {
      db.exec(shareRemovalTable('sqlite'));
    },
    async postgres(client) {
      await client.query(shareRemovalTable('postgres'));
    }
  },
  {
    // Issue 26: an answer is keyed by (session, participant, round, factor) and belongs to its participant through
    // (session_id, participant_id), so removing a participant (and a session's cascade through its participants) finds
    // their answers by the key's prefix. Before, the foreign key was on participant_id alone: SQLite had no index for it
    // and scanned every answer of every session per removed participant; PostgreSQL kept one (answers_participant),
    // one more index entry per vote (~6 µs). Reads by session, and by session and round, stay within one session's rows.
    // The session's own foreign key goes: a participant of the session exists, so the session does. Run again on its own
    // result it changes nothing (tests/integration/store-upgrade.test.ts re-runs the migrations after an earlier one).
    name: 'answers: keyed by session and participant, belonging to the participant of that session',
    sqlite: (db) => {
      db.exec(`
        CREATE UNIQUE INDEX IF NOT EXISTS participants_session_id ON participants(session_id, id);
        DROP INDEX IF EXISTS participants_session;
        CREATE TABLE answers_keyed (
          session_id TEXT NOT NULL,
          round INTEGER NOT NULL,
          participant_id TEXT NOT NULL,
          factor INTEGER NOT NULL,
          answer TEXT NOT NULL,
          comment TEXT,
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (session_id, participant_id, round, factor),
          FOREIGN KEY (session_id, participant_id) REFERENCES participants(session_id, id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        INSERT INTO answers_keyed (session_id, round, participant_id, factor, answer, comment, updated_at)
          SELECT a.session_id, a.round, a.participant_id, a.factor, a.answer, a.comment, a.updated_at
          FROM answers a JOIN participants p ON p.id = a.participant_id AND p.session_id = a.session_id;
        DROP TABLE answers;
        ALTER TABLE answers_keyed RENAME TO answers;
      `);
    },
    postgres: async (client) => {
      await client.query(`
        DO $$
        DECLARE c record;
        BEGIN
          FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'answers'::regclass AND contype IN ('p', 'f') LOOP
            EXECUTE format('ALTER TABLE answers DROP CONSTRAINT %I', c.conname);
          END LOOP;
        END $$;
        ALTER TABLE participants DROP CONSTRAINT IF EXISTS participants_session_id;
        ALTER TABLE participants ADD CONSTRAINT participants_session_id UNIQUE (session_id, id);
        DROP INDEX IF EXISTS participants_session;
        DROP INDEX IF EXISTS answers_participant;
        DELETE FROM answers a WHERE NOT EXISTS (SELECT 1 FROM participants p WHERE p.id = a.participant_id AND p.session_id = a.session_id);
        ALTER TABLE answers
          ADD PRIMARY KEY (session_id, participant_id, round, factor),
          ADD FOREIGN KEY (session_id, participant_id) REFERENCES participants(session_id, id) ON DELETE CASCADE;
      `);
    }
  },
  {
    // The two foreign keys into accounts that had no index starting with their columns: deleting an account looked up
    // its invitations and its sign-in ceremonies by reading each whole table (tests/integration/store-keys.test.ts
    // checks every foreign key of the schema, not only a session's).
    name: 'indexes for the foreign keys of invitations and sign-in ceremonies into accounts',
    sqlite: (db) => {
      db.exec(ACCOUNT_KEY_INDEXES);
    },
    postgres: async (client) => {
      await client.query(ACCOUNT_KEY_INDEXES);
    }
  }
];

/** The same statements on both stores (IF NOT EXISTS: run again on its own result it changes nothing). */
const ACCOUNT_KEY_INDEXES = `
  CREATE INDEX IF NOT EXISTS invites_created_by ON invites (created_by);
  CREATE INDEX IF NOT EXISTS auth_ceremonies_account ON auth_ceremonies (account_id);
`;

function shareRemovalTable(dialect: Dialect): string {
  const id = dialect === 'postgres' ? 'TEXT COLLATE "C"' : 'TEXT';
  const ms = dialect === 'postgres' ? 'BIGINT' : 'INTEGER';
  return `
  CREATE TABLE share_removals (
    community_id ${id} NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    organisation_id ${id} NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    removed_at ${ms} NOT NULL,
    PRIMARY KEY (community_id, organisation_id)
  );
  CREATE INDEX share_removals_organisation ON share_removals(organisation_id);
  `;
}

function shareInviteTable(dialect: Dialect): string {
  const id = dialect === 'postgres' ? 'TEXT COLLATE "C"' : 'TEXT';
  const ms = dialect === 'postgres' ? 'BIGINT' : 'INTEGER';
  return `
  CREATE TABLE share_invites (
    token_hash ${id} PRIMARY KEY,
    organisation_id ${id} NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    created_at ${ms} NOT NULL,
    expires_at ${ms} NOT NULL,
    used_at ${ms},
    used_by ${id}
  );
  CREATE INDEX share_invites_organisation ON share_invites(organisation_id);
  `;
}

/**
 * The account tables (issue 24), alike in both dialects but for the collation of sorted ids and the width of
 * epoch milliseconds. Every secret is stored as its SHA-256 (session ids, recovery codes, invite tokens,
 * ceremony ids), so a copied database signs nobody in. Memberships name their community or session by id
 * without a foreign key (one column for two tables): readers join, so a deleted target simply drops out.
 */
function accountTables(dialect: Dialect): string {
  const id = dialect === 'postgres' ? 'TEXT COLLATE "C"' : 'TEXT';
  const ms = dialect === 'postgres' ? 'BIGINT' : 'INTEGER';
  return `
  CREATE TABLE accounts (
    id ${id} PRIMARY KEY,
    name TEXT NOT NULL,
    created_at ${ms} NOT NULL
  );
  CREATE TABLE passkeys (
    credential_id ${id} PRIMARY KEY,
    account_id ${id} NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    public_key TEXT NOT NULL,
    counter ${ms} NOT NULL,
    transports TEXT NOT NULL,
    created_at ${ms} NOT NULL,
    last_used_at ${ms}
  );
  CREATE INDEX passkeys_account ON passkeys(account_id);
  CREATE TABLE recovery_codes (
    code_hash ${id} PRIMARY KEY,
    account_id ${id} NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    used_at ${ms}
  );
  CREATE INDEX recovery_codes_account ON recovery_codes(account_id);
  CREATE TABLE account_sessions (
    id_hash ${id} PRIMARY KEY,
    account_id ${id} NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at ${ms} NOT NULL,
    last_seen_at ${ms} NOT NULL,
    expires_at ${ms} NOT NULL
  );
  CREATE INDEX account_sessions_account ON account_sessions(account_id);
  CREATE INDEX account_sessions_expiry ON account_sessions(expires_at);
  CREATE TABLE external_identities (
    issuer ${id} NOT NULL,
    subject ${id} NOT NULL,
    account_id ${id} NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email TEXT,
    created_at ${ms} NOT NULL,
    PRIMARY KEY (issuer, subject)
  );
  CREATE INDEX external_identities_account ON external_identities(account_id);
  CREATE TABLE memberships (
    account_id ${id} NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind ${id} NOT NULL,
    target ${id} NOT NULL,
    role TEXT NOT NULL,
    added_at ${ms} NOT NULL,
    PRIMARY KEY (account_id, kind, target)
  );
  CREATE INDEX memberships_target ON memberships(kind, target);
  CREATE TABLE invites (
    token_hash ${id} PRIMARY KEY,
    kind ${id} NOT NULL,
    target ${id} NOT NULL,
    role TEXT NOT NULL,
    created_by ${id} REFERENCES accounts(id) ON DELETE CASCADE,
    created_at ${ms} NOT NULL,
    expires_at ${ms} NOT NULL,
    used_at ${ms},
    used_by ${id}
  );
  CREATE INDEX invites_target ON invites(kind, target);
  CREATE TABLE auth_ceremonies (
    id_hash ${id} PRIMARY KEY,
    purpose TEXT NOT NULL,
    challenge TEXT NOT NULL,
    account_id ${id} REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT,
    expires_at ${ms} NOT NULL
  );
  CREATE INDEX auth_ceremonies_expiry ON auth_ceremonies(expires_at);
  `;
}

const BOOKKEEPING: Record<Dialect, string> = {
  sqlite: 'CREATE TABLE IF NOT EXISTS store_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  postgres: 'CREATE TABLE IF NOT EXISTS store_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)'
};

function newerThanKnown(where: string, version: number, known: number): StoreUnusableError {
  return new StoreUnusableError(`${where} has schema version ${version}, newer than this server knows (${known}): run the newer server, or restore a backup.`);
}

/** Applies the migrations a SQLite database lacks, each in its own transaction (synchronous: the store opens synchronously). */
export function migrateSqlite(db: Database.Database, file: string): void {
  db.exec(BOOKKEEPING.sqlite);
  const current = (db.prepare('SELECT max(version) AS v FROM store_migrations').get() as { v: number | null }).v ?? 0;
  if (current > MIGRATIONS.length) throw newerThanKnown(`The database file ${file}`, current, MIGRATIONS.length);
  // Written before the one list: its version is in user_version, and a newer one than the baseline's steps is refused too.
  const legacy = db.pragma('user_version', { simple: true }) as number;
  if (legacy > SQLITE_BASELINE_STEPS.length) throw newerThanKnown(`The database file ${file}`, legacy, SQLITE_BASELINE_STEPS.length);
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    db.transaction(() => {
      MIGRATIONS[version - 1].sqlite(db);
      db.prepare('INSERT INTO store_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(version, MIGRATIONS[version - 1].name, Date.now());
    })();
  }
}

/**
 * Key of the advisory lock taken while migrating PostgreSQL: two processes starting at
 * once on one database migrate one after the other, never both.
 */
const MIGRATION_LOCK_KEY = 0x5eed5_0001;

/**
 * Applies the migrations a PostgreSQL database lacks, in one transaction, holding an advisory lock so
 * that two processes starting at once on one database do not both migrate: the second waits, then
 * finds nothing left to do. A database migrated by a newer version of the board is refused rather
 * than used half-understood.
 */
export async function migratePostgres(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    try {
      // A migration (or the wait for another process's) may take longer than the pool's limit for everyday statements.
      await client.query('SET LOCAL statement_timeout = 0');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await client.query(BOOKKEEPING.postgres);
      const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM store_migrations');
      const current = rows[0].v ?? 0;
      if (current > MIGRATIONS.length) throw newerThanKnown('The PostgreSQL database', current, MIGRATIONS.length);
      for (let version = current + 1; version <= MIGRATIONS.length; version++) {
        await MIGRATIONS[version - 1].postgres(client);
        await client.query('INSERT INTO store_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [version, MIGRATIONS[version - 1].name, Date.now()]);
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

/**
 * Frozen: the steps by which SQLite databases reached the baseline, recorded in `PRAGMA user_version`
 * (version N is step N - 1). Never edited; new changes are new entries of MIGRATIONS.
 */
export const SQLITE_BASELINE_STEPS: readonly string[] = [
  `
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    language TEXT NOT NULL,
    framework TEXT NOT NULL,
    anonymous INTEGER NOT NULL,
    facilitator_token_hash TEXT NOT NULL,
    phase TEXT NOT NULL,
    round INTEGER NOT NULL,
    voting_deadline INTEGER,
    settings TEXT NOT NULL,
    revealed_rounds TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_updated_at ON sessions(updated_at);
  CREATE TABLE participants (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    grp TEXT,
    language TEXT,
    joined_at INTEGER NOT NULL
  );
  CREATE INDEX participants_session ON participants(session_id);
  CREATE TABLE answers (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    round INTEGER NOT NULL,
    participant_id TEXT NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
    factor INTEGER NOT NULL,
    answer TEXT NOT NULL,
    comment TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, round, participant_id, factor)
  ) WITHOUT ROWID;
  CREATE TABLE dots (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    voter_id TEXT NOT NULL,
    action_id TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (session_id, voter_id, action_id)
  ) WITHOUT ROWID;
  CREATE TABLE yjs_updates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    data BLOB NOT NULL
  );
  CREATE INDEX yjs_updates_session ON yjs_updates(session_id, seq);
  `,
  // 2: a read-only presenter credential; the ballot box can be closed without revealing, and a countdown paused.
  `
  ALTER TABLE sessions ADD COLUMN presenter_token_hash TEXT;
  ALTER TABLE sessions ADD COLUMN voting_closed INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE sessions ADD COLUMN voting_paused_ms INTEGER;
  `,
  // 3: revealed results, frozen: what a round showed, stored in the same transaction as the
  // phase change that revealed it and never recomputed (docs/privacy.md). `ballots` are the
  // rows the CSV export may show (no ids, no join order).
  `
  CREATE TABLE revealed_results (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    round INTEGER NOT NULL,
    results TEXT NOT NULL,
    ballots TEXT NOT NULL,
    revealed_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, round)
  ) WITHOUT ROWID;
  `,
  // 4: action board structure (issue 10): the server's record of each action point; texts stay in yjs_updates.
  `
  CREATE TABLE action_points (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    factor INTEGER,
    position REAL NOT NULL,
    owner TEXT NOT NULL,
    due TEXT,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    merged_into TEXT,
    removed INTEGER NOT NULL,
    origin TEXT,
    PRIMARY KEY (session_id, id)
  ) WITHOUT ROWID;
  `,
  // 5: comments the facilitator hid from the room, by round, factor and text (identical texts are
  // indistinguishable to the room, so they are hidden together; the author is never recorded).
  `
  CREATE TABLE hidden_comments (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    round INTEGER NOT NULL,
    factor INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (session_id, round, factor, text)
  ) WITHOUT ROWID;
  `,
  // 6: learning communities (issue 14): a community credential stored only as a hash, sessions
  // linked to a community, and sessions held on paper stored as aggregates only (counts per
  // score per factor and "don't know"; nothing per person).
  `
  CREATE TABLE communities (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    framework TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  ALTER TABLE sessions ADD COLUMN community_id TEXT REFERENCES communities(id);
  CREATE INDEX sessions_community ON sessions(community_id);
  CREATE TABLE paper_sessions (
    id TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    code TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    date TEXT NOT NULL,
    factors TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX paper_sessions_community ON paper_sessions(community_id);
  `,
  // 7: the review at the start of a community's next session (issue 14): what a session said about
  // an earlier session's open action point (done, doing, dropped, carried over, with the carried
  // copy's id); and paper sessions that were imported from another server's export.json.
  `
  CREATE TABLE action_reviews (
    reviewing_session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    origin_session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    action_id TEXT NOT NULL,
    status TEXT NOT NULL,
    carried_action_id TEXT,
    reviewed_at INTEGER NOT NULL,
    PRIMARY KEY (reviewing_session_id, origin_session_id, action_id)
  ) WITHOUT ROWID;
  CREATE INDEX action_reviews_origin ON action_reviews(origin_session_id);
  ALTER TABLE paper_sessions ADD COLUMN source TEXT NOT NULL DEFAULT 'paper';
  `,
  // 8 (issue 20): bounded work per request across sessions.
  // - A paper or imported session's figures (voters, per-factor statistics, attention list), computed once when it is
  //   stored: readers never replay its dots again. Rows stored before this column are filled when the store opens
  //   (fillPaperFigures in sqlite.ts), in JavaScript, where the statistics live.
  // - "An earlier action point is decided once": at most one closing review (done, dropped, carried) per origin point,
  //   whichever session writes it, enforced by the database instead of a read in memory before the write. A database
  //   in which two sessions both closed one point (the race this closes) keeps the earliest decision; the later ones
  //   become "doing" (kept, not deleted), so the index can be built.
  `
  ALTER TABLE paper_sessions ADD COLUMN figures TEXT;
  UPDATE action_reviews SET status = 'doing'
  WHERE status IN ('done', 'dropped', 'carried') AND EXISTS (
    SELECT 1 FROM action_reviews e
    WHERE e.origin_session_id = action_reviews.origin_session_id AND e.action_id = action_reviews.action_id
      AND e.status IN ('done', 'dropped', 'carried')
      AND (e.reviewed_at < action_reviews.reviewed_at
        OR (e.reviewed_at = action_reviews.reviewed_at AND e.reviewing_session_id < action_reviews.reviewing_session_id))
  );
  CREATE UNIQUE INDEX action_reviews_decided_once ON action_reviews(origin_session_id, action_id)
    WHERE status IN ('done', 'dropped', 'carried');
  CREATE INDEX paper_sessions_latest ON paper_sessions(community_id, date, created_at, code);
  `,
  // 9 (issue 23, item 4): the IANA time zone of sessions and communities, where the group meets; every date the
  // product writes is the local day there. Rows stored before it get the product's home, Europe/Amsterdam.
  `
  ALTER TABLE sessions ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/Amsterdam';
  ALTER TABLE communities ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/Amsterdam';
  `
];

/**
 * Frozen: the steps by which PostgreSQL databases reached the baseline, recorded in `schema_migrations`
 * (version N is step N - 1). Never edited; new changes are new entries of MIGRATIONS.
 */
export const POSTGRES_BASELINE_STEPS: readonly string[] = [
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
  // take its last event; each call also drops that address's rows older than the window (server/cluster/shared-address-counts.ts).
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
