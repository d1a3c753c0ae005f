import type { Store } from './types';

export type StoreHealthStatus = { ok: true } | { ok: false; reason: string };

/** How long one probe result answers `/healthz` before the next probe: a flood of health checks costs one write a second. */
export const HEALTH_PROBE_INTERVAL_MS = 1000;
/** A probe that has not answered by then counts as failed (a store that hangs is not healthy either). */
export const HEALTH_PROBE_TIMEOUT_MS = 5000;

/**
 * Whether the store can read and write right now, for `/healthz`: a tiny
 * write-and-read probe through the store's own write path, at most one per
 * interval (concurrent checks share it), so a load balancer stops sending
 * people to a server whose disk is full or gone.
 */
export class StoreHealth {
  private last: { at: number; status: StoreHealthStatus } | null = null;
  private running: Promise<StoreHealthStatus> | null = null;

  constructor(
    private readonly store: Pick<Store, 'probe'>,
    private readonly intervalMs = HEALTH_PROBE_INTERVAL_MS,
    private readonly timeoutMs = HEALTH_PROBE_TIMEOUT_MS
  ) {}

  check(): Promise<StoreHealthStatus> {
    if (this.last && Date.now() - this.last.at < this.intervalMs) return Promise.resolve(this.last.status);
    this.running ??= this.probe().then((status) => {
      this.last = { at: Date.now(), status };
      this.running = null;
      return status;
    });
    return this.running;
  }

  private async probe(): Promise<StoreHealthStatus> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      await Promise.race([this.store.probe(), timeout]);
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `store: ${error instanceof Error ? error.message : String(error)}` };
    } finally {
      clearTimeout(timer);
    }
  }
}
