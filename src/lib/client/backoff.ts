/**
 * A retry after a growing, jittered pause: each attempt waits twice as long as
 * the last (up to a ceiling), times a random factor between ½ and 1, so a room
 * full of pages that lost the server together does not come back in step.
 * One retry waits at a time; a success starts the pauses short again.
 */
export class Backoff {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private attempts = 0;

  constructor(
    private readonly firstMs: number,
    private readonly mostMs: number,
    private readonly random: () => number = Math.random
  ) {}

  /** Runs `retry` after the next pause, unless a retry is already waiting; answers the pause in ms (null: one is waiting). */
  schedule(retry: () => void): number | null {
    if (this.timer) return null;
    const delay = Math.min(this.mostMs, this.firstMs * 2 ** this.attempts++) * (0.5 + this.random() / 2);
    this.timer = setTimeout(() => {
      this.timer = null;
      retry();
    }, delay);
    return delay;
  }

  /** It worked: the next pause is the first one again. */
  succeeded(): void {
    this.attempts = 0;
  }

  /** Drops a waiting retry (the page is closing). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
