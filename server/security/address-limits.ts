import { WindowLimiter } from './window-limiter';

/**
 * What is counted per client address: failed lookups (code guessing), creations (sessions,
 * communities, paper and imported sessions), and new participants (`join`, counted per
 * address and session: the address key names the session), sign-in attempts (`signin`: passkey and
 * recovery-code sign-ins, finished or not, and sign-ins started at the identity provider), new accounts (`account`)
 * and invite attempts (`invite`: co-facilitator invite links made or taken, valid or not).
 */
export type AddressEventKind = 'guess' | 'session' | 'community' | 'paper' | 'join' | 'signin' | 'account' | 'organisation' | 'invite';

/**
 * Where per-address events are counted, in a sliding window: in this process
 * alone (one instance), or in PostgreSQL, shared by every instance of a cluster
 * (`server/cluster/shared-address-counts.ts`), so that an address gets its limit once
 * however many instances its requests reach (docs/scaling.md).
 */
export interface AddressEvents {
  /**
   * Records one event of `kind` for `address`, unless it already has `limit`
   * within the last `windowMs` milliseconds: then nothing is recorded and the
   * answer is false. A limit of 0 means no limit.
   */
  allow(kind: AddressEventKind, address: string, limit: number, windowMs: number): Promise<boolean>;
  /** Whether `address` has `limit` events of `kind` within the last `windowMs` ms (never with a limit of 0). */
  blocked(kind: AddressEventKind, address: string, limit: number, windowMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Counts in this process's memory (one sliding window per kind and limit). */
export class MemoryAddressEvents implements AddressEvents {
  private readonly windows = new Map<string, WindowLimiter>();

  constructor(private readonly now: () => number = Date.now) {}

  private window(kind: AddressEventKind, limit: number, windowMs: number): WindowLimiter {
    const key = `${kind} ${limit} ${windowMs}`;
    let window = this.windows.get(key);
    if (!window) this.windows.set(key, (window = new WindowLimiter(limit, this.now, windowMs)));
    return window;
  }

  async allow(kind: AddressEventKind, address: string, limit: number, windowMs: number): Promise<boolean> {
    return this.window(kind, limit, windowMs).allow(address);
  }

  async blocked(kind: AddressEventKind, address: string, limit: number, windowMs: number): Promise<boolean> {
    return this.window(kind, limit, windowMs).blocked(address);
  }

  async close(): Promise<void> {}
}

/** One limit: `limit` events of `kind` per address per `windowMs` (0 = none), counted by `events`. */
export class AddressLimit {
  constructor(
    private readonly events: AddressEvents,
    private readonly kind: AddressEventKind,
    private readonly limit: number,
    private readonly windowMs: number
  ) {}

  /** Records an attempt; false (and not recorded) when the address is over its limit. */
  allow(address: string): Promise<boolean> {
    return this.limit === 0 ? Promise.resolve(true) : this.events.allow(this.kind, address, this.limit, this.windowMs);
  }

  /** Whether the address is over its limit now, without recording anything. */
  blocked(address: string): Promise<boolean> {
    return this.limit === 0 ? Promise.resolve(false) : this.events.blocked(this.kind, address, this.limit, this.windowMs);
  }
}

/**
 * Code guessing, limited where it happens: every endpoint that looks a session
 * up by code (REST, QR, exports, the socket.io handshake, the Yjs upgrade)
 * reports a miss (unknown code, refused token) here, and once an address has
 * missed too often, all of them refuse it for a while — known codes too, so
 * the answer tells a guesser nothing. Joining a known session is limited per
 * address only generously (JOINS_PER_ADDRESS new participants per session and
 * hour, kind `join`): a whole room may sit behind one NAT. Counted by `AddressEvents`:
 * in this process, or shared by every instance of a cluster.
 */
export class GuessLimiter {
  private readonly misses: AddressLimit;

  constructor(missesPerMinute: number, events: AddressEvents = new MemoryAddressEvents()) {
    this.misses = new AddressLimit(events, 'guess', missesPerMinute, 60_000);
  }

  /** Whether lookups from this address are refused right now. */
  blocked(address: string): Promise<boolean> {
    return this.misses.blocked(address);
  }

  /** Records a failed lookup (unknown code or refused credential). */
  async miss(address: string): Promise<void> {
    await this.misses.allow(address);
  }
}
