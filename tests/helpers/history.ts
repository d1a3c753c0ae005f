/**
 * The history of what a test was told, checked against what the database holds at the end.
 *
 * A test records each operation it sends (`attempt`: which key it sets to which value) and marks it
 * `acknowledged` when the server confirmed it; it records what a server showed it (`observed`: a
 * snapshot after a takeover is a promise too: the new owner serves it as the state). At the end,
 * `check` compares the stored state with the history, key by key (a stored key the history never
 * heard of is a write nobody sent). The stored value must be the
 * value of the latest acknowledgement or observation of that key; or the value of an operation that
 * was never acknowledged but was sent after that latest one (it may have landed: a write whose
 * answer was lost on the way is the safe direction). So an acknowledged write overwritten by an
 * older one, an acknowledged write lost, or a write of an old owner landing after the new owner
 * served its state, each shows up as a violation naming the key.
 */

const ABSENT = Symbol('absent');

/** A stored or expected value; `undefined` means "not stored" (no row). */
export type Value = unknown;

interface Attempt {
  key: string;
  value: Value;
  sentAt: number;
  ackedAt: number | null;
  label: string;
}

interface Observation {
  key: string;
  value: Value;
  at: number;
}

const same = (a: Value, b: Value) => JSON.stringify(a ?? ABSENT.toString()) === JSON.stringify(b ?? ABSENT.toString());
const show = (v: Value) => (v === undefined ? '(nothing)' : JSON.stringify(v));

export class History {
  private clock = 0;
  private readonly attempts: Attempt[] = [];
  private readonly observations: Observation[] = [];

  /** An operation is sent that sets `key` to `value`; call `acknowledged()` on what this returns once the server confirmed it. */
  attempt(key: string, value: Value, label = `${key} = ${show(value)}`): { acknowledged(): void } {
    const entry: Attempt = { key, value, sentAt: ++this.clock, ackedAt: null, label };
    this.attempts.push(entry);
    return { acknowledged: () => void (entry.ackedAt = ++this.clock) };
  }

  /** Sends with `send` and records it acknowledged when `isAck` says the answer confirms it; returns the answer (null: none came). */
  async run<T>(key: string, value: Value, send: () => Promise<T>, isAck: (answer: T | null) => boolean): Promise<T | null> {
    const entry = this.attempt(key, value);
    // No answer at all (a timeout, a closed connection) is not an acknowledgement either.
    const answer = await send().catch(() => null);
    if (isAck(answer)) entry.acknowledged();
    return answer;
  }

  /** A server showed `key` as `value` (undefined: not set). */
  observed(key: string, value: Value): void {
    this.observations.push({ key, value, at: ++this.clock });
  }

  /** The keys this history knows about. */
  keys(): string[] {
    return [...new Set([...this.attempts.map((a) => a.key), ...this.observations.map((o) => o.key)])];
  }

  /** What is wrong with `stored` (key → value as read from the database), as sentences; empty when it matches the history. */
  check(stored: ReadonlyMap<string, Value>): string[] {
    const problems: string[] = [];
    for (const key of this.keys()) {
      const settled = [
        ...this.attempts.filter((a) => a.key === key && a.ackedAt !== null).map((a) => ({ value: a.value, at: a.ackedAt!, what: `acknowledged ${a.label}` })),
        ...this.observations.filter((o) => o.key === key).map((o) => ({ value: o.value, at: o.at, what: `observed ${key} = ${show(o.value)}` }))
      ].sort((x, y) => x.at - y.at);
      const last = settled.at(-1);
      const since = last?.at ?? 0;
      const allowed: Value[] = [
        last ? last.value : undefined,
        ...this.attempts.filter((a) => a.key === key && a.ackedAt === null && a.sentAt > since).map((a) => a.value)
      ];
      const value = stored.get(key);
      if (!allowed.some((v) => same(v, value))) {
        problems.push(`${key}: stored ${show(value)}, but the last thing the history settled was ${last ? last.what : '(nothing: never set)'}`);
      }
    }
    // Nothing is stored that was never sent.
    const known = new Set(this.keys());
    for (const [key, value] of stored) if (value !== undefined && !known.has(key)) problems.push(`${key}: stored ${show(value)}, but never sent`);
    return problems;
  }
}
