/**
 * The review at the start of a community's next session (issue 14): the open
 * action points of earlier sessions are listed, the facilitator records what
 * the group says, carried-over points land on the new board with their text
 * and a link to where they came from, and the next session lists only what is
 * still open. Real server, real sockets, real Yjs, a real SQLite file that is
 * reopened.
 */
import { describe, expect, it } from 'vitest';
import type { CreateCommunityResponse, ReviewItem } from '../../src/lib/protocol';
import { addPoint, textIn } from '../helpers/board';
import { connectFacilitator, connectYjs } from '../helpers/clients';
import { FaultyStore } from '../helpers/faulty-store';
import { api, makeDataDir, postJson, startServer } from '../helpers/server';
import { advance, setupSession } from '../helpers/session';
import type { RunningServer } from '../../server/app';
import type { Store } from '../../server/store/types';
import * as Y from 'yjs';
import { YJS_TEXTS } from '../../src/lib/protocol';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function community(server: RunningServer): Promise<CreateCommunityResponse> {
  const created = await postJson<CreateCommunityResponse>(server.url, '/api/communities', { name: 'Greenport', language: 'en' });
  expect(created.status, created.text).toBe(201);
  return created.body;
}

function sessionOf(server: RunningServer, c: CreateCommunityResponse, participants = 1) {
  return setupSession(server, { participants, create: { community: c.id, title: 'Meeting' }, createHeaders: bearer(c.communityToken) });
}

/** A first session whose board ends with: one open point with owner and due date, one doing, one done, one removed, one merged. */
async function firstSession(server: RunningServer, c: CreateCommunityResponse) {
  const first = await sessionOf(server, c);
  await advance(first.facilitator, 'voting', 'revealed', 'actions');
  const open = await addPoint(first.facilitator, 3, 'Plan a site visit');
  const doing = await addPoint(first.people[0].client, 5, 'Write the newsletter');
  const done = await addPoint(first.facilitator, 1, 'Book a room');
  const removed = await addPoint(first.facilitator, 2, 'A duplicate');
  const part = await addPoint(first.facilitator, 3, 'and invite the mayor');
  for (const ack of await Promise.all([
    first.facilitator.send('action:update', { actionId: open, owner: 'Ana', due: '2027-01-15' }),
    first.facilitator.send('action:update', { actionId: doing, status: 'doing' }),
    first.facilitator.send('action:update', { actionId: done, status: 'done' }),
    first.facilitator.send('action:remove', { actionId: removed }),
    first.facilitator.send('action:merge', { sourceId: part, targetId: open })
  ]))
    expect(ack.ok).toBe(true);
  await advance(first.facilitator, 'closed');
  return { ...first, points: { open, doing, done, removed, part } };
}

describe('review of earlier action points', () => {
  it('lists what is open, carries points over with their text and origin, and the next session sees only what stayed open', async () => {
    const dataDir = await makeDataDir();
    const server = await startServer({ dataDir });
    const c = await community(server);
    const first = await firstSession(server, c);

    const second = await sessionOf(server, c);
    const review = second.facilitator.snapshot.review!;
    expect(second.facilitator.snapshot.community).toEqual({ name: 'Greenport', id: c.id });
    expect(second.people[0].client.snapshot.community).toEqual({ name: 'Greenport', id: null });
    expect(review.map((i) => [i.actionId, i.text, i.owner, i.due, i.boardStatus, i.review])).toEqual([
      [first.points.open, 'Plan a site visit\nand invite the mayor', 'Ana', '2027-01-15', 'open', null],
      [first.points.doing, 'Write the newsletter', null, null, 'doing', null]
    ]);
    expect(review[0].key).toBe(`${first.code}/${first.points.open}`);
    expect(second.people[0].client.snapshot.review).toEqual(review);

    // Carried over in the lobby, before voting: the copy is on the board with text, owner, due date and origin.
    const carried = await second.facilitator.send('review:set', { key: review[0].key, status: 'carried' });
    expect(carried.ok).toBe(true);
    const item = (carried as { data: ReviewItem }).data;
    expect(item.review).toBe('carried');
    const copy = (await second.facilitator.state()).actions.find((a) => a.id === item.carriedTo);
    expect(copy).toMatchObject({ factor: 3, owner: 'Ana', due: '2027-01-15', status: 'open', origin: review[0].key, removed: false });
    const participantHeard = await second.people[0].client.waitForEvent('review', (items) =>
      items.some((i) => i.key === review[0].key && i.review === 'carried')
    );
    expect(participantHeard[0].carriedTo).toBe(item.carriedTo);
    await second.people[0].client.waitForEvent('actions', (changed) => changed.some((a) => a.id === item.carriedTo));
    const board = await connectYjs(server.url, second.code, second.created.facilitatorToken);
    expect((await textIn(board.doc, item.carriedTo!)).toString()).toBe('Plan a site visit\nand invite the mayor');

    // Carrying again changes nothing; marking it differently takes the copy off the board (undoably), carrying again brings the same copy back.
    const again = await second.facilitator.send('review:set', { key: review[0].key, status: 'carried' });
    expect(again.ok && again.data.carriedTo).toBe(item.carriedTo);
    expect((await second.facilitator.send('review:set', { key: review[0].key, status: 'dropped' })).ok).toBe(true);
    expect((await second.facilitator.state()).actions.find((a) => a.id === item.carriedTo)!.removed).toBe(true);
    expect((await second.facilitator.send('review:set', { key: review[0].key, status: 'carried' })).ok).toBe(true);
    const back = await second.facilitator.state();
    expect(back.actions.filter((a) => a.origin === review[0].key).map((a) => [a.id, a.removed])).toEqual([[item.carriedTo, false]]);
    expect((await second.facilitator.send('review:set', { key: review[1].key, status: 'doing' })).ok).toBe(true);

    // Refusals change nothing: a participant, an unknown key, a malformed status.
    const refused = [
      await second.people[0].client.send('review:set', { key: review[1].key, status: 'done' }),
      await second.facilitator.send('review:set', { key: `${first.code}/${first.points.done}`, status: 'carried' }),
      await second.facilitator.sendRaw('review:set', { key: review[1].key, status: 'finished' })
    ];
    expect(refused.map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(['forbidden', 'not_found', 'bad_request']);
    expect((await second.facilitator.state()).review!.map((i) => i.review)).toEqual(['carried', 'doing']);

    // After a restart on the same file the review is as it was stored.
    board.destroy();
    await server.close();
    const restarted = await startServer({ dataDir });
    const facilitatorAgain = await connectFacilitator(restarted.url, second.code, second.created.facilitatorToken);
    const after = facilitatorAgain.snapshot;
    expect(after.review!.map((i) => [i.key, i.review, i.carriedTo])).toEqual([
      [review[0].key, 'carried', item.carriedTo],
      [review[1].key, 'doing', null]
    ]);
    expect(after.actions.find((a) => a.id === item.carriedTo)!.origin).toBe(review[0].key);

    // The third session: the carried-over point of the second session is listed in place of the original; "doing" stays open.
    const third = await sessionOf(restarted, c, 0);
    const thirdReview = third.facilitator.snapshot.review!;
    expect(thirdReview.map((i) => [i.sessionCode, i.text])).toEqual([
      [first.code, 'Write the newsletter'],
      [second.code, 'Plan a site visit\nand invite the mayor']
    ]);
    facilitatorAgain.close();
  });

  it('a failed store write leaves the review and the board exactly as stored', async () => {
    let faulty: FaultyStore | null = null;
    const server = await startServer({ wrapStore: (store) => (faulty = new FaultyStore(store)) });
    const c = await community(server);
    const first = await firstSession(server, c);
    const second = await sessionOf(server, c);
    const key = `${first.code}/${first.points.open}`;
    // The disk is full: every write of the change fails (on SQLite they are one transaction anyway).
    faulty!.failWrites(Infinity);
    const refused = await second.facilitator.send('review:set', { key, status: 'carried' });
    faulty!.heal();
    expect(faulty!.failed).toContain('saveActionReview');
    expect(refused.ok ? 'ok' : refused.error.code).toBe('store_unavailable');
    const state = await second.facilitator.state();
    expect(state.review!.find((i) => i.key === key)!.review).toBeNull();
    expect(state.actions).toEqual([]);
    expect(second.people[0].client.events('review')).toEqual([]);
    // Nothing was stored either: a later attempt carries exactly one copy.
    const ok = await second.facilitator.send('review:set', { key, status: 'carried' });
    expect(ok.ok).toBe(true);
    expect((await second.facilitator.state()).actions).toHaveLength(1);
  });

  it('a session outside a community has no review, and review:set is answered not_found', async () => {
    const server = await startServer();
    const alone = await setupSession(server, {});
    expect(alone.facilitator.snapshot.review).toBeNull();
    expect(alone.facilitator.snapshot.community).toBeNull();
    expect(alone.facilitator.snapshot.lastTime).toBeNull();
    const ack = await alone.facilitator.send('review:set', { key: 'ABCDEF/abcdefgh', status: 'done' });
    expect(ack.ok ? 'ok' : ack.error.code).toBe('not_found');
    const summary = await api(server.url, `/api/sessions/${alone.code}`);
    expect(summary.status).toBe(200);
  });
});

describe('two sessions of one community open at once', () => {
  it('a point one of them closed (carried, done or dropped) cannot be decided again by the other; "doing" leaves it open', async () => {
    const server = await startServer();
    const c = await community(server);
    const first = await firstSession(server, c);
    // Two sessions prepared side by side (two subgroups meeting the same day): both list the same open points.
    const a = await sessionOf(server, c);
    const b = await sessionOf(server, c);
    const [open, doing] = a.facilitator.snapshot.review!.map((i) => i.key);
    expect(b.facilitator.snapshot.review!.map((i) => i.key)).toEqual([open, doing]);
    expect(open).toBe(`${first.code}/${first.points.open}`);

    expect((await a.facilitator.send('review:set', { key: open, status: 'carried' })).ok).toBe(true);
    const refused = await b.facilitator.send('review:set', { key: open, status: 'carried' });
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('invalid_transition');
      expect(refused.error.message).toContain('carried over');
    }
    // Nothing changed in b: no copy on its board, its list unchanged.
    const bState = await b.facilitator.state();
    expect(bState.actions.filter((x) => x.origin === open)).toEqual([]);
    expect(bState.review!.find((i) => i.key === open)!.review).toBeNull();

    // "Doing" keeps a point open for everyone: both may say it, and a closing decision after it is still free.
    expect((await a.facilitator.send('review:set', { key: doing, status: 'doing' })).ok).toBe(true);
    expect((await b.facilitator.send('review:set', { key: doing, status: 'done' })).ok).toBe(true);
    const late = await a.facilitator.send('review:set', { key: doing, status: 'dropped' });
    expect(late.ok ? null : late.error.code).toBe('invalid_transition');
    // A session may change its own decision.
    expect((await a.facilitator.send('review:set', { key: open, status: 'doing' })).ok).toBe(true);
    expect((await b.facilitator.send('review:set', { key: open, status: 'carried' })).ok).toBe(true);
  });

  it('a decision in one is seen in the other at once (one review state per community): marked decided elsewhere, heard by its people, open again when taken back', async () => {
    const server = await startServer();
    const c = await community(server);
    const first = await firstSession(server, c);
    const a = await sessionOf(server, c);
    const b = await sessionOf(server, c);
    const key = `${first.code}/${first.points.open}`;
    const inB = async () => (await b.facilitator.state()).review!.find((i) => i.key === key);
    expect(await inB()).toMatchObject({ review: null });
    expect((await inB())!.decidedElsewhere ?? null).toBeNull();

    expect((await a.facilitator.send('review:set', { key, status: 'done' })).ok).toBe(true);
    // b's people hear it without asking, and b's list says so; a's own list holds its own decision.
    await b.people[0].client.waitForEvent('review', (items) => items.some((i) => i.key === key && i.decidedElsewhere === 'done'));
    expect(await inB()).toMatchObject({ review: null, decidedElsewhere: 'done' });
    expect((await a.facilitator.state()).review!.find((i) => i.key === key)).toMatchObject({ review: 'done', decidedElsewhere: null });

    // a takes it back ("doing" keeps a point open): b sees it open again and may close it.
    expect((await a.facilitator.send('review:set', { key, status: 'doing' })).ok).toBe(true);
    await b.facilitator.waitForEvent('review', (items) => items.some((i) => i.key === key && i.decidedElsewhere === null));
    expect((await b.facilitator.send('review:set', { key, status: 'carried' })).ok).toBe(true);
    expect((await a.facilitator.state()).review!.find((i) => i.key === key)).toMatchObject({ review: 'doing', decidedElsewhere: 'carried' });

    // b deleted: its decision went with it (the store's cascade), and a's list follows.
    expect((await b.facilitator.send('session:delete', { confirm: true })).ok).toBe(true);
    await a.facilitator.waitForEvent('review', (items) => items.some((i) => i.key === key && i.decidedElsewhere === null));
    expect((await a.facilitator.state()).review!.find((i) => i.key === key)).toMatchObject({ review: 'doing', decidedElsewhere: null });
  });

  it('two sessions closing the same point at the same moment: the store lets one win, the other is refused and keeps nothing, in memory or stored', async () => {
    // Both rooms read the community's reviews before either writes (a barrier on that read, nothing else changed): the
    // race the read in memory cannot settle, and that the store's constraint must.
    let waiting: (() => void)[] = [];
    let armed = false;
    const barrier = (store: Store): Store =>
      new Proxy(store, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (name !== 'listActionReviews' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
          return async (...args: unknown[]) => {
            if (armed) {
              await new Promise<void>((resolve) => {
                waiting.push(resolve);
                if (waiting.length === 2) {
                  armed = false;
                  for (const release of waiting) release();
                  waiting = [];
                }
              });
            }
            return value.apply(target, args);
          };
        }
      });
    const dataDir = await makeDataDir();
    const server = await startServer({ dataDir, wrapStore: barrier });
    const c = await community(server);
    const first = await firstSession(server, c);
    const a = await sessionOf(server, c);
    const b = await sessionOf(server, c);
    const key = `${first.code}/${first.points.open}`;

    armed = true;
    const acks = await Promise.all([
      a.facilitator.send('review:set', { key, status: 'carried' }),
      b.facilitator.send('review:set', { key, status: 'carried' })
    ]);
    expect(acks.filter((ack) => ack.ok)).toHaveLength(1);
    const [winner, loser] = acks[0].ok ? [a, b] : [b, a];
    const refused = acks.find((ack) => !ack.ok)!;
    expect(refused.ok ? null : refused.error.code).toBe('invalid_transition');
    expect(refused.ok ? '' : refused.error.message).toContain('carried over');

    // The loser: no copy on its board, its list as before, no text of a copy in its document; the winner has its copy.
    expect((await loser.facilitator.state()).actions).toEqual([]);
    expect((await loser.facilitator.state()).review!.find((i) => i.key === key)!.review).toBeNull();
    expect((await winner.facilitator.state()).actions.map((x) => x.origin)).toEqual([key]);
    const loserId = (await server.store.findSessionIdByCode(loser.code))!;
    const doc = new Y.Doc();
    for (const update of await server.store.loadYjsUpdates(loserId)) Y.applyUpdate(doc, update);
    expect(doc.getMap(YJS_TEXTS).size).toBe(0);

    // Stored the same way: after a restart, one closing decision, and the loser's board is empty.
    await server.close();
    const restarted = await startServer({ dataDir });
    const reviews = await restarted.store.listActionReviews(c.id);
    expect(reviews.filter((r) => r.status === 'carried')).toHaveLength(1);
    expect(await restarted.store.loadActionPoints(loserId)).toEqual([]);
  });
});
