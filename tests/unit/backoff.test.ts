import { describe, expect, it, vi } from 'vitest';
import { Backoff } from '../../src/lib/client/backoff';

describe('Backoff', () => {
  it('doubles the pause up to its ceiling, jittered between half and all of it, and starts short after a success', async () => {
    const lowest = new Backoff(2, 16, () => 0);
    const highest = new Backoff(2, 16, () => 1 - Number.EPSILON);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => seen.push(lowest.schedule(resolve)!));
    expect(seen).toEqual([1, 2, 4, 8, 8]);
    const high: number[] = [];
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => high.push(highest.schedule(resolve)!));
    expect(high.map(Math.round)).toEqual([2, 4, 8, 16, 16]);
    lowest.succeeded();
    await new Promise<void>((resolve) => expect(lowest.schedule(resolve)).toBe(1));
  });

  it('keeps one retry waiting at a time, and a cancelled one never runs', async () => {
    const backoff = new Backoff(5, 40);
    const first = vi.fn();
    const second = vi.fn();
    expect(backoff.schedule(first)).not.toBeNull();
    expect(backoff.schedule(second)).toBeNull();
    await vi.waitFor(() => expect(first).toHaveBeenCalledOnce());
    expect(second).not.toHaveBeenCalled();

    const cancelled = vi.fn();
    backoff.schedule(cancelled);
    backoff.cancel();
    // The next retry waits 10–20 ms, the cancelled one 5–10: had it not been dropped, it would have run first.
    await new Promise<void>((resolve) => backoff.schedule(resolve));
    expect(cancelled).not.toHaveBeenCalled();
  });
});
