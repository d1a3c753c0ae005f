/**
 * A room at the protocol level over the in-memory socket pair (tests/helpers/memory-socket.ts): the real live
 * session, registry, command registry and connection code (server/realtime/connection.ts) on the real store in
 * memory, without HTTP or socket.io, where the transport is not what is tested. Moved here from
 * tests/integration/room.test.ts, voting.test.ts and presence-and-phase.test.ts; what stays there drives real
 * sockets (links, the presenter's read-only socket, one person's echo over two sockets, the deadline, limits,
 * silent connections, and every command over socket.io at least once).
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadFrameworks } from '../../server/content';
import { exportData } from '../../server/exports/session';
import { SessionRegistry } from '../../server/sessions/registry';
import { SqliteStore } from '../../server/store/sqlite';
import type { FactorStats } from '../../src/lib/domain/statistics';
import type { Answer, Phase } from '../../src/lib/protocol';
import { waitFor } from '../helpers/clients';
import { MemorySockets, type MemoryClient } from '../helpers/memory-socket';
import type { LiveSessions } from '../../server/realtime/connection';

const frameworks = loadFrameworks(fileURLToPath(new URL('../../content', import.meta.url)));
const open: SessionRegistry[] = [];
afterEach(() => open.splice(0).forEach((registry) => registry.close()));

/** A session with its facilitator and `participants` people connected over the in-memory pair. */
async function setupSession(participants: number, anonymous = true) {
  const sockets = new MemorySockets();
  const registry = new SessionRegistry({ store: new SqliteStore({ memory: true }), frameworks, fanout: sockets.fanout });
  open.push(registry);
  const created = await registry.create({ anonymous });
  const live = created.room!;
  const facilitator = await sockets.connect(registry, created.code, created.facilitatorToken);
  const people = [];
  for (let i = 1; i <= participants; i++) {
    const joined = await live.join({ name: `P${i}`, group: null, language: null }, 100);
    people.push({ participantId: joined.participant.id, client: await sockets.connect(registry, created.code, joined.token) });
  }
  return { live, facilitator, people };
}

/** Casts every answer of one person (factor number → answer) and fails on any refusal. */
async function castBallot(client: MemoryClient, answers: Record<number, Answer>): Promise<void> {
  const acks = await Promise.all(Object.entries(answers).map(([factor, answer]) => client.send('vote', { factor: Number(factor), answer })));
  const refused = acks.find((ack) => !ack.ok);
  if (refused && !refused.ok) throw new Error(`vote refused: ${refused.error.code} ${refused.error.message}`);
}

async function advance(facilitator: MemoryClient, ...phases: Phase[]): Promise<void> {
  for (const phase of phases) {
    const ack = await facilitator.send('phase:set', { phase });
    if (!ack.ok) throw new Error(`phase:set ${phase} refused: ${ack.error.code} ${ack.error.message}`);
  }
}

describe('rounds agree with the server', () => {
  it('never lets an answer for one round land in another, and starts every screen of round 2 empty', async () => {
    // Named: the facilitator's per-person counts, read below, exist only there (docs/privacy.md).
    const { live, facilitator, people } = await setupSession(2, false);
    const [ann] = people;
    await advance(facilitator, 'voting');
    for (let factor = 1; factor <= 12; factor++) expect((await ann.client.send('vote', { factor, answer: 4, round: 1 })).ok).toBe(true);
    await facilitator.waitForEvent('participants', (views) => views.some((v) => v.id === ann.participantId && v.answered === 12));
    await advance(facilitator, 'revealed', 'voting');

    // The round-1 answer that was still on its way (an offline phone) is refused, and nothing is stored.
    const late = await ann.client.send('vote', { factor: 1, answer: 2, round: 1 });
    expect(late.ok ? 'ok' : late.error.code).toBe('wrong_round');
    const mine = await ann.client.state();
    expect(mine.round).toBe(2);
    expect(mine.myBallot).toEqual({});
    expect(mine.progress).toMatchObject({ voted: 0, total: 2 });
    // The facilitator's per-person counts start again with the round, and agree with the overall count.
    const views = await facilitator.waitForEvent('participants', (list) => list.length === 2 && list.every((v) => v.answered === 0));
    expect(views.map((v) => v.answered)).toEqual([0, 0]);
    expect((await facilitator.state()).progress.voted).toBe(0);

    expect((await ann.client.send('vote', { factor: 1, answer: 5, round: 2 })).ok).toBe(true);
    // What export.json is built from.
    expect((await exportData(live)).rounds.map((r) => [r.round, r.voters])).toEqual([[1, 1]]);
  });
});

describe('results and phases over the protocol', () => {
  it('computes the statistics of a known ballot set', async () => {
    const { facilitator, people } = await setupSession(5);
    await advance(facilitator, 'voting');
    const ballots: Record<number, Answer>[] = [{ 1: 1, 2: 3, 3: 1, 4: 5 }, { 1: 2, 2: 3, 3: 1 }, { 1: 4, 2: 3, 3: 2 }, { 1: 5, 2: 'unknown', 3: 5 }, {}];
    await Promise.all(ballots.map((ballot, i) => castBallot(people[i].client, ballot)));
    await advance(facilitator, 'revealed');
    const [round] = await people[4].client.waitForEvent('results');
    expect(round.round).toBe(1);
    expect(round.voters).toBe(4);
    expect(round.named).toBeNull();
    const f = (n: number): FactorStats => round.factors[n - 1];

    // Factor 1: 1, 2, 4, 5 → mean 3, median (2 + 4) / 2, population sd √((4+1+1+4)/4).
    expect(f(1)).toMatchObject({
      n: 4,
      unknown: 0,
      mean: 3,
      median: 3,
      distribution: { '1': 1, '2': 1, '3': 0, '4': 1, '5': 1 },
      weak: false,
      divergent: true
    });
    expect(f(1).stddev).toBeCloseTo(Math.sqrt(10 / 4), 3);
    expect(f(1).consensus).toBeCloseTo(1 + 0.25 * (2 * Math.log2(1 - 2 / 4) + 2 * Math.log2(1 - 1 / 4)), 3);
    // Factor 2: 3, 3, 3 and one "don't know" → full consensus.
    expect(f(2)).toMatchObject({ n: 3, unknown: 1, mean: 3, median: 3, stddev: 0, consensus: 1, weak: false, divergent: false });
    // Factor 3: 1, 1, 2, 5 → mean 2.25, median 1.5.
    expect(f(3)).toMatchObject({ n: 4, mean: 2.25, median: 1.5, weak: true, divergent: true });
    expect(f(3).stddev).toBeCloseTo(Math.sqrt((2 * 1.25 ** 2 + 0.25 ** 2 + 2.75 ** 2) / 4), 3);
    expect(f(3).consensus).toBeCloseTo(1 + 0.5 * Math.log2(1 - 1.25 / 4) + 0.25 * Math.log2(1 - 0.25 / 4) + 0.25 * Math.log2(1 - 2.75 / 4), 3);
    // Factor 4: a single score in an anonymous session (k = 3) shows its count only (issue 12; was mean 5, consensus 1).
    expect(f(4)).toMatchObject({ n: 1, mean: null, median: null, stddev: null, consensus: null, distribution: null, weak: false, divergent: false });
    // Factor 5: nobody → nulls.
    expect(f(5)).toMatchObject({ n: 0, unknown: 0, mean: null, median: null, stddev: null, consensus: null, weak: false, divergent: false });
    // Attention: weakest mean first.
    expect(round.attention.map((a) => a.number)).toEqual([3, 1]);
  });

  it('refuses invalid transitions with invalid_transition', async () => {
    const { facilitator } = await setupSession(0);
    const refused = async (phase: 'lobby' | 'voting' | 'revealed' | 'actions' | 'closed') => {
      const ack = await facilitator.send('phase:set', { phase });
      return ack.ok ? 'ok' : ack.error.code;
    };
    expect(await refused('revealed')).toBe('invalid_transition');
    expect(await refused('actions')).toBe('invalid_transition');
    expect(await refused('lobby')).toBe('invalid_transition');
    await advance(facilitator, 'voting');
    expect(await refused('actions')).toBe('invalid_transition');
    expect(await refused('lobby')).toBe('invalid_transition');
    expect(await refused('voting')).toBe('invalid_transition');
    await advance(facilitator, 'revealed', 'actions');
    expect(await refused('voting')).toBe('invalid_transition');
    await advance(facilitator, 'closed');
    for (const phase of ['lobby', 'voting', 'revealed', 'actions', 'closed'] as const) expect(await refused(phase)).toBe('invalid_transition');
    expect((await facilitator.state()).phase).toBe('closed');

    const bad = await facilitator.sendRaw('phase:set', { phase: 'party' });
    expect(bad.ok ? null : bad.error.code).toBe('bad_request');
  });
});

describe('the server is the clock', () => {
  it('stamps every clock change with its own time, and the facilitator steers it without revealing', async () => {
    const { facilitator, people } = await setupSession(1);
    const [ann] = people;
    const sync = await ann.client.send('clock:sync', {});
    expect(sync.ok && Math.abs(sync.data.serverNow - Date.now()) < 5000).toBe(true);

    const opened = await facilitator.send('phase:set', { phase: 'voting', countdownSeconds: 120 });
    if (!opened.ok) throw new Error(opened.error.message);
    expect(opened.data.votingDeadline! - opened.data.serverNow).toBeGreaterThan(119_000);
    expect(opened.data.votingDeadline! - opened.data.serverNow).toBeLessThanOrEqual(120_000);

    const paused = await facilitator.send('voting:control', { action: 'pause' });
    expect(paused.ok && paused.data.votingDeadline === null && paused.data.votingPausedMs! > 100_000).toBe(true);
    const participantView = await ann.client.waitForEvent('phase', (p) => p.votingPausedMs !== null);
    expect(participantView.votingDeadline).toBeNull();
    const resumed = await facilitator.send('voting:control', { action: 'resume' });
    expect(resumed.ok && resumed.data.votingDeadline! - resumed.data.serverNow > 100_000).toBe(true);
    const extended = await facilitator.send('voting:control', { action: 'extend', seconds: 60 });
    expect(extended.ok && extended.data.votingDeadline! - extended.data.serverNow > 160_000).toBe(true);

    const closed = await facilitator.send('voting:control', { action: 'close' });
    expect(closed.ok && closed.data).toMatchObject({ phase: 'voting', votingClosed: true, votingDeadline: null });
    const refused = await ann.client.send('vote', { factor: 1, answer: 3, round: 1 });
    expect(refused.ok ? 'ok' : refused.error.code).toBe('voting_closed');
    expect((await ann.client.state()).results).toEqual([]);
    await facilitator.send('voting:control', { action: 'reopen' });
    expect((await ann.client.send('vote', { factor: 1, answer: 3, round: 1 })).ok).toBe(true);
    const participantRefused = await ann.client.send('voting:control', { action: 'close' });
    expect(participantRefused.ok ? 'ok' : participantRefused.error.code).toBe('forbidden');
  });
});

describe('the connection over the pair', () => {
  it('answers an unknown event and a second payload with typed refusals, and a removed person is disconnected', async () => {
    const { facilitator, people } = await setupSession(2);
    const [ann, bo] = people;
    expect(await ann.client.sendRaw('no:such', {})).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await ann.client.sendRaw('vote', { factor: 1, answer: 3 }, 'extra')).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect((await facilitator.send('participant:remove', { participantId: ann.participantId })).ok).toBe(true);
    expect(await ann.client.waitForEvent('removed')).toBeUndefined();
    await waitFor(() => !ann.client.connected, { message: 'the connection closed' });
    await expect(ann.client.send('state:request', {})).rejects.toThrow('not connected');
    expect((await bo.client.state()).participantCount).toBe(1);
  });
});

describe('a connection that closes while its session is being found', () => {
  it('is not served once the session is there: the person is not left counted as present', async () => {
    const sockets = new MemorySockets();
    const registry = new SessionRegistry({ store: new SqliteStore({ memory: true }), frameworks, fanout: sockets.fanout });
    open.push(registry);
    const created = await registry.create({ anonymous: true });
    const live = created.room!;
    const joined = await live.join({ name: 'Bo', group: null, language: null }, 100);
    const identity = live.authenticate(joined.token)!;
    // The lookup waits (a room loading from the store) until the connection has closed.
    let found!: () => void;
    const loading = new Promise<void>((resolve) => (found = resolve));
    const slow: LiveSessions = { get: (code) => loading.then(() => registry.get(code)) };
    const client = await sockets.connect(registry, created.code, joined.token, { served: slow, waitForState: false });
    await client.close();
    found();
    // Every reaction to the lookup has run once the next turn of the event loop comes (microtasks go first).
    await new Promise((resolve) => setImmediate(resolve));
    expect(live.connectionsOf(identity)).toBe(0);
    expect(client.events('state')).toEqual([]);
  });
});
