import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';

/**
 * Where public links point and who the client is, decided in one place for
 * REST, socket.io and the Yjs upgrade. Forwarded headers (`X-Forwarded-Proto`,
 * `X-Forwarded-Host`, `X-Forwarded-For`) count only when the peer that sent
 * them is a trusted proxy (`TRUST_PROXY`, the same syntax as Express's
 * `trust proxy`: `loopback`, `false`, `true`, or addresses/CIDRs separated by commas).
 */
export class RequestContext {
  private readonly trust: (address: string, hop: number) => boolean;

  /**
   * @param publicUrl `PUBLIC_URL` without a trailing slash, or null to take the base from each request.
   * @param trustProxy the `TRUST_PROXY` setting.
   */
  constructor(
    readonly publicUrl: string | null,
    trustProxy: string
  ) {
    this.trust = compileTrust(trustProxy);
  }

  private fromTrustedProxy(request: IncomingMessage): boolean {
    const peer = request.socket?.remoteAddress;
    return peer !== undefined && this.trust(peer, 0);
  }

  /** The origin links should use, e.g. `https://board.example.org`. */
  origin(request: IncomingMessage): string {
    if (this.publicUrl) return this.publicUrl;
    const trusted = this.fromTrustedProxy(request);
    const forwardedProto = trusted ? firstValue(request.headers['x-forwarded-proto']) : null;
    const forwardedHost = trusted ? firstValue(request.headers['x-forwarded-host']) : null;
    const encrypted = Boolean((request.socket as { encrypted?: boolean } | undefined)?.encrypted);
    const proto = forwardedProto && /^https?$/i.test(forwardedProto) ? forwardedProto.toLowerCase() : encrypted ? 'https' : 'http';
    const host = (forwardedHost && isHost(forwardedHost) ? forwardedHost : null) ?? validHost(request.headers.host) ?? 'localhost';
    return `${proto}://${host}`;
  }

  /**
   * The client as per-address limits count it: its address, following
   * `X-Forwarded-For` only through trusted proxies; an IPv6 client is its /64
   * (one home line or phone holds a whole /64, so counting single addresses
   * would give it billions of allowances), an IPv4-mapped one its IPv4 address.
   */
  clientAddress(request: IncomingMessage): string {
    let address: string | undefined;
    try {
      address = proxyaddr(request as Parameters<typeof proxyaddr>[0], this.trust);
    } catch {
      address = request.socket?.remoteAddress;
    }
    // A socket whose peer reset before its address was read has none (proxy-addr then answers undefined).
    return limitKey(address ?? 'unknown');
  }
}

/** How much of something that is not an IP address is kept as a limit key, in characters. */
const OTHER_KEY_MAX = 64;

/** Addresses whose keys are kept, and the longest kept (an IPv6 address with a zone fits; a header of junk does not). */
const KEPT_ADDRESSES = 4096;
const KEPT_ADDRESS_MAX = 64;
const limitKeys = new Map<string, string>();

/**
 * The key per-address limits use for an address (see `clientAddress`). What a
 * proxy forwarded may be anything (a header of 16 kB behind `TRUST_PROXY=true`);
 * the key it becomes is bounded, since it is kept in memory or in PostgreSQL.
 */
export function limitKey(address: string): string {
  // A request asks for its client's key several times (the join limit, the code-guess limit, …), and a room's
  // people come from a few addresses: parsing each time cost more than the limits' own work.
  const known = address.length <= KEPT_ADDRESS_MAX ? limitKeys.get(address) : undefined;
  if (known !== undefined) return known;
  const key = keyOf(address);
  if (address.length <= KEPT_ADDRESS_MAX) {
    // Bounded: addresses seen lately, started over when full (a proxy may forward anything). Kept as a copy: what
    // proxy-addr answers is a cut of the forwarded header, and V8 keeps a cut's whole string alive (16 kB each).
    if (limitKeys.size >= KEPT_ADDRESSES) limitKeys.clear();
    limitKeys.set(copyOf(address), key);
  }
  return key;
}

/** `text` in a string of its own, holding nothing of a longer string it was cut from. */
const copyOf = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');

function keyOf(address: string): string {
  // A copy: limits keep their keys, and a cut would keep the whole forwarded header with it.
  if (!ipaddr.isValid(address)) return copyOf(address.slice(0, OTHER_KEY_MAX));
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(':')}::/64`;
}

function compileTrust(setting: string): (address: string, hop: number) => boolean {
  const value = setting.trim().toLowerCase();
  if (value === '' || value === 'false' || value === '0') return () => false;
  if (value === 'true') return () => true;
  const compiled = proxyaddr.compile(value.split(',').map((s) => s.trim()));
  return (address, hop) => compiled(address, hop);
}

function firstValue(header: string | string[] | undefined): string | null {
  const raw = Array.isArray(header) ? header[0] : header;
  if (!raw) return null;
  const first = raw.split(',')[0].trim();
  return first || null;
}

/** A host[:port] with nothing that could turn a link into something else. */
function isHost(value: string): boolean {
  return value.length <= 255 && /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i.test(value);
}

function validHost(value: string | undefined): string | null {
  return value && isHost(value) ? value : null;
}

/** Every public link of a session (see docs/protocol.md, "Links"). */
export interface SessionLinks {
  joinUrl: string;
  facilitateUrl?: string;
  presenterUrl?: string;
}

/**
 * Builds a session's links from an origin. Credentials travel in the URL
 * fragment, which browsers never send to a server or proxy logs.
 */
export function sessionLinks(origin: string, code: string, credentials: { facilitatorToken?: string; presenterToken?: string } = {}): SessionLinks {
  const links: SessionLinks = { joinUrl: `${origin}/s/${code}` };
  if (credentials.facilitatorToken) links.facilitateUrl = `${origin}/s/${code}/facilitate#token=${credentials.facilitatorToken}`;
  if (credentials.presenterToken) links.presenterUrl = `${origin}/s/${code}/screen#key=${credentials.presenterToken}`;
  return links;
}

/** The community page's link, with its credential in the fragment (never sent to a server). */
export function communityUrl(origin: string, id: string, communityToken: string): string {
  return `${origin}/c/${id}#token=${communityToken}`;
}
