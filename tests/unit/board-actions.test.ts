import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { boardPoints, createText, newActionId, textOf, textsMap } from '../../src/lib/board/actions';
import { LIMITS, YJS_TEXTS, type ActionView } from '../../src/lib/protocol';
import { docOrigin, SERVER_ORIGIN } from '../../src/lib/board/origins';

const view = (id: string, position: number, extra: Partial<ActionView> = {}): ActionView => ({
  id,
  factor: 1,
  position,
  owner: '',
  due: null,
  status: 'open',
  createdAt: position,
  mergedInto: null,
  removed: false,
  origin: null,
  ...extra
});

describe('board document', () => {
  it('holds one Y.Text per point under the texts map', () => {
    const doc = new Y.Doc();
    createText(doc, 'aaaaaa', 'hello');
    expect(doc.getMap(YJS_TEXTS).get('aaaaaa')).toBeInstanceOf(Y.Text);
    expect(textOf(doc, 'aaaaaa')?.toString()).toBe('hello');
    expect(textOf(doc, 'missing')).toBeNull();
  });

  it('createText never replaces an existing text (a resent create keeps what was typed)', () => {
    const doc = new Y.Doc();
    createText(doc, 'aaaaaa', '');
    const text = textOf(doc, 'aaaaaa')!;
    text.insert(0, 'typed');
    createText(doc, 'aaaaaa', 'tip');
    expect(textOf(doc, 'aaaaaa')).toBe(text);
    expect(text.toString()).toBe('typed');
  });

  it('the server transaction is marked as the server’s', () => {
    const doc = new Y.Doc();
    const origins: unknown[] = [];
    doc.on('update', (_u: Uint8Array, origin: unknown) => origins.push(origin));
    createText(doc, 'aaaaaa', '');
    expect(origins).toEqual([SERVER_ORIGIN]);
    expect(docOrigin(origins[0]).kind).toBe('server');
  });

  it('reads typed origins, and anything else as the server’s', () => {
    const ws = {};
    expect(docOrigin({ kind: 'client', connection: ws })).toEqual({ kind: 'client', connection: ws });
    expect(docOrigin({ kind: 'load' }).kind).toBe('load');
    for (const other of [null, undefined, 'server', 'load', 42, {}, { kind: 'evil' }]) expect(docOrigin(other)).toBe(SERVER_ORIGIN);
  });

  it('a text that is not a Y.Text reads as none', () => {
    const doc = new Y.Doc();
    (textsMap(doc) as unknown as Y.Map<unknown>).set('oddone', 'plain');
    expect(textOf(doc, 'oddone')).toBeNull();
  });

  it('new ids are distinct and match the protocol', () => {
    const seen = new Set(Array.from({ length: 200 }, () => newActionId()));
    expect(seen.size).toBe(200);
    for (const id of seen) expect(id).toMatch(/^[A-Za-z0-9_-]{6,40}$/);
  });
});

describe('boardPoints', () => {
  it('orders by position, hides removed and merged points, joins parts’ texts to their point', () => {
    const doc = new Y.Doc();
    createText(doc, 'aaaaaa', 'First');
    createText(doc, 'bbbbbb', 'Second');
    createText(doc, 'cccccc', 'Part of first');
    createText(doc, 'dddddd', 'Gone');
    const points = boardPoints(doc, [
      view('bbbbbb', 1, { owner: 'Bo', due: '2027-01-01', status: 'done' }),
      view('aaaaaa', 2, { factor: null }),
      view('cccccc', 3, { mergedInto: 'aaaaaa' }),
      view('dddddd', 4, { removed: true })
    ]);
    expect(points.map((p) => [p.id, p.text, p.owner, p.due, p.status, p.factor])).toEqual([
      ['bbbbbb', 'Second', 'Bo', '2027-01-01', 'done', 1],
      ['aaaaaa', 'First\nPart of first', null, null, 'open', null]
    ]);
  });

  it('reads a missing text as empty and bounds long texts by what they cost', () => {
    const doc = new Y.Doc();
    // Over the code-unit bound (only an older database can hold this): cut to both bounds.
    createText(doc, 'long01', 'x'.repeat(LIMITS.actionTextUnits + 10));
    // Within the unit bound: read as written, never segmented (the gate counted its graphemes when it was typed).
    createText(doc, 'long02', 'x'.repeat(LIMITS.actionTextMax + 10));
    expect(boardPoints(doc, [view('nonexx', 1), view('long01', 2), view('long02', 3)]).map((p) => p.text.length)).toEqual([
      0,
      LIMITS.actionTextMax,
      LIMITS.actionTextMax + 10
    ]);
  });
});
