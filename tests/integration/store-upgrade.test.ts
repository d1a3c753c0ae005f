/**
 * Upgrading in place (issue 20): a database written by the schema before paper
 * sessions stored their figures, with paper and imported sessions in it, opens
 * under this version with every figure filled (exactly what computing them from
 * the counts gives), every row otherwise as it was, and reviews that closed one
 * point twice (the race the new constraint closes) repaired to one decision.
 * On a real SQLite file and a real PostgreSQL database.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { MIGRATIONS, POSTGRES_BASELINE_STEPS, SQLITE_BASELINE_STEPS } from '../../server/store/migrations';
import { PostgresStore } from '../../server/store/postgres';
import { SqliteStore } from '../../server/store/sqlite';
import { FIGURES_BACKFILL_BATCH } from '../../server/store/paper-figures';
import { paperFigures, type PaperCounts } from '../../src/lib/domain/community';
import { makeDatabase, pgAdminUrl } from '../helpers/pg-test';
import { makeDataDir } from '../helpers/server';
import { fillEveryTable, readEveryTable } from '../helpers/store-fill';
import { answerRecord, communityRecord, sessionRecord } from '../helpers/store-contract';
import { TAKE_EPOCH_SQL } from '../../server/cluster/leases';

/** The migration that added the figures: everything before it is "the current schema" of main before issue 20. */
const SQLITE_BEFORE = SQLITE_BASELINE_STEPS.findIndex((m) => m.includes('ADD COLUMN figures'));
const PG_BEFORE = POSTGRES_BASELINE_STEPS.findIndex((m) => m.includes('ADD COLUMN figures'));

/** More rows than one backfill batch, so the batches are exercised. */
const PAPERS = FIGURES_BACKFILL_BATCH + 37;

function counts(i: number): PaperCounts[] {
  return Array.from({ length: 1 + (i % 12) }, (_, f) => ({
    number: f + 1,
    distribution: { '1': (i + f) % 3, '2': (i * f) % 4, '3': 1 + (f % 5), '4': (i + 2 * f) % 6, '5': i % 2 },
    unknown: (i + f) % 3
  }));
}

interface OldPaper {
  id: string;
  community_id: string;
  code: string;
  title: string;
  date: string;
  factors: string;
  created_at: number;
  source: string;
}

const oldPapers: OldPaper[] = Array.from({ length: PAPERS }, (_, i) => ({
  id: `paper-${i}`,
  community_id: 'community-1',
  code: `P${String(i).padStart(6, '0')}`,
  title: `Poster ${i} — “é” 🌱`,
  date: `20${10 + (i % 15)}-0${1 + (i % 9)}-1${i % 10}`,
  factors: JSON.stringify(counts(i)),
  created_at: 1_000 + i,
  source: i % 4 === 0 ? 'import' : 'paper'
}));

/** Two sessions that both closed point a1 of the origin session (possible before the constraint), and a "doing". */
const oldReviews = [
  ['later', 'origin', 'a1', 'done', null, 700],
  ['earlier', 'origin', 'a1', 'carried', 'copy-1', 600],
  ['earlier', 'origin', 'a2', 'doing', null, 650]
] as const;

function expectUpgraded(
  papers: { id: string; factors: unknown; figures: unknown; code: string; title: string; date: string; createdAt: number; source: string }[]
) {
  expect(papers).toHaveLength(PAPERS);
  const byId = new Map(papers.map((p) => [p.id, p]));
  for (const old of oldPapers) {
    const paper = byId.get(old.id)!;
    expect(paper).toMatchObject({ code: old.code, title: old.title, date: old.date, createdAt: old.created_at, source: old.source });
    expect(paper.factors).toEqual(JSON.parse(old.factors));
    expect(paper.figures).toEqual(paperFigures(JSON.parse(old.factors)));
  }
}

function sessionRow(id: string, createdAt: number): Record<string, unknown> {
  return {
    id,
    code: `C${id.slice(0, 5).toUpperCase()}`,
    title: id,
    language: 'nl',
    framework: 'seeds-of-innovation',
    anonymous: 1,
    facilitator_token_hash: `hash-${id}`,
    phase: 'closed',
    round: 1,
    settings: '{}',
    revealed_rounds: '[]',
    created_at: createdAt,
    updated_at: createdAt,
    community_id: 'community-1'
  };
}

describe('upgrading a database written before paper figures were stored', () => {
  it('SQLite: fills every figure at open, keeps every row, and repairs a point closed twice to its first decision', async () => {
    expect(SQLITE_BEFORE).toBeGreaterThan(0);
    const dataDir = await makeDataDir();
    const file = path.join(dataDir, 'board.sqlite');
    const db = new Database(file);
    for (let v = 0; v < SQLITE_BEFORE; v++) db.exec(SQLITE_BASELINE_STEPS[v]);
    db.pragma(`user_version = ${SQLITE_BEFORE}`);
    db.prepare(
      "INSERT INTO communities (id, name, language, framework, token_hash, created_at) VALUES ('community-1', 'Old', 'nl', 'seeds-of-innovation', 'h', 1)"
    ).run();
    const insertSession = db.prepare(
      `INSERT INTO sessions (id, code, title, language, framework, anonymous, facilitator_token_hash, phase, round, settings, revealed_rounds, created_at, updated_at, community_id)
       VALUES (@id, @code, @title, @language, @framework, @anonymous, @facilitator_token_hash, @phase, @round, @settings, @revealed_rounds, @created_at, @updated_at, @community_id)`
    );
    for (const [id, at] of [
      ['origin', 100],
      ['earlier', 200],
      ['later', 300]
    ] as const)
      insertSession.run(sessionRow(id, at));
    const insertPaper = db.prepare(
      'INSERT INTO paper_sessions (id, community_id, code, title, date, factors, created_at, source) VALUES (@id, @community_id, @code, @title, @date, @factors, @created_at, @source)'
    );
    for (const paper of oldPapers) insertPaper.run(paper);
    const insertReview = db.prepare('INSERT INTO action_reviews VALUES (?, ?, ?, ?, ?, ?)');
    for (const review of oldReviews) insertReview.run(...review);
    db.close();

    const store = new SqliteStore({ dataDir });
    onTestFinished(() => store.close());
    expectUpgraded(await store.listPaperSessions('community-1'));
    // Rows stored before time zones take the product's home, Europe/Amsterdam (issue 23, item 4).
    expect((await store.loadCommunity('community-1'))!.timeZone).toBe('Europe/Amsterdam');
    expect((await store.listCommunitySessions('community-1')).map((r) => r.timeZone)).toEqual(['Europe/Amsterdam', 'Europe/Amsterdam', 'Europe/Amsterdam']);
    const raw = new Database(file, { readonly: true });
    onTestFinished(() => void raw.close());
    expect(raw.prepare('SELECT count(*) AS n FROM paper_sessions WHERE figures IS NULL').get()).toEqual({ n: 0 });
    expect(raw.pragma('user_version', { simple: true })).toBe(SQLITE_BASELINE_STEPS.length);
    expect(raw.prepare('SELECT max(version) AS v FROM store_migrations').get()).toEqual({ v: MIGRATIONS.length });
    expect((await store.listActionReviews('community-1')).map((r) => [r.reviewingSessionId, r.actionId, r.status, r.carriedActionId])).toEqual([
      ['earlier', 'a1', 'carried', 'copy-1'],
      ['earlier', 'a2', 'doing', null],
      ['later', 'a1', 'doing', null]
    ]);
  });

  it.skipIf(pgAdminUrl() === null)(
    'PostgreSQL: fills every figure at open, keeps every row, and repairs a point closed twice to its first decision',
    async () => {
      expect(PG_BEFORE).toBeGreaterThan(0);
      const url = await makeDatabase();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
        for (let v = 0; v < PG_BEFORE; v++) {
          await client.query(POSTGRES_BASELINE_STEPS[v]);
          await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v + 1]);
        }
        await client.query(
          "INSERT INTO communities (id, name, language, framework, token_hash, created_at) VALUES ('community-1', 'Old', 'nl', 'seeds-of-innovation', 'h', 1)"
        );
        for (const [id, at] of [
          ['origin', 100],
          ['earlier', 200],
          ['later', 300]
        ] as const) {
          const row = sessionRow(id, at);
          await client.query(
            `INSERT INTO sessions (id, code, title, language, framework, anonymous, facilitator_token_hash, phase, round, settings, revealed_rounds, created_at, updated_at, community_id)
           VALUES ($1, $2, $3, $4, $5, true, $6, $7, $8, $9, $10, $11, $12, $13)`,
            [
              row.id,
              row.code,
              row.title,
              row.language,
              row.framework,
              row.facilitator_token_hash,
              row.phase,
              row.round,
              row.settings,
              row.revealed_rounds,
              row.created_at,
              row.updated_at,
              row.community_id
            ]
          );
        }
        for (const p of oldPapers) {
          await client.query(
            'INSERT INTO paper_sessions (id, community_id, code, title, date, factors, created_at, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
            [p.id, p.community_id, p.code, p.title, p.date, p.factors, p.created_at, p.source]
          );
        }
        for (const review of oldReviews) await client.query('INSERT INTO action_reviews VALUES ($1, $2, $3, $4, $5, $6)', [...review]);
      } finally {
        await client.end();
      }

      const store = await PostgresStore.open({ connectionString: url });
      onTestFinished(() => store.close());
      expectUpgraded(await store.listPaperSessions('community-1'));
      // Rows stored before time zones take the product's home, Europe/Amsterdam (issue 23, item 4).
      expect((await store.loadCommunity('community-1'))!.timeZone).toBe('Europe/Amsterdam');
      expect((await store.listCommunitySessions('community-1')).map((r) => r.timeZone)).toEqual(['Europe/Amsterdam', 'Europe/Amsterdam', 'Europe/Amsterdam']);
      const check = new pg.Client({ connectionString: url });
      await check.connect();
      try {
        expect((await check.query('SELECT count(*)::int AS n FROM paper_sessions WHERE figures IS NULL')).rows[0].n).toBe(0);
        expect((await check.query('SELECT max(version) AS v FROM schema_migrations')).rows[0].v).toBe(POSTGRES_BASELINE_STEPS.length);
        expect((await check.query('SELECT max(version) AS v FROM store_migrations')).rows[0].v).toBe(MIGRATIONS.length);
      } finally {
        await check.end();
      }
      expect((await store.listActionReviews('community-1')).map((r) => [r.reviewingSessionId, r.actionId, r.status, r.carriedActionId])).toEqual([
        ['earlier', 'a1', 'carried', 'copy-1'],
        ['earlier', 'a2', 'doing', null],
        ['later', 'a1', 'doing', null]
      ]);
    }
  );
});

/**
 * Databases written by the code of main at 4830a9e, the last before the one SQL store (issue 21), made with
 * tests/fixtures/store-at-4830a9e/make.ts: a SQLite file and a PostgreSQL dump with a row in every table.
 * Opened by this code, they are marked as at the baseline of the one migration list, their old version
 * records stay as they were, and everything that code read back reads back the same.
 */
describe('upgrading a database written by main before the one SQL store', () => {
  const fixture = path.join(import.meta.dirname, '../fixtures/store-at-4830a9e');
  const expected = JSON.parse(fs.readFileSync(path.join(fixture, 'expected.json'), 'utf8'));

  it('SQLite: a file at user_version 9 opens at the baseline with everything in it, and takes writes', async () => {
    const dataDir = await makeDataDir();
    const file = path.join(dataDir, 'board.sqlite');
    // The fixture is main's file as SQL text (sqlite3 .dump, with its user_version): made into a file again here.
    const restore = new Database(file);
    restore.exec(fs.readFileSync(path.join(fixture, 'board.sql'), 'utf8'));
    restore.close();
    const before = new Database(file, { readonly: true });
    expect(before.pragma('user_version', { simple: true })).toBe(SQLITE_BASELINE_STEPS.length);
    before.close();

    const store = new SqliteStore({ dataDir });
    onTestFinished(() => store.close());
    expect(await readEveryTable(store)).toEqual(expected);
    const raw = new Database(file, { readonly: true });
    onTestFinished(() => void raw.close());
    expect(raw.prepare('SELECT version FROM store_migrations ORDER BY version').all()).toEqual(MIGRATIONS.map((_, i) => ({ version: i + 1 })));
    expect(raw.pragma('user_version', { simple: true })).toBe(SQLITE_BASELINE_STEPS.length);
    await store.saveAnswer(answerRecord('first', 'first-bob', 5, 1));
    expect((await store.loadSession('first'))!.answers).toHaveLength(5);
  });

  it('SQLite: a file filled by this code reads back as the old one did (the fixture is not stale)', async () => {
    const store = new SqliteStore({ memory: true });
    onTestFinished(() => store.close());
    await fillEveryTable(store);
    expect(await readEveryTable(store)).toEqual(expected);
  });

  it.skipIf(pgAdminUrl() === null)(
    'PostgreSQL: a database at schema_migrations 7 opens at the baseline with everything in it, its owner epochs and address events too',
    async () => {
      const url = await makeDatabase();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(fs.readFileSync(path.join(fixture, 'postgres.sql'), 'utf8'));
      } finally {
        await client.end();
      }

      const store = await PostgresStore.open({ connectionString: url });
      onTestFinished(() => store.close());
      expect(await readEveryTable(store)).toEqual(expected);
      const check = new pg.Client({ connectionString: url });
      await check.connect();
      onTestFinished(() => check.end());
      expect((await check.query('SELECT version FROM store_migrations ORDER BY version')).rows).toEqual(MIGRATIONS.map((_, i) => ({ version: i + 1 })));
      expect((await check.query('SELECT max(version) AS v FROM schema_migrations')).rows[0].v).toBe(POSTGRES_BASELINE_STEPS.length);
      expect((await check.query('SELECT session_id, instance_url, epoch::int FROM session_owners')).rows).toEqual([
        { session_id: 'first', instance_url: 'http://instance-b', epoch: 2 }
      ]);
      expect((await check.query('SELECT kind, address FROM address_events')).rows).toEqual([{ kind: 'sessions', address: '192.0.2.1' }]);
      // Epochs go on from where the old code left them: a takeover never reuses one.
      expect(Number((await check.query(TAKE_EPOCH_SQL, ['first', 'http://instance-c'])).rows[0].epoch)).toBe(3);
      await store.saveAnswer(answerRecord('first', 'first-bob', 5, 1));
      expect((await store.loadSession('first'))!.answers).toHaveLength(5);
    }
  );
});

describe('upgrading to the figures version of the programme view (issue 25)', () => {
  it('SQLite: a file written before it, with shared communities and frozen rounds, serves the same figures after it and bumps the version from its first write', async () => {
    const dataDir = await makeDataDir();
    const file = path.join(dataDir, 'board.sqlite');
    const writer = new SqliteStore({ dataDir });
    await writer.createOrganisation({ id: 'o1', name: 'P', timeZone: 'UTC', tokenHash: 'h', createdAt: 1 });
    await writer.createCommunity({ ...communityRecord('c1'), name: 'One' });
    const results = (mean: number) =>
      ({
        round: 1,
        voters: 5,
        minVoters: 3,
        withheld: null,
        factors: [
          { number: 1, n: 5, unknown: 0, mean, median: mean, stddev: 0, consensus: 0.5, distribution: null, weak: false, divergent: false, unclear: false }
        ],
        attention: [],
        groups: [],
        comments: [],
        named: null
      }) as never;
    for (const [i, at] of [100, 200].entries()) {
      await writer.createSession(sessionRecord(`s${i}`, { communityId: 'c1', createdAt: at }));
      await writer.saveRevealedRound({ sessionId: `s${i}`, round: 1, revealedAt: at, results: results(i + 2), ballots: [] });
    }
    await writer.shareCommunity('c1', 'o1', 1);
    const figures = await writer.loadPortfolioFigures('o1');
    await writer.close();
    // The file as the code before this migration left it: no version column, no triggers, the migration not recorded.
    // Of the later ones, the programme's removals table is undone (a file of that time had none); the answers' new key
    // and the accounts' key indexes run again after it and find their work done.
    const version = MIGRATIONS.findIndex((m) => m.name.includes('figures the programme view reads')) + 1;
    expect(version).toBeGreaterThan(0);
    expect(MIGRATIONS.slice(version).map((m) => m.name)).toEqual([
      'programme consent: removals of a community by the organisation, shown to its owner',
      'answers: keyed by session and participant, belonging to the participant of that session',
      'indexes for the foreign keys of invitations and sign-in ceremonies into accounts'
    ]);
    const raw = new Database(file);
    raw.exec(`
      DROP TABLE share_removals;
      DROP TRIGGER round_figures_version; DROP TRIGGER round_figures_removed_version; DROP TRIGGER sessions_added_version;
      DROP TRIGGER sessions_removed_version; DROP TRIGGER sessions_moved_version;
      ALTER TABLE communities DROP COLUMN figures_version;
    `);
    raw.prepare('DELETE FROM store_migrations WHERE version >= ?').run(version);
    raw.close();

    const upgraded = new SqliteStore({ dataDir });
    onTestFinished(() => upgraded.close());
    const other = new SqliteStore({ dataDir });
    onTestFinished(() => other.close());
    expect(await upgraded.loadPortfolioFigures('o1')).toEqual(figures);
    expect(await other.loadPortfolioFigures('o1')).toEqual(figures);
    // A reveal after the upgrade bumps the community's version: the other handle, which parsed it at 0, reads it anew.
    await upgraded.createSession(sessionRecord('s2', { communityId: 'c1', createdAt: 300 }));
    await upgraded.saveRevealedRound({ sessionId: 's2', round: 1, revealedAt: 300, results: results(4), ballots: [] });
    expect((await other.loadPortfolioFigures('o1'))[0].rounds.map((r) => [r.revealedAt, r.factors[0].mean])).toEqual([
      [100, 2],
      [200, 3],
      [300, 4]
    ]);
  });
});
