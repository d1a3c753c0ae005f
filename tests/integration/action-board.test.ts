import { describe, expect, it, onTestFinished, vi } from 'vitest';
import * as Y from 'yjs';
import { actionsArray, addAction, readActions } from '../../src/lib/board/actions';
import type { ExportJson } from '../../src/lib/domain/export';
import { LIMITS, YJS_FIELDS } from '../../src/lib/protocol';
import { connectYjs, RawYjs, waitFor, YJS_MESSAGE, type BoardClient, type YjsClient } from '../helpers/clients';
import { getExport, makeDataDir, startServer } from '../helpers/server';
import { advance, setupSession, type TestSession } from '../helpers/session';

const textOf = (client: YjsClient, index = 0) => actionsArray(client.doc).get(index)?.get(YJS_FIELDS.text) as Y.Text;

async function exported(url: string, session: TestSession): Promise<ExportJson> {
  const response = await getExport<ExportJson>(url, session.code, session.created.facilitatorToken);
  expect(response.status).toBe(200);
  return response.body;
}

/** Sends an action as a raw update and waits until the server has answered "permission denied". */
async function deniedWrite(url: string, code: string, token: string, text: string): Promise<void> {
  const raw = await RawYjs.open(url, code, token);
  const doc = new Y.Doc();
  addAction(doc, { factor: 1, text });
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
    addAction(a.doc, { factor: 3, text: 'Meet' });
    await waitFor(() => textOf(b)?.toString() === 'Meet');

    for (let round = 0; round < 5; round++) {
      // Both edit before either hears of the other: truly concurrent.
      textOf(a).insert(0, `a${round} `);
      textOf(b).insert(textOf(b).length, ` b${round}`);
      textOf(a).insert(textOf(a).length, '!');
      textOf(b).delete(0, 1);
    }
    await waitFor(() => textOf(a).toString() === textOf(b).toString() && textOf(a).toString().includes('b4') && textOf(a).toString().includes('a4'), {
      message: 'clients converged'
    });
    const final = textOf(a).toString();
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
    addAction(early.doc, { factor: 2, text: 'local only' });
    await waitFor(() => seen.includes(YJS_MESSAGE.auth), { message: 'the early write was refused' });
    // y-websocket reports the refusal with a warning.
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/Permission denied/);

    const fresh = await connectYjs(server.url, session.code, session.created.facilitatorToken);
    expect(readActions(fresh.doc)).toEqual([]);
    expect((await exported(server.url, session)).actions).toEqual([]);
  });

  it('drops writes once the session is closed and keeps what was there', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 1 });
    const token = session.people[0].joined.participantToken;
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const writer = await connectYjs(server.url, session.code, token);
    addAction(writer.doc, { factor: 4, text: 'kept' });
    await waitFor(async () => (await exported(server.url, session)).actions.length === 1);
    await advance(session.facilitator, 'closed');
    await deniedWrite(server.url, session.code, token, 'after close');
    await deniedWrite(server.url, session.code, session.created.facilitatorToken, 'facilitator after close');
    const fresh = await connectYjs(server.url, session.code, session.created.facilitatorToken);
    expect(readActions(fresh.doc).map((a) => a.text)).toEqual(['kept']);
    expect((await exported(server.url, session)).actions.map((a) => a.text)).toEqual(['kept']);
  });

  it('keeps the board across a restart on the same data directory', async () => {
    const dataDir = await makeDataDir();
    const first = await startServer({ dataDir });
    const session = await setupSession(first, { participants: 2 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const a = await connectYjs(first.url, session.code, session.people[0].joined.participantToken);
    const b = await connectYjs(first.url, session.code, session.people[1].joined.participantToken);
    addAction(a.doc, { factor: 9, text: 'Find a sponsor for 2027' });
    // b receives it only after the server persisted it.
    await waitFor(() => readActions(b.doc)[0]?.text === 'Find a sponsor for 2027');
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
    expect(readActions(reader.doc).map((x) => x.text)).toEqual(['Find a sponsor for 2027']);
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

    addAction(a.doc, { factor: null, text: 'still here' });
    await waitFor(() => readActions(b.doc)[0]?.text === 'still here');
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

    addAction(a.doc, { factor: null, text: 'still flowing' });
    await waitFor(() => readActions(b.doc)[0]?.text === 'still flowing');
  });

  it('keeps the board within its limits: action points beyond the cap and over-long texts are trimmed for everyone', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 2 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const a = await connectYjs(server.url, session.code, session.people[0].joined.participantToken);
    const b = await connectYjs(server.url, session.code, session.people[1].joined.participantToken);
    a.doc.transact(() => {
      for (let i = 0; i < LIMITS.actionsPerSession + 5; i++) addAction(a.doc, { factor: 1, text: `point ${i}` });
    });
    await waitFor(() => actionsArray(b.doc).length === LIMITS.actionsPerSession && actionsArray(a.doc).length === LIMITS.actionsPerSession, {
      timeout: 10_000
    });
    expect(readActions(b.doc).at(-1)?.text).toBe(`point ${LIMITS.actionsPerSession - 1}`);

    textOf(a, 0).insert(0, 'x'.repeat(LIMITS.actionTextMax + 50));
    await waitFor(() => textOf(b, 0).length === LIMITS.actionTextMax, { timeout: 10_000 });
    await waitFor(() => textOf(a, 0).length === LIMITS.actionTextMax, { timeout: 10_000 });
    const stored = await exported(server.url, session);
    expect(stored.actions).toHaveLength(LIMITS.actionsPerSession);
    expect(stored.actions[0].text).toHaveLength(LIMITS.actionTextMax);
  });

  it('limits dots per person', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 2 });
    const [p1, p2] = session.people.map((p) => p.client);
    await advance(session.facilitator, 'voting');
    expect(errorCode(await p1.send('dot:cast', { actionId: 'abcdefgh', delta: 1 }))).toBe('wrong_phase');
    await advance(session.facilitator, 'revealed', 'actions');
    const board = await connectYjs(server.url, session.code, session.people[0].joined.participantToken);
    const x = addAction(board.doc, { factor: 1, text: 'X' });
    const y = addAction(board.doc, { factor: 2, text: 'Y' });
    await waitFor(async () => (await exported(server.url, session)).actions.length === 2);

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
    expect(errorCode(await p2.send('dot:cast', { actionId: y, delta: 1 }))).toBe('ok');

    await p2.waitForEvent('dots', (d) => d.totals[x] === 2 && d.totals[y] === 2 && d.mine[y] === 1 && d.remaining === 2);
    await session.facilitator.waitForEvent('dots', (d) => d.totals[y] === 2 && d.remaining === LIMITS.defaultDots);
    const votes = (await exported(server.url, session)).actions.map((a) => [a.text, a.votes]);
    expect(votes).toEqual([
      ['X', 2],
      ['Y', 2]
    ]);
  });

  it('lets only the facilitator remove, merge and move action points', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 1 });
    const { facilitator } = session;
    const participant = session.people[0].client;
    await advance(facilitator, 'voting', 'revealed', 'actions');
    const board = await connectYjs(server.url, session.code, session.created.facilitatorToken);
    const [one, two, three] = ['one', 'two', 'three'].map((text, i) => addAction(board.doc, { factor: i + 1, text }));
    const texts = async () => (await exported(server.url, session)).actions.map((a) => a.text);
    await waitFor(async () => (await texts()).length === 3);

    const attempts = (client: BoardClient) => [
      client.send('action:remove', { actionId: one }),
      client.send('action:merge', { sourceId: two, targetId: one }),
      client.send('action:move', { actionId: three, toIndex: 0 })
    ];
    for (const ack of await Promise.all(attempts(participant))) expect(errorCode(ack)).toBe('forbidden');
    expect(await texts()).toEqual(['one', 'two', 'three']);

    expect(errorCode(await facilitator.send('action:move', { actionId: three, toIndex: 0 }))).toBe('ok');
    expect(await texts()).toEqual(['three', 'one', 'two']);
    expect(errorCode(await participant.send('dot:cast', { actionId: two, delta: 1 }))).toBe('ok');
    expect(errorCode(await facilitator.send('action:merge', { sourceId: two, targetId: one }))).toBe('ok');
    expect((await exported(server.url, session)).actions.map((a) => [a.text, a.votes])).toEqual([
      ['three', 0],
      ['one\ntwo', 1]
    ]);
    expect(errorCode(await facilitator.send('action:remove', { actionId: three }))).toBe('ok');
    expect(await texts()).toEqual(['one\ntwo']);
    await waitFor(() => readActions(board.doc).length === 1, { message: 'the board client sees the server-side changes' });

    for (const command of [
      facilitator.send('action:remove', { actionId: three }),
      facilitator.send('action:merge', { sourceId: one, targetId: one }),
      facilitator.send('action:move', { actionId: 'nosuchaction', toIndex: 0 })
    ]) {
      expect(errorCode(await command)).toBe('not_found');
    }
    await advance(facilitator, 'closed');
    expect(errorCode(await facilitator.send('action:remove', { actionId: one }))).toBe('wrong_phase');
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
    addAction(doc, { factor: 1, text: 'vandalism' });
    if (raw.ws.readyState === raw.ws.OPEN) raw.sendUpdate(Y.encodeStateAsUpdate(doc));
    addAction(goneBoard.doc, { factor: 1, text: 'more vandalism' });

    const fresh = await connectYjs(server.url, session.code, stays.joined.participantToken);
    addAction(fresh.doc, { factor: 2, text: 'legit' });
    await waitFor(async () => (await exported(server.url, session)).actions.length >= 1);
    expect((await exported(server.url, session)).actions.map((a) => a.text)).toEqual(['legit']);
  });
});
