import type { Framework } from '../../src/lib/domain/framework';
import { canTransition, votingOpen, resultsVisible, type Phase } from '../../src/lib/domain/phases';
import { computeProgress, type Answer, type Progress } from '../../src/lib/domain/ballots';
import { createHash, randomInt } from 'node:crypto';
import { computeRoundResults, labelBallots, revealedBallots, type FrozenBallot, type ResultsInput } from '../../src/lib/domain/results';
import {
  CommandError,
  LIMITS,
  PROTOCOL_VERSION,
  type ActionView,
  type DotState,
  type HiddenComment,
  type Me,
  type OwnDots,
  type OwnAnswer,
  type ParticipantView,
  type PhaseChange,
  type RoundResults,
  type VotingClock,
  type SessionSettings,
  type SessionSnapshot,
  type SessionSummary,
  type VoteResult
} from '../../src/lib/protocol';
import { derivePresenterToken, generateId, generateToken, hashToken } from '../security/tokens';
import { distinctName } from '../../src/lib/domain/names';
import type { LoadedSession, ParticipantRecord, SessionRecord, Store } from '../store/types';
import { committed } from '../store/committed';
import type { RoomFanout } from './fanout';
import { DotLedger } from './dots';
import { KeyedSerial } from './serial';
import { ActionBoardState, ActionRuleError, type Actor, type ActionPatch, type ActionRecord } from '../../src/lib/domain/action-points';
import type { ReviewItem, ReviewStatus } from '../../src/lib/domain/review';
import type { TrendSession } from '../../src/lib/domain/community';

/** What a session of a learning community knows of it: its name and the review of earlier sessions' open action points. */
export interface CommunityContext {
  community: { id: string; name: string };
  review: ReviewItem[];
  /** Origin session code → its id, for the stored review records. */
  originIds: ReadonlyMap<string, string>;
  /** The community's latest earlier session with results, for "since last time" on the results. */
  lastTime: TrendSession | null;
}

function commentKey(c: HiddenComment): string {
  return `${c.round} ${c.factor} ${c.text}`;
}

interface LiveParticipant {
  record: ParticipantRecord;
  connections: number;
}

/**
 * Who a connection is, decided once when it authenticates. A presenter (the
 * room's projector, opened with the presenter link) sees what participants see
 * and can change nothing.
 */
export type Identity = { role: 'facilitator' } | { role: 'presenter' } | { role: 'participant'; participantId: string };

/** What the facilitator can do to the voting clock without revealing (`voting:control`). */
export type VotingControl = { action: 'extend'; seconds: number } | { action: 'pause' | 'resume' | 'clear' | 'close' | 'reopen' };

/** The identity that dot votes use for the facilitator. */
export const FACILITATOR_VOTER = 'facilitator';

/** How often participants (not the facilitator) get progress updates under load. */
const PARTICIPANT_PROGRESS_INTERVAL_MS = 1000;

/** When the store refused to close voting at a countdown's end, how long until it is tried again. */
const DEADLINE_RETRY_MS = 5000;

/**
 * One live session: the authoritative state in memory, written through to the
 * store before anything is acknowledged. Every method validates by rule (phase,
 * role, limits) and throws a CommandError that becomes a typed ack.
 *
 * Store first, then memory: a change becomes visible (in memory, snapshots,
 * fan-out) only after its write committed, so a failed write is answered
 * `store_unavailable` and leaves exactly the stored state. Session-wide changes
 * (phase, settings, removal, deletion) run one at a time and dot casts one at
 * a time per voter, so each is checked against the committed state before it.
 */
interface ActionChangeOptions {
  /** Queued in the same event-loop turn as the structure, so it commits in the same transaction (the server's Yjs change). */
  sameTurn?: (changed: ActionRecord[]) => void;
  /** Another record that must commit with the change (also when the board itself does not change). */
  alsoWrite?: () => Promise<unknown>;
  /** Allowed outside the action phase (the review carries points over before voting). */
  anyPhase?: boolean;
}

/** The id of the copy a review carries over: the same for the same point in the same session, so carrying twice makes one copy. */
function carryId(sessionId: string, key: string): string {
  return `c${createHash('sha256').update(`${sessionId}\n${key}`).digest('base64url').slice(0, 22)}`;
}

export class SessionRoom {
  private readonly participants = new Map<string, LiveParticipant>();
  private readonly participantByTokenHash = new Map<string, string>();
  /** round → participant → factor → answer */
  private readonly answers = new Map<number, Map<string, Map<number, OwnAnswer>>>();
  /** What each revealed round showed, frozen at the reveal (docs/privacy.md): never recomputed. */
  private readonly frozen = new Map<number, { results: RoundResults; ballots: FrozenBallot[] }>();
  /**
   * The factor the facilitator has open, shown large on presenter screens. A pointer for screens, not
   * workshop data: kept in memory only (after a restart the screens show the overview) and reset by a phase change.
   */
  private presentedFactor: number | null = null;
  /** Comments hidden from the room, keyed by `round factor text` (see commentKey); applied when results are read. */
  private readonly hiddenComments = new Map<string, HiddenComment>();
  private readonly dots: DotLedger;
  private readonly actions: ActionBoardState;
  private dotTotalsScheduled = false;
  private arrivalsScheduled = false;
  private facilitatorConnections = 0;
  private presenterConnections = 0;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private progressScheduled = false;
  private participantProgressTimer: NodeJS.Timeout | null = null;
  private readonly dirtyParticipants = new Set<string>();
  /**
   * Running counts for the current round (answers per factor, participants who
   * answered everything), kept up to date on every change so progress costs
   * O(factors) per event-loop turn instead of O(participants × factors).
   */
  private counts = { perFactor: [] as number[], voted: 0 };
  private deleted = false;
  /** Joins whose write is in flight: they count against the participant limit and for distinct names already. */
  private readonly joining = new Map<string, ParticipantRecord>();
  private readonly serial = new KeyedSerial();

  constructor(
    private session: SessionRecord,
    readonly framework: Framework,
    private readonly store: Store,
    private readonly fanout: RoomFanout,
    loaded: Omit<LoadedSession, 'session'>,
    private readonly communityContext: CommunityContext | null = null
  ) {
    for (const record of loaded.participants) this.addLive(record);
    for (const answer of loaded.answers) {
      if (!this.participants.has(answer.participantId)) continue;
      this.answerMap(answer.round, answer.participantId).set(answer.factor, { answer: answer.answer, comment: answer.comment });
    }
    for (const hidden of loaded.hiddenComments) this.hiddenComments.set(commentKey(hidden), hidden);
    this.dots = new DotLedger(loaded.dots);
    for (const revealed of loaded.revealed) this.frozen.set(revealed.round, { results: revealed.results, ballots: revealed.ballots });
    // Rounds revealed before results were frozen (older databases) are frozen once, now.
    for (const round of this.session.revealedRounds) {
      if (!this.frozen.has(round)) this.freeze(round).catch((error) => console.error(`Freezing round ${round} of ${this.code} failed:`, error));
    }
    this.actions = new ActionBoardState(loaded.actions, { visible: LIMITS.actionsPerSession, total: LIMITS.actionsPerSession * 2 });
    this.recount();
    this.armDeadline();
  }

  get id(): string {
    return this.session.id;
  }
  get code(): string {
    return this.session.code;
  }
  get phase(): Phase {
    return this.session.phase;
  }
  get isDeleted(): boolean {
    return this.deleted;
  }
  get record(): Readonly<SessionRecord> {
    return this.session;
  }
  get factorCount(): number {
    return this.framework.factors.length;
  }
  get connectionCount(): number {
    let total = this.facilitatorConnections + this.presenterConnections;
    for (const p of this.participants.values()) total += p.connections;
    return total;
  }

  private addLive(record: ParticipantRecord): void {
    this.participants.set(record.id, { record, connections: 0 });
    this.participantByTokenHash.set(record.tokenHash, record.id);
  }

  private answerMap(round: number, participantId: string): Map<number, OwnAnswer> {
    let byParticipant = this.answers.get(round);
    if (!byParticipant) this.answers.set(round, (byParticipant = new Map()));
    let map = byParticipant.get(participantId);
    if (!map) byParticipant.set(participantId, (map = new Map()));
    return map;
  }

  private answeredCount(participantId: string): number {
    return this.answers.get(this.session.round)?.get(participantId)?.size ?? 0;
  }

  /** Decides who holds `token`, or null. */
  authenticate(token: string): Identity | null {
    const hash = hashToken(token);
    if (hash === this.session.facilitatorTokenHash) {
      this.rememberPresenterCredential(token);
      return { role: 'facilitator' };
    }
    if (this.session.presenterTokenHash !== null && hash === this.session.presenterTokenHash) return { role: 'presenter' };
    const participantId = this.participantByTokenHash.get(hash);
    return participantId ? { role: 'participant', participantId } : null;
  }

  /** Sessions created before presenter links learn their presenter credential the first time the facilitator connects. */
  private rememberPresenterCredential(facilitatorToken: string): void {
    if (this.session.presenterTokenHash !== null) return;
    const presenterTokenHash = hashToken(derivePresenterToken(facilitatorToken));
    // Store first: the presenter link works once its credential is on disk (the facilitator, who shows it, connects first).
    this.store.updateSession(this.id, { presenterTokenHash }).then(
      () => {
        if (this.session.presenterTokenHash === null) this.session = { ...this.session, presenterTokenHash };
      },
      (error) => console.error('Storing a presenter credential failed', error)
    );
  }

  /** The voting clock as clients should show it, stamped with the server's time. */
  private clock(): VotingClock {
    const { votingDeadline, votingPausedMs, votingClosed } = this.session;
    return { votingDeadline, votingPausedMs, votingClosed, serverNow: Date.now() };
  }

  private phaseChange(): PhaseChange {
    return { phase: this.session.phase, round: this.session.round, ...this.clock() };
  }

  /** Open connections (socket.io and board) of one identity; all presenter screens of the session count as one. */
  connectionsOf(identity: Identity): number {
    if (identity.role === 'facilitator') return this.facilitatorConnections;
    if (identity.role === 'presenter') return this.presenterConnections;
    return this.participants.get(identity.participantId)?.connections ?? 0;
  }

  /** Whether a facilitator token belongs to this session (for REST exports). */
  isFacilitatorToken(token: string): boolean {
    return hashToken(token) === this.session.facilitatorTokenHash;
  }

  summary(): SessionSummary {
    const { code, title, phase, language, framework, anonymous } = this.session;
    return {
      code,
      title,
      phase,
      language,
      framework,
      anonymous,
      participants: this.participants.size,
      minVoters: anonymous ? this.session.settings.minVoters : null
    };
  }

  /** Adds a participant; the token it returns lets them rejoin as the same person. */
  async join(
    input: { name: string; group: string | null; language: ParticipantRecord['language'] },
    maxParticipants: number
  ): Promise<{ participant: ParticipantRecord; token: string }> {
    this.assertAlive();
    if (this.session.phase === 'closed') throw new CommandError('session_closed', 'This session is closed; it can no longer be joined.');
    if (this.participants.size + this.joining.size >= maxParticipants)
      throw new CommandError('session_full', `This session is full (${maxParticipants} participants).`);
    if (input.group !== null && !this.framework.stakeholderGroups.some((g) => g.id === input.group)) {
      throw new CommandError('bad_request', `Unknown group "${input.group}".`, [
        `group: must be one of ${this.framework.stakeholderGroups.map((g) => g.id).join(', ')}`
      ]);
    }
    const token = generateToken();
    const participant: ParticipantRecord = {
      id: generateId(),
      sessionId: this.session.id,
      tokenHash: hashToken(token),
      // Two people who both call themselves "Sam" must stay apart in every list, result and export.
      name: distinctName(input.name, [...this.participants.values()].map((p) => p.record.name).concat([...this.joining.values()].map((p) => p.name))),
      group: input.group,
      language: input.language,
      joinedAt: Date.now()
    };
    this.joining.set(participant.id, participant);
    try {
      await committed(this.store.addParticipant(participant), 'the join');
    } finally {
      this.joining.delete(participant.id);
    }
    this.addLive(participant);
    this.fanout.toFacilitators(this.code, 'participant', this.participantView(participant.id)!);
    this.scheduleArrivals();
    this.fanout.toAll(this.code, 'participantCount', this.participants.size);
    this.scheduleProgress();
    return { participant, token };
  }

  /** Presence: a connection of `identity` opened. */
  connected(identity: Identity): void {
    if (identity.role === 'presenter') {
      this.presenterConnections++;
      return;
    }
    if (identity.role === 'facilitator') {
      this.facilitatorConnections++;
      return;
    }
    const live = this.participants.get(identity.participantId);
    if (!live) return;
    live.connections++;
    if (live.connections === 1) this.fanout.toFacilitators(this.code, 'participant', this.participantView(live.record.id)!);
  }

  /** Presence: a connection of `identity` closed. */
  disconnected(identity: Identity): void {
    if (identity.role === 'presenter') {
      this.presenterConnections = Math.max(0, this.presenterConnections - 1);
      return;
    }
    if (identity.role === 'facilitator') {
      this.facilitatorConnections = Math.max(0, this.facilitatorConnections - 1);
      return;
    }
    const live = this.participants.get(identity.participantId);
    if (!live) return;
    live.connections = Math.max(0, live.connections - 1);
    if (live.connections === 0) this.fanout.toFacilitators(this.code, 'participant', this.participantView(live.record.id)!);
  }

  hasParticipant(participantId: string): boolean {
    return this.participants.has(participantId);
  }

  participantView(participantId: string): ParticipantView | null {
    const live = this.participants.get(participantId);
    if (!live) return null;
    const { id, name, group, joinedAt } = live.record;
    // Per-person counts in an anonymous session would show who answered which factor when.
    return { id, name, group, joinedAt, connected: live.connections > 0, answered: this.session.anonymous ? null : this.answeredCount(id) };
  }

  progress(): Progress {
    return { voted: this.counts.voted, total: this.participants.size, perFactor: [...this.counts.perFactor] };
  }

  /** Recomputes the running counts from scratch (on load and when the round changes). */
  private recount(): void {
    const current = this.answers.get(this.session.round);
    const { voted, perFactor } = computeProgress(this.participants.keys(), (id) => current?.get(id)?.keys() ?? [], this.factorCount);
    this.counts = { voted, perFactor };
  }

  settings(): SessionSettings {
    return this.session.settings;
  }

  /** The input of a round's results: everyone still in the session, with the current settings. */
  private resultsInput(round: number): ResultsInput {
    const byParticipant = this.answers.get(round);
    return {
      round,
      factorCount: this.factorCount,
      thresholds: this.session.settings,
      anonymous: this.session.anonymous,
      minVoters: this.session.settings.minVoters,
      // Every comment is frozen with the round; hidden ones are left out when results are read (see results()).
      comments: [...(byParticipant?.values() ?? [])].flatMap((answers) =>
        [...answers].flatMap(([factor, a]) => (a.comment ? [{ factor, text: a.comment }] : []))
      ),
      voters: [...this.participants.values()].map(({ record }) => ({
        id: record.id,
        name: record.name,
        group: record.group,
        answers: new Map([...(byParticipant?.get(record.id) ?? new Map<number, OwnAnswer>())].map(([f, a]) => [f, a.answer]))
      }))
    };
  }

  /**
   * Computes a round's results once, at its reveal, and queues them for the
   * store; from then on they are only read (a removal or a settings change
   * later cannot be subtracted from them). Queued before the phase write of
   * the same turn, so both commit in one transaction.
   */
  /** A round's results and ballot rows as revealed now: computed once, never again. */
  private computeFrozen(round: number) {
    const input = this.resultsInput(round);
    return { results: computeRoundResults(input), ballots: revealedBallots(input) };
  }

  /** Freezes a round revealed before results were stored (an older database), at load. */
  private freeze(round: number): Promise<void> {
    const frozen = this.computeFrozen(round);
    this.frozen.set(round, frozen);
    return this.store.saveRevealedRound({ sessionId: this.id, round, revealedAt: Date.now(), ...frozen });
  }

  /** Results of every revealed round, oldest first, as frozen at each reveal. */
  results(): RoundResults[] {
    return this.session.revealedRounds.flatMap((round) => {
      const frozen = this.frozen.get(round)?.results;
      if (!frozen) return [];
      // The comments the facilitator hid are left out here, not in the frozen round (they can be shown again).
      // Rounds frozen before comments were kept have none.
      const comments = (frozen.comments ?? []).map((texts, i) => texts.filter((text) => !this.hiddenComments.has(commentKey({ round, factor: i + 1, text }))));
      return [{ ...frozen, comments }];
    });
  }

  /**
   * Ballots of revealed rounds for the CSV export, from the frozen rows: names
   * in named sessions; in anonymous ones pseudonyms drawn afresh per export
   * and per round, on rows sorted by their answers (docs/privacy.md).
   */
  revealedBallots(): { voter: string; group: string | null; round: number; answers: (Answer | null)[] }[] {
    return this.session.revealedRounds.flatMap((round) =>
      labelBallots(this.frozen.get(round)?.ballots ?? [], (n) => randomInt(n)).map((row) => ({ ...row, round }))
    );
  }

  /** A voter's dots and the totals they may see (participants see none while totals are hidden). */
  dotState(voterId: string): DotState {
    const own = this.dots.own(voterId, this.session.settings.dotsPerPerson);
    const totals = voterId !== FACILITATOR_VOTER && this.session.settings.hideDotTotals ? {} : this.dots.totals();
    return { totals, ...own };
  }

  /**
   * The dots a connection is shown: a presenter screen spends none and, like the room it
   * projects to, sees no totals while the facilitator hides them.
   */
  private dotsFor(identity: Identity): DotState {
    if (identity.role === 'participant') return this.dotState(identity.participantId);
    if (identity.role === 'facilitator') return this.dotState(FACILITATOR_VOTER);
    return { totals: this.session.settings.hideDotTotals ? {} : this.dots.totals(), mine: {}, remaining: 0 };
  }

  private ownDots(voterId: string): OwnDots {
    return this.dots.own(voterId, this.session.settings.dotsPerPerson);
  }

  /** What `identity` may see of the session right now. */
  snapshot(identity: Identity): SessionSnapshot {
    const s = this.session;
    const me: Me =
      identity.role !== 'participant'
        ? { role: identity.role }
        : (() => {
            const record = this.participants.get(identity.participantId)!.record;
            return { role: 'participant', id: record.id, name: record.name, group: record.group };
          })();
    const own = identity.role === 'participant' ? this.answers.get(s.round)?.get(identity.participantId) : undefined;
    return {
      protocolVersion: PROTOCOL_VERSION,
      code: s.code,
      title: s.title,
      language: s.language,
      framework: s.framework,
      anonymous: s.anonymous,
      phase: s.phase,
      round: s.round,
      ...this.clock(),
      settings: s.settings,
      me,
      participantCount: this.participants.size,
      participants: identity.role === 'facilitator' ? [...this.participants.keys()].map((id) => this.participantView(id)!) : null,
      progress: this.progress(),
      myBallot: identity.role === 'participant' ? Object.fromEntries(own ?? []) : null,
      results: resultsVisible(s.phase) ? this.results() : [],
      hiddenComments: identity.role === 'facilitator' ? [...this.hiddenComments.values()] : null,
      arrivals: identity.role === 'presenter' ? this.arrivals() : null,
      presentedFactor: this.presentedFactor,
      dots: this.dotsFor(identity),
      actions: this.actionViews(),
      community: this.communityContext
        ? { name: this.communityContext.community.name, id: identity.role === 'facilitator' ? this.communityContext.community.id : null }
        : null,
      review: this.communityContext ? this.communityContext.review : null,
      lastTime: this.communityContext?.lastTime ?? null
    };
  }

  /**
   * A participant answers one factor of `forRound` (the current round when
   * omitted); resolves once the answer is durable, and echoes it to every
   * connection of theirs (a second tab shows it too).
   */
  async vote(identity: Identity, factor: number, answer: Answer, comment: string | null | undefined, forRound?: number): Promise<VoteResult> {
    this.assertAlive();
    if (identity.role !== 'participant') throw new CommandError('forbidden', 'Only participants vote.');
    if (!votingOpen(this.session.phase)) throw new CommandError('wrong_phase', `Voting is not open (the session is in "${this.session.phase}").`);
    if (forRound !== undefined && forRound !== this.session.round) {
      throw new CommandError('wrong_round', `That answer was for round ${forRound}; voting is now in round ${this.session.round}.`);
    }
    if (this.session.votingClosed) throw new CommandError('voting_closed', 'The facilitator has closed voting for now.');
    if (factor < 1 || factor > this.factorCount) throw new CommandError('not_found', `There is no factor ${factor}.`);
    if (!this.participants.has(identity.participantId)) throw new CommandError('forbidden', 'You are no longer in this session.');
    const round = this.session.round;
    const stored = this.answers.get(round)?.get(identity.participantId)?.get(factor);
    const nextComment = comment === undefined ? (stored?.comment ?? null) : comment === null || comment.trim() === '' ? null : comment.trim();
    await committed(
      this.store.saveAnswer({ sessionId: this.id, round, participantId: identity.participantId, factor, answer, comment: nextComment }),
      'your answer'
    );
    // Writes commit in call order and their promises resolve in that order, so memory follows the store's order.
    if (!this.participants.has(identity.participantId)) throw new CommandError('forbidden', 'You are no longer in this session.');
    const map = this.answerMap(round, identity.participantId);
    const previous = map.get(factor);
    map.set(factor, { answer, comment: nextComment });
    if (!previous && round === this.session.round) {
      this.counts.perFactor[factor - 1]++;
      if (map.size === this.factorCount) this.counts.voted++;
    }
    if (!this.session.anonymous) this.dirtyParticipants.add(identity.participantId);
    this.scheduleProgress();
    this.fanout.toParticipant(this.code, identity.participantId, 'ballot', { round, factor, answer, comment: nextComment });
    return { factor, answered: map.size };
  }

  /**
   * The facilitator hides a revealed comment from the room, or shows it again.
   * Resolves with the comments hidden now, once that is durable.
   */
  hideComment(identity: Identity, comment: HiddenComment, hidden: boolean): Promise<HiddenComment[]> {
    return this.serial.run('session', async () => {
      this.assertAlive();
      if (identity.role !== 'facilitator') throw new CommandError('forbidden', 'Only the facilitator hides comments.');
      if (this.session.phase === 'closed') throw new CommandError('session_closed', 'This session is closed.');
      if (!resultsVisible(this.session.phase) || !this.session.revealedRounds.includes(comment.round)) {
        throw new CommandError('wrong_phase', 'Comments can be hidden only after their round was revealed.');
      }
      // What the round showed (frozen), not today's ballots: a removed participant's comment can still be hidden.
      const exists = this.frozen.get(comment.round)?.results.comments?.[comment.factor - 1]?.includes(comment.text) ?? false;
      if (!exists) throw new CommandError('not_found', 'There is no such comment in that round.');
      const clean = { round: comment.round, factor: comment.factor, text: comment.text };
      await committed(this.store.setCommentHidden(this.id, clean, hidden), 'the hidden comment');
      if (hidden) this.hiddenComments.set(commentKey(clean), clean);
      else this.hiddenComments.delete(commentKey(clean));
      const list = [...this.hiddenComments.values()];
      this.fanout.toAll(this.code, 'results', this.results());
      this.fanout.toFacilitators(this.code, 'comments:hidden', list);
      return list;
    });
  }

  /**
   * The facilitator opens a factor (or closes it: null) and presenter screens follow.
   * Only while results are shown, and only a factor of this session's framework.
   */
  presentFactor(identity: Identity, factor: number | null): void {
    this.assertAlive();
    if (identity.role !== 'facilitator') throw new CommandError('forbidden', 'Only the facilitator steers the presenter screen.');
    if (!resultsVisible(this.session.phase) || this.session.revealedRounds.length === 0) {
      throw new CommandError('wrong_phase', 'A factor can be shown only once results are revealed.');
    }
    if (factor !== null && factor > this.factorCount) throw new CommandError('bad_request', 'There is no such factor in this session.');
    if (factor === this.presentedFactor) return;
    this.presentedFactor = factor;
    this.fanout.toAll(this.code, 'presented', { factor });
  }

  /** The facilitator moves the session on; resolves once the new phase is durable. */
  setPhase(identity: Identity, to: Phase, countdownSeconds: number | null | undefined): Promise<PhaseChange> {
    return this.serial.run('session', () => this.applyPhase(identity, to, countdownSeconds));
  }

  private async applyPhase(identity: Identity, to: Phase, countdownSeconds: number | null | undefined): Promise<PhaseChange> {
    this.assertAlive();
    if (identity.role !== 'facilitator') throw new CommandError('forbidden', 'Only the facilitator changes the phase.');
    const from = this.session.phase;
    if (!canTransition(from, to)) throw new CommandError('invalid_transition', `The session cannot go from "${from}" to "${to}".`);
    if (countdownSeconds && to !== 'voting') throw new CommandError('bad_request', 'A countdown only applies when opening voting.');
    const next = { ...this.session, phase: to, votingClosed: false, votingPausedMs: null };
    if (to === 'voting') {
      next.round = from === 'lobby' ? Math.max(1, this.session.round) : this.session.round + 1;
      next.votingDeadline = countdownSeconds ? Date.now() + countdownSeconds * 1000 : null;
    } else {
      next.votingDeadline = null;
    }
    const revealing = to === 'revealed' && !next.revealedRounds.includes(next.round);
    if (revealing) next.revealedRounds = [...next.revealedRounds, next.round];
    // Frozen from the answers as they stand, queued in the same turn as the phase so both commit in
    // one transaction, and only then shown to anyone. The phase goes first: should the frozen row
    // alone fail, a reload freezes the round again from the same stored answers.
    const frozen = revealing ? this.computeFrozen(next.round) : null;
    const phaseWrite = this.store.updateSession(this.id, {
      phase: next.phase,
      round: next.round,
      votingDeadline: next.votingDeadline,
      votingClosed: false,
      votingPausedMs: null,
      revealedRounds: next.revealedRounds
    });
    const frozenWrite = frozen ? this.store.saveRevealedRound({ sessionId: this.id, round: next.round, revealedAt: Date.now(), ...frozen }) : null;
    await committed(Promise.all([phaseWrite, frozenWrite]), 'the phase change');
    if (frozen) this.frozen.set(next.round, frozen);
    const roundChanged = next.round !== this.session.round;
    this.session = next;
    if (roundChanged) this.recount();
    this.armDeadline();
    const change = this.phaseChange();
    this.presentedFactor = null;
    this.fanout.toAll(this.code, 'phase', change);
    if (to === 'revealed') this.fanout.toAll(this.code, 'results', this.results());
    if (to === 'voting') this.scheduleProgress();
    // Per-person counts belong to a round: the facilitator's list starts again from what the new round holds.
    if (roundChanged)
      this.fanout.toFacilitators(
        this.code,
        'participants',
        [...this.participants.keys()].map((id) => this.participantView(id)!)
      );
    return change;
  }

  /**
   * The facilitator steers the voting clock without revealing. The countdown
   * ends by closing the ballot box, as its label says; revealing stays a
   * separate, deliberate step.
   */
  controlVoting(identity: Identity, control: VotingControl): Promise<PhaseChange> {
    return this.serial.run('session', () => this.applyControl(identity, control));
  }

  private async applyControl(identity: Identity, control: VotingControl): Promise<PhaseChange> {
    this.assertAlive();
    if (identity.role !== 'facilitator') throw new CommandError('forbidden', 'Only the facilitator steers voting.');
    if (this.session.phase !== 'voting') throw new CommandError('wrong_phase', 'Voting is not open.');
    const now = Date.now();
    const s = this.session;
    const remaining = s.votingPausedMs ?? (s.votingDeadline !== null ? Math.max(0, s.votingDeadline - now) : null);
    let patch: Pick<SessionRecord, 'votingDeadline' | 'votingPausedMs' | 'votingClosed'>;
    switch (control.action) {
      case 'extend': {
        const base = s.votingClosed || remaining === null ? 0 : remaining;
        const total = Math.min(base + control.seconds * 1000, LIMITS.countdownMax * 1000);
        patch =
          s.votingPausedMs !== null
            ? { votingDeadline: null, votingPausedMs: total, votingClosed: false }
            : { votingDeadline: now + total, votingPausedMs: null, votingClosed: false };
        break;
      }
      case 'pause':
        if (s.votingDeadline === null) throw new CommandError('bad_request', 'There is no running countdown to pause.');
        patch = { votingDeadline: null, votingPausedMs: remaining, votingClosed: s.votingClosed };
        break;
      case 'resume':
        if (s.votingPausedMs === null) throw new CommandError('bad_request', 'The countdown is not paused.');
        patch = { votingDeadline: now + s.votingPausedMs, votingPausedMs: null, votingClosed: s.votingClosed };
        break;
      case 'clear':
        patch = { votingDeadline: null, votingPausedMs: null, votingClosed: s.votingClosed };
        break;
      case 'close':
        patch = { votingDeadline: null, votingPausedMs: null, votingClosed: true };
        break;
      case 'reopen':
        patch = { votingDeadline: null, votingPausedMs: null, votingClosed: false };
        break;
      default: {
        const unreachable: never = control;
        throw new CommandError('bad_request', `Unknown voting control ${String(unreachable)}`);
      }
    }
    return this.applyClock(patch);
  }

  private async applyClock(patch: Pick<SessionRecord, 'votingDeadline' | 'votingPausedMs' | 'votingClosed'>): Promise<PhaseChange> {
    await committed(this.store.updateSession(this.id, patch), 'the voting clock');
    this.session = { ...this.session, ...patch };
    this.armDeadline();
    const change = this.phaseChange();
    this.fanout.toAll(this.code, 'phase', change);
    return change;
  }

  private armDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    const deadline = this.session.votingDeadline;
    if (this.session.phase !== 'voting' || deadline === null) return;
    // setTimeout's limit is ~24.8 days; countdowns are at most an hour.
    this.deadlineTimer = setTimeout(
      () => {
        if (this.session.phase === 'voting' && this.session.votingDeadline === deadline) {
          // Serialised with the facilitator's changes; if the store cannot take it now, voting stays as stored and the deadline tries again.
          this.serial
            .run('session', async () => {
              if (this.deleted || this.session.phase !== 'voting' || this.session.votingDeadline !== deadline) return;
              await this.applyClock({ votingDeadline: null, votingPausedMs: null, votingClosed: true });
            })
            .catch(() => {
              if (this.deleted || this.session.votingDeadline !== deadline) return;
              this.deadlineTimer = setTimeout(() => this.armDeadline(), DEADLINE_RETRY_MS);
              this.deadlineTimer.unref();
            });
        }
      },
      Math.max(0, deadline - Date.now())
    );
    this.deadlineTimer.unref();
  }

  updateSettings(identity: Identity, patch: Partial<SessionSettings>): Promise<SessionSettings> {
    return this.serial.run('session', () => this.applySettings(identity, patch));
  }

  private async applySettings(identity: Identity, patch: Partial<SessionSettings>): Promise<SessionSettings> {
    this.assertAlive();
    if (identity.role !== 'facilitator') throw new CommandError('forbidden', 'Only the facilitator changes settings.');
    if (this.session.phase === 'closed') throw new CommandError('session_closed', 'This session is closed.');
    const settings = { ...this.session.settings, ...patch };
    if (settings.dotsPerPerson < this.dots.maxSpentByAnyone()) {
      throw new CommandError('bad_request', 'Someone has already spent more dots than that; ask them to take some back first.');
    }
    // People vote under the k their screen promised; it may rise then, never fall.
    if (votingOpen(this.session.phase) && settings.minVoters < this.session.settings.minVoters) {
      throw new CommandError('wrong_phase', 'The minimum number of voters cannot be lowered while voting is open.');
    }
    await committed(this.store.updateSession(this.id, { settings }), 'the settings');
    // Revealed rounds stay as they were shown: the new settings apply to later rounds only.
    this.session = { ...this.session, settings };
    this.fanout.toAll(this.code, 'settings', settings);
    // Everyone's remaining dots depend on the number of dots; a rare facilitator action, so one message per participant is fine.
    if (patch.dotsPerPerson !== undefined) {
      this.fanout.toFacilitators(this.code, 'dots', this.ownDots(FACILITATOR_VOTER));
      this.fanout.toEachParticipant(this.code, 'dots', (id) => [this.ownDots(id)]);
    }
    this.scheduleDotTotals();
    return settings;
  }

  /** The facilitator removes a participant; their answers go with them. */
  removeParticipant(identity: Identity, participantId: string): Promise<void> {
    return this.serial.run('session', () => this.applyRemoval(identity, participantId));
  }

  private async applyRemoval(identity: Identity, participantId: string): Promise<void> {
    this.assertAlive();
    if (identity.role !== 'facilitator') throw new CommandError('forbidden', 'Only the facilitator removes participants.');
    if (!this.participants.has(participantId)) throw new CommandError('not_found', 'No such participant in this session.');
    await committed(this.store.removeParticipant(this.id, participantId), 'the removal');
    const live = this.participants.get(participantId);
    if (!live) return;
    const current = this.answers.get(this.session.round)?.get(participantId);
    for (const factor of current?.keys() ?? []) this.counts.perFactor[factor - 1]--;
    if (current?.size === this.factorCount) this.counts.voted--;
    this.participants.delete(participantId);
    this.participantByTokenHash.delete(live.record.tokenHash);
    for (const byParticipant of this.answers.values()) byParticipant.delete(participantId);
    // Revealed results are frozen: recomputing them without this person would reveal their answers by difference.
    const dotsChanged = this.dots.removeVoter(participantId).length > 0;
    this.fanout.toParticipant(this.code, participantId, 'removed');
    this.fanout.disconnectParticipant(this.code, participantId);
    this.fanout.toFacilitators(this.code, 'participant:removed', { id: participantId });
    this.scheduleArrivals();
    this.fanout.toAll(this.code, 'participantCount', this.participants.size);
    if (dotsChanged) this.scheduleDotTotals();
    this.scheduleProgress();
  }

  /**
   * Spends or takes back a dot; nobody exceeds their dots. Store first, then
   * memory; one voter's casts one at a time, each checked against the dots they
   * have stored. O(1) fan-out: the voter's own sockets hear their dots,
   * everyone hears the totals once per turn.
   */
  castDot(identity: Identity, actionId: string, delta: 1 | -1): Promise<DotState> {
    if (identity.role === 'presenter') return Promise.reject(new CommandError('forbidden', 'The presenter screen cannot spend dots.'));
    const voter = identity.role === 'facilitator' ? FACILITATOR_VOTER : identity.participantId;
    return this.serial.run(`dots:${voter}`, async () => {
      this.assertAlive();
      if (this.session.phase !== 'actions') throw new CommandError('wrong_phase', 'Dots can be spent only while drafting actions.');
      this.requireMember(identity);
      if (delta > 0 && !this.onBoard(actionId)) throw new CommandError('not_found', 'That action point does not exist (any more).');
      const before = this.dots.own(voter, this.session.settings.dotsPerPerson).mine[actionId] ?? 0;
      const count = this.dots.next(voter, actionId, delta, this.session.settings.dotsPerPerson);
      await committed(this.store.setDots(this.id, voter, actionId, count), 'your dot');
      if (delta > 0 && !this.onBoard(actionId)) {
        // The point left the board while this dot was being stored (its dots were already given back): undo it.
        await committed(this.store.setDots(this.id, voter, actionId, before), 'your dot');
        throw new CommandError('not_found', 'That action point does not exist (any more).');
      }
      this.dots.set(voter, actionId, count);
      this.sendOwnDots(voter);
      this.scheduleDotTotals();
      return this.dotState(voter);
    });
  }

  private onBoard(actionId: string): boolean {
    const target = this.actions.get(actionId);
    return target !== undefined && !target.removed && target.mergedInto === null;
  }

  /** Dot totals within the session, for exports. */
  dotTotals(): Record<string, number> {
    return this.dots.totals();
  }

  private sendOwnDots(voter: string): void {
    if (voter === FACILITATOR_VOTER) this.fanout.toFacilitators(this.code, 'dots', this.ownDots(voter));
    else this.fanout.toParticipant(this.code, voter, 'dots', this.ownDots(voter));
  }

  /** Totals go out once per event-loop turn however many dots moved in it; participants get none while hidden. */
  /** Who joined, for presenter screens of a named session: the latest names, in join order (null in anonymous sessions). */
  private arrivals(): string[] | null {
    if (this.session.anonymous) return null;
    return [...this.participants.values()]
      .sort((a, b) => a.record.joinedAt - b.record.joinedAt)
      .slice(-LIMITS.arrivalsShown)
      .map((p) => p.record.name);
  }

  /** Presenter screens hear about arrivals once per event-loop turn, however many join in it (bounded list). */
  private scheduleArrivals(): void {
    if (this.arrivalsScheduled || this.session.anonymous) return;
    this.arrivalsScheduled = true;
    setImmediate(() => {
      this.arrivalsScheduled = false;
      const names = this.arrivals();
      if (!this.deleted && names) this.fanout.toPresenters(this.code, 'arrivals', names);
    });
  }

  private scheduleDotTotals(): void {
    if (this.dotTotalsScheduled) return;
    this.dotTotalsScheduled = true;
    setImmediate(() => {
      this.dotTotalsScheduled = false;
      if (this.deleted) return;
      const totals = this.dots.totals();
      this.fanout.toFacilitators(this.code, 'dotTotals', totals);
      this.fanout.toParticipants(this.code, 'dotTotals', this.session.settings.hideDotTotals ? {} : totals);
    });
  }

  // ------------------------------------------------------------------ action board structure

  /** Every action point (structure), in board order. */
  actionViews(): ActionView[] {
    return this.actions.all().map(toActionView);
  }

  private requireMember(identity: Identity): void {
    if (identity.role === 'presenter') throw new CommandError('forbidden', 'The presenter screen cannot change the action board.');
    if (identity.role === 'participant' && !this.participants.has(identity.participantId))
      throw new CommandError('forbidden', 'You are no longer in this session.');
  }

  /**
   * Runs one structural change: checks phase and membership, applies the rule
   * (which checks the role), queues the store writes, lets `sameTurn` queue more
   * (the server's Yjs change, so both commit in one transaction), waits until it
   * is durable, then broadcasts. Dots on points that left the board go back.
   */
  private changeActions(
    identity: Identity,
    rule: (actor: Actor) => ActionRecord[],
    options: ActionChangeOptions & { facilitatorOnly?: string } = {}
  ): Promise<ActionRecord[]> {
    // Role before phase, as for the other facilitator commands: a participant is told "forbidden" in every phase.
    if (identity.role === 'presenter') return Promise.reject(new CommandError('forbidden', 'The presenter screen cannot change the action board.'));
    if (options.facilitatorOnly && identity.role !== 'facilitator')
      return Promise.reject(new CommandError('forbidden', `Only the facilitator may ${options.facilitatorOnly}.`));
    // One structural change at a time: each is checked against the stored board, and a failed write rolls back only itself.
    return this.serial.run('actions', () => this.applyActionChange(identity, rule, options));
  }

  private async applyActionChange(identity: Actor, rule: (actor: Actor) => ActionRecord[], options: ActionChangeOptions): Promise<ActionRecord[]> {
    this.assertAlive();
    if (!options.anyPhase && this.session.phase !== 'actions')
      throw new CommandError('wrong_phase', 'The action board can be changed only during the action phase.');
    this.requireMember(identity);
    // The rules change the board in place; memory goes back to this when the store refuses.
    const checkpoint = this.actions.checkpoint();
    let changed: ActionRecord[];
    try {
      changed = rule(identity as Actor);
    } catch (error) {
      this.actions.revertTo(checkpoint);
      if (error instanceof ActionRuleError) throw new CommandError(error.code, error.message);
      throw error;
    }
    if (changed.length === 0 && !options.alsoWrite) return changed;
    const returned = ActionBoardState.disappeared(changed).flatMap((id) => this.dots.planReturn(id));
    const writes: Promise<unknown>[] = [changed.length > 0 ? this.store.saveActionPoints(this.id, changed) : Promise.resolve()];
    // Queued in the same turn as the structure, so the server's Yjs change and any other record commit with it.
    const also = options.alsoWrite?.();
    if (also) writes.push(also);
    options.sameTurn?.(changed);
    try {
      await committed(Promise.all(writes), 'the action board');
    } catch (error) {
      this.actions.revertTo(checkpoint);
      throw error;
    }
    // Dots go back only once the point is stored as gone (a refused removal keeps them); memory takes exactly those stored.
    const results = await Promise.allSettled(returned.map((r) => this.store.setDots(this.id, r.voterId, r.actionId, 0)));
    const voters = new Set<string>();
    returned.forEach((r, i) => {
      if (results[i].status === 'fulfilled') {
        this.dots.set(r.voterId, r.actionId, 0);
        voters.add(r.voterId);
      } else console.error('store: giving back a dot failed; it stays spent:', (results[i] as PromiseRejectedResult).reason);
    });
    if (changed.length > 0) this.fanout.toAll(this.code, 'actions', changed.map(toActionView));
    for (const voter of voters) this.sendOwnDots(voter);
    if (voters.size > 0) this.scheduleDotTotals();
    return changed;
  }

  /** Adds an action point; `created` is false when the same command was already applied (a resend). */
  async createAction(
    identity: Identity,
    input: { id: string; factor: number | null },
    sameTurn: (record: ActionRecord) => void
  ): Promise<{ record: ActionRecord; created: boolean }> {
    if (input.factor !== null && (input.factor < 1 || input.factor > this.factorCount))
      throw new CommandError('not_found', `There is no factor ${input.factor}.`);
    let result: { record: ActionRecord; created: boolean } | null = null;
    await this.changeActions(
      identity,
      (actor) => {
        result = this.actions.create(actor, input, Date.now());
        return result.created ? [result.record] : [];
      },
      { sameTurn: ([record]) => sameTurn(record) }
    );
    return result!;
  }

  async updateAction(identity: Identity, id: string, patch: ActionPatch): Promise<ActionView> {
    if (patch.factor !== undefined && patch.factor !== null && (patch.factor < 1 || patch.factor > this.factorCount)) {
      throw new CommandError('not_found', `There is no factor ${patch.factor}.`);
    }
    const [record] = await this.changeActions(identity, () => this.actions.update(id, patch));
    return toActionView(record);
  }

  removeAction(identity: Identity, id: string): Promise<ActionRecord[]> {
    return this.changeActions(identity, (actor) => this.actions.remove(actor, id), { facilitatorOnly: 'remove action points' });
  }

  restoreAction(identity: Identity, id: string): Promise<ActionRecord[]> {
    return this.changeActions(identity, (actor) => this.actions.restore(actor, id), { facilitatorOnly: 'restore action points' });
  }

  moveAction(identity: Identity, id: string, toIndex: number): Promise<ActionRecord[]> {
    return this.changeActions(identity, (actor) => this.actions.move(actor, id, toIndex), { facilitatorOnly: 'reorder action points' });
  }

  mergeAction(identity: Identity, sourceId: string, targetId: string): Promise<ActionRecord[]> {
    return this.changeActions(identity, (actor) => this.actions.merge(actor, sourceId, targetId), { facilitatorOnly: 'merge action points' });
  }

  unmergeAction(identity: Identity, id: string): Promise<ActionRecord[]> {
    return this.changeActions(identity, (actor) => this.actions.unmerge(actor, id), { facilitatorOnly: 'undo a merge' });
  }

  // ------------------------------------------------------------------ review of earlier sessions' actions

  /** The review list (what the snapshot shows), or null outside a community. */
  reviewItems(): ReviewItem[] | null {
    return this.communityContext ? this.communityContext.review : null;
  }

  /**
   * The facilitator records what the group says about an earlier session's open
   * action point (`review:set`): done, doing, dropped or carried over. Carrying
   * puts a copy on this session's board (text, factor, owner, due date, linked
   * by `origin` to the point it came from); carrying it back out removes that
   * copy again (undoably). The review record, the copy and its Y.Text commit
   * together; only then does everyone hear of it. Any phase but closed: the
   * review belongs before voting, but a facilitator who forgot can still do it.
   */
  async setReview(identity: Identity, key: string, status: ReviewStatus, createText: (actionId: string, text: string) => void): Promise<ReviewItem> {
    if (identity.role !== 'facilitator') throw new CommandError('forbidden', 'Only the facilitator may record the review.');
    const context = this.communityContext;
    if (!context) throw new CommandError('not_found', 'This session belongs to no community, so it has nothing to review.');
    // The origin session may have been deleted since this room loaded its review: its points leave the list
    // (a copy of them would outlive their session, and their review record cannot be stored).
    const listed = context.review.find((i) => i.key === key);
    if (listed && (await this.store.findSessionIdByCode(listed.sessionCode)) !== context.originIds.get(listed.sessionCode)) {
      context.review = context.review.filter((i) => i.sessionCode !== listed.sessionCode);
    }
    let next: ReviewItem | null = null;
    let originSessionId = '';
    let createdCopy: string | null = null;
    return this.changeActions(
      identity,
      (actor) => {
        if (this.session.phase === 'closed') throw new CommandError('session_closed', 'The session is closed.');
        const item = context.review.find((i) => i.key === key);
        if (!item) throw new CommandError('not_found', 'There is no such action point to review.');
        originSessionId = context.originIds.get(item.sessionCode) ?? '';
        if (!originSessionId) throw new CommandError('not_found', 'The session of that action point is gone.');
        const changed: ActionRecord[] = [];
        let carriedTo = item.carriedTo;
        if (status === 'carried') {
          const copy = carriedTo ? this.actions.get(carriedTo) : undefined;
          if (copy?.removed) changed.push(...this.actions.restore(actor, copy.id));
          else if (!copy) {
            const id = carryId(this.id, key);
            const { record } = this.actions.create(actor, { id, factor: item.factor, origin: key }, Date.now());
            record.owner = item.owner ?? '';
            record.due = item.due;
            record.status = item.boardStatus;
            changed.push(record);
            createdCopy = id;
            carriedTo = id;
          }
        } else if (carriedTo) {
          const copy = this.actions.get(carriedTo);
          if (copy && !copy.removed) changed.push(...this.actions.remove(actor, carriedTo));
        }
        next = { ...item, review: status, carriedTo };
        return changed;
      },
      {
        facilitatorOnly: 'record the review',
        anyPhase: true,
        alsoWrite: () => {
          const item = next!;
          return this.store.saveActionReview({
            reviewingSessionId: this.id,
            originSessionId,
            actionId: item.actionId,
            status,
            carriedActionId: item.carriedTo,
            reviewedAt: Date.now()
          });
        },
        sameTurn: () => {
          const item = next!;
          if (createdCopy) createText(createdCopy, item.text);
        }
      }
    ).then(() => {
      const item = next!;
      context.review = context.review.map((i) => (i.key === item.key ? item : i));
      this.fanout.toAll(this.code, 'review', [item]);
      return item;
    });
  }

  /**
   * Coalesces progress: the facilitator hears once per event-loop turn (one
   * `progress` and one batched `participants` message, however many votes came
   * in); participants, who only show a count, at most once a second, since a
   * broadcast to a thousand sockets holds the server up for milliseconds.
   */
  private scheduleProgress(): void {
    if (!this.progressScheduled) {
      this.progressScheduled = true;
      setImmediate(() => {
        this.progressScheduled = false;
        if (this.deleted) return;
        const progress = this.progress();
        this.fanout.toFacilitators(this.code, 'progress', progress);
        const views = [...this.dirtyParticipants].map((id) => this.participantView(id)).filter((v): v is ParticipantView => v !== null);
        this.dirtyParticipants.clear();
        if (views.length > 0) this.fanout.toFacilitators(this.code, 'participants', views);
      });
    }
    if (!this.participantProgressTimer) {
      this.participantProgressTimer = setTimeout(() => {
        this.participantProgressTimer = null;
        if (!this.deleted) this.fanout.toParticipants(this.code, 'progress', this.progress());
      }, PARTICIPANT_PROGRESS_INTERVAL_MS);
      this.participantProgressTimer.unref();
    }
  }

  /** The facilitator deletes the session with all its data. */
  delete(identity: Identity): Promise<void> {
    return this.serial.run('session', () => this.applyDeletion(identity));
  }

  private async applyDeletion(identity: Identity): Promise<void> {
    this.assertAlive();
    if (identity.role !== 'facilitator') throw new CommandError('forbidden', 'Only the facilitator deletes the session.');
    await committed(this.store.deleteSession(this.id), 'the deletion');
    this.deleted = true;
    this.dispose();
    this.fanout.toAll(this.code, 'session:deleted');
    // Let the facilitator's acknowledgement leave before the sockets close.
    setImmediate(() => this.fanout.disconnectAll(this.code));
  }

  /** The store purged this session: clients hear it was deleted, and the room refuses everything from now on. */
  evicted(): void {
    this.deleted = true;
    this.dispose();
    this.fanout.toAll(this.code, 'session:deleted');
    setImmediate(() => this.fanout.disconnectAll(this.code));
  }

  private assertAlive(): void {
    if (this.deleted) throw new CommandError('not_found', 'This session was deleted.');
  }

  /** Stops timers; the room can be dropped from memory. */
  dispose(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    if (this.participantProgressTimer) clearTimeout(this.participantProgressTimer);
    this.deadlineTimer = null;
    this.participantProgressTimer = null;
  }
}

function toActionView(r: ActionRecord): ActionView {
  return {
    id: r.id,
    factor: r.factor,
    position: r.position,
    owner: r.owner,
    due: r.due,
    status: r.status,
    createdAt: r.createdAt,
    mergedInto: r.mergedInto,
    removed: r.removed,
    origin: r.origin
  };
}
