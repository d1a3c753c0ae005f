/**
 * A participant's hand-made updates that the gate lets in (one client's new structs, a delete set), placed
 * where honest clients never put them: inside someone's item, with its neighbours the wrong way round, as deleted
 * content, deleting part of themselves and of stored text. A real server and real y-websocket
 * clients: the server must change its document exactly as Y.applyUpdate changes a copy, relay
 * it so every editor converges, and store it so a restart loads the same document.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { textOf, textsMap } from '../../src/lib/board/actions';
import { connectYjs, RawYjs, waitFor } from '../helpers/clients';
import { addPoint } from '../helpers/board';
import { makeDataDir, startServer } from '../helpers/server';
import { advance, setupSession } from '../helpers/session';
import { BOARD_GATE_LIMITS, checkUpdate } from '../../server/yjs/update-gate';

const RELAXED = { yjsMessagesPerSecond: 1e6, yjsBurst: 1e6 };

const textsOf = (doc: Y.Doc) =>
  Object.fromEntries([...textsMap(doc).entries()].map(([id, text]) => [id, text instanceof Y.Text ? text.toString() : '(not a text)']));

type Struct = { origin?: Y.ID; rightOrigin?: Y.ID; parent?: Y.ID; str?: string; deleted?: number };

/** A v1 update of `client`'s structs from `clock`, and a delete set. */
function handMade(client: number, clock: number, structs: Struct[], deletes: [number, number, number][]): Uint8Array {
  const e = encoding.createEncoder();
  const uint = (...ns: number[]) => ns.forEach((n) => encoding.writeVarUint(e, n));
  uint(1, structs.length, client, clock);
  for (const s of structs) {
    encoding.writeUint8(e, (s.deleted ? 1 : 4) | (s.origin ? 0x80 : 0) | (s.rightOrigin ? 0x40 : 0));
    for (const id of [s.origin, s.rightOrigin]) if (id) uint(id.client, id.clock);
    if (!s.origin && !s.rightOrigin) uint(0, s.parent!.client, s.parent!.clock);
    if (s.deleted) uint(s.deleted);
    else encoding.writeVarString(e, s.str!);
  }
  const byClient = new Map<number, [number, number][]>();
  for (const [c, at, len] of deletes) (byClient.get(c) ?? byClient.set(c, []).get(c)!).push([at, len]);
  uint(byClient.size);
  for (const [c, ranges] of byClient) {
    uint(c, ranges.length);
    for (const [at, len] of ranges) uint(at, len);
  }
  return encoding.toUint8Array(e);
}

describe('hand-made updates the gate lets in', () => {
  it('applies hand-made updates of one client as Y.applyUpdate does; every editor converges and a restart loads the same board', async () => {
    const dataDir = await makeDataDir();
    const server = await startServer({ dataDir, limits: RELAXED });
    const session = await setupSession(server, { participants: 2 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const [victim, mallory] = session.people;
    const facilitatorYjs = await connectYjs(server.url, session.code, session.created.facilitatorToken);
    const victimYjs = await connectYjs(server.url, session.code, victim.joined.participantToken);
    const served = (await (await server.realtime.registry.get(session.code))!.doc()).doc;
    const id = await addPoint(victim.client, 2);
    const a = await waitFor(() => textOf(victimYjs.doc, id), { message: 'text synced' });
    a.insert(0, 'Hello world');
    a.insert(5, ' dear');
    await waitFor(() => textOf(served, id)?.toString() === 'Hello dear world', { message: 'stored' });
    const textItem = textsMap(served).get(id)!._item!.id;
    const hello = textOf(served, id)!._start!.id; // "Hello" then " world" (one item split by " dear")
    const dear = textOf(served, id)!._start!.right!.id;

    const me = 0x7e57;
    const updates = [
      // Inside "Hello" (after "He"), its right neighbour " dear" to the left of it, then a deleted run after itself.
      handMade(
        me,
        0,
        [
          { origin: Y.createID(hello.client, hello.clock + 1), rightOrigin: Y.createID(hello.client, hello.clock), str: 'XY' },
          { origin: Y.createID(me, 1), deleted: 3 }
        ],
        [
          [me, 0, 1],
          [dear.client, dear.clock + 1, 2]
        ]
      ),
      // At the start by parent id (the conflict scan from the text's start), right neighbour in the middle of " dear".
      handMade(
        me,
        5,
        [
          { parent: textItem, str: '¡' },
          { origin: Y.createID(me, 5), rightOrigin: Y.createID(dear.client, dear.clock + 3), str: '👍 z' }
        ],
        [
          [me, 6, 2],
          [hello.client, hello.clock + 3, 1]
        ]
      )
    ];
    // What Y.applyUpdate makes of them on a copy of the server's document as it is now (nobody else edits meanwhile).
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(served));
    for (const update of updates) Y.applyUpdate(copy, update);
    const expected = textsOf(copy);
    // The gate lets them in (checked on another copy, each after the one before it).
    const probe = new Y.Doc();
    Y.applyUpdate(probe, Y.encodeStateAsUpdate(served));
    for (const update of updates) {
      const verdict = checkUpdate(probe, update, BOARD_GATE_LIMITS);
      expect(verdict.ok).toBe(true);
      Y.applyUpdate(probe, update);
    }
    expect(Y.encodeStateAsUpdate(probe)).toEqual(Y.encodeStateAsUpdate(copy));
    expect(expected[id]).not.toBe('Hello dear world');

    const raw = await RawYjs.open(server.url, session.code, mallory.joined.participantToken);
    for (const update of updates) raw.sendUpdate(update);
    await waitFor(() => raw.closeCode !== null || Y.getState(served.store, me) === Y.getState(copy.store, me), { message: 'applied' });
    expect(raw.closeCode).toBeNull();
    expect(textsOf(served)).toEqual(expected);
    expect(Y.encodeStateAsUpdate(served)).toEqual(Y.encodeStateAsUpdate(copy));
    // Relayed: the editors converge on it, and keep editing.
    await waitFor(() => JSON.stringify(textsOf(facilitatorYjs.doc)) === JSON.stringify(expected), { message: 'facilitator converges' });
    await waitFor(() => JSON.stringify(textsOf(victimYjs.doc)) === JSON.stringify(expected), { message: 'victim converges' });
    a.insert(a.length, ' end');
    await waitFor(() => textOf(facilitatorYjs.doc, id)?.toString() === `${expected[id]} end`, { message: 'edits after it arrive' });
    await waitFor(() => textOf(served, id)?.toString() === `${expected[id]} end`, { message: 'applied after it' });
    const shown = textsOf(served);
    const state = Y.encodeStateVector(served);
    raw.ws.terminate();
    victimYjs.destroy();
    facilitatorYjs.destroy();
    await server.close();

    // Stored as applied: the restarted server loads the same board.
    const again = await startServer({ dataDir });
    const reader = await connectYjs(again.url, session.code, session.created.facilitatorToken);
    expect(textsOf(reader.doc)).toEqual(shown);
    const reloaded = (await (await again.realtime.registry.get(session.code))!.doc()).doc;
    expect(Y.encodeStateVector(reloaded)).toEqual(state);
    await again.close();
  });
});
