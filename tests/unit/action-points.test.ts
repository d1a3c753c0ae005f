import { describe, expect, it } from 'vitest';
import { ActionBoardState, ActionRuleError, isCalendarDate, type Actor } from '../../src/lib/domain/action-points';

const facilitator: Actor = { role: 'facilitator' };
const ann: Actor = { role: 'participant', participantId: 'ann' };
const bob: Actor = { role: 'participant', participantId: 'bob' };
const limits = { visible: 5, total: 8 };

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ActionRuleError);
    return (error as ActionRuleError).code;
  }
  throw new Error('expected an ActionRuleError');
}

function board(...ids: string[]): ActionBoardState {
  const state = new ActionBoardState([], limits);
  ids.forEach((id, i) => state.create(i % 2 === 0 ? ann : bob, { id, factor: i + 1 }, 1000 + i));
  return state;
}
const order = (state: ActionBoardState) => state.visible().map((r) => r.id);

describe('create', () => {
  it('adds a point with defaults at the end, recording its creator', () => {
    const state = board('aaaaaa');
    const { record, created } = state.create(bob, { id: 'bbbbbb', factor: null }, 5);
    expect(created).toBe(true);
    expect(record).toMatchObject({
      id: 'bbbbbb',
      factor: null,
      owner: '',
      due: null,
      status: 'open',
      createdBy: 'bob',
      mergedInto: null,
      removed: false,
      origin: null
    });
    expect(order(state)).toEqual(['aaaaaa', 'bbbbbb']);
  });

  it('is idempotent for the same creator: a resent command changes nothing', () => {
    const state = board('aaaaaa');
    state.update('aaaaaa', { owner: 'Ann' });
    const again = state.create(ann, { id: 'aaaaaa', factor: 7 }, 99);
    expect(again.created).toBe(false);
    expect(again.record).toMatchObject({ factor: 1, owner: 'Ann' });
  });

  it('refuses an id another person used: nobody overwrites another’s point', () => {
    const state = board('aaaaaa');
    expect(codeOf(() => state.create(bob, { id: 'aaaaaa', factor: 2 }, 5))).toBe('forbidden');
    expect(codeOf(() => state.create(facilitator, { id: 'aaaaaa', factor: 2 }, 5))).toBe('forbidden');
    expect(state.get('aaaaaa')).toMatchObject({ createdBy: 'ann', factor: 1 });
  });

  it('caps the points on the board and the records kept', () => {
    const state = board('p1xxxx', 'p2xxxx', 'p3xxxx', 'p4xxxx', 'p5xxxx');
    expect(codeOf(() => state.create(ann, { id: 'p6xxxx', factor: 1 }, 5))).toBe('too_large');
    state.remove(facilitator, 'p1xxxx');
    state.remove(facilitator, 'p2xxxx');
    state.remove(facilitator, 'p3xxxx');
    state.create(ann, { id: 'p6xxxx', factor: 1 }, 5);
    state.create(ann, { id: 'p7xxxx', factor: 1 }, 5);
    state.create(ann, { id: 'p8xxxx', factor: 1 }, 5);
    state.remove(facilitator, 'p8xxxx');
    // Eight records kept in all, although only five are on the board.
    expect(codeOf(() => state.create(ann, { id: 'p9xxxx', factor: 1 }, 5))).toBe('too_large');
    state.restore(facilitator, 'p1xxxx');
    expect(codeOf(() => state.restore(facilitator, 'p2xxxx'))).toBe('too_large');
  });
});

describe('update', () => {
  it('lets anyone change owner, due date, status and factor; last write wins', () => {
    const state = board('aaaaaa');
    state.update('aaaaaa', { owner: 'Ann' });
    const [changed] = state.update('aaaaaa', { owner: 'Bob', due: '2027-02-28', status: 'doing', factor: 4 });
    expect(changed).toMatchObject({ owner: 'Bob', due: '2027-02-28', status: 'doing', factor: 4 });
    state.update('aaaaaa', { due: null });
    expect(state.get('aaaaaa')?.due).toBeNull();
  });

  it('refuses impossible dates and unknown points', () => {
    const state = board('aaaaaa');
    expect(codeOf(() => state.update('aaaaaa', { due: '2026-02-30' }))).toBe('bad_request');
    expect(codeOf(() => state.update('nopexx', { owner: 'x' }))).toBe('not_found');
    state.remove(facilitator, 'aaaaaa');
    expect(codeOf(() => state.update('aaaaaa', { owner: 'x' }))).toBe('not_found');
    expect(isCalendarDate('2028-02-29')).toBe(true);
    expect(isCalendarDate('2027-02-29')).toBe(false);
  });
});

describe('remove and restore', () => {
  it('only the facilitator removes; removal is undone by restore, in the same place', () => {
    const state = board('aaaaaa', 'bbbbbb', 'cccccc');
    expect(codeOf(() => state.remove(ann, 'aaaaaa'))).toBe('forbidden');
    expect(codeOf(() => state.remove(bob, 'aaaaaa'))).toBe('forbidden');
    const changed = state.remove(facilitator, 'bbbbbb');
    expect(ActionBoardState.disappeared(changed)).toEqual(['bbbbbb']);
    expect(order(state)).toEqual(['aaaaaa', 'cccccc']);
    expect(state.remove(facilitator, 'bbbbbb')).toEqual([]);
    expect(codeOf(() => state.restore(ann, 'bbbbbb'))).toBe('forbidden');
    state.restore(facilitator, 'bbbbbb');
    expect(order(state)).toEqual(['aaaaaa', 'bbbbbb', 'cccccc']);
    expect(state.restore(facilitator, 'bbbbbb')).toEqual([]);
  });
});

describe('move', () => {
  it('reorders the visible points only (facilitator)', () => {
    const state = board('aaaaaa', 'bbbbbb', 'cccccc', 'dddddd');
    expect(codeOf(() => state.move(ann, 'cccccc', 0))).toBe('forbidden');
    state.move(facilitator, 'cccccc', 0);
    expect(order(state)).toEqual(['cccccc', 'aaaaaa', 'bbbbbb', 'dddddd']);
    state.move(facilitator, 'cccccc', 99);
    expect(order(state)).toEqual(['aaaaaa', 'bbbbbb', 'dddddd', 'cccccc']);
    state.remove(facilitator, 'bbbbbb');
    state.move(facilitator, 'cccccc', 1);
    expect(order(state)).toEqual(['aaaaaa', 'cccccc', 'dddddd']);
    state.restore(facilitator, 'bbbbbb');
    const positions = state.all().map((r) => r.position);
    expect(new Set(positions).size).toBe(positions.length);
  });

  it('keeps the id: moving never makes a new point', () => {
    const state = board('aaaaaa', 'bbbbbb');
    state.update('bbbbbb', { owner: 'Bo' });
    state.move(facilitator, 'bbbbbb', 0);
    expect(state.get('bbbbbb')).toMatchObject({ owner: 'Bo', createdBy: 'bob' });
    expect(state.all()).toHaveLength(2);
  });
});

describe('merge and unmerge', () => {
  it('makes the source a part of the target, keeping both; undone by unmerge', () => {
    const state = board('aaaaaa', 'bbbbbb', 'cccccc');
    state.update('bbbbbb', { owner: 'Bo', due: '2027-01-05' });
    expect(codeOf(() => state.merge(ann, 'bbbbbb', 'aaaaaa'))).toBe('forbidden');
    const changed = state.merge(facilitator, 'bbbbbb', 'aaaaaa');
    expect(ActionBoardState.disappeared(changed)).toEqual(['bbbbbb']);
    expect(order(state)).toEqual(['aaaaaa', 'cccccc']);
    expect(state.partsOf('aaaaaa').map((r) => r.id)).toEqual(['bbbbbb']);
    // Owner and due date fill the target's gaps.
    expect(state.get('aaaaaa')).toMatchObject({ owner: 'Bo', due: '2027-01-05' });
    state.unmerge(facilitator, 'bbbbbb');
    expect(order(state)).toEqual(['aaaaaa', 'bbbbbb', 'cccccc']);
    expect(state.partsOf('aaaaaa')).toEqual([]);
  });

  it('keeps parts one level deep and refuses merges into itself or into hidden points', () => {
    const state = board('aaaaaa', 'bbbbbb', 'cccccc');
    state.merge(facilitator, 'cccccc', 'bbbbbb');
    state.merge(facilitator, 'bbbbbb', 'aaaaaa');
    expect(
      state
        .partsOf('aaaaaa')
        .map((r) => r.id)
        .sort()
    ).toEqual(['bbbbbb', 'cccccc']);
    expect(codeOf(() => state.merge(facilitator, 'aaaaaa', 'aaaaaa'))).toBe('bad_request');
    expect(codeOf(() => state.merge(facilitator, 'aaaaaa', 'bbbbbb'))).toBe('not_found');
    expect(codeOf(() => state.remove(facilitator, 'bbbbbb'))).toBe('bad_request');
  });

  it('a removed target hides its parts and brings them back when restored', () => {
    const state = board('aaaaaa', 'bbbbbb');
    state.merge(facilitator, 'bbbbbb', 'aaaaaa');
    state.remove(facilitator, 'aaaaaa');
    expect(order(state)).toEqual([]);
    state.restore(facilitator, 'aaaaaa');
    expect(state.partsOf('aaaaaa').map((r) => r.id)).toEqual(['bbbbbb']);
  });
});

it('restores from records (as loaded from the store)', () => {
  const state = board('aaaaaa', 'bbbbbb');
  state.merge(facilitator, 'bbbbbb', 'aaaaaa');
  const copy = new ActionBoardState(state.all(), limits);
  expect(copy.all()).toEqual(state.all());
  expect(copy.partsOf('aaaaaa').map((r) => r.id)).toEqual(['bbbbbb']);
});
