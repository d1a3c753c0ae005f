/**
 * Seeded fuzzing of every socket.io event by a participant: random, malformed,
 * huge, deeply nested, binary and prototype-polluting payloads, odd or missing
 * ack callbacks, unknown events and raw packets. The server must stay up,
 * answer every acked command with a typed error (bad_request for bad input),
 * and the session must be exactly as before, except for what the fuzzer's own
 * accepted (valid) commands legitimately changed.
 */
import { describe, expect, it } from 'vitest';
import { addPoint } from '../helpers/board';
import { PHASES } from '../../src/lib/domain/phases';
import type { ExportJson } from '../../src/lib/domain/export';
import { type CommandName, type DotState, type OwnAnswer, type Phase, type SessionSnapshot } from '../../src/lib/protocol';
import { connectParticipant, waitFor } from '../helpers/clients';
import { fuzzBudget, fuzzSeed, fuzzTimeout, Rng } from '../helpers/fuzz';
import { api, getExport, startServer } from '../helpers/server';
import { advance, castBallot, setupSession, type TestSession } from '../helpers/session';
import { fuzzSocket, type Accepted } from '../helpers/socket-fuzz';

const RELAXED = { commandsPerSecond: 1e6, commandBurst: 1e6, yjsMessagesPerSecond: 1e6, yjsBurst: 1e6 };

/** What the facilitator sees, without presence (the fuzzer reconnects on purpose). */
function facilitatorView(snapshot: SessionSnapshot) {
  const { phase, round, votingDeadline, settings, participantCount, progress, results, dots } = snapshot;
  const participants = (snapshot.participants ?? []).map(({ connected: _connected, ...rest }) => rest);
  return { phase, round, votingDeadline, settings, participantCount, progress, results, dotTotals: dots.totals, participants };
}

/** Brings a session with three participants (the last one fuzzes) to `phase`, with ballots, results and dots on the way. */
async function prepare(phase: Phase) {
  const server = await startServer({ limits: RELAXED, codeGuessesPerMinute: 0 });
  const session = await setupSession(server, { participants: 3 });
  const [voter, partial] = session.people;
  const steps: Phase[] = { lobby: [], voting: ['voting'], revealed: ['voting', 'revealed'], actions: ['voting', 'revealed', 'actions'], closed: ['closed'] }[
    phase
  ] as Phase[];
  const actionIds: string[] = [];
  for (const step of steps) {
    await advance(session.facilitator, step);
    if (step === 'voting') {
      await castBallot(voter.client, { 1: 2, 2: 3, 3: 4, 4: 5, 5: 1, 6: 2, 7: 3, 8: 4, 9: 5, 10: 'unknown', 11: 1, 12: 2 }, 'fine');
      await castBallot(partial.client, { 1: 5, 7: 'unknown' });
    }
    if (step === 'actions') {
      actionIds.push(await addPoint(session.facilitator, 1, 'First'), await addPoint(voter.client, 7, 'Second'));
      await waitFor(async () => (await exported(server.url, session)).actions.length === 2, { message: 'actions stored' });
      expect((await voter.client.send('dot:cast', { actionId: actionIds[0], delta: 1 })).ok).toBe(true);
    }
  }
  return { server, session, actionIds };
}

async function exported(url: string, session: TestSession): Promise<ExportJson> {
  return (await getExport<ExportJson>(url, session.code, session.created.facilitatorToken)).body;
}

/** The fuzzer's ballot after its accepted votes, in the order the server applied them. */
function expectedBallot(accepted: Accepted[]): Record<number, OwnAnswer> {
  const ballot: Record<number, OwnAnswer> = {};
  for (const { name, payload } of accepted) {
    if (name !== 'vote') continue;
    const { factor, answer, comment } = payload as { factor: number; answer: OwnAnswer['answer']; comment?: string | null };
    if (factor > 12) continue;
    const previous = ballot[factor]?.comment ?? null;
    // As docs/protocol.md says: line breaks become \n, other control characters (tab aside) spaces, then trimmed.
    const clean = (text: string) =>
      text
        .replace(/\r\n?/g, '\n')
        .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ')
        .trim() || null;
    ballot[factor] = { answer, comment: comment === undefined ? previous : comment === null ? null : clean(comment) };
  }
  return ballot;
}

const MINIMUM = 201;
const BUDGET = fuzzBudget(5000, 3000, MINIMUM);

describe('socket.io fuzzing', () => {
  it.each(['voting', 'revealed', 'actions'] as const)(
    'survives hostile input from a participant in %s and changes nothing it may not',
    async (phase) => {
      const seed = fuzzSeed(`socket.io in ${phase}`);
      const { server, session, actionIds } = await prepare(phase);
      const [voter, partial, fuzzer] = session.people;
      const before = facilitatorView(await session.facilitator.state());
      const ballotsBefore = [await voter.client.state(), await partial.client.state()].map((s) => s.myBallot);
      const boardBefore = (await session.facilitator.state()).actions;
      const ids = [...session.people.map((p) => p.joined.participantId), ...actionIds];
      fuzzer.client.close();

      const rng = new Rng(seed);
      const report = await fuzzSocket(
        {
          url: server.url,
          code: session.code,
          token: fuzzer.joined.participantToken,
          pool: [...ids, ...PHASES, 'unknown', 1, 12, 13, -1, 0, 1.5, null, true, '', 'a'.repeat(70)],
          valid: (r) =>
            ({
              vote: { factor: r.range(1, 13), answer: r.pick([1, 2, 3, 4, 5, 'unknown']), ...(r.chance(0.3) ? { comment: r.string(20) } : {}) },
              'phase:set': { phase: r.pick(PHASES) },
              'participant:remove': { participantId: r.pick(ids) },
              'participants:remove': { participantIds: r.chance(0.1) ? [] : [r.pick(ids), r.pick(ids)] },
              'settings:update': { dotsPerPerson: r.range(1, 10), weakBelow: 3.5, ...(r.chance(0.2) ? { joinsLocked: r.chance(0.5) } : {}) },
              'dot:cast': { actionId: r.pick([...actionIds, 'abcdefgh']), delta: r.pick([1, -1]) },
              'action:create': { actionId: r.pick([...actionIds, 'abcdefgh']), factor: r.pick([1, null, 13]), text: r.string(30) },
              'action:update': { actionId: r.pick([...actionIds, 'abcdefgh']), owner: r.string(10) },
              'action:remove': { actionId: r.pick([...actionIds, 'abcdefgh']) },
              'action:restore': { actionId: r.pick([...actionIds, 'abcdefgh']) },
              'action:unmerge': { actionId: r.pick([...actionIds, 'abcdefgh']) },
              'action:merge': { sourceId: r.pick([...actionIds, 'abcdefgh']), targetId: r.pick([...actionIds, 'abcdefgh']) },
              'action:move': { actionId: r.pick([...actionIds, 'abcdefgh']), toIndex: r.int(3) },
              'comment:hide': { round: r.range(0, 3), factor: r.range(1, 13), text: r.string(20), hidden: r.chance(0.5) },
              'present:focus': { factor: r.chance(0.2) ? null : r.range(0, 14) },
              'review:set': { key: r.pick(['ABCDEF/abcdefgh', r.string(20)]), status: r.pick(['done', 'doing', 'dropped', 'carried', 'lost']) },
              'voting:control': r.pick([{ action: 'extend', seconds: r.range(10, 120) }, { action: r.pick(['pause', 'resume', 'clear', 'close', 'reopen']) }]),
              'checkin:extend': { deadline: r.pick([new Date(Date.now() + r.range(1, 2000) * 3_600_000).toISOString(), r.string(20), '2026-13-01T00:00:00Z']) },
              'checkin:close': {},
              'clock:sync': {},
              'board:ticket': {},
              'state:request': {},
              'session:delete': { confirm: true }
            }) satisfies Record<CommandName, Record<string, unknown>>
        },
        rng,
        BUDGET
      );
      const perSecond = Math.round((report.cases / report.elapsedMs) * 1000);
      console.log(
        `[fuzz] socket.io in ${phase}: ${report.cases} cases (${report.acked} acked, ${report.raw} raw/oversized, ${report.reconnects} reconnects) in ${report.elapsedMs} ms = ${perSecond}/s; answers ${JSON.stringify(report.codes)}`
      );

      expect(report.violations).toEqual([]);
      expect(report.cases).toBeGreaterThanOrEqual(MINIMUM);
      expect((await api(server.url, '/healthz')).status).toBe(200);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();

      // Nothing changed but what the fuzzer's own accepted commands may change: its ballot and its dots.
      const fuzzerState = await connectParticipant(server.url, session.code, fuzzer.joined.participantToken);
      const own = await fuzzerState.state();
      const ballot = expectedBallot(report.accepted);
      expect(own.myBallot).toEqual(ballot);
      const lastDots = report.accepted.filter((a) => a.name === 'dot:cast').at(-1)?.data as DotState | undefined;
      expect(own.dots.mine).toEqual(lastDots?.mine ?? {});

      const after = facilitatorView(await session.facilitator.state());
      const expected = structuredClone(before);
      const answered = Object.keys(ballot).map(Number);
      const mine = expected.participants.find((p) => p.id === fuzzer.joined.participantId)!;
      // Anonymous sessions send no per-person counts (docs/privacy.md).
      if (mine.answered !== null) mine.answered = answered.length;
      for (const factor of answered) expected.progress.perFactor[factor - 1]++;
      if (answered.length === 12) expected.progress.voted++;
      for (const [action, count] of Object.entries(own.dots.mine)) expected.dotTotals[action] = (expected.dotTotals[action] ?? 0) + count;
      expect(after).toEqual(expected);
      expect([await voter.client.state(), await partial.client.state()].map((s) => s.myBallot)).toEqual(ballotsBefore);
      // The board: a participant may add points of its own and co-edit fields (the owner here) of any point, nothing else.
      const acceptedIds = (name: CommandName) =>
        new Set(report.accepted.filter((a) => a.name === name).map((a) => (a.payload as { actionId: string }).actionId));
      const created = acceptedIds('action:create');
      const ownerChanged = acceptedIds('action:update');
      const boardAfter = (await session.facilitator.state()).actions;
      for (const point of boardBefore) {
        const now = boardAfter.find((a) => a.id === point.id);
        expect(now && (ownerChanged.has(point.id) ? { ...now, owner: point.owner } : now)).toEqual(point);
      }
      for (const point of boardAfter) if (!boardBefore.some((a) => a.id === point.id)) expect(created.has(point.id), `point ${point.id} appeared`).toBe(true);
      if (phase !== 'actions') expect(boardAfter).toEqual(boardBefore);
      if (phase !== 'voting') expect(ballot).toEqual({});
    },
    fuzzTimeout(BUDGET)
  );
});
