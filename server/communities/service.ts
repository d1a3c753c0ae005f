import { randomBytes, timingSafeEqual } from 'node:crypto';
import { generateCode } from '../../src/lib/domain/codes';
import { buildTrend, importedCounts, paperFigures, paperProblems, type PaperSessionInput, type RevealedSessionInput } from '../../src/lib/domain/community';
import { exportWords } from '../../src/lib/i18n/catalogues';
import { boundText, clampText } from '../../src/lib/domain/text';
import { DEFAULT_TIME_ZONE, humanDate, isFutureDay, localDay, localTime } from '../../src/lib/domain/dates';
import type { ReviewItem } from '../../src/lib/domain/review';
import { actionDetails, type DueAction } from '../exports/calendar';
import { openCommunityActions } from './review';
import { CommunityReviews } from './review-book';
import { DEFAULT_FRAMEWORK_ID, DEFAULT_LANGUAGE, type Framework, type Language } from '../../src/lib/domain/framework';
import { DEFAULT_THRESHOLDS } from '../../src/lib/domain/statistics';
import { asShown } from '../../src/lib/domain/results';
import { CommandError, LIMITS, type CommunityCheckin, type CommunitySessionSummary, type CommunitySummary, type CommunityTrends } from '../../src/lib/protocol';
import type { ImportExportRequest, PaperSessionRequest } from '../../src/lib/protocol/schemas';
import type { FrameworkCatalog } from '../content';
import { generateId, generateToken, hashToken } from '../security/tokens';
import { committed } from '../store/committed';
import type { CommunityRecord, PaperFactorCounts, PaperSessionRecord, Store } from '../store/types';

/** A name or title read back for an output, cut to its limits (a database written before the unit bound may hold more). */
const clampTitle = (t: string) => boundText(t, LIMITS.titleMax, LIMITS.titleUnits);

/**
 * Communities on top of the store: creation, the credential check, the page's
 * summary, trends and paper sessions. Handlers stay thin; the figures come from
 * pure functions in src/lib/domain/community.ts.
 */
/** Sessions one community may hold (DEFAULTS in server/config.ts; MAX_COMMUNITY_SESSIONS, MAX_COMMUNITY_PAPER_SESSIONS). */
export interface CommunityLimits {
  /** Live sessions per community. */
  sessions: number;
  /** Paper and imported sessions per community, together. */
  paperSessions: number;
}

export class CommunityService {
  /** The review decisions of every community with a session open here: one book per community, read by all its sessions (the registry's rooms). */
  readonly reviews = new CommunityReviews();

  constructor(
    private readonly store: Store,
    private readonly frameworks: FrameworkCatalog,
    readonly limits: CommunityLimits,
    /** Stamps communities and paper sessions and tells today's date (Date.now by default; tests fix it). */
    private readonly clock: () => number = Date.now
  ) {}

  /** Now by the service's clock (what "today" is in a community's downloads). */
  now(): number {
    return this.clock();
  }

  /** The framework every session of the community uses. */
  framework(community: CommunityRecord): Framework {
    return this.frameworkOf(community);
  }

  private frameworkOf(community: CommunityRecord): Framework {
    const framework = this.frameworks.get(community.framework);
    if (!framework) throw new Error(`Community ${community.id} uses framework "${community.framework}", which is not installed`);
    return framework;
  }

  async create(input: { name: string; language?: Language; framework?: string; timeZone?: string }): Promise<{ community: CommunityRecord; token: string }> {
    const frameworkId = input.framework ?? DEFAULT_FRAMEWORK_ID;
    if (!this.frameworks.has(frameworkId)) {
      throw new CommandError('bad_request', `Unknown framework "${frameworkId}".`, [`framework: one of ${[...this.frameworks.keys()].join(', ')}`]);
    }
    const token = generateToken();
    const community: CommunityRecord = {
      id: generateId(),
      name: input.name.trim(),
      language: input.language ?? DEFAULT_LANGUAGE,
      framework: frameworkId,
      tokenHash: hashToken(token),
      timeZone: input.timeZone ?? DEFAULT_TIME_ZONE,
      createdAt: this.clock()
    };
    await committed(this.store.createCommunity(community), 'the new community');
    return { community, token };
  }

  /** The community with this id, or null (ids that cannot be ours are not looked up). */
  async find(id: string): Promise<CommunityRecord | null> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return null;
    return this.store.loadCommunity(id);
  }

  /** Whether a token is this community's credential (compared as hashes, in constant time). */
  isToken(community: CommunityRecord, token: string): boolean {
    const given = Buffer.from(hashToken(token), 'hex');
    const stored = Buffer.from(community.tokenHash, 'hex');
    return given.length === stored.length && timingSafeEqual(given, stored);
  }

  async summary(community: CommunityRecord): Promise<CommunitySummary> {
    const [live, paper] = await Promise.all([this.store.listCommunitySessions(community.id), this.store.listPaperSessions(community.id)]);
    const liveRows: CommunitySessionSummary[] = [];
    for (const s of live) {
      // One frozen round read (and parsed) per turn of the event loop: up to 1000 sessions, each up to
      // its round's comment budget. All at once (Promise.all on a synchronous store) blocked for seconds.
      await nextTurn();
      liveRows.push({
        code: s.code,
        title: s.title,
        source: 'live' as const,
        // The day and time on the clocks where the group met, not the UTC day.
        date: localDay(s.createdAt, s.timeZone),
        time: localTime(s.createdAt, s.timeZone),
        phase: s.phase,
        revealed: (await this.store.loadLatestRevealedRound(s.id)) !== null
      });
    }
    const paperRows: CommunitySessionSummary[] = paper.map((p) => ({
      code: p.code,
      title: p.title,
      source: p.source,
      date: p.date,
      time: null,
      phase: 'closed',
      revealed: true
    }));
    const sessions = [...liveRows, ...paperRows].sort(
      (a, b) => a.date.localeCompare(b.date) || (a.time ?? '').localeCompare(b.time ?? '') || (a.code < b.code ? -1 : 1)
    );
    return {
      id: community.id,
      name: community.name,
      language: community.language,
      framework: community.framework,
      factorCount: this.frameworkOf(community).factors.length,
      timeZone: community.timeZone,
      today: localDay(this.clock(), community.timeZone),
      sessions,
      checkins: await this.openCheckins(community)
    };
  }

  /** The community's open check-ins with how many are done (two counting reads each; a community holds a bounded number). */
  private async openCheckins(community: CommunityRecord): Promise<CommunityCheckin[]> {
    const factorCount = this.frameworkOf(community).factors.length;
    const rows: CommunityCheckin[] = [];
    for (const c of await this.store.listOpenCheckins(community.id)) {
      const { done, of } = await this.store.checkinProgress(c.id, factorCount);
      rows.push({
        code: c.code,
        title: c.title,
        deadline: new Date(c.deadline).toISOString(),
        timeZone: c.timeZone,
        revealAt: c.revealAt,
        done,
        of,
        closed: c.votingClosed
      });
    }
    return rows;
  }

  /** `trends.json`: each live session's latest revealed round as frozen, and the paper sessions' aggregates. */
  async trends(community: CommunityRecord): Promise<CommunityTrends> {
    const framework = this.frameworkOf(community);
    const [live, paper] = await Promise.all([this.store.listCommunitySessions(community.id), this.store.listPaperSessions(community.id)]);
    const revealed: RevealedSessionInput[] = [];
    for (const s of live) {
      // A check-in continued by a meeting is counted once, as the meeting (its round 1 is the check-in's round).
      if (s.continued) continue;
      // One frozen round per turn of the event loop (see summary).
      await nextTurn();
      const latest = await this.store.loadLatestRevealedRound(s.id);
      // As the room shows it: a withheld round frozen with its counts (before they were withheld too) shows none.
      if (latest)
        revealed.push({ code: s.code, title: clampTitle(s.title), revealedAt: latest.revealedAt, timeZone: s.timeZone, results: asShown(latest.results) });
    }
    // The figures stored with each paper session: nothing is recomputed from its counts here.
    const papers: PaperSessionInput[] = paper.map((p) => ({
      code: p.code,
      title: clampTitle(p.title),
      date: p.date,
      createdAt: p.createdAt,
      factors: p.factors,
      figures: p.figures,
      source: p.source
    }));
    return {
      community: { id: community.id, name: clampTitle(community.name) },
      sessions: buildTrend(revealed, papers, framework.factors.length),
      thresholds: { weakBelow: DEFAULT_THRESHOLDS.weakBelow, divergentBelow: DEFAULT_THRESHOLDS.divergentBelow }
    };
  }

  /** The default title of the community's next live session: its name and the meeting's number, e.g. "Greenport LC · 3". */
  async nextSessionTitle(community: CommunityRecord): Promise<string> {
    const held = (await this.store.listCommunitySessions(community.id)).length;
    return clampText(`${community.name} · ${held + 1}`, LIMITS.titleMax, LIMITS.titleUnits);
  }

  /** Stores a paper session (validated against the community's framework); answers its code. */
  async addPaper(community: CommunityRecord, input: PaperSessionRequest): Promise<string> {
    const framework = this.frameworkOf(community);
    // A meeting not held yet has no results; stored, it would be taken as "last time" by every session before its day.
    if (isFutureDay(input.date, community.timeZone, this.clock())) {
      throw new CommandError(
        'bad_request',
        `The date ${input.date} is after today (${localDay(this.clock(), community.timeZone)} in ${community.timeZone}): enter a session that was held.`,
        ["date: must not be after today in the community's time zone"]
      );
    }
    const title = input.title?.trim() || `${framework.name[community.language]} (${input.date})`;
    return this.storeCounts(community, { title, date: input.date, factors: input.factors, source: 'paper' });
  }

  /**
   * Imports a session held elsewhere from its export.json: its latest round's
   * counts per factor, stored like a paper session (aggregates only) and marked
   * as imported. Factors withheld there (fewer than k voters) are left out.
   */
  async importExport(community: CommunityRecord, input: ImportExportRequest): Promise<string> {
    // The day where that group met when the export says it; an older export has only the UTC instant.
    const date = input.session.date ?? input.session.createdAt.slice(0, 10);
    const factors = importedCounts({ title: input.session.title, date, factors: input.factors });
    if (factors.length === 0) throw new CommandError('bad_request', 'This export has no factor with counts (were all of them withheld?).');
    return this.storeCounts(community, { title: input.session.title.trim(), date, factors, source: 'import' });
  }

  private async storeCounts(
    community: CommunityRecord,
    input: { title: string; date: string; factors: readonly PaperFactorCounts[]; source: PaperSessionRecord['source'] }
  ): Promise<string> {
    const framework = this.frameworkOf(community);
    const factors: PaperFactorCounts[] = input.factors.map((f) => ({ number: f.number, distribution: { ...f.distribution }, unknown: f.unknown }));
    const problems = paperProblems(framework.factors.length, factors);
    if (problems.length > 0)
      throw new CommandError(
        'bad_request',
        input.source === 'import' ? 'The counts in this export are not valid.' : 'The paper counts are not valid.',
        problems.slice(0, 10)
      );
    // `P` + a code: seven characters, so never a live session's code (those are six).
    const code = `P${generateCode((n) => randomBytes(n))}`;
    const stored = await committed(
      this.store.savePaperSession(
        {
          id: generateId(),
          communityId: community.id,
          code,
          title: input.title || framework.name[community.language],
          date: input.date,
          factors,
          // Computed once, here: every later trend, export and room load reads these.
          figures: paperFigures(factors),
          createdAt: this.clock(),
          source: input.source
        },
        this.limits.paperSessions
      ),
      input.source === 'import' ? 'the imported session' : 'the paper session'
    );
    if (!stored) {
      throw new CommandError(
        'community_full',
        `This community already holds ${this.limits.paperSessions} paper and imported sessions, the most one community may hold.`
      );
    }
    return code;
  }

  /** Deletes the community and all its sessions; answers the ids of the live sessions deleted (their rooms must go too). */
  delete(community: CommunityRecord): Promise<string[]> {
    return committed(this.store.deleteCommunity(community.id), 'deleting the community');
  }

  /** The community's open action points with a due date, for its calendar. */
  async dueActions(community: CommunityRecord): Promise<DueAction[]> {
    const framework = this.frameworkOf(community);
    const words = exportWords(community.language);
    const open = await openCommunityActions(this.store, community.id);
    return open
      .filter((item): item is ReviewItem & { due: string } => item.due !== null)
      .map((item) => ({
        uid: `${item.sessionCode}-${item.actionId}@seeds-live-board`,
        text: item.text,
        due: item.due,
        details: actionDetails(item, framework, community.language, words.review.from(item.sessionTitle, humanDate(item.sessionDate, community.language)))
      }));
  }
}

/** Waits for the next turn of the event loop, so other requests are answered in between. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
