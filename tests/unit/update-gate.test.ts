/**
 * The Yjs update gate against real documents: a server document with its
 * texts, clients synced from it making real edits, and hostile updates made
 * with the real Yjs API (no hand-made mocks of Yjs).
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { BOARD_GATE_LIMITS, checkUpdate } from '../../server/yjs/update-gate';
import { LIMITS, YJS_TEXTS } from '../../src/lib/protocol';
import { scaled } from '../helpers/patience';

const LIMITS_FOR_TEST = BOARD_GATE_LIMITS;

/** The server's document with server-created texts. */
function serverDoc(...ids: string[]): Y.Doc {
  const doc = new Y.Doc();
  for (const id of ids) doc.transact(() => doc.getMap(YJS_TEXTS).set(id, new Y.Text()), 'server');
  return doc;
}

/** A client synced with `server`. */
function clientOf(server: Y.Doc): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(server));
  return doc;
}

/** The update `change` makes on `client` (its transactions merged, as y-websocket sends them after being offline). */
function updateOf(client: Y.Doc, change: (doc: Y.Doc) => void): Uint8Array {
  const updates: Uint8Array[] = [];
  const listener = (update: Uint8Array) => updates.push(update);
  client.on('update', listener);
  change(client);
  client.off('update', listener);
  return updates.length === 1 ? updates[0] : Y.mergeUpdates(updates);
}

const text = (doc: Y.Doc, id: string) => doc.getMap(YJS_TEXTS).get(id) as Y.Text;

function expectAllowed(server: Y.Doc, update: Uint8Array) {
  const result = checkUpdate(server, update, LIMITS_FOR_TEST);
  expect(result).toMatchObject({ ok: true });
  Y.applyUpdate(server, update);
}

function expectRefused(server: Y.Doc, update: Uint8Array, reason: string) {
  const before = Y.encodeStateAsUpdate(server);
  expect(checkUpdate(server, update, LIMITS_FOR_TEST)).toMatchObject({ ok: false, reason });
  expect(Y.encodeStateAsUpdate(server)).toEqual(before);
}

describe('Yjs update gate', () => {
  it('allows typing, deleting and co-editing inside the server texts', () => {
    const server = serverDoc('p1', 'p2');
    const a = clientOf(server);
    const b = clientOf(server);
    const typed = updateOf(a, (d) => text(d, 'p1').insert(0, 'Hello world'));
    expectAllowed(server, typed);
    Y.applyUpdate(b, typed);
    // Insert in the middle (parent found through the neighbours), delete someone else's characters, type emoji.
    expectAllowed(
      server,
      updateOf(b, (d) => {
        text(d, 'p1').insert(5, ', dear');
        text(d, 'p1').delete(0, 1);
        text(d, 'p2').insert(0, '👨‍👩‍👧 é');
      })
    );
    expect(text(server, 'p1').toString()).toBe('ello, dear world');
    expect(text(server, 'p2').toString()).toBe('👨‍👩‍👧 é');
  });

  it('allows a long offline session sent as one update (typed, deleted, retyped)', () => {
    const server = serverDoc('p1');
    const a = clientOf(server);
    const update = updateOf(a, (d) => {
      for (let i = 0; i < 300; i++) text(d, 'p1').insert(Math.floor(i / 2), String.fromCharCode(97 + (i % 26)));
      text(d, 'p1').delete(10, 50);
      text(d, 'p1').insert(3, 'again');
    });
    expectAllowed(server, update);
    expect(text(server, 'p1').toString()).toBe(text(a, 'p1').toString());
  });

  it('refuses map entries: new keys, overwrites and other roots', () => {
    const server = serverDoc('p1');
    const a = clientOf(server);
    // A new text is a nested type: refused before its place is even looked at.
    expectRefused(
      server,
      updateOf(clientOf(server), (d) => d.getMap(YJS_TEXTS).set('mine', new Y.Text('x'))),
      'not_text'
    );
    expectRefused(
      server,
      updateOf(clientOf(server), (d) => d.getMap(YJS_TEXTS).set('p1', new Y.Text('overwritten'))),
      'not_text'
    );
    expectRefused(
      server,
      updateOf(clientOf(server), (d) => d.getMap(YJS_TEXTS).set('p1', 'a string')),
      'not_text'
    );
    expectRefused(
      server,
      updateOf(clientOf(server), (d) => d.getArray('actions').push(['x'])),
      'not_text'
    );
    expectRefused(
      server,
      updateOf(clientOf(server), (d) => d.getText('other').insert(0, 'x')),
      'outside_texts'
    );
    expectRefused(
      server,
      updateOf(a, (d) => text(d, 'p1').insertEmbed(0, { image: 'x' })),
      'not_text'
    );
    const b = clientOf(server);
    Y.applyUpdate(
      server,
      updateOf(b, (d) => text(d, 'p1').insert(0, 'plain'))
    );
    expectRefused(
      server,
      updateOf(b, (d) => text(d, 'p1').format(0, 2, { bold: true })),
      'not_text'
    );
  });

  it('refuses a value hiding 3,000 nested maps, at the first one and without reading the rest', () => {
    const server = serverDoc('p1');
    const update = updateOf(clientOf(server), (d) =>
      d.transact(() => {
        let inner = new Y.Map<unknown>();
        const root = inner;
        d.getMap(YJS_TEXTS).set('deep', root);
        for (let i = 0; i < 3000; i++) {
          const next = new Y.Map<unknown>();
          inner.set('x', next);
          inner = next;
        }
      })
    );
    expect(update.length).toBeGreaterThan(30_000);
    expectRefused(server, update, 'not_text');
  });

  it('refuses deleting or replacing a text the server created', () => {
    const server = serverDoc('p1', 'p2');
    expectRefused(
      server,
      updateOf(clientOf(server), (d) => d.getMap(YJS_TEXTS).delete('p1')),
      'server_item'
    );
    // A 10-byte delete of the entry's item, made by hand from its id.
    const entry = (server.getMap(YJS_TEXTS).get('p2') as Y.Text)._item!.id;
    const e = encoding.createEncoder();
    for (const n of [0, 1, entry.client, 1, entry.clock, 1]) encoding.writeVarUint(e, n);
    expectRefused(server, encoding.toUint8Array(e), 'server_item');
  });

  it('bounds client ids and structs per update', () => {
    const server = serverDoc('p1');
    const updates = Array.from({ length: LIMITS.yjsClientsPerUpdate + 1 }, () => updateOf(clientOf(server), (d) => text(d, 'p1').insert(0, 'x')));
    expectRefused(server, Y.mergeUpdates(updates), 'too_many_clients');
    expectAllowed(server, Y.mergeUpdates(updates.slice(0, LIMITS.yjsClientsPerUpdate)));
    // Many separate runs (each insert at the start makes its own struct).
    const a = clientOf(server);
    const many = updateOf(a, (d) => {
      for (let i = 0; i < 60; i++) text(d, 'p1').insert(i % 2 === 0 ? 0 : text(d, 'p1').length, 'y');
    });
    expect(checkUpdate(server, many, { ...LIMITS_FOR_TEST, structsPerUpdate: 50 })).toMatchObject({ ok: false, reason: 'too_many_structs' });
    expect(checkUpdate(server, many, { ...LIMITS_FOR_TEST, structsPerUpdate: 60 })).toMatchObject({ ok: true });
  });

  it('counts the length limit in graphemes and allows replacing at the limit', () => {
    const server = serverDoc('p1');
    const a = clientOf(server);
    expectAllowed(
      server,
      updateOf(a, (d) => text(d, 'p1').insert(0, 'x'.repeat(1999) + '😀'))
    );
    expectRefused(
      server,
      updateOf(clientOf(server), (d) => text(d, 'p1').insert(0, '😀')),
      'text_too_long'
    );
    expectRefused(
      server,
      updateOf(clientOf(server), (d) => text(d, 'p1').insert(5, 'e\u0301')),
      'text_too_long'
    );
    // Replacing ten characters by ten others at the limit is fine.
    expectAllowed(
      server,
      updateOf(a, (d) => {
        text(d, 'p1').delete(0, 10);
        text(d, 'p1').insert(0, '👍🏽'.repeat(10));
      })
    );
    expect([...new Intl.Segmenter().segment(text(server, 'p1').toString())].length).toBe(2000);
  });

  it('counts the length limit in code units too: one letter under 20,000 combining marks (one grapheme) is refused, at both bounds is allowed', () => {
    const server = serverDoc('p1', 'p2');
    expectRefused(
      server,
      updateOf(clientOf(server), (d) => text(d, 'p1').insert(0, `a${'\u0301'.repeat(20_000)}`)),
      'text_too_long'
    );
    // Exactly 8,000 code units (2,000 flags: 2,000 graphemes) is allowed; one more unit is not.
    const a = clientOf(server);
    expectAllowed(
      server,
      updateOf(a, (d) => text(d, 'p1').insert(0, '🇳🇱'.repeat(LIMITS.actionTextMax)))
    );
    expectRefused(
      server,
      updateOf(clientOf(server), (d) => text(d, 'p1').insert(0, '\u0301')),
      'text_too_long'
    );
    // Typed a piece at a time, marks stop at the unit bound; deleting in the same update makes room.
    const b = clientOf(server);
    expectAllowed(
      server,
      updateOf(b, (d) => text(d, 'p2').insert(0, `a${'\u0301'.repeat(LIMITS.actionTextUnits - 1)}`))
    );
    expectRefused(
      server,
      updateOf(clientOf(server), (d) => text(d, 'p2').insert(1, '\u0301')),
      'text_too_long'
    );
    expectAllowed(
      server,
      updateOf(b, (d) => {
        text(d, 'p2').delete(1, 10);
        text(d, 'p2').insert(1, '\u0301'.repeat(10));
      })
    );
    expect(text(server, 'p2').length).toBe(LIMITS.actionTextUnits);
  });

  it('refuses updates that depend on changes the server does not have, and malformed ones', () => {
    const server = serverDoc('p1');
    const a = clientOf(server);
    updateOf(a, (d) => text(d, 'p1').insert(0, 'first'));
    // Only the second edit: its structs start at a clock the server never got.
    const second = updateOf(a, (d) => text(d, 'p1').insert(5, ' second'));
    expectRefused(server, second, 'missing_dependency');
    const whole = updateOf(clientOf(server), (d) => text(d, 'p1').insert(0, 'abc'));
    expectRefused(server, whole.slice(0, whole.length - 3), 'malformed');
    expectRefused(server, new Uint8Array([1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), 'malformed');
  });

  it('refuses an item placed next to a later change of its own client, which Yjs would apply halfway and then throw', () => {
    const server = serverDoc('p1');
    const a = clientOf(server);
    Y.applyUpdate(
      server,
      updateOf(a, (d) => text(d, 'p1').insert(0, 'hello'))
    );
    const stored = text(server, 'p1')._start!.id;
    // Client 7's three one-letter items: the first and last next to the stored "h", the middle one next to the last (clock 2).
    const out = encoding.createEncoder();
    const uint = (n: number) => encoding.writeVarUint(out, n);
    uint(1);
    uint(3);
    uint(7);
    uint(0);
    for (const [client, clock, letter] of [
      [stored.client, stored.clock, 'x'],
      [7, 2, 'y'],
      [stored.client, stored.clock, 'z']
    ] as const) {
      encoding.writeUint8(out, 0x84); // a string with an origin
      uint(client);
      uint(clock);
      encoding.writeVarString(out, letter);
    }
    uint(0);
    expectRefused(server, encoding.toUint8Array(out), 'malformed');
  });

  it(
    'lets in every honest update: typing, pasting and deleting by four people, some offline for a while, some resent',
    () => {
      // Four people type, paste, select and delete at random places in three texts, some offline for a while (their
      // updates merged), one resending what the server already has: the gate must let every one of them in, and the
      // server's document must end as a plain document fed the same updates.
      let seed = 42;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
      const gated = serverDoc('p1', 'p2', 'p3');
      const plain = clientOf(gated);
      const people = Array.from({ length: 4 }, () => ({ doc: clientOf(gated), offline: [] as Uint8Array[], sent: [] as Uint8Array[] }));
      let delivered = 0;
      const deliver = (update: Uint8Array) => {
        const verdict = checkUpdate(gated, update, LIMITS_FOR_TEST);
        expect(verdict).toMatchObject({ ok: true });
        if (!verdict.ok) return;
        Y.applyUpdate(gated, update, 'client');
        Y.applyUpdate(plain, update, 'client');
        if (++delivered % 25 === 0) expect(Y.encodeStateAsUpdate(gated)).toEqual(Y.encodeStateAsUpdate(plain));
        // The others hear it, some of them only later (concurrent edits).
        for (const other of people) if (random() < 0.7) Y.applyUpdate(other.doc, Y.encodeStateAsUpdate(gated, Y.encodeStateVector(other.doc)));
      };
      for (let step = 0; step < 600; step++) {
        const person = pick(people);
        const t = text(person.doc, pick(['p1', 'p2', 'p3']));
        const update = updateOf(person.doc, (d) =>
          d.transact(() => {
            for (let ops = 1 + Math.floor(random() * 3); ops > 0; ops--) {
              const at = Math.floor(random() * (t.length + 1));
              if (t.length > 0 && random() < 0.35)
                t.delete(Math.min(at, t.length - 1), 1 + Math.floor(random() * Math.min(8, t.length - Math.min(at, t.length - 1))));
              else if (t.length < 1500) t.insert(at, pick(['a', 'b', 'é', '👍', 'word ', 'a pasted sentence. ']));
            }
          })
        );
        if (random() < 0.15) {
          person.offline.push(update);
          continue;
        }
        const batch = person.offline.length > 0 ? Y.mergeUpdates([...person.offline, update]) : update;
        person.offline = [];
        deliver(batch);
        person.sent.push(batch);
        if (random() < 0.03) deliver(pick(person.sent)); // a resend after a reconnect: already held
      }
      for (const person of people) if (person.offline.length > 0) deliver(Y.mergeUpdates(person.offline));
      expect(Y.encodeStateAsUpdate(gated)).toEqual(Y.encodeStateAsUpdate(plain));
      expect(text(gated, 'p1').toString()).toBe(text(plain, 'p1').toString());
      expect(delivered).toBeGreaterThan(400);
      // About a second on an idle machine: the unit project's 5 s bound, grown with the load, only ends a failing run.
    },
    scaled(10_000)
  );
});
