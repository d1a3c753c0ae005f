import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { limitKey, RequestContext } from '../../server/http/links';

/** A request as Node gives it: a peer address and headers. */
function request(remoteAddress: string, headers: Record<string, string> = {}): IncomingMessage {
  return { socket: { remoteAddress }, connection: { remoteAddress }, headers } as unknown as IncomingMessage;
}

describe('the client address per-address limits count', () => {
  it('follows X-Forwarded-For through trusted proxies only', () => {
    const context = new RequestContext(null, 'loopback');
    expect(context.clientAddress(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }))).toBe('203.0.113.7');
    expect(context.clientAddress(request('198.51.100.4', { 'x-forwarded-for': '203.0.113.7' }))).toBe('198.51.100.4');
  });

  it('counts a connection whose peer reset before its address was read as "unknown", without throwing', () => {
    // Node leaves remoteAddress undefined once the socket is gone; proxy-addr then answers undefined.
    const gone = { socket: {}, connection: {}, headers: {} } as unknown as IncomingMessage;
    expect(new RequestContext(null, 'loopback').clientAddress(gone)).toBe('unknown');
    expect(new RequestContext(null, 'true').clientAddress(gone)).toBe('unknown');
  });

  it('counts an IPv6 client as its /64 and an IPv4-mapped one as IPv4', () => {
    expect(limitKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(limitKey('2001:db8:1:2:ffff:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(limitKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('bounds what is not an address: a 10 kB forwarded header behind TRUST_PROXY=true becomes a short key', () => {
    const context = new RequestContext(null, 'true');
    const key = context.clientAddress(request('127.0.0.1', { 'x-forwarded-for': 'x'.repeat(10_000) }));
    expect(key).toBe('x'.repeat(64));
    expect(limitKey('not an address')).toBe('not an address');
  });

  it('gives the same keys when asked again, after many more addresses than it keeps', () => {
    const addresses = Array.from({ length: 10_000 }, (_, i) =>
      i % 2 ? `2001:db8:${i.toString(16)}:1::${i.toString(16)}` : `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`
    );
    const first = addresses.map(limitKey);
    expect(first[1]).toBe('2001:db8:1:1::/64');
    expect(first[2]).toBe('10.0.0.2');
    expect(addresses.map(limitKey)).toEqual(first);
    expect([...addresses].reverse().map(limitKey)).toEqual([...first].reverse());
  });
});
