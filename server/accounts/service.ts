import { randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseCookie, stringifySetCookie } from 'cookie';
import { generateId, generateToken, hashToken } from '../security/tokens';
import { OriginPolicy } from '../security/origin';
import type { RequestContext } from '../http/links';
import type { AccountHome, AccountRecord, AccountStore, MembershipKind, MembershipRole, Store } from '../store/types';
import { LIMITS } from '../../src/lib/protocol/limits';
import { clampText } from '../../src/lib/domain/text';
import { visibleText } from '../../src/lib/domain/names';

/** The cookie that carries a signed-in browser's session id (the server stores only its hash). */
export const SESSION_COOKIE = 'seeds_session';
/** A signed-in browser stays signed in this long after it was last seen (sliding). */
export const SESSION_DAYS = 30;
const DAY_MS = 86_400_000;
/** The stored expiry slides at most once per this interval: a page load is not a write. */
const TOUCH_EVERY_MS = 3_600_000;
/** Recovery codes given at sign-up, each used once. */
export const RECOVERY_CODES = 8;

/** What deleting an account does with what it owns. */
export interface DeleteOptions {
  /**
   * True: each community and session the account owns goes to its longest-standing co-facilitator, who becomes
   * its owner; what has none is deleted. False or absent: everything it owns alone is deleted.
   */
  handOver?: boolean;
}

export interface AccountServiceOptions {
  /** Builds the public origin of a request (PUBLIC_URL, TRUST_PROXY): whether the cookie is Secure, and the origin check. */
  requests: RequestContext;
  /** Origins allowed besides the request's own public origin (ALLOWED_ORIGINS, PUBLIC_URL). */
  allowedOrigins?: readonly string[];
  clock?: () => number;
  /** Deletes a community or session the account owned alone (with its live room), when the account is deleted. */
  deleteOwned?: (kind: MembershipKind, target: string) => Promise<void>;
}

/**
 * Facilitator accounts and their signed-in browsers (issue 24). The seam other parts build on: passkey
 * sign-in (./passkeys.ts), OpenID Connect sign-in (findOrCreateByExternalIdentity), and the pages and
 * routes that ask who is signed in (accountOf). Sessions are random ids in an HttpOnly cookie, stored
 * hashed; nothing here is cryptographic beyond generateToken and hashToken.
 */
export class AccountService {
  private readonly clock: () => number;
  private readonly origins: OriginPolicy;

  constructor(
    readonly store: AccountStore & Pick<Store, 'loadCommunity' | 'findSessionIdByCode'>,
    private readonly options: AccountServiceOptions
  ) {
    this.clock = options.clock ?? Date.now;
    this.origins = new OriginPolicy(options.allowedOrigins ?? []);
  }

  /** Makes an account with this display name (trimmed, bounded as a participant's name is). */
  async createAccount(name: string): Promise<AccountRecord> {
    const account: AccountRecord = { id: generateId(), name: accountName(name), createdAt: this.clock() };
    await this.store.createAccount(account);
    return account;
  }

  /** Signs the browser of `res` in as the account: a new session, its id in the cookie (Secure when the public origin is https). */
  async startSession(res: ServerResponse, accountId: string): Promise<void> {
    const id = generateToken();
    const now = this.clock();
    await this.store.createAccountSession({ idHash: hashToken(id), accountId, createdAt: now, lastSeenAt: now, expiresAt: now + SESSION_DAYS * DAY_MS });
    res.appendHeader('Set-Cookie', this.cookie(res.req, id, SESSION_DAYS * 86_400));
  }

  /**
   * The signed-in account of a request, or null (no cookie, unknown, expired or signed out). With `res`, a
   * browser whose expiry slid also gets its cookie again with a fresh Max-Age, so the cookie slides with it.
   */
  async accountOf(req: IncomingMessage, res?: ServerResponse): Promise<AccountRecord | null> {
    const found = await this.resolve(req.headers.cookie);
    if (found?.slid && res) res.appendHeader('Set-Cookie', this.cookie(req, found.id, SESSION_DAYS * 86_400));
    return found?.account ?? null;
  }

  /** The signed-in account a Cookie header names (the socket.io handshake and the Yjs upgrade have only headers). */
  async accountOfCookieHeader(header: string | undefined): Promise<AccountRecord | null> {
    return (await this.resolve(header))?.account ?? null;
  }

  private async resolve(header: string | undefined): Promise<{ account: AccountRecord; id: string; slid: boolean } | null> {
    const id = sessionIdOf(header);
    if (!id) return null;
    const idHash = hashToken(id);
    const now = this.clock();
    const session = await this.store.loadAccountSession(idHash, now);
    if (!session) return null;
    const account = await this.store.loadAccount(session.accountId);
    if (!account) return null;
    // Sliding expiry, written at most once an hour per browser.
    const slid = now - session.lastSeenAt >= TOUCH_EVERY_MS;
    if (slid) await this.store.touchAccountSession(idHash, now, now + SESSION_DAYS * DAY_MS);
    return { account, id, slid };
  }

  /** Signs this browser out: its session is deleted and the cookie cleared. */
  async signOut(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const id = sessionIdOf(req.headers.cookie);
    if (id) await this.store.deleteAccountSession(hashToken(id));
    res.appendHeader('Set-Cookie', this.cookie(req, '', 0));
  }

  /** Signs every browser of the account out (their next request is anonymous); answers how many. */
  signOutEverywhere(accountId: string): Promise<number> {
    return this.store.deleteAccountSessions(accountId);
  }

  /**
   * Deletes the account with its passkeys, recovery codes, browser sessions, identities and memberships. What it
   * owns is handed over (options.handOver) or deleted when nobody else owns it.
   */
  async deleteAccount(accountId: string, options: DeleteOptions = {}): Promise<void> {
    for (const membership of await this.store.listMemberships(accountId)) {
      if (membership.role !== 'owner') continue;
      const others = (await this.store.listMembers(membership.kind, membership.target)).filter((m) => m.accountId !== accountId);
      if (others.some((m) => m.role === 'owner')) continue;
      if (options.handOver && others.length > 0) {
        await this.store.setMembership({ ...others[0], role: 'owner' });
        continue;
      }
      await this.options.deleteOwned?.(membership.kind, membership.target);
      for (const other of others) await this.store.removeMembership(other.accountId, membership.kind, membership.target);
    }
    await this.store.deleteAccount(accountId);
  }

  /**
   * The account an OpenID Provider's (issuer, subject) signs in, made on its first sign-in with the profile's
   * name (or the e-mail's local part, or "Facilitator"). Race-free across instances (one transaction in the store).
   */
  async findOrCreateByExternalIdentity(issuer: string, subject: string, profile: { name?: string; email?: string } = {}): Promise<AccountRecord> {
    const now = this.clock();
    const fallback = profile.email?.split('@')[0];
    const candidate: AccountRecord = { id: generateId(), name: accountName(profile.name || fallback || 'Facilitator'), createdAt: now };
    const { account } = await this.store.findOrCreateByExternalIdentity({ issuer, subject, email: profile.email ?? null, createdAt: now }, candidate);
    return account;
  }

  /** New recovery codes for the account, replacing earlier ones: shown once, stored only hashed. */
  async issueRecoveryCodes(accountId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODES }, () => recoveryCode());
    await this.store.setRecoveryCodes(accountId, codes.map(normalizedCodeHash));
    return codes;
  }

  /** The account a recovery code signs in (using the code up), or null for an unknown or used code. */
  async useRecoveryCode(code: string): Promise<AccountRecord | null> {
    const normalized = normalizeRecoveryCode(code);
    if (!normalized) return null;
    const accountId = await this.store.useRecoveryCode(hashToken(normalized), this.clock());
    return accountId ? this.store.loadAccount(accountId) : null;
  }

  /** Records what an account owns or co-facilitates (a community by id, a session by id). */
  addMembership(accountId: string, kind: MembershipKind, target: string, role: MembershipRole): Promise<void> {
    return this.store.setMembership({ accountId, kind, target, role, addedAt: this.clock() });
  }

  /**
   * Records the signed-in account of a request (if any) as the owner of what it just created, so /home lists it.
   * A link-based creation without an account stays exactly as before.
   */
  async claimCreation(req: IncomingMessage, kind: MembershipKind, target: { id?: string; code?: string }): Promise<void> {
    const account = await this.accountOf(req);
    if (!account) return;
    const id = target.id ?? (target.code ? await this.store.findSessionIdByCode(target.code) : null);
    if (id) await this.addMembership(account.id, kind, id, 'owner');
  }

  /** The account's communities and sessions that still exist. */
  home(accountId: string): Promise<AccountHome> {
    return this.store.loadAccountHome(accountId);
  }

  /**
   * Whether a request comes from a page of this board: its Origin is the request's public origin or an
   * allowed one. A browser sends Origin on every POST, PUT, PATCH and DELETE, so a missing one is refused too.
   */
  sameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || origin === 'null') return false;
    if (req.headers['sec-fetch-site'] === 'cross-site') return false;
    return this.origins.allows(origin, new URL(this.options.requests.origin(req)).host);
  }

  /** Whether a request carries our session cookie at all (what the cross-site check guards). */
  static carriesSession(req: IncomingMessage): boolean {
    return sessionIdOf(req.headers.cookie) !== null;
  }

  private cookie(req: IncomingMessage, value: string, maxAge: number): string {
    const secure = this.options.requests.origin(req).startsWith('https:');
    return stringifySetCookie({ name: SESSION_COOKIE, value, httpOnly: true, sameSite: 'lax', path: '/', secure, maxAge });
  }
}

/** The session id in a Cookie header, if it has the shape generateToken gives. */
function sessionIdOf(header: string | undefined): string | null {
  if (!header || header.length > 8192) return null;
  const value = parseCookie(header)[SESSION_COOKIE];
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : null;
}

function accountName(name: string): string {
  const clamped = clampText(visibleText(String(name).slice(0, 4 * LIMITS.nameUnits)).trim(), LIMITS.nameMax, LIMITS.nameUnits).trim();
  return clamped || 'Facilitator';
}

/** Characters of recovery codes: no 0/O, 1/I/L, so a code written on paper reads back. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** A recovery code, 16 characters from 31 (about 79 bits) in groups of four, uniformly drawn by crypto.randomInt. */
function recoveryCode(): string {
  let code = '';
  for (let i = 0; i < 16; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code.match(/.{4}/g)!.join('-');
}

/** A code as typed (any case, spaces or dashes) in its stored form, or null when it cannot be one. */
function normalizeRecoveryCode(code: string): string | null {
  if (typeof code !== 'string' || code.length > 64) return null;
  const bare = code.toUpperCase().replace(/[\s-]/g, '');
  return /^[A-Z0-9]{16}$/.test(bare) ? bare : null;
}

function normalizedCodeHash(code: string): string {
  return hashToken(normalizeRecoveryCode(code)!);
}
