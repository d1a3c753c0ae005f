/**
 * Privacy after the reveal, tested as attacks (issue 12, docs/privacy.md): a
 * curious facilitator or participant with real sockets and REST tries to learn
 * one person's answers by subtraction between two results, from small numbers,
 * by linking pseudonyms to ids or order, from group breakdowns, or from timing.
 */
import { describe, expect, it } from 'vitest';
import type { Answer, JoinSessionRequest, ParticipantView, RoundResults } from '../../src/lib/protocol';
import { connectFacilitator, connectParticipant, waitFor, type BoardClient } from '../helpers/clients';
import { SqliteStore } from '../../server/store/sqlite';
import { generateToken, hashToken } from '../../server/security/tokens';
import { api, makeDataDir, startServer } from '../helpers/server';
import { advance, castBallot, setupSession, type TestSession } from '../helpers/session';
import { SQLITE_FILE_TESTS } from '../helpers/pg-test';

type Ballot = Record<number, Answer>;
const all = (answer: Answer): Ballot => Object.fromEntries(Array.from({ length: 12 }, (_, i) => [i + 1, answer]));
/** Six distinct ballots: person i scores factor f as ((i·7 + f) mod 5) + 1, factor 12 "don't know". */
const ballotOf = (i: number): Ballot =>
  Object.fromEntries(Array.from({ length: 12 }, (_, f) => [f + 1, f === 11 ? 'unknown' : ((((i * 7 + f) % 5) + 1) as Answer)]));

const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

async function exports(url: string, session: TestSession) {
  const token = session.created.facilitatorToken;
  const json = await api<Record<string, unknown>>(url, `/api/sessions/${session.code}/export.json`, auth(token));
  // One CSV table per request: the figures and the ballot rows.
  const factors = await api(url, `/api/sessions/${session.code}/export.csv?table=factors`, auth(token));
  const ballots = await api(url, `/api/sessions/${session.code}/export.csv?table=ballots`, auth(token));
  const csv = { status: Math.max(factors.status, ballots.status), text: `${factors.text}\r\n${ballots.text}` };
  const md = await api(url, `/api/sessions/${session.code}/export.md`, auth(token));
  expect([json.status, csv.status, md.status]).toEqual([200, 200, 200]);
  // What a revealed round showed: everything but the current participant count (a count of people, not of answers).
  const { participants: _count, ...revealed } = json.body;
  void _count;
  // Pseudonyms are drawn per export (see the linking attack), so they are left out of the comparison.
  return { json: JSON.stringify(revealed), csv: csv.text.replace(/^V\d+,/gm, 'V?,'), md: md.text.replace(/^- [^:]+: \d+$/m, '') };
}

/** The CSV ballot table as the facilitator downloads it, labels and all. */
async function rawCsv(url: string, session: TestSession): Promise<string> {
  const csv = await api(url, `/api/sessions/${session.code}/export.csv?table=ballots`, auth(session.created.facilitatorToken));
  expect(csv.status).toBe(200);
  return csv.text;
}

/** The ballot table of the CSV export: rows of [voter, round, answers…]. */
function ballotRows(csv: string): string[][] {
  const tables = csv.replace(/^\ufeff/, '').split('\r\n\r\n');
  const table = tables.find((t) => t.startsWith('voter,round'));
  expect(table, 'the CSV has a ballot table').toBeDefined();
  return table!
    .split('\r\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => line.split(','));
}

/** The results JSON every role holds right now: the facilitator's and each participant's, from fresh snapshots. */
async function resultsHeld(clients: BoardClient[]): Promise<string[]> {
  return Promise.all(clients.map(async (c) => JSON.stringify((await c.state()).results)));
}

async function voteAndReveal(session: TestSession, ballots: Ballot[]): Promise<RoundResults[]> {
  const { facilitator, people } = session;
  await advance(facilitator, 'voting');
  await Promise.all(ballots.map((ballot, i) => castBallot(people[i].client, ballot)));
  await advance(facilitator, 'revealed');
  const round = facilitator.snapshot.round;
  for (const { client } of people) await client.waitForEvent('results', (r) => r.some((x) => x.round === round));
  return (await facilitator.state()).results;
}

describe('privacy after the reveal (attacks)', () => {
  it('subtraction: removing people or changing settings after the reveal changes no byte of what was shown or exported', async () => {
    const dataDir = await makeDataDir();
    const server = await startServer({ dataDir });
    const session = await setupSession(server, { participants: 6 });
    const { facilitator, people } = session;
    await voteAndReveal(
      session,
      people.map((_, i) => ballotOf(i))
    );
    const watcher = people[5].client;
    const shown = (await resultsHeld([facilitator, watcher]))[0];
    expect(shown).toContain('"distribution"');
    const exported = await exports(server.url, session);
    const eventsBefore = watcher.events('results').length;

    // The attack: remove Ann after the reveal and diff the results everyone receives.
    expect((await facilitator.send('participant:remove', { participantId: people[0].joined.participantId })).ok).toBe(true);
    await watcher.waitForEvent('participantCount', (n) => n === 5);
    expect(await resultsHeld([facilitator, watcher])).toEqual([shown, shown]);
    expect(await exports(server.url, session)).toEqual(exported);
    // …then change every threshold, which used to recompute the round.
    expect((await facilitator.send('settings:update', { weakBelow: 4.5, divergentBelow: 0.95 })).ok).toBe(true);
    expect((await facilitator.send('settings:update', { minVoters: 5 })).ok).toBe(true);
    await watcher.waitForEvent('settings', (s) => s.weakBelow === 4.5);
    expect(await resultsHeld([facilitator, watcher])).toEqual([shown, shown]);
    for (const later of watcher.events('results').slice(eventsBefore)) expect(JSON.stringify(later)).toBe(shown);
    expect(await exports(server.url, session)).toEqual(exported);

    // A second round (without Ann, with the new settings) leaves round 1 as it was.
    await advance(facilitator, 'voting');
    await Promise.all(people.slice(1).map(({ client }, i) => castBallot(client, ballotOf(i + 1))));
    await advance(facilitator, 'revealed');
    const both = (await facilitator.state()).results;
    expect(both.map((r) => r.round)).toEqual([1, 2]);
    expect(JSON.stringify([both[0]])).toBe(shown);
    const twoRounds = await resultsHeld([facilitator, watcher]);

    // Removal in the action phase and in a closed session: still nothing moves, exports included.
    await advance(facilitator, 'actions');
    expect((await facilitator.send('participant:remove', { participantId: people[1].joined.participantId })).ok).toBe(true);
    await advance(facilitator, 'closed');
    const closedExport = await exports(server.url, session);
    expect((await facilitator.send('participant:remove', { participantId: people[2].joined.participantId })).ok).toBe(true);
    await watcher.waitForEvent('participantCount', (n) => n === 3);
    expect(await resultsHeld([facilitator, watcher])).toEqual(twoRounds);
    expect(await exports(server.url, session)).toEqual(closedExport);

    // What was revealed is stored as revealed: a restarted server shows the same bytes.
    await server.close();
    const again = await startServer({ dataDir });
    const facilitatorAgain = await connectFacilitator(again.url, session.code, session.created.facilitatorToken);
    const watcherAgain = await connectParticipant(again.url, session.code, people[5].joined.participantToken);
    expect(await resultsHeld([facilitatorAgain, watcherAgain])).toEqual(twoRounds);
    expect(await exports(again.url, session)).toEqual(closedExport);
  });

  it('linking: CSV pseudonyms and row order depend on nothing the facilitator receives, and change per export', async () => {
    const server = await startServer();
    const ballots = Array.from({ length: 6 }, (_, i) => ballotOf(i));
    // The same six ballots, cast by people who joined in opposite orders (so other ids, join times and order).
    const forward = await setupSession(server, { participants: 6 });
    await voteAndReveal(forward, ballots);
    const backward = await setupSession(server, { participants: 6 });
    await voteAndReveal(backward, [...ballots].reverse());

    const rowsForward = ballotRows(await rawCsv(server.url, forward));
    const rowsBackward = ballotRows(await rawCsv(server.url, backward));
    expect(rowsForward).toHaveLength(6);
    // Without the labels, the tables are identical: row order carries no id, join order or time.
    expect(rowsForward.map((r) => r.slice(1))).toEqual(rowsBackward.map((r) => r.slice(1)));

    // The attack of issue 12: sort the ids the facilitator received and map row k to the k-th id.
    const ids = (forward.facilitator.snapshot.participants ?? []).map((p) => p.id);
    const expected = new Map(forward.people.map((p, i) => [p.joined.participantId, ballots[i]]));
    for (const order of [[...ids].sort(), ids, forward.people.map((p) => p.joined.participantId)]) {
      const label = (k: number) => `V${k + 1}`;
      const byLabel = new Map(rowsForward.map((r) => [r[0], r.slice(2)]));
      const matched = order.filter((id, k) => JSON.stringify(byLabel.get(label(k))) === JSON.stringify(Object.values(expected.get(id)!).map(String)));
      expect(matched.length, 'an ordering the facilitator knows must not name every ballot').toBeLessThan(6);
    }

    // Labels are drawn afresh for every export; nothing ties V3 of one export to V3 of the next.
    const labellings = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const rows = ballotRows(await rawCsv(server.url, forward));
      labellings.add(JSON.stringify(rows.map((r) => r[0])));
    }
    expect(labellings.size).toBeGreaterThan(1);
    // And no label is anything the facilitator's screens received.
    const facilitatorSaw = JSON.stringify(forward.facilitator.received);
    for (const row of rowsForward) expect(facilitatorSaw).not.toContain(`"${row[0]}"`);
  });

  it('small numbers: a round with fewer than k voters shows no figure to anyone, with the reason', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 2 });
    const { facilitator, people } = session;
    const [round] = await voteAndReveal(session, [all(5), all(1)]);
    for (const client of [facilitator, ...people.map((p) => p.client)]) {
      const [held] = (await client.state()).results;
      expect(held).toMatchObject({ round: 1, voters: 2, withheld: 'too_few_voters', minVoters: 3, groups: [], attention: [] });
      for (const f of held.factors) expect(f).toMatchObject({ mean: null, median: null, stddev: null, consensus: null, distribution: null });
    }
    expect(round.withheld).toBe('too_few_voters');
    const { csv } = await exports(server.url, session);
    expect(ballotRows(csv)).toEqual([]);
  });

  it('small numbers: a factor scored by fewer than k people shows no figure, even in a large round', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 4 });
    // Factor 1: two scores and two "don't know"; factor 2: four scores.
    const [round] = await voteAndReveal(session, [
      { 1: 5, 2: 2 },
      { 1: 1, 2: 3 },
      { 1: 'unknown', 2: 4 },
      { 1: 'unknown', 2: 4 }
    ]);
    expect(round.withheld).toBeNull();
    expect(round.factors[0]).toMatchObject({ n: 2, unknown: 2, mean: null, distribution: null, weak: false, divergent: false });
    expect(round.factors[1]).toMatchObject({ n: 4, mean: 3.25, distribution: { '1': 0, '2': 1, '3': 1, '4': 2, '5': 0 } });
    const csvFactor1 = (await exports(server.url, session)).csv.split('\r\n')[1].split(',');
    expect(csvFactor1.slice(5, 14).every((cell) => cell === '')).toBe(true);
  });

  it('group breakdowns need k voters in the group and k outside the shown groups, with k a session setting', async () => {
    const server = await startServer();
    const g = (group: string | null, n: number): JoinSessionRequest[] => Array.from({ length: n }, (_, i) => ({ name: `${group}-${i}`, group }));

    // Three in "company" and two in "government": showing company would leave only two outside it.
    const small = await setupSession(server, { join: [...g('company', 3), ...g('government', 2)] });
    const [smallRound] = await voteAndReveal(
      small,
      small.people.map((_, i) => ballotOf(i))
    );
    expect(smallRound.groups.flatMap((x) => x.means).every((m) => m === null)).toBe(true);

    // k = 4, set before voting: a group of three is no longer shown, a group of four with four outside is.
    const strict = await setupSession(server, { join: [...g('company', 4), ...g('government', 3), ...g(null, 1)] });
    expect((await strict.facilitator.send('settings:update', { minVoters: 4 })).ok).toBe(true);
    const [strictRound] = await voteAndReveal(
      strict,
      strict.people.map((_, i) => ballotOf(i % 6))
    );
    expect(strictRound.minVoters).toBe(4);
    expect(strictRound.groups.map((x) => x.group)).toEqual(['company']);
    expect(strictRound.groups[0].means.slice(0, 11).every((m) => m !== null)).toBe(true);
    // Whoever can subtract the shown group from the whole is left with at least k people.
    expect(strictRound.voters - strictRound.groups[0].voters).toBeGreaterThanOrEqual(4);
  });

  it('k cannot be lowered while people vote under the promise of the current one', async () => {
    const server = await startServer();
    const { facilitator } = await setupSession(server, { participants: 3 });
    expect((await facilitator.send('settings:update', { minVoters: 5 })).ok).toBe(true);
    await advance(facilitator, 'voting');
    const lowered = await facilitator.send('settings:update', { minVoters: 3 });
    expect(lowered.ok).toBe(false);
    expect((await facilitator.state()).settings.minVoters).toBe(5);
    expect((await facilitator.send('settings:update', { minVoters: 6 })).ok).toBe(true);
    // k = 1 would turn the threshold off in an anonymous session.
    await advance(facilitator, 'revealed');
    expect((await facilitator.send('settings:update', { minVoters: 1 })).ok).toBe(false);
  });

  it('timing: in an anonymous session the facilitator sees counts, not who answered which factor when', async () => {
    const server = await startServer();
    const { facilitator, people } = await setupSession(server, { participants: 3 });
    await advance(facilitator, 'voting');
    // One person answers one factor at a time, while the facilitator watches.
    await castBallot(people[1].client, { 7: 2 });
    await facilitator.waitForEvent('progress', (p) => p.perFactor[6] === 1);
    await castBallot(people[2].client, { 3: 5 });
    await facilitator.waitForEvent('progress', (p) => p.perFactor[2] === 1);
    const views: ParticipantView[] = [
      ...facilitator.events('participant'),
      ...facilitator.events('participants').flat(),
      ...facilitator.events('state').flatMap((s) => s.participants ?? []),
      ...((await facilitator.state()).participants ?? [])
    ];
    expect(views.length).toBeGreaterThan(0);
    for (const view of views) expect(view.answered, `${view.name}`).toBeNull();
    expect((await facilitator.state()).progress).toMatchObject({ voted: 0, total: 3 });

    // In a named session, where answers are shown by name anyway, per-person progress stays.
    const named = await setupSession(server, { create: { anonymous: false }, participants: 1 });
    await advance(named.facilitator, 'voting');
    await castBallot(named.people[0].client, { 1: 3 });
    await waitFor(async () => (await named.facilitator.state()).participants?.[0].answered === 1);
  });

  it.runIf(SQLITE_FILE_TESTS)('a round revealed before results were frozen (an older database) is frozen once, on load, and stays', async () => {
    const dataDir = await makeDataDir();
    const token = generateToken();
    const legacy = new SqliteStore({ dataDir });
    await legacy.createSession({
      id: 'legacy',
      code: 'GREENS',
      title: 'Old',
      language: 'en',
      framework: 'seeds-of-innovation',
      anonymous: true,
      facilitatorTokenHash: hashToken(token),
      phase: 'revealed',
      round: 1,
      votingDeadline: null,
      presenterTokenHash: null,
      votingClosed: false,
      votingPausedMs: null,
      // Stored before k existed: no minVoters.
      settings: { weakBelow: 3, divergentBelow: 0.6, dotsPerPerson: 3 } as never,
      revealedRounds: [1],
      communityId: null,
      timeZone: 'Europe/Amsterdam',
      mode: 'live',
      deadline: null,
      revealAt: null,
      createdAt: Date.now(),
      updatedAt: Date.now()
    });
    for (let i = 0; i < 4; i++) {
      await legacy.addParticipant({ id: `p${i}`, sessionId: 'legacy', tokenHash: `t${i}`, name: `P${i}`, group: null, language: null, joinedAt: i });
      await legacy.saveAnswer({ sessionId: 'legacy', round: 1, participantId: `p${i}`, factor: 1, answer: (i + 1) as Answer, comment: null });
    }
    await legacy.close();

    const server = await startServer({ dataDir });
    const facilitator = await connectFacilitator(server.url, 'GREENS', token);
    const [round] = facilitator.snapshot.results;
    expect(round).toMatchObject({ round: 1, voters: 4, minVoters: 3, withheld: null });
    expect(round.factors[0]).toMatchObject({ n: 4, mean: 2.5 });
    expect((await facilitator.send('participant:remove', { participantId: 'p0' })).ok).toBe(true);
    expect(JSON.stringify((await facilitator.state()).results)).toBe(JSON.stringify([round]));
    await server.close();
    const reader = new SqliteStore({ dataDir });
    expect((await reader.loadRevealedRounds('legacy')).map((r) => r.results)).toEqual([round]);
    await reader.close();
  });
});
