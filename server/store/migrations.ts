/**
 * Versioned schema migrations, applied in order inside one transaction each.
 * `PRAGMA user_version` records how far a database file has come.
 */
export const MIGRATIONS: readonly string[] = [
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
