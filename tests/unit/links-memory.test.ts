/**
 * What per-address limit keys keep alive. proxy-addr answers a cut of the X-Forwarded-For header, and V8 keeps a
 * cut of 13 characters or more as a slice of the whole string: a key kept as such a cut (in limitKey's memo, in a
 * limit's counts) held its request's whole header, 16 kB each, 55 MiB for 4,000 requests of one client's /64.
 */
import { describe, expect, it } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { IncomingMessage } from 'node:http';
import { limitKey, RequestContext } from '../../server/http/links';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** Fills the memo with short addresses of its own (under 13 characters: never slices), so that what it held before is let go. */
const flush = () => {
  for (let i = 0; i < 4096; i++) limitKey(`10.1.${i >> 8}.${i & 255}`);
};
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

describe('limitKey memo', () => {
  it('does not keep forwarded headers alive (one IPv6 /64 behind a trusted proxy, 14 kB of junk each)', () => {
    const context = new RequestContext(null, 'loopback');
    const request = (i: number): IncomingMessage => {
      // Each request's own header (a new string): junk the client sent, then its address as the proxy appended it.
      const junk = `${i}`.padEnd(14_000, 'x');
      const header = `${junk}, 2001:db8:1:2:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}:aaaa:bbbb`;
      return { headers: { 'x-forwarded-for': header }, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
    };
    flush();
    const before = heap();
    const keys = new Set<string>();
    for (let i = 0; i < 4000; i++) keys.add(context.clientAddress(request(i)));
    // One client: one limit key.
    expect([...keys]).toEqual(['2001:db8:1:2::/64']);
    const retained = heap() - before;
    console.log(`retained after 4000 requests: ${(retained / 2 ** 20).toFixed(1)} MiB`);
    // 4000 kept addresses of ~40 characters are well under 1 MiB.
    expect(retained).toBeLessThan(4 * 2 ** 20);
  });
});

describe('limitKey memo, TRUST_PROXY=true', () => {
  it('does not keep forwarded headers alive (a leftmost entry of junk, 14 kB header each)', () => {
    const context = new RequestContext(null, 'true');
    const request = (i: number): IncomingMessage =>
      ({
        headers: { 'x-forwarded-for': `junk-${i}-padding-padding, ${'y'.repeat(14_000)}${i}` },
        socket: { remoteAddress: '127.0.0.1' }
      }) as unknown as IncomingMessage;
    flush();
    const before = heap();
    for (let i = 0; i < 4000; i++) expect(context.clientAddress(request(i))).toBe(`junk-${i}-padding-padding`);
    const retained = heap() - before;
    console.log(`retained after 4000 requests: ${(retained / 2 ** 20).toFixed(1)} MiB`);
    expect(retained).toBeLessThan(4 * 2 ** 20);
  });
});
