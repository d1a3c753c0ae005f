/**
 * The store's commit window for board updates (server/store/sql-store.ts, enqueue): nobody waits for an answer to a
 * board update, so on a busy board it may wait for others to share its commit. Each store here has a window of a
 * minute, so that what waits in it waits until something ends it, whatever the machine's load: no clock is faked.
 */
import { describe, expect, test, vi } from 'vitest';
import { SqliteStore } from '../../server/store/sqlite';
import type { SqlDriver } from '../../server/store/sql-store';
import { answerRecord, participantRecord, sessionRecord } from '../helpers/store-contract';

const A_MINUTE = 60_000;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** A store in memory with a minute-long window, whose transactions (one per group commit) are counted. */
async function countedStore() {
  const store = new SqliteStore({ memory: true, boardCommitWindowMs: A_MINUTE });
  await store.createSession(sessionRecord('s1', { phase: 'actions' }));
  await store.addParticipant(participantRecord('a', 's1'));
  const driver = (store as unknown as { driver: SqlDriver }).driver;
  const commits = vi.spyOn(driver, 'transaction');
  return { store, commits };
}

/** Whether a promise has settled yet. */
function tracked(promise: Promise<unknown>) {
  const state = { settled: false };
  void promise.finally(() => (state.settled = true));
  return state;
}

const update = (byte: number) => new Uint8Array([byte]);
const storedUpdates = async (store: SqliteStore) => (await store.loadYjsUpdates('s1')).map((u) => [...u]);

describe('board updates share a commit window (the relay waits for the commit, nobody else does)', () => {
  test('one person typing on a quiet board commits at once: no window opens', async () => {
    const { store, commits } = await countedStore();
    // A window would hold this for a minute and the test would time out.
    await store.appendYjsUpdate('s1', update(1));
    expect(commits).toHaveBeenCalledTimes(1);
    await store.close();
  });

  test('on a busy board, updates called in separate turns wait and commit together; a vote ends the window at once, in call order', async () => {
    const { store, commits } = await countedStore();
    await store.appendYjsUpdate('s1', update(1));
    // The store idle again (an update called while a commit is in flight simply joins the next batch).
    await store.flush();
    const waiting = [];
    for (const byte of [2, 3]) {
      waiting.push(store.appendYjsUpdate('s1', update(byte)));
      await nextTurn();
    }
    const flags = waiting.map(tracked);
    for (let turn = 0; turn < 3; turn++) await nextTurn();
    expect(flags.map((f) => f.settled)).toEqual([false, false]);
    expect(commits).toHaveBeenCalledTimes(1);

    await store.saveAnswer(answerRecord('s1', 'a', 1, 4));
    await Promise.all(waiting);
    expect(commits).toHaveBeenCalledTimes(2);
    expect(await storedUpdates(store)).toEqual([[1], [2], [3]]);
    expect((await store.loadSession('s1'))!.answers.map((a) => a.answer)).toEqual([4]);
    await store.close();
  });

  test('a read ends the window: it sees the update called before it, without waiting for the window', async () => {
    const { store } = await countedStore();
    await store.appendYjsUpdate('s1', update(1));
    await store.flush();
    const waiting = store.appendYjsUpdate('s1', update(2));
    expect(await storedUpdates(store)).toEqual([[1], [2]]);
    await waiting;
    await store.close();
  });

  test('flushing or closing the store commits what waits in the window at once', async () => {
    const { store } = await countedStore();
    await store.appendYjsUpdate('s1', update(1));
    await store.flush();
    const flushed = tracked(store.appendYjsUpdate('s1', update(2)));
    await store.flush();
    expect(flushed.settled).toBe(true);
    const closing = store.appendYjsUpdate('s1', update(3));
    await store.close();
    await expect(closing).resolves.toBeUndefined();
  });
});
