import { timingSafeEqual } from 'node:crypto';
import { newWorkbook } from '../exports/excel';
import { besideProgramme, buildPortfolio, PORTFOLIO_DEFAULTS, type PortfolioSettings } from '../../src/lib/domain/portfolio';
import { DEFAULT_TIME_ZONE } from '../../src/lib/domain/dates';
import { boundText } from '../../src/lib/domain/text';
import { DEFAULT_FRAMEWORK_ID } from '../../src/lib/domain/framework';
import { CommandError, LIMITS, type CommunityShares, type OrganisationShares, type PortfolioView } from '../../src/lib/protocol';
import type { FrameworkCatalog } from '../content';
import { generateId, generateToken, hashToken } from '../security/tokens';
import { committed } from '../store/committed';
import { safeWorkbook } from '../exports/cells';
import type { CommunityRecord, OrganisationRecord, Store } from '../store/types';

/** Communities one organisation may hold: bounds what one programme view reads (× sessions per community). */
export const MAX_ORGANISATION_COMMUNITIES = 500;
/** Organisations one community may share with: bounds what its page's "beside the programme" costs. */
export const MAX_COMMUNITY_SHARES = 10;

const clampTitle = (t: string) => boundText(t, LIMITS.titleMax, LIMITS.titleUnits);

/**
 * Organisations and the programme view on top of the store (issue 25). The figures come from the pure
 * src/lib/domain/portfolio.ts; this only reads the store once per view and shapes the answer. Until
 * accounts exist, an organisation is read with its key (a bearer token stored only as a hash).
 */
export class OrganisationService {
  readonly settings: PortfolioSettings;

  constructor(
    private readonly store: Store,
    private readonly frameworks: FrameworkCatalog,
    settings: Partial<PortfolioSettings> = {},
    private readonly clock: () => number = Date.now
  ) {
    this.settings = { ...PORTFOLIO_DEFAULTS, ...settings };
  }

  async create(input: { name: string; timeZone?: string }): Promise<{ organisation: OrganisationRecord; token: string }> {
    const token = generateToken();
    const organisation: OrganisationRecord = {
      id: generateId(),
      name: input.name.trim(),
      timeZone: input.timeZone ?? DEFAULT_TIME_ZONE,
      tokenHash: hashToken(token),
      createdAt: this.clock()
    };
    await committed(this.store.createOrganisation(organisation), 'the new organisation');
    return { organisation, token };
  }

  /** The organisation with this id, or null (ids that cannot be ours are not looked up). */
  async find(id: string): Promise<OrganisationRecord | null> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return null;
    return this.store.loadOrganisation(id);
  }

  /** Whether a token is this organisation's key (compared as hashes, in constant time). */
  isToken(organisation: OrganisationRecord, token: string): boolean {
    const given = Buffer.from(hashToken(token), 'hex');
    const stored = Buffer.from(organisation.tokenHash, 'hex');
    return given.length === stored.length && timingSafeEqual(given, stored);
  }

  /** The programme's framework: the view compares like with like (communities of another framework are left out). */
  private framework() {
    const framework = this.frameworks.get(DEFAULT_FRAMEWORK_ID);
    if (!framework) throw new Error(`The programme view needs the framework "${DEFAULT_FRAMEWORK_ID}", which is not installed`);
    return framework;
  }

  /** `portfolio.json`: one store read, then the pure portfolio. */
  async portfolio(organisation: OrganisationRecord): Promise<PortfolioView> {
    const framework = this.framework();
    const shared = (await this.store.loadPortfolioFigures(organisation.id)).filter((c) => c.framework === framework.id);
    const portfolio = buildPortfolio({
      communities: shared.map((c) => ({ id: c.id, name: clampTitle(c.name), rounds: c.rounds })),
      factorCount: framework.factors.length,
      timeZone: organisation.timeZone,
      settings: this.settings
    });
    return {
      organisation: { id: organisation.id, name: clampTitle(organisation.name), timeZone: organisation.timeZone },
      framework: framework.id,
      ...portfolio
    };
  }

  /** The organisations a community shares with, and its latest figures beside each programme. */
  async shares(community: CommunityRecord): Promise<CommunityShares> {
    const rows = await this.store.listCommunityShares(community.id);
    const framework = this.framework();
    const shares: CommunityShares['shares'] = [];
    for (const row of rows) {
      const shared = (await this.store.loadPortfolioFigures(row.organisationId)).filter((c) => c.framework === framework.id);
      const own = shared.find((c) => c.id === community.id);
      const organisation = (await this.store.loadOrganisation(row.organisationId))!;
      const portfolio = buildPortfolio({
        communities: shared,
        factorCount: framework.factors.length,
        timeZone: organisation.timeZone,
        settings: this.settings
      });
      shares.push({
        organisation: { id: row.organisationId, name: clampTitle(row.organisationName) },
        sharedAt: row.sharedAt,
        beside: besideProgramme(community.id, own?.rounds ?? [], portfolio, this.settings)
      });
    }
    const removed = (await this.store.listShareRemovals(community.id)).map((r) => ({
      organisation: { id: r.organisationId, name: clampTitle(r.organisationName) },
      removedAt: r.removedAt
    }));
    return { shares, removed };
  }

  /** The communities sharing with the organisation, for its admin (names only: no figure, no session). */
  async sharedCommunities(organisation: OrganisationRecord): Promise<OrganisationShares> {
    const rows = await this.store.listOrganisationShares(organisation.id, MAX_ORGANISATION_COMMUNITIES);
    return { communities: rows.map((r) => ({ id: r.communityId, name: clampTitle(r.communityName), sharedAt: r.sharedAt })) };
  }

  /**
   * The organisation removes the community from its programme (its admin's decision): the next read of the view no
   * longer holds it, and the community's page says who removed it. False when the community does not share with it.
   */
  removeCommunity(organisation: OrganisationRecord, communityId: string): Promise<boolean> {
    return committed(this.store.removeShareByOrganisation(organisation.id, communityId, this.clock()), 'removing the community from the programme');
  }

  /** Shares the community's frozen figures with the organisation (the owner's choice; off until called). */
  async share(community: CommunityRecord, organisation: OrganisationRecord): Promise<void> {
    const current = await this.store.listCommunityShares(community.id);
    if (!current.some((s) => s.organisationId === organisation.id) && current.length >= MAX_COMMUNITY_SHARES) {
      throw new CommandError('community_full', `This community already shares with ${MAX_COMMUNITY_SHARES} organisations, the most it may.`);
    }
    const stored = await committed(this.store.shareCommunity(community.id, organisation.id, this.clock(), MAX_ORGANISATION_COMMUNITIES), 'the share');
    if (!stored) throw new CommandError('community_full', `This organisation already holds ${MAX_ORGANISATION_COMMUNITIES} communities, the most one may.`);
  }

  /** Withdraws the share: the next read of the programme view no longer holds anything of the community. */
  withdraw(community: CommunityRecord, organisationId: string): Promise<void> {
    return committed(this.store.withdrawShare(community.id, organisationId), 'withdrawing the share');
  }

  /** The owner has read the notice that the organisation removed the community; it goes (a new share takes it away too). */
  dismissRemoval(community: CommunityRecord, organisationId: string): Promise<void> {
    return committed(this.store.dismissShareRemoval(community.id, organisationId), 'hiding the notice');
  }
}

/** The programme view as a spreadsheet: the same figures as portfolio.json, one sheet per table of the page. */
export async function portfolioXlsx(view: PortfolioView): Promise<Buffer> {
  const book = await newWorkbook();
  book.creator = 'Seeds of Innovation';
  book.title = view.organisation.name;
  const sheet = (name: string, headers: string[]) => {
    const ws = book.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.columns = headers.map((header) => ({ header, width: Math.max(10, header.length + 2) }));
    ws.getRow(1).font = { bold: true };
    return ws;
  };
  const communities = sheet('communities', ['community', 'sessions', 'factor', 'mean', 'consensus', 'weak', 'divergent']);
  communities.getColumn(1).width = 40;
  for (const c of view.communities) for (const f of c.factors) communities.addRow([c.name, c.sessions, f.number, f.mean, f.consensus, f.weak, f.divergent]);
  const factors = sheet('factors', ['factor', 'communities', 'weak', 'divergent', 'median', 'q1', 'q3']);
  for (const f of view.factors) factors.addRow([f.number, f.communities, f.weak, f.divergent, f.median, f.q1, f.q3]);
  const trend = sheet('trend', ['factor', 'quarter', 'communities', 'median', 'q1', 'q3']);
  for (const t of view.trend) for (const p of t.points) trend.addRow([t.number, p.quarter, p.communities, p.median, p.q1, p.q3]);
  // Figures with two decimals; counts and factor numbers stay whole.
  for (const [ws, columns] of [
    [communities, [4, 5]],
    [factors, [5, 6, 7]],
    [trend, [4, 5, 6]]
  ] as const)
    for (const column of columns) ws.getColumn(column).numFmt = '0.00';
  // Every text cell, in every sheet: no character XML forbids, no cell over Excel's 32,767.
  safeWorkbook(book);
  return Buffer.from(await book.xlsx.writeBuffer());
}
