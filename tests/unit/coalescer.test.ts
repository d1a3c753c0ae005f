import { describe, expect, it } from 'vitest';
import { Coalescer, type Scheduler } from '../../server/sessions/coalescer';

/** A hand-driven event loop: `turn()` ends the current turn, `advance(ms)` lets time pass. */
function manualScheduler() {
  let turnQueue: (() => void)[] = [];
  let timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  let now = 0;
  const scheduler: Scheduler = {
    nextTurn: (fn) => void turnQueue.push(fn),
    after: (ms, fn) => {
      const timer = { at: now + ms, fn, cancelled: false };
      timers.push(timer);
      return () => void (timer.cancelled = true);
    }
  };
  return {
    scheduler,
    turn() {
      const queue = turnQueue;
      turnQueue = [];
      queue.forEach((fn) => fn());
    },
    advance(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      due.filter((t) => !t.cancelled).forEach((t) => t.fn());
    }
  };
}

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

  it('sends nothing after dispose (a deleted or unloaded session)', () => {
    const loop = manualScheduler();
    const c = new Coalescer<'a' | 'b'>(loop.scheduler);
    const sent: string[] = [];
    c.perTurn('a', () => sent.push('a'));
    c.throttled('b', 10, () => sent.push('b'));
    c.dispose();
    loop.turn();
    loop.advance(10);
    c.perTurn('a', () => sent.push('a'));
    loop.turn();
    expect(sent).toEqual([]);
  });
});
