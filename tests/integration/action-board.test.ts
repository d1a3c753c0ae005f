import { describe, expect, it, onTestFinished, vi } from 'vitest';
import * as Y from 'yjs';
import { createText, textOf as textById } from '../../src/lib/board/actions';
import type { ExportJson } from '../../src/lib/domain/export';
import { LIMITS, YJS_CLOSE } from '../../src/lib/protocol';
import { addPoint, allTexts, textIn } from '../helpers/board';
import { connectParticipant, connectYjs, RawYjs, waitFor, YJS_MESSAGE, type BoardClient, type YjsClient } from '../helpers/clients';
import { getExport, makeDataDir, startServer } from '../helpers/server';
import { advance, setupSession, type TestSession } from '../helpers/session';

const textOf = (client: YjsClient, id: string) => textById(client.doc, id) as Y.Text;
const texts = (client: YjsClient) => Object.values(allTexts(client.doc));

async function exported(url: string, session: TestSession): Promise<ExportJson> {
  const response = await getExport<ExportJson>(url, session.code, session.created.facilitatorToken);
  expect(response.status).toBe(200);
  return response.body;
}

/** Sends a text as a raw update and waits until the server has answered "permission denied". */
async function deniedWrite(url: string, code: string, token: string, text: string): Promise<void> {
  const raw = await RawYjs.open(url, code, token);
  const doc = new Y.Doc();
  createText(doc, 'denied', text);
  raw.sendUpdate(Y.encodeStateAsUpdate(doc));
  await raw.waitForType(YJS_MESSAGE.auth);
}

const errorCode = (ack: { ok: boolean; error?: { code: string } }) => (ack.ok ? 'ok' : ack.error?.code);

describe('action board', () => {
  it('converges concurrent edits of one text on both clients and the server', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 2 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const a = await connectYjs(server.url, session.code, session.people[0].joined.participantToken);
    const b = await connectYjs(server.url, session.code, session.people[1].joined.participantToken);
    const id = await addPoint(session.people[0].client, 3, 'Meet');
    await waitFor(() => textOf(b, id)?.toString() === 'Meet');
    await textIn(a.doc, id);

    for (let round = 0; round < 5; round++) {
      // Both edit before either hears of the other: truly concurrent.
      textOf(a, id).insert(0, `a${round} `);
      textOf(b, id).insert(textOf(b, id).length, ` b${round}`);
      textOf(a, id).insert(textOf(a, id).length, '!');
      textOf(b, id).delete(0, 1);
    }
    await waitFor(
      () => textOf(a, id).toString() === textOf(b, id).toString() && textOf(a, id).toString().includes('b4') && textOf(a, id).toString().includes('a4'),
      { message: 'clients converged' }
    );
    const final = textOf(a, id).toString();
    for (let round = 0; round < 5; round++) expect(final).toMatch(new RegExp(`a${round}.*b${round}`, 's'));
    await waitFor(async () => (await exported(server.url, session)).actions[0]?.text === final, { message: 'server converged' });
    expect((await exported(server.url, session)).actions).toEqual([{ factor: 3, text: final, owner: null, due: null, status: 'open', votes: 0 }]);
  });

  it('drops writes before the action phase', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 1 });
    const token = session.people[0].joined.participantToken;
    await deniedWrite(server.url, session.code, token, 'too early (lobby)');
    await advance(session.facilitator, 'voting');
    await deniedWrite(server.url, session.code, token, 'too early (voting)');
    await advance(session.facilitator, 'revealed');
    await deniedWrite(server.url, session.code, token, 'too early (revealed)');
    // A provider connecting read-only is not told off for its empty sync reply, only for a real write.
    const early = await connectYjs(server.url, session.code, token);
    const seen: number[] = [];
    early.provider.ws?.addEventListener('message', (event) => seen.push(new Uint8Array(event.data as ArrayBuffer)[0]));
    await waitFor(() => early.provider.synced);
    expect(seen).not.toContain(YJS_MESSAGE.auth);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    onTestFinished(() => warn.mockRestore());
    createText(early.doc, 'localonly', 'local only');
    await waitFor(() => seen.includes(YJS_MESSAGE.auth), { message: 'the early write was refused' });
    // y-websocket reports the refusal with a warning.
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/Permission denied/);
    // Structure cannot be made before the action phase either.
    expect(errorCode(await session.people[0].client.send('action:create', { actionId: 'tooearly', factor: 1 }))).toBe('wrong_phase');

    const fresh = await connectYjs(server.url, session.code, session.created.facilitatorToken);
    expect(texts(fresh)).toEqual([]);
    expect((await exported(server.url, session)).actions).toEqual([]);
  });

  it('drops writes once the session is closed and keeps what was there', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 1 });
    const token = session.people[0].joined.participantToken;
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const writer = await connectYjs(server.url, session.code, token);
    const id = await addPoint(session.people[0].client, 4);
    (await textIn(writer.doc, id)).insert(0, 'kept');
    await waitFor(async () => (await exported(server.url, session)).actions[0]?.text === 'kept');
    await advance(session.facilitator, 'closed');
    await deniedWrite(server.url, session.code, token, 'after close');
    await deniedWrite(server.url, session.code, session.created.facilitatorToken, 'facilitator after close');
    expect(errorCode(await session.people[0].client.send('action:update', { actionId: id, owner: 'late' }))).toBe('wrong_phase');
    const fresh = await connectYjs(server.url, session.code, session.created.facilitatorToken);
    expect(texts(fresh)).toEqual(['kept']);
    expect((await exported(server.url, session)).actions.map((a) => a.text)).toEqual(['kept']);
  });

  it('keeps the board across a restart on the same data directory', async () => {
    const dataDir = await makeDataDir();
    const first = await startServer({ dataDir });
    const session = await setupSession(first, { participants: 2 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const a = await connectYjs(first.url, session.code, session.people[0].joined.participantToken);
    const b = await connectYjs(first.url, session.code, session.people[1].joined.participantToken);
    const id = await addPoint(session.people[0].client, 9);
    (await textIn(a.doc, id)).insert(0, 'Find a sponsor for 2027');
    // b receives it only after the server persisted it.
    await waitFor(() => textOf(b, id)?.toString() === 'Find a sponsor for 2027');
    a.destroy();
    b.destroy();
    session.facilitator.close();
    for (const { client } of session.people) client.close();
    await first.close();

    const second = await startServer({ dataDir });
    const after = await exported(second.url, session);
    expect(after.session.phase).toBe('actions');
    expect(after.actions).toEqual([{ factor: 9, text: 'Find a sponsor for 2027', owner: null, due: null, status: 'open', votes: 0 }]);
    const reader = await connectYjs(second.url, session.code, session.people[1].joined.participantToken);
    expect(texts(reader)).toEqual(['Find a sponsor for 2027']);
  });

  it('closes a connection that sends an oversized message and keeps serving the others', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 2 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const a = await connectYjs(server.url, session.code, session.people[0].joined.participantToken);
    const b = await connectYjs(server.url, session.code, session.people[1].joined.participantToken);
    const hostile = await RawYjs.open(server.url, session.code, session.people[1].joined.participantToken);
    const huge = Buffer.alloc(LIMITS.yjsMessageBytes + 1024, 7);
    huge[0] = YJS_MESSAGE.sync;
    hostile.send(huge);
    expect(await hostile.waitForClose()).toBe(1009);

    const id = await addPoint(session.people[0].client, null);
    (await textIn(a.doc, id)).insert(0, 'still here');
    await waitFor(() => textOf(b, id)?.toString() === 'still here');
    expect((await exported(server.url, session)).actions.map((x) => x.text)).toEqual(['still here']);
  });

  it('closes a connection that floods messages with 1013 and keeps serving the others', async () => {
    const server = await startServer({ limits: { yjsMessagesPerSecond: 5, yjsBurst: 10 } });
    const session = await setupSession(server, { participants: 2 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const a = await connectYjs(server.url, session.code, session.people[0].joined.participantToken);
    const b = await connectYjs(server.url, session.code, session.people[1].joined.participantToken);
    const flooder = await RawYjs.open(server.url, session.code, session.people[1].joined.participantToken);
    // Query-awareness messages are harmless on their own; 50 at once exceed a burst of 10.
    for (let i = 0; i < 50; i++) flooder.send(Uint8Array.of(YJS_MESSAGE.queryAwareness));
    expect(await flooder.waitForClose()).toBe(1013);

    const id = await addPoint(session.people[0].client, null);
    (await textIn(a.doc, id)).insert(0, 'still flowing');
    await waitFor(() => textOf(b, id)?.toString() === 'still flowing');
  });

  it('keeps the board within its limits: action points beyond the cap and over-long texts are refused', async () => {
    const server = await startServer({ limits: { commandsPerSecond: 10_000, commandBurst: 10_000 } });
    const session = await setupSession(server, { participants: 2 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const a = await connectYjs(server.url, session.code, session.people[0].joined.participantToken);
    const b = await connectYjs(server.url, session.code, session.people[1].joined.participantToken);
    const client = session.people[0].client;
    const acks = await Promise.all(
      Array.from({ length: LIMITS.actionsPerSession + 5 }, (_, i) => client.send('action:create', { actionId: `point-${i}`, factor: 1, text: `point ${i}` }))
    );
    expect(acks.filter((ack) => ack.ok)).toHaveLength(LIMITS.actionsPerSession);
    expect(acks.slice(LIMITS.actionsPerSession).map(errorCode)).toEqual(Array(5).fill('too_large'));
    await waitFor(() => texts(b).length === LIMITS.actionsPerSession && texts(a).length === LIMITS.actionsPerSession, { timeout: 10_000 });
    expect(textOf(b, `point-${LIMITS.actionsPerSession - 1}`).toString()).toBe(`point ${LIMITS.actionsPerSession - 1}`);

    // A text over the limit is refused before it is applied (the sender is told with 4422), never cut by the server.
    const closed = new Promise<{ code: number; reason: string }>((resolve) => a.provider.once('closed', (event) => resolve(event)));
    textOf(a, 'point-0').insert(0, 'x'.repeat(LIMITS.actionTextMax + 50));
    expect(await closed).toEqual({ code: YJS_CLOSE.refused, reason: 'refused: text_too_long' });
    // Up to the limit is stored and relayed whole.
    const fits = 'y'.repeat(LIMITS.actionTextMax - 'point 1'.length);
    textOf(b, 'point-1').insert(0, fits);
    const c = await connectYjs(server.url, session.code, session.people[0].joined.participantToken);
    await waitFor(() => textOf(c, 'point-1')?.length === LIMITS.actionTextMax, { timeout: 10_000 });
    const stored = await exported(server.url, session);
    expect(stored.actions).toHaveLength(LIMITS.actionsPerSession);
    expect(stored.actions.find((x) => x.text.startsWith('x'))).toBeUndefined();
    expect(stored.actions.some((x) => x.text === `${fits}point 1`)).toBe(true);
  });

  it('limits dots per person', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 2 });
    const [p1, p2] = session.people.map((p) => p.client);
    await advance(session.facilitator, 'voting');
    expect(errorCode(await p1.send('dot:cast', { actionId: 'abcdefgh', delta: 1 }))).toBe('wrong_phase');
    await advance(session.facilitator, 'revealed', 'actions');
    const x = await addPoint(p1, 1, 'X');
    const y = await addPoint(p2, 2, 'Y');
    expect((await exported(server.url, session)).actions).toHaveLength(2);

    for (let i = 1; i <= LIMITS.defaultDots; i++) {
      const ack = await p1.send('dot:cast', { actionId: x, delta: 1 });
      expect(ack).toEqual({ ok: true, data: { totals: { [x]: i }, mine: { [x]: i }, remaining: LIMITS.defaultDots - i } });
    }
    expect(errorCode(await p1.send('dot:cast', { actionId: y, delta: 1 }))).toBe('no_dots_left');
    expect(errorCode(await p1.send('dot:cast', { actionId: y, delta: -1 }))).toBe('bad_request');
    expect(errorCode(await p1.send('dot:cast', { actionId: 'nosuchaction', delta: 1 }))).toBe('not_found');
    expect(errorCode(await p1.sendRaw('dot:cast', { actionId: x, delta: 2 }))).toBe('bad_request');
    expect(errorCode(await p1.sendRaw('dot:cast', { actionId: '<script>', delta: 1 }))).toBe('bad_request');
    expect(errorCode(await p1.send('dot:cast', { actionId: x, delta: -1 }))).toBe('ok');
    expect(errorCode(await p1.send('dot:cast', { actionId: y, delta: 1 }))).toBe('ok');
    // p2's second tab hears p2's dots; the casting tab has them in its ack (no echo).
    const p2Other = await connectParticipant(server.url, session.code, session.people[1].joined.participantToken);
    expect(await p2.send('dot:cast', { actionId: y, delta: 1 })).toEqual({ ok: true, data: { totals: { [y]: 2 }, mine: { [y]: 1 }, remaining: 2 } });

    await p2.waitForEvent('dotTotals', (t) => t[x] === 2 && t[y] === 2);
    await p2Other.waitForEvent('dots', (d) => d.mine[y] === 1 && d.remaining === 2);
    await session.facilitator.waitForEvent('dotTotals', (t) => t[y] === 2);
    // Each voter hears only their own dots; the facilitator, who spent none, heard no one's.
    expect(p2.events('dots')).toEqual([]);
    expect(p2Other.events('dots').every((d) => Object.keys(d.mine).every((id) => id === y))).toBe(true);
    expect(session.facilitator.events('dots')).toEqual([]);
    const votes = (await exported(server.url, session)).actions.map((a) => [a.text, a.votes]);
    expect(votes).toEqual([
      ['X', 2],
      ['Y', 2]
    ]);
  });

  it('lets only the facilitator remove, merge and move action points, and returns their dots', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 1 });
    const { facilitator } = session;
    const participant = session.people[0].client;
    await advance(facilitator, 'voting', 'revealed', 'actions');
    const board = await connectYjs(server.url, session.code, session.created.facilitatorToken);
    const one = await addPoint(facilitator, 1, 'one');
    const two = await addPoint(participant, 2, 'two');
    const three = await addPoint(facilitator, 3, 'three');
    const exportedTexts = async () => (await exported(server.url, session)).actions.map((a) => a.text);
    expect(await exportedTexts()).toEqual(['one', 'two', 'three']);

    const attempts = (client: BoardClient) => [
      client.send('action:remove', { actionId: one }),
      client.send('action:remove', { actionId: two }),
      client.send('action:merge', { sourceId: two, targetId: one }),
      client.send('action:move', { actionId: three, toIndex: 0 }),
      client.send('action:restore', { actionId: one }),
      client.send('action:unmerge', { actionId: one })
    ];
    for (const ack of await Promise.all(attempts(participant))) expect(errorCode(ack)).toBe('forbidden');
    expect(await exportedTexts()).toEqual(['one', 'two', 'three']);

    expect(errorCode(await facilitator.send('action:move', { actionId: three, toIndex: 0 }))).toBe('ok');
    expect(await exportedTexts()).toEqual(['three', 'one', 'two']);
    expect(errorCode(await participant.send('dot:cast', { actionId: two, delta: 1 }))).toBe('ok');
    expect(errorCode(await participant.send('dot:cast', { actionId: three, delta: 1 }))).toBe('ok');
    expect(errorCode(await facilitator.send('action:merge', { sourceId: two, targetId: one }))).toBe('ok');
    // Both texts are kept (the merged point lists its part); the dot on the merged-away point counts for the merged point.
    expect((await exported(server.url, session)).actions.map((a) => [a.text, a.votes])).toEqual([
      ['three', 1],
      ['one\ntwo', 1]
    ]);
    await participant.waitForEvent('dots', (d) => d.remaining === LIMITS.defaultDots - 2 && d.mine[one] === 1 && d.mine[two] === undefined);
    expect(errorCode(await facilitator.send('action:remove', { actionId: three }))).toBe('ok');
    // The dot taken back comes off the part that holds it; the ack (no echo to the sending socket) says so.
    const back = await participant.send('dot:cast', { actionId: one, delta: -1 });
    expect(back).toMatchObject({ ok: true, data: { mine: {}, remaining: LIMITS.defaultDots } });
    expect(await exportedTexts()).toEqual(['one\ntwo']);
    expect((await participant.state()).dots).toEqual({ totals: {}, mine: {}, remaining: LIMITS.defaultDots });
    // The texts themselves are never deleted from the document.
    expect(allTexts(board.doc)).toEqual({ [one]: 'one', [two]: 'two', [three]: 'three' });

    // Undo: removal and merge.
    expect(errorCode(await facilitator.send('action:restore', { actionId: three }))).toBe('ok');
    expect(errorCode(await facilitator.send('action:unmerge', { actionId: two }))).toBe('ok');
    expect(await exportedTexts()).toEqual(['three', 'one', 'two']);
    // Removing twice is the same as once (a resent command); bad targets are refused.
    expect(errorCode(await facilitator.send('action:remove', { actionId: three }))).toBe('ok');
    expect(errorCode(await facilitator.send('action:remove', { actionId: three }))).toBe('ok');
    expect(await exportedTexts()).toEqual(['one', 'two']);
    expect(errorCode(await facilitator.send('action:merge', { sourceId: one, targetId: one }))).toBe('bad_request');
    for (const command of [
      facilitator.send('action:merge', { sourceId: one, targetId: three }),
      facilitator.send('action:move', { actionId: 'nosuchaction', toIndex: 0 }),
      facilitator.send('action:remove', { actionId: 'nosuchaction' })
    ]) {
      expect(errorCode(await command)).toBe('not_found');
    }
    await advance(facilitator, 'closed');
    expect(errorCode(await facilitator.send('action:remove', { actionId: one }))).toBe('wrong_phase');
  });

  it('counts the dots of a merged point for the point it joined, and gives them back when the merge is undone', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 2 });
    const { facilitator } = session;
    const [ann, bob] = session.people.map((p) => p.client);
    await advance(facilitator, 'voting', 'revealed', 'actions');
    const one = await addPoint(facilitator, 1, 'one');
    const two = await addPoint(ann, 2, 'two');
    const cast = async (client: BoardClient, actionId: string, delta: 1 | -1) =>
      expect(errorCode(await client.send('dot:cast', { actionId, delta }))).toBe('ok');
    await cast(ann, two, 1);
    await cast(ann, two, 1);
    await cast(ann, one, 1);
    await cast(bob, two, 1);
    await cast(bob, two, 1);
    const votes = async () => (await exported(server.url, session)).actions.map((a) => [a.text, a.votes]);

    expect(errorCode(await facilitator.send('action:merge', { sourceId: two, targetId: one }))).toBe('ok');
    // Everyone hears where the dots now count: the merged point holds all five, nobody got a dot back.
    await facilitator.waitForEvent('dotTotals', (t) => t[one] === 5 && t[two] === undefined);
    await ann.waitForEvent('dots', (d) => d.mine[one] === 3 && d.mine[two] === undefined && d.remaining === 0);
    await bob.waitForEvent('dots', (d) => d.mine[one] === 2 && d.remaining === LIMITS.defaultDots - 2);
    expect(await votes()).toEqual([['one\ntwo', 5]]);
    // Bob takes one of his dots back from the merged point: it comes off the part where he had cast it.
    expect(await bob.send('dot:cast', { actionId: one, delta: -1 })).toEqual({
      ok: true,
      data: { totals: { [one]: 4 }, mine: { [one]: 1 }, remaining: LIMITS.defaultDots - 1 }
    });

    expect(errorCode(await facilitator.send('action:unmerge', { actionId: two }))).toBe('ok');
    // Undone: each dot is back on the point it was cast on.
    await facilitator.waitForEvent('dotTotals', (t) => t[one] === 1 && t[two] === 3);
    await ann.waitForEvent('dots', (d) => d.mine[one] === 1 && d.mine[two] === 2 && d.remaining === 0);
    await bob.waitForEvent('dots', (d) => d.mine[two] === 1 && d.mine[one] === undefined);
    expect(await votes()).toEqual([
      ['one', 1],
      ['two', 3]
    ]);
    expect((await ann.state()).dots).toEqual({ totals: { [one]: 1, [two]: 3 }, mine: { [one]: 1, [two]: 2 }, remaining: 0 });

    // Removing a merged point gives back the dots of its parts too (it is no longer on the board).
    expect(errorCode(await facilitator.send('action:merge', { sourceId: two, targetId: one }))).toBe('ok');
    expect(errorCode(await facilitator.send('action:remove', { actionId: one }))).toBe('ok');
    await ann.waitForEvent('dots', (d) => Object.keys(d.mine).length === 0 && d.remaining === LIMITS.defaultDots);
    await bob.waitForEvent('dots', (d) => Object.keys(d.mine).length === 0 && d.remaining === LIMITS.defaultDots);
  });

  it('stops a removed participant from editing the board', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 2 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const [gone, stays] = session.people;
    const goneBoard = await connectYjs(server.url, session.code, gone.joined.participantToken);
    const raw = await RawYjs.open(server.url, session.code, gone.joined.participantToken);
    expect(errorCode(await session.facilitator.send('participant:remove', { participantId: gone.joined.participantId }))).toBe('ok');
    await waitFor(() => raw.closeCode !== null, { message: "the removed participant's Yjs socket closed" });
    const doc = new Y.Doc();
    createText(doc, 'vandal', 'vandalism');
    if (raw.ws.readyState === raw.ws.OPEN) raw.sendUpdate(Y.encodeStateAsUpdate(doc));
    createText(goneBoard.doc, 'vandal2', 'more vandalism');

    const fresh = await connectYjs(server.url, session.code, stays.joined.participantToken);
    const id = await addPoint(stays.client, 2);
    (await textIn(fresh.doc, id)).insert(0, 'legit');
    await waitFor(async () => (await exported(server.url, session)).actions[0]?.text === 'legit');
    expect((await exported(server.url, session)).actions.map((a) => a.text)).toEqual(['legit']);
    expect(Object.keys(allTexts(fresh.doc))).toEqual([id]);
  });
});
