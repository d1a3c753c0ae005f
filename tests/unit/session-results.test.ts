/**
 * A session's results driven directly, without a room or sockets: real ballots (BallotBox), the frozen
 * rounds (RevealedRounds) and the real store in memory. What it proves: a round is frozen from the ballots
 * once and read from the frozen copy after, hidden comments are left out of results (not of the frozen
 * round a meeting carries over), and a freeze at load is on disk.
 */
import { describe, expect, it } from 'vitest';
import { BallotBox } from '../../server/sessions/ballot-box';
import type { Member } from '../../server/sessions/projections';
import { RevealedRounds } from '../../server/sessions/revealed';
import { SessionResults } from '../../server/sessions/results';
import { SqliteStore } from '../../server/store/sqlite';
import type { SessionRecord } from '../../server/store/types';
import { participantRecord, sessionRecord } from '../helpers/store-contract';

const FACTORS = 3;

async function setup(overrides: Partial<SessionRecord> = {}) {
  const store = new SqliteStore({ memory: true });
  let session: SessionRecord = sessionRecord('s1', { anonymous: false, phase: 'voting', ...overrides });
  await store.createSession(session);
  const ballots = new BallotBox(FACTORS, 1);
  const members = new Map<string, Member>();
  for (const id of ['a', 'b', 'c']) {
    const record = participantRecord(id, 's1');
    await store.addParticipant(record);
    members.set(id, { record });
    ballots.addMember(id);
  }
  const revealed = new RevealedRounds();
  const results = new SessionResults({ session: () => session, factorCount: FACTORS, ballots, members, revealed, store, clock: () => 1000 });
  const reveal = (round: number) => (session = { ...session, phase: 'revealed', revealedRounds: [...session.revealedRounds, round] });
  return { store, ballots, members, revealed, results, reveal };
}

describe('SessionResults', () => {
  it('freezes a round from the ballots once and reads the frozen copy after, hidden comments left out', async () => {
    const { ballots, revealed, results, reveal } = await setup();
    ballots.record(1, 'a', 1, { answer: 4, comment: 'clear goal' });
    ballots.record(1, 'b', 1, { answer: 2, comment: null });
    ballots.record(1, 'c', 2, { answer: 'unknown', comment: 'no idea' });
    const frozen = results.computeFrozen(1);
    expect(frozen.results.voters).toBe(3);
    expect(frozen.results.comments[0]).toEqual(['clear goal']);
    revealed.freeze(1, frozen);
    reveal(1);
    // A later answer does not change what the round showed.
    ballots.record(1, 'b', 1, { answer: 1, comment: 'changed my mind' });
    expect(results.results()).toEqual([frozen.results]);

    revealed.setHidden({ round: 1, factor: 1, text: 'clear goal' }, true);
    expect(results.results()[0].comments[0]).toEqual([]);
    // The round a meeting carries over keeps the comment, with the list of what was hidden from it.
    const carried = results.frozenRound(1);
    expect(carried?.results.comments[0]).toEqual(['clear goal']);
    expect(carried?.hidden).toEqual([{ round: 1, factor: 1, text: 'clear goal' }]);
    expect(results.frozenRound(2)).toBeNull();

    const rows = results.revealedBallots();
    expect(rows.map((r) => r.voter).sort()).toEqual(['Name a', 'Name b', 'Name c']);
    expect(rows.every((r) => r.round === 1 && r.answers.length === FACTORS)).toBe(true);
  });

  it('stores a round frozen at load, so a reload reads it back', async () => {
    const { store, ballots, results, revealed, reveal } = await setup();
    ballots.record(1, 'a', 3, { answer: 3, comment: null });
    reveal(1);
    await results.freeze(1);
    expect(revealed.has(1)).toBe(true);
    const loaded = await store.loadSession('s1');
    expect(loaded?.revealed.map((r) => ({ round: r.round, revealedAt: r.revealedAt }))).toEqual([{ round: 1, revealedAt: 1000 }]);
    expect(loaded?.revealed[0].results).toEqual(results.results()[0]);
  });
});
