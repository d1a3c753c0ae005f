/**
 * Seeded fuzzing of the Yjs endpoint by a participant with a valid token during
 * the action phase (when writes are applied): random bytes, truncated and
 * bit-flipped sync messages, tiny updates that claim huge structures, junk
 * awareness, junk board items, text frames and oversized frames. The server
 * must answer (or close that one connection), keep nothing pending in memory,
 * keep serving two honest editors, and its stored board must load after a restart.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { newActionId, textOf, textsMap } from '../../src/lib/board/actions';
import type { ExportJson } from '../../src/lib/domain/export';
import { LIMITS, YJS_CLOSE, YJS_TEXTS } from '../../src/lib/protocol';
import { connectYjs, RawYjs, waitFor, YJS_MESSAGE, type BoardClient, type YjsClient } from '../helpers/clients';
import { storedText } from '../helpers/board';
import { fuzzBudget, fuzzDone, fuzzSeed, fuzzTimeout, Rng } from '../helpers/fuzz';
import { api, getExport, makeDataDir, startServer } from '../helpers/server';
import { advance, setupSession } from '../helpers/session';
import type { Identity } from '../../server/sessions/projections';
import { hostileYjsMessage, syncUpdate } from '../helpers/yjs-fuzz';

const RELAXED = { yjsMessagesPerSecond: 1e6, yjsBurst: 1e6, commandsPerSecond: 1e6, commandBurst: 1e6 };
// Refused updates close the socket (4422), so this fuzzer reconnects (with a ticket) far more often than before: more time.
const MINIMUM = 301;
const BUDGET = fuzzBudget(4000, 10_000, MINIMUM);
const WORKERS = 6;

/** Sends "query awareness" and waits for the awareness answer, or for the close. */
function probe(raw: RawYjs): Promise<'alive' | 'closed' | 'silent'> {
  return new Promise((resolve) => {
    const finish = (result: 'alive' | 'closed' | 'silent') => {
      clearTimeout(timer);
      raw.ws.off('message', onMessage);
      raw.ws.off('close', onClose);
      resolve(result);
    };
    const onMessage = (data: Buffer) => data[0] === YJS_MESSAGE.awareness && finish('alive');
    const onClose = () => finish('closed');
    const timer = setTimeout(() => finish('silent'), 5000);
    raw.ws.on('message', onMessage);
    raw.ws.on('close', onClose);
    if (raw.ws.readyState === WebSocket.OPEN) raw.ws.send(new Uint8Array([YJS_MESSAGE.queryAwareness]));
    else finish('closed');
  });
}

/** An honest editor typing numbered tokens into its own action point (created by the server over socket.io). */
async function typist(client: YjsClient, socket: BoardClient, name: string) {
  const id = newActionId();
  const ack = await socket.send('action:create', { actionId: id, factor: 5, text: `${name}:` });
  if (!ack.ok) throw new Error(`action:create refused: ${ack.error.code}`);
  const text = await waitFor(() => textOf(client.doc, id), { message: 'text synced' });
  let typed = 0;
  // Like the board's UI: who is there, and where the cursor is.
  client.provider.awareness.setLocalStateField('user', { name });
  const timer = setInterval(() => {
    const token = ` ${name}${typed}`;
    // An honest editor stops at the limit, as the board's text field does (the server refuses longer texts);
    // room is left for the edit after the restart below.
    if (text.length + token.length > LIMITS.actionTextMax - 100) return;
    typed++;
    text.insert(text.length, token);
    client.provider.awareness.setLocalStateField('cursor', text.length);
  }, 20);
  return {
    id,
    stop: () => clearInterval(timer),
    expected: () => `${name}:${Array.from({ length: typed }, (_, i) => ` ${name}${i}`).join('')}`
  };
}

describe('Yjs endpoint fuzzing', () => {
  it(
    'survives hostile binary from a participant and keeps serving honest editors',
    async () => {
      const seed = fuzzSeed('Yjs');
      const dataDir = await makeDataDir();
      const server = await startServer({ dataDir, limits: RELAXED });
      const session = await setupSession(server, { participants: 3 });
      await advance(session.facilitator, 'voting', 'revealed', 'actions');
      const [alice, bob, mallory] = session.people.map((p) => p.joined.participantToken);
      const a = await connectYjs(server.url, session.code, alice);
      const b = await connectYjs(server.url, session.code, bob);
      const typists = [await typist(a, session.people[0].client, 'a'), await typist(b, session.people[1].client, 'b')];
      const heapBefore = process.memoryUsage().heapUsed;

      let cases = 0;
      let reconnects = 0;
      const outcomes: Record<string, number> = {};
      const silent: string[] = [];
      const started = Date.now();
      const done = () => fuzzDone(BUDGET, cases, started);
      // Mallory's own socket.io connection hands out her tickets (reconnects are frequent: refusals close the socket).
      const malloryTickets = async () => {
        const ack = await session.people[2].client.send('board:ticket', {});
        if (!ack.ok) throw new Error(ack.error.code);
        return ack.data.ticket;
      };
      const worker = async (index: number) => {
        const rng = new Rng(seed + index);
        let raw = await RawYjs.open(server.url, session.code, mallory, malloryTickets);
        while (!done()) {
          if (raw.ws.readyState !== WebSocket.OPEN) {
            raw.ws.terminate();
            raw = await RawYjs.open(server.url, session.code, mallory, malloryTickets);
            reconnects++;
          }
          const oversized = rng.chance(0.005);
          const hostile = oversized ? new Uint8Array(LIMITS.yjsMessageBytes + 1) : hostileYjsMessage(rng);
          raw.ws.send(hostile);
          cases++;
          const outcome = await probe(raw);
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
          if (outcome === 'silent' && silent.length < 10) silent.push(Buffer.from(hostile).toString('hex').slice(0, 200));
        }
        raw.ws.terminate();
      };
      await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i)));
      const elapsed = Date.now() - started;
      console.log(
        `[fuzz] Yjs: ${cases} hostile messages (${reconnects} reconnects) in ${elapsed} ms = ${Math.round((cases / elapsed) * 1000)}/s; outcomes ${JSON.stringify(outcomes)}`
      );
      expect(silent, 'connections that neither answered nor closed').toEqual([]);
      expect(cases).toBeGreaterThanOrEqual(MINIMUM);
      expect((await api(server.url, '/healthz')).status).toBe(200);

      // Nothing waits in memory for dependencies, awareness holds only the honest editors, the document is bounded.
      const room = (await server.realtime.registry.get(session.code))!;
      const served = await room.doc();
      // Mallory's board connections all closed: she counts only her socket.io connection (presence counts per person over both transports).
      const malloryId: Identity = { role: 'participant', participantId: session.people[2].joined.participantId };
      await waitFor(() => room.connectionsOf(malloryId) === 1, { message: 'fuzz connections closed' });
      expect(served.doc.store.pendingStructs).toBeNull();
      expect(served.doc.store.pendingDs).toBeNull();
      // Awareness holds exactly the honest editors (the fuzzer could not remove or overwrite them) and no stray clocks.
      expect([...served.awareness.getStates().keys()].sort()).toEqual([a.doc.clientID, b.doc.clientID].sort());
      expect(served.awareness.meta.size, 'awareness clocks kept').toBeLessThanOrEqual(3);
      const stateBytes = Y.encodeStateAsUpdate(served.doc).length;
      const heapGrowthMb = Math.round((process.memoryUsage().heapUsed - heapBefore) / 1e6);
      console.log(`[fuzz] Yjs: board state ${stateBytes} bytes, ${textsMap(served.doc).size} texts, heap growth ${heapGrowthMb} MB`);
      // Nothing the fuzzer sent got in: only the texts root, only the server's two texts.
      expect([...served.doc.share.keys()]).toEqual([YJS_TEXTS]);
      expect(textsMap(served.doc).size).toBe(2);
      expect(stateBytes).toBeLessThan(20 * 1024 * 1024);

      // The honest editors kept working: both see everything both typed, and so does the server.
      for (const t of typists) t.stop();
      const expected = typists.map((t) => t.expected());
      const texts = (doc: Y.Doc) => typists.map((t) => textOf(doc, t.id)?.toString());
      for (const doc of [a.doc, b.doc, served.doc])
        await waitFor(() => JSON.stringify(texts(doc)) === JSON.stringify(expected), { message: 'editors converged' });
      const exported = await getExport<ExportJson>(server.url, session.code, session.created.facilitatorToken);
      expect(exported.status).toBe(200);
      a.destroy();
      b.destroy();

      // The stored board loads after a restart and can be edited on.
      await server.close();
      const again = await startServer({ dataDir });
      const reader = await connectYjs(again.url, session.code, alice);
      expect(texts(reader.doc)).toEqual(expected);
      const id = typists[0].id;
      textOf(reader.doc, id)!.insert(0, 'after the storm: ');
      const other = await connectYjs(again.url, session.code, bob);
      await waitFor(() => textOf(other.doc, id)?.toString() === `after the storm: ${expected[0]}`, { message: 'edit after restart' });
      expect((await getExport(again.url, session.code, session.created.facilitatorToken)).status).toBe(200);
    },
    fuzzTimeout(BUDGET)
  );

  it('refuses updates that claim huge or empty structures or depend on unknown ones, and the board still loads', async () => {
    const dataDir = await makeDataDir();
    const server = await startServer({ dataDir });
    const session = await setupSession(server, { participants: 1 });
    await advance(session.facilitator, 'voting', 'revealed', 'actions');
    const token = session.people[0].joined.participantToken;
    const honest = await connectYjs(server.url, session.code, token);
    const room = (await server.realtime.registry.get(session.code))!;
    const served = await room.doc();
    const survivor = newActionId();
    expect((await session.people[0].client.send('action:create', { actionId: survivor, factor: 8 })).ok).toBe(true);
    (await waitFor(() => textOf(honest.doc, survivor))).insert(0, 'Survives');
    await waitFor(() => storedText(served, survivor) === 'Survives', { message: 'honest text stored' });

    /** One struct at the root of the board: `info` is the struct's first byte, `write` the rest. */
    const struct = (client: number, clock: number, info: number, write: (e: encoding.Encoder) => void) => {
      const e = encoding.createEncoder();
      for (const n of [1, 1, client, clock]) encoding.writeVarUint(e, n);
      encoding.writeUint8(e, info);
      write(e);
      encoding.writeVarUint(e, 0);
      return encoding.toUint8Array(e);
    };
    // Inside the server's text (by its item id), so the gate reaches the content's length.
    const textItem = (textsMap(served.doc).get(survivor) as Y.Text)._item!.id;
    const atRoot = (content: (e: encoding.Encoder) => void) => (e: encoding.Encoder) => {
      encoding.writeVarUint(e, 0);
      encoding.writeVarUint(e, textItem.client);
      encoding.writeVarUint(e, textItem.clock);
      content(e);
    };
    const hostile: [string, Uint8Array, number][] = [
      ['GC of 2^50 clocks', struct(77, 0, 0, (e) => encoding.writeVarUint(e, 2 ** 50)), 1003],
      [
        'deleted item of 2^52 clocks',
        struct(
          78,
          0,
          1,
          atRoot((e) => encoding.writeVarUint(e, 2 ** 52))
        ),
        1003
      ],
      [
        'empty string item',
        struct(
          79,
          0,
          4,
          atRoot((e) => encoding.writeVarString(e, ''))
        ),
        1003
      ],
      [
        'empty Any item',
        struct(
          80,
          0,
          8,
          atRoot((e) => encoding.writeVarUint(e, 0))
        ),
        // Any content is never text: refused by the board's schema before its length matters.
        YJS_CLOSE.refused
      ],
      [
        'item after a gap',
        struct(
          81,
          5,
          4,
          atRoot((e) => encoding.writeVarString(e, 'orphan'))
        ),
        1008
      ]
    ];
    for (const [label, update, closeCode] of hostile) {
      const raw = await RawYjs.open(server.url, session.code, token);
      raw.send(syncUpdate(update));
      expect(await raw.waitForClose(), label).toBe(closeCode);
    }
    expect(served.doc.store.pendingStructs).toBeNull();
    expect(Math.max(...Y.decodeStateVector(Y.encodeStateVector(served.doc)).values())).toBeLessThan(2 ** 40);

    await server.close();
    const again = await startServer({ dataDir });
    const reader = await connectYjs(again.url, session.code, token);
    expect([...textsMap(reader.doc).values()].map((t) => t.toString())).toEqual(['Survives']);
    expect((await getExport(again.url, session.code, session.created.facilitatorToken)).status).toBe(200);
  });
});
