import { describe, expect, it } from 'vitest';
import { DotLedger } from '../../server/sessions/dots';
import { CommandError } from '../../src/lib/protocol';

/** Runs a function that should throw a CommandError and returns its code. */
function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CommandError);
    return (error as CommandError).code;
  }
  throw new Error('expected a CommandError');
}

describe('DotLedger.apply', () => {
  it('spends dots up to the limit, then refuses with no_dots_left', () => {
    const ledger = new DotLedger();
    expect(ledger.apply('ann', 'x', 1, 3)).toBe(1);
    expect(ledger.apply('ann', 'x', 1, 3)).toBe(2);
    expect(ledger.apply('ann', 'y', 1, 3)).toBe(1);
    expect(errorCode(() => ledger.apply('ann', 'z', 1, 3))).toBe('no_dots_left');
    expect(errorCode(() => ledger.apply('ann', 'x', 1, 3))).toBe('no_dots_left');
    // The refused dot changed nothing.
    expect(ledger.totals()).toEqual({ x: 2, y: 1 });
    expect(ledger.stateFor('ann', 3)).toEqual({ totals: { x: 2, y: 1 }, mine: { x: 2, y: 1 }, remaining: 0 });
  });

  it('limits each voter separately', () => {
    const ledger = new DotLedger();
    ledger.apply('ann', 'x', 1, 1);
    expect(ledger.apply('bob', 'x', 1, 1)).toBe(1);
    expect(errorCode(() => ledger.apply('bob', 'y', 1, 1))).toBe('no_dots_left');
    expect(ledger.totals()).toEqual({ x: 2 });
  });

  it('taking a dot back frees it for another action', () => {
    const ledger = new DotLedger();
    ledger.apply('ann', 'x', 1, 2);
    ledger.apply('ann', 'x', 1, 2);
    expect(ledger.apply('ann', 'x', -1, 2)).toBe(1);
    expect(ledger.apply('ann', 'y', 1, 2)).toBe(1);
    expect(ledger.apply('ann', 'x', -1, 2)).toBe(0);
    expect(ledger.stateFor('ann', 2)).toEqual({ totals: { y: 1 }, mine: { y: 1 }, remaining: 1 });
  });

  it('refuses to take back a dot that is not there', () => {
    const ledger = new DotLedger();
    expect(errorCode(() => ledger.apply('ann', 'x', -1, 3))).toBe('bad_request');
    ledger.apply('bob', 'x', 1, 3);
    // Bob's dot is not Ann's to take.
    expect(errorCode(() => ledger.apply('ann', 'x', -1, 3))).toBe('bad_request');
    expect(ledger.totals()).toEqual({ x: 1 });
  });

  it('a lowered limit blocks new dots but keeps the spent ones', () => {
    const ledger = new DotLedger([{ voterId: 'ann', actionId: 'x', count: 4 }]);
    expect(errorCode(() => ledger.apply('ann', 'y', 1, 3))).toBe('no_dots_left');
    expect(ledger.stateFor('ann', 3).remaining).toBe(0);
    expect(ledger.apply('ann', 'x', -1, 3)).toBe(3);
  });
});

describe('DotLedger state', () => {
  const records = [
    { voterId: 'ann', actionId: 'x', count: 2 },
    { voterId: 'ann', actionId: 'y', count: 1 },
    { voterId: 'bob', actionId: 'x', count: 1 },
    { voterId: 'cat', actionId: 'z', count: 0 }
  ];

  it('restores from records, skipping zero counts', () => {
    const ledger = new DotLedger(records);
    expect(ledger.totals()).toEqual({ x: 3, y: 1 });
    expect(ledger.maxSpentByAnyone()).toBe(3);
    expect(ledger.stateFor('bob', 5)).toEqual({ totals: { x: 3, y: 1 }, mine: { x: 1 }, remaining: 4 });
    expect(ledger.stateFor('cat', 5)).toEqual({ totals: { x: 3, y: 1 }, mine: {}, remaining: 5 });
  });

  it('removeVoter drops their dots', () => {
    const ledger = new DotLedger(records);
    ledger.removeVoter('ann');
    expect(ledger.totals()).toEqual({ x: 1 });
    expect(ledger.maxSpentByAnyone()).toBe(1);
  });

  it('an empty ledger', () => {
    const ledger = new DotLedger();
    expect(ledger.totals()).toEqual({});
    expect(ledger.maxSpentByAnyone()).toBe(0);
    expect(ledger.stateFor('ann', 3)).toEqual({ totals: {}, mine: {}, remaining: 3 });
  });
});

describe('DotLedger with merged points', () => {
  it('counts the dots on a part for the point it is part of, and finds where a voter holds one', () => {
    const mergedInto = new Map<string, string | null>([['y', 'x']]);
    const ledger = new DotLedger(
      [
        { voterId: 'ann', actionId: 'x', count: 1 },
        { voterId: 'ann', actionId: 'y', count: 2 },
        { voterId: 'bob', actionId: 'y', count: 1 },
        { voterId: 'bob', actionId: 'gone', count: 1 }
      ],
      (id) => (id === 'gone' ? null : (mergedInto.get(id) ?? id))
    );
    expect(ledger.totals()).toEqual({ x: 4 });
    expect(ledger.own('ann', 3)).toEqual({ mine: { x: 3 }, remaining: 0 });
    expect(ledger.heldOn('ann', 'x')).toBe('x');
    expect(ledger.heldOn('bob', 'x')).toBe('y');
    expect(ledger.heldOn('cat', 'x')).toBeNull();
    // Undone merge: each dot counts where it was cast again.
    mergedInto.set('y', null);
    expect(ledger.totals()).toEqual({ x: 1, y: 3 });
    expect(ledger.own('ann', 3)).toEqual({ mine: { x: 1, y: 2 }, remaining: 0 });
    expect(ledger.heldOn('bob', 'x')).toBeNull();
  });
});

describe('DotLedger.returnAction', () => {
  it('gives every voter back the dots spent on a point that left the board, and reports the changes', () => {
    const ledger = new DotLedger([
      { voterId: 'ann', actionId: 'x', count: 2 },
      { voterId: 'ann', actionId: 'y', count: 1 },
      { voterId: 'bob', actionId: 'x', count: 1 },
      { voterId: 'cat', actionId: 'y', count: 3 }
    ]);
    expect(ledger.returnAction('x')).toEqual([
      { voterId: 'ann', actionId: 'x', count: 0 },
      { voterId: 'bob', actionId: 'x', count: 0 }
    ]);
    expect(ledger.totals()).toEqual({ y: 4 });
    expect(ledger.stateFor('ann', 3)).toEqual({ totals: { y: 4 }, mine: { y: 1 }, remaining: 2 });
    expect(ledger.stateFor('bob', 3).remaining).toBe(3);
    expect(ledger.maxSpentByAnyone()).toBe(3);
    // The returned dots can be spent again.
    expect(ledger.apply('ann', 'y', 1, 3)).toBe(2);
  });

  it('changes nothing for an action without dots', () => {
    const ledger = new DotLedger([{ voterId: 'ann', actionId: 'x', count: 2 }]);
    expect(ledger.returnAction('nope')).toEqual([]);
    expect(ledger.totals()).toEqual({ x: 2 });
  });

  it('keeps totals and per-voter sums consistent through many changes', () => {
    const ledger = new DotLedger();
    const voters = ['a', 'b', 'c', 'd'];
    const actions = ['p', 'q', 'r'];
    let seed = 7;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 500; i++) {
      const op = next(10);
      if (op === 0) ledger.returnAction(actions[next(3)]);
      else if (op === 1) ledger.removeVoter(voters[next(4)]);
      else {
        try {
          ledger.apply(voters[next(4)], actions[next(3)], next(3) === 0 ? -1 : 1, 3);
        } catch (error) {
          expect(error).toBeInstanceOf(CommandError);
        }
      }
      // Recount from each voter's own view and compare with the running totals.
      const recount: Record<string, number> = {};
      for (const v of voters) {
        const state = ledger.stateFor(v, 3);
        let spent = 0;
        for (const [action, count] of Object.entries(state.mine)) {
          recount[action] = (recount[action] ?? 0) + count;
          spent += count;
        }
        expect(state.remaining).toBe(Math.max(0, 3 - spent));
      }
      expect(ledger.totals()).toEqual(recount);
    }
  });
});
