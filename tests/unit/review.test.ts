import { describe, expect, it } from 'vitest';
import type { ActionRecord } from '../../src/lib/domain/action-points';
import { reviewItems, reviewKey, reviewTally, type ActionReviewRecord, type EarlierBoard } from '../../src/lib/domain/review';

const point = (id: string, position: number, overrides: Partial<ActionRecord> = {}): ActionRecord => ({
  id,
  factor: 2,
  position,
  owner: '',
  due: null,
  status: 'open',
  createdBy: 'facilitator',
  createdAt: position,
  mergedInto: null,
  removed: false,
  origin: null,
  ...overrides
});

const board = (id: string, actions: ActionRecord[], texts: Record<string, string>): EarlierBoard => ({
  id,
  code: `CODE${id}`,
  title: `Session ${id}`,
  date: '2026-10-01',
  actions,
  texts: new Map(Object.entries(texts))
});

const review = (
  reviewing: string,
  origin: string,
  actionId: string,
  status: ActionReviewRecord['status'],
  carried: string | null = null
): ActionReviewRecord => ({
  reviewingSessionId: reviewing,
  originSessionId: origin,
  actionId,
  status,
  carriedActionId: carried,
  reviewedAt: 1
});

describe('review items', () => {
  const first = board(
    'a',
    [
      point('p3', 3, { status: 'doing', owner: ' ' }),
      point('p1', 1, { owner: 'Ana', due: '2027-01-01' }),
      point('p2', 2, { status: 'done' }),
      point('p4', 4, { removed: true }),
      point('p5', 5, { mergedInto: 'p1' }),
      point('p6', 6, { mergedInto: 'p1', removed: true })
    ],
    { p1: 'Visit', p3: 'Newsletter', p5: 'and the mayor', p6: 'gone part', p4: 'removed' }
  );

  it('lists open and doing points in board order, with merged parts in the text, and nothing done, removed or merged away', () => {
    const items = reviewItems('now', [first], [], 100);
    expect(items.map((i) => [i.key, i.text, i.owner, i.due, i.boardStatus, i.review, i.carriedTo])).toEqual([
      ['CODEa/p1', 'Visit\nand the mayor', 'Ana', '2027-01-01', 'open', null, null],
      ['CODEa/p3', 'Newsletter', null, null, 'doing', null, null]
    ]);
    expect(reviewKey('CODEa', 'p1')).toBe('CODEa/p1');
  });

  it("keeps this session's own decisions on the items and leaves out points another session closed (done, dropped, carried) but not doing", () => {
    const second = board('b', [point('q1', 1)], { q1: 'Carried copy' });
    const reviews = [review('b', 'a', 'p1', 'carried', 'q1'), review('b', 'a', 'p3', 'doing'), review('now', 'b', 'q1', 'dropped')];
    const items = reviewItems('now', [first, second], reviews, 100);
    expect(items.map((i) => [i.key, i.review])).toEqual([
      ['CODEa/p3', null],
      ['CODEb/q1', 'dropped']
    ]);
    expect(reviewTally(items)).toEqual({ done: 0, doing: 0, dropped: 1, carried: 0, open: 1 });
  });

  it('never lists the session itself and keeps the newest items when there are more than the limit', () => {
    const many = board(
      'm',
      Array.from({ length: 5 }, (_, i) => point(`x${i}`, i)),
      {}
    );
    expect(reviewItems('m', [many], [], 10)).toEqual([]);
    expect(reviewItems('now', [first, many], [], 3).map((i) => i.actionId)).toEqual(['x2', 'x3', 'x4']);
  });
});
