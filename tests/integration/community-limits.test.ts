/**
 * Attacks on a community's cost (issue 20): a community's key costs nothing to
 * get, so whoever holds one must not be able to make every later request of
 * that community (trends, exports, a session's room load) cost more and more.
 * Over the real server on 127.0.0.1 (SQLite, or PostgreSQL with TEST_STORE=postgres):
 * - paper and imported sessions beyond the community's cap are refused with
 *   `community_full` and nothing is stored; live sessions likewise;
 * - one address adding paper sessions fast is refused with `rate_limited`;
 * - trends.json and the exports read each paper session's stored figures: a
 *   figure changed in the database shows up in them (nothing is recomputed
 *   from the counts), and `/healthz` answers while the exports run.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CommunitySummary, CommunityTrends, CreateCommunityResponse } from '../../src/lib/protocol';
import { PAPER_MAX_COUNT } from '../../src/lib/domain/community';
import { databaseForDataDir, SQLITE_FILE_TESTS } from '../helpers/pg-test';
import { api, makeDataDir, postJson, startServer, type ErrorBody } from '../helpers/server';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function createCommunity(url: string): Promise<CreateCommunityResponse> {
  const response = await postJson<CreateCommunityResponse>(url, '/api/communities', { name: 'Greenport LC', language: 'en' });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

/** The heaviest poster the validation allows: every cell of every factor at PAPER_MAX_COUNT dots. */
const heavyPoster = (date: string) => ({
  date,
  factors: Array.from({ length: 12 }, (_, f) => ({
    number: f + 1,
    distribution: { '1': PAPER_MAX_COUNT, '2': PAPER_MAX_COUNT, '3': PAPER_MAX_COUNT, '4': PAPER_MAX_COUNT, '5': PAPER_MAX_COUNT },
    unknown: PAPER_MAX_COUNT
  }))
});

const importBody = (title: string) => ({
  session: { title, createdAt: '2026-02-01T10:00:00.000Z' },
  factors: [{ number: 1, distribution: { '1': 0, '2': 1, '3': 2, '4': 3, '5': 1 }, unknown: 0 }]
});

/** Runs `sql` on the server's database itself (the SQLite file, or its PostgreSQL database). */
async function onDatabase(dataDir: string, sql: string): Promise<void> {
  if (SQLITE_FILE_TESTS) {
    const db = new Database(path.join(dataDir, 'board.sqlite'));
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: (await databaseForDataDir(dataDir))! });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('a community cannot be made to cost more and more', () => {
  it('refuses paper and imported sessions beyond the cap with community_full, and stores nothing of them', async () => {
    const server = await startServer({ maxCommunityPaperSessions: 4 });
    const community = await createCommunity(server.url);
    const other = await createCommunity(server.url);
    const auth = bearer(community.communityToken);
    const posted = await Promise.all(
      Array.from({ length: 3 }, (_, i) => postJson(server.url, `/api/communities/${community.id}/paper-sessions`, heavyPoster(`2026-01-0${i + 1}`), auth))
    );
    expect(posted.map((r) => r.status)).toEqual([201, 201, 201]);
    // Imports count against the same cap.
    expect((await postJson(server.url, `/api/communities/${community.id}/imports`, importBody('Held elsewhere'), auth)).status).toBe(201);
    for (const attempt of [
      postJson<ErrorBody>(server.url, `/api/communities/${community.id}/paper-sessions`, heavyPoster('2026-01-09'), auth),
      postJson<ErrorBody>(server.url, `/api/communities/${community.id}/imports`, importBody('One too many'), auth)
    ]) {
      const refused = await attempt;
      expect(refused.status, refused.text).toBe(409);
      expect(refused.body.error.code).toBe('community_full');
    }
    const summary = await api<CommunitySummary>(server.url, `/api/communities/${community.id}`, { headers: auth });
    expect(summary.body.sessions.filter((s) => s.source !== 'live')).toHaveLength(4);
    // Another community has a cap of its own.
    expect((await postJson(server.url, `/api/communities/${other.id}/paper-sessions`, heavyPoster('2026-01-01'), bearer(other.communityToken))).status).toBe(
      201
    );
  });

  it('refuses live sessions of a community beyond its cap with community_full, and sessions on their own still start', async () => {
    const server = await startServer({ maxCommunitySessions: 2 });
    const community = await createCommunity(server.url);
    const auth = bearer(community.communityToken);
    const created = await Promise.all([0, 1, 2].map(() => postJson<ErrorBody>(server.url, '/api/sessions', { community: community.id }, auth)));
    expect(created.map((r) => r.status).sort()).toEqual([201, 201, 409]);
    expect(created.find((r) => r.status === 409)!.body.error.code).toBe('community_full');
    const summary = await api<CommunitySummary>(server.url, `/api/communities/${community.id}`, { headers: auth });
    expect(summary.body.sessions).toHaveLength(2);
    expect((await postJson(server.url, '/api/sessions', {})).status).toBe(201);
  });

  it('limits paper and imported sessions per address per hour, across communities, with rate_limited', async () => {
    const server = await startServer({ paperSessionsPerHour: 3 });
    const first = await createCommunity(server.url);
    const second = await createCommunity(server.url);
    const statuses: number[] = [];
    statuses.push((await postJson(server.url, `/api/communities/${first.id}/paper-sessions`, heavyPoster('2026-01-01'), bearer(first.communityToken))).status);
    statuses.push((await postJson(server.url, `/api/communities/${first.id}/imports`, importBody('Elsewhere'), bearer(first.communityToken))).status);
    statuses.push(
      (await postJson(server.url, `/api/communities/${second.id}/paper-sessions`, heavyPoster('2026-01-02'), bearer(second.communityToken))).status
    );
    const refused = await postJson<ErrorBody>(
      server.url,
      `/api/communities/${second.id}/paper-sessions`,
      heavyPoster('2026-01-03'),
      bearer(second.communityToken)
    );
    expect(statuses).toEqual([201, 201, 201]);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    const summary = await api<CommunitySummary>(server.url, `/api/communities/${second.id}`, { headers: bearer(second.communityToken) });
    expect(summary.body.sessions).toHaveLength(1);
  });

  it("builds trends.json and the exports from each paper session's stored figures, and /healthz answers while they run", async () => {
    const dataDir = await makeDataDir();
    const server = await startServer({ dataDir });
    const community = await createCommunity(server.url);
    const auth = bearer(community.communityToken);
    for (let i = 0; i < 20; i++) {
      const day = `2026-01-${String(i + 1).padStart(2, '0')}`;
      const response = await postJson(server.url, `/api/communities/${community.id}/paper-sessions`, { ...heavyPoster(day), title: `Poster ${i}` }, auth);
      expect(response.status, response.text).toBe(201);
    }
    const before = await api<CommunityTrends>(server.url, `/api/communities/${community.id}/trends.json`, { headers: auth });
    expect(before.body.sessions.map((s) => s.voters)).toEqual(Array(20).fill(6 * PAPER_MAX_COUNT));
    expect(before.body.sessions[0].factors[0].mean).toBe(3);

    // Change the stored figures of one poster behind the server's back (its counts stay): if anything recomputed
    // them from the counts, the change would not show.
    await onDatabase(
      dataDir,
      `UPDATE paper_sessions SET figures = '{"voters":4242,"factors":[{"number":1,"n":4242,"mean":1.5,"consensus":0.25,"weak":true,"divergent":true}],"attention":[1]}' WHERE title = 'Poster 7'`
    );
    const trends = await api<CommunityTrends>(server.url, `/api/communities/${community.id}/trends.json`, { headers: auth });
    const poster = trends.body.sessions.find((s) => s.title === 'Poster 7')!;
    expect(poster.voters).toBe(4242);
    expect(poster.factors[0]).toEqual({ number: 1, n: 4242, mean: 1.5, consensus: 0.25, weak: true, divergent: true });
    expect(poster.factors[1]).toEqual({ number: 2, n: 0, mean: null, consensus: null, weak: false, divergent: false });
    expect(poster.attention).toEqual([1]);
    expect(trends.body.sessions.filter((s) => s.voters === 4242)).toHaveLength(1);

    // The exports, all at once, with the health check among them.
    const [csv, md, xlsx, health] = await Promise.all([
      api(server.url, `/api/communities/${community.id}/export.csv`, { headers: auth }),
      api(server.url, `/api/communities/${community.id}/export.md`, { headers: auth }),
      fetch(`${server.url}/api/communities/${community.id}/export.xlsx`, { headers: auth }).then(async (r) => ({
        status: r.status,
        bytes: (await r.arrayBuffer()).byteLength
      })),
      api<{ ok: boolean }>(server.url, '/healthz')
    ]);
    expect(health.status).toBe(200);
    expect(health.body.ok).toBe(true);
    expect(csv.status).toBe(200);
    expect(csv.text).toContain(',4242,1,4242,1.5,0.25,true,true,true');
    expect(md.status).toBe(200);
    expect(md.text).toContain('| 4242 |');
    expect(xlsx.status).toBe(200);
    expect(xlsx.bytes).toBeGreaterThan(0);
    onTestFinished(() => server.close());
  });
});
