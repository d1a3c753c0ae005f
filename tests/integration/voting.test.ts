import { describe, expect, it } from 'vitest';
import type { Progress } from '../../src/lib/protocol';
import { SqliteStore } from '../../server/store/sqlite';
import { waitFor, type BoardClient } from '../helpers/clients';
import { makeDataDir, startServer } from '../helpers/server';
import { advance, castBallot, setupSession } from '../helpers/session';
import { SQLITE_FILE_TESTS } from '../helpers/pg-test';

const FACTORS = Array.from({ length: 12 }, (_, i) => i + 1);

async function facilitatorView(facilitator: BoardClient): Promise<{ progress: Progress; answered: number[] }> {
  const state = await facilitator.state();
  return { progress: state.progress, answered: (state.participants ?? []).map((p) => p.answered ?? -1).sort() };
}

describe('voting', () => {
  it('takes 30 complete ballots cast at once', async () => {
    const server = await startServer({ codeGuessesPerMinute: 0 });
    const { facilitator, people } = await setupSession(server, { participants: 30 });
    await advance(facilitator, 'voting');

    const acks = await Promise.all(
      people.flatMap(({ client }, p) => FACTORS.map((factor) => client.send('vote', { factor, answer: (((p + factor) % 5) + 1) as 1 | 2 | 3 | 4 | 5 })))
    );
    expect(acks).toHaveLength(360);
    for (const ack of acks) expect(ack.ok).toBe(true);
    const counts = acks.map((ack) => (ack.ok ? ack.data.answered : 0));
    expect(Math.max(...counts)).toBe(12);

    await facilitator.waitForEvent('progress', (p) => p.voted === 30 && p.total === 30);
    const { progress } = await facilitatorView(facilitator);
    expect(progress).toEqual({ voted: 30, total: 30, perFactor: FACTORS.map(() => 30) });
    // Participants hear the counts too (coalesced), never scores.
    await people[0].client.waitForEvent('progress', (p) => p.voted === 30);

    await advance(facilitator, 'revealed');
    const [round] = facilitator.events('results').at(-1)!;
    expect(round.voters).toBe(30);
    for (const stats of round.factors) expect(stats.n).toBe(30);
  });

  it('refuses votes outside the voting phase', async () => {
    const server = await startServer();
    // Named: one voter's figures are shown only where no k applies (docs/privacy.md).
    const { facilitator, people } = await setupSession(server, { create: { anonymous: false }, participants: 1 });
    const client = people[0].client;
    const code = async (answer: 1 | 2 | 3 | 4 | 5 = 5) => {
      const ack = await client.send('vote', { factor: 1, answer });
      return ack.ok ? 'ok' : ack.error.code;
    };
    expect(await code()).toBe('wrong_phase');
    await advance(facilitator, 'voting');
    expect(await code(3)).toBe('ok');
    await advance(facilitator, 'revealed');
    expect(await code()).toBe('wrong_phase');
    await advance(facilitator, 'actions');
    expect(await code()).toBe('wrong_phase');
    await advance(facilitator, 'closed');
    expect(await code()).toBe('wrong_phase');
    expect((await client.state()).myBallot).toEqual({ 1: { answer: 3, comment: null } });
    expect((await facilitator.state()).results[0].factors[0].distribution).toEqual({ '1': 0, '2': 0, '3': 1, '4': 0, '5': 0 });

    const asFacilitator = await facilitator.send('vote', { factor: 1, answer: 3 });
    expect(asFacilitator.ok ? 'ok' : asFacilitator.error.code).toBe('forbidden');
  });

  it('refuses bad payloads with a typed ack and changes nothing', async () => {
    const server = await startServer();
    const { facilitator, people } = await setupSession(server, { participants: 2 });
    const client = people[0].client;
    await advance(facilitator, 'voting');
    await castBallot(client, { 1: 2 });
    const before = await facilitatorView(facilitator);
    const ownBefore = (await client.state()).myBallot;

    const cases: [unknown, string][] = [
      [{ factor: 0, answer: 3 }, 'bad_request'],
      [{ factor: 13, answer: 3 }, 'not_found'],
      [{ factor: 41, answer: 3 }, 'bad_request'],
      [{ factor: 1.5, answer: 3 }, 'bad_request'],
      [{ factor: 'x', answer: 3 }, 'bad_request'],
      [{ factor: '1', answer: 3 }, 'bad_request'],
      [{ factor: 1, answer: 6 }, 'bad_request'],
      [{ factor: 1, answer: 0 }, 'bad_request'],
      [{ factor: 1, answer: '3' }, 'bad_request'],
      [{ factor: 1, answer: 'maybe' }, 'bad_request'],
      [{ factor: 1 }, 'bad_request'],
      [{ factor: 1, answer: 3, comment: 'x'.repeat(501) }, 'bad_request'],
      [{ factor: 1, answer: 3, comment: 42 }, 'bad_request'],
      [{ factor: 1, answer: 3, participantId: people[1].joined.participantId }, 'bad_request'],
      [null, 'bad_request'],
      [[1, 3], 'bad_request'],
      ['vote', 'bad_request'],
      [undefined, 'bad_request']
    ];
    for (const [payload, code] of cases) {
      const ack = await client.sendRaw('vote', payload);
      expect(ack.ok, JSON.stringify(payload)).toBe(false);
      if (!ack.ok) expect(ack.error.code, JSON.stringify(payload)).toBe(code);
    }
    // Bad input without an ack callback: no answer, no change, no crash.
    client.emitNoAck('vote', { factor: 0, answer: 9 });
    client.emitNoAck('vote', null);
    client.emitNoAck('vote');
    client.emitNoAck('no-such-event', { factor: 1, answer: 5 });

    expect(await facilitatorView(facilitator)).toEqual(before);
    expect((await client.state()).myBallot).toEqual(ownBefore);
    expect((await people[1].client.state()).myBallot).toEqual({});
    expect(client.socket.connected).toBe(true);
  });

  it('rate-limits a flood of commands without losing the connection', async () => {
    const server = await startServer();
    const { facilitator, people } = await setupSession(server, { participants: 1 });
    const client = people[0].client;
    await advance(facilitator, 'voting');
    const acks = await Promise.all(Array.from({ length: 150 }, (_, i) => client.send('vote', { factor: (i % 12) + 1, answer: 3 })));
    const codes = acks.map((ack) => (ack.ok ? 'ok' : ack.error.code));
    expect(codes.filter((c) => c === 'rate_limited').length).toBeGreaterThan(0);
    expect(codes.filter((c) => c !== 'ok' && c !== 'rate_limited')).toEqual([]);
    expect(client.socket.connected).toBe(true);
    // After a pause the bucket refills (poll until a command is accepted again).
    await waitFor(async () => (await client.send('vote', { factor: 1, answer: 4 })).ok, { message: 'accepted again' });
    expect((await facilitator.state()).progress.voted).toBe(1);
  });

  it('keeps the last write and shows one own ballot back', async () => {
    const server = await startServer();
    // Named: one voter's figures are shown only where no k applies (docs/privacy.md).
    const { facilitator, people } = await setupSession(server, { create: { anonymous: false }, participants: 1 });
    const client = people[0].client;
    await advance(facilitator, 'voting');
    expect(await client.send('vote', { factor: 2, answer: 1, comment: 'first' })).toEqual({ ok: true, data: { factor: 2, answered: 1 } });
    expect(await client.send('vote', { factor: 2, answer: 5 })).toEqual({ ok: true, data: { factor: 2, answered: 1 } });
    expect((await client.state()).myBallot).toEqual({ 2: { answer: 5, comment: 'first' } });
    await client.send('vote', { factor: 2, answer: 'unknown', comment: null });
    await client.send('vote', { factor: 2, answer: 4, comment: '  ' });
    expect((await client.state()).myBallot).toEqual({ 2: { answer: 4, comment: null } });
    await advance(facilitator, 'revealed');
    const results = (await facilitator.state()).results;
    expect(results[0].factors[1]).toMatchObject({ n: 1, unknown: 0, mean: 4, distribution: { '1': 0, '2': 0, '3': 0, '4': 1, '5': 0 } });
  });

  it.runIf(SQLITE_FILE_TESTS)('has an acknowledged vote on disk before the ack arrives', async () => {
    const dataDir = await makeDataDir();
    const server = await startServer({ dataDir });
    const { code, facilitator, people } = await setupSession(server, { participants: 1 });
    await advance(facilitator, 'voting');
    const ack = await people[0].client.send('vote', { factor: 8, answer: 2, comment: 'reputation' });
    expect(ack.ok).toBe(true);
    // A second connection to the same database (as after a kill) sees the committed answer at once.
    const reader = new SqliteStore({ dataDir });
    try {
      const id = await reader.findSessionIdByCode(code);
      const loaded = await reader.loadSession(id!);
      expect(loaded?.session.phase).toBe('voting');
      expect(loaded?.answers).toEqual([
        expect.objectContaining({ participantId: people[0].joined.participantId, round: 1, factor: 8, answer: 2, comment: 'reputation' })
      ]);
    } finally {
      await reader.close();
    }
  });

  it('starts a second round with empty ballots and keeps round 1', async () => {
    const server = await startServer();
    // Named: per-person counts and one-voter figures are shown only where no k applies (docs/privacy.md).
    const { code, created, facilitator, people } = await setupSession(server, { create: { anonymous: false }, participants: 2 });
    await advance(facilitator, 'voting');
    await castBallot(people[0].client, { 1: 1, 2: 2 });
    await castBallot(people[1].client, { 1: 3 });
    await advance(facilitator, 'revealed');
    const roundOne = (await facilitator.state()).results;
    expect(roundOne).toHaveLength(1);

    const again = await facilitator.send('phase:set', { phase: 'voting' });
    expect(again).toEqual({
      ok: true,
      data: { phase: 'voting', round: 2, votingDeadline: null, votingClosed: false, votingPausedMs: null, serverNow: expect.any(Number) }
    });
    await people[0].client.waitForEvent('phase', (p) => p.round === 2);
    const mine = await people[0].client.state();
    expect(mine.round).toBe(2);
    expect(mine.myBallot).toEqual({});
    expect(mine.progress).toEqual({ voted: 0, total: 2, perFactor: FACTORS.map(() => 0) });
    expect((await facilitator.state()).participants?.map((p) => p.answered)).toEqual([0, 0]);

    await castBallot(people[0].client, { 1: 5 });
    await advance(facilitator, 'revealed');
    const results = (await facilitator.state()).results;
    expect(results.map((r) => r.round)).toEqual([1, 2]);
    expect(results[0]).toEqual(roundOne[0]);
    expect(results[1].voters).toBe(1);
    expect(results[1].factors[0]).toMatchObject({ n: 1, mean: 5 });
    await waitFor(() => people[1].client.events('results').some((r) => r.length === 2));

    const exported = await fetch(`${server.url}/api/sessions/${code}/export.json`, { headers: { authorization: `Bearer ${created.facilitatorToken}` } });
    const body = (await exported.json()) as { round: number; rounds: { round: number }[] };
    expect(body.round).toBe(2);
    expect(body.rounds.map((r) => r.round)).toEqual([1, 2]);
  });
});
