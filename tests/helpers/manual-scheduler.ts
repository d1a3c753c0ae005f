import type { Scheduler } from '../../server/sessions/coalescer';

/** A hand-driven event loop: `turn()` ends the current turn, `advance(ms)` lets time pass. */
export function manualScheduler() {
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
