/**
 * A store with a row in every table, and everything it holds read back through the `Store` interface:
 * what tests/fixtures/store-at-4830a9e was made with (by the code of main before the one SQL store,
 * scripts in that folder), and what the upgrade test reads from it after the new store opened it.
 * Only the `Store` interface is used, so the same file runs against either version of the code.
 */
import type { Store } from '../../server/store/types';
import { actionPoint, answerRecord, communityRecord, paperRecord, participantRecord, sessionRecord } from './store-contract';

const T = 1_760_000_000_000;
const SESSIONS = ['alone', 'first', 'second'] as const;

export async function fillEveryTable(store: Store): Promise<void> {
  await store.createCommunity(communityRecord('c1', { name: 'Gemeenschap “é” 🌱', timeZone: 'America/Curacao', createdAt: T }));
  await store.createSession(sessionRecord('alone', { createdAt: T, updatedAt: T, anonymous: false, presenterTokenHash: 'presenter-alone' }));
  await store.createSession(sessionRecord('first', { communityId: 'c1', createdAt: T + 1, updatedAt: T + 1, timeZone: 'America/Curacao' }));
  await store.createSession(sessionRecord('second', { communityId: 'c1', createdAt: T + 2, updatedAt: T + 2 }));
  for (const id of SESSIONS) {
    await store.addParticipant({ ...participantRecord(`${id}-ann`, id, T + 10), group: 'Zorg', language: 'en' });
    await store.addParticipant(participantRecord(`${id}-bob`, id, T + 11));
    await Promise.all([
      store.saveAnswer({ ...answerRecord(id, `${id}-ann`, 1, 4), comment: 'Goed bezig — “quotes”\nen een tweede regel' }),
      store.saveAnswer(answerRecord(id, `${id}-ann`, 2, 'unknown')),
      store.saveAnswer(answerRecord(id, `${id}-bob`, 1, 2)),
      store.saveAnswer(answerRecord(id, `${id}-bob`, 1, 3, 2))
    ]);
    await store.updateSession(id, { phase: 'revealed', revealedRounds: [1], votingDeadline: T + 60_000, votingClosed: true, votingPausedMs: 1234 });
    await store.saveRevealedRound({
      sessionId: id,
      round: 1,
      revealedAt: T + 100,
      results: { round: 1, voters: 2, minVoters: 1, withheld: false, factors: [], attention: [], groups: [], named: null } as never,
      ballots: [{ name: null, answers: [4, 'unknown', null] }] as never
    });
    await store.setCommentHidden(id, { round: 1, factor: 1, text: 'Goed bezig — “quotes”\nen een tweede regel' }, true);
    await store.saveActionPoints(id, [
      actionPoint('a1', { createdAt: T + 200 }),
      actionPoint('a2', { factor: null, position: 2.5, removed: true, createdAt: T + 201 })
    ]);
    await store.setDots(id, `${id}-ann`, 'a1', 2);
    await store.setDots(id, 'facilitator', 'a1', 1);
    await store.appendYjsUpdate(id, new Uint8Array([1, 2, 3]));
    await store.compactYjs(id, new Uint8Array([9, 8, 7, 6]));
    await store.appendYjsUpdate(id, new Uint8Array([0, 255]));
  }
  await store.savePaperSession(paperRecord('p1', 'c1', { date: '2025-01-02', createdAt: T + 300 }));
  await store.savePaperSession(paperRecord('p2', 'c1', { date: '2025-02-03', createdAt: T + 301, source: 'import', title: 'Geïmporteerd' }));
  await store.saveActionReview(
    { reviewingSessionId: 'second', originSessionId: 'first', actionId: 'a1', status: 'carried', carriedActionId: 'a9', reviewedAt: T + 400 },
    [actionPoint('a9', { origin: 'first/a1', createdAt: T + 401 })]
  );
  await store.saveActionReview({
    reviewingSessionId: 'second',
    originSessionId: 'first',
    actionId: 'a2',
    status: 'doing',
    carriedActionId: null,
    reviewedAt: T + 402
  });
}

/** Everything the store holds for what fillEveryTable wrote, as plain JSON (order-insensitive parts sorted). */
export async function readEveryTable(store: Store): Promise<unknown> {
  const sorted = <T>(items: T[]) => [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const sessions: Record<string, unknown> = {};
  for (const id of SESSIONS) {
    const loaded = await store.loadSession(id);
    if (!loaded) throw new Error(`session ${id} is missing`);
    // Key by key, in one order: the two stores of main built these objects in different orders.
    sessions[id] = {
      // Writes touch updated_at with the clock of the moment: that it is there is what counts.
      session: { ...loaded.session, updatedAt: typeof loaded.session.updatedAt },
      participants: loaded.participants,
      revealed: loaded.revealed,
      answers: sorted(loaded.answers),
      dots: sorted(loaded.dots),
      actions: sorted(loaded.actions),
      hiddenComments: sorted(loaded.hiddenComments),
      yjs: (await store.loadYjsUpdates(id)).map((u) => [...u]),
      byCode: await store.findSessionIdByCode(`C-${id}`)
    };
  }
  return JSON.parse(
    JSON.stringify({
      sessions,
      live: await store.countLiveSessions(),
      community: await store.loadCommunity('c1'),
      communitySessions: await store.listCommunitySessions('c1'),
      papers: await store.listPaperSessions('c1'),
      latestPaper: await store.latestPaperSession('c1', '2025-12-31', T + 1000),
      reviews: await store.listActionReviews('c1')
    })
  );
}
