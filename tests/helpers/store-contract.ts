/**
 * The store contract: what every `Store` implementation must do, as one suite
 * of tests. `tests/integration/store-contract.test.ts` runs it against each
 * implementation in its list; a new store (PostgreSQL, issue 15) is one more
 * entry there, with an `open` that gives a fresh store and a way to reopen it
 * on the same data (as after a restart).
 */
import { describe, expect, it } from 'vitest';
import type { ActionRecord } from '../../src/lib/domain/action-points';
import { paperFigures } from '../../src/lib/domain/community';
import {
  DecidedElsewhereError,
  type CommunityRecord,
  type PaperSessionRecord,
  type ParticipantRecord,
  type SessionRecord,
  type Store,
  type StoredAnswer
} from '../../server/store/types';

export interface OpenedStore {
  store: Store;
  /** Closes the store and opens a new one on the same data, as a restarted server would. */
  reopen(): Promise<Store>;
  /**
   * Another handle on the same data, open at the same time, as a second instance of a cluster
   * has (PostgreSQL: its own pool; SQLite: a second connection to the file; memory: the same data).
   */
  second(): Promise<Store>;
}

export interface StoreImplementation {
  name: string;
  /** Skips the suite (PostgreSQL not installed outside CI: tests/helpers/postgres.ts). */
  skip?: boolean;
  /** A new, empty store (its teardown registered with onTestFinished). */
  open(): Promise<OpenedStore>;
  /**
   * A store shared by several instances fences each session's writes by its ownership epoch
   * (server/store/fence.ts); one alone on its data (SQLite, memory) has nothing to fence.
   */
  fencing?: { open(): Promise<FencedStore> };
}

/** A new, empty store whose session writes are fenced, as one instance of several sees it. */
export interface FencedStore {
  store: Store;
  /** This instance takes the session's lease: a new epoch, which its writes carry from now on. */
  take(sessionId: string): Promise<void>;
  /**
   * This instance lets the session go and another instance takes it over (a new epoch there). Called in the same
   * turn as writes, it comes before their commit: they were called under the epoch this instance no longer holds.
   */
  takeOver(sessionId: string): Promise<void>;
  /** The other instance lets the session go and this one takes it again: a new epoch here. */
  takeBack(sessionId: string): Promise<void>;
}

const DAY = 86_400_000;

export function sessionRecord(id: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id,
    code: `C-${id}`,
    title: `Session ${id}`,
    language: 'nl',
    framework: 'seeds-of-innovation',
    anonymous: true,
    facilitatorTokenHash: `hash-${id}`,
    presenterTokenHash: null,
    phase: 'lobby',
    round: 1,
    votingDeadline: null,
    votingClosed: false,
    votingPausedMs: null,
    settings: { weakBelow: 3, divergentBelow: 0.6, unclearFrom: 1 / 3, dotsPerPerson: 3, minVoters: 3, hideDotTotals: false, joinsLocked: false },
    revealedRounds: [],
    communityId: null,
    timeZone: 'Europe/Amsterdam',
    mode: 'live',
    deadline: null,
    revealAt: null,
    seededFrom: null,
    createdAt: Date.now(),
    updatedAt: Date.now(),
    ...overrides
  };
}

export const participantRecord = (id: string, sessionId: string, joinedAt = 1): ParticipantRecord => ({
  id,
  sessionId,
  tokenHash: `token-${id}`,
  name: `Name ${id}`,
  group: null,
  language: null,
  joinedAt
});

export const answerRecord = (sessionId: string, participantId: string, factor: number, answer: StoredAnswer['answer'], round = 1): StoredAnswer => ({
  sessionId,
  round,
  participantId,
  factor,
  answer,
  comment: null
});

export const communityRecord = (id: string, overrides: Partial<CommunityRecord> = {}): CommunityRecord => ({
  id,
  name: `Community ${id}`,
  language: 'en',
  framework: 'seeds-of-innovation',
  tokenHash: `community-hash-${id}`,
  timeZone: 'Europe/Amsterdam',
  createdAt: 1000,
  ...overrides
});

export const paperRecord = (id: string, communityId: string, overrides: Partial<PaperSessionRecord> = {}): PaperSessionRecord => {
  const factors = overrides.factors ?? [{ number: 2, distribution: { '1': 0, '2': 1, '3': 4, '4': 2, '5': 0 }, unknown: 1 }];
  return {
    id,
    communityId,
    code: `P-${id}`,
    title: `Paper ${id}`,
    date: '2026-05-01',
    factors,
    figures: paperFigures(factors),
    createdAt: 2000,
    source: 'paper',
    ...overrides
  };
};

export const actionPoint = (id: string, overrides: Partial<ActionRecord> = {}): ActionRecord => ({
  id,
  factor: 3,
  position: 1,
  owner: 'Sam',
  due: '2026-12-24',
  status: 'open',
  createdBy: 'facilitator',
  createdAt: 10,
  mergedInto: null,
  removed: false,
  origin: null,
  ...overrides
});

const bytes = (...values: number[]) => new Uint8Array(values);

/** Settles every promise and returns which were rejected (by index), so one failure does not hide the rest. */
async function rejected(writes: Promise<unknown>[]): Promise<number[]> {
  const results = await Promise.allSettled(writes);
  return results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
}

export function describeStoreContract(implementation: StoreImplementation): void {
  describe.skipIf(implementation.skip)(`Store contract: ${implementation.name}`, () => {
    it('stores a session and finds it by code; unknown ids and codes are null', async () => {
      const { store } = await implementation.open();
      const record = sessionRecord('s1', {
        votingDeadline: 12345,
        revealedRounds: [1, 2],
        settings: { weakBelow: 2.5, divergentBelow: 0.5, unclearFrom: 0.5, dotsPerPerson: 7, minVoters: 5, hideDotTotals: true, joinsLocked: true }
      });
      await store.createSession(record);
      expect(await store.findSessionIdByCode('C-s1')).toBe('s1');
      expect(await store.findSessionIdByCode('C-none')).toBeNull();
      expect(await store.loadSession('none')).toBeNull();
      expect(await store.loadSession('s1')).toEqual({
        session: record,
        participants: [],
        answers: [],
        dots: [],
        revealed: [],
        actions: [],
        hiddenComments: []
      });
    });

    it('refuses a second session with the same code and keeps the first', async () => {
      const { store } = await implementation.open();
      await store.createSession(sessionRecord('s1'));
      await expect(store.createSession(sessionRecord('s2', { code: 'C-s1' }))).rejects.toThrow();
      expect(await store.findSessionIdByCode('C-s1')).toBe('s1');
      expect(await store.loadSession('s2')).toBeNull();
    });

    it('applies a patch to the fields it names only', async () => {
      const { store } = await implementation.open();
      const record = sessionRecord('s1');
      await store.createSession(record);
      await store.updateSession('s1', { phase: 'voting', round: 2, votingDeadline: 999 });
      await store.updateSession('s1', { revealedRounds: [2] });
      const loaded = (await store.loadSession('s1'))!.session;
      expect({ ...loaded, updatedAt: 0 }).toEqual({ ...record, phase: 'voting', round: 2, votingDeadline: 999, revealedRounds: [2], updatedAt: 0 });
      await store.updateSession('s1', { votingDeadline: null });
      expect((await store.loadSession('s1'))!.session.votingDeadline).toBeNull();
    });

    it('applies writes in the order they were called, also when they are not awaited one by one', async () => {
      const { store } = await implementation.open();
      await store.createSession(sessionRecord('s1'));
      await Promise.all([store.addParticipant(participantRecord('a', 's1')), store.addParticipant(participantRecord('b', 's1', 2))]);
      // All in one turn: a answers, is removed (answers go too), b answers twice (the last wins), the phase moves twice.
      await Promise.all([
        store.saveAnswer(answerRecord('s1', 'a', 1, 2)),
        store.updateSession('s1', { phase: 'voting' }),
        store.removeParticipant('s1', 'a'),
        store.saveAnswer(answerRecord('s1', 'b', 1, 5)),
        store.saveAnswer({ ...answerRecord('s1', 'b', 1, 'unknown'), comment: 'not sure' }),
        store.updateSession('s1', { phase: 'revealed', revealedRounds: [1] })
      ]);
      const loaded = (await store.loadSession('s1'))!;
      expect(loaded.participants.map((p) => p.id)).toEqual(['b']);
      expect(loaded.answers).toEqual([{ ...answerRecord('s1', 'b', 1, 'unknown'), comment: 'not sure' }]);
      expect(loaded.session.phase).toBe('revealed');
    });

    it('lets a read see every write called before it', async () => {
      const { store } = await implementation.open();
      void store.createSession(sessionRecord('s1'));
      void store.addParticipant(participantRecord('a', 's1'));
      void store.saveAnswer(answerRecord('s1', 'a', 3, 4));
      const loaded = await store.loadSession('s1');
      expect(loaded?.answers).toEqual([answerRecord('s1', 'a', 3, 4)]);
    });

    it('fails one bad write alone: the others called with it still apply', async () => {
      const { store } = await implementation.open();
      await store.createSession(sessionRecord('s1'));
      await store.addParticipant(participantRecord('a', 's1'));
      const failures = await rejected([
        store.saveAnswer(answerRecord('s1', 'a', 1, 3)),
        store.addParticipant(participantRecord('x', 'no-such-session')),
        store.saveAnswer(answerRecord('s1', 'ghost', 2, 3)),
        store.setDots('s1', 'a', 'action-1', 2)
      ]);
      expect(failures).toEqual([1, 2]);
      const loaded = (await store.loadSession('s1'))!;
      expect(loaded.answers).toEqual([answerRecord('s1', 'a', 1, 3)]);
      expect(loaded.dots).toEqual([{ voterId: 'a', actionId: 'action-1', count: 2 }]);
    });

    it('keeps every acknowledged write after a reopen', async () => {
      const opened = await implementation.open();
      const store = opened.store;
      await store.createSession(sessionRecord('s1', { phase: 'voting' }));
      await store.addParticipant(participantRecord('b', 's1', 5));
      await store.addParticipant(participantRecord('a', 's1', 5));
      await store.addParticipant(participantRecord('c', 's1', 3));
      await store.saveAnswer({ ...answerRecord('s1', 'a', 12, 1), comment: 'één opmerking' });
      await store.saveAnswer(answerRecord('s1', 'c', 1, 'unknown', 2));
      await store.setDots('s1', 'facilitator', 'x', 3);
      await store.appendYjsUpdate('s1', bytes(1, 2, 3));
      await store.appendYjsUpdate('s1', bytes(4));
      await store.updateSession('s1', { phase: 'revealed', revealedRounds: [1] });
      const before = (await store.loadSession('s1'))!;

      const reopened = await opened.reopen();
      const after = (await reopened.loadSession('s1'))!;
      expect(after).toEqual(before);
      // Participants in join order, ties by id.
      expect(after.participants.map((p) => p.id)).toEqual(['c', 'a', 'b']);
      expect(after.session.phase).toBe('revealed');
      expect(after.dots).toEqual([{ voterId: 'facilitator', actionId: 'x', count: 3 }]);
      expect(await reopened.loadYjsUpdates('s1')).toEqual([bytes(1, 2, 3), bytes(4)]);
      expect(await reopened.findSessionIdByCode('C-s1')).toBe('s1');
    });

    it('sets, changes and clears dots', async () => {
      const { store } = await implementation.open();
      await store.createSession(sessionRecord('s1'));
      await store.setDots('s1', 'v', 'a1', 1);
      await store.setDots('s1', 'v', 'a1', 3);
      await store.setDots('s1', 'v', 'a2', 1);
      await store.setDots('s1', 'v', 'a2', 0);
      expect((await store.loadSession('s1'))!.dots).toEqual([{ voterId: 'v', actionId: 'a1', count: 3 }]);
    });

    it('compacts Yjs updates: one merged update replaces those before it, later ones follow it', async () => {
      const { store } = await implementation.open();
      await store.createSession(sessionRecord('s1'));
      await store.createSession(sessionRecord('s2'));
      await store.appendYjsUpdate('s2', bytes(9));
      // Appends and the compaction that covers them, in one turn: ordered, so nothing appended before is lost or kept twice.
      await Promise.all([store.appendYjsUpdate('s1', bytes(1)), store.appendYjsUpdate('s1', bytes(2)), store.compactYjs('s1', bytes(1, 2))]);
      expect(await store.loadYjsUpdates('s1')).toEqual([bytes(1, 2)]);
      await store.appendYjsUpdate('s1', bytes(3));
      expect(await store.loadYjsUpdates('s1')).toEqual([bytes(1, 2), bytes(3)]);
      await store.compactYjs('s1', bytes(1, 2, 3));
      expect(await store.loadYjsUpdates('s1')).toEqual([bytes(1, 2, 3)]);
      expect(await store.loadYjsUpdates('s2')).toEqual([bytes(9)]);
      expect(await store.loadYjsUpdates('none')).toEqual([]);
    });

    it('removes a participant with their answers in every round and their dots', async () => {
      const { store } = await implementation.open();
      await store.createSession(sessionRecord('s1'));
      await store.addParticipant(participantRecord('a', 's1'));
      await store.addParticipant(participantRecord('b', 's1'));
      await store.saveAnswer(answerRecord('s1', 'a', 1, 1, 1));
      await store.saveAnswer(answerRecord('s1', 'a', 1, 2, 2));
      await store.saveAnswer(answerRecord('s1', 'b', 1, 3, 1));
      await store.setDots('s1', 'a', 'x', 2);
      await store.setDots('s1', 'b', 'x', 1);
      await store.removeParticipant('s1', 'a');
      const loaded = (await store.loadSession('s1'))!;
      expect(loaded.participants.map((p) => p.id)).toEqual(['b']);
      expect(loaded.answers).toEqual([answerRecord('s1', 'b', 1, 3, 1)]);
      expect(loaded.dots).toEqual([{ voterId: 'b', actionId: 'x', count: 1 }]);
    });

    it('removes several participants at once with their answers and dots, leaving the others (unknown ids change nothing)', async () => {
      const { store } = await implementation.open();
      await store.createSession(sessionRecord('s1'));
      await store.createSession(sessionRecord('s2'));
      for (const id of ['a', 'b', 'c']) await store.addParticipant(participantRecord(id, 's1'));
      await store.addParticipant(participantRecord('d', 's2'));
      for (const id of ['a', 'b', 'c']) await store.saveAnswer(answerRecord('s1', id, 1, 2));
      await store.setDots('s1', 'a', 'x', 2);
      await store.setDots('s1', 'c', 'x', 1);
      // 'd' belongs to another session: naming it here must not touch it.
      await store.removeParticipants('s1', ['a', 'b', 'nobody', 'd']);
      const loaded = (await store.loadSession('s1'))!;
      expect(loaded.participants.map((p) => p.id)).toEqual(['c']);
      expect(loaded.answers).toEqual([answerRecord('s1', 'c', 1, 2)]);
      expect(loaded.dots).toEqual([{ voterId: 'c', actionId: 'x', count: 1 }]);
      expect((await store.loadSession('s2'))!.participants.map((p) => p.id)).toEqual(['d']);
    });

    it('deletes a session with everything that belongs to it, and only that', async () => {
      const { store } = await implementation.open();
      for (const id of ['s1', 's2']) {
        await store.createSession(sessionRecord(id));
        await store.addParticipant(participantRecord(`p-${id}`, id));
        await store.saveAnswer(answerRecord(id, `p-${id}`, 1, 4));
        await store.setDots(id, `p-${id}`, 'x', 1);
        await store.appendYjsUpdate(id, bytes(1));
      }
      await store.deleteSession('s1');
      expect(await store.loadSession('s1')).toBeNull();
      expect(await store.findSessionIdByCode('C-s1')).toBeNull();
      expect(await store.loadYjsUpdates('s1')).toEqual([]);
      const kept = (await store.loadSession('s2'))!;
      expect([kept.participants.length, kept.answers.length, kept.dots.length]).toEqual([1, 1, 1]);
      expect(await store.loadYjsUpdates('s2')).toEqual([bytes(1)]);
      // The code is free again, and nothing of s1 comes back with a new session under it.
      const reused = sessionRecord('s3', { code: 'C-s1' });
      await store.createSession(reused);
      expect(await store.loadSession('s3')).toEqual({
        session: reused,
        participants: [],
        answers: [],
        dots: [],
        revealed: [],
        actions: [],
        hiddenComments: []
      });
    });

    it('purges sessions idle since before the cut-off with all their data, and keeps those written to since', async () => {
      const { store } = await implementation.open();
      const old = Date.now() - 100 * DAY;
      await store.createSession(sessionRecord('old', { createdAt: old, updatedAt: old }));
      await store.createSession(sessionRecord('fresh'));
      await store.createSession(sessionRecord('revived', { createdAt: old, updatedAt: old }));
      await store.createSession(sessionRecord('joined', { createdAt: old, updatedAt: old }));
      // A phase change or a join marks a session active.
      await store.updateSession('revived', { phase: 'voting' });
      await store.addParticipant(participantRecord('p', 'joined'));
      expect(await store.purgeIdle(Date.now() - 90 * DAY)).toEqual(['old']);
      expect(await store.loadSession('old')).toBeNull();
      expect(await store.findSessionIdByCode('C-old')).toBeNull();

      // Everything of a purged session goes: participants, answers, dots, board.
      await store.saveAnswer(answerRecord('joined', 'p', 1, 2));
      await store.setDots('joined', 'p', 'x', 1);
      await store.appendYjsUpdate('joined', bytes(7));
      const later = Date.now() + 10 * DAY;
      await store.createSession(sessionRecord('future', { updatedAt: later }));
      expect((await store.purgeIdle(Date.now() + DAY)).sort()).toEqual(['fresh', 'joined', 'revived']);
      expect(await store.loadSession('joined')).toBeNull();
      expect(await store.loadYjsUpdates('joined')).toEqual([]);
      expect(await store.loadSession('future')).not.toBeNull();
      // A new session with a purged one's code does not inherit anything.
      await store.createSession(sessionRecord('again', { code: 'C-joined' }));
      expect((await store.loadSession('again'))!.participants).toEqual([]);
    });

    it('purges sessions left in the lobby since before the cut-off, and no others', async () => {
      const { store } = await implementation.open();
      const old = Date.now() - 10 * DAY;
      await store.createSession(sessionRecord('abandoned', { createdAt: old, updatedAt: old }));
      await store.createSession(sessionRecord('started', { phase: 'voting', createdAt: old, updatedAt: old }));
      await store.createSession(sessionRecord('new-lobby'));
      await store.appendYjsUpdate('abandoned', bytes(1));
      expect(await store.purgeAbandonedLobbies(Date.now() - DAY)).toEqual(['abandoned']);
      expect(await store.loadSession('abandoned')).toBeNull();
      expect(await store.loadYjsUpdates('abandoned')).toEqual([]);
      for (const id of ['started', 'new-lobby']) expect(await store.loadSession(id)).not.toBeNull();
    });

    it("finds check-ins past their deadline that are still open, a community's open check-ins, and who is done", async () => {
      const { store } = await implementation.open();
      const now = Date.now();
      const checkin = (id: string, deadline: number, overrides: Partial<SessionRecord> = {}) =>
        sessionRecord(id, { phase: 'voting', mode: 'checkin', deadline, votingDeadline: deadline, revealAt: 'deadline', ...overrides });
      await store.createSession(checkin('due-later', now - 1000));
      await store.createSession(checkin('due-first', now - 5000, { revealAt: 'manual' }));
      await store.createSession(checkin('not-yet', now + DAY));
      await store.createSession(checkin('closed-box', now - 5000, { votingClosed: true }));
      await store.createSession(checkin('revealed', now - 5000, { phase: 'revealed', votingDeadline: null }));
      // A live countdown that ran out is the room's business, not the sweep's.
      await store.createSession(sessionRecord('countdown', { phase: 'voting', votingDeadline: now - 5000 }));
      expect((await store.listDueCheckins(now, 10)).map((c) => c.code)).toEqual(['C-due-first', 'C-due-later']);
      expect((await store.listDueCheckins(now, 1)).map((c) => c.code)).toEqual(['C-due-first']);
      const [first] = await store.listDueCheckins(now, 1);
      expect(first).toEqual({
        id: 'due-first',
        code: 'C-due-first',
        title: 'Session due-first',
        phase: 'voting',
        deadline: now - 5000,
        revealAt: 'manual',
        timeZone: 'Europe/Amsterdam',
        votingClosed: false
      });
      const loaded = (await store.loadSession('not-yet'))!.session;
      expect([loaded.mode, loaded.deadline, loaded.revealAt]).toEqual(['checkin', now + DAY, 'deadline']);
      expect((await store.loadSession('countdown'))!.session).toMatchObject({ mode: 'live', deadline: null, revealAt: null });
      await store.updateSession('not-yet', { deadline: now + 2 * DAY, votingDeadline: now + 2 * DAY });
      expect((await store.loadSession('not-yet'))!.session.deadline).toBe(now + 2 * DAY);

      for (const [i, id] of ['a', 'b', 'c'].entries()) await store.addParticipant(participantRecord(id, 'not-yet', i + 1));
      for (let factor = 1; factor <= 3; factor++) await store.saveAnswer(answerRecord('not-yet', 'a', factor, 4));
      await store.saveAnswer(answerRecord('not-yet', 'b', 1, 4));
      // A later round's answers do not count for the check-in's own round.
      for (let factor = 1; factor <= 3; factor++) await store.saveAnswer(answerRecord('not-yet', 'c', factor, 4, 2));
      expect(await store.checkinProgress('not-yet', 3)).toEqual({ done: 1, of: 3 });
    });

    it('counts the sessions that are not closed', async () => {
      const { store } = await implementation.open();
      await store.createSession(sessionRecord('a'));
      await store.createSession(sessionRecord('b', { phase: 'voting' }));
      await store.createSession(sessionRecord('c', { phase: 'closed' }));
      expect(await store.countLiveSessions()).toBe(2);
      await store.updateSession('b', { phase: 'closed' });
      expect(await store.countLiveSessions()).toBe(1);
    });

    it('does not let callers change stored records through the objects they passed or got', async () => {
      const { store } = await implementation.open();
      const record = sessionRecord('s1');
      await store.createSession(record);
      record.settings.dotsPerPerson = 99;
      record.revealedRounds.push(5);
      const loaded = (await store.loadSession('s1'))!;
      loaded.session.settings.dotsPerPerson = 42;
      const again = (await store.loadSession('s1'))!;
      expect(again.session.settings.dotsPerPerson).toBe(3);
      expect(again.session.revealedRounds).toEqual([]);
    });

    it('answers a probe while it can read and write, and refuses writes once closed', async () => {
      const { store } = await implementation.open();
      await expect(store.probe()).resolves.toBeUndefined();
      await store.close();
      await expect(store.createSession(sessionRecord('late'))).rejects.toThrow();
    });
    it('stores communities with their sessions and paper sessions, oldest first, and keeps them after a reopen', async () => {
      const opened = await implementation.open();
      const store = opened.store;
      await store.createCommunity(communityRecord('c1'));
      // Each keeps its IANA time zone (issue 23): the day of everything it holds is the local day there.
      await store.createCommunity(communityRecord('c2', { name: 'Other', language: 'nl', timeZone: 'America/Chicago' }));
      expect(await store.loadCommunity('c1')).toEqual(communityRecord('c1'));
      expect(await store.loadCommunity('nope')).toBeNull();
      await store.createSession(sessionRecord('late', { communityId: 'c1', createdAt: 300, timeZone: 'Asia/Tokyo' }));
      await store.createSession(sessionRecord('early', { communityId: 'c1', createdAt: 100 }));
      await store.createSession(sessionRecord('alone'));
      await store.createSession(sessionRecord('elsewhere', { communityId: 'c2' }));
      expect((await store.loadSession('early'))!.session.communityId).toBe('c1');
      expect((await store.loadSession('alone'))!.session.communityId).toBeNull();
      expect((await store.loadSession('late'))!.session.timeZone).toBe('Asia/Tokyo');
      expect(await store.listCommunitySessions('c1')).toEqual([
        { id: 'early', code: 'C-early', title: 'Session early', phase: 'lobby', timeZone: 'Europe/Amsterdam', createdAt: 100, continued: false },
        { id: 'late', code: 'C-late', title: 'Session late', phase: 'lobby', timeZone: 'Asia/Tokyo', createdAt: 300, continued: false }
      ]);
      await store.savePaperSession(paperRecord('p2', 'c1', { date: '2026-06-01' }));
      await store.savePaperSession(paperRecord('p1', 'c1', { date: '2026-01-15' }));
      await store.savePaperSession(paperRecord('p3', 'c2'));
      expect((await store.listPaperSessions('c1')).map((p) => p.id)).toEqual(['p1', 'p2']);
      expect(await store.listPaperSessions('c1')).toContainEqual(paperRecord('p2', 'c1', { date: '2026-06-01' }));
      expect(await store.listPaperSessions('none')).toEqual([]);

      const reopened = await opened.reopen();
      expect(await reopened.loadCommunity('c2')).toEqual(communityRecord('c2', { name: 'Other', language: 'nl', timeZone: 'America/Chicago' }));
      expect((await reopened.loadSession('late'))!.session.timeZone).toBe('Asia/Tokyo');
      expect((await reopened.listCommunitySessions('c1')).map((s) => s.id)).toEqual(['early', 'late']);
      expect(await reopened.listPaperSessions('c1')).toEqual([
        paperRecord('p1', 'c1', { date: '2026-01-15' }),
        paperRecord('p2', 'c1', { date: '2026-06-01' })
      ]);
    });

    it('marks a check-in that a meeting continues, in its community only', async () => {
      const { store } = await implementation.open();
      await store.createCommunity(communityRecord('c1'));
      await store.createSession(sessionRecord('checkin', { communityId: 'c1', createdAt: 100, mode: 'checkin', deadline: 200, revealAt: 'manual' }));
      await store.createSession(sessionRecord('other', { communityId: 'c1', createdAt: 150 }));
      await store.createSession(sessionRecord('meeting', { communityId: 'c1', createdAt: 300, seededFrom: 'checkin' }));
      expect((await store.loadSession('meeting'))!.session.seededFrom).toBe('checkin');
      expect((await store.listCommunitySessions('c1')).map((s) => [s.id, s.continued])).toEqual([
        ['checkin', true],
        ['other', false],
        ['meeting', false]
      ]);
    });

    it('refuses a community twice, a paper session of an unknown community or with a used code, and a session of an unknown community', async () => {
      const { store } = await implementation.open();
      await store.createCommunity(communityRecord('c1'));
      const failures = await rejected([
        store.createCommunity(communityRecord('c1', { name: 'Again' })),
        store.savePaperSession(paperRecord('p1', 'c1')),
        store.savePaperSession(paperRecord('p2', 'ghost')),
        store.savePaperSession(paperRecord('p3', 'c1', { code: 'P-p1' })),
        store.createSession(sessionRecord('s1', { communityId: 'ghost' }))
      ]);
      expect(failures).toEqual([0, 2, 3, 4]);
      expect((await store.loadCommunity('c1'))!.name).toBe('Community c1');
      expect((await store.listPaperSessions('c1')).map((p) => p.id)).toEqual(['p1']);
      expect(await store.loadSession('s1')).toBeNull();
    });

    it('does not let callers change stored paper counts through the objects they passed or got', async () => {
      const { store } = await implementation.open();
      await store.createCommunity(communityRecord('c1'));
      const paper = paperRecord('p1', 'c1');
      await store.savePaperSession(paper);
      paper.factors[0].distribution['3'] = 99;
      const [got] = await store.listPaperSessions('c1');
      got.factors[0].unknown = 42;
      expect(await store.listPaperSessions('c1')).toEqual([paperRecord('p1', 'c1')]);
    });

    it('keeps the last of many answers to one factor written in one turn, across statement chunks', async () => {
      const { store } = await implementation.open();
      await store.createSession(sessionRecord('s1', { phase: 'voting' }));
      const people = Array.from({ length: 30 }, (_, i) => participantRecord(`p${i}`, 's1'));
      await Promise.all(people.map((p) => store.addParticipant(p)));
      // 30 people × 12 factors = 360 answers (more than one multi-row statement), then changes in the same turn.
      const writes = people.flatMap((p) => Array.from({ length: 12 }, (_, f) => store.saveAnswer(answerRecord('s1', p.id, f + 1, 3))));
      writes.push(...Array.from({ length: 12 }, (_, f) => store.saveAnswer(answerRecord('s1', 'p0', f + 1, 'unknown'))));
      writes.push(store.saveAnswer(answerRecord('s1', 'p1', 1, 1)), store.saveAnswer(answerRecord('s1', 'p1', 1, 5)));
      await Promise.all(writes);
      const loaded = (await store.loadSession('s1'))!;
      expect(loaded.answers).toHaveLength(360);
      const of = (id: string) =>
        loaded.answers
          .filter((a) => a.participantId === id)
          .sort((a, b) => a.factor - b.factor)
          .map((a) => a.answer);
      expect(of('p0')).toEqual(new Array(12).fill('unknown'));
      expect(of('p1')).toEqual([5, ...new Array(11).fill(3)]);
    });

    it('freezes a revealed round with the phase change of the same turn, reads it back as stored, and never overwrites it', async () => {
      const opened = await implementation.open();
      const store = opened.store;
      await store.createSession(sessionRecord('s1', { phase: 'voting' }));
      expect(await store.loadRevealedRounds('s1')).toEqual([]);
      expect(await store.loadLatestRevealedRound('s1')).toBeNull();
      const results = (round: number, voters: number) =>
        ({ round, voters, minVoters: 3, withheld: null, factors: [], attention: [], groups: [], comments: [], named: null, mean: 3.1000000000000001 }) as never;
      const first = {
        sessionId: 's1',
        round: 1,
        revealedAt: 10,
        results: results(1, 4),
        ballots: [{ name: 'Zoë', answers: [3 as const, 'unknown' as const, null] }]
      };
      await Promise.all([store.saveRevealedRound(first), store.updateSession('s1', { phase: 'revealed', revealedRounds: [1] })]);
      // A later write for the same round changes nothing: what was revealed stays.
      await store.saveRevealedRound({ ...first, revealedAt: 20, results: results(1, 3), ballots: [] });
      const reopened = await opened.reopen();
      const seen = (await reopened.loadSession('s1'))!;
      expect(seen.session.phase).toBe('revealed');
      expect(seen.revealed).toEqual([first]);
      // Byte for byte: key order and numbers as they were revealed.
      expect(JSON.stringify((await reopened.loadRevealedRounds('s1'))[0].results)).toBe(JSON.stringify(first.results));
      const second = { ...first, round: 2, revealedAt: 30, results: results(2, 5) };
      await reopened.saveRevealedRound(second);
      expect((await reopened.loadRevealedRounds('s1')).map((r) => r.round)).toEqual([1, 2]);
      expect(await reopened.loadLatestRevealedRound('s1')).toEqual(second);
      expect(await reopened.loadRevealedRounds('unknown')).toEqual([]);
      await reopened.deleteSession('s1');
      expect(await reopened.loadRevealedRounds('s1')).toEqual([]);
    });

    it('upserts action point records, keeps them after a reopen and deletes them with their session', async () => {
      const opened = await implementation.open();
      const store = opened.store;
      await store.createSession(sessionRecord('s1'));
      const point: ActionRecord = {
        id: 'point-1',
        factor: 3,
        position: 1.5,
        owner: '',
        due: null,
        status: 'open',
        createdBy: 'p1',
        createdAt: 5,
        mergedInto: null,
        removed: false,
        origin: null
      };
      const other: ActionRecord = { ...point, id: 'point-2', factor: null, position: 1 / 3, origin: 'earlier-session:x' };
      await Promise.all([
        store.saveActionPoints('s1', [point, other]),
        store.saveActionPoints('s1', [{ ...point, owner: 'Ann', due: '2027-01-02', status: 'done' }])
      ]);
      await store.saveActionPoints('s1', [{ ...other, mergedInto: 'point-1', removed: true }]);
      const reopened = await opened.reopen();
      const loaded = (await reopened.loadSession('s1'))!;
      expect(loaded.actions.sort((a, b) => a.position - b.position)).toEqual([
        { ...other, mergedInto: 'point-1', removed: true },
        { ...point, owner: 'Ann', due: '2027-01-02', status: 'done' }
      ]);
      await reopened.deleteSession('s1');
      expect(await reopened.loadSession('s1')).toBeNull();
    });

    it('hides and shows comments by round, factor and text, long ones too', async () => {
      const opened = await implementation.open();
      const store = opened.store;
      await store.createSession(sessionRecord('s1'));
      // A comment at the limit can be 500 graphemes of many bytes each: about 12 kB of UTF-8.
      // Varied, so that it does not compress into a small index entry either.
      const long = Array.from({ length: 500 }, (_, i) => String.fromCodePoint(0x1f300 + ((i * 37) % 700), 0x200d, 0x1f400 + ((i * 53) % 500))).join('');
      const short = { round: 1, factor: 2, text: 'te vaag' };
      await store.setCommentHidden('s1', short, true);
      await store.setCommentHidden('s1', short, true);
      await store.setCommentHidden('s1', { round: 1, factor: 3, text: long }, true);
      await store.setCommentHidden('s1', { round: 2, factor: 2, text: 'te vaag' }, true);
      await store.setCommentHidden('s1', { round: 2, factor: 2, text: 'te vaag' }, false);
      const reopened = await opened.reopen();
      const hidden = (await reopened.loadSession('s1'))!.hiddenComments.sort((a, b) => a.factor - b.factor);
      expect(hidden).toEqual([short, { round: 1, factor: 3, text: long }]);
    });

    it('keeps texts exactly: accents, emoji, combining marks, quotes and line breaks', async () => {
      const opened = await implementation.open();
      const store = opened.store;
      const title = "Café “ijs” — 👩🏽‍🔬 e\u0301 'quoted' \\ back\nslash";
      await store.createSession(sessionRecord('s1', { title }));
      await store.addParticipant({ ...participantRecord('a', 's1'), name: 'Zoë 🌱', group: 'Groep β' });
      await store.saveAnswer({ ...answerRecord('s1', 'a', 1, 4), comment: 'line one\nline two\ttab 🎉' });
      const loaded = (await (await opened.reopen()).loadSession('s1'))!;
      expect(loaded.session.title).toBe(title);
      expect(loaded.participants[0]).toMatchObject({ name: 'Zoë 🌱', group: 'Groep β' });
      expect(loaded.answers[0].comment).toBe('line one\nline two\ttab 🎉');
    });

    it('stores the reviews of earlier action points per reviewing session, lists them by the origin community, and replaces a review', async () => {
      const opened = await implementation.open();
      const store = opened.store;
      await store.createCommunity(communityRecord('c1'));
      await store.createCommunity(communityRecord('c2'));
      await store.createSession(sessionRecord('first', { communityId: 'c1', createdAt: 100 }));
      await store.createSession(sessionRecord('second', { communityId: 'c1', createdAt: 200 }));
      await store.createSession(sessionRecord('other', { communityId: 'c2' }));
      const point = actionPoint('a1');
      await store.saveActionPoints('first', [point, actionPoint('a2', { removed: true })]);
      expect((await store.loadActionPoints('first')).sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual([point, actionPoint('a2', { removed: true })]);
      expect(await store.loadActionPoints('nobody')).toEqual([]);

      const review = {
        reviewingSessionId: 'second',
        originSessionId: 'first',
        actionId: 'a1',
        status: 'doing' as const,
        carriedActionId: null,
        reviewedAt: 500
      };
      await store.saveActionReview(review);
      await store.saveActionReview({ ...review, actionId: 'a2', status: 'dropped', reviewedAt: 400 });
      await store.saveActionReview({ ...review, status: 'carried', carriedActionId: 'copy', reviewedAt: 600 });
      const expected = [
        { ...review, actionId: 'a2', status: 'dropped', reviewedAt: 400 },
        { ...review, status: 'carried', carriedActionId: 'copy', reviewedAt: 600 }
      ];
      expect(await store.listActionReviews('c1')).toEqual(expected);
      expect(await store.listActionReviews('c2')).toEqual([]);
      // A session deleted in the meantime: nothing is stored, and the write (and what commits with it) does not fail.
      const failures = await rejected([
        store.saveActionReview({ ...review, reviewingSessionId: 'ghost' }),
        store.saveActionReview({ ...review, originSessionId: 'ghost' })
      ]);
      expect(failures).toEqual([]);
      expect(await store.listActionReviews('c1')).toEqual(expected);

      const reopened = await opened.reopen();
      expect(await reopened.listActionReviews('c1')).toEqual(expected);
      // A deleted session takes its reviews with it, as reviewer and as origin.
      await reopened.deleteSession('second');
      expect(await reopened.listActionReviews('c1')).toEqual([]);
    });

    it('deletes a community with its live and paper sessions and everything they hold, and nothing of another community', async () => {
      const opened = await implementation.open();
      const store = opened.store;
      await store.createCommunity(communityRecord('c1'));
      await store.createCommunity(communityRecord('c2'));
      await store.createSession(sessionRecord('a', { communityId: 'c1', createdAt: 100 }));
      await store.createSession(sessionRecord('b', { communityId: 'c1', createdAt: 200 }));
      await store.createSession(sessionRecord('keep', { communityId: 'c2' }));
      await store.createSession(sessionRecord('alone'));
      await store.addParticipant(participantRecord('p', 'a'));
      await store.saveAnswer(answerRecord('a', 'p', 1, 4));
      await store.saveActionPoints('a', [actionPoint('x')]);
      await store.saveActionReview({ reviewingSessionId: 'b', originSessionId: 'a', actionId: 'x', status: 'done', carriedActionId: null, reviewedAt: 1 });
      await store.savePaperSession(paperRecord('p1', 'c1'));
      await store.savePaperSession(paperRecord('p2', 'c2'));
      expect((await store.deleteCommunity('c1')).sort()).toEqual(['a', 'b']);
      const reopened = await opened.reopen();
      expect(await reopened.loadCommunity('c1')).toBeNull();
      expect(await reopened.loadSession('a')).toBeNull();
      expect(await reopened.findSessionIdByCode('C-b')).toBeNull();
      expect(await reopened.loadActionPoints('a')).toEqual([]);
      expect(await reopened.listPaperSessions('c1')).toEqual([]);
      expect(await reopened.listActionReviews('c1')).toEqual([]);
      expect((await reopened.listCommunitySessions('c2')).map((s) => s.id)).toEqual(['keep']);
      expect((await reopened.listPaperSessions('c2')).map((p) => p.id)).toEqual(['p2']);
      expect(await reopened.loadSession('alone')).not.toBeNull();
      expect(await reopened.deleteCommunity('c1')).toEqual([]);
    });

    it('stores organisations and the communities sharing with them; sharing twice keeps the first moment; withdrawing and deleting remove the share', async () => {
      const opened = await implementation.open();
      const store = opened.store;
      const org = { id: 'o1', name: 'Greenport programme', timeZone: 'Europe/Amsterdam', tokenHash: 'org-hash', createdAt: 5 };
      await store.createOrganisation(org);
      await store.createOrganisation({ ...org, id: 'o2', name: 'Another programme' });
      await store.createCommunity(communityRecord('c1'));
      await store.createCommunity(communityRecord('c2'));
      expect(await store.loadOrganisation('o1')).toEqual(org);
      expect(await store.loadOrganisation('nope')).toBeNull();
      expect(await store.listCommunityShares('c1')).toEqual([]);
      expect(await store.shareCommunity('c1', 'o1', 100)).toBe(true);
      expect(await store.shareCommunity('c1', 'o1', 200)).toBe(true);
      expect(await store.shareCommunity('c1', 'o2', 300)).toBe(true);
      expect(await store.listCommunityShares('c1')).toEqual([
        { organisationId: 'o2', organisationName: 'Another programme', sharedAt: 300 },
        { organisationId: 'o1', organisationName: 'Greenport programme', sharedAt: 100 }
      ]);
      // An unknown organisation or community is refused by the database, and nothing is stored.
      expect(await rejected([store.shareCommunity('c1', 'ghost', 1), store.shareCommunity('ghost', 'o1', 1)])).toEqual([0, 1]);
      // The cap counts the organisation's other shares in the inserting transaction (re-sharing one already in is no new place).
      expect(await store.shareCommunity('c2', 'o1', 400, 1)).toBe(false);
      expect(await store.shareCommunity('c1', 'o1', 400, 1)).toBe(true);
      expect((await store.loadPortfolioFigures('o1')).map((c) => c.id)).toEqual(['c1']);
      await store.withdrawShare('c1', 'o2');
      await store.withdrawShare('c1', 'o2');
      const reopened = await opened.reopen();
      expect((await reopened.listCommunityShares('c1')).map((s) => s.organisationId)).toEqual(['o1']);
      await reopened.deleteCommunity('c1');
      expect(await reopened.loadPortfolioFigures('o1')).toEqual([]);
      expect(await reopened.loadOrganisation('o1')).toEqual(org);
    });

    it("lists an account's organisations (admin or programme lead) by name, bounded, and not its communities or another's", async () => {
      const opened = await implementation.open();
      const store = opened.store;
      for (const [id, name] of [
        ['o1', 'Zeeland programme'],
        ['o2', 'Greenport programme'],
        ['o3', 'Not theirs']
      ])
        await store.createOrganisation({ id, name, timeZone: 'UTC', tokenHash: `h-${id}`, createdAt: 1 });
      await store.createCommunity(communityRecord('o3'));
      await store.createAccount({ id: 'a1', name: 'Ada', createdAt: 1 });
      await store.createAccount({ id: 'a2', name: 'Lea', createdAt: 1 });
      await store.setMembership({ accountId: 'a1', kind: 'organisation', target: 'o1', role: 'owner', addedAt: 1 });
      await store.setMembership({ accountId: 'a1', kind: 'organisation', target: 'o2', role: 'facilitator', addedAt: 2 });
      // A community membership whose id equals an organisation's grants nothing there.
      await store.setMembership({ accountId: 'a1', kind: 'community', target: 'o3', role: 'owner', addedAt: 3 });
      await store.setMembership({ accountId: 'a2', kind: 'organisation', target: 'o3', role: 'facilitator', addedAt: 3 });
      expect(await store.listAccountOrganisations('a1', 10)).toEqual([
        { id: 'o2', name: 'Greenport programme', role: 'facilitator' },
        { id: 'o1', name: 'Zeeland programme', role: 'owner' }
      ]);
      expect(await store.listAccountOrganisations('a1', 1)).toHaveLength(1);
      expect(await store.membershipRole('a1', [{ kind: 'organisation', target: 'o3' }])).toBeNull();
      await store.removeMembership('a1', 'organisation', 'o2');
      const reopened = await opened.reopen();
      expect((await reopened.listAccountOrganisations('a1', 10)).map((o) => o.id)).toEqual(['o1']);
      expect(await reopened.listAccountOrganisations('nobody', 10)).toEqual([]);
    });

    it("reads an organisation's shared communities with each session's latest revealed round, the figures only, in one read", async () => {
      const opened = await implementation.open();
      const store = opened.store;
      await store.createOrganisation({ id: 'o1', name: 'P', timeZone: 'UTC', tokenHash: 'h', createdAt: 1 });
      await store.createOrganisation({ id: 'o2', name: 'Q', timeZone: 'UTC', tokenHash: 'h2', createdAt: 1 });
      for (const c of ['c1', 'c2', 'c3']) await store.createCommunity(communityRecord(c, { name: `Name ${c}` }));
      const factor = (number: number, mean: number | null) => ({
        number,
        n: mean === null ? 1 : 4,
        unknown: 0,
        mean,
        median: mean,
        stddev: 0.5,
        consensus: mean === null ? null : 0.75,
        distribution: mean === null ? null : { '1': 0, '2': 1, '3': 2, '4': 1, '5': 0 },
        weak: false,
        divergent: false,
        unclear: false
      });
      const results = (round: number, voters: number, means: (number | null)[], withheld: string | null = null) =>
        ({
          round,
          voters,
          minVoters: 3,
          withheld,
          factors: means.map((m, i) => factor(i + 1, m)),
          attention: [],
          groups: [{ group: 'company', voters: 3, means: [1] }],
          comments: [['SECRET COMMENT of Zoë']],
          named: null
        }) as never;
      const reveal = async (sessionId: string, round: number, at: number, r: never) =>
        store.saveRevealedRound({ sessionId, round, revealedAt: at, results: r, ballots: [{ name: 'Zoë', answers: [3] }] });
      await store.createSession(sessionRecord('a1', { communityId: 'c1', createdAt: 1 }));
      await store.createSession(sessionRecord('a2', { communityId: 'c1', createdAt: 2 }));
      await store.createSession(sessionRecord('a3', { communityId: 'c1', createdAt: 3 }));
      await store.createSession(sessionRecord('b1', { communityId: 'c2', createdAt: 1 }));
      await store.createSession(sessionRecord('x1', { communityId: 'c3', createdAt: 1 }));
      await reveal('a1', 1, 100, results(1, 4, [2, 3]));
      await reveal('a1', 2, 150, results(2, 5, [2.5, 3.5]));
      await reveal('a2', 1, 200, results(1, 2, [null, null], 'too_few_voters'));
      // a3 never revealed; b1 neither; c3 is not shared.
      await reveal('x1', 1, 100, results(1, 4, [1, 1]));
      await store.shareCommunity('c1', 'o1', 1);
      await store.shareCommunity('c2', 'o1', 1);
      await store.shareCommunity('c3', 'o2', 1);
      const figures = await store.loadPortfolioFigures('o1');
      expect(figures).toEqual([
        {
          id: 'c1',
          name: 'Name c1',
          framework: 'seeds-of-innovation',
          rounds: [
            {
              revealedAt: 150,
              voters: 5,
              minVoters: 3,
              withheld: null,
              factors: [
                { number: 1, n: 4, mean: 2.5, consensus: 0.75 },
                { number: 2, n: 4, mean: 3.5, consensus: 0.75 }
              ]
            },
            {
              revealedAt: 200,
              voters: 2,
              minVoters: 3,
              withheld: 'too_few_voters',
              factors: [
                { number: 1, n: 1, mean: null, consensus: null },
                { number: 2, n: 1, mean: null, consensus: null }
              ]
            }
          ]
        },
        { id: 'c2', name: 'Name c2', framework: 'seeds-of-innovation', rounds: [] }
      ]);
      expect(JSON.stringify(figures)).not.toMatch(/SECRET|Zoë|company|C-a/);
      await store.withdrawShare('c1', 'o1');
      expect((await store.loadPortfolioFigures('o1')).map((c) => c.id)).toEqual(['c2']);
      expect(await store.loadPortfolioFigures('unknown')).toEqual([]);
    });

    it("never answers an organisation's figures from what another handle parsed before a change: a withdrawal, a new reveal, a meeting continuing a check-in, a deleted session", async () => {
      const opened = await implementation.open();
      const writer = opened.store;
      // The reader is another instance (its own connections, its own parsed figures): it reads, then the writer changes.
      const reader = await opened.second();
      await writer.createOrganisation({ id: 'o1', name: 'P', timeZone: 'UTC', tokenHash: 'h', createdAt: 1 });
      for (const c of ['c1', 'c2']) await writer.createCommunity(communityRecord(c, { name: `Name ${c}` }));
      const results = (voters: number, mean: number) =>
        ({
          round: 1,
          voters,
          minVoters: 3,
          withheld: null,
          factors: [
            {
              number: 1,
              n: voters,
              unknown: 0,
              mean,
              median: mean,
              stddev: 0.5,
              consensus: 0.5,
              distribution: null,
              weak: false,
              divergent: false,
              unclear: false
            }
          ],
          attention: [],
          groups: [],
          comments: [],
          named: null
        }) as never;
      const reveal = (sessionId: string, at: number, mean: number) =>
        writer.saveRevealedRound({ sessionId, round: 1, revealedAt: at, results: results(5, mean), ballots: [] });
      await writer.createSession(sessionRecord('a1', { communityId: 'c1', createdAt: 1 }));
      await writer.createSession(sessionRecord('b1', { communityId: 'c2', createdAt: 1 }));
      await reveal('a1', 100, 2);
      await reveal('b1', 100, 3);
      await writer.shareCommunity('c1', 'o1', 1);
      await writer.shareCommunity('c2', 'o1', 1);
      const means = async (store: Store) => (await store.loadPortfolioFigures('o1')).map((c) => [c.id, c.rounds.map((r) => [r.revealedAt, r.factors[0].mean])]);
      expect(await means(reader)).toEqual([
        ['c1', [[100, 2]]],
        ['c2', [[100, 3]]]
      ]);
      // Withdrawn on one instance: gone from the other's next read, figures and all.
      await writer.withdrawShare('c1', 'o1');
      expect(await means(reader)).toEqual([['c2', [[100, 3]]]]);
      // Revealed on one instance: in the other's next read.
      await writer.createSession(sessionRecord('b2', { communityId: 'c2', createdAt: 2 }));
      await reveal('b2', 200, 4);
      expect(await means(reader)).toEqual([
        [
          'c2',
          [
            [100, 3],
            [200, 4]
          ]
        ]
      ]);
      // A meeting continuing the check-in b2 (seeded from it) makes b2 stop counting, until the meeting reveals its own round.
      await writer.createSession(sessionRecord('m2', { communityId: 'c2', createdAt: 3, seededFrom: 'b2' }));
      expect(await means(reader)).toEqual([['c2', [[100, 3]]]]);
      await reveal('m2', 300, 4.5);
      expect(await means(reader)).toEqual([
        [
          'c2',
          [
            [100, 3],
            [300, 4.5]
          ]
        ]
      ]);
      // A deleted session leaves with its figures; re-shared, the community is back with what it has now.
      await writer.deleteSession('b1');
      await writer.shareCommunity('c1', 'o1', 5);
      expect(await means(reader)).toEqual([
        ['c1', [[100, 2]]],
        ['c2', [[300, 4.5]]]
      ]);
      // And what it answers is what a store that never read before answers.
      expect(await reader.loadPortfolioFigures('o1')).toEqual(await (await opened.reopen()).loadPortfolioFigures('o1'));
    });

    it('keeps whether a paper session was counted on paper or imported', async () => {
      const opened = await implementation.open();
      await opened.store.createCommunity(communityRecord('c1'));
      await opened.store.savePaperSession(paperRecord('p1', 'c1', { source: 'import' }));
      await opened.store.savePaperSession(paperRecord('p2', 'c1'));
      const reopened = await opened.reopen();
      expect((await reopened.listPaperSessions('c1')).map((p) => [p.id, p.source])).toEqual([
        ['p1', 'import'],
        ['p2', 'paper']
      ]);
    });

    it('keeps the idle sessions of a community when purging idle ones, but not its abandoned lobbies', async () => {
      const { store } = await implementation.open();
      const old = Date.now() - 100 * DAY;
      await store.createCommunity(communityRecord('c1'));
      await store.createSession(sessionRecord('member', { communityId: 'c1', phase: 'closed', createdAt: old, updatedAt: old }));
      await store.createSession(sessionRecord('lobby', { communityId: 'c1', createdAt: old, updatedAt: old }));
      await store.createSession(sessionRecord('single', { createdAt: old, updatedAt: old }));
      expect(await store.purgeIdle(Date.now() - 90 * DAY)).toEqual(['single']);
      expect(await store.purgeAbandonedLobbies(Date.now() - DAY)).toEqual(['lobby']);
      // A lobby where the review was recorded is being prepared, not abandoned.
      await store.createSession(sessionRecord('prepared', { communityId: 'c1', createdAt: old + 1, updatedAt: old }));
      await store.saveActionReview({
        reviewingSessionId: 'prepared',
        originSessionId: 'member',
        actionId: 'a1',
        status: 'done',
        carriedActionId: null,
        reviewedAt: old
      });
      expect(await store.purgeAbandonedLobbies(Date.now() + DAY)).toEqual([]);
      expect((await store.listCommunitySessions('c1')).map((s) => s.id)).toEqual(['member', 'prepared']);
    });

    // ---- issue 20: bounded work per request, rules across sessions held by the store ----

    it("stores a paper session's figures with it and reads them back as stored, never recomputed from its counts", async () => {
      const opened = await implementation.open();
      const store = opened.store;
      await store.createCommunity(communityRecord('c1'));
      const paper = paperRecord('p1', 'c1');
      expect(paper.figures.voters).toBe(8);
      // Figures that do not follow from the counts: what is read back is what was stored, so nothing recomputes them.
      const marked = { ...paper, figures: { ...paper.figures, voters: 4242, attention: [7] } };
      expect(await store.savePaperSession(marked)).toBe(true);
      expect((await store.listPaperSessions('c1'))[0].figures).toEqual(marked.figures);
      expect((await store.latestPaperSession('c1', '2026-05-01', Number.MAX_SAFE_INTEGER))?.figures).toEqual(marked.figures);
      const reopened = await opened.reopen();
      expect((await reopened.listPaperSessions('c1'))[0]).toEqual(marked);
    });

    it("finds a community's latest paper session on or before a day and stored before a moment, one row", async () => {
      const { store } = await implementation.open();
      await store.createCommunity(communityRecord('c1'));
      await store.createCommunity(communityRecord('c2'));
      await store.savePaperSession(paperRecord('old', 'c1', { date: '2026-01-10', createdAt: 100 }));
      await store.savePaperSession(paperRecord('same-day-early', 'c1', { date: '2026-03-01', createdAt: 200 }));
      await store.savePaperSession(paperRecord('same-day-late', 'c1', { date: '2026-03-01', createdAt: 300 }));
      await store.savePaperSession(paperRecord('later', 'c1', { date: '2026-04-01', createdAt: 150 }));
      await store.savePaperSession(paperRecord('elsewhere', 'c2', { date: '2026-03-15', createdAt: 100 }));
      expect((await store.latestPaperSession('c1', '2026-03-31', 1000))?.id).toBe('same-day-late');
      expect((await store.latestPaperSession('c1', '2026-03-31', 300))?.id).toBe('same-day-early');
      expect((await store.latestPaperSession('c1', '2026-04-01', 1000))?.id).toBe('later');
      expect((await store.latestPaperSession('c1', '2026-01-09', 1000))?.id).toBeUndefined();
      expect(await store.latestPaperSession('nobody', '2099-01-01', 1000)).toBeNull();
    });

    it("caps a community's paper and live sessions in the store: past the cap nothing is stored and the answer is false", async () => {
      const { store } = await implementation.open();
      await store.createCommunity(communityRecord('c1'));
      await store.createCommunity(communityRecord('c2'));
      // Called together (one batch on the SQL stores): each counts what the ones before it inserted.
      const papers = await Promise.all(Array.from({ length: 5 }, (_, i) => store.savePaperSession(paperRecord(`p${i}`, 'c1'), 3)));
      expect(papers.filter(Boolean)).toHaveLength(3);
      expect(await store.listPaperSessions('c1')).toHaveLength(3);
      // Another community has its own count; without a cap nothing is counted.
      expect(await store.savePaperSession(paperRecord('q', 'c2'), 3)).toBe(true);
      expect(await store.savePaperSession(paperRecord('uncapped', 'c1'))).toBe(true);

      const sessions = await Promise.all(Array.from({ length: 4 }, (_, i) => store.createSession(sessionRecord(`s${i}`, { communityId: 'c1' }), 2)));
      expect(sessions).toEqual([true, true, false, false]);
      expect((await store.listCommunitySessions('c1')).map((s) => s.id).sort()).toEqual(['s0', 's1']);
      expect(await store.findSessionIdByCode('C-s2')).toBeNull();
      // A session on its own is never counted against a community.
      expect(await store.createSession(sessionRecord('alone'), 2)).toBe(true);
    });

    it('holds the per-community cap across two handles on the same data inserting at once (two instances)', async () => {
      const opened = await implementation.open();
      const other = await opened.second();
      await opened.store.createCommunity(communityRecord('c1'));
      const writes = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? opened.store : other).savePaperSession(paperRecord(`p${i}`, 'c1'), 5));
      const answers = await Promise.all(writes);
      expect(answers.filter(Boolean)).toHaveLength(5);
      expect(await opened.store.listPaperSessions('c1')).toHaveLength(5);
      const sessions = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? opened.store : other).createSession(sessionRecord(`s${i}`, { communityId: 'c1' }), 3))
      );
      expect(sessions.filter(Boolean)).toHaveLength(3);
      expect(await opened.store.listCommunitySessions('c1')).toHaveLength(3);
    });

    it('decides an earlier action point once: of two sessions closing it at once on two handles exactly one wins, and nothing of the loser is stored', async () => {
      const opened = await implementation.open();
      const other = await opened.second();
      const store = opened.store;
      await store.createCommunity(communityRecord('c1'));
      await store.createSession(sessionRecord('origin', { communityId: 'c1', createdAt: 100 }));
      await store.createSession(sessionRecord('left', { communityId: 'c1', createdAt: 200 }));
      await store.createSession(sessionRecord('right', { communityId: 'c1', createdAt: 300 }));
      await store.saveActionPoints('origin', [actionPoint('a1')]);
      const review = (reviewing: string, status: 'done' | 'doing' | 'dropped' | 'carried', reviewedAt: number) => ({
        reviewingSessionId: reviewing,
        originSessionId: 'origin',
        actionId: 'a1',
        status,
        carriedActionId: status === 'carried' ? `copy-${reviewing}` : null,
        reviewedAt
      });
      // "doing" keeps it open: both may say so.
      await store.saveActionReview(review('left', 'doing', 400));
      await other.saveActionReview(review('right', 'doing', 400));

      const results = await Promise.allSettled([
        store.saveActionReview(review('left', 'carried', 500), [actionPoint('copy-left', { origin: 'C-origin/a1' })]),
        other.saveActionReview(review('right', 'carried', 500), [actionPoint('copy-right', { origin: 'C-origin/a1' })])
      ]);
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(won).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(DecidedElsewhereError);
      const [winner, loser] = won[0] === 0 ? ['left', 'right'] : ['right', 'left'];
      const reviews = await store.listActionReviews('c1');
      expect(reviews.filter((r) => r.status === 'carried').map((r) => r.reviewingSessionId)).toEqual([winner]);
      // The loser's review stays what it was, and its carried copy is not on its board.
      expect(reviews.find((r) => r.reviewingSessionId === loser)?.status).toBe('doing');
      expect((await store.loadActionPoints(loser)).map((a) => a.id)).toEqual([]);
      expect((await store.loadActionPoints(winner)).map((a) => a.id)).toEqual([`copy-${winner}`]);

      // Other closing statuses are refused too; the winner may change its own decision; once it reopens it, the other may close.
      await expect(store.saveActionReview(review(loser, 'done', 600))).rejects.toBeInstanceOf(DecidedElsewhereError);
      await store.saveActionReview(review(winner, 'dropped', 700));
      await store.saveActionReview(review(winner, 'doing', 800));
      await store.saveActionReview(review(loser, 'done', 900));
      expect((await store.listActionReviews('c1')).map((r) => [r.reviewingSessionId, r.status])).toEqual([
        [winner, 'doing'],
        [loser, 'done']
      ]);
      // Listed by origin session, as a room's bounded look-back reads them.
      expect(await store.listActionReviews('c1', ['origin'])).toEqual(await store.listActionReviews('c1'));
      expect(await store.listActionReviews('c1', ['left', 'right'])).toEqual([]);
      expect(await store.listActionReviews('c1', [])).toEqual([]);
      expect(await store.listActionReviews('c2', ['origin'])).toEqual([]);
    });

    const fencing = implementation.fencing;
    describe.skipIf(!fencing)('fencing', () => {
      it('commits every kind of session write under the current epoch, and refuses each one called under an epoch given up before its commit, changing nothing', async () => {
        const { store, take, takeOver, takeBack } = await fencing!.open();
        await take('origin');
        await take('s1');
        await take('s2');
        await store.createCommunity(communityRecord('c1'));
        await store.createSession(sessionRecord('origin', { communityId: 'c1' }));
        await store.createSession(sessionRecord('s1', { communityId: 'c1' }));
        await store.createSession(sessionRecord('s2'));
        await store.addParticipant(participantRecord('a', 's1'));
        await store.addParticipant(participantRecord('b', 's1', 2));
        await store.addParticipant(participantRecord('z', 's2'));
        await store.saveAnswer(answerRecord('s1', 'a', 1, 3));
        await store.setDots('s1', 'a', 'x', 1);
        await store.saveActionPoints('s1', [actionPoint('x')]);
        await store.appendYjsUpdate('s1', bytes(1));
        await store.setCommentHidden('s1', { round: 1, factor: 1, text: 'shown' }, true);
        const review = { reviewingSessionId: 's1', originSessionId: 'origin', actionId: 'o1', status: 'doing' as const, carriedActionId: null, reviewedAt: 5 };
        await store.saveActionReview(review);
        const before = await store.loadSession('s1');

        // Every write of s1 under the epoch held now, called in one turn with a write of s2 (one batch), and the session
        // taken over before that batch commits: each write of s1 fails with a typed error, the write of s2 commits.
        const stale = [
          store.saveAnswer(answerRecord('s1', 'a', 1, 5)),
          store.saveAnswer(answerRecord('s1', 'b', 2, 4)),
          store.updateSession('s1', { phase: 'voting' }),
          store.addParticipant(participantRecord('c', 's1', 3)),
          store.removeParticipant('s1', 'b'),
          store.setDots('s1', 'a', 'x', 3),
          store.saveActionPoints('s1', [actionPoint('x', { owner: 'Someone else' })]),
          store.appendYjsUpdate('s1', bytes(2)),
          store.compactYjs('s1', bytes(7)),
          store.setCommentHidden('s1', { round: 1, factor: 1, text: 'shown' }, false),
          store.saveRevealedRound({ sessionId: 's1', round: 1, revealedAt: 9, results: {} as never, ballots: [] }),
          store.saveActionReview({ ...review, status: 'done' }),
          store.deleteSession('s1')
        ];
        const other = store.saveAnswer(answerRecord('s2', 'z', 1, 2));
        const settled = Promise.allSettled(stale);
        await takeOver('s1');
        const outcomes = await settled;
        expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).name : 'committed'))).toEqual(stale.map(() => 'FencedError'));
        await other;
        expect(await store.loadSession('s1')).toEqual(before);
        expect(await store.loadYjsUpdates('s1')).toEqual([bytes(1)]);
        expect(await store.loadRevealedRounds('s1')).toEqual([]);
        expect(await store.listActionReviews('c1')).toEqual([review]);
        expect((await store.loadSession('s2'))!.answers).toEqual([answerRecord('s2', 'z', 1, 2)]);

        // Refused at once now; taken back (a new epoch here), writes commit again.
        await expect(store.saveAnswer(answerRecord('s1', 'a', 1, 5))).rejects.toMatchObject({ name: 'FencedError' });
        await takeBack('s1');
        await store.saveAnswer(answerRecord('s1', 'a', 1, 5));
        await store.updateSession('s1', { phase: 'voting' });
        const after = (await store.loadSession('s1'))!;
        expect(after.answers).toEqual([answerRecord('s1', 'a', 1, 5)]);
        expect(after.session.phase).toBe('voting');
      });

      it('leaves out of a batch of answers exactly those under an epoch given up before its commit, and commits the others', async () => {
        const { store, take, takeOver } = await fencing!.open();
        await take('s1');
        await take('s2');
        await store.createSession(sessionRecord('s1'));
        await store.createSession(sessionRecord('s2'));
        await store.addParticipant(participantRecord('a', 's1'));
        await store.addParticipant(participantRecord('z', 's2'));
        await store.saveAnswer(answerRecord('s1', 'a', 1, 3));

        // Consecutive answers called in one turn join one batch: the stale ones between fresh ones of another session.
        const calls = [
          store.saveAnswer(answerRecord('s2', 'z', 1, 2)),
          store.saveAnswer(answerRecord('s1', 'a', 1, 5)),
          store.saveAnswer(answerRecord('s2', 'z', 2, 4)),
          store.saveAnswer(answerRecord('s1', 'a', 2, 1)),
          store.saveAnswer(answerRecord('s2', 'z', 3, 1))
        ];
        const settled = Promise.allSettled(calls);
        await takeOver('s1');
        const outcomes = await settled;
        expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).name : 'committed'))).toEqual([
          'committed',
          'FencedError',
          'committed',
          'FencedError',
          'committed'
        ]);
        expect((await store.loadSession('s1'))!.answers).toEqual([answerRecord('s1', 'a', 1, 3)]);
        expect((await store.loadSession('s2'))!.answers).toEqual(
          expect.arrayContaining([answerRecord('s2', 'z', 1, 2), answerRecord('s2', 'z', 2, 4), answerRecord('s2', 'z', 3, 1)])
        );
        expect((await store.loadSession('s2'))!.answers).toHaveLength(3);
      });

      it('refuses at once a write of a session this instance does not own', async () => {
        const { store, take } = await fencing!.open();
        await take('s1');
        await store.createSession(sessionRecord('s1'));
        await expect(store.createSession(sessionRecord('s3'))).rejects.toThrow(/not owned by this instance/);
        await expect(store.updateSession('s3', { phase: 'voting' })).rejects.toMatchObject({ name: 'FencedError' });
        expect(await store.findSessionIdByCode('C-s3')).toBeNull();
      });
    });
  });
}
