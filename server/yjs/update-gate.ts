/**
 * The gate in front of the board document: decides, before anything is
 * applied, whether a client's Yjs update (v1 encoding) only does what the
 * board allows — insert and delete characters inside the texts the server
 * created under `texts` (see YJS_TEXTS).
 *
 * It reads the update with its own small decoder rather than Y.decodeUpdate,
 * so it stops at the first struct it does not allow (a map entry, a nested
 * type, JSON, binary, a subdocument) without building or parsing it, and every
 * count is checked before the work it bounds. Work is linear in the update's
 * bytes plus, for deletions and near the length limit, the items they touch.
 */
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import { graphemeLength } from '../../src/lib/domain/text';
import { LIMITS, YJS_TEXTS, type YjsRefusal } from '../../src/lib/protocol';

export interface GateLimits {
  clientsPerUpdate: number;
  structsPerUpdate: number;
  deleteRangesPerUpdate: number;
  deletedItemsPerUpdate: number;
  /** Graphemes in one action text. */
  textMax: number;
  /** UTF-16 code units in one action text (what the text costs; checked before graphemes are counted). */
  textUnits: number;
}

/** The board's limits, as the product runs them (src/lib/protocol LIMITS): one object for the board, its tests and benchmarks. */
export const BOARD_GATE_LIMITS: GateLimits = {
  clientsPerUpdate: LIMITS.yjsClientsPerUpdate,
  structsPerUpdate: LIMITS.yjsStructsPerUpdate,
  deleteRangesPerUpdate: LIMITS.yjsDeleteRangesPerUpdate,
  deletedItemsPerUpdate: LIMITS.yjsDeletedItemsPerUpdate,
  textMax: LIMITS.actionTextMax,
  textUnits: LIMITS.actionTextUnits
};

/** No one types 2^40 characters into one board: a larger clock is hostile (and past 2^53 clocks lose precision). */
const MAX_CLOCK = 2 ** 40;

export type GateResult =
  | {
      ok: true;
      /** Client ids the update names that the document does not hold yet. */
      newClients: number[];
    }
  | { ok: false; reason: YjsRefusal | 'malformed' | 'missing_dependency'; detail: string };

/** Content refs of the v1 encoding (yjs `contentRefs`); only these two can be text. */
const CONTENT_DELETED = 1;
const CONTENT_STRING = 4;
const STRUCT_GC = 0;
const STRUCT_SKIP = 10;

/** Yjs's own ID class (not a look-alike): Item.getMissing tells an unresolved parent by its constructor. */
type ID = Y.ID;

interface Rec {
  kind: 'item' | 'gc' | 'skip';
  client: number;
  clock: number;
  length: number;
  origin: ID | null;
  rightOrigin: ID | null;
  parent: ID | null;
  /** The inserted text (null for deleted content). */
  str: string | null;
  /** Resolved parent text, once known. */
  text?: Y.Text;
  visiting?: boolean;
  /** The stored neighbours this item ends up between, through new neighbours of the same update (null: the text's ends). */
  leftAnchor?: ID | null;
  rightAnchor?: ID | null;
}

class Refused extends Error {
  constructor(
    readonly reason: YjsRefusal | 'malformed' | 'missing_dependency',
    readonly detail: string
  ) {
    super(detail);
  }
}

const refuse = (reason: Refused['reason'], detail: string): never => {
  throw new Refused(reason, detail);
};

/** Checks `update` against `doc` (the server's document) without changing either. */
export function checkUpdate(doc: Y.Doc, update: Uint8Array, limits: GateLimits): GateResult {
  try {
    return { ok: true, ...check(doc, update, limits) };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, reason: error.reason, detail: error.detail };
    // lib0 throws on truncated input or varints past 53 bits.
    return { ok: false, reason: 'malformed', detail: error instanceof Error ? error.message : 'unreadable update' };
  }
}

function check(doc: Y.Doc, update: Uint8Array, limits: GateLimits): { newClients: number[] } {
  const store = doc.store;
  const texts = doc.getMap(YJS_TEXTS);
  const decoder = decoding.createDecoder(update);
  const byClient = new Map<number, Rec[]>();
  let structs = 0;

  const clients = decoding.readVarUint(decoder);
  if (clients > limits.clientsPerUpdate) refuse('too_many_clients', `${clients} client ids in one update`);
  for (let c = 0; c < clients; c++) {
    const count = decoding.readVarUint(decoder);
    structs += count;
    if (structs > limits.structsPerUpdate) refuse('too_many_structs', `more than ${limits.structsPerUpdate} structs in one update`);
    const client = readClient(decoder);
    if (byClient.has(client)) refuse('malformed', 'a client id twice in one update');
    let clock = readClock(decoder);
    const recs: Rec[] = [];
    byClient.set(client, recs);
    for (let i = 0; i < count; i++) {
      const info = decoding.readUint8(decoder);
      const ref = info & 0b11111;
      let rec: Rec;
      if (ref === STRUCT_GC || ref === STRUCT_SKIP) {
        rec = {
          kind: ref === STRUCT_GC ? 'gc' : 'skip',
          client,
          clock,
          length: decoding.readVarUint(decoder),
          origin: null,
          rightOrigin: null,
          parent: null,
          str: null
        };
      } else if (ref === CONTENT_STRING || ref === CONTENT_DELETED) {
        const origin = info & 0x80 ? readId(decoder) : null;
        const rightOrigin = info & 0x40 ? readId(decoder) : null;
        // A neighbour existed before the item placed next to it: one of its own client's at a later clock is made up (Yjs would
        // look for it in the document and throw halfway through applying the update, after applying what came before).
        if ((origin?.client === client && origin.clock >= clock) || (rightOrigin?.client === client && rightOrigin.clock >= clock))
          refuse('malformed', 'an item placed next to a later change of its own client');
        let parent: ID | null = null;
        if (origin === null && rightOrigin === null) {
          // Only items at the very start and end of a type name their parent: a root (by name) is never text of an action.
          if (decoding.readVarUint(decoder) === 1) refuse('outside_texts', `text at the document root "${decoding.readVarString(decoder).slice(0, 40)}"`);
          parent = readId(decoder);
          // A key means a map entry: only the server sets those.
          if (info & 0x20) refuse('outside_texts', 'a map entry');
        }
        let length: number;
        let str: string | null = null;
        if (ref === CONTENT_STRING) {
          str = decoding.readVarString(decoder);
          length = str.length;
        } else length = decoding.readVarUint(decoder);
        rec = { kind: 'item', client, clock, length, origin, rightOrigin, parent, str };
      } else {
        // JSON, binary, embed, format, type, any, doc — or an unknown ref. Not read any further.
        refuse('not_text', `content type ${ref}`);
      }
      if (!(rec!.length > 0) || clock + rec!.length > MAX_CLOCK) refuse('malformed', 'a struct of implausible length');
      recs.push(rec!);
      clock += rec!.length;
    }
  }

  // The delete set: client → ranges.
  const deletes: { client: number; clock: number; len: number }[] = [];
  const dsClients = decoding.readVarUint(decoder);
  if (dsClients > limits.clientsPerUpdate) refuse('too_many_clients', `${dsClients} client ids in one delete set`);
  for (let c = 0; c < dsClients; c++) {
    const client = readClient(decoder);
    const ranges = decoding.readVarUint(decoder);
    if (deletes.length + ranges > limits.deleteRangesPerUpdate) refuse('too_many_structs', `more than ${limits.deleteRangesPerUpdate} deleted ranges`);
    for (let r = 0; r < ranges; r++) {
      const clock = readClock(decoder);
      const len = decoding.readVarUint(decoder);
      if (!(len > 0) || clock + len > MAX_CLOCK) refuse('malformed', 'a deleted range of implausible length');
      deletes.push({ client, clock, len });
    }
  }
  if (deletes.length > 0) {
    const named = new Set(byClient.keys());
    for (const d of deletes) named.add(d.client);
    if (named.size > limits.clientsPerUpdate) refuse('too_many_clients', `${named.size} client ids in one update`);
  }

  // Structs must continue what the server has: a gap means changes it never got (Yjs would keep them pending).
  for (const [client, recs] of byClient) {
    if (recs.length === 0) continue;
    const known = Y.getState(store, client);
    if (recs[0].clock > known) refuse('missing_dependency', `client ${client} starts at clock ${recs[0].clock}, the server has ${known}`);
    for (let i = 0; i < recs.length; i++) {
      const rec = recs[i];
      if (rec.clock + rec.length <= known) continue; // already applied: Yjs skips it
      if (rec.kind === 'skip') {
        if (i < recs.length - 1) refuse('missing_dependency', 'structs after a gap');
      } else if (rec.kind === 'gc') refuse('not_text', 'a garbage-collected range the server never had');
    }
  }

  // Every new item's parent must be a server-created text, named directly or through its neighbours.
  const newRecs: Rec[] = [];
  for (const recs of byClient.values())
    for (const rec of recs) if (rec.kind === 'item' && rec.clock + rec.length > Y.getState(store, rec.client)) newRecs.push(rec);
  for (const start of newRecs) {
    if (start.text) continue;
    // Depth-first over neighbours that are themselves new in this update, with an explicit stack (chains can be long).
    const stack: Rec[] = [start];
    while (stack.length > 0) {
      const rec = stack[stack.length - 1];
      if (rec.text) {
        stack.pop();
        continue;
      }
      rec.visiting = true;
      if (rec.parent) {
        const struct = rec.parent.clock < Y.getState(store, rec.parent.client) ? storedStruct(store, rec.parent) : null;
        if (struct === null) refuse(findRec(byClient, rec.parent) ? 'outside_texts' : 'missing_dependency', 'inside a type the server does not have');
        if (!(struct instanceof Y.Item) || struct.id.clock !== rec.parent.clock || !(struct.content instanceof Y.ContentType))
          refuse('outside_texts', 'inside something that is not a type');
        const type = ((struct as Y.Item).content as Y.ContentType).type;
        if (!(type instanceof Y.Text) || !isServerText(type, texts)) refuse('outside_texts', 'inside a type that is not an action text');
        rec.text = type as Y.Text;
        stack.pop();
        continue;
      }
      let pending: Rec | null = null;
      let found: Y.Text | null = null;
      for (let side = 0; side < 2; side++) {
        const id = side === 0 ? rec.origin : rec.rightOrigin;
        if (!id) continue;
        let text = storedParent(store, texts, id);
        if (!text) {
          const other = findRec(byClient, id);
          if (!other) refuse('missing_dependency', 'next to something the server does not have');
          if (other!.kind !== 'item') refuse('outside_texts', 'next to a removed range');
          if (!other!.text) {
            if (other!.visiting) refuse('missing_dependency', 'items that wait for each other');
            pending = other!;
            break;
          }
          text = other!.text!;
        }
        // Both neighbours must be in the same text.
        if (found && found !== text) refuse('outside_texts', 'between two different texts');
        found = text;
      }
      if (pending) {
        stack.push(pending);
        continue;
      }
      rec.text = found!;
      stack.pop();
    }
  }

  // Placing an item whose neighbours are no longer next to each other, Yjs walks the items between them
  // (Item.integrate's conflict scan), deleted ones too, and a text keeps every deleted character as an item:
  // one letter named by its parent alone walks the whole text. An update may make the server walk at most
  // as many stored items as a deletion may touch. Each new item lands between its stored anchors (its
  // neighbours', through new neighbours), so the stored items between those bound its walk.
  let walked = 0;
  for (const rec of newRecs) {
    const left = anchor(store, byClient, rec, true);
    const right = anchor(store, byClient, rec, false);
    const leftItem = left === null ? null : (storedStruct(store, left) as Y.Item);
    const rightItem = right === null ? null : (storedStruct(store, right) as Y.Item);
    // Both in one stored item: next to each other when the left one comes first, else the walk goes on to the end.
    const end = leftItem !== null && leftItem === rightItem && left!.clock >= right!.clock ? null : rightItem;
    for (let item = leftItem ?? rec.text!._start; item !== null && item !== end; item = item.right) {
      if (++walked > limits.deletedItemsPerUpdate) refuse('too_many_structs', 'placing the items would walk too many items');
    }
  }

  // Deletions: only characters, never the server's texts or map entries.
  const deletedIn = new Map<number, { clock: number; len: number }[]>();
  let scanned = 0;
  for (const { client, clock, len } of deletes) {
    (deletedIn.get(client) ?? deletedIn.set(client, []).get(client)!).push({ clock, len });
    const known = Y.getState(store, client);
    const end = clock + len;
    if (clock < known) {
      const structs = store.clients.get(client)!;
      for (let i = Y.findIndexSS(structs, clock); i < structs.length && structs[i].id.clock < end; i++) {
        if (++scanned > limits.deletedItemsPerUpdate) refuse('too_many_structs', 'deletions touch too many items');
        const struct = structs[i];
        if (!(struct instanceof Y.Item) || struct.deleted) continue;
        if (!(struct.parent instanceof Y.Text) || !isServerText(struct.parent, texts) || !(struct.content instanceof Y.ContentString))
          refuse('server_item', 'deletes something only the server may remove');
      }
    }
    if (end > known) {
      // The rest must be new in this very update (and so already checked as text).
      const recs = byClient.get(client);
      const last = recs?.[recs.length - 1];
      if (!recs || recs.length === 0 || recs[0].clock > Math.max(clock, known) || last!.clock + last!.length < end)
        refuse('missing_dependency', 'deletes something the server does not have');
      for (const rec of recs!) if (rec.clock < end && rec.clock + rec.length > clock && rec.kind === 'skip') refuse('missing_dependency', 'deletes a gap');
    }
  }

  // Length, in two bounds: UTF-16 code units (what a text costs to store, send, export and segment) and
  // graphemes (what people count). Units first: a cheap upper bound from the text's length, the exact
  // count after this update's deletions only when that bound is passed, and graphemes are only ever
  // counted on a text already within the unit bound (a grapheme is at least one unit).
  const deletedUnits = deletes.reduce((sum, d) => sum + d.len, 0);
  const inserted = new Map<Y.Text, string[]>();
  for (const rec of newRecs) if (rec.str !== null) (inserted.get(rec.text!) ?? inserted.set(rec.text!, []).get(rec.text!)!).push(rec.str);
  for (const [text, strings] of inserted) {
    const added = strings.reduce((sum, s) => sum + s.length, 0);
    if (added > limits.textUnits) refuse('text_too_long', `an action text would hold more than ${limits.textUnits} code units`);
    if (text.length + added <= limits.textMax) continue;
    // This update deletes at most `deletedUnits` of what the text shows: a text still over the bound without them is refused unread.
    if (text.length - deletedUnits + added > limits.textUnits) refuse('text_too_long', `an action text would hold more than ${limits.textUnits} code units`);
    const kept = text.length + added <= limits.textUnits ? null : keptText(text, deletedIn);
    const units = (kept?.length ?? text.length) + added;
    if (units > limits.textUnits) refuse('text_too_long', `an action text would hold ${units} code units`);
    const total = graphemeLength(kept ?? keptText(text, deletedIn)) + strings.reduce((sum, s) => sum + graphemeLength(s), 0);
    if (total > limits.textMax) refuse('text_too_long', `an action text would hold ${total} characters`);
  }

  const newClients: number[] = [];
  for (const client of byClient.keys()) if (!store.clients.has(client)) newClients.push(client);
  return { newClients };
}

/**
 * The stored neighbour `rec` ends up next to on one side: its own neighbour when stored, else that new item's
 * (an item is placed between its neighbours); null for the text's start or end. Chains of new items are
 * followed once (remembered on each); they have no cycles (the text check above refuses items that wait for each other).
 */
function anchor(store: Y.Doc['store'], byClient: ReadonlyMap<number, readonly Rec[]>, rec: Rec, left: boolean): ID | null {
  const chain: Rec[] = [];
  let at = rec;
  let found: ID | null;
  for (;;) {
    const known = left ? at.leftAnchor : at.rightAnchor;
    if (known !== undefined) {
      found = known;
      break;
    }
    chain.push(at);
    const id = left ? at.origin : at.rightOrigin;
    if (id === null || id.clock < Y.getState(store, id.client)) {
      found = id;
      break;
    }
    const next = findRec(byClient, id);
    if (next === null) refuse('missing_dependency', 'next to something the server does not have');
    at = next!;
  }
  for (const r of chain)
    if (left) r.leftAnchor = found;
    else r.rightAnchor = found;
  return found;
}

function readId(decoder: decoding.Decoder): ID {
  return Y.createID(readClient(decoder), readClock(decoder));
}

/** The struct of this update that holds `id`, if any. */
function findRec(byClient: ReadonlyMap<number, readonly Rec[]>, id: ID): Rec | null {
  const recs = byClient.get(id.client);
  if (!recs) return null;
  let lo = 0;
  let hi = recs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const rec = recs[mid];
    if (id.clock < rec.clock) hi = mid - 1;
    else if (id.clock >= rec.clock + rec.length) lo = mid + 1;
    else return rec;
  }
  return null;
}

/** The text an existing item of the document belongs to; null when the id is not in the document. */
function storedParent(store: Y.Doc['store'], texts: Y.Map<unknown>, id: ID): Y.Text | null {
  if (id.clock >= Y.getState(store, id.client)) return null;
  const struct = storedStruct(store, id);
  if (!(struct instanceof Y.Item)) refuse('outside_texts', 'next to a removed range');
  const parent = (struct as Y.Item).parent;
  if (!(parent instanceof Y.Text) || !isServerText(parent, texts)) refuse('outside_texts', 'next to something that is not an action text');
  return parent as Y.Text;
}

/** Whether `type` is one of the server's action texts: a live entry of the root `texts` map. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Yjs type may be asked about
function isServerText(type: Y.AbstractType<any>, texts: Y.Map<unknown>): boolean {
  const item = type._item;
  return type instanceof Y.Text && item !== null && !item.deleted && item.parent === texts && item.parentSub !== null;
}

function storedStruct(store: Y.Doc['store'], id: ID): Y.Item | Y.GC {
  const structs = store.clients.get(id.client)!;
  return structs[Y.findIndexSS(structs, id.clock)] as Y.Item | Y.GC;
}

/** The text's visible characters minus those `deleted` removes (an upper bound on what is left, for the limit). */
function keptText(text: Y.Text, deleted: Map<number, { clock: number; len: number }[]>): string {
  for (const ranges of deleted.values()) ranges.sort((a, b) => a.clock - b.clock);
  let out = '';
  for (let item = text._start; item !== null; item = item.right) {
    if (item.deleted || !(item.content instanceof Y.ContentString)) continue;
    const str = item.content.str;
    const start = item.id.clock;
    const ranges = deleted.get(item.id.client) ?? [];
    // First range that may overlap this item (ranges sorted by clock; overlapping ones are rare and adjacent).
    let lo = 0;
    let hi = ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ranges[mid].clock + ranges[mid].len <= start) lo = mid + 1;
      else hi = mid;
    }
    let at = 0;
    for (let r = lo; r < ranges.length && ranges[r].clock < start + str.length; r++) {
      const from = Math.max(0, ranges[r].clock - start);
      if (from > at) out += str.slice(at, from);
      at = Math.max(at, Math.min(str.length, ranges[r].clock + ranges[r].len - start));
    }
    out += str.slice(at);
  }
  return out;
}

function readClient(decoder: decoding.Decoder): number {
  const client = decoding.readVarUint(decoder);
  // Yjs client ids are 32-bit; larger ones are hostile and would not round-trip.
  if (client > 0xffffffff) throw new Refused('malformed', 'a client id beyond 32 bits');
  return client;
}

function readClock(decoder: decoding.Decoder): number {
  const clock = decoding.readVarUint(decoder);
  if (clock > MAX_CLOCK) throw new Refused('malformed', 'an implausible clock');
  return clock;
}
