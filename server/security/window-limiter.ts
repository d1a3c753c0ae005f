/**
 * Counts events per client address in a sliding window (one minute unless
 * told otherwise). Used for code guessing and session creation; see
 * docs/reliability.md for each limit and its default.
 */
export class WindowLimiter {
  private readonly hits = new Map<string, number[]>();

  /**
   * @param perWindow events allowed per address per window; 0 means no limit.
   * @param windowMs the window's length in milliseconds.
   */
  constructor(
    private readonly perWindow: number,
    private readonly now: () => number = Date.now,
    private readonly windowMs = 60_000
  ) {}

  private recent(address: string, now: number): number[] {
    const recent = (this.hits.get(address) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length > 0) this.hits.set(address, recent);
    else this.hits.delete(address);
    return recent;
  }

  /** Records an attempt; false (and not recorded) when the address is over its limit. */
  allow(address: string): boolean {
    if (this.perWindow === 0) return true;
    const now = this.now();
    const recent = this.recent(address, now);
    if (recent.length >= this.perWindow) return false;
    recent.push(now);
    this.hits.set(address, recent);
    if (this.hits.size > 10_000) this.sweep(now);
    return true;
  }

  /** Whether the address is over its limit now, without recording anything. */
  blocked(address: string): boolean {
    return this.perWindow !== 0 && this.recent(address, this.now()).length >= this.perWindow;
  }

  private sweep(now: number): void {
    for (const [address, times] of this.hits) if (times.every((t) => now - t >= this.windowMs)) this.hits.delete(address);
  }
}

/** The name the join limit had; the same sliding minute. */
export { WindowLimiter as JoinLimiter };
