import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  actionsArray,
  addAction,
  indexOfAction,
  mergeActions,
  moveAction,
  newActionId,
  readAction,
  readActions,
  removeAction
} from '../../src/lib/board/actions';
import { LIMITS, YJS_ACTIONS } from '../../src/lib/protocol';

const ids = (doc: Y.Doc) => readActions(doc).map((a) => a.id);

function board(...texts: string[]): Y.Doc {
  const doc = new Y.Doc();
  texts.forEach((text, i) => addAction(doc, { factor: i + 1, text, id: `act-${i}` }));
  return doc;
}

/** Puts a raw map with the given fields on the board, as a misbehaving client could. */
function rawAction(doc: Y.Doc, fields: Record<string, unknown>): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  doc.transact(() => {
    for (const [key, value] of Object.entries(fields)) map.set(key, value);
    doc.getArray<Y.Map<unknown>>(YJS_ACTIONS).push([map]);
  });
  return map;
}

describe('addAction / readActions', () => {
  it('adds an action with defaults and reads it back', () => {
    const doc = new Y.Doc();
    const before = Date.now();
    const id = addAction(doc, { factor: 3, text: 'Plan a kick-off' });
    expect(id).toMatch(/^[a-z0-9]{16}$/);
    const [a] = readActions(doc);
    expect(a).toEqual({ id, factor: 3, text: 'Plan a kick-off', owner: null, due: null, status: 'open', createdAt: a.createdAt });
    expect(a.createdAt).toBeGreaterThanOrEqual(before);
    expect(actionsArray(doc).get(0).get('text')).toBeInstanceOf(Y.Text);
  });

  it('keeps board order, a given id, a null factor and empty text', () => {
    const doc = new Y.Doc();
    addAction(doc, { factor: 1, text: 'one', id: 'first-id' });
    addAction(doc, { factor: null, id: 'general' });
    expect(readActions(doc).map((a) => [a.id, a.factor, a.text])).toEqual([
      ['first-id', 1, 'one'],
      ['general', null, '']
    ]);
    expect(indexOfAction(doc, 'general')).toBe(1);
    expect(indexOfAction(doc, 'missing')).toBe(-1);
  });

  it('new ids are distinct', () => {
    const seen = new Set(Array.from({ length: 200 }, () => newActionId()));
    expect(seen.size).toBe(200);
  });

  it('two replicas that add at once converge', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    addAction(a, { factor: 1, text: 'from a', id: 'aaaaaa' });
    addAction(b, { factor: 2, text: 'from b', id: 'bbbbbb' });
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(ids(a).sort()).toEqual(['aaaaaa', 'bbbbbb']);
    expect(readActions(a)).toEqual(readActions(b));
  });
});

describe('removeAction', () => {
  it('removes by id and reports whether it did', () => {
    const doc = board('a', 'b', 'c');
    expect(removeAction(doc, 'act-1')).toBe(true);
    expect(ids(doc)).toEqual(['act-0', 'act-2']);
    expect(removeAction(doc, 'act-1')).toBe(false);
    expect(removeAction(doc, 'nope')).toBe(false);
    expect(ids(doc)).toEqual(['act-0', 'act-2']);
  });
});

describe('mergeActions', () => {
  it('appends the source text on a new line and removes the source', () => {
    const doc = board('Target text', 'Source text', 'Other');
    expect(mergeActions(doc, 'act-1', 'act-0')).toBe(true);
    expect(readActions(doc).map((a) => [a.id, a.text])).toEqual([
      ['act-0', 'Target text\nSource text'],
      ['act-2', 'Other']
    ]);
  });

  it.each<{ name: string; target: string; source: string; text: string }>([
    { name: 'empty target takes the source text', target: '', source: 'Source', text: 'Source' },
    { name: 'empty source leaves the target as is', target: 'Target', source: '', text: 'Target' },
    { name: 'both empty', target: '', source: '', text: '' }
  ])('$name', ({ target, source, text }) => {
    const doc = board(target, source);
    expect(mergeActions(doc, 'act-1', 'act-0')).toBe(true);
    expect(readActions(doc).map((a) => a.text)).toEqual([text]);
  });

  it('owner and due date fill gaps but never overwrite', () => {
    const doc = board('t', 's1', 's2');
    const arr = actionsArray(doc);
    arr.get(0).set('owner', 'Ann');
    arr.get(1).set('owner', 'Bob');
    arr.get(1).set('due', '2026-12-01');
    arr.get(2).set('due', '2027-01-15');
    mergeActions(doc, 'act-1', 'act-0');
    mergeActions(doc, 'act-2', 'act-0');
    expect(readActions(doc)).toMatchObject([{ id: 'act-0', owner: 'Ann', due: '2026-12-01', text: 't\ns1\ns2' }]);
  });

  it.each<[string, string, string]>([
    ['same id', 'act-0', 'act-0'],
    ['missing source', 'nope', 'act-0'],
    ['missing target', 'act-0', 'nope']
  ])('refuses: %s', (_name, source, target) => {
    const doc = board('a', 'b');
    expect(mergeActions(doc, source, target)).toBe(false);
    expect(readActions(doc).map((a) => a.text)).toEqual(['a', 'b']);
  });
});

describe('moveAction', () => {
  it.each<{ id: string; to: number; order: string[] }>([
    { id: 'act-0', to: 2, order: ['act-1', 'act-2', 'act-0'] },
    { id: 'act-2', to: 0, order: ['act-2', 'act-0', 'act-1'] },
    { id: 'act-0', to: 1, order: ['act-1', 'act-0', 'act-2'] },
    { id: 'act-1', to: 99, order: ['act-0', 'act-2', 'act-1'] },
    { id: 'act-1', to: -5, order: ['act-1', 'act-0', 'act-2'] },
    { id: 'act-1', to: 1, order: ['act-0', 'act-1', 'act-2'] }
  ])('$id to $to', ({ id, to, order }) => {
    const doc = board('a', 'b', 'c');
    expect(moveAction(doc, id, to)).toBe(true);
    expect(ids(doc)).toEqual(order);
  });

  it('keeps all content and a live Y.Text', () => {
    const doc = board('first', 'second');
    const arr = actionsArray(doc);
    arr.get(0).set('owner', 'Ann');
    arr.get(0).set('due', '2026-12-01');
    arr.get(0).set('status', 'doing');
    const before = readActions(doc)[0];
    moveAction(doc, 'act-0', 1);
    const after = readActions(doc);
    expect(after[1]).toEqual(before);
    const text = arr.get(1).get('text') as Y.Text;
    expect(text).toBeInstanceOf(Y.Text);
    text.insert(text.length, '!');
    expect(readActions(doc)[1].text).toBe('first!');
  });

  it('returns false for an unknown id', () => {
    const doc = board('a');
    expect(moveAction(doc, 'nope', 0)).toBe(false);
    expect(ids(doc)).toEqual(['act-0']);
  });
});

describe('readAction is defensive', () => {
  const base = () => ({ id: 'odd', factor: 2, text: new Y.Text('ok'), owner: 'Ann', due: '2026-12-01', status: 'done', createdAt: 42 });

  it('reads a well-formed map', () => {
    const doc = new Y.Doc();
    expect(readAction(rawAction(doc, base()))).toEqual({ id: 'odd', factor: 2, text: 'ok', owner: 'Ann', due: '2026-12-01', status: 'done', createdAt: 42 });
  });

  it.each<{ field: string; value: unknown; expected: Record<string, unknown> }>([
    { field: 'factor', value: 2.5, expected: { factor: null } },
    { field: 'factor', value: '3', expected: { factor: null } },
    { field: 'factor', value: null, expected: { factor: null } },
    { field: 'factor', value: NaN, expected: { factor: null } },
    { field: 'text', value: 'plain string', expected: { text: '' } },
    { field: 'text', value: 7, expected: { text: '' } },
    { field: 'text', value: new Y.Text('x'.repeat(LIMITS.actionTextMax + 50)), expected: { text: 'x'.repeat(LIMITS.actionTextMax) } },
    { field: 'owner', value: '   ', expected: { owner: null } },
    { field: 'owner', value: '  Bob  ', expected: { owner: 'Bob' } },
    { field: 'owner', value: 12, expected: { owner: null } },
    { field: 'owner', value: 'o'.repeat(LIMITS.ownerMax + 10), expected: { owner: 'o'.repeat(LIMITS.ownerMax) } },
    { field: 'due', value: '1 December', expected: { due: null } },
    { field: 'due', value: '2026-12-01T10:00', expected: { due: null } },
    { field: 'due', value: 20261201, expected: { due: null } },
    { field: 'status', value: 'bogus', expected: { status: 'open' } },
    { field: 'status', value: 'DONE', expected: { status: 'open' } },
    { field: 'status', value: 'doing', expected: { status: 'doing' } },
    { field: 'createdAt', value: 'yesterday', expected: { createdAt: 0 } },
    { field: 'createdAt', value: undefined, expected: { createdAt: 0 } }
  ])('$field = $value', ({ field, value, expected }) => {
    const doc = new Y.Doc();
    const fields: Record<string, unknown> = base();
    if (value === undefined) delete fields[field];
    else fields[field] = value;
    const action = readAction(rawAction(doc, fields));
    expect(action).toMatchObject({ ...expected, id: 'odd' });
  });

  it('skips entries without a string id', () => {
    const doc = board('kept');
    rawAction(doc, { id: 5, text: new Y.Text('no') });
    rawAction(doc, { text: new Y.Text('none') });
    expect(readAction(actionsArray(doc).get(1))).toBeNull();
    expect(ids(doc)).toEqual(['act-0']);
  });
});
