/**
 * Yjs places an item whose neighbours are not next to each other by walking the text from its left
 * neighbour (or the text's start) over every item, deleted ones too, that may conflict with it
 * (Item.integrate). Deleted characters stay in the text as items, so a text can hold tens of thousands:
 * an update of a few hundred one-letter items named by their parent (no neighbours) would make the
 * server walk all of them for each letter. The gate must refuse it before anything is applied.
 */
import { expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { BOARD_GATE_LIMITS, checkUpdate } from '../../server/yjs/update-gate';
import { YJS_TEXTS } from '../../src/lib/protocol';
import { scaled } from '../helpers/patience';

const GATE = BOARD_GATE_LIMITS;

function update(client: number, clock: number, structs: ((e: encoding.Encoder) => void)[], deletes: [number, number][]): Uint8Array {
  const e = encoding.createEncoder();
  for (const n of [1, structs.length, client, clock]) encoding.writeVarUint(e, n);
  for (const write of structs) write(e);
  encoding.writeVarUint(e, deletes.length > 0 ? 1 : 0);
  if (deletes.length > 0) {
    for (const n of [client, deletes.length]) encoding.writeVarUint(e, n);
    for (const [at, len] of deletes) for (const n of [at, len]) encoding.writeVarUint(e, n);
  }
  return encoding.toUint8Array(e);
}

it(
  'refuses an update whose items would each make the server walk tens of thousands of deleted characters',
  () => {
    const server = new Y.Doc();
    server.transact(() => server.getMap(YJS_TEXTS).set('p', new Y.Text()), 'server');
    const text = server.getMap(YJS_TEXTS).get('p') as Y.Text;
    const textItem = text._item!.id;
    const apply = (u: Uint8Array) => {
      const verdict = checkUpdate(server, u, GATE);
      expect(verdict).toMatchObject({ ok: true });
      if (verdict.ok) Y.applyUpdate(server, u, 'client');
    };
    // Client 1 types 2,000 letters at the start (each before the last: one item each), then deletes them; 20 times.
    const low = 1;
    for (let round = 0; round < 20; round++) {
      const start = round * 2000;
      const structs = Array.from({ length: 2000 }, (_, i) => (e: encoding.Encoder) => {
        if (start + i === 0) {
          encoding.writeUint8(e, 4);
          for (const n of [0, textItem.client, textItem.clock]) encoding.writeVarUint(e, n);
        } else {
          encoding.writeUint8(e, 4 | 0x40);
          for (const n of [low, start + i - 1]) encoding.writeVarUint(e, n);
        }
        encoding.writeVarString(e, 'x');
      });
      apply(update(low, start, structs, []));
      apply(update(low, start + 2000, [], [[start, 2000]]));
    }
    let items = 0;
    for (let item = text._start; item !== null; item = item.right) items++;
    expect(items).toBe(40_000);
    expect(text.length).toBe(0);
    // 200 letters named by their parent only, from a higher client id: each is placed after walking every item of the text.
    const letters = Array.from({ length: 200 }, () => (e: encoding.Encoder) => {
      encoding.writeUint8(e, 4);
      for (const n of [0, textItem.client, textItem.clock]) encoding.writeVarUint(e, n);
      encoding.writeVarString(e, 'y');
    });
    const hostile = update(0xfffffff0, 0, letters, []);
    expect(hostile.length).toBeLessThan(2500);
    const before = Y.encodeStateAsUpdate(server);
    expect(checkUpdate(server, hostile, GATE)).toMatchObject({ ok: false, reason: 'too_many_structs' });
    expect(Y.encodeStateAsUpdate(server)).toEqual(before);
    // About a second on an idle machine (building the 40,000 deleted characters): the bound, grown with the load, only ends a failing run.
  },
  scaled(20_000)
);
