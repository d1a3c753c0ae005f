/** A token bucket: `rate` per second sustained, bursts up to `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Per-connection rate limits; tests may relax them (see `createServer({ limits })`). */
export interface RateLimits {
  commandsPerSecond: number;
  commandBurst: number;
  yjsMessagesPerSecond: number;
  yjsBurst: number;
  /** Board document caps (LIMITS by default); benchmarks and tests may lower or raise them. */
  yjsClientsPerPerson?: number;
  yjsClientsPerDocument?: number;
  yjsDocumentBytes?: number;
}
