import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { AccountService } from './service';
import { sendError } from '../http/errors';
import type { RequestContext } from '../http/links';
import type { AccountRecord } from '../store/types';
import { AddressLimit, type AddressEvents } from '../security/address-limits';
import type { MeResponse } from '../../src/lib/protocol/accounts';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Cross-site protection for the cookie (issue 24): a state-changing request that carries the session cookie must
 * come from a page of this board (its Origin the public origin or an allowed one), else 403 `cross_site` and
 * nothing happens. SameSite=Lax already keeps the cookie off most cross-site requests; this also covers
 * same-site neighbours and browsers without SameSite. Sign-in requests (no cookie yet) from another site are
 * refused too when they say where they come from, so no other site can sign a browser in (login CSRF).
 */
export function crossSiteGuard(accounts: AccountService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!STATE_CHANGING.has(req.method)) return next();
    const carries = AccountService.carriesSession(req);
    const signingIn = req.path.startsWith('/auth/') && req.headers.origin !== undefined;
    if ((carries || signingIn) && !accounts.sameOrigin(req)) {
      return sendError(res, 'cross_site', 'This request came from another site; it was refused and nothing was changed.');
    }
    next();
  };
}

export interface AccountRouteDeps {
  accounts: AccountService;
  requests: RequestContext;
  addressEvents: AddressEvents;
  signInsPerTenMinutes: number;
  accountsPerHour: number;
  /** Whether OpenID Connect sign-in is configured (the sign-in page shows its button). */
  oidcEnabled?: () => boolean;
}

/** Answers 401 and null when the request has no signed-in account. */
export async function signedIn(accounts: AccountService, req: Request, res: Response, slide = false): Promise<AccountRecord | null> {
  const account = await accounts.accountOf(req, slide ? res : undefined);
  if (!account) sendError(res, 'unauthorized', 'Sign in first.');
  return account;
}

/** The per-address limits of sign-in and sign-up, shared by the passkey and recovery-code routes. */
export function signInLimits(deps: Pick<AccountRouteDeps, 'addressEvents' | 'signInsPerTenMinutes' | 'accountsPerHour' | 'requests'>) {
  const attempts = new AddressLimit(deps.addressEvents, 'signin', deps.signInsPerTenMinutes, 600_000);
  const creations = new AddressLimit(deps.addressEvents, 'account', deps.accountsPerHour, 3_600_000);
  return {
    /** Counts a sign-in attempt; false after answering 429. */
    async attempt(req: Request, res: Response): Promise<boolean> {
      if (await attempts.allow(deps.requests.clientAddress(req))) return true;
      sendError(res, 'rate_limited', 'Too many sign-in attempts from this address; wait ten minutes and try again.');
      return false;
    },
    /** Counts a new account; false after answering 429. */
    async creation(req: Request, res: Response): Promise<boolean> {
      if (await creations.allow(deps.requests.clientAddress(req))) return true;
      sendError(res, 'rate_limited', 'This address has made many accounts in the last hour; wait a while.');
      return false;
    }
  };
}

const DeleteMeRequest = z.object({ handOver: z.boolean().optional() }).strict();

/** `/api/me` and the account's own routes under `/api/auth` (passkeys: ./passkeys.ts). */
export function createAccountRouter(deps: AccountRouteDeps): Router {
  const router = express.Router();
  const json = express.json({ limit: '4kb', type: () => true });
  const { accounts } = deps;
  const noStore = (_req: Request, res: Response, next: NextFunction) => void (res.set('Cache-Control', 'no-store'), next());
  router.use(['/me', '/auth'], noStore);

  router.get('/auth/config', (_req, res) => {
    res.json({ passkeys: true, oidc: deps.oidcEnabled?.() ?? false });
  });

  router.get('/me', async (req, res) => {
    // The page asks this on every load: where the stored expiry slid, the cookie's Max-Age slides too.
    const account = await signedIn(accounts, req, res, true);
    if (!account) return;
    const home = await accounts.home(account.id);
    const body: MeResponse = {
      id: account.id,
      name: account.name,
      communities: home.communities.map(({ id, name }) => ({ id, name })),
      sessions: home.sessions.map(({ code, title, phase }) => ({ code, title, phase }))
    };
    res.json(body);
  });

  const limits = signInLimits(deps);
  const RecoveryRequest = z.object({ code: z.string().max(64) }).strict();

  // Sign-in with a one-time recovery code (a lost passkey, a new device): counted per address like every sign-in.
  router.post('/auth/recovery', json, async (req, res) => {
    if (!(await limits.attempt(req, res))) return;
    const parsed = RecoveryRequest.safeParse(req.body);
    if (!parsed.success) return sendError(res, 'bad_request', 'Send {code: string}.');
    const account = await accounts.useRecoveryCode(parsed.data.code);
    if (!account) return sendError(res, 'unauthorized', 'This recovery code is unknown or was already used.');
    await accounts.startSession(res, account.id);
    res.json({ id: account.id, name: account.name, recoveryCodesLeft: await accounts.store.countRecoveryCodes(account.id) });
  });

  router.post('/auth/sign-out', async (req, res) => {
    await accounts.signOut(req, res);
    res.status(204).end();
  });

  router.post('/auth/sign-out-everywhere', async (req, res) => {
    const account = await signedIn(accounts, req, res);
    if (!account) return;
    await accounts.signOutEverywhere(account.id);
    await accounts.signOut(req, res);
    res.status(204).end();
  });

  router.delete('/me', json, async (req, res) => {
    const account = await signedIn(accounts, req, res);
    if (!account) return;
    const parsed = DeleteMeRequest.safeParse(req.body ?? {});
    if (!parsed.success) return sendError(res, 'bad_request', 'Send {handOver?: boolean}.');
    await accounts.deleteAccount(account.id, { handOver: parsed.data.handOver });
    await accounts.signOut(req, res);
    res.status(204).end();
  });

  return router;
}
