import { describe, expect, it } from 'vitest';
import { paginate, stageOf, stagesOf } from '../../src/lib/domain/stages';

describe('stages', () => {
  it('every phase opens with its own stage, first in the list', () => {
    expect(stageOf('lobby')).toBe('lobby');
    expect(stageOf('voting')).toBe('voting');
    expect(stageOf('revealed')).toBe('results');
    expect(stageOf('actions')).toBe('actions');
    expect(stageOf('closed')).toBe('actions');
    for (const phase of ['lobby', 'voting', 'revealed', 'actions', 'closed'] as const) expect(stagesOf(phase)[0]).toBe(stageOf(phase));
    expect(stagesOf('actions')).toEqual(['actions', 'results']);
    expect(stagesOf('revealed')).toEqual(['results']);
  });
});

describe('paginate', () => {
  it('fills columns up to the height, then pages, keeping the order', () => {
    expect(paginate([40, 40, 40, 40, 40], 100, 2, 10)).toEqual([
      [
        [0, 1],
        [2, 3]
      ],
      [[4]]
    ]);
  });
  it('gives an item taller than a column a column of its own', () => {
    expect(paginate([30, 500, 30], 100, 1)).toEqual([[[0]], [[1]], [[2]]]);
  });
  it('answers no page for no items', () => {
    expect(paginate([], 100, 2)).toEqual([]);
  });
});
