import express, { type Request, type Response, type Router } from 'express';
import type { CommunityShares, CreateOrganisationResponse, ErrorCode, OrganisationShares } from '../../src/lib/protocol';
import { CreateOrganisationRequest } from '../../src/lib/protocol/schemas';
import { takeHomeFileName } from '../../src/lib/domain/file-names';
import { localDay } from '../../src/lib/domain/dates';
import { portfolioXlsx, type OrganisationService } from '../organisations/portfolio';
import type { CommunityRecord, OrganisationRecord, Store } from '../store/types';
import type { FacilitatorAccess } from '../accounts/access';
import { AddressLimit, type AddressEvents, type GuessLimiter } from '../security/address-limits';
import type { RequestContext } from './links';
import { sendError } from './errors';
import { generateToken, hashToken } from '../security/tokens';
import { MAX_COMMUNITY_SHARES, MAX_ORGANISATION_COMMUNITIES } from '../organisations/portfolio';
import { z } from 'zod';

/** How long a share invitation can be taken (as a co-facilitator's invite). */
export const SHARE_INVITE_TTL_MS = 7 * 86_400_000;
const ShareRequest = z.object({ invite: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/) }).strict();

/** `/share#organisation=…&token=…`: a share invitation (the token in the fragment, never sent to a server by a browser). */
export function shareInviteUrl(origin: string, organisationId: string, token: string): string {
  return `${origin}/share#organisation=${organisationId}&token=${token}`;
}
import { attachment } from './attachment';

export interface OrganisationRouteDeps {
  organisations: OrganisationService;
  requests: RequestContext;
  guesses: GuessLimiter;
  addressEvents: AddressEvents;
  /** Organisations one address may create per hour (as communities; 0 = no limit). */
  perHour: number;
  /** The account cookie (issue 24): its admin and programme leads read the programme view; null: keys only. */
  access: FacilitatorAccess | null;
  /** Where an organisation's admin (the signed-in creator) and its programme leads are recorded. */
  memberships: Pick<Store, 'setMembership' | 'membershipRole'>;
  /** The organisation's consent: share invitations, and whether it has an admin (its key manages it until then). */
  consent: Pick<Store, 'createShareInvite' | 'shareByInvite' | 'organisationHasAdmin' | 'listCommunityShares'>;
  /** Share invitations one address may make per ten minutes (the invite budget; 0 = no limit). */
  invitesPerTenMinutes: number;
  /** The community a request names, after its key was checked; null after answering (api.ts). */
  authorisedCommunity(id: string, req: Request, res: Response): Promise<CommunityRecord | null>;
}

/** Why a read of the programme view was refused, or the organisation it may read. */
export type PortfolioAccess = { ok: true; organisation: OrganisationRecord } | { ok: false; code: ErrorCode; message: string };

function bearer(req: Request): string | null {
  const match = req.get('authorization')?.match(/^Bearer\s+([A-Za-z0-9_-]{16,128})$/);
  return match ? match[1] : null;
}

/** `/o/:id#token=…`: the programme view with its key in the fragment (never sent to a server). */
export function organisationUrl(origin: string, id: string, token: string): string {
  return `${origin}/o/${id}#token=${token}`;
}

/**
 * THE authorisation of the programme view: every route that reads an organisation's figures asks this and
 * nothing else. Two ways in:
 * - the organisation key (a bearer token created with the organisation, stored hashed), for link-based use;
 * - without a key, the account cookie of the organisation's admin or one of its programme leads (a membership of
 *   kind 'organisation'), under the same-origin rule as every other cookie use (server/accounts/access.ts): a
 *   cookie sent by another site's page counts as no cookie. The membership is read on every request, so a removed
 *   lead is refused from their next request on.
 * Unknown ids and refused keys count as guesses, as community keys do.
 */
export function portfolioAccess(deps: Pick<OrganisationRouteDeps, 'organisations' | 'requests' | 'guesses' | 'access' | 'memberships'>) {
  return async function canReadPortfolio(req: Request, organisationId: string): Promise<PortfolioAccess> {
    const token = bearer(req);
    const accountId = token || !deps.access ? null : await deps.access.accountOf(req.headers);
    if (!token && !accountId)
      return { ok: false, code: 'unauthorized', message: 'Sign in as a programme lead, or send the organisation key (Authorization: Bearer <key>).' };
    const address = deps.requests.clientAddress(req);
    if (await deps.guesses.blocked(address))
      return { ok: false, code: 'rate_limited', message: 'Too many unknown codes or keys from this address; wait a minute and try again.' };
    const organisation = await deps.organisations.find(organisationId);
    if (!organisation) {
      await deps.guesses.miss(address);
      return { ok: false, code: 'not_found', message: 'There is no organisation with that id.' };
    }
    if (token) {
      if (deps.organisations.isToken(organisation, token)) return { ok: true, organisation };
      await deps.guesses.miss(address);
      return { ok: false, code: 'forbidden', message: 'This key does not belong to this organisation.' };
    }
    // Only this organisation's own membership: a community's or session's role grants nothing here.
    if (accountId && (await deps.memberships.membershipRole(accountId, [{ kind: 'organisation', target: organisation.id }]))) return { ok: true, organisation };
    return { ok: false, code: 'forbidden', message: 'Your account is not a programme lead of this organisation.' };
  };
}

/** Organisations, the programme view and a community's shares (issue 25), on the API router. */
export function mountOrganisationRoutes(router: Router, deps: OrganisationRouteDeps): void {
  const canReadPortfolio = portfolioAccess(deps);
  const creations = new AddressLimit(deps.addressEvents, 'organisation', deps.perHour, 3_600_000);
  const json = express.json({ limit: '16kb', type: () => true });

  async function readable(req: Request, res: Response): Promise<OrganisationRecord | null> {
    const access = await canReadPortfolio(req, String(req.params.id));
    if (access.ok) return access.organisation;
    if (access.code === 'unauthorized') res.set('WWW-Authenticate', 'Bearer');
    sendError(res, access.code, access.message);
    return null;
  }

  router.post('/organisations', json, async (req, res) => {
    if (!req.is('application/json')) return sendError(res, 'bad_request', 'Send a JSON body with Content-Type: application/json.');
    const parsed = CreateOrganisationRequest.safeParse(req.body ?? {});
    if (!parsed.success) {
      return sendError(
        res,
        'bad_request',
        'The organisation request is not valid.',
        parsed.error.issues.slice(0, 10).map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`)
      );
    }
    if (!(await creations.allow(deps.requests.clientAddress(req)))) {
      return sendError(res, 'rate_limited', 'This address has created many organisations in the last hour; wait a while or reuse one.');
    }
    const { organisation, token } = await deps.organisations.create(parsed.data);
    // A signed-in creator becomes the organisation's admin: it invites and removes programme leads (members-routes.ts).
    const admin = deps.access ? await deps.access.accountOf(req.headers) : null;
    if (admin)
      await deps.memberships.setMembership({ accountId: admin, kind: 'organisation', target: organisation.id, role: 'owner', addedAt: organisation.createdAt });
    const body: CreateOrganisationResponse = {
      id: organisation.id,
      organisationToken: token,
      organisationUrl: organisationUrl(deps.requests.origin(req), organisation.id, token)
    };
    res.status(201).json(body);
  });

  // ---- the organisation's consent to shares (issue 25): without an invitation of its own, no community joins it

  const inviteAttempts = new AddressLimit(deps.addressEvents, 'invite', deps.invitesPerTenMinutes, 600_000);

  /**
   * Who may invite communities: the organisation's admin (cookie, same origin), or its key while it has no admin
   * (an organisation made without an account; once an admin claims it, the key only reads). A programme lead reads
   * and does not invite. Answers the organisation, or null after answering.
   */
  async function manager(req: Request, res: Response): Promise<OrganisationRecord | null> {
    const token = bearer(req);
    const accountId = token || !deps.access ? null : await deps.access.accountOf(req.headers);
    if (!token && !accountId) {
      sendError(res, 'unauthorized', "Sign in as the organisation's admin, or send the organisation key (Authorization: Bearer <key>).");
      return null;
    }
    const address = deps.requests.clientAddress(req);
    if (await deps.guesses.blocked(address)) {
      sendError(res, 'rate_limited', 'Too many unknown codes or keys from this address; wait a minute and try again.');
      return null;
    }
    const organisation = await deps.organisations.find(String(req.params.id));
    if (!organisation) {
      await deps.guesses.miss(address);
      sendError(res, 'not_found', 'There is no organisation with that id.');
      return null;
    }
    if (token) {
      if (!deps.organisations.isToken(organisation, token)) {
        await deps.guesses.miss(address);
        sendError(res, 'forbidden', 'This key does not belong to this organisation.');
        return null;
      }
      if (await deps.consent.organisationHasAdmin(organisation.id)) {
        sendError(
          res,
          'forbidden',
          "This organisation has an admin: only the admin's account invites, lists and removes the communities that share with it; the key only reads."
        );
        return null;
      }
      return organisation;
    }
    const role = accountId ? await deps.memberships.membershipRole(accountId, [{ kind: 'organisation', target: organisation.id }]) : null;
    if (role !== 'owner') {
      sendError(res, 'forbidden', "Only the organisation's admin invites, lists and removes the communities that share with it.");
      return null;
    }
    return organisation;
  }

  router.post('/organisations/:id/share-invites', async (req, res) => {
    const organisation = await manager(req, res);
    if (!organisation) return;
    if (!(await inviteAttempts.allow(deps.requests.clientAddress(req))))
      return sendError(res, 'rate_limited', 'Too many invite attempts from this address; wait a few minutes and try again.');
    const token = generateToken();
    const createdAt = Date.now();
    await deps.consent.createShareInvite({
      tokenHash: hashToken(token),
      organisationId: organisation.id,
      createdAt,
      expiresAt: createdAt + SHARE_INVITE_TTL_MS
    });
    res
      .status(201)
      .set('Cache-Control', 'no-store')
      .json({
        inviteUrl: shareInviteUrl(deps.requests.origin(req), organisation.id, token),
        expiresAt: new Date(createdAt + SHARE_INVITE_TTL_MS).toISOString()
      });
  });

  // ---- the organisation removes a community from its programme (its admin; the owner's withdrawal needs nobody)

  router.get('/organisations/:id/shares', async (req, res) => {
    const organisation = await manager(req, res);
    if (!organisation) return;
    const body: OrganisationShares = await deps.organisations.sharedCommunities(organisation);
    res.set('Cache-Control', 'no-store').json(body);
  });

  router.delete('/organisations/:id/shares/:community', async (req, res) => {
    const organisation = await manager(req, res);
    if (!organisation) return;
    const communityId = String(req.params.community);
    // Ids that cannot be a community's are not looked up; a community that does not share (any more) is not found,
    // so a replayed removal changes nothing and records nothing twice.
    const removed = /^[0-9a-f-]{36}$/.test(communityId) && (await deps.organisations.removeCommunity(organisation, communityId));
    if (!removed) return sendError(res, 'not_found', 'No community with that id shares with this organisation.');
    res.status(204).end();
  });

  router.get('/organisations/:id/portfolio.json', async (req, res) => {
    const organisation = await readable(req, res);
    if (organisation) res.set('Cache-Control', 'no-store').json(await deps.organisations.portfolio(organisation));
  });

  router.get('/organisations/:id/portfolio.xlsx', async (req, res) => {
    const organisation = await readable(req, res);
    if (!organisation) return;
    const xlsx = await portfolioXlsx(await deps.organisations.portfolio(organisation));
    const name = takeHomeFileName(organisation.name, 'programme', localDay(Date.now(), organisation.timeZone), ['portfolio'], 'xlsx');
    attachment(res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').set('Cache-Control', 'no-store'), name).send(xlsx);
  });

  // A community's shares: its key decides (accounts: its owner). Sharing is off until the owner turns it on.
  router.get('/communities/:id/shares', async (req, res) => {
    const community = await deps.authorisedCommunity(String(req.params.id), req, res);
    if (!community) return;
    const body: CommunityShares = await deps.organisations.shares(community);
    res.set('Cache-Control', 'no-store').json(body);
  });

  // Sharing takes one of the organisation's share invitations: knowing its id is not enough, so nobody can push
  // fabricated communities into a programme's figures (poisoning) or flood it with shares.
  router.put('/communities/:id/shares/:organisation', json, async (req, res) => {
    const community = await deps.authorisedCommunity(String(req.params.id), req, res);
    if (!community) return;
    const parsed = ShareRequest.safeParse(req.body ?? {});
    if (!parsed.success)
      return sendError(res, 'forbidden', "Sharing needs the organisation's invitation: send {invite} with the token of its share invitation link.");
    const address = deps.requests.clientAddress(req);
    if (await deps.guesses.blocked(address))
      return sendError(res, 'rate_limited', 'Too many unknown codes or keys from this address; wait a minute and try again.');
    const organisation = await deps.organisations.find(String(req.params.organisation));
    if (!organisation) {
      await deps.guesses.miss(address);
      return sendError(res, 'not_found', 'There is no organisation with that id.');
    }
    const existing = await deps.consent.listCommunityShares(community.id);
    if (existing.length >= MAX_COMMUNITY_SHARES && !existing.some((s) => s.organisationId === organisation.id))
      return sendError(res, 'community_full', `This community already shares with ${MAX_COMMUNITY_SHARES} organisations, the most it may.`);
    const outcome = await deps.consent.shareByInvite(hashToken(parsed.data.invite), community.id, organisation.id, Date.now(), MAX_ORGANISATION_COMMUNITIES);
    if (outcome === 'unknown') {
      await deps.guesses.miss(address);
      return sendError(res, 'not_found', 'This share invitation is not valid for this organisation.');
    }
    if (outcome === 'used') {
      await deps.guesses.miss(address);
      return sendError(res, 'invite_used', 'This share invitation was already used; ask the organisation for a new one.');
    }
    if (outcome === 'expired') return sendError(res, 'invite_expired', 'This share invitation has expired; ask the organisation for a new one.');
    if (outcome === 'full')
      return sendError(res, 'community_full', `This organisation already holds ${MAX_ORGANISATION_COMMUNITIES} communities, the most it may.`);
    res.set('Cache-Control', 'no-store').json(await deps.organisations.shares(community));
  });

  router.delete('/communities/:id/shares/:organisation', async (req, res) => {
    const community = await deps.authorisedCommunity(String(req.params.id), req, res);
    if (!community) return;
    await deps.organisations.withdraw(community, String(req.params.organisation));
    res.status(204).end();
  });

  // The owner dismisses the notice that an organisation removed the community from its programme (idempotent).
  router.delete('/communities/:id/share-removals/:organisation', async (req, res) => {
    const community = await deps.authorisedCommunity(String(req.params.id), req, res);
    if (!community) return;
    await deps.organisations.dismissRemoval(community, String(req.params.organisation));
    res.status(204).end();
  });
}
