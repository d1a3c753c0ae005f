/**
 * `npx tsx bench/gate.ts`: what the Yjs update gate costs per message, for
 * honest and hostile updates, next to what applying the same update to a
 * scratch document costs (the work the gate saves or adds). Numbers only.
 */
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { BOARD_GATE_LIMITS, checkUpdate } from '../server/yjs/update-gate';
import { YJS_TEXTS } from '../src/lib/protocol';

const GATE = BOARD_GATE_LIMITS;

/** A board with 300 texts, 1,500 characters each, typed by 50 people. */
function board(): Y.Doc {
  const doc = new Y.Doc();
  const ids = Array.from({ length: 300 }, (_, i) => `point${i}`);
  doc.transact(() => ids.forEach((id) => doc.getMap(YJS_TEXTS).set(id, new Y.Text())));
  for (let p = 0; p < 50; p++) {
    const person = new Y.Doc();
    Y.applyUpdate(person, Y.encodeStateAsUpdate(doc));
    const sv = Y.encodeStateVector(person);
    for (let i = p; i < 300; i += 50) (person.getMap(YJS_TEXTS).get(ids[i]) as Y.Text).insert(0, 'x'.repeat(1500));
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(person, sv));
  }
  return doc;
}

function updateOn(server: Y.Doc, change: (doc: Y.Doc) => void): Uint8Array {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(server));
  const sv = Y.encodeStateVector(doc);
  doc.transact(() => change(doc));
  return Y.encodeStateAsUpdate(doc, sv);
}

/** `count` made-up client ids, a one-clock removed range each. */
function flood(count: number): Uint8Array {
  const out = encoding.createEncoder();
  encoding.writeVarUint(out, count);
  for (let i = 0; i < count; i++) {
    encoding.writeVarUint(out, 1);
    encoding.writeVarUint(out, 1_000_000 + i);
    encoding.writeVarUint(out, 0);
    encoding.writeUint8(out, 0);
    encoding.writeVarUint(out, 1);
  }
  encoding.writeVarUint(out, 0);
  return encoding.toUint8Array(out);
}

/** CPU µs per call (process CPU time, so other processes on a busy machine do not count). */
function time(fn: () => void, minMs = 300): number {
  fn();
  let n = 0;
  const start = process.cpuUsage();
  const cpuMs = () => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  };
  while (cpuMs() < minMs) {
    fn();
    n++;
  }
  return (cpuMs() / n) * 1000;
}

const server = board();
const text0 = (doc: Y.Doc) => doc.getMap(YJS_TEXTS).get('point0') as Y.Text;
const cases: [string, Uint8Array][] = [
  ['keystroke', updateOn(server, (d) => text0(d).insert(700, 'a'))],
  ['paste 400 chars near the limit', updateOn(server, (d) => text0(d).insert(700, 'b'.repeat(400)))],
  ['delete 1,000 chars', updateOn(server, (d) => text0(d).delete(100, 1000))],
  [
    '3,000 nested maps (36 KB)',
    updateOn(server, (d) => {
      let inner = new Y.Map<unknown>();
      d.getMap(YJS_TEXTS).set('deep', inner);
      for (let i = 0; i < 3000; i++) {
        const next = new Y.Map<unknown>();
        inner.set('x', next);
        inner = next;
      }
    })
  ],
  ['25,000 client ids (~175 KB)', flood(25_000)],
  [
    '5,000 one-char structs',
    updateOn(server, (d) => {
      for (let i = 0; i < 2500; i++) {
        text0(d).insert(0, 'y');
        text0(d).insert(text0(d).length, 'z');
      }
    })
  ]
];
console.log('"apply" = applying the update to a copy of the board (copy cost subtracted): what it would cost without the gate.');
console.log(`gate cost per message on a board of 300 texts × 1,500 chars by 50 people (${Y.encodeStateAsUpdate(server).length} bytes)\n`);
console.log('update                              bytes   verdict                    gate CPU µs   apply CPU µs');
for (const [label, update] of cases) {
  const verdict = checkUpdate(server, update, GATE);
  const gate = time(() => checkUpdate(server, update, GATE));
  const state = Y.encodeStateAsUpdate(server);
  let apply = NaN;
  if (update.length < 100_000 || verdict.ok) {
    // Applying to a fresh copy each time (the copy's own cost subtracted).
    const copyOnly = time(() => Y.applyUpdate(new Y.Doc(), state), 200);
    apply =
      time(() => {
        try {
          Y.applyUpdate(new Y.Doc(), state);
          const doc = new Y.Doc();
          Y.applyUpdate(doc, state);
          Y.applyUpdate(doc, update);
        } catch {
          // a stack overflow is a result too
        }
      }, 200) -
      2 * copyOnly;
  }
  const outcome = verdict.ok ? 'allowed' : `refused ${verdict.reason}`;
  console.log(
    `${label.padEnd(36)}${String(update.length).padStart(7)}   ${outcome.padEnd(27)}${gate.toFixed(1).padStart(11)}   ${Number.isNaN(apply) ? '—' : Math.max(0, apply).toFixed(0).padStart(12)}`
  );
}
