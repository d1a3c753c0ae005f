import { describe, expect, it } from 'vitest';
import { JoinLimiter } from '../../server/security/window-limiter';
import { AddressLimit, GuessLimiter, MemoryAddressEvents } from '../../server/security/address-limits';
import { OriginPolicy } from '../../server/security/origin';
import { TokenBucket } from '../../server/security/rate';

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const takeMany = (bucket: TokenBucket, count: number) => Array.from({ length: count }, () => bucket.take());

describe('TokenBucket', () => {
  it('allows a burst, then refuses', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(1, 3, clock.now);
    expect(takeMany(bucket, 4)).toEqual([true, true, true, false]);
  });

  it('refills at the rate per second', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(1, 3, clock.now);
    takeMany(bucket, 3);
    clock.advance(500);
    expect(bucket.take()).toBe(false); // 0.5 token
    clock.advance(500);
    expect(bucket.take()).toBe(true); // 1 token
    expect(bucket.take()).toBe(false);
  });

  it('a faster rate refills faster', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(4, 2, clock.now);
    takeMany(bucket, 2);
    clock.advance(250);
    expect(takeMany(bucket, 2)).toEqual([true, false]);
    clock.advance(500);
    expect(takeMany(bucket, 3)).toEqual([true, true, false]);
  });

  it('never holds more than the burst however long it waits', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(10, 5, clock.now);
    takeMany(bucket, 5);
    clock.advance(3_600_000);
    expect(takeMany(bucket, 6)).toEqual([true, true, true, true, true, false]);
  });

  it('refusals do not cost tokens', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(1, 1, clock.now);
    expect(bucket.take()).toBe(true);
    for (let i = 0; i < 5; i++) {
      clock.advance(100);
      expect(bucket.take()).toBe(false);
    }
    clock.advance(500); // 1000 ms since the last success
    expect(bucket.take()).toBe(true);
  });
});

describe('JoinLimiter', () => {
  it('allows perMinute attempts per address, then refuses', () => {
    const clock = fakeClock();
    const limiter = new JoinLimiter(3, clock.now);
    expect(['a', 'a', 'a', 'a'].map((ip) => limiter.allow(ip))).toEqual([true, true, true, false]);
    expect(limiter.allow('b')).toBe(true);
  });

  it('is a sliding minute', () => {
    const clock = fakeClock();
    const limiter = new JoinLimiter(3, clock.now);
    limiter.allow('a'); // t = 0
    clock.advance(10_000);
    limiter.allow('a'); // t = 10 s
    clock.advance(10_000);
    limiter.allow('a'); // t = 20 s
    clock.advance(39_999); // t = 59.999 s
    expect(limiter.allow('a')).toBe(false);
    clock.advance(1); // t = 60 s: the first attempt has expired
    expect(limiter.allow('a')).toBe(true);
    expect(limiter.allow('a')).toBe(false);
    clock.advance(10_000); // t = 70 s: the second has expired
    expect(limiter.allow('a')).toBe(true);
    expect(limiter.allow('a')).toBe(false);
  });

  it('refused attempts do not extend the block', () => {
    const clock = fakeClock();
    const limiter = new JoinLimiter(1, clock.now);
    expect(limiter.allow('a')).toBe(true);
    for (let i = 0; i < 10; i++) {
      clock.advance(5_000);
      expect(limiter.allow('a')).toBe(false);
    }
    clock.advance(10_000); // 60 s after the one allowed attempt
    expect(limiter.allow('a')).toBe(true);
  });

  it('perMinute 0 means no limit', () => {
    const limiter = new JoinLimiter(0, () => 0);
    expect(Array.from({ length: 100 }, () => limiter.allow('a')).every(Boolean)).toBe(true);
  });

  it('keeps working with many addresses', () => {
    const clock = fakeClock();
    const limiter = new JoinLimiter(1, clock.now);
    for (let i = 0; i < 10_050; i++) limiter.allow(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.allow('10.0.0.0')).toBe(false);
    clock.advance(60_000);
    expect(limiter.allow('10.0.0.0')).toBe(true);
  });
});

describe('OriginPolicy', () => {
  it.each<{ name: string; extra?: string[]; origin: string | undefined; host: string | undefined; ok: boolean }>([
    { name: 'no Origin header (non-browser client)', origin: undefined, host: 'localhost:3000', ok: true },
    { name: 'same origin', origin: 'http://localhost:3000', host: 'localhost:3000', ok: true },
    { name: 'same origin, upper case', origin: 'HTTP://LOCALHOST:3000', host: 'Localhost:3000', ok: true },
    { name: 'same origin, https default port omitted', origin: 'https://board.example.org', host: 'board.example.org', ok: true },
    { name: 'same origin, explicit default port', origin: 'https://board.example.org:443', host: 'board.example.org', ok: true },
    { name: 'other host', origin: 'http://evil.test', host: 'localhost:3000', ok: false },
    { name: 'other port', origin: 'http://localhost:3001', host: 'localhost:3000', ok: false },
    { name: 'look-alike subdomain', origin: 'http://localhost:3000.evil.test', host: 'localhost:3000', ok: false },
    { name: 'opaque "null" origin', origin: 'null', host: 'localhost:3000', ok: false },
    { name: 'garbage origin', origin: 'not a url', host: 'localhost:3000', ok: false },
    { name: 'no Host header', origin: 'http://localhost:3000', host: undefined, ok: false },
    {
      name: 'listed origin (trailing slash in config)',
      extra: ['https://board.example.org/'],
      origin: 'https://board.example.org',
      host: 'internal:3000',
      ok: true
    },
    {
      name: 'listed origin (config in upper case)',
      extra: ['HTTPS://Board.Example.org'],
      origin: 'https://board.example.org',
      host: 'internal:3000',
      ok: true
    },
    { name: 'listed origin without Host', extra: ['https://board.example.org'], origin: 'https://board.example.org', host: undefined, ok: true },
    { name: 'listed origin, other scheme', extra: ['https://board.example.org'], origin: 'http://board.example.org', host: 'internal:3000', ok: false },
    { name: 'not listed', extra: ['https://board.example.org'], origin: 'https://other.example.org', host: 'internal:3000', ok: false }
  ])('$name → $ok', ({ extra, origin, host, ok }) => {
    expect(new OriginPolicy(extra).allows(origin, host)).toBe(ok);
  });
});

describe('AddressLimit and GuessLimiter in memory', () => {
  it('counts per kind and address in a sliding window; 0 means no limit', async () => {
    let now = 0;
    const events = new MemoryAddressEvents(() => now);
    const sessions = new AddressLimit(events, 'session', 2, 1000);
    const communities = new AddressLimit(events, 'community', 2, 1000);
    expect([await sessions.allow('a'), await sessions.allow('a'), await sessions.allow('a')]).toEqual([true, true, false]);
    expect([await sessions.blocked('a'), await sessions.blocked('b'), await communities.blocked('a')]).toEqual([true, false, false]);
    now = 1000;
    expect(await sessions.blocked('a')).toBe(false);
    const none = new AddressLimit(events, 'session', 0, 1000);
    for (let i = 0; i < 5; i++) expect(await none.allow('a')).toBe(true);
    expect(await none.blocked('a')).toBe(false);
  });

  it('a guesser is blocked after its misses, for every door, until the minute has passed', async () => {
    let now = 0;
    const guesses = new GuessLimiter(3, new MemoryAddressEvents(() => now));
    for (let i = 0; i < 3; i++) {
      expect(await guesses.blocked('x')).toBe(false);
      await guesses.miss('x');
    }
    expect([await guesses.blocked('x'), await guesses.blocked('y')]).toEqual([true, false]);
    now = 59_999;
    expect(await guesses.blocked('x')).toBe(true);
    now = 60_000;
    expect(await guesses.blocked('x')).toBe(false);
  });
});
