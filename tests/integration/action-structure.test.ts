/**
 * The action board's structure is the server's: points are created, changed,
 * moved, merged and removed by validated commands, while the document carries
 * only their texts. These tests attack that split with real sockets and real
 * y-websocket clients.
 */
import { describe, expect, it } from 'vitest';
import type { ExportJson } from '../../src/lib/domain/export';
import { LIMITS } from '../../src/lib/protocol';
import { addPoint, allTexts, textIn } from '../helpers/board';
import { connectYjs, waitFor } from '../helpers/clients';
import { getExport, startServer } from '../helpers/server';
import { advance, setupSession, type TestSession } from '../helpers/session';

const errorCode = (ack: { ok: boolean; error?: { code: string } }) => (ack.ok ? 'ok' : ack.error?.code);

async function exported(url: string, session: TestSession): Promise<ExportJson> {
  const response = await getExport<ExportJson>(url, session.code, session.created.facilitatorToken);
  expect(response.status).toBe(200);
  return response.body;
}

describe('action board structure', () => {
  it('a participant can neither remove nor overwrite another’s point, but co-edits its fields', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 2 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const [ann, bob] = session.people.map((p) => p.client);
    const board = await connectYjs(server.url, session.code, session.people[0].joined.participantToken);
    const id = await addPoint(ann, 5, 'Ann’s plan');
    (await textIn(board.doc, id)).insert(0, 'Agreed: ');

    // Reusing the id to replace it (another factor, another text) is refused, and so is removing it.
    expect(errorCode(await bob.send('action:create', { actionId: id, factor: 1, text: 'Bob’s takeover' }))).toBe('forbidden');
    expect(errorCode(await bob.send('action:remove', { actionId: id }))).toBe('forbidden');
    expect(errorCode(await bob.send('action:merge', { sourceId: id, targetId: id }))).toBe('forbidden');
    expect((await exported(server.url, session)).actions).toEqual([
      { factor: 5, text: 'Agreed: Ann’s plan', owner: null, due: null, status: 'open', votes: 0 }
    ]);

    // Fields are co-edited: Bob may set the owner and status, and everyone hears it at once.
    const ack = await bob.send('action:update', { actionId: id, owner: 'Bob', status: 'doing', due: '2027-03-01' });
    expect(ack).toMatchObject({ ok: true, data: { id, owner: 'Bob', status: 'doing', due: '2027-03-01' } });
    await ann.waitForEvent('actions', (changed) => changed.some((a) => a.id === id && a.owner === 'Bob'));
    await session.facilitator.waitForEvent('actions', (changed) => changed.some((a) => a.id === id && a.status === 'doing'));
    expect(errorCode(await bob.send('action:update', { actionId: id, due: '2027-02-30' }))).toBe('bad_request');
    expect(errorCode(await bob.sendRaw('action:update', { actionId: id, owner: 'x'.repeat(LIMITS.ownerMax * 5) }))).toBe('bad_request');
    expect(errorCode(await bob.sendRaw('action:update', { actionId: id, status: 'deleted' }))).toBe('bad_request');
    expect(errorCode(await bob.send('action:update', { actionId: id, factor: 99 }))).toBe('bad_request');
    expect(errorCode(await bob.send('action:update', { actionId: id, factor: 12 }))).toBe('ok');
    expect((await exported(server.url, session)).actions).toEqual([
      { factor: 12, text: 'Agreed: Ann’s plan', owner: 'Bob', due: '2027-03-01', status: 'doing', votes: 0 }
    ]);
  });

  it('a resent create is recognised: no second point, and what was typed since is kept', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 1 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const client = session.people[0].client;
    const board = await connectYjs(server.url, session.code, session.people[0].joined.participantToken);
    const id = await addPoint(client, 2, 'Start');
    (await textIn(board.doc, id)).insert(5, ' typed');
    await waitFor(async () => (await exported(server.url, session)).actions[0]?.text === 'Start typed');
    const again = await client.send('action:create', { actionId: id, factor: 2, text: 'Start' });
    expect(again).toMatchObject({ ok: true, data: { id, factor: 2 } });
    expect((await exported(server.url, session)).actions.map((a) => a.text)).toEqual(['Start typed']);
    expect((await client.state()).actions).toHaveLength(1);
  });

  it('an edit typed offline during a move and during a merge survives: texts are never recreated', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 2 });
    const { facilitator } = session;
    await advance(facilitator, 'voting', 'revealed', 'actions');
    const online = await connectYjs(server.url, session.code, session.people[0].joined.participantToken);
    const offline = await connectYjs(server.url, session.code, session.people[1].joined.participantToken);
    const first = await addPoint(facilitator, 1, 'First');
    const plan = await addPoint(session.people[1].client, 2, 'Agreed plan');
    const dup = await addPoint(facilitator, 2, 'Same plan');
    for (const id of [first, plan, dup]) await textIn(offline.doc, id);

    // Offline, the participant types into their point; meanwhile the facilitator moves it up.
    offline.provider.disconnect();
    (await textIn(offline.doc, plan)).insert('Agreed plan'.length, ' plus offline words');
    (await textIn(online.doc, plan)).insert(0, '[online] ');
    expect(errorCode(await facilitator.send('action:move', { actionId: plan, toIndex: 0 }))).toBe('ok');
    offline.provider.connect();
    await waitFor(async () => (await exported(server.url, session)).actions[0]?.text === '[online] Agreed plan plus offline words', {
      message: 'the offline words reached the server after the move'
    });
    await waitFor(() => allTexts(offline.doc)[plan] === '[online] Agreed plan plus offline words', { message: 'and the author still sees them' });

    // Offline again, the participant types into the duplicate while the facilitator merges it into the plan.
    await waitFor(() => offline.provider.synced);
    offline.provider.disconnect();
    (await textIn(offline.doc, dup)).insert('Same plan'.length, ', with a date');
    expect(errorCode(await facilitator.send('action:merge', { sourceId: dup, targetId: plan }))).toBe('ok');
    offline.provider.connect();
    await waitFor(async () => (await exported(server.url, session)).actions[0]?.text === '[online] Agreed plan plus offline words\nSame plan, with a date', {
      message: 'the offline words reached the merged point'
    });
    expect((await exported(server.url, session)).actions.map((a) => a.text)).toEqual([
      '[online] Agreed plan plus offline words\nSame plan, with a date',
      'First'
    ]);

    // Undoing the merge gives the part back with everything typed into it.
    expect(errorCode(await facilitator.send('action:unmerge', { actionId: dup }))).toBe('ok');
    expect((await exported(server.url, session)).actions.map((a) => a.text)).toEqual([
      '[online] Agreed plan plus offline words',
      'First',
      'Same plan, with a date'
    ]);
    expect(allTexts(online.doc)).toEqual(allTexts(offline.doc));
  });

  it('hides dot totals from participants until the facilitator shows them', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 2 });
    const { facilitator } = session;
    const [ann, bob] = session.people.map((p) => p.client);
    await advance(facilitator, 'voting', 'revealed', 'actions');
    expect(errorCode(await ann.send('settings:update', { hideDotTotals: true }))).toBe('forbidden');
    expect(await facilitator.send('settings:update', { hideDotTotals: true })).toMatchObject({ ok: true, data: { hideDotTotals: true } });
    const id = await addPoint(ann, 3, 'Hidden');
    const ack = await ann.send('dot:cast', { actionId: id, delta: 1 });
    expect(ack).toEqual({ ok: true, data: { totals: {}, mine: { [id]: 1 }, remaining: LIMITS.defaultDots - 1 } });
    await bob.send('dot:cast', { actionId: id, delta: 1 });
    await facilitator.waitForEvent('dotTotals', (t) => t[id] === 2);
    // Participants heard no totals at all, and their snapshots hold none.
    for (const client of [ann, bob]) {
      expect(client.events('dotTotals').every((t) => Object.keys(t).length === 0)).toBe(true);
      expect((await client.state()).dots.totals).toEqual({});
    }
    expect((await facilitator.state()).dots.totals).toEqual({ [id]: 2 });
    expect(await facilitator.send('settings:update', { hideDotTotals: false })).toMatchObject({ ok: true });
    await bob.waitForEvent('dotTotals', (t) => t[id] === 2);
    expect((await ann.state()).dots.totals).toEqual({ [id]: 2 });
  });

  it('returns the dots of a removed participant and of points that leave the board, however they leave', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 2 });
    const { facilitator } = session;
    const [ann, bob] = session.people.map((p) => p.client);
    await advance(facilitator, 'voting', 'revealed', 'actions');
    const a = await addPoint(ann, 1, 'A');
    const b = await addPoint(ann, 2, 'B');
    await ann.send('dot:cast', { actionId: a, delta: 1 });
    await ann.send('dot:cast', { actionId: b, delta: 1 });
    await bob.send('dot:cast', { actionId: b, delta: 1 });
    await facilitator.send('dot:cast', { actionId: b, delta: 1 });
    expect((await exported(server.url, session)).actions.map((x) => x.votes)).toEqual([1, 3]);
    // A merge keeps the dots: those on the part count for the point it joined (undoing the merge gives them back to the part).
    expect(errorCode(await facilitator.send('action:merge', { sourceId: b, targetId: a }))).toBe('ok');
    expect((await exported(server.url, session)).actions.map((x) => x.votes)).toEqual([4]);
    for (const client of [ann, bob, facilitator]) await client.waitForEvent('dotTotals', (t) => t[b] === undefined && t[a] === 4);
    expect((await facilitator.state()).dots.remaining).toBe(LIMITS.defaultDots - 1);
    expect((await bob.state()).dots.remaining).toBe(LIMITS.defaultDots - 1);
    // Dots cannot be spent on a point that is not on the board itself.
    expect(errorCode(await bob.send('dot:cast', { actionId: b, delta: 1 }))).toBe('not_found');
    // A removed participant's dots go too, those on the merged part included.
    expect(errorCode(await facilitator.send('participant:remove', { participantId: session.people[0].joined.participantId }))).toBe('ok');
    await bob.waitForEvent('dotTotals', (t) => t[a] === 2);
    expect((await exported(server.url, session)).actions.map((x) => x.votes)).toEqual([2]);
    // A point that leaves the board gives back every dot on it and on its parts.
    expect(errorCode(await facilitator.send('action:remove', { actionId: a }))).toBe('ok');
    await bob.waitForEvent('dotTotals', (t) => Object.keys(t).length === 0);
    expect((await bob.state()).dots.remaining).toBe(LIMITS.defaultDots);
    expect((await facilitator.state()).dots.remaining).toBe(LIMITS.defaultDots);
  });
});
