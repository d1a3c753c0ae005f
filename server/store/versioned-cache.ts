/**
 * A bounded cache of values read from the database under a version the database keeps (e.g. a community's
 * `figures_version`, bumped by triggers whenever its figures may have changed). A value is only ever returned for
 * the exact version it was stored under, and the caller reads the current version from the database on every
 * request: so a value is never stale, on one instance or several, and the cache only saves re-reading and
 * re-parsing what did not change. Least recently used entries go first once the total weight passes `maxWeight`.
 */
export class VersionedCache<V> {
  private readonly entries = new Map<string, { version: number; value: V; weight: number }>();
  private weight = 0;

  constructor(
    private readonly maxWeight: number,
    private readonly weigh: (value: V) => number
  ) {}

  /** The value stored for `key` at exactly `version` (now the most recently used), or undefined. */
  get(key: string, version: number): V | undefined {
    const entry = this.entries.get(key);
    if (!entry || entry.version !== version) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, version: number, value: V): void {
    this.delete(key);
    const weight = this.weigh(value);
    if (weight > this.maxWeight) return;
    this.entries.set(key, { version, value, weight });
    this.weight += weight;
    // A Map iterates in insertion order, and get() re-inserts: the first key is the least recently used.
    for (const [oldest] of this.entries) {
      if (this.weight <= this.maxWeight) break;
      this.delete(oldest);
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.weight -= entry.weight;
  }

  /** Total weight held (for tests and the bench). */
  get size(): number {
    return this.weight;
  }
}
