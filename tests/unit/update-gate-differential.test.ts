/**
 * Differential attack on the one-read path (applyChecked): hand-made updates of one client
 * (strings and deleted content next to anything the document holds, inside items, at the ends,
 * with a delete set over anything) and honest edits, each fed to two documents with the same
 * history: one through the gate and applyChecked (as the board does), one through Y.applyUpdate.
 * Whatever the gate lets in must change both the same way: same relayed update, same document,
 * same throw (none).
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { applyChecked, checkUpdate, type GateLimits } from '../../server/yjs/update-gate';
import { LIMITS, YJS_TEXTS } from '../../src/lib/protocol';
import { scaled } from '../helpers/patience';

const GATE: GateLimits = {
  clientsPerUpdate: LIMITS.yjsClientsPerUpdate,
  structsPerUpdate: LIMITS.yjsStructsPerUpdate,
  deleteRangesPerUpdate: LIMITS.yjsDeleteRangesPerUpdate,
  deletedItemsPerUpdate: LIMITS.yjsDeletedItemsPerUpdate,
  textMax: LIMITS.actionTextMax,
  textUnits: LIMITS.actionTextUnits
};

function rngOf(seed: number) {
  let s = seed;
  const random = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return {
    random,
    int: (n: number) => Math.floor(random() * n),
    pick: <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]
  };
}

interface Pair {
  gated: Y.Doc;
  plain: Y.Doc;
  relayed: [Uint8Array[], Uint8Array[]];
}

function pair(): Pair {
  const gated = new Y.Doc();
  const plain = new Y.Doc();
  const relayed: [Uint8Array[], Uint8Array[]] = [[], []];
  gated.on('update', (u: Uint8Array) => relayed[0].push(u));
  plain.on('update', (u: Uint8Array) => relayed[1].push(u));
  return { gated, plain, relayed };
}

/** A change of the server's own, made on `gated` and copied to `plain`. */
function serverChange(p: Pair, change: (doc: Y.Doc) => void) {
  change(p.gated);
  for (const u of p.relayed[0]) Y.applyUpdate(p.plain, u);
  p.relayed[0].length = p.relayed[1].length = 0;
}

type Outcome = { kind: 'refused'; reason: string } | { kind: 'applied'; fast: boolean };

/** Feeds `update` as the board does (gate, then applyChecked or Y.applyUpdate) and, if let in, to `plain` by Y.applyUpdate. */
function deliver(p: Pair, update: Uint8Array): Outcome {
  const verdict = checkUpdate(p.gated, update, GATE);
  if (!verdict.ok) return { kind: 'refused', reason: verdict.reason };
  let fast = false;
  let gatedError: unknown = null;
  let plainError: unknown = null;
  try {
    fast = applyChecked(p.gated, verdict.checked, 'client');
    if (!fast) Y.applyUpdate(p.gated, update, 'client');
  } catch (error) {
    gatedError = error;
  }
  try {
    Y.applyUpdate(p.plain, update, 'client');
  } catch (error) {
    plainError = error;
  }
  expect({ fast, gatedError: String(gatedError) }).toEqual({ fast, gatedError: String(plainError) });
  expect(p.relayed[0]).toEqual(p.relayed[1]);
  p.relayed[0].length = p.relayed[1].length = 0;
  // Nothing may wait in either document (the board drops pending changes).
  p.gated.store.pendingStructs = p.gated.store.pendingDs = null;
  p.plain.store.pendingStructs = p.plain.store.pendingDs = null;
  return { kind: 'applied', fast };
}

/** Every id the document holds (some inside multi-character items), plus a few it does not. */
function someId(doc: Y.Doc, r: ReturnType<typeof rngOf>): Y.ID {
  if (r.random() < 0.6) {
    // Inside a text (most often): any of its items, deleted or not, at any offset.
    const items: Y.Item[] = [];
    doc.getMap(YJS_TEXTS).forEach((t) => {
      if (t instanceof Y.Text) for (let item = t._start; item !== null; item = item.right) items.push(item);
    });
    if (items.length > 0) {
      const item = r.pick(items);
      return Y.createID(item.id.client, item.id.clock + r.int(item.length));
    }
  }
  const clients = [...doc.store.clients.keys()];
  if (clients.length === 0 || r.random() < 0.05) return Y.createID(r.int(5), r.int(20));
  const client = r.pick(clients);
  const state = Y.getState(doc.store, client);
  return Y.createID(client, r.random() < 0.05 ? state + r.int(3) : r.int(state));
}

/** A hand-made v1 update of one client: `count` structs from `clock`, then a delete set. */
function crafted(doc: Y.Doc, r: ReturnType<typeof rngOf>, client: number): Uint8Array {
  const known = Y.getState(doc.store, client);
  const start = r.random() < 0.85 ? known : Math.max(0, known + r.int(5) - 3);
  const count = r.int(5);
  const e = encoding.createEncoder();
  const withClient = count > 0 || r.random() < 0.5;
  encoding.writeVarUint(e, withClient ? 1 : 0);
  const ids: Y.ID[] = [];
  let clock = start;
  if (withClient) {
    encoding.writeVarUint(e, count);
    encoding.writeVarUint(e, client);
    encoding.writeVarUint(e, start);
  }
  const texts = doc.getMap(YJS_TEXTS);
  for (let i = 0; i < count; i++) {
    const deleted = r.random() < 0.15;
    const side = (): Y.ID | null => {
      const x = r.random();
      if (x < 0.25) return null;
      if (x < 0.5 && ids.length > 0) {
        const id = r.pick(ids);
        return Y.createID(id.client, id.clock + r.int(3));
      }
      return someId(doc, r);
    };
    const origin = side();
    const rightOrigin = side();
    const str = r.pick(['a', 'bc', 'xyz', '👍', 'é', 'hello world']);
    const len = deleted ? 1 + r.int(4) : str.length;
    encoding.writeUint8(e, (deleted ? 1 : 4) | (origin ? 0x80 : 0) | (rightOrigin ? 0x40 : 0));
    if (origin) {
      encoding.writeVarUint(e, origin.client);
      encoding.writeVarUint(e, origin.clock);
    }
    if (rightOrigin) {
      encoding.writeVarUint(e, rightOrigin.client);
      encoding.writeVarUint(e, rightOrigin.clock);
    }
    if (!origin && !rightOrigin) {
      encoding.writeVarUint(e, 0);
      const t = [...texts.values()].filter((v) => v instanceof Y.Text) as Y.Text[];
      const parent = t.length > 0 && r.random() < 0.9 ? r.pick(t)._item!.id : someId(doc, r);
      encoding.writeVarUint(e, parent.client);
      encoding.writeVarUint(e, parent.clock);
    }
    if (deleted) encoding.writeVarUint(e, len);
    else encoding.writeVarString(e, str);
    for (let k = 0; k < len; k++) ids.push(Y.createID(client, clock + k));
    clock += len;
  }
  // Delete set: ranges over what the document holds, this update's structs, or beyond.
  const ranges = r.int(4);
  const byClient = new Map<number, [number, number][]>();
  for (let k = 0; k < ranges; k++) {
    const base = r.random() < 0.4 && ids.length > 0 ? r.pick(ids) : someId(doc, r);
    const list = byClient.get(base.client) ?? byClient.set(base.client, []).get(base.client)!;
    list.push([base.clock, 1 + r.int(r.random() < 0.1 ? 40 : 4)]);
  }
  encoding.writeVarUint(e, byClient.size);
  for (const [c, list] of byClient) {
    encoding.writeVarUint(e, c);
    encoding.writeVarUint(e, list.length);
    for (const [clk, len] of list) {
      encoding.writeVarUint(e, clk);
      encoding.writeVarUint(e, len);
    }
  }
  return encoding.toUint8Array(e);
}

describe('applyChecked against Y.applyUpdate', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(
      `changes the document as Y.applyUpdate does for every update the gate allows (seed ${seed})`,
      () => {
        const r = rngOf(seed);
        const p = pair();
        const ids = ['p1', 'p2', 'p3', 'p4'];
        serverChange(p, (d) => d.transact(() => ids.slice(0, 3).forEach((id) => d.getMap(YJS_TEXTS).set(id, new Y.Text())), 'server'));
        const people = Array.from({ length: 3 }, () => {
          const doc = new Y.Doc();
          Y.applyUpdate(doc, Y.encodeStateAsUpdate(p.gated));
          return doc;
        });
        let fast = 0;
        let crafts = 0;
        const reasons: Record<string, number> = {};
        for (let step = 0; step < 2500; step++) {
          const x = r.random();
          if (x < 0.5) {
            const person = r.pick(people);
            Y.applyUpdate(person, Y.encodeStateAsUpdate(p.gated, Y.encodeStateVector(person)));
            const live = ids.filter((id) => person.getMap(YJS_TEXTS).get(id) instanceof Y.Text);
            if (live.length === 0) continue;
            const t = person.getMap(YJS_TEXTS).get(r.pick(live)) as Y.Text;
            const updates: Uint8Array[] = [];
            const on = (u: Uint8Array) => updates.push(u);
            person.on('update', on);
            person.transact(() => {
              for (let ops = 1 + r.int(3); ops > 0; ops--) {
                const at = r.int(t.length + 1);
                if (t.length > 0 && r.random() < 0.4) t.delete(Math.min(at, t.length - 1), 1 + r.int(Math.min(6, t.length - Math.min(at, t.length - 1))));
                else if (t.length < 300) t.insert(at, r.pick(['a', 'b', '👍', 'word ', 'é']));
              }
            });
            person.off('update', on);
            if (updates.length === 0) continue;
            const o = deliver(p, updates[0]);
            if (o.kind === 'applied' && o.fast) fast++;
          } else if (x < 0.97) {
            const clients = [...p.gated.store.clients.keys()];
            const client = r.random() < 0.8 && clients.length > 0 ? r.pick(clients) : 1000 + r.int(50);
            const update = crafted(p.gated, r, client);
            const o = deliver(p, update);
            const key = o.kind === 'refused' ? o.reason : o.fast ? 'fast' : 'slow';
            reasons[key] = (reasons[key] ?? 0) + 1;
            if (o.kind === 'applied') {
              crafts++;
              if (o.fast) fast++;
            }
          } else if (x < 0.985) {
            // The server removes an action (its text's items are garbage collected) or adds one.
            const id = r.pick(ids);
            serverChange(p, (d) =>
              d.transact(() => {
                const m = d.getMap(YJS_TEXTS);
                if (m.has(id)) m.delete(id);
                else m.set(id, new Y.Text());
              }, 'server')
            );
          } else {
            expect(Y.encodeStateAsUpdate(p.gated)).toEqual(Y.encodeStateAsUpdate(p.plain));
          }
        }
        expect(Y.encodeStateAsUpdate(p.gated)).toEqual(Y.encodeStateAsUpdate(p.plain));
        expect(p.gated.getMap(YJS_TEXTS).toJSON()).toEqual(p.plain.getMap(YJS_TEXTS).toJSON());
        expect(fast).toBeGreaterThan(100);
        expect(crafts).toBeGreaterThan(10);
      },
      scaled(20_000)
    );
  }
});
