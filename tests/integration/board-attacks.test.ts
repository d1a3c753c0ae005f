/**
 * The board document under attack by a participant with a valid token during
 * the action phase (when writes are applied): each attack of issue 10 against
 * a real server, real y-websocket clients and raw sockets. A refused update is
 * not applied, its sender is told once (close 4422 with the reason), honest
 * editors keep storing and relaying, and after a restart the board is what
 * people were shown.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { newActionId, textOf, textsMap } from '../../src/lib/board/actions';
import type { ExportJson } from '../../src/lib/domain/export';
import { YJS_CLOSE, YJS_TEXTS } from '../../src/lib/protocol';
import { connectYjs, RawYjs, waitFor, type BoardClient, type YjsClient } from '../helpers/clients';
import { storedText } from '../helpers/board';
import { getExport, makeDataDir, startServer } from '../helpers/server';
import { advance, setupSession, type TestSession } from '../helpers/session';

const RELAXED = { yjsMessagesPerSecond: 1e6, yjsBurst: 1e6 };

/** Creates an action point through the server (socket.io), which creates its text. */
async function createPoint(client: BoardClient, factor: number | null = 1, text = ''): Promise<string> {
  const actionId = newActionId();
  const ack = await client.send('action:create', { actionId, factor, text });
  if (!ack.ok) throw new Error(`action:create refused: ${ack.error.code}`);
  return actionId;
}

/** Waits until `client` has the text of `id` and types `words` at its end. */
async function type(client: YjsClient, id: string, words: string): Promise<void> {
  const text = await waitFor(() => textOf(client.doc, id), { message: `text ${id} synced` });
  text.insert(text.length, words);
}

const textsOf = (doc: Y.Doc) =>
  Object.fromEntries([...textsMap(doc).entries()].map(([id, text]) => [id, text instanceof Y.Text ? text.toString() : '(not a text)']));

async function servedDoc(server: Awaited<ReturnType<typeof startServer>>, session: TestSession) {
  const room = (await server.realtime.registry.get(session.code))!;
  return room.doc();
}

/** Sends one update over a fresh raw socket and returns how the server closed it. */
async function sendRefused(url: string, session: TestSession, token: string, update: Uint8Array): Promise<{ code: number; reason: string }> {
  const raw = await RawYjs.open(url, session.code, token);
  let reason = '';
  raw.ws.on('close', (_code, why) => (reason = why.toString()));
  raw.sendUpdate(update);
  const code = await raw.waitForClose();
  return { code, reason };
}

/** An update made on a copy of the server's document (so it refers to the server's items). */
function hostileUpdate(served: Y.Doc, change: (doc: Y.Doc) => void): Uint8Array {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(served));
  const before = Y.encodeStateVector(doc);
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  doc.transact(() => change(doc));
  void before;
  return Y.mergeUpdates(updates);
}

describe('board attacks over Yjs', () => {
  it('refuses a value hiding 3,000 nested maps and the delete that follows; the board keeps storing and relaying, and a restart shows what was shown', async () => {
    const dataDir = await makeDataDir();
    const server = await startServer({ dataDir, limits: RELAXED });
    const session = await setupSession(server, { participants: 2 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const [victim, mallory] = session.people;
    const facilitatorYjs = await connectYjs(server.url, session.code, session.created.facilitatorToken);
    const victimYjs = await connectYjs(server.url, session.code, victim.joined.participantToken);
    const served = await servedDoc(server, session);
    const first = await createPoint(victim.client, 2);
    await type(victimYjs, first, 'Before the attack');
    await waitFor(() => textOf(facilitatorYjs.doc, first)?.toString() === 'Before the attack');

    // The hidden value: 3,000 nested maps (≈36 KB), as an entry of the texts map and as the old board's array item.
    const nested = (_doc: Y.Doc, put: (value: Y.Map<unknown>) => void) => {
      const root = new Y.Map<unknown>();
      put(root);
      let inner = root;
      for (let i = 0; i < 3000; i++) {
        const next = new Y.Map<unknown>();
        inner.set('x', next);
        inner = next;
      }
    };
    const deep = hostileUpdate(served.doc, (doc) => nested(doc, (root) => doc.getMap(YJS_TEXTS).set(newActionId(), root)));
    expect(deep.length).toBeGreaterThan(30_000);
    const mallorysToken = mallory.joined.participantToken;
    expect(await sendRefused(server.url, session, mallorysToken, deep)).toEqual({ code: YJS_CLOSE.refused, reason: 'refused: not_text' });
    const inArray = hostileUpdate(served.doc, (doc) => nested(doc, (root) => doc.getArray('actions').push([root])));
    expect(await sendRefused(server.url, session, mallorysToken, inArray)).toEqual({ code: YJS_CLOSE.refused, reason: 'refused: not_text' });
    // The 10-byte delete, aimed at the point's text entry (the only server item there is).
    const entry = (textsMap(served.doc).get(first) as Y.Text)._item!.id;
    const e = encoding.createEncoder();
    for (const n of [0, 1, entry.client, 1, entry.clock, 1]) encoding.writeVarUint(e, n);
    const tenBytes = encoding.toUint8Array(e);
    expect(tenBytes.length).toBeLessThanOrEqual(10);
    expect(await sendRefused(server.url, session, mallorysToken, tenBytes)).toEqual({ code: YJS_CLOSE.refused, reason: 'refused: server_item' });
    expect([...served.doc.share.keys()]).toEqual([YJS_TEXTS]);

    // The victim's five new points reach the facilitator, are stored, and survive a restart.
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await createPoint(victim.client, i + 1));
      await type(victimYjs, ids[i], `Point ${i + 1} after the attack`);
    }
    const shown = textsOf(victimYjs.doc);
    await waitFor(() => JSON.stringify(textsOf(facilitatorYjs.doc)) === JSON.stringify(shown), { message: 'facilitator sees the victim' });
    await waitFor(
      async () => {
        const exported = (await getExport<ExportJson>(server.url, session.code, session.created.facilitatorToken)).body;
        return exported.actions.length === 6 && ids.every((_, i) => exported.actions.some((a) => a.text === `Point ${i + 1} after the attack`));
      },
      { message: 'exported' }
    );
    victimYjs.destroy();
    facilitatorYjs.destroy();
    await server.close();

    const again = await startServer({ dataDir });
    const reader = await connectYjs(again.url, session.code, session.created.facilitatorToken);
    expect(textsOf(reader.doc)).toEqual(shown);
  });

  it('refuses a flood of made-up client ids: 8 updates of ~175 KB naming 25,000 each; the document stays small and honest edits still arrive', async () => {
    const server = await startServer({ limits: RELAXED });
    const session = await setupSession(server, { participants: 2 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const [honest, mallory] = session.people;
    const a = await connectYjs(server.url, session.code, honest.joined.participantToken);
    const b = await connectYjs(server.url, session.code, session.created.facilitatorToken);
    const id = await createPoint(honest.client, 4);
    await type(a, id, 'typed');
    const served = await servedDoc(server, session);

    // 25,000 made-up clients, each a one-clock removed range (GC struct): about 7 bytes per id.
    const flood = (seed: number) => {
      const e = encoding.createEncoder();
      encoding.writeVarUint(e, 25_000);
      for (let i = 0; i < 25_000; i++) {
        encoding.writeVarUint(e, 1);
        encoding.writeVarUint(e, 1_000_000 + seed * 25_000 + i);
        encoding.writeVarUint(e, 0);
        encoding.writeUint8(e, 0);
        encoding.writeVarUint(e, 1);
      }
      encoding.writeVarUint(e, 0);
      return encoding.toUint8Array(e);
    };
    for (let i = 0; i < 8; i++) {
      const update = flood(i);
      expect(update.length).toBeGreaterThan(120_000);
      expect(await sendRefused(server.url, session, mallory.joined.participantToken, update)).toEqual({
        code: YJS_CLOSE.refused,
        reason: 'refused: too_many_clients'
      });
    }
    // Within the per-update cap, many small updates: each person may bring only a bounded number of client ids.
    const raw = await RawYjs.open(server.url, session.code, mallory.joined.participantToken);
    let closed = false;
    raw.ws.on('close', () => (closed = true));
    for (let round = 0; round < 20 && !closed; round++) {
      const updates = Array.from({ length: 8 }, () => {
        const doc = new Y.Doc();
        Y.applyUpdate(doc, Y.encodeStateAsUpdate(served.doc));
        const sent: Uint8Array[] = [];
        doc.on('update', (u: Uint8Array) => sent.push(u));
        (doc.getMap(YJS_TEXTS).get(id) as Y.Text).insert(0, '');
        (doc.getMap(YJS_TEXTS).get(id) as Y.Text).insert(0, 'm');
        return sent[0];
      });
      const before = served.doc.store.clients.size;
      raw.sendUpdate(Y.mergeUpdates(updates));
      await waitFor(() => closed || served.doc.store.clients.size >= before + 8, { message: 'round handled' });
    }
    await raw.waitForClose();
    expect(raw.closeCode).toBe(YJS_CLOSE.refused);
    expect(served.doc.store.clients.size, 'client ids in the served document').toBeLessThanOrEqual(2 + 32);
    expect(Y.encodeStateAsUpdate(served.doc).length).toBeLessThan(10_000);

    // Honest typing still arrives everywhere.
    await type(a, id, ' and more');
    await waitFor(() => textOf(b.doc, id)?.toString().endsWith('typed and more'), { message: 'relayed' });
    await waitFor(() => storedText(served, id).endsWith('typed and more'), { message: 'stored' });
  });

  it("refuses a participant deleting or overwriting another person's point or text entry over Yjs", async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 2 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const [victim, mallory] = session.people;
    const v = await connectYjs(server.url, session.code, victim.joined.participantToken);
    const id = await createPoint(victim.client, 3);
    await type(v, id, "Victim's plan");
    const served = await servedDoc(server, session);
    await waitFor(() => storedText(served, id) === "Victim's plan");

    for (const [label, change, reason] of [
      ['delete the entry', (doc: Y.Doc) => doc.getMap(YJS_TEXTS).delete(id), 'server_item'],
      ['overwrite with a new text', (doc: Y.Doc) => doc.getMap(YJS_TEXTS).set(id, new Y.Text('pwned')), 'not_text'],
      ['overwrite with a string', (doc: Y.Doc) => doc.getMap(YJS_TEXTS).set(id, 'pwned'), 'not_text']
    ] as const) {
      const m = await connectYjs(server.url, session.code, mallory.joined.participantToken);
      await waitFor(() => textOf(m.doc, id)?.toString() === "Victim's plan");
      const closed = new Promise<{ code: number; reason: string }>((resolve) => m.provider.once('closed', (event) => resolve(event)));
      change(m.doc);
      expect(await closed, label).toEqual({ code: YJS_CLOSE.refused, reason: `refused: ${reason}` });
      m.destroy();
    }
    expect(storedText(served, id)).toBe("Victim's plan");
    const fresh = await connectYjs(server.url, session.code, session.created.facilitatorToken);
    expect(textsOf(fresh.doc)).toEqual({ [id]: "Victim's plan" });
    const exported = (await getExport<ExportJson>(server.url, session.code, session.created.facilitatorToken)).body;
    expect(exported.actions.map((a) => a.text)).toEqual(["Victim's plan"]);
  });

  it('refuses content outside the texts and texts over the limit, and keeps the stored document bounded', async () => {
    const server = await startServer({ limits: { ...RELAXED, yjsDocumentBytes: 64 * 1024 } });
    const session = await setupSession(server, { participants: 1 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const token = session.people[0].joined.participantToken;
    const id = await createPoint(session.people[0].client, 1);
    const served = await servedDoc(server, session);
    const cases: [string, (doc: Y.Doc) => void, string][] = [
      ['a root array', (doc) => doc.getArray('actions').push(['x']), 'not_text'],
      ['a root text', (doc) => doc.getText('notes').insert(0, 'x'), 'outside_texts'],
      ['a root map', (doc) => doc.getMap('other').set('k', 1), 'not_text'],
      ['a new key in texts', (doc) => doc.getMap(YJS_TEXTS).set('mine', 'x'), 'not_text'],
      ['an embed in a text', (doc) => (doc.getMap(YJS_TEXTS).get(id) as Y.Text).insertEmbed(0, { img: 'x' }), 'not_text'],
      ['formatting', (doc) => (doc.getMap(YJS_TEXTS).get(id) as Y.Text).insert(0, 'b', { bold: true }), 'not_text'],
      ['2,001 characters', (doc) => (doc.getMap(YJS_TEXTS).get(id) as Y.Text).insert(0, 'x'.repeat(2001)), 'text_too_long'],
      ['2,000 and an emoji', (doc) => (doc.getMap(YJS_TEXTS).get(id) as Y.Text).insert(0, `${'x'.repeat(2000)}😀`), 'text_too_long']
    ];
    for (const [label, change, reason] of cases) {
      expect(await sendRefused(server.url, session, token, hostileUpdate(served.doc, change)), label).toEqual({
        code: YJS_CLOSE.refused,
        reason: `refused: ${reason}`
      });
    }
    expect([...served.doc.share.keys()]).toEqual([YJS_TEXTS]);
    expect(storedText(served, id)).toBe('');

    // 1,999 characters and an emoji is exactly the limit: stored whole, never cut in half.
    const atLimit = `${'x'.repeat(1999)}😀`;
    const writer = await connectYjs(server.url, session.code, token);
    await type(writer, id, atLimit);
    await waitFor(() => storedText(served, id) === atLimit, { message: 'limit text stored' });
    const exported = (await getExport<ExportJson>(server.url, session.code, session.created.facilitatorToken)).body;
    expect(exported.actions[0].text).toBe(atLimit);

    // Typing and deleting until the stored document reaches its size cap: then writes are refused, not stored.
    const closed = new Promise<{ code: number; reason: string }>((resolve) => writer.provider.once('closed', (event) => resolve(event)));
    const text = textOf(writer.doc, id)!;
    for (let i = 0; i < 200 && writer.provider.wsconnected; i++) {
      text.delete(0, 500);
      text.insert(0, 'y'.repeat(500));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await closed).toEqual({ code: YJS_CLOSE.refused, reason: 'refused: document_full' });
  });

  it('keeps presence to one checked entry per connection: a palette index, a bounded name, a caret of ids', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 2 });
    const [honest, mallory] = session.people;
    const viewer = await connectYjs(server.url, session.code, honest.joined.participantToken);
    viewer.provider.awareness.setLocalState({ name: 'Honest', colour: 2, editing: null });
    const raw = await RawYjs.open(server.url, session.code, mallory.joined.participantToken);
    const entry = (id: number, clock: number, state: unknown) => {
      const update = encoding.createEncoder();
      encoding.writeVarUint(update, 1);
      encoding.writeVarUint(update, id);
      encoding.writeVarUint(update, clock);
      encoding.writeVarString(update, JSON.stringify(state));
      const message = encoding.createEncoder();
      encoding.writeVarUint(message, 1);
      encoding.writeVarUint8Array(message, encoding.toUint8Array(update));
      return encoding.toUint8Array(message);
    };
    const hostile = {
      name: `${'👨‍👩‍👧'.repeat(60)}<b>`,
      colour: '#b3261e; position:fixed; inset:0; background:url(data:image/png;base64,AAAA)',
      editing: 'abcdefgh',
      cursor: { type: { client: 1, clock: 2 }, tname: 'x'.repeat(100), item: 'junk', assoc: 7 },
      style: 'position:fixed',
      html: '<img src=x onerror=alert(1)>'
    };
    raw.send(entry(777, 1, hostile));
    // Someone else's id, and a second id of her own: dropped.
    raw.send(entry(viewer.doc.clientID, 99, { name: 'Impostor', colour: 1 }));
    raw.send(entry(778, 1, { name: 'Second me', colour: 1 }));
    await waitFor(() => viewer.provider.awareness.getStates().has(777), { message: 'presence relayed' });
    // A third message from her own id makes sure the two before were handled (messages are handled in order).
    raw.send(entry(777, 2, { ...hostile, name: 'Mallory' }));
    await waitFor(() => (viewer.provider.awareness.getStates().get(777) as { name?: string } | undefined)?.name === 'Mallory', { message: 'update relayed' });
    const states = viewer.provider.awareness.getStates();
    expect(states.get(777)).toEqual({ name: 'Mallory', colour: 0, editing: 'abcdefgh', cursor: { type: { client: 1, clock: 2 }, assoc: 0 } });
    expect(states.has(778)).toBe(false);
    expect(states.get(viewer.doc.clientID)).toEqual({ name: 'Honest', colour: 2, editing: null });
    const served = await servedDoc(server, session);
    expect([...served.awareness.getStates().keys()].sort()).toEqual([777, viewer.doc.clientID].sort());
    // The first name was cut to its limits (40 graphemes, 160 code units): 20 whole families of emoji (8 units each).
    raw.send(entry(777, 3, hostile));
    await waitFor(() => (viewer.provider.awareness.getStates().get(777) as { name?: string } | undefined)?.name !== 'Mallory', {
      message: 'long name relayed'
    });
    expect((viewer.provider.awareness.getStates().get(777) as { name: string }).name).toBe('👨‍👩‍👧'.repeat(20));
  });
});
