import { afterEach, describe, expect, test, vi } from 'vitest';
import { SqliteStore } from '../../server/store/sqlite';
import { BOARD_COMMIT_WINDOW_MS, type SqlDriver } from '../../server/store/sql-store';
import { answerRecord, participantRecord, sessionRecord } from '../helpers/store-contract';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** A store in memory whose transactions (one per group commit) are counted. */
async function countedStore() {
  const store = new SqliteStore({ memory: true });
  await store.createSession(sessionRecord('s1', { phase: 'actions' }));
  await store.addParticipant(participantRecord('a', 's1'));
  const driver = (store as unknown as { driver: SqlDriver }).driver;
  const commits = vi.spyOn(driver, 'transaction');
  return { store, commits };
}

/** Whether each promise has settled yet, as its flag. */
function tracked(promise: Promise<unknown>) {
  const state = { settled: false };
  void promise.finally(() => (state.settled = true));
  return state;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('board updates share a commit window (the relay waits for the commit, nobody else does)', () => {
  test('updates called in separate turns within the window commit together, in order', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { store, commits } = await countedStore();
    const appended = [];
    for (const byte of [1, 2, 3]) {
      appended.push(store.appendYjsUpdate('s1', new Uint8Array([byte])));
      await nextTurn();
    }
    const flags = appended.map(tracked);
    await nextTurn();
    expect(flags.map((f) => f.settled)).toEqual([false, false, false]);
    expect(commits).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(BOARD_COMMIT_WINDOW_MS);
    await Promise.all(appended);
    expect(commits).toHaveBeenCalledTimes(1);
    expect((await store.loadYjsUpdates('s1')).map((u) => [...u])).toEqual([[1], [2], [3]]);
    await store.close();
  });

  test('a write that should not wait ends the window: it commits at once, with the updates before it, in call order', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { store, commits } = await countedStore();
    const update = store.appendYjsUpdate('s1', new Uint8Array([7]));
    await nextTurn();
    // No clock moved: the vote does not wait for the window, and takes the waiting update with it.
    await store.saveAnswer(answerRecord('s1', 'a', 1, 4));
    await update;
    expect(commits).toHaveBeenCalledTimes(1);
    expect((await store.loadYjsUpdates('s1')).map((u) => [...u])).toEqual([[7]]);
    expect((await store.loadSession('s1'))!.answers.map((a) => a.answer)).toEqual([4]);
    await store.close();
  });

  test('closing the store commits what waits in the window at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { store } = await countedStore();
    const update = store.appendYjsUpdate('s1', new Uint8Array([5]));
    await store.close();
    await expect(update).resolves.toBeUndefined();
  });
});
