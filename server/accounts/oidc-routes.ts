/**
 * `GET /api/auth/oidc/start` and `GET /api/auth/oidc/callback`: the two legs of a sign-in with the
 * organisation's identity provider. Both are browser navigations, so every answer is a redirect:
 * to the provider, to where the person was going, or back to `/sign-in?error=<code>`, where the
 * page shows the typed reason in the person's language.
 */
import express, { type Request, type Response, type Router } from 'express';
import { parseCookie } from 'cookie';
import { CommandError, type ErrorCode } from '../../src/lib/protocol';
import { AddressLimit, type AddressEvents } from '../security/address-limits';
import type { RequestContext } from '../http/links';
import type { ExternalSignIn } from './external-identity';
import { PENDING_LOGIN_MS, type OidcClient } from './oidc';

/** The browser's half of a login under way: only an id; state, nonce and PKCE verifier stay on the server. */
export const LOGIN_COOKIE = 'seeds_oidc_login';
const COOKIE_PATH = '/api/auth/oidc';

export const CALLBACK_PATH = '/api/auth/oidc/callback';

/** The login id the browser carries, if present and shaped as one (generateToken's 43 characters). */
function loginIdOf(req: Request): string | undefined {
  const header = req.get('cookie');
  if (!header || header.length > 8192) return undefined;
  const value = parseCookie(header)[LOGIN_COOKIE];
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

function refuse(res: Response, code: ErrorCode): void {
  res.set('Cache-Control', 'no-store').redirect(303, `/sign-in?error=${code}`);
}

export interface OidcRouteDeps {
  oidc: OidcClient;
  requests: RequestContext;
  addressEvents: AddressEvents;
  signIn: ExternalSignIn;
  /** Sign-in attempts per address per 10 minutes (SIGN_INS_PER_TEN_MINUTES), shared with passkeys and recovery codes; 0 = no limit. */
  signInsPerTenMinutes: number;
}

export function createOidcRouter(deps: OidcRouteDeps): Router {
  const router = express.Router();
  // Each start keeps a login in the store until it expires: counted as a sign-in attempt of the address.
  const starts = new AddressLimit(deps.addressEvents, 'signin', deps.signInsPerTenMinutes, 600_000);
  const cookieOptions = (req: Request) => ({
    httpOnly: true,
    // Lax: the cookie comes along on the provider's top-level redirect back, never on a cross-site subrequest.
    sameSite: 'lax' as const,
    secure: deps.requests.origin(req).startsWith('https:'),
    path: COOKIE_PATH
  });

  router.get('/start', async (req, res) => {
    try {
      if (!(await starts.allow(deps.requests.clientAddress(req)))) return refuse(res, 'rate_limited');
      const redirectUri = `${deps.requests.origin(req)}${CALLBACK_PATH}`;
      const { loginId, location } = await deps.oidc.start(redirectUri, typeof req.query.next === 'string' ? req.query.next : '/home');
      res.cookie(LOGIN_COOKIE, loginId, { ...cookieOptions(req), maxAge: PENDING_LOGIN_MS });
      res.set('Cache-Control', 'no-store').redirect(303, location);
    } catch (error) {
      refuse(res, error instanceof CommandError ? error.code : 'internal');
      if (!(error instanceof CommandError)) console.error('OpenID Connect start failed', error);
    }
  });

  router.get('/callback', async (req, res) => {
    // Used up whatever happens next: the browser keeps no half of a finished or failed login.
    res.clearCookie(LOGIN_COOKIE, cookieOptions(req));
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    try {
      const { identity, next } = await deps.oidc.finish(loginIdOf(req), query);
      await deps.signIn(identity, req, res, next);
    } catch (error) {
      if (res.headersSent) return;
      refuse(res, error instanceof CommandError ? error.code : 'internal');
      if (!(error instanceof CommandError)) console.error('OpenID Connect sign-in failed', error);
    }
  });

  return router;
}
