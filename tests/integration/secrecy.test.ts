import { describe, expect, it } from 'vitest';
import type { Answer, JoinSessionRequest } from '../../src/lib/protocol';
import type { BoardClient } from '../helpers/clients';
import { api, startServer } from '../helpers/server';
import { advance, castBallot, setupSession, type TestSession } from '../helpers/session';

/** Keys that only aggregates (after a reveal) or individual answers carry. */
const AGGREGATE_KEYS = ['distribution', 'mean', 'median', 'stddev', 'consensus', 'attention', 'means', 'named', 'answers', 'voters'];

interface Hit {
  path: string[];
  key?: string;
  value?: unknown;
}

/** Calls `visit` for every key and every string anywhere in `value`. */
function walk(value: unknown, visit: (hit: Hit) => void, path: string[] = []): void {
  if (typeof value === 'string') visit({ path, value });
  else if (Array.isArray(value)) value.forEach((item, i) => walk(item, visit, [...path, String(i)]));
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      visit({ path, key, value: child });
      walk(child, visit, [...path, key]);
    }
  }
}

/** The packets a client received before the reveal reached it, and after. */
function splitAtReveal(client: BoardClient): { before: unknown[]; after: unknown[] } {
  // The reveal is its results (sent first, docs/protocol.md) and then its phase.
  const index = client.packets.findIndex((packet) => {
    const data = (packet as { data?: unknown }).data;
    if (!Array.isArray(data)) return false;
    return (
      (data[0] === 'results' && Array.isArray(data[1]) && data[1].length > 0) || (data[0] === 'phase' && (data[1] as { phase?: string })?.phase === 'revealed')
    );
  });
  expect(index, 'the reveal reached this client').toBeGreaterThanOrEqual(0);
  return { before: client.packets.slice(0, index), after: client.packets.slice(index) };
}

const comment = (i: number) => `secret-comment-of-P${i + 1}`;
const GROUPS: JoinSessionRequest[] = [
  { name: 'Ann', group: 'company' },
  { name: 'Bas', group: 'company' },
  { name: 'Cor', group: 'company' },
  { name: 'Dee', group: 'government' },
  { name: 'Eef', group: 'government' },
  { name: 'Fik' }
];
const ballotOf = (i: number): Record<number, Answer> =>
  Object.fromEntries(Array.from({ length: 12 }, (_, f) => [f + 1, f === 11 ? 'unknown' : ((((i * 7 + f) % 5) + 1) as Answer)]));

async function voteAll(session: TestSession): Promise<void> {
  const { facilitator, people } = session;
  await advance(facilitator, 'voting');
  await Promise.all(people.map(({ client }, i) => castBallot(client, ballotOf(i), comment(i))));
  // Everyone has heard the final progress while voting was still open.
  const n = people.length;
  await facilitator.waitForEvent('progress', (p) => p.voted === n);
  for (const { client } of people) await client.waitForEvent('progress', (p) => p.voted === n);
  // Each participant asks for their own ballot back: it must be theirs alone.
  for (const [i, { client }] of people.entries()) {
    const own = (await client.state()).myBallot ?? {};
    expect(Object.keys(own)).toHaveLength(12);
    expect(Object.values(own).every((a) => a.comment === comment(i))).toBe(true);
  }
}

describe('ballot secrecy', () => {
  it('lets no individual score reach anyone before the reveal, and only aggregates after', async () => {
    const server = await startServer();
    const session = await setupSession(server, { join: GROUPS });
    const { code, created, facilitator, people } = session;
    await voteAll(session);

    // Nothing computed leaves over REST before the reveal either.
    const early = await api<{ factors: unknown[]; rounds: unknown[] }>(server.url, `/api/sessions/${code}/export.json`, {
      headers: { authorization: `Bearer ${created.facilitatorToken}` }
    });
    expect(early.body.factors).toEqual([]);
    expect(early.body.rounds).toEqual([]);
    const csv = await api(server.url, `/api/sessions/${code}/export.csv`, { headers: { authorization: `Bearer ${created.facilitatorToken}` } });
    for (let i = 0; i < people.length; i++) expect(csv.text).not.toContain(comment(i));
    expect(csv.text).not.toMatch(/\r\nV\d+,/);

    await advance(facilitator, 'revealed');
    for (const client of [facilitator, ...people.map((p) => p.client)]) await client.waitForEvent('results');

    for (const [i, { client, joined }] of people.entries()) {
      const { before, after } = splitAtReveal(client);
      const others = people.filter((_, j) => j !== i);
      for (const [phase, packets] of [
        ['before', before],
        ['after', after]
      ] as const) {
        walk(packets, ({ path, key, value }) => {
          const where = `${joined.name} ${phase} reveal at ${[...path, key ?? ''].join('.')}`;
          // One's own answers come back in one's snapshot, or as the `ballot` echo to one's own connections.
          const echo = (packets[Number(path[0])] as { data?: unknown[] }).data?.[0] === 'ballot';
          if (key === 'answer' || key === 'comment') expect(path.includes('myBallot') || echo, where).toBe(true);
          if (echo && key === 'comment') expect(value, where).toBe(comment(i));
          if (key === 'myBallot' && value) for (const answer of Object.values(value)) expect((answer as { comment: string }).comment, where).toBe(comment(i));
          if (key === 'participants') expect(value, where).toBeNull();
          if (phase === 'before' && key !== undefined) expect(AGGREGATE_KEYS, where).not.toContain(key);
          if (phase === 'before' && key === 'results') expect(value, where).toEqual([]);
          if (key === 'named') expect(value, where).toBeNull();
          if (typeof value === 'string') {
            // After the reveal comments are shown as discussion fuel: only as texts in a round's `comments` lists.
            const shownComment = phase === 'after' && path.includes('comments');
            for (const other of others) {
              if (!shownComment) expect(value, where).not.toContain(comment(people.indexOf(other)));
              expect(value, where).not.toBe(other.joined.participantId);
              expect(value, where).not.toBe(other.joined.name);
            }
          }
        });
      }
    }

    // The walk above saw real aggregates after the reveal, so it is not vacuous.
    expect(JSON.stringify(splitAtReveal(people[0].client).after)).toContain('"distribution"');

    const { before, after } = splitAtReveal(facilitator);
    walk([before, after], ({ path, key, value }) => {
      const where = `facilitator at ${[...path, key ?? ''].join('.')}`;
      expect(['answer', 'comment'], where).not.toContain(key);
      if (key === 'myBallot') expect(value, where).toBeNull();
      if (key === 'named') expect(value, where).toBeNull();
      if (typeof value === 'string' && !path.includes('comments')) for (let i = 0; i < people.length; i++) expect(value, where).not.toContain(comment(i));
    });
    walk(before, ({ path, key, value }) => {
      const where = `facilitator before reveal at ${[...path, key ?? ''].join('.')}`;
      if (key !== undefined) expect(AGGREGATE_KEYS, where).not.toContain(key);
      if (key === 'results') expect(value, where).toEqual([]);
    });

    // Aggregates only, with the group breakdown limited to groups of ≥ 3 voters.
    const [round] = people[5].client.events('results').at(-1)!;
    expect(round.named).toBeNull();
    expect(round.voters).toBe(6);
    expect(round.groups.map((g) => [g.group, g.voters])).toEqual([['company', 3]]);
    const companyMean = (f: number) => [0, 1, 2].reduce((sum, i) => sum + (ballotOf(i)[f] as number), 0) / 3;
    expect(round.groups[0].means.slice(0, 11)).toEqual(Array.from({ length: 11 }, (_, f) => expect.closeTo(companyMean(f + 1), 3)));
    expect(round.groups[0].means[11]).toBeNull();
    expect(round.factors[11]).toMatchObject({ n: 0, unknown: 6 });
    // Every factor's comments, as texts only, sorted (so their order says nothing about who wrote first).
    const texts = people.map((_, i) => comment(i)).sort();
    expect(round.comments).toEqual(Array.from({ length: 12 }, () => texts));
  });

  it('shows names with answers after the reveal in a named session, and nothing before', async () => {
    const server = await startServer();
    const session = await setupSession(server, { create: { anonymous: false }, join: GROUPS.slice(0, 3) });
    const { facilitator, people } = session;
    expect(facilitator.snapshot.anonymous).toBe(false);
    await voteAll(session);
    for (const client of [facilitator, ...people.map((p) => p.client)]) {
      walk(client.packets, ({ key, value }) => {
        if (key === 'named') expect(value).toBeNull();
        if (key === 'results') expect(value).toEqual([]);
      });
    }
    await advance(facilitator, 'revealed');
    for (const client of [facilitator, ...people.map((p) => p.client)]) {
      const [round] = await client.waitForEvent('results');
      expect(round.named).not.toBeNull();
      const named = [...(round.named ?? [])].sort((a, b) => a.name.localeCompare(b.name));
      expect(named).toEqual(
        GROUPS.slice(0, 3).map((g, i) => ({ name: g.name, group: g.group ?? null, answers: Array.from({ length: 12 }, (_, f) => ballotOf(i)[f + 1]) }))
      );
    }
    // Comments are shown without their authors even in a named session: only as texts per factor, sorted.
    for (const { client } of people) {
      const [round] = client.events('results').at(-1)!;
      expect(round.comments).toEqual(Array.from({ length: 12 }, () => people.map((_, i) => comment(i)).sort()));
      for (const row of round.named ?? []) expect(Object.keys(row).sort()).toEqual(['answers', 'group', 'name']);
    }
  });
});
