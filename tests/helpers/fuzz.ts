/**
 * Seeded randomness for fuzz tests. Every fuzz test prints its seed; run it
 * again with `FUZZ_SEED=<seed>` to replay the same cases. `FUZZ_CASES` and
 * `FUZZ_MS` change the budget (the time bound only ends the loop, it never fails a test).
 */
import { scaled } from './patience';

/** A small, fast, seedable PRNG (mulberry32). */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  /** A random string from a mix of ASCII, control characters, and astral and odd Unicode. */
  string(maxLength: number): string {
    const alphabet = [
      'a',
      'Z',
      '0',
      ' ',
      '\u0000',
      '\u001f',
      '\u007f',
      '"',
      '\\',
      '<',
      '>',
      '/',
      '.',
      '%',
      '\u00e9',
      '\u200b',
      '\u202e',
      '\ud83c\udf31',
      '\ud800',
      '\ufffd'
    ];
    const length = this.int(maxLength + 1);
    let s = '';
    for (let i = 0; i < length; i++) s += this.pick(alphabet);
    return s;
  }
}

/** The seed from `FUZZ_SEED`, or a fresh one; printed so a failure can be replayed. */
export function fuzzSeed(label: string): number {
  const fromEnv = process.env.FUZZ_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
  console.log(`[fuzz] ${label}: seed ${seed} (replay with FUZZ_SEED=${seed})`);
  return seed;
}

/** How long a fuzz loop may go on: `cases` at most; after `ms`, it ends as soon as it has sent `minimum`. */
export interface FuzzBudget {
  cases: number;
  ms: number;
  minimum: number;
}

/**
 * A fuzz loop's budget: up to `cases` cases, ended after `ms` once at least `minimum` were sent. The time does not grow
 * with the load: the loops are all CPU, so on a busy machine a longer loop only bought more cases at everyone else's
 * expense (four times the time at load 8 on two cores). The floor is kept by running on until it is reached instead: a
 * loop that does nothing never reaches it and fails by its test's timeout, and the tests still assert it.
 */
export function fuzzBudget(cases: number, ms: number, minimum: number): FuzzBudget {
  const envCases = Number(process.env.FUZZ_CASES);
  const envMs = Number(process.env.FUZZ_MS);
  return { cases: envCases > 0 ? envCases : cases, ms: envMs > 0 ? envMs : ms, minimum: Math.min(minimum, envCases > 0 ? envCases : cases) };
}

/** Whether a loop that started at `started` and sent `cases` is done under `budget`. */
export function fuzzDone(budget: FuzzBudget, cases: number, started: number): boolean {
  return cases >= budget.cases || (Date.now() - started >= budget.ms && cases >= budget.minimum);
}

/**
 * The test's own timeout for a fuzz loop of `budget`: the loop's time plus a minute (grown with the load) for the set-up
 * and the checks after it. The project's default (30 s, grown with the load when the run started) was shorter than a
 * loop whose time grew with the load later in the run: at load 9 the Yjs loop's 40 s met a 30 s timeout.
 */
export function fuzzTimeout(budget: FuzzBudget): number {
  return budget.ms + scaled(60_000);
}

/** An array nested `depth` levels deep (built without recursion). */
export function deepArray(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** An object nested `depth` levels deep. */
export function deepObject(depth: number): unknown {
  let value: unknown = { leaf: true };
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** Objects that try to pollute prototypes once parsed or merged (own `__proto__` keys, as JSON.parse makes them). */
export const POLLUTERS: readonly (() => unknown)[] = [
  () => JSON.parse('{"__proto__":{"polluted":"yes"}}'),
  () => JSON.parse('{"constructor":{"prototype":{"polluted":"yes"}}}'),
  () => JSON.parse('{"factor":1,"answer":3,"__proto__":{"polluted":"yes"}}'),
  () => JSON.parse('{"weakBelow":2,"__proto__":{"dotsPerPerson":99,"polluted":"yes"}}'),
  () => JSON.parse('{"confirm":true,"__proto__":{"polluted":"yes"}}'),
  () => JSON.parse('{"toString":"x","valueOf":1,"hasOwnProperty":null}')
];

/** Any JSON value, sometimes nested. */
export function randomJson(rng: Rng, depth = 3): unknown {
  switch (rng.int(depth > 0 ? 9 : 6)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1, 1.5, 12, 13, 40, 41, -0, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, Number.MAX_SAFE_INTEGER + 2, 0.1 + 0.2]);
    case 3:
      return rng.int(50) - 10;
    case 4:
      return rng.string(40);
    case 5:
      return rng.pick(['', 'unknown', 'voting', 'closed', 'true', '1', 'null', 'NaN', '__proto__', 'constructor']);
    case 6:
      return Array.from({ length: rng.int(5) }, () => randomJson(rng, depth - 1));
    default: {
      const keys = ['factor', 'answer', 'comment', 'phase', 'countdownSeconds', 'participantId', 'weakBelow', 'divergentBelow', 'dotsPerPerson'];
      const more = ['actionId', 'delta', 'sourceId', 'targetId', 'toIndex', 'confirm', 'x', '', '__proto__', 'constructor', 'role', 'token'];
      const object: Record<string, unknown> = {};
      for (let i = rng.int(5); i > 0; i--)
        Object.defineProperty(object, rng.pick([...keys, ...more]), {
          value: randomJson(rng, depth - 1),
          enumerable: true,
          configurable: true,
          writable: true
        });
      return object;
    }
  }
}

/** A hostile value: huge, deep, binary, polluting or plain odd. */
export function hostileValue(rng: Rng, maxBytes: number): unknown {
  switch (rng.int(8)) {
    case 0:
      return 'x'.repeat(rng.range(maxBytes / 2, maxBytes));
    case 1:
      return deepArray(rng.range(100, Math.floor(maxBytes / 3)));
    case 2:
      return deepObject(rng.range(50, Math.floor(maxBytes / 8)));
    case 3:
      return Buffer.from(rng.bytes(rng.int(2048)));
    case 4:
      return rng.pick(POLLUTERS)();
    case 5:
      return Array.from({ length: rng.range(100, 1000) }, () => rng.int(100));
    case 6:
      return { factor: rng.pick([1, 2, 12]), answer: rng.pick([1, 3, 5, 'unknown']), comment: rng.string(600) };
    default:
      return randomJson(rng, 4);
  }
}

/**
 * A variation of a valid payload: one field changed to something random, a
 * field dropped or an extra one added. Sometimes it stays valid.
 */
export function mutate(rng: Rng, valid: Record<string, unknown>, pool: readonly unknown[] = []): unknown {
  const copy: Record<string, unknown> = { ...valid };
  const keys = Object.keys(copy);
  switch (rng.int(5)) {
    case 0:
      if (keys.length > 0) delete copy[rng.pick(keys)];
      return copy;
    case 1:
      copy[rng.pick(['extra', 'participantId', 'role', 'round', 'phase'])] = randomJson(rng, 1);
      return copy;
    case 2:
      if (keys.length > 0 && pool.length > 0) copy[rng.pick(keys)] = rng.pick(pool);
      return copy;
    case 3:
      return valid;
    default:
      if (keys.length > 0) copy[rng.pick(keys)] = randomJson(rng, 1);
      return copy;
  }
}
