import { randomBytes } from 'node:crypto';
import { DEFAULT_FRAMEWORK_ID, DEFAULT_LANGUAGE, type Language } from '../../src/lib/domain/framework';
import { generateCode, normalizeCode } from '../../src/lib/domain/codes';
import { DEFAULT_MIN_VOTERS, DEFAULT_THRESHOLDS } from '../../src/lib/domain/statistics';
import { DEFAULT_TIME_ZONE } from '../../src/lib/domain/dates';
import { CommandError, LIMITS } from '../../src/lib/protocol';
import type { FrameworkCatalog } from '../content';
import { derivePresenterToken, generateId, generateToken, hashToken } from '../security/tokens';
import { committed } from '../store/committed';
import type { HiddenComment, RevealedRound, SessionRecord, Store } from '../store/types';
import type { SessionSettings } from '../../src/lib/protocol';
import type { RoomFanout } from './fanout';
import { LiveSession } from './live-session';
import { loadCommunityContext } from '../communities/review';
import { CommunityReviews } from '../communities/review-book';
import type { CommunityContext } from './projections';
import { TicketBook } from '../yjs/tickets';
import type { YjsLimits } from '../yjs/board-document';
import type { Framework } from '../../src/lib/domain/framework';
import type { LoadedSession } from '../store/types';
import { LocalLeases, type SessionLeases } from '../cluster/leases';
import { deadlineProblem, type RevealAt } from '../../src/lib/domain/checkins';

/** Check-ins one sweep acts on at most (bounded work; the next sweep takes the rest). */
export const CHECKIN_SWEEP_BATCH = 50;

/** The one idle-unload policy: a live session (ballots and board) leaves memory this long after its last connection closed. */
export const IDLE_UNLOAD_MS = 10 * 60_000;
import type { CommentBudget } from './ballot-box';

export interface RegistryOptions {
  store: Store;
  frameworks: FrameworkCatalog;
  fanout: RoomFanout;
  maxLiveSessions?: number;
  /** Live sessions one community may hold; counted by the store in the transaction that inserts. Unlimited when absent. */
  maxCommunitySessions?: number;
  /** Unload a session this long after its last connection closed (IDLE_UNLOAD_MS). */
  idleUnloadMs?: number;
  yjsLimits?: YjsLimits;
  /** Comment code units per round (LIMITS by default). */
  commentBudget?: CommentBudget;
  /** Who owns which session when there are several instances (LocalLeases: this one owns all). */
  leases?: SessionLeases;
  /**
   * Several instances: a new session's lease is given back as soon as the session is stored, so the
   * instance that first serves its code takes it — the one the proxy routes that code to (docs/scaling.md).
   * The creating request carries no code, so the proxy cannot route it by one; keeping the session where
   * it was created would leave it on the other instance for about half the sessions.
   */
  releaseNewSessions?: boolean;
  /** The clock that stamps a session's creation and its reveals (Date.now by default; tests fix it). */
  clock?: () => number;
  /** The community service's review books (one per community, shared by its open sessions); a registry of its own without one. */
  reviews?: CommunityReviews;
}

/**
 * The one map of sessions in memory: finds live sessions by code, loading
 * them from the store on first use (once, even when many connections arrive
 * together), and unloads idle ones, ballots and board together.
 */
export class SessionRegistry {
  private readonly rooms = new Map<string, LiveSession>();
  private readonly loading = new Map<string, Promise<LiveSession | null>>();
  private readonly unloadTimers = new Map<string, NodeJS.Timeout>();
  /** Tickets for the board's WebSocket, issued over socket.io and taken at the upgrade. */
  readonly tickets = new TicketBook();
  private closed = false;

  private readonly leases: SessionLeases;
  private readonly reviews: CommunityReviews;

  constructor(private readonly options: RegistryOptions) {
    this.leases = options.leases ?? new LocalLeases();
    this.reviews = options.reviews ?? new CommunityReviews();
    // Every lease went with the connection that held it: another instance may own these sessions now.
    this.leases.onLost(() => {
      for (const room of [...this.rooms.values()]) {
        this.rooms.delete(room.code);
        room.handOver();
      }
    });
    // Another instance deleted a session (purge, community deletion): its room here ends too.
    this.leases.onGone((id) => this.evict(id, { announce: false }));
  }

  private open(record: SessionRecord, framework: Framework, loaded: Omit<LoadedSession, 'session'>, community: CommunityContext | null): LiveSession {
    const live = new LiveSession(
      record,
      framework,
      loaded,
      {
        store: this.options.store,
        fanout: this.options.fanout,
        tickets: this.tickets,
        yjsLimits: this.options.yjsLimits,
        clock: this.options.clock,
        commentBudget: this.options.commentBudget,
        idle: (l) => this.scheduleUnload(l),
        gone: (l) => this.forget(l)
      },
      community
    ).start();
    this.rooms.set(live.code, live);
    this.scheduleUnload(live);
    return live;
  }

  async create(input: {
    title?: string;
    language?: Language;
    anonymous?: boolean;
    framework?: string;
    /** The community the session belongs to (already authorised by the caller). */
    communityId?: string | null;
    /** Where the group meets (IANA, validated by the caller); Europe/Amsterdam when absent. */
    timeZone?: string;
    /** A check-in: open for scoring at once until `deadline` (epoch ms, checked here against the clock). */
    checkin?: { deadline: number; revealAt: RevealAt };
    /**
     * A meeting started from a check-in: it opens revealed, with the check-in's frozen round as its round 1 (results,
     * ballots and hidden comments as they were shown, never recomputed), its settings and anonymity.
     */
    seed?: {
      /** The check-in's id: the meeting continues its measurement (counted once in trends and the programme view). */
      from: string;
      round: Pick<RevealedRound, 'results' | 'ballots'>;
      hidden: HiddenComment[];
      settings: SessionSettings;
      anonymous: boolean;
    };
  }): Promise<{ id: string; code: string; facilitatorToken: string; room: LiveSession | null }> {
    const frameworkId = input.framework ?? DEFAULT_FRAMEWORK_ID;
    const framework = this.options.frameworks.get(frameworkId);
    if (!framework)
      throw new CommandError('bad_request', `Unknown framework "${frameworkId}".`, [`framework: one of ${[...this.options.frameworks.keys()].join(', ')}`]);
    const maxLive = this.options.maxLiveSessions ?? LIMITS.liveSessions;
    if ((await this.options.store.countLiveSessions()) >= maxLive) {
      throw new CommandError('server_full', 'This server hosts as many live sessions as it can; close an old one or try again later.');
    }
    let code = generateCode((n) => randomBytes(n));
    for (let attempt = 0; (await this.options.store.findSessionIdByCode(code)) !== null; attempt++) {
      if (attempt > 20) throw new CommandError('internal', 'Could not find a free session code.');
      code = generateCode((n) => randomBytes(n));
    }
    const now = (this.options.clock ?? Date.now)();
    const checkin = input.checkin ?? null;
    const deadlineProblemText = checkin ? deadlineProblem(checkin.deadline, now) : null;
    if (deadlineProblemText) throw new CommandError('bad_request', 'The check-in request is not valid.', [deadlineProblemText]);
    const facilitatorToken = generateToken();
    const language = input.language ?? DEFAULT_LANGUAGE;
    const id = generateId();
    // The new session's lease first, before anyone can reach the session, so its room is here and only here. Without
    // it (the lease connection is down) nothing is created: a room opened without its lease could open elsewhere too.
    if (!(await this.leases.acquire(id)).here) {
      throw new CommandError('store_unavailable', 'This server cannot start a session right now; try again in a moment.');
    }
    const record: SessionRecord = {
      id,
      code,
      title: input.title?.trim() || framework.name[language],
      language,
      framework: frameworkId,
      anonymous: input.seed ? input.seed.anonymous : (input.anonymous ?? true),
      facilitatorTokenHash: hashToken(facilitatorToken),
      presenterTokenHash: hashToken(derivePresenterToken(facilitatorToken)),
      // A check-in opens for scoring at once: nobody is there to start it, people answer over days on their own time, and
      // a session still in the lobby would be taken for abandoned by the lobby purge (LOBBY_PURGE_HOURS).
      phase: checkin ? 'voting' : input.seed ? 'revealed' : 'lobby',
      round: 1,
      votingDeadline: checkin ? checkin.deadline : null,
      votingClosed: false,
      votingPausedMs: null,
      settings: input.seed
        ? { ...input.seed.settings, joinsLocked: false }
        : { ...DEFAULT_THRESHOLDS, dotsPerPerson: LIMITS.defaultDots, minVoters: DEFAULT_MIN_VOTERS, hideDotTotals: false, joinsLocked: false },
      revealedRounds: input.seed ? [1] : [],
      communityId: input.communityId ?? null,
      timeZone: input.timeZone ?? DEFAULT_TIME_ZONE,
      mode: checkin ? 'checkin' : 'live',
      deadline: checkin ? checkin.deadline : null,
      revealAt: checkin ? checkin.revealAt : null,
      seededFrom: input.seed?.from ?? null,
      createdAt: now,
      updatedAt: now
    };
    const cap = record.communityId ? this.options.maxCommunitySessions : undefined;
    try {
      if (!(await committed(this.options.store.createSession(record, cap), 'the new session'))) {
        throw new CommandError('community_full', `This community already holds ${cap} sessions, the most one community may hold.`);
      }
      if (input.seed) await this.plant(id, input.seed);
    } catch (error) {
      void this.leases.release(id).catch(() => undefined);
      throw error;
    }
    if (this.options.releaseNewSessions) {
      // Given back before the answer, so the first request with the code finds the lease free wherever it lands.
      await this.leases.release(id).catch((error) => console.error("cluster: giving a new session's lease back failed:", error));
      return { id, code, facilitatorToken, room: null };
    }
    const context = await loadCommunityContext(this.options.store, record, framework.factors.length, this.reviews);
    const seeded = input.seed
      ? { revealed: [{ ...input.seed.round, sessionId: id, round: 1, revealedAt: now }], hiddenComments: input.seed.hidden.map((h) => ({ ...h, round: 1 })) }
      : { revealed: [], hiddenComments: [] };
    const room = this.open(record, framework, { participants: [], answers: [], dots: [], actions: [], ...seeded }, context);
    return { id, code, facilitatorToken, room };
  }

  /** Whether the session is in this process's memory now (tests watch the idle unload with it). */
  isLoaded(code: string): boolean {
    return this.rooms.has(code);
  }

  /**
   * Stores a meeting's round 1 as the check-in froze it. Written after the session row (whose insert may find the
   * community full); should it fail, the session goes again, so no meeting stays revealed without its round.
   */
  private async plant(id: string, seed: NonNullable<Parameters<SessionRegistry['create']>[0]['seed']>): Promise<void> {
    const store = this.options.store;
    try {
      await committed(
        Promise.all([
          store.saveRevealedRound({ ...seed.round, sessionId: id, round: 1, revealedAt: (this.options.clock ?? Date.now)() }),
          ...seed.hidden.map((h) => store.setCommentHidden(id, { ...h, round: 1 }, true))
        ]),
        "the check-in's results"
      );
    } catch (error) {
      await store.deleteSession(id).catch((e) => console.error('Removing a half-made meeting failed:', e));
      throw error;
    }
  }

  /** The live session for a typed or stored code, or null when unknown. */
  async get(codeInput: string): Promise<LiveSession | null> {
    const code = normalizeCode(codeInput);
    if (!code) return null;
    const live = this.rooms.get(code);
    if (live) return live.isDeleted ? null : live;
    let pending = this.loading.get(code);
    if (!pending) {
      pending = this.load(code).finally(() => this.loading.delete(code));
      this.loading.set(code, pending);
    }
    return pending;
  }

  private async load(code: string): Promise<LiveSession | null> {
    const id = await this.options.store.findSessionIdByCode(code);
    if (!id) return null;
    // The room loads only where the session's lease is: never in two processes at once.
    const owner = await this.leases.acquire(id);
    if (!owner.here) throw new CommandError('store_unavailable', 'This session is served by another instance right now; try again in a moment.');
    const loaded = await this.options.store.loadSession(id);
    if (!loaded) return null;
    const framework = this.options.frameworks.get(loaded.session.framework);
    if (!framework) throw new Error(`Session ${code} uses framework "${loaded.session.framework}", which is not installed`);
    const context = await loadCommunityContext(this.options.store, loaded.session, framework.factors.length, this.reviews);
    return this.open(loaded.session, framework, loaded, context);
  }

  /**
   * Keeps check-in deadlines that no loaded room is timing (unloaded while idle, or the server was down at the
   * deadline): every loaded room looks at its deadline, and each check-in past its deadline that is still open is
   * loaded here (only where its lease can be taken: on a cluster, by its owner) and closed or revealed by its room.
   * The room's serial and its `isDue` check make the reveal happen once, whichever of timer and sweep comes first.
   * Resolves with the codes it acted on.
   */
  async sweepCheckins(): Promise<string[]> {
    if (this.closed) return [];
    const now = (this.options.clock ?? Date.now)();
    const acted: string[] = [];
    for (const room of [...this.rooms.values()]) {
      if (room.room.record.mode === 'checkin') await room.room.phases.checkDeadline().catch((error) => console.error(`check-in ${room.code}:`, error));
    }
    for (const due of await this.options.store.listDueCheckins(now, CHECKIN_SWEEP_BATCH)) {
      try {
        const live = await this.get(due.code);
        if (!live) continue;
        await live.room.phases.checkDeadline();
        acted.push(due.code);
      } catch (error) {
        // Owned by another instance (it acts on it), or the store refused for now (the next sweep tries again).
        if (!(error instanceof CommandError && error.code === 'store_unavailable')) console.error(`check-in ${due.code}:`, error);
      }
    }
    return acted;
  }

  /** The sessions in memory now (a removed co-facilitator's connections are looked for among them). */
  liveSessions(): LiveSession[] {
    return [...this.rooms.values()].filter((room) => !room.isDeleted);
  }

  /** Called when a connection closes (either transport); unloads the session later if nobody is left. */
  private scheduleUnload(room: LiveSession): void {
    if (this.closed) return;
    const existing = this.unloadTimers.get(room.code);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => {
      this.unloadTimers.delete(room.code);
      if (room.connectionCount === 0 && this.rooms.get(room.code) === room) {
        room.unload();
        this.rooms.delete(room.code);
        void this.leases.release(room.id).catch((error) => console.error('cluster: giving a lease back failed:', error));
      }
    }, this.options.idleUnloadMs ?? IDLE_UNLOAD_MS);
    timer.unref();
    this.unloadTimers.set(room.code, timer);
  }

  /** Drops the live session of a session the store no longer has (purged), telling its clients (it forgets itself via `gone`). */
  evict(sessionId: string, { announce = true } = {}): void {
    for (const room of [...this.rooms.values()]) if (room.id === sessionId) room.evicted();
    // The session's room may live on another instance: every instance hears it is gone.
    if (announce) void this.leases.announceGone([sessionId]).catch((error) => console.error('cluster: announcing a deleted session failed:', error));
  }

  /** Forgets a deleted session (called by the session itself once it ended). */
  private forget(room: LiveSession): void {
    if (this.rooms.get(room.code) === room) this.rooms.delete(room.code);
    void this.leases.release(room.id).catch((error) => console.error('cluster: giving a lease back failed:', error));
    const timer = this.unloadTimers.get(room.code);
    if (timer) clearTimeout(timer);
    this.unloadTimers.delete(room.code);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.unloadTimers.values()) clearTimeout(timer);
    for (const room of this.rooms.values()) room.unload();
    this.rooms.clear();
  }
}
