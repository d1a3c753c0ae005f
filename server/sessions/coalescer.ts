/** How a coalescer waits: the real event loop in the server, a hand-driven one in unit tests. */
export interface Scheduler {
  /** Runs `fn` once the current event-loop turn is done. */
  nextTurn(fn: () => void): void;
  /** Runs `fn` after `ms`; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

export const eventLoop: Scheduler = {
  nextTurn: (fn) => setImmediate(fn),
  after: (ms, fn) => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  }
};

/**
 * Coalesces fan-out: however many changes happen, each kind of message goes
 * out at most once per event-loop turn (`perTurn`) or once per interval
 * (`throttled`), computed when it is sent so it shows the latest state. A
 * broadcast to a thousand sockets holds the server up for milliseconds, so a
 * burst of votes must not become a burst of broadcasts. Nothing is sent after
 * `dispose` (the session was deleted or unloaded).
 */
export class Coalescer<K extends string> {
  private readonly turnPending = new Set<K>();
  private readonly timers = new Map<K, () => void>();
  /** bounded(): keys in their quiet interval after a send, and whether something changed meanwhile. */
  private readonly cooling = new Map<K, { cancel: () => void; dirty: boolean }>();
  private disposed = false;

  constructor(private readonly scheduler: Scheduler = eventLoop) {}

  /** Sends `send` once the current turn is done, however often this is called in it. */
  perTurn(key: K, send: () => void): void {
    if (this.disposed || this.turnPending.has(key)) return;
    this.turnPending.add(key);
    this.scheduler.nextTurn(() => {
      this.turnPending.delete(key);
      if (!this.disposed) send();
    });
  }

  /** Sends `send` `ms` after the first call, however often this is called until then. */
  throttled(key: K, ms: number, send: () => void): void {
    if (this.disposed || this.timers.has(key)) return;
    const cancel = this.scheduler.after(ms, () => {
      this.timers.delete(key);
      if (!this.disposed) send();
    });
    this.timers.set(key, cancel);
  }

  /**
   * Sends at a bounded rate: the first change at the end of its turn (promptly), then at most once per `ms`
   * while changes keep coming; a change during the interval is sent when it ends (computed then, so the
   * latest state), so the last change is never lost. A room-wide broadcast under a storm of changes costs
   * at most 1000/`ms` broadcasts a second, however the changes arrive.
   */
  bounded(key: K, ms: number, send: () => void): void {
    if (this.disposed) return;
    const cooling = this.cooling.get(key);
    if (cooling) {
      cooling.dirty = true;
      return;
    }
    this.perTurn(key, () => {
      send();
      this.coolDown(key, ms, send);
    });
  }

  private coolDown(key: K, ms: number, send: () => void): void {
    const entry = {
      dirty: false,
      cancel: this.scheduler.after(ms, () => {
        this.cooling.delete(key);
        if (this.disposed || !entry.dirty) return;
        send();
        this.coolDown(key, ms, send);
      })
    };
    this.cooling.set(key, entry);
  }

  dispose(): void {
    this.disposed = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    for (const { cancel } of this.cooling.values()) cancel();
    this.cooling.clear();
  }
}
