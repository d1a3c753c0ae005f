import { randomBytes } from 'node:crypto';
import { DEFAULT_FRAMEWORK_ID, DEFAULT_LANGUAGE, type Language } from '../../src/lib/domain/framework';
import { generateCode, normalizeCode } from '../../src/lib/domain/codes';
import { DEFAULT_MIN_VOTERS, DEFAULT_THRESHOLDS } from '../../src/lib/domain/statistics';
import { CommandError, LIMITS } from '../../src/lib/protocol';
import type { FrameworkCatalog } from '../content';
import { derivePresenterToken, generateId, generateToken, hashToken } from '../security/tokens';
import { committed } from '../store/committed';
import type { SessionRecord, Store } from '../store/types';
import type { RoomFanout } from './fanout';
import { SessionRoom } from './room';
import { loadCommunityContext } from '../communities/review';

export interface RegistryOptions {
  store: Store;
  frameworks: FrameworkCatalog;
  fanout: RoomFanout;
  maxLiveSessions?: number;
  /** Unload a room this long after its last connection closed. */
  idleUnloadMs?: number;
}

/**
 * Finds live rooms by code, loading them from the store on first use (once,
 * even when many connections arrive together) and unloading idle ones.
 */
export class SessionRegistry {
  private readonly rooms = new Map<string, SessionRoom>();
  private readonly loading = new Map<string, Promise<SessionRoom | null>>();
  private readonly unloadTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: RegistryOptions) {}

  async create(input: {
    title?: string;
    language?: Language;
    anonymous?: boolean;
    framework?: string;
    /** The community the session belongs to (already authorised by the caller). */
    communityId?: string | null;
  }): Promise<{ room: SessionRoom; facilitatorToken: string }> {
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
    const facilitatorToken = generateToken();
    const now = Date.now();
    const language = input.language ?? DEFAULT_LANGUAGE;
    const record: SessionRecord = {
      id: generateId(),
      code,
      title: input.title?.trim() || framework.name[language],
      language,
      framework: frameworkId,
      anonymous: input.anonymous ?? true,
      facilitatorTokenHash: hashToken(facilitatorToken),
      presenterTokenHash: hashToken(derivePresenterToken(facilitatorToken)),
      phase: 'lobby',
      round: 1,
      votingDeadline: null,
      votingClosed: false,
      votingPausedMs: null,
      settings: { ...DEFAULT_THRESHOLDS, dotsPerPerson: LIMITS.defaultDots, minVoters: DEFAULT_MIN_VOTERS, hideDotTotals: false },
      revealedRounds: [],
      communityId: input.communityId ?? null,
      createdAt: now,
      updatedAt: now
    };
    await committed(this.options.store.createSession(record), 'the new session');
    const context = await loadCommunityContext(this.options.store, record, framework.factors.length);
    const room = new SessionRoom(
      record,
      framework,
      this.options.store,
      this.options.fanout,
      { participants: [], answers: [], dots: [], revealed: [], actions: [], hiddenComments: [] },
      context
    );
    this.rooms.set(code, room);
    this.scheduleUnload(room);
    return { room, facilitatorToken };
  }

  /** The room for a typed or stored code, or null when unknown. */
  async get(codeInput: string): Promise<SessionRoom | null> {
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

  private async load(code: string): Promise<SessionRoom | null> {
    const id = await this.options.store.findSessionIdByCode(code);
    if (!id) return null;
    const loaded = await this.options.store.loadSession(id);
    if (!loaded) return null;
    const framework = this.options.frameworks.get(loaded.session.framework);
    if (!framework) throw new Error(`Session ${code} uses framework "${loaded.session.framework}", which is not installed`);
    const context = await loadCommunityContext(this.options.store, loaded.session, framework.factors.length);
    const room = new SessionRoom(loaded.session, framework, this.options.store, this.options.fanout, loaded, context);
    this.rooms.set(code, room);
    this.scheduleUnload(room);
    return room;
  }

  /** Called when a connection to a room closes; unloads it later if nobody is left. */
  scheduleUnload(room: SessionRoom): void {
    const existing = this.unloadTimers.get(room.code);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(
      () => {
        this.unloadTimers.delete(room.code);
        if (room.connectionCount === 0 && this.rooms.get(room.code) === room) {
          room.dispose();
          this.rooms.delete(room.code);
        }
      },
      this.options.idleUnloadMs ?? 10 * 60_000
    );
    timer.unref();
    this.unloadTimers.set(room.code, timer);
  }

  /** Drops the live room of a session the store no longer has (purged), telling its clients. */
  evict(sessionId: string): void {
    for (const room of this.rooms.values()) {
      if (room.id !== sessionId) continue;
      room.evicted();
      this.forget(room);
    }
  }

  /** Forgets a deleted room. */
  forget(room: SessionRoom): void {
    room.dispose();
    if (this.rooms.get(room.code) === room) this.rooms.delete(room.code);
  }

  close(): void {
    for (const timer of this.unloadTimers.values()) clearTimeout(timer);
    for (const room of this.rooms.values()) room.dispose();
    this.rooms.clear();
  }
}
