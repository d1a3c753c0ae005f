import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
  type Generated
} from 'kysely';

/**
 * The tables as the store writes and reads them, for both dialects (./migrations.ts makes them). Booleans are
 * written as 1/0 (SQLite has no boolean; PostgreSQL's boolean columns take '1'/'0'); epoch milliseconds are numbers
 * (PostgreSQL's BIGINT is read back as a number, ./postgres.ts); JSON people were shown is text, never reformatted.
 */
export interface Schema {
  sessions: {
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
    mode: string;
    deadline: number | null;
    reveal_at: string | null;
    seeded_from: string | null;
    created_at: number;
    updated_at: number;
  };
  participants: { id: string; session_id: string; token_hash: string; name: string; grp: string | null; language: string | null; joined_at: number };
  answers: { session_id: string; round: number; participant_id: string; factor: number; answer: string; comment: string | null; updated_at: number };
  dots: { session_id: string; voter_id: string; action_id: string; count: number };
  yjs_updates: { seq: Generated<number>; session_id: string; data: Buffer };
  revealed_results: { session_id: string; round: number; results: string; ballots: string; revealed_at: number };
  action_points: {
    session_id: string;
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
  hidden_comments: { session_id: string; round: number; factor: number; text: string };
  communities: {
    id: string;
    name: string;
    language: string;
    framework: string;
    token_hash: string;
    time_zone: string;
    created_at: number;
    /** Bumped by triggers whenever what the programme view reads of the community may have changed (migrations.ts). */
    figures_version: Generated<number>;
  };
  paper_sessions: {
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
  organisations: { id: string; name: string; time_zone: string; token_hash: string; created_at: number };
  community_shares: { organisation_id: string; community_id: string; shared_at: number };
  share_removals: { community_id: string; organisation_id: string; removed_at: number };
  share_invites: { token_hash: string; organisation_id: string; created_at: number; expires_at: number; used_at: number | null; used_by: string | null };
  round_figures: {
    session_id: string;
    round: number;
    revealed_at: number;
    voters: number;
    min_voters: number | null;
    withheld: string | null;
    /** JSON: `[[number, n, mean, consensus], …]` per factor. */
    factors: string;
  };
  action_reviews: {
    reviewing_session_id: string;
    origin_session_id: string;
    action_id: string;
    status: string;
    carried_action_id: string | null;
    reviewed_at: number;
  };
  accounts: { id: string; name: string; created_at: number };
  passkeys: {
    credential_id: string;
    account_id: string;
    public_key: string;
    counter: number;
    transports: string;
    created_at: number;
    last_used_at: number | null;
  };
  recovery_codes: { code_hash: string; account_id: string; used_at: number | null };
  account_sessions: { id_hash: string; account_id: string; created_at: number; last_seen_at: number; expires_at: number };
  external_identities: { issuer: string; subject: string; account_id: string; email: string | null; created_at: number };
  /** archived_at (members migration): hidden from the account's home since then, or null. */
  memberships: { account_id: string; kind: string; target: string; role: string; added_at: number; archived_at: Generated<number | null> };
  invites: {
    token_hash: string;
    kind: string;
    target: string;
    role: string;
    created_by: string | null;
    created_at: number;
    expires_at: number;
    used_at: number | null;
    used_by: string | null;
  };
  auth_ceremonies: { id_hash: string; purpose: string; challenge: string; account_id: string | null; name: string | null; expires_at: number };
}

export type Dialect = 'sqlite' | 'postgres';

/**
 * Kysely as a query builder only: it compiles each query to the dialect's SQL and parameters, and our drivers
 * (./sqlite.ts, ./postgres.ts) run them, synchronously on better-sqlite3 inside the group commit, on a pg
 * connection otherwise. The dummy driver makes sure nothing runs through Kysely itself.
 */
export function queryBuilder(dialect: Dialect): Kysely<Schema> {
  return new Kysely<Schema>({
    dialect:
      dialect === 'sqlite'
        ? {
            createAdapter: () => new SqliteAdapter(),
            createDriver: () => new DummyDriver(),
            createIntrospector: (db) => new SqliteIntrospector(db),
            createQueryCompiler: () => new SqliteQueryCompiler()
          }
        : {
            createAdapter: () => new PostgresAdapter(),
            createDriver: () => new DummyDriver(),
            createIntrospector: (db) => new PostgresIntrospector(db),
            createQueryCompiler: () => new PostgresQueryCompiler()
          }
  });
}

export type Row = Record<string, unknown>;

/**
 * A statement of the hot path, built once and kept for the process (./sql-store.ts): its `name` is unique to its SQL
 * text, so a driver may keep it prepared per connection (PostgreSQL parses and plans a many-row upsert anew for every
 * unnamed statement, which cost about as much as the rest of a group commit).
 */
export type KeptQuery = CompiledQuery & { readonly name?: string };

/** Runs compiled statements on one connection (inside a transaction for writes); answers the rows, none without RETURNING. */
export interface Executor {
  run(query: CompiledQuery): Promise<Row[]>;
  /**
   * Runs `query` once per row of `parameters` (`width` values a row, in order), where a driver does that cheaper
   * than one many-row statement (SQLite, in process: see SqliteDriver.answerRowsPerStatement).
   */
  runEach?(query: CompiledQuery, parameters: readonly unknown[], width: number): Promise<void>;
}
