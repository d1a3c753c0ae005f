/**
 * The account as a facilitator credential (issue 24): the one place that decides whether a request or a
 * socket.io handshake WITHOUT a facilitator token but WITH the account cookie steers a session or a community.
 * REST (server/http/api.ts `allowed` and `authorisedCommunity`), the socket.io handshake
 * (server/realtime/socket-server.ts) and, through tickets, the Yjs upgrade all come here, so the rule reads once:
 *
 * - the cookie counts only for a request from this site: a browser request from another origin
 *   (`Origin` not ours, or `Sec-Fetch-Site` cross-site / same-site) is treated as if it had no cookie, so a
 *   page elsewhere can neither steer a session nor read a community through a signed-in facilitator's browser
 *   (SameSite=Lax still sends the cookie on a top-level navigation, and same-site siblings share it);
 * - the account facilitates a session when it has a membership (owner or facilitator) of the session itself or
 *   of the session's community; it steers a community with a membership of the community.
 *
 * The bearer tokens keep working exactly as before: this only adds a second way in.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { OriginPolicy } from '../security/origin';
import type { MembershipKind, MembershipRole } from '../store/types';
import type { Identity } from '../sessions/projections';

/** Resolves the `seeds_session` cookie to its account (server/accounts/service.ts). */
export interface CookieAccounts {
  accountOfCookieHeader(header: string | undefined): Promise<{ id: string; name: string } | null>;
  /** The same for a request whose response may carry the cookie again (its expiry slid). */
  accountOf?(req: IncomingMessage, res?: ServerResponse): Promise<{ id: string; name: string } | null>;
}

/** The one membership read access needs: the strongest role the account has of any of these targets. */
export interface MembershipReader {
  membershipRole(accountId: string, targets: readonly { kind: MembershipKind; target: string }[]): Promise<MembershipRole | null>;
}

/** What access knows of a session: its id and its community. */
export interface SessionRef {
  id: string;
  communityId: string | null;
}

/** The targets whose membership makes an account a facilitator of a session. */
export function sessionTargets(session: SessionRef): { kind: MembershipKind; target: string }[] {
  const targets: { kind: MembershipKind; target: string }[] = [{ kind: 'session', target: session.id }];
  if (session.communityId) targets.push({ kind: 'community', target: session.communityId });
  return targets;
}

/** Browser fetch metadata that says the request came from this site's own pages (or was typed / bookmarked). */
const SAME_SITE_FETCH = new Set(['same-origin', 'none']);

export class FacilitatorAccess {
  constructor(
    private readonly accounts: CookieAccounts,
    private readonly memberships: MembershipReader,
    private readonly origins: OriginPolicy
  ) {}

  /**
   * Whether the cookie of a request with these headers may be used: not from another origin. Requests with no
   * Origin and no fetch metadata come from non-browser clients, whose cookie someone had to copy by hand.
   */
  cookieUsable(headers: IncomingHttpHeaders): boolean {
    const origin = typeof headers.origin === 'string' ? headers.origin : undefined;
    if (origin !== undefined && !this.origins.allows(origin, headers.host)) return false;
    const site = headers['sec-fetch-site'];
    if (typeof site === 'string' && !SAME_SITE_FETCH.has(site)) {
      // A same-origin Origin header vouches for the request even where a browser labels it same-site (a proxy in front).
      return origin !== undefined && site === 'same-site' && this.origins.allows(origin, headers.host);
    }
    return true;
  }

  /** The signed-in account of a request, or null (no cookie, an expired one, or a request from another origin). */
  async accountOf(headers: IncomingHttpHeaders): Promise<string | null> {
    if (!headers.cookie || !this.cookieUsable(headers)) return null;
    const account = await this.accounts.accountOfCookieHeader(headers.cookie);
    return account?.id ?? null;
  }

  /**
   * Who the cookie signs in, whatever page sent it: only for answering "who am I" (`GET /api/me`), which grants
   * nothing and which no other site can read (no CORS). Never for steering or reading a session or community.
   */
  signedIn(req: IncomingMessage, res: ServerResponse): Promise<{ id: string; name: string } | null> {
    // The page asks this on every load: where the stored expiry slid, the cookie slides too (./service.ts).
    return this.accounts.accountOf ? this.accounts.accountOf(req, res) : this.accounts.accountOfCookieHeader(req.headers.cookie);
  }

  /** The role the account has on a session (through the session or its community), or null. */
  sessionRole(accountId: string, session: SessionRef): Promise<MembershipRole | null> {
    return this.memberships.membershipRole(accountId, sessionTargets(session));
  }

  /** The role the account has on a community, or null. */
  communityRole(accountId: string, communityId: string): Promise<MembershipRole | null> {
    return this.memberships.membershipRole(accountId, [{ kind: 'community', target: communityId }]);
  }

  /** The facilitator identity the request's cookie gives it on this session, or null (no usable cookie, no membership). */
  async sessionFacilitator(headers: IncomingHttpHeaders, session: SessionRef): Promise<Identity | null> {
    const accountId = await this.accountOf(headers);
    if (!accountId) return null;
    // Stamped before the read: a removal that lands while it runs is at or after this instant (LiveSession.isCurrent).
    const admittedAt = Date.now();
    return (await this.sessionRole(accountId, session)) ? { role: 'facilitator', accountId, admittedAt } : null;
  }

  /** The account whose cookie lets the request steer this community (with its role), or null. */
  async communityMember(headers: IncomingHttpHeaders, communityId: string): Promise<{ accountId: string; role: MembershipRole } | null> {
    const accountId = await this.accountOf(headers);
    if (!accountId) return null;
    const role = await this.communityRole(accountId, communityId);
    return role ? { accountId, role } : null;
  }
}
