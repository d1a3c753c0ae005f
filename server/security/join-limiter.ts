/** Counts joins per client address in a sliding minute, against code guessing. */
export class JoinLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now
  ) {}

  /** Records an attempt; false when the address is over its limit. */
  allow(address: string): boolean {
    if (this.perMinute === 0) return true;
    const now = this.now();
    const recent = (this.hits.get(address) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= this.perMinute) {
      this.hits.set(address, recent);
      return false;
    }
    recent.push(now);
    this.hits.set(address, recent);
    if (this.hits.size > 10_000) this.sweep(now);
    return true;
  }

  private sweep(now: number): void {
    for (const [address, times] of this.hits) if (times.every((t) => now - t >= 60_000)) this.hits.delete(address);
  }
}
