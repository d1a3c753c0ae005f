import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../server/sessions/coalescer';
import { manualScheduler } from '../helpers/manual-scheduler';

describe('Coalescer', () => {
  it('sends once per turn however often it is asked, computed when sent', () => {
    const loop = manualScheduler();
    const c = new Coalescer<'progress'>(loop.scheduler);
    let state = 0;
    const sent: number[] = [];
    for (let i = 0; i < 1000; i++) {
      state++;
      c.perTurn('progress', () => sent.push(state));
    }
    loop.turn();
    expect(sent).toEqual([1000]);
    c.perTurn('progress', () => sent.push(state));
    loop.turn();
    expect(sent).toEqual([1000, 1000]);
  });

  it('sends a throttled message at most once per interval, and keys do not hold each other up', () => {
    const loop = manualScheduler();
    const c = new Coalescer<'a' | 'b'>(loop.scheduler);
    const sent: string[] = [];
    for (let i = 0; i < 50; i++) c.throttled('a', 1000, () => sent.push('a'));
    c.perTurn('b', () => sent.push('b'));
    loop.turn();
    expect(sent).toEqual(['b']);
    loop.advance(999);
    expect(sent).toEqual(['b']);
    loop.advance(1);
    expect(sent).toEqual(['b', 'a']);
    c.throttled('a', 1000, () => sent.push('a'));
    loop.advance(1000);
    expect(sent).toEqual(['b', 'a', 'a']);
  });

  it('sends a bounded message at once, then at most once per interval, and never loses the last change', () => {
    const loop = manualScheduler();
    const c = new Coalescer<'totals'>(loop.scheduler);
    let state = 0;
    const sent: number[] = [];
    const change = () => {
      state++;
      c.bounded('totals', 250, () => sent.push(state));
    };
    // The first change goes out at the end of its turn, not after an interval.
    change();
    loop.turn();
    expect(sent).toEqual([1]);
    // A storm of changes over the next interval: nothing until it ends, then the latest state once.
    for (let i = 0; i < 100; i++) {
      change();
      loop.turn();
      loop.advance(2);
    }
    expect(sent).toEqual([1]);
    loop.advance(50);
    expect(sent).toEqual([1, 101]);
    // The last change of a storm is sent when its interval ends…
    change();
    loop.turn();
    expect(sent).toEqual([1, 101]);
    loop.advance(250);
    expect(sent).toEqual([1, 101, 102]);
    // …and a quiet interval ends the cooling: the next change goes out promptly again.
    loop.advance(250);
    change();
    loop.turn();
    expect(sent).toEqual([1, 101, 102, 103]);
  });

  it('sends nothing after dispose (a deleted or unloaded session)', () => {
    const loop = manualScheduler();
    const c = new Coalescer<'a' | 'b'>(loop.scheduler);
    const sent: string[] = [];
    c.perTurn('a', () => sent.push('a'));
    c.throttled('b', 10, () => sent.push('b'));
    c.bounded('a', 10, () => sent.push('a'));
    c.dispose();
    loop.turn();
    loop.advance(10);
    c.perTurn('a', () => sent.push('a'));
    loop.turn();
    expect(sent).toEqual([]);
  });
});
