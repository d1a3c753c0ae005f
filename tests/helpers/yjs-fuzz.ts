/**
 * Hostile messages for the Yjs endpoint: random bytes, truncated and
 * bit-flipped sync messages, hand-encoded updates whose few bytes claim huge
 * structures (counts, lengths, client ids, clocks), junk awareness, and
 * well-formed updates that put junk into the shared board.
 */
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { YJS_TEXTS } from '../../src/lib/protocol';

/** The old board's root array: hostile clients may still try it. */
const YJS_ACTIONS = 'actions';
import { YJS_MESSAGE } from './clients';
import type { Rng } from './fuzz';

const HUGE = [2 ** 31, 2 ** 32 - 1, 2 ** 40, 2 ** 50, Number.MAX_SAFE_INTEGER];

function message(type: number, write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, type);
  write(encoder);
  return encoding.toUint8Array(encoder);
}

/** A sync "update" message around `update`. */
export function syncUpdate(update: Uint8Array): Uint8Array {
  return message(YJS_MESSAGE.sync, (e) => {
    encoding.writeVarUint(e, 2);
    encoding.writeVarUint8Array(e, update);
  });
}

/** A well-formed update from a fresh client: a text of its own under the texts map (only the server may create one). */
export function realUpdate(rng: Rng): Uint8Array {
  const doc = new Y.Doc();
  doc.getMap(YJS_TEXTS).set(`fuzz${rng.int(1000)}`, new Y.Text(rng.string(60)));
  return Y.encodeStateAsUpdate(doc);
}

/** A well-formed update that puts values other than texts into the board's texts map, or nested maps. */
export function junkBoardUpdate(rng: Rng): Uint8Array {
  const doc = new Y.Doc();
  const array = rng.chance(0.5) ? doc.getArray<unknown>(YJS_ACTIONS) : null;
  if (!array) {
    doc.getMap<unknown>(YJS_TEXTS).set(rng.pick(['x', 'junk']), rng.pick([() => 'text', () => 42, () => new Y.Map(), () => new Uint8Array([1])])());
    return Y.encodeStateAsUpdate(doc);
  }
  const junk = [() => 'text', () => 42, () => null, () => new Y.Text('t'), () => new Y.Array(), () => ({ id: 'plain-object' }), () => new Uint8Array([1, 2])];
  if (rng.chance(0.5)) array.push([rng.pick(junk)()]);
  else {
    const map = new Y.Map<unknown>();
    map.set('text', rng.pick(junk)());
    map.set('factor', rng.pick([-1, 1e9, 'x', 1.5]));
    array.push([map]);
  }
  return Y.encodeStateAsUpdate(doc);
}

/** An update of a few bytes that claims huge structures. */
function claimsHuge(rng: Rng): Uint8Array {
  const e = encoding.createEncoder();
  const big = () => rng.pick(HUGE);
  const client = () => rng.pick([rng.int(2 ** 32), ...HUGE]);
  switch (rng.int(9)) {
    case 0: // a huge number of clients, then nothing
      encoding.writeVarUint(e, big());
      break;
    case 1: // one client with a huge number of structs
      encoding.writeVarUint(e, 1);
      encoding.writeVarUint(e, big());
      encoding.writeVarUint(e, client());
      encoding.writeVarUint(e, 0);
      break;
    case 2: // a GC or Skip struct that spans a huge clock range
      encoding.writeVarUint(e, 1);
      encoding.writeVarUint(e, 1);
      encoding.writeVarUint(e, client());
      encoding.writeVarUint(e, rng.pick([0, 0, big()]));
      encoding.writeUint8(e, rng.pick([0, 10]));
      encoding.writeVarUint(e, big());
      encoding.writeVarUint(e, 0); // empty delete set
      break;
    case 3: {
      // an item at the board root whose content claims a huge length: 1 string, 2 any, 3 binary, 1 deleted...
      encoding.writeVarUint(e, 1);
      encoding.writeVarUint(e, 1);
      encoding.writeVarUint(e, client());
      encoding.writeVarUint(e, 0);
      const contentRef = rng.pick([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      encoding.writeUint8(e, contentRef); // no origins, no parentSub: parent info follows
      encoding.writeVarUint(e, 1); // parent is a root type by name
      encoding.writeVarString(e, rng.chance(0.8) ? YJS_TEXTS : 'x'.repeat(rng.int(100)));
      encoding.writeVarUint(e, big());
      if (rng.chance(0.5)) encoding.writeUint8Array(e, rng.bytes(rng.int(16)));
      break;
    }
    case 4: // a delete set with huge ranges
      encoding.writeVarUint(e, 0);
      encoding.writeVarUint(e, rng.pick([1, big()]));
      encoding.writeVarUint(e, client());
      encoding.writeVarUint(e, rng.pick([1, big()]));
      encoding.writeVarUint(e, rng.pick([0, big()]));
      encoding.writeVarUint(e, big());
      break;
    case 5: // an item whose origin is a struct nobody has (it can never be integrated)
      encoding.writeVarUint(e, 1);
      encoding.writeVarUint(e, 1);
      encoding.writeVarUint(e, client());
      encoding.writeVarUint(e, 0);
      encoding.writeUint8(e, 4 | 0x80); // string content with a left origin
      encoding.writeVarUint(e, client());
      encoding.writeVarUint(e, big());
      encoding.writeVarString(e, 'orphan');
      encoding.writeVarUint(e, 0);
      break;
    case 6: // an unknown content type
      encoding.writeVarUint(e, 1);
      encoding.writeVarUint(e, 1);
      encoding.writeVarUint(e, client());
      encoding.writeVarUint(e, 0);
      encoding.writeUint8(e, rng.range(11, 31));
      encoding.writeUint8Array(e, rng.bytes(rng.int(32)));
      break;
    case 7: // a later chunk of a real update: clocks that start above what the server has
      return realUpdate(rng).slice(rng.int(8));
    default: // a varint longer than 53 bits
      encoding.writeUint8Array(e, new Uint8Array([1, 1, ...Array.from({ length: rng.range(8, 12) }, () => 0xff), 0x01]));
  }
  return encoding.toUint8Array(e);
}

function awareness(rng: Rng): Uint8Array {
  const update = encoding.createEncoder();
  const count = rng.pick([0, 1, 3, 200, 2 ** 31]);
  encoding.writeVarUint(update, count);
  for (let i = 0; i < Math.min(count, 200); i++) {
    encoding.writeVarUint(update, rng.pick([rng.int(2 ** 32), ...HUGE]));
    encoding.writeVarUint(update, rng.pick([0, 1, rng.int(1000), ...HUGE]));
    encoding.writeVarString(
      update,
      rng.pick(['null', '{}', '{"user":{"name":"x"}}', '{', 'undefined', '"str"', '[1,2', JSON.stringify({ big: 'x'.repeat(rng.int(5000)) }), rng.string(30)])
    );
  }
  return message(YJS_MESSAGE.awareness, (e) => encoding.writeVarUint8Array(e, encoding.toUint8Array(update)));
}

/** One hostile message (binary unless it is a text frame). */
export function hostileYjsMessage(rng: Rng): Uint8Array | string {
  switch (rng.int(12)) {
    case 0:
      return rng.bytes(rng.int(2000));
    case 1:
      return new Uint8Array([rng.int(6), ...rng.bytes(rng.int(64))]);
    case 2: {
      const full = syncUpdate(realUpdate(rng));
      return full.slice(0, rng.int(full.length));
    }
    case 3: {
      const flipped = syncUpdate(realUpdate(rng));
      for (let i = rng.range(1, 4); i > 0; i--) flipped[rng.int(flipped.length)] ^= 1 << rng.int(8);
      return flipped;
    }
    case 4:
    case 5:
      return syncUpdate(claimsHuge(rng));
    case 6:
      return awareness(rng);
    case 7: // sync step 1 with a junk state vector
      return message(YJS_MESSAGE.sync, (e) => {
        encoding.writeVarUint(e, 0);
        encoding.writeVarUint8Array(e, rng.chance(0.5) ? rng.bytes(rng.int(40)) : new Uint8Array([0x8f, 0xff, 0xff, 0xff, 0x0f]));
      });
    case 8:
      return syncUpdate(junkBoardUpdate(rng));
    case 9:
      return message(rng.pick([YJS_MESSAGE.auth, YJS_MESSAGE.queryAwareness, 99, 2 ** 31]), (e) => encoding.writeUint8Array(e, rng.bytes(rng.int(16))));
    case 10:
      return rng.string(100);
    default:
      return syncUpdate(realUpdate(rng));
  }
}
