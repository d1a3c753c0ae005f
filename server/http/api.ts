import express, { type Request, type Response, type Router } from 'express';
import { CSV_TABLES, csvChunks, type CsvTable } from '../../src/lib/domain/export';
import { actionsCalendarParts, checkinCalendar } from '../exports/calendar';
import { exportXlsx } from '../exports/xlsx';
import { ballotsOf, calendarOf, exportData, markdownOf } from '../exports/session';
import { communityXlsx } from '../exports/community-xlsx';
import { communityCsv, communityMarkdown } from '../../src/lib/domain/community-export';
import { exportWords } from '../../src/lib/i18n/catalogues';
import type {
  CreateCommunityResponse,
  CreatePaperSessionResponse,
  CreateSessionResponse,
  JoinSessionResponse,
  RemovedParticipants
} from '../../src/lib/protocol';
import { CreateCommunityRequest, CreateSessionRequest, ImportExportRequest, JoinSessionRequest, PaperSessionRequest } from '../../src/lib/protocol/schemas';
import { COMMANDS } from '../../src/lib/protocol/commands';
import { CommunityService } from '../communities/service';
import { OrganisationService } from '../organisations/portfolio';
import { mountOrganisationRoutes } from './organisations';
import type { CommunityRecord, Store } from '../store/types';
import type { FrameworkCatalog } from '../content';
import type { ServerConfig } from '../config';
import type { SessionRegistry } from '../sessions/registry';
import type { LiveSession } from '../sessions/live-session';
import type { Identity } from '../sessions/projections';
import type { Action } from '../sessions/policy';
import { CommandError } from '../../src/lib/protocol';
import { AddressLimit, type AddressEvents, type GuessLimiter } from '../security/address-limits';
import { derivePresenterToken } from '../security/tokens';
import type { StoreHealth } from '../store/health';
import { jsonErrorHandler, sendError } from './errors';
import { sendJsonSliced, sendTextSliced } from './sliced-json';
import { attachment } from './attachment';
import { takeHomeFileName } from '../../src/lib/domain/file-names';
import { localDay } from '../../src/lib/domain/dates';
import { communityUrl, sessionLinks, type RequestContext } from './links';
import type { FacilitatorAccess } from '../accounts/access';
import type { Revocations } from '../accounts/revocation';
import { membersRouter } from '../accounts/members-routes';
import type { MembershipRole } from '../store/types';

export interface ApiDeps {
  registry: SessionRegistry;
  frameworks: FrameworkCatalog;
  /** Builds links and finds the client's address (PUBLIC_URL, TRUST_PROXY). */
  requests: RequestContext;
  /** Shared with the socket.io handshake and the Yjs upgrade. */
  guesses: GuessLimiter;
  /** Where the per-address creation limits count (shared by a cluster's instances). */
  addressEvents: AddressEvents;
  maxParticipants: number;
  sessionsPerHour: number;
  /** Paper and imported sessions one address may add per hour (0 = no limit). */
  paperSessionsPerHour: number;
  /** New participants one address may add to one session per hour (0 = no limit). */
  joinsPerAddress: number;
  communities: CommunityService;
  organisations: OrganisationService;
  /** The account cookie as a facilitator credential (issue 24); null: bearer tokens only. */
  access: FacilitatorAccess | null;
  /** Where a signed-in creator's ownership is recorded. */
  memberships: Pick<Store, 'setMembership' | 'membershipRole'>;
  /** A check-in's one meeting (issue 25). */
  meetings: Pick<Store, 'findMeetingOf'>;
  /** The organisation's consent to shares and its one-time admin claim (issue 25). */
  consent: Pick<Store, 'createShareInvite' | 'shareByInvite' | 'organisationHasAdmin' | 'listCommunityShares'>;
  /** Share invitations one address may make per ten minutes (the invite budget; 0 = no limit). */
  invitesPerTenMinutes: number;
}

/**
 * `qrcode` is loaded at the first QR code asked for, not when the server starts (every instance and every child
 * server a test starts would otherwise pay for it).
 */
let qrcode: Promise<typeof import('qrcode')> | null = null;

function issues(error: { issues: { path: PropertyKey[]; message: string }[] }): string[] {
  return error.issues.slice(0, 10).map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`);
}

function bearer(req: Request): string | null {
  const header = req.get('authorization');
  const match = header?.match(/^Bearer\s+([A-Za-z0-9_-]{16,128})$/);
  return match ? match[1] : null;
}

/** The REST API under `/api` (see docs/contracts.md and docs/protocol.md). */
export function createApiRouter(deps: ApiDeps): Router {
  const router = express.Router();
  const creations = new AddressLimit(deps.addressEvents, 'session', deps.sessionsPerHour, 3_600_000);
  // Communities are created as rarely as sessions, so the same budget per address, counted apart.
  const communityCreations = new AddressLimit(deps.addressEvents, 'community', deps.sessionsPerHour, 3_600_000);
  // Paper and imported sessions together, per address (a community's key alone costs nothing to get).
  const paperCreations = new AddressLimit(deps.addressEvents, 'paper', deps.paperSessionsPerHour, 3_600_000);
  const paperAllowed = async (req: Request, res: Response): Promise<boolean> => {
    if (await paperCreations.allow(deps.requests.clientAddress(req))) return true;
    sendError(res, 'rate_limited', 'This address has added many paper or imported sessions in the last hour; wait a while.');
    return false;
  };
  // New participants per address and session: generous (one NAT address can hold a whole class), against puppet floods.
  const newParticipants = new AddressLimit(deps.addressEvents, 'join', deps.joinsPerAddress, 3_600_000);
  const json = express.json({ limit: '16kb', type: () => true });

  const requireJson = (req: Request, res: Response, next: () => void) => {
    if (!req.is('application/json')) return sendError(res, 'bad_request', 'Send a JSON body with Content-Type: application/json.');
    next();
  };

  /**
   * The session a request names by code, or null after answering. Every
   * lookup by code goes through here, so code guessing is limited in one place
   * (shared with the socket.io handshake and the Yjs upgrade).
   */
  async function roomOr404(req: Request, res: Response): Promise<LiveSession | null> {
    const address = deps.requests.clientAddress(req);
    if (await deps.guesses.blocked(address)) {
      sendError(res, 'rate_limited', 'Too many unknown codes or keys from this address; wait a minute and try again.');
      return null;
    }
    const room = await deps.registry.get(String(req.params.code));
    if (!room) {
      await deps.guesses.miss(address);
      sendError(res, 'not_found', 'There is no session with that code. Check the code and try again.');
    }
    return room;
  }

  /** The signed-in account of a request without a bearer token (its cookie, from our own origin), or null. */
  async function cookieAccount(req: Request): Promise<string | null> {
    return deps.access ? deps.access.accountOf(req.headers) : null;
  }

  /**
   * The session a request names and who its credential makes the caller, once the policy
   * (server/sessions/policy.ts) allows `action` for them; or null after answering. The credential
   * is the bearer token, or without one the account cookie of an owner or co-facilitator of the
   * session or of its community (server/accounts/access.ts). A token that does not allow it counts as a guess.
   */
  async function allowed(req: Request, res: Response, action: Action): Promise<{ room: LiveSession; identity: Identity } | null> {
    const token = bearer(req);
    const accountId = token ? null : await cookieAccount(req);
    if (!token && !accountId) {
      res.set('WWW-Authenticate', 'Bearer');
      sendError(res, 'unauthorized', 'A facilitator token (Authorization: Bearer <token>) or signing in as a facilitator of this session is required.');
      return null;
    }
    const room = await roomOr404(req, res);
    if (!room) return null;
    const identity: Identity | null = token
      ? room.authenticate(token)
      : (await deps.access!.sessionRole(accountId!, { id: room.id, communityId: room.communityId }))
        ? { role: 'facilitator', accountId: accountId! }
        : null;
    try {
      room.allow(action, identity);
    } catch (error) {
      if (!(error instanceof CommandError) || error.code !== 'forbidden') throw error;
      if (token) await deps.guesses.miss(deps.requests.clientAddress(req));
      sendError(
        res,
        'forbidden',
        token ? 'This token does not belong to the facilitator of this session.' : 'Your account is not a facilitator of this session.'
      );
      return null;
    }
    return { room, identity: identity! };
  }

  async function facilitatorRoom(req: Request, res: Response): Promise<LiveSession | null> {
    return (await allowed(req, res, 'session:export'))?.room ?? null;
  }

  /** Who steers a community: the holder of its key, or a signed-in account with its membership role. */
  type CommunityCaller = { community: CommunityRecord; accountId: string | null; role: MembershipRole | 'key' };

  /**
   * The community a request names by id, after checking its bearer token (or, without one, the account
   * cookie of an owner or co-facilitator), or null after answering: 401 without either, 404 for an unknown
   * id, 403 for any other token (a session's, another community's) or an account without membership.
   * Token misses count as guesses.
   */
  async function communityCaller(id: string, req: Request, res: Response): Promise<CommunityCaller | null> {
    const token = bearer(req);
    const accountId = token ? null : await cookieAccount(req);
    if (!token && !accountId) {
      res.set('WWW-Authenticate', 'Bearer');
      sendError(res, 'unauthorized', 'A community token (Authorization: Bearer <token>) or signing in as a facilitator of this community is required.');
      return null;
    }
    const address = deps.requests.clientAddress(req);
    if (await deps.guesses.blocked(address)) {
      sendError(res, 'rate_limited', 'Too many unknown codes or keys from this address; wait a minute and try again.');
      return null;
    }
    const community = await deps.communities.find(id);
    if (!community) {
      await deps.guesses.miss(address);
      sendError(res, 'not_found', 'There is no community with that id.');
      return null;
    }
    if (token) {
      if (!deps.communities.isToken(community, token)) {
        await deps.guesses.miss(address);
        sendError(res, 'forbidden', 'This token does not belong to this community.');
        return null;
      }
      return { community, accountId: null, role: 'key' };
    }
    const role = await deps.access!.communityRole(accountId!, community.id);
    if (!role) {
      sendError(res, 'forbidden', 'Your account is not a facilitator of this community.');
      return null;
    }
    return { community, accountId, role };
  }

  async function authorisedCommunity(id: string, req: Request, res: Response): Promise<CommunityRecord | null> {
    return (await communityCaller(id, req, res))?.community ?? null;
  }

  router.post('/sessions', requireJson, json, async (req, res) => {
    const parsed = CreateSessionRequest.safeParse(req.body ?? {});
    if (!parsed.success) return sendError(res, 'bad_request', 'The session request is not valid.', issues(parsed.error));
    const { community: communityId, mode, deadline, revealAt, ...input } = parsed.data;
    const checkin = mode === 'checkin' ? { checkin: { deadline: Date.parse(deadline!), revealAt: revealAt ?? ('deadline' as const) } } : {};
    let community: CommunityRecord | null = null;
    if (communityId !== undefined) {
      community = await authorisedCommunity(communityId, req, res);
      if (!community) return;
      // A trend compares like with like: every session of a community uses its framework.
      if (input.framework !== undefined && input.framework !== community.framework) {
        return sendError(res, 'bad_request', `Sessions of this community use the framework "${community.framework}".`);
      }
    }
    if (!(await creations.allow(deps.requests.clientAddress(req)))) {
      return sendError(res, 'rate_limited', 'This address has started many sessions in the last hour; wait a while or reuse one.');
    }
    // Without a title, a community's session is named after the community and numbered, so the review, the list and the
    // comparison can tell one meeting from the next (they were all "Seeds of Innovation").
    const title = input.title?.trim() || (community ? await deps.communities.nextSessionTitle(community) : undefined);
    const {
      id: sessionId,
      code,
      facilitatorToken
    } = await deps.registry.create(
      community
        ? {
            ...input,
            title,
            language: input.language ?? community.language,
            framework: community.framework,
            communityId: community.id,
            // A community meets in one place: its sessions are dated there unless the request names another zone.
            timeZone: input.timeZone ?? community.timeZone,
            ...checkin
          }
        : { ...input, ...checkin }
    );
    // A signed-in creator owns a session on its own. A community's session gets no membership of its own: it is
    // reached through the community's, so removing a co-facilitator from the community also ends their access to
    // the sessions they started in it.
    const owner = community ? null : await cookieAccount(req);
    if (owner) await deps.memberships.setMembership({ accountId: owner, kind: 'session', target: sessionId, role: 'owner', addedAt: Date.now() });
    const links = sessionLinks(deps.requests.origin(req), code, { facilitatorToken, presenterToken: derivePresenterToken(facilitatorToken) });
    const body: CreateSessionResponse = {
      code,
      facilitatorToken,
      joinUrl: links.joinUrl,
      facilitateUrl: links.facilitateUrl!,
      presenterUrl: links.presenterUrl!
    };
    res.status(201).json(body);
  });

  router.get('/sessions/:code', async (req, res) => {
    const room = await roomOr404(req, res);
    if (room) res.json(room.room.summary());
  });

  router.delete('/sessions/:code', async (req, res) => {
    const found = await allowed(req, res, 'session:delete');
    if (!found) return;
    // The one path for a deletion: the live session closes its board and leaves the registry itself.
    await found.room.deleteSession(found.identity);
    res.status(204).end();
  });

  // A check-in's deadline as a calendar event (issue 25). As public as the join link it carries: the code alone opens it.
  router.get('/sessions/:code/checkin.ics', async (req, res) => {
    const live = await roomOr404(req, res);
    if (!live) return;
    const record = live.room.record;
    if (record.mode !== 'checkin' || record.deadline === null) return sendError(res, 'not_found', 'This session is not a check-in.');
    const words = exportWords(record.language).checkin;
    const { joinUrl } = sessionLinks(deps.requests.origin(req), record.code, {});
    const ics = await checkinCalendar({
      uid: `checkin-${record.code}@seeds-live-board`,
      title: words.calendarTitle(record.title),
      deadline: record.deadline,
      details: words.calendarDetails(joinUrl)
    });
    attachment(res.type('text/calendar; charset=utf-8'), sessionFileName(live, ['check-in'], 'ics')).send(ics);
  });

  /**
   * The meeting starts from a check-in (issue 25): a check-in still waiting is revealed now (the facilitator's
   * deliberate step, as `phase:set` would be), then a new live session of the same community opens revealed, with
   * the check-in's frozen round as its round 1: the presenter screen shows its results, the community's review of
   * open actions is there, and the group can go on to discussion, action points or a second round.
   */
  router.post('/sessions/:code/meeting', async (req, res) => {
    const found = await allowed(req, res, 'checkin:meeting');
    if (!found) return;
    const room = found.room.room;
    if (room.record.mode !== 'checkin') return sendError(res, 'bad_request', 'Only a check-in starts a meeting.');
    if (room.phase === 'voting' && !room.record.revealedRounds.includes(1)) await room.phases.setPhase('revealed', null);
    const frozen = room.rounds.frozenRound(1);
    if (!frozen) return sendError(res, 'wrong_phase', "The check-in's results are not revealed yet.");
    const record = room.record;
    const startedAlready = async () => {
      const meeting = await deps.meetings.findMeetingOf(record.id);
      if (meeting) sendError(res, 'meeting_started', `The meeting of this check-in was started already (code ${meeting}).`);
      return meeting !== null;
    };
    if (await startedAlready()) return;
    if (!(await creations.allow(deps.requests.clientAddress(req)))) {
      return sendError(res, 'rate_limited', 'This address has started many sessions in the last hour; wait a while or reuse one.');
    }
    let created: { code: string; facilitatorToken: string };
    try {
      created = await deps.registry.create({
        title: record.title,
        language: record.language,
        framework: record.framework,
        communityId: record.communityId,
        timeZone: record.timeZone,
        seed: {
          from: record.id,
          round: { results: frozen.results, ballots: frozen.ballots },
          hidden: frozen.hidden,
          settings: record.settings,
          anonymous: record.anonymous
        }
      });
    } catch (error) {
      // Two requests raced: the unique index let one meeting in; the other hears which.
      if (await startedAlready()) return;
      throw error;
    }
    const { code, facilitatorToken } = created;
    const links = sessionLinks(deps.requests.origin(req), code, { facilitatorToken, presenterToken: derivePresenterToken(facilitatorToken) });
    const body: CreateSessionResponse = {
      code,
      facilitatorToken,
      joinUrl: links.joinUrl,
      facilitateUrl: links.facilitateUrl!,
      presenterUrl: links.presenterUrl!
    };
    res.status(201).json(body);
  });

  router.post('/sessions/:code/participants', requireJson, json, async (req, res) => {
    const parsed = JoinSessionRequest.safeParse(req.body ?? {});
    if (!parsed.success) return sendError(res, 'bad_request', 'The join request is not valid.', issues(parsed.error));
    const room = await roomOr404(req, res);
    if (!room) return;
    // A closed, locked or full session refuses before the address is counted: a refused join costs nobody their budget.
    room.allow('session:join', null);
    room.room.door.assertJoinable(deps.maxParticipants);
    if (!(await newParticipants.allow(`${deps.requests.clientAddress(req)} ${room.id}`))) {
      return sendError(res, 'rate_limited', 'Many people have joined this session from your network in the last hour; ask the facilitator for help.');
    }
    const { participant, token } = await room.join(
      { name: parsed.data.name ?? '', group: parsed.data.group ?? null, language: parsed.data.language ?? null },
      deps.maxParticipants
    );
    const body: JoinSessionResponse = { participantId: participant.id, participantToken: token, name: participant.name };
    res.status(201).json(body);
  });

  // Removes several participants at once (facilitator token), by the same path as the socket.io command `participants:remove`.
  router.post('/sessions/:code/participants/removals', requireJson, json, async (req, res) => {
    const found = await allowed(req, res, 'participants:remove');
    if (!found) return;
    const parsed = COMMANDS['participants:remove'].schema.safeParse(req.body ?? {});
    if (!parsed.success) return sendError(res, 'bad_request', 'The removal request is not valid.', issues(parsed.error));
    const body: RemovedParticipants = await found.room.removeParticipants(found.identity, parsed.data.participantIds);
    res.set('Cache-Control', 'no-store').json(body);
  });

  router.get('/sessions/:code/qr.svg', async (req, res) => {
    const room = await roomOr404(req, res);
    if (!room) return;
    const QRCode = await (qrcode ??= import('qrcode'));
    const svg = await QRCode.toString(sessionLinks(deps.requests.origin(req), room.code).joinUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    res.type('image/svg+xml').set('Cache-Control', 'no-cache').send(svg);
  });

  /**
   * A session's take-home file name: its title (or "sessie"/"session") and the day it was held where
   * the group met, e.g. `groeiplan-2026-12-06-factoren.csv`, so downloads of several workshops stand apart.
   */
  function sessionFileName(live: LiveSession, suffixes: string[], extension: string): string {
    const record = live.room.record;
    const words = exportWords(record.language).takeHome;
    return takeHomeFileName(record.title, words.fileSession, localDay(record.createdAt, record.timeZone), suffixes, extension);
  }

  /** A community's file name: its name and today where it meets (what a download holds is as of today). */
  function communityFileName(community: CommunityRecord, suffixes: string[], extension: string): string {
    const words = exportWords(community.language).takeHome;
    const named = suffixes.map((s) => (s === 'trends' ? words.fileTrends : s === 'actions' ? words.fileActions : s));
    return takeHomeFileName(community.name, words.fileCommunity, localDay(deps.communities.now(), community.timeZone), named, extension);
  }

  router.get('/sessions/:code/export.json', async (req, res) => {
    const room = await facilitatorRoom(req, res);
    if (!room) return;
    const data = await exportData(room);
    // Up to ~30 MB at the limits (500 people × 12 comments): written in slices, not in one blocking step.
    await sendJsonSliced(attachment(res, sessionFileName(room, [], 'json')), data);
  });

  // CSV for machines: one table per request (?table=factors|ballots|actions|comments, default factors).
  router.get('/sessions/:code/export.csv', async (req, res) => {
    const room = await facilitatorRoom(req, res);
    if (!room) return;
    const table = req.query.table ?? 'factors';
    if (typeof table !== 'string' || !(CSV_TABLES as readonly string[]).includes(table)) {
      return sendError(res, 'bad_request', `table must be one of ${CSV_TABLES.join(', ')}.`);
    }
    const data = await exportData(room);
    const name = sessionFileName(room, [exportWords(room.room.record.language).takeHome.fileTables[table as CsvTable]], 'csv');
    // Every revealed round's comments (up to 30,000 at the limits): written a chunk of rows per turn of the event loop.
    await sendTextSliced(attachment(res.type('text/csv; charset=utf-8; header=present'), name), csvChunks(data, ballotsOf(room), table as CsvTable));
  });

  router.get('/sessions/:code/export.xlsx', async (req, res) => {
    const room = await facilitatorRoom(req, res);
    if (!room) return;
    // In an anonymous session the answers carry labels drawn anew per round: the sheet says so.
    const xlsx = await exportXlsx(await exportData(room), ballotsOf(room), { pseudonyms: room.room.record.anonymous });
    attachment(res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'), sessionFileName(room, [], 'xlsx')).send(xlsx);
  });

  // Open action points of this session with a due date, as a calendar file.
  router.get('/sessions/:code/actions.ics', async (req, res) => {
    const live = await facilitatorRoom(req, res);
    if (!live) return;
    const ics = await calendarOf(live);
    const words = exportWords(live.room.record.language);
    await sendTextSliced(attachment(res.type('text/calendar; charset=utf-8'), sessionFileName(live, [words.takeHome.fileActions], 'ics')), ics);
  });

  router.get('/sessions/:code/export.md', async (req, res) => {
    const room = await facilitatorRoom(req, res);
    if (!room) return;
    const data = await exportData(room);
    // Built and written a chunk of lines per turn of the event loop (up to ~30 MB at the limits).
    attachment(res.type('text/markdown; charset=utf-8'), sessionFileName(room, [], 'md'));
    await sendTextSliced(res, markdownOf(room, data));
  });

  router.post('/communities', requireJson, json, async (req, res) => {
    const parsed = CreateCommunityRequest.safeParse(req.body ?? {});
    if (!parsed.success) return sendError(res, 'bad_request', 'The community request is not valid.', issues(parsed.error));
    if (!(await communityCreations.allow(deps.requests.clientAddress(req)))) {
      return sendError(res, 'rate_limited', 'This address has created many communities in the last hour; wait a while or reuse one.');
    }
    const { community, token } = await deps.communities.create(parsed.data);
    const owner = await cookieAccount(req);
    if (owner) await deps.memberships.setMembership({ accountId: owner, kind: 'community', target: community.id, role: 'owner', addedAt: community.createdAt });
    const body: CreateCommunityResponse = {
      id: community.id,
      communityToken: token,
      communityUrl: communityUrl(deps.requests.origin(req), community.id, token)
    };
    res.status(201).json(body);
  });

  router.get('/communities/:id', async (req, res) => {
    const community = await authorisedCommunity(String(req.params.id), req, res);
    if (community) res.set('Cache-Control', 'no-store').json(await deps.communities.summary(community));
  });

  router.get('/communities/:id/trends.json', async (req, res) => {
    const community = await authorisedCommunity(String(req.params.id), req, res);
    if (community) res.set('Cache-Control', 'no-store').json(await deps.communities.trends(community));
  });

  // Community exports: built from trends.json (what each session revealed, paper aggregates), nothing per person.
  router.get('/communities/:id/export.csv', async (req, res) => {
    const community = await authorisedCommunity(String(req.params.id), req, res);
    if (!community) return;
    const csv = communityCsv(await deps.communities.trends(community));
    attachment(res.type('text/csv; charset=utf-8; header=present'), communityFileName(community, ['trends'], 'csv')).send(csv);
  });

  router.get('/communities/:id/export.md', async (req, res) => {
    const community = await authorisedCommunity(String(req.params.id), req, res);
    if (!community) return;
    const md = communityMarkdown(
      await deps.communities.trends(community),
      deps.communities.framework(community),
      community.language,
      exportWords(community.language)
    );
    attachment(res.type('text/markdown; charset=utf-8'), communityFileName(community, [], 'md')).send(md);
  });

  router.get('/communities/:id/export.xlsx', async (req, res) => {
    const community = await authorisedCommunity(String(req.params.id), req, res);
    if (!community) return;
    const xlsx = await communityXlsx(await deps.communities.trends(community));
    attachment(res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'), communityFileName(community, ['trends'], 'xlsx')).send(xlsx);
  });

  router.post('/communities/:id/paper-sessions', requireJson, json, async (req, res) => {
    const community = await authorisedCommunity(String(req.params.id), req, res);
    if (!community) return;
    const parsed = PaperSessionRequest.safeParse(req.body ?? {});
    if (!parsed.success) return sendError(res, 'bad_request', 'The paper session is not valid.', issues(parsed.error));
    if (!(await paperAllowed(req, res))) return;
    const body: CreatePaperSessionResponse = { code: await deps.communities.addPaper(community, parsed.data) };
    res.status(201).json(body);
  });

  // An export.json from a session held on its own (or on another server) joins the community's trend.
  const importJson = express.json({ limit: '1mb', type: () => true });
  // Authorised before the body is read: a stranger cannot make the server parse a megabyte.
  const importer = async (req: Request, res: Response, next: () => void) => {
    const community = await authorisedCommunity(String(req.params.id), req, res);
    if (!community) return;
    res.locals.community = community;
    next();
  };
  router.post('/communities/:id/imports', requireJson, importer, importJson, async (req, res) => {
    const community = res.locals.community as CommunityRecord;
    const parsed = ImportExportRequest.safeParse(req.body ?? {});
    if (!parsed.success) return sendError(res, 'bad_request', 'This is not the export.json of a session with results.', issues(parsed.error));
    if (!(await paperAllowed(req, res))) return;
    const body: CreatePaperSessionResponse = { code: await deps.communities.importExport(community, parsed.data) };
    res.status(201).json(body);
  });

  router.get('/communities/:id/actions.ics', async (req, res) => {
    const community = await authorisedCommunity(String(req.params.id), req, res);
    if (!community) return;
    const ics = await actionsCalendarParts(await deps.communities.dueActions(community), community.name);
    await sendTextSliced(attachment(res.type('text/calendar; charset=utf-8'), communityFileName(community, ['actions'], 'ics')), ics);
  });

  // Deletes the community with every session in it; live rooms are told and closed, as when a session is deleted.
  router.delete('/communities/:id', async (req, res) => {
    const caller = await communityCaller(String(req.params.id), req, res);
    if (!caller) return;
    // Everything in it goes: only the key's holder or an owning account, never a co-facilitator.
    if (caller.role === 'facilitator') return sendError(res, 'forbidden', 'Only an owner deletes a learning community.');
    const community = caller.community;
    // Each live session closes its board and leaves the registry itself.
    for (const id of await deps.communities.delete(community)) deps.registry.evict(id);
    res.status(204).end();
  });

  // Organisations and the programme view; a community's shares with them (server/http/organisations.ts).
  mountOrganisationRoutes(router, {
    organisations: deps.organisations,
    requests: deps.requests,
    guesses: deps.guesses,
    addressEvents: deps.addressEvents,
    perHour: deps.sessionsPerHour,
    access: deps.access,
    memberships: deps.memberships,
    consent: deps.consent,
    invitesPerTenMinutes: deps.invitesPerTenMinutes,
    authorisedCommunity
  });

  router.get('/frameworks', (_req, res) => {
    res.json([...deps.frameworks.values()].map((f) => ({ id: f.id, version: f.version, name: f.name, factors: f.factors.length })));
  });

  router.get('/frameworks/:id', (req, res) => {
    const framework = deps.frameworks.get(String(req.params.id));
    if (!framework) return sendError(res, 'not_found', 'There is no framework with that id.');
    res.set('Cache-Control', 'public, max-age=300').json(framework);
  });

  router.use((_req, res) => sendError(res, 'not_found', 'There is no such API endpoint.'));
  router.use(jsonErrorHandler);
  return router;
}

/**
 * Mounts `/healthz` and the REST API on an Express app: the production server
 * and the dev plugin share this, so both serve the same endpoints.
 */
export function mountBoardRoutes(
  app: express.Express,
  deps: {
    realtime: { registry: SessionRegistry; addressEvents: AddressEvents; access: FacilitatorAccess | null; revocations: Revocations | null };
    frameworks: FrameworkCatalog;
    config: Pick<
      ServerConfig,
      | 'maxParticipants'
      | 'sessionsPerHour'
      | 'paperSessionsPerHour'
      | 'maxCommunitySessions'
      | 'maxCommunityPaperSessions'
      | 'joinsPerAddress'
      | 'portfolioMinSessions'
      | 'portfolioMinCommunities'
      | 'signInsPerTenMinutes'
    >;
    requests: RequestContext;
    guesses: GuessLimiter;
    health: StoreHealth;
    /** Stamps communities and paper sessions and says what day it is (Date.now by default; tests fix it). */
    clock?: () => number;
    /** The store the realtime layer uses (communities read and write it too). */
    store: Store;
    /** The accounts' own routes (sign-in, sign-out, …), mounted after the home's and before the board's API. */
    accountRoutes?: Router;
    /** The community service, when the caller made it first (its review books are the registry's); made here otherwise. */
    communities?: CommunityService;
  }
): void {
  // 200 only while the store can read and write; 503 with the reason otherwise (see docs/reliability.md).
  app.get('/healthz', async (_req, res) => {
    const status = await deps.health.check();
    res
      .status(status.ok ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json(status);
  });
  const communities =
    deps.communities ??
    new CommunityService(
      deps.store,
      deps.frameworks,
      {
        sessions: deps.config.maxCommunitySessions,
        paperSessions: deps.config.maxCommunityPaperSessions
      },
      deps.clock
    );
  const organisations = new OrganisationService(
    deps.store,
    deps.frameworks,
    { minSessions: deps.config.portfolioMinSessions, minCommunities: deps.config.portfolioMinCommunities },
    deps.clock
  );
  // A facilitator's home and co-facilitators (issue 24), where accounts are on.
  if (deps.realtime.access && deps.realtime.revocations) {
    app.use(
      '/api',
      membersRouter({
        store: deps.store,
        access: deps.realtime.access,
        revocations: deps.realtime.revocations,
        communities,
        organisations,
        requests: deps.requests,
        guesses: deps.guesses,
        addressEvents: deps.realtime.addressEvents,
        invitesPerTenMinutes: deps.config.signInsPerTenMinutes,
        clock: deps.clock
      })
    );
  }
  if (deps.accountRoutes) app.use('/api', deps.accountRoutes);
  app.use(
    '/api',
    createApiRouter({
      registry: deps.realtime.registry,
      frameworks: deps.frameworks,
      requests: deps.requests,
      guesses: deps.guesses,
      addressEvents: deps.realtime.addressEvents,
      maxParticipants: deps.config.maxParticipants,
      sessionsPerHour: deps.config.sessionsPerHour,
      paperSessionsPerHour: deps.config.paperSessionsPerHour,
      communities,
      joinsPerAddress: deps.config.joinsPerAddress,
      organisations,
      access: deps.realtime.access,
      memberships: deps.store,
      meetings: deps.store,
      consent: deps.store,
      invitesPerTenMinutes: deps.config.signInsPerTenMinutes
    })
  );
}
