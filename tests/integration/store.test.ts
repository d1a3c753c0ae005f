import { describe, expect, it } from 'vitest';
import type { ActionRecord } from '../../src/lib/domain/action-points';
import { SqliteStore } from '../../server/store/sqlite';
import type { ParticipantRecord, SessionRecord, StoredAnswer } from '../../server/store/types';
import { makeDataDir } from '../helpers/server';

function session(id: string): SessionRecord {
  return {
    id,
    code: `C${id.padStart(5, '2')}`.slice(0, 6),
    title: 'T',
    language: 'nl',
    framework: 'seeds-of-innovation',
    anonymous: true,
    facilitatorTokenHash: `hash-${id}`,
    presenterTokenHash: null,
    phase: 'voting',
    round: 1,
    votingDeadline: null,
    votingClosed: false,
    votingPausedMs: null,
    settings: { weakBelow: 3, divergentBelow: 0.6, dotsPerPerson: 3, minVoters: 3, hideDotTotals: false, joinsLocked: false },
    revealedRounds: [],
    communityId: null,
    timeZone: 'Europe/Amsterdam',
    mode: 'live',
    deadline: null,
    revealAt: null,
    createdAt: 1,
    updatedAt: 1
  };
}

const person = (id: string, sessionId: string): ParticipantRecord => ({
  id,
  sessionId,
  tokenHash: `t-${id}`,
  name: id,
  group: null,
  language: null,
  joinedAt: 1
});
const answer = (participantId: string, factor: number, value: StoredAnswer['answer']): StoredAnswer => ({
  sessionId: 's1',
  round: 1,
  participantId,
  factor,
  answer: value,
  comment: null
});

/** The SQLite store on a real file: answers written in one turn are batched into multi-row statements. */
describe('SqliteStore answers', () => {
  it('keeps the last of several answers to the same factor written in one turn, across statement chunks', async () => {
    const store = new SqliteStore({ dataDir: await makeDataDir() });
    try {
      await store.createSession(session('s1'));
      const people = Array.from({ length: 20 }, (_, i) => person(`p${i}`, 's1'));
      await Promise.all(people.map((p) => store.addParticipant(p)));
      // 20 people × 12 factors = 240 answers (several 64-row statements), then a change for each of p0's factors.
      const writes = people.flatMap((p) => Array.from({ length: 12 }, (_, f) => store.saveAnswer(answer(p.id, f + 1, 3))));
      writes.push(...Array.from({ length: 12 }, (_, f) => store.saveAnswer(answer('p0', f + 1, 'unknown'))));
      // Two answers to the same factor in the same statement: the later one wins.
      writes.push(store.saveAnswer(answer('p1', 1, 1)), store.saveAnswer(answer('p1', 1, 5)));
      await Promise.all(writes);
      const loaded = await store.loadSession('s1');
      expect(loaded!.answers).toHaveLength(240);
      expect(loaded!.answers.filter((a) => a.participantId === 'p0').map((a) => a.answer)).toEqual(new Array(12).fill('unknown'));
      expect(loaded!.answers.filter((a) => a.participantId === 'p1').map((a) => a.answer)).toEqual([5, ...new Array(11).fill(3)]);
    } finally {
      await store.close();
    }
  });

  it('keeps every answer of a batch split into statements of different sizes, the later answer winning across them', async () => {
    const store = new SqliteStore({ dataDir: await makeDataDir() });
    try {
      await store.createSession(session('s1'));
      const people = Array.from({ length: 5 }, (_, i) => person(`p${i}`, 's1'));
      await Promise.all(people.map((p) => store.addParticipant(p)));
      // 60 + 3 = 63 answers in one turn: statements of 32, 16, 8, 4, 2 and 1 rows; p0's first three factors
      // are answered in the first statement and changed in the last ones.
      const writes = people.flatMap((p) => Array.from({ length: 12 }, (_, f) => store.saveAnswer(answer(p.id, f + 1, 2))));
      writes.push(...[1, 2, 3].map((f) => store.saveAnswer(answer('p0', f, 4))));
      await Promise.all(writes);
      const loaded = await store.loadSession('s1');
      expect(loaded!.answers).toHaveLength(60);
      const p0 = loaded!.answers.filter((a) => a.participantId === 'p0').sort((a, b) => a.factor - b.factor);
      expect(p0.map((a) => a.answer)).toEqual([4, 4, 4, ...new Array(9).fill(2)]);
    } finally {
      await store.close();
    }
  });

  it('keeps the order of answers and other writes made in the same turn', async () => {
    const dataDir = await makeDataDir();
    const store = new SqliteStore({ dataDir });
    await store.createSession(session('s1'));
    await Promise.all([store.addParticipant(person('a', 's1')), store.addParticipant(person('b', 's1'))]);
    // a answers, is then removed (their answers cascade away), b answers: all queued before one commit.
    await Promise.all([store.saveAnswer(answer('a', 1, 2)), store.removeParticipant('s1', 'a'), store.saveAnswer(answer('b', 1, 5))]);
    await store.close();
    // What was acknowledged is on disk for a new store on the same file.
    const reopened = new SqliteStore({ dataDir });
    try {
      const loaded = await reopened.loadSession('s1');
      expect(loaded!.participants.map((p) => p.id)).toEqual(['b']);
      expect(loaded!.answers).toEqual([answer('b', 1, 5)]);
    } finally {
      await reopened.close();
    }
  });
});

/** Frozen results (docs/privacy.md): stored with the reveal, read back as stored, never overwritten. */
describe('SqliteStore revealed rounds', () => {
  const results = (round: number, voters: number) => ({
    round,
    voters,
    minVoters: 3,
    withheld: null,
    factors: [],
    attention: [],
    groups: [],
    comments: [],
    named: null
  });

  it('commits a frozen round with the phase change of the same turn, reads it back byte for byte, and never overwrites it', async () => {
    const dataDir = await makeDataDir();
    const store = new SqliteStore({ dataDir });
    const reader = new SqliteStore({ dataDir });
    try {
      await store.createSession(session('s1'));
      expect(await store.loadRevealedRounds('s1')).toEqual([]);
      expect(await store.loadLatestRevealedRound('s1')).toBeNull();
      const first = {
        sessionId: 's1',
        round: 1,
        revealedAt: 10,
        results: results(1, 4),
        ballots: [{ name: null, answers: [3 as const, 'unknown' as const, null] }]
      };
      // As the room does: the frozen round first, then the phase, in one turn.
      const frozen = store.saveRevealedRound(first);
      const phase = store.updateSession('s1', { phase: 'revealed', revealedRounds: [1] });
      await Promise.all([frozen, phase]);
      // A second connection (as after a kill) sees both.
      const seen = await reader.loadSession('s1');
      expect(seen?.session.phase).toBe('revealed');
      expect(seen?.revealed).toEqual([first]);
      // A later write for the same round changes nothing: what was revealed stays.
      await store.saveRevealedRound({ ...first, revealedAt: 20, results: results(1, 3), ballots: [] });
      expect(await reader.loadRevealedRounds('s1')).toEqual([first]);
      expect(JSON.stringify((await reader.loadRevealedRounds('s1'))[0].results)).toBe(JSON.stringify(first.results));
      const second = { ...first, round: 2, revealedAt: 30, results: results(2, 5) };
      await store.saveRevealedRound(second);
      expect((await store.loadRevealedRounds('s1')).map((r) => r.round)).toEqual([1, 2]);
      expect(await store.loadLatestRevealedRound('s1')).toEqual(second);
      expect(await store.loadRevealedRounds('unknown')).toEqual([]);
      // Deleting the session deletes what it revealed.
      await store.deleteSession('s1');
      expect(await store.loadRevealedRounds('s1')).toEqual([]);
    } finally {
      await reader.close();
      await store.close();
    }
  });
});

describe('SqliteStore action points', () => {
  it('upserts action point records and loads them back after a reopen', async () => {
    const dataDir = await makeDataDir();
    const store = new SqliteStore({ dataDir });
    await store.createSession(session('s1'));
    const point: ActionRecord = {
      id: 'point-1',
      factor: 3,
      position: 1,
      owner: '',
      due: null,
      status: 'open',
      createdBy: 'p1',
      createdAt: 5,
      mergedInto: null,
      removed: false,
      origin: null
    };
    const other: ActionRecord = { ...point, id: 'point-2', factor: null, position: 2, origin: 'earlier-session:x' };
    await Promise.all([
      store.saveActionPoints('s1', [point, other]),
      store.saveActionPoints('s1', [{ ...point, owner: 'Ann', due: '2027-01-02', status: 'done' }])
    ]);
    await store.saveActionPoints('s1', [{ ...other, mergedInto: 'point-1', removed: true }]);
    await store.close();
    const reopened = new SqliteStore({ dataDir });
    try {
      const loaded = await reopened.loadSession('s1');
      expect(loaded!.actions.sort((a, b) => a.position - b.position)).toEqual([
        { ...point, owner: 'Ann', due: '2027-01-02', status: 'done' },
        { ...other, mergedInto: 'point-1', removed: true }
      ]);
      // Deleting the session takes its points with it.
      await reopened.deleteSession('s1');
      expect(await reopened.loadSession('s1')).toBeNull();
    } finally {
      await reopened.close();
    }
  });
});
