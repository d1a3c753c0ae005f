/**
 * A facilitator's home and co-facilitators (issue 24, items 2 and 3), under `/api`:
 *
 * - `GET /me` — the account and its home (the contract's fields, and more beside them);
 * - `POST /me/claims` — the keys this browser holds from link-based use become the account's (owner); an
 *   organisation's key makes the account its admin only while it has none;
 * - `POST /me/archive` — hide a community or session from the account's home, or show it again;
 * - `POST /communities/:id/invites`, `POST /sessions/:code/invites` — the owner makes a single-use invite link;
 * - `POST /invites/accept` — a signed-in account takes an invite and becomes a co-facilitator of its target only;
 * - `GET|DELETE /communities/:id/facilitators[/:accountId]` and the same under `/sessions/:code` — the owner sees
 *   and removes co-facilitators; a removal ends their live connections at once (./revocation.ts);
 * - `POST /organisations/:id/invites`, `GET|DELETE /organisations/:id/leads[/:accountId]` — an organisation's admin
 *   (its 'owner' membership) invites, lists and removes programme leads ('facilitator' memberships of the
 *   organisation, issue 25): they read its programme view (server/http/organisations.ts) and nothing else.
 *
 * Every route needs the account cookie from our own origin (./access.ts). Wrong keys in a claim count as guesses,
 * as a wrong token does anywhere else; an unknown or stolen invite costs a guess too. Invite attempts (making a link
 * or taking one, valid or not) are limited per address as sign-in attempts are (kind `invite`, the same
 * SIGN_INS_PER_TEN_MINUTES): wrong tokens alone would leave an address free to make links by the thousand.
 */
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { normalizeCode } from '../../src/lib/domain/codes';
import { generateToken, hashToken } from '../security/tokens';
import { AddressLimit, type AddressEvents, type GuessLimiter } from '../security/address-limits';
import type { RequestContext } from '../http/links';
import type { CommunityService } from '../communities/service';
import type { MembershipKind, MembershipRole, Store } from '../store/types';
import type { FacilitatorAccess } from './access';
import type { Revocations } from './revocation';
import { sendError } from '../http/errors';
import { HOME_MAX, homeView } from './home';

/** How long an invite link can be taken. */
export const INVITE_TTL_MS = 7 * 86_400_000;
/** Keys one claim may carry, per kind: a browser that holds more claims them in several clicks. */
export const CLAIM_MAX = 50;
/** Co-facilitators listed per community or session (and the most one may have). */
export const MEMBERS_MAX = 50;

const Key = z.string().regex(/^[A-Za-z0-9_-]{16,128}$/);
const ClaimRequest = z
  .object({
    communities: z
      .array(z.object({ id: z.string().min(1).max(64), token: Key }).strict())
      .max(CLAIM_MAX)
      .default([]),
    sessions: z
      .array(z.object({ code: z.string().min(1).max(20), token: Key }).strict())
      .max(CLAIM_MAX)
      .default([]),
    organisations: z
      .array(z.object({ id: z.string().min(1).max(64), token: Key }).strict())
      .max(CLAIM_MAX)
      .default([])
  })
  .strict();
const ArchiveRequest = z.object({ kind: z.enum(['community', 'session']), id: z.string().min(1).max(64), archived: z.boolean() }).strict();
const AcceptRequest = z.object({ token: Key }).strict();

export interface MembersDeps {
  store: Store;
  access: FacilitatorAccess;
  revocations: Revocations;
  communities: CommunityService;
  /** Finds an organisation by id (issue 25); without it, organisation routes answer 404. */
  organisations?: {
    find(id: string): Promise<{ id: string; name: string; tokenHash: string } | null>;
    isToken(organisation: { tokenHash: string }, token: string): boolean;
  };
  requests: RequestContext;
  guesses: GuessLimiter;
  /** Where invite attempts are counted per address (shared by a cluster's instances). */
  addressEvents: AddressEvents;
  /** Invite attempts one address may make per ten minutes (0 = no limit). */
  invitesPerTenMinutes: number;
  clock?: () => number;
}

/** A session as membership sees it: its id, code and community. */
interface SessionTarget {
  id: string;
  code: string;
  communityId: string | null;
}

export function membersRouter(deps: MembersDeps): Router {
  const router = express.Router();
  const json = express.json({ limit: '16kb', type: () => true });
  const now = () => (deps.clock ?? Date.now)();

  /** The signed-in account, or null after answering 401. */
  async function signedIn(req: Request, res: Response): Promise<string | null> {
    const accountId = await deps.access.accountOf(req.headers);
    if (!accountId) sendError(res, 'unauthorized', 'Sign in first.');
    return accountId;
  }

  async function blocked(req: Request, res: Response): Promise<boolean> {
    if (!(await deps.guesses.blocked(deps.requests.clientAddress(req)))) return false;
    sendError(res, 'rate_limited', 'Too many unknown codes or keys from this address; wait a minute and try again.');
    return true;
  }

  const miss = (req: Request) => deps.guesses.miss(deps.requests.clientAddress(req));

  const inviteAttempts = new AddressLimit(deps.addressEvents, 'invite', deps.invitesPerTenMinutes, 600_000);
  /** Counts an invite attempt of a signed-in account; false after answering 429 (nothing done). */
  async function inviteAllowed(req: Request, res: Response): Promise<boolean> {
    if (await inviteAttempts.allow(deps.requests.clientAddress(req))) return true;
    sendError(res, 'rate_limited', 'Too many invite attempts from this address; wait a few minutes and try again.');
    return false;
  }

  /** The session named by `:code`, or null after answering 404 (an unknown code counts as a guess). */
  async function sessionTarget(req: Request, res: Response): Promise<SessionTarget | null> {
    const code = normalizeCode(String(req.params.code));
    const found = code ? await deps.store.sessionCredential(code) : null;
    if (!found) {
      await miss(req);
      sendError(res, 'not_found', 'There is no session with that code.');
      return null;
    }
    return { id: found.id, code: found.code, communityId: found.communityId };
  }

  /**
   * The target of an owner's request (`:id` of a community, `:code` of a session) and the caller's role on it,
   * or null after answering. Only a signed-in owner manages invites and co-facilitators; the owner of a community
   * manages its sessions' too. A co-facilitator may see the list but not change it.
   */
  async function target(
    kind: MembershipKind,
    req: Request,
    res: Response
  ): Promise<{ accountId: string; kind: MembershipKind; id: string; role: MembershipRole; label: string } | null> {
    const accountId = await signedIn(req, res);
    if (!accountId || (await blocked(req, res))) return null;
    if (kind === 'organisation') {
      const organisation = deps.organisations ? await deps.organisations.find(String(req.params.id)) : null;
      if (!organisation) {
        await miss(req);
        sendError(res, 'not_found', 'There is no organisation with that id.');
        return null;
      }
      const role = await deps.store.membershipRole(accountId, [{ kind: 'organisation', target: organisation.id }]);
      if (!role) {
        sendError(res, 'forbidden', 'Your account is neither the admin nor a programme lead of this organisation.');
        return null;
      }
      return { accountId, kind, id: organisation.id, role, label: organisation.name };
    }
    if (kind === 'community') {
      const community = await deps.communities.find(String(req.params.id));
      if (!community) {
        await miss(req);
        sendError(res, 'not_found', 'There is no community with that id.');
        return null;
      }
      const role = await deps.access.communityRole(accountId, community.id);
      if (!role) {
        sendError(res, 'forbidden', 'Your account is not a facilitator of this community.');
        return null;
      }
      return { accountId, kind, id: community.id, role, label: community.name };
    }
    const session = await sessionTarget(req, res);
    if (!session) return null;
    const role = await deps.access.sessionRole(accountId, session);
    if (!role) {
      sendError(res, 'forbidden', 'Your account is not a facilitator of this session.');
      return null;
    }
    return { accountId, kind, id: session.id, role, label: session.code };
  }

  // ---- the home: the contract's {id, name, communities, sessions}, with more beside it

  router.get('/me', async (req, res) => {
    // Who is signed in, whatever page asks: no other site can read the answer (no CORS), and it grants nothing.
    // Everything that steers or reads a session or community checks the origin (./access.ts).
    const account = await deps.access.signedIn(req, res);
    if (!account) return sendError(res, 'unauthorized', 'Sign in first.');
    const accountId = account.id;
    const [overview, organisations] = await Promise.all([
      deps.store.loadAccountOverview(accountId, HOME_MAX),
      deps.store.listAccountOrganisations(accountId, HOME_MAX)
    ]);
    res.set('Cache-Control', 'no-store').json(homeView(account, overview, organisations));
  });

  // ---- claims: keys this browser holds become the account's

  router.post('/me/claims', json, async (req, res) => {
    const accountId = await signedIn(req, res);
    if (!accountId) return;
    const parsed = ClaimRequest.safeParse(req.body ?? {});
    if (!parsed.success) return sendError(res, 'bad_request', `Send at most ${CLAIM_MAX} communities and ${CLAIM_MAX} sessions, each with its key.`);
    const claimed = { communities: [] as string[], sessions: [] as string[], refused: 0 };
    const addedAt = now();
    for (const { id, token } of parsed.data.communities) {
      if (await blocked(req, res)) return;
      const community = await deps.communities.find(id);
      if (!community || !deps.communities.isToken(community, token)) {
        claimed.refused++;
        await miss(req);
        continue;
      }
      // A co-facilitator who holds the key becomes its owner: the key already let them do everything an owner does.
      await deps.store.setMembership({ accountId, kind: 'community', target: community.id, role: 'owner', addedAt });
      claimed.communities.push(community.id);
    }
    for (const { code, token } of parsed.data.sessions) {
      if (await blocked(req, res)) return;
      const normal = normalizeCode(code);
      const session = normal ? await deps.store.sessionCredential(normal) : null;
      if (!session || session.facilitatorTokenHash !== hashToken(token)) {
        claimed.refused++;
        await miss(req);
        continue;
      }
      await deps.store.setMembership({ accountId, kind: 'session', target: session.id, role: 'owner', addedAt });
      claimed.sessions.push(session.code);
    }
    // An organisation made without an account has no admin: its key holder, signed in, may become its admin, once
    // (the first claim wins). After that the key only reads: a key forwarded to readers makes nobody admin.
    const organisations: string[] = [];
    for (const { id, token } of parsed.data.organisations) {
      if (await blocked(req, res)) return;
      const organisation = deps.organisations ? await deps.organisations.find(id) : null;
      if (!organisation || !deps.organisations?.isToken(organisation, token)) {
        claimed.refused++;
        await miss(req);
        continue;
      }
      if (await deps.store.claimOrganisationAdmin(accountId, organisation.id, addedAt)) organisations.push(organisation.id);
      else claimed.refused++;
    }
    res.set('Cache-Control', 'no-store').json({ ...claimed, organisations });
  });

  // ---- archive: hidden from the home list, reversible

  router.post('/me/archive', json, async (req, res) => {
    const accountId = await signedIn(req, res);
    if (!accountId) return;
    const parsed = ArchiveRequest.safeParse(req.body ?? {});
    if (!parsed.success) return sendError(res, 'bad_request', 'Send {kind: "community"|"session", id, archived: boolean}.');
    let targetId = parsed.data.id;
    if (parsed.data.kind === 'session') {
      const code = normalizeCode(parsed.data.id);
      const session = code ? await deps.store.sessionCredential(code) : null;
      if (!session) return sendError(res, 'not_found', 'There is no session with that code.');
      targetId = session.id;
    }
    const changed = await deps.store.setMembershipArchived(accountId, parsed.data.kind, targetId, parsed.data.archived ? now() : null);
    if (!changed) return sendError(res, 'not_found', 'This is not in your home (only what you own or co-facilitate can be archived).');
    res.status(204).end();
  });

  // ---- invites

  const createInvite = (kind: MembershipKind) => async (req: Request, res: Response) => {
    const found = await target(kind, req, res);
    if (!found || !(await inviteAllowed(req, res))) return;
    if (found.role !== 'owner') return sendError(res, 'forbidden', 'Only an owner invites co-facilitators.');
    const token = generateToken();
    const createdAt = now();
    await deps.store.createInvite({
      tokenHash: hashToken(token),
      kind,
      target: found.id,
      role: 'facilitator',
      createdBy: found.accountId,
      createdAt,
      expiresAt: createdAt + INVITE_TTL_MS,
      usedAt: null,
      usedBy: null
    });
    // The token in the fragment: browsers never send it to a server, so no access log holds it.
    const inviteUrl = `${deps.requests.origin(req)}/invite#token=${token}`;
    res
      .status(201)
      .set('Cache-Control', 'no-store')
      .json({ inviteUrl, expiresAt: new Date(createdAt + INVITE_TTL_MS).toISOString() });
  };
  router.post('/communities/:id/invites', createInvite('community'));
  router.post('/sessions/:code/invites', createInvite('session'));
  router.post('/organisations/:id/invites', createInvite('organisation'));

  router.post('/invites/accept', json, async (req, res) => {
    const accountId = await signedIn(req, res);
    if (!accountId || (await blocked(req, res)) || !(await inviteAllowed(req, res))) return;
    const parsed = AcceptRequest.safeParse(req.body ?? {});
    if (!parsed.success) return sendError(res, 'bad_request', 'Send {token} from the invite link.');
    const tokenHash = hashToken(parsed.data.token);
    const at = now();
    const invite = await deps.store.useInvite(tokenHash, accountId, at);
    if (!invite) {
      const known = await deps.store.findInvite(tokenHash);
      if (!known) {
        await miss(req);
        return sendError(res, 'not_found', 'This invite link is not valid.');
      }
      if (known.usedAt !== null) {
        // A stolen link tried after its owner took it (or the other way round): refused, and counted.
        await miss(req);
        return sendError(res, 'invite_used', 'This invite link was already used; ask for a new one.');
      }
      return sendError(res, 'invite_expired', 'This invite link has expired; ask for a new one.');
    }
    // An owner stays owner: an invite never lowers a role.
    const current = await deps.store.membershipRole(accountId, [{ kind: invite.kind, target: invite.target }]);
    if (current !== 'owner') await deps.store.setMembership({ accountId, kind: invite.kind, target: invite.target, role: 'facilitator', addedAt: at });
    if (invite.kind === 'community') return res.json({ kind: 'community', id: invite.target });
    if (invite.kind === 'organisation') return res.json({ kind: 'organisation', id: invite.target });
    const session = await deps.store.sessionCredentialById(invite.target);
    if (!session) return sendError(res, 'not_found', 'The session of this invite no longer exists.');
    res.json({ kind: 'session', code: session.code });
  });

  // ---- co-facilitators: the list, and removing one

  const listMembers = (kind: MembershipKind) => async (req: Request, res: Response) => {
    const found = await target(kind, req, res);
    if (!found) return;
    const members = await deps.store.listMemberAccounts(kind, found.id, MEMBERS_MAX);
    res.set('Cache-Control', 'no-store').json({ role: found.role, members });
  };
  router.get('/communities/:id/facilitators', listMembers('community'));
  router.get('/sessions/:code/facilitators', listMembers('session'));
  router.get('/organisations/:id/leads', listMembers('organisation'));

  const removeMember = (kind: MembershipKind) => async (req: Request, res: Response) => {
    const found = await target(kind, req, res);
    if (!found) return;
    if (found.role !== 'owner') return sendError(res, 'forbidden', 'Only an owner removes co-facilitators.');
    const removed = String(req.params.accountId);
    const role = await deps.store.membershipRole(removed, [{ kind, target: found.id }]);
    if (role === null) return sendError(res, 'not_found', 'This account is not a co-facilitator here.');
    if (role === 'owner') return sendError(res, 'forbidden', 'An owner cannot be removed here.');
    await deps.store.removeMembership(removed, kind, found.id);
    // A programme lead holds no live connection: the programme view reads the membership on every request.
    if (kind === 'organisation') return res.status(204).end();
    // At once: their sockets and board connections end here and on every other instance.
    await deps.revocations.revoke({ accountId: removed, kind, target: found.id });
    res.status(204).end();
  };
  router.delete('/communities/:id/facilitators/:accountId', removeMember('community'));
  router.delete('/sessions/:code/facilitators/:accountId', removeMember('session'));
  router.delete('/organisations/:id/leads/:accountId', removeMember('organisation'));

  return router;
}
