import type { Framework } from '../../src/lib/domain/framework';
import { votingOpen, type Phase } from '../../src/lib/domain/phases';
import type { Answer, Progress } from '../../src/lib/domain/ballots';
import type { FrozenBallot } from '../../src/lib/domain/results';
import {
  CommandError,
  type ActionView,
  type HiddenComment,
  type ParticipantView,
  LIMITS,
  type PhaseChange,
  type RemovedParticipants,
  type RoundResults,
  type SessionSettings,
  type SessionSnapshot,
  type SessionSummary,
  type VoteResult
} from '../../src/lib/protocol';
import type { LoadedSession, ParticipantRecord, SessionRecord, Store } from '../store/types';
import { committed } from '../store/committed';
import type { RoomFanout } from './fanout';
import { FACILITATOR_VOTER } from './dots';
import { KeyedSerial } from './serial';
import { BallotBox, DEFAULT_COMMENT_BUDGET, type CommentBudget } from './ballot-box';
import { Coalescer } from './coalescer';
import { RevealedRounds } from './revealed';
import { SessionResults } from './results';
import { CheckinClock } from './checkin-clock';
import { Credentials } from './credentials';
import { controlClock, phaseChangeOf, transition, type ClockFields, type VotingControl } from './voting-clock';
import {
  arrivals,
  participantView,
  participantViews,
  snapshotFor,
  summaryOf,
  type CommunityContext,
  type Identity,
  type Member,
  type RoomState
} from './projections';
import { ActionBoard } from './action-board';
import { Roster } from './roster';
import { ReviewWorkflow } from './review-workflow';
import { requirePhase } from './policy';
import type { Presence } from './presence';
import type { ReviewItem } from '../../src/lib/domain/review';

export type { Identity, CommunityContext } from './projections';
export type { VotingControl } from './voting-clock';
export { FACILITATOR_VOTER } from './dots';

/**
 * What happened in a room that the host (LiveSession) must follow up on the
 * board side: the room emits, the host listens, so no caller has to remember.
 */
export interface RoomEvents {
  participantRemoved(participantId: string): void;
  phaseChanged(): void;
  /** Deleted by the facilitator or purged by the store. */
  deleted(): void;
}

const NO_EVENTS: RoomEvents = { participantRemoved: () => undefined, phaseChanged: () => undefined, deleted: () => undefined };
const NOBODY: Pick<Presence, 'isConnected'> = { isConnected: () => false };

/** How often room-wide counters (dot totals) go to everyone at most, while they keep changing. */
export const ROOM_COUNTER_INTERVAL_MS = 250;

/**
 * How often the participant count goes to everyone at most while people keep joining: a join storm is when the
 * server is busiest, and four room-wide broadcasts a second were a fifth of its CPU in a slow storm of 1,000 joins;
 * the facilitator hears each join at once, participants see the count within a second.
 */
const PARTICIPANT_COUNT_INTERVAL_MS = 1000;

/** How often participants (not the facilitator) get progress updates under load. */
const PARTICIPANT_PROGRESS_INTERVAL_MS = 1000;

/**
 * One session's authoritative state in memory, written through to the store
 * before anything is acknowledged. The concerns live in small units: ballots
 * and running counts (BallotBox), results frozen at each reveal (results.ts
 * over RevealedRounds), dots (DotLedger), the action board's structure
 * (ActionBoardState), the clock (voting-clock.ts) and a check-in's deadline
 * (checkin-clock.ts), who holds a token (credentials.ts), who sees what
 * (projections.ts) and fan-out coalescing (Coalescer). This class orders them: it checks the domain rules, writes to
 * the store, then changes memory and tells the clients.
 *
 * Store first, then memory: a change becomes visible (in memory, snapshots,
 * fan-out) only after its write committed, so a failed write is answered
 * `store_unavailable` and leaves exactly the stored state. Session-wide changes
 * (phase, settings, removal, deletion) run one at a time and dot casts one at
 * a time per voter, so each is checked against the committed state before it.
 */
export class SessionRoom {
  /** Who is in the session: members in join order, their distinct names and tokens, joins in flight (roster.ts). */
  private readonly roster = new Roster();
  private readonly members: ReadonlyMap<string, Member> = this.roster.members;
  private readonly ballots: BallotBox;
  private readonly revealed: RevealedRounds;
  /** Results frozen at each reveal and read from what was frozen (results.ts). */
  private readonly roundResults: SessionResults;
  /**
   * The factor the facilitator has open, shown large on presenter screens. A pointer for screens, not
   * workshop data: kept in memory only (after a restart the screens show the overview) and reset by a phase change.
   */
  private presentedFactor: number | null = null;
  /** The action phase: the board's structure and the dots on it. */
  readonly actionBoard: ActionBoard;
  /** The community review of earlier sessions' open points (a carried copy lands on the action board). */
  readonly review: ReviewWorkflow;
  /** The voting deadline and a check-in's own commands (checkin-clock.ts). */
  private readonly checkin: CheckinClock;
  /** Who holds a token, and the presenter-credential migration (credentials.ts). */
  private readonly credentials: Credentials;
  private readonly coalesce = new Coalescer<'progress' | 'participantProgress' | 'arrivals' | 'participantCount'>();
  private readonly dirtyParticipants = new Set<string>();
  private deleted = false;
  /** A lock of the door is being written: joins are refused already, so none lands after the lock is acknowledged. */
  private lockingJoins = false;
  private readonly serial = new KeyedSerial();
  /** What the projections read. */
  private readonly state: RoomState;

  constructor(
    private session: SessionRecord,
    readonly framework: Framework,
    private readonly store: Store,
    private readonly fanout: RoomFanout,
    loaded: Omit<LoadedSession, 'session'>,
    private readonly events: RoomEvents = NO_EVENTS,
    /** Who is connected: counted by the live session over both transports (presence.ts); the room only reads it. */
    private readonly presence: Pick<Presence, 'isConnected'> = NOBODY,
    private readonly communityContext: CommunityContext | null = null,
    private readonly commentBudget: CommentBudget = DEFAULT_COMMENT_BUDGET,
    /** Stamps reveals: the instant a round's results are dated by (Date.now by default; tests fix it). */
    private readonly clock: () => number = Date.now
  ) {
    this.ballots = new BallotBox(framework.factors.length, session.round);
    // In join order, so joinOrder (and the members map) list arrivals oldest first.
    for (const record of [...loaded.participants].sort((a, b) => a.joinedAt - b.joinedAt)) this.addMember(record);
    this.ballots.load(loaded.answers);
    this.revealed = new RevealedRounds(loaded.revealed, loaded.hiddenComments);
    this.roundResults = new SessionResults({
      session: () => this.session,
      factorCount: framework.factors.length,
      ballots: this.ballots,
      members: this.members,
      revealed: this.revealed,
      store,
      clock: () => this.clock()
    });
    // The board reads this room (record, deletion, membership, community) through BoardSession; no closures back in.
    this.actionBoard = new ActionBoard({ id: session.id, code: session.code, factorCount: framework.factors.length, store, fanout, session: this }, loaded);
    this.review = new ReviewWorkflow({ id: session.id, code: session.code, store, fanout, board: this.actionBoard, community: communityContext });
    this.credentials = new Credentials({
      session: () => this.session,
      participantByTokenHash: (hash) => this.roster.participantByTokenHash(hash),
      store,
      presenterCredentialStored: (presenterTokenHash) => {
        if (this.session.presenterTokenHash === null) this.session = { ...this.session, presenterTokenHash };
      }
    });
    this.checkin = new CheckinClock({
      session: () => this.session,
      isDeleted: () => this.deleted,
      clock: () => this.clock(),
      serialised: (task) => this.serial.run('session', task),
      assertAlive: () => this.assertAlive(),
      applyPhase: (to, countdownSeconds) => this.applyPhase(to, countdownSeconds),
      applyClock: (patch, also) => this.applyClock(patch, also),
      recordDeadline: async (deadline) => {
        await committed(this.store.updateSession(this.id, { deadline }), 'the deadline');
        this.session = { ...this.session, deadline };
      }
    });
    const read = {
      session: () => this.session,
      hidden: () => this.revealed.hiddenComments(),
      presented: () => this.presentedFactor
    };
    this.state = {
      get session() {
        return read.session();
      },
      members: this.members,
      isConnected: (participantId) => this.presence.isConnected(participantId),
      latest: (n: number) => this.roster.latest(n),
      ballots: this.ballots,
      dots: this.actionBoard.dots,
      get hiddenComments() {
        return read.hidden();
      },
      get presentedFactor() {
        return read.presented();
      },
      results: () => this.results(),
      actions: () => this.actionViews(),
      community: this.communityContext
    };
  }

  /**
   * What loading leaves to write, started once the room exists (a constructor writes nothing): rounds
   * revealed before results were frozen (older databases) are frozen now, and the board gives back stray dots.
   */
  start(): void {
    // Armed here, not in the constructor: a deadline that passed while the room was unloaded fires at once, and that writes.
    this.checkin.arm();
    for (const round of this.session.revealedRounds) {
      if (!this.revealed.has(round)) this.roundResults.freeze(round).catch((error) => console.error(`Freezing round ${round} of ${this.code} failed:`, error));
    }
    this.actionBoard.start();
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
  /** The learning community's review of earlier sessions, or null outside one. */
  get community(): CommunityContext | null {
    return this.communityContext;
  }
  get factorCount(): number {
    return this.framework.factors.length;
  }

  private addMember(record: ParticipantRecord): void {
    this.roster.add(record);
    this.ballots.addMember(record.id);
  }

  /** A check-in still in its own round (round 1): its deadline, not a countdown, closes the ballot box (checkin-clock.ts). */
  private get inCheckinRound(): boolean {
    return this.checkin.inCheckinRound;
  }

  /** Acts on a deadline that has passed by the clock (the sweep calls it; checkin-clock.ts). */
  checkDeadline(): Promise<void> {
    return this.checkin.checkDeadline();
  }

  /** The facilitator moves a check-in's deadline later (checkin-clock.ts). */
  extendCheckin(deadline: number): Promise<PhaseChange> {
    return this.checkin.extendCheckin(deadline);
  }

  /** The facilitator closes a check-in before its deadline (checkin-clock.ts). */
  closeCheckin(): Promise<PhaseChange> {
    return this.checkin.closeCheckin();
  }

  /** Decides who holds `token`, or null (credentials.ts). */
  authenticate(token: string): Identity | null {
    return this.credentials.authenticate(token);
  }

  private phaseChange(): PhaseChange {
    return phaseChangeOf(this.session, Date.now());
  }

  summary(): SessionSummary {
    return summaryOf(this.state);
  }

  /**
   * Refuses a new participant (never a rejoin: that is a connection with a participant token, not a join)
   * while the session is closed, locked by the facilitator or full.
   */
  assertJoinable(maxParticipants: number): void {
    this.assertAlive();
    requirePhase('session:join', this.session.phase);
    if (this.session.settings.joinsLocked || this.lockingJoins) {
      throw new CommandError('joins_locked', 'The facilitator has closed this session to new participants. Ask them to open it again.');
    }
    if (this.roster.taken >= maxParticipants) throw new CommandError('session_full', `This session is full (${maxParticipants} participants).`);
  }

  /** Adds a participant; the token it returns lets them rejoin as the same person. */
  async join(
    input: { name: string; group: string | null; language: ParticipantRecord['language'] },
    maxParticipants: number
  ): Promise<{ participant: ParticipantRecord; token: string }> {
    this.assertJoinable(maxParticipants);
    if (input.group !== null && !this.framework.stakeholderGroups.some((g) => g.id === input.group)) {
      throw new CommandError('bad_request', `Unknown group "${input.group}".`, [
        `group: must be one of ${this.framework.stakeholderGroups.map((g) => g.id).join(', ')}`
      ]);
    }
    // Taken from now on (its distinct name too), until the write settles it.
    const { participant, token } = this.roster.reserve(this.session.id, input);
    try {
      await committed(this.store.addParticipant(participant), 'the join');
    } catch (error) {
      this.roster.settle(participant, false);
      throw error;
    }
    this.roster.settle(participant, true);
    this.ballots.addMember(participant.id);
    this.fanout.toFacilitators(this.code, 'participant', this.participantView(participant.id)!);
    this.scheduleArrivals();
    this.scheduleParticipantCount();
    this.scheduleProgress();
    return { participant, token };
  }

  /** Presence (counted by the live session): a participant's first connection opened or their last closed; the facilitator's list follows. */
  presenceChanged(participantId: string): void {
    const member = this.members.get(participantId);
    if (member) this.fanout.toFacilitators(this.code, 'participant', participantView(this.state, member));
  }

  hasParticipant(participantId: string): boolean {
    return this.members.has(participantId);
  }

  participantView(participantId: string): ParticipantView | null {
    const live = this.members.get(participantId);
    return live ? participantView(this.state, live) : null;
  }

  progress(): Progress {
    return this.ballots.progress();
  }

  /** A revealed round as frozen, with the comments hidden from it (results.ts). */
  frozenRound(round: number): { results: RoundResults; ballots: FrozenBallot[]; hidden: HiddenComment[] } | null {
    return this.roundResults.frozenRound(round);
  }

  /** Results of every revealed round, oldest first, as frozen at each reveal (results.ts). */
  results(): RoundResults[] {
    return this.roundResults.results();
  }

  /** Ballots of revealed rounds for the CSV export, from the frozen rows (results.ts). */
  revealedBallots(): { voter: string; group: string | null; round: number; answers: (Answer | null)[] }[] {
    return this.roundResults.revealedBallots();
  }

  /** What `identity` may see of the session right now. */
  snapshot(identity: Identity): SessionSnapshot {
    return snapshotFor(identity, this.state, Date.now());
  }

  /**
   * A participant answers one factor of `forRound` (the current round when
   * omitted); resolves once the answer is durable, and sends it to their other
   * connections (a second tab shows it too). `origin`, the connection that
   * voted, gets no echo: its ack says the answer was stored, and it knows the answer.
   */
  async vote(
    participantId: string,
    factor: number,
    answer: Answer,
    comment: string | null | undefined,
    forRound?: number,
    origin?: string
  ): Promise<VoteResult> {
    this.assertAlive();
    requirePhase('vote', this.session.phase);
    if (forRound !== undefined && forRound !== this.session.round) {
      throw new CommandError('wrong_round', `That answer was for round ${forRound}; voting is now in round ${this.session.round}.`);
    }
    if (this.inCheckinRound && (this.session.votingClosed || (this.session.votingDeadline !== null && this.clock() >= this.session.votingDeadline))) {
      // By the clock, not by the timer: an answer that arrives after the deadline, before the timer has fired, is late too.
      throw new CommandError('voting_closed', 'This check-in has closed: its deadline has passed, and answers can no longer be given or changed.');
    }
    if (this.session.votingClosed) throw new CommandError('voting_closed', 'The facilitator has closed voting for now.');
    if (factor < 1 || factor > this.factorCount) throw new CommandError('not_found', `There is no factor ${factor}.`);
    if (!this.members.has(participantId)) throw new CommandError('forbidden', 'You are no longer in this session.');
    const round = this.session.round;
    const stored = this.ballots.answer(round, participantId, factor);
    const nextComment = comment === undefined ? (stored?.comment ?? null) : comment === null || comment.trim() === '' ? null : comment.trim();
    const reserved = this.ballots.reserveComment(round, participantId, factor, nextComment, this.commentBudget);
    if (reserved === 'participant') {
      throw new CommandError(
        'comments_full',
        `Your comments in this round may hold ${this.commentBudget.perParticipant} characters (code units) in all; this one would take you to ${this.ballots.commentUnits(round, participantId) - (stored?.comment?.length ?? 0) + (nextComment?.length ?? 0)}. Shorten it or another one; nothing was saved.`,
        ['participant']
      );
    }
    if (reserved === 'session') {
      throw new CommandError(
        'comments_full',
        `The comments of this round may hold ${this.commentBudget.perSession} characters (code units) for the whole session, and they are full. Nothing was saved.`,
        ['session']
      );
    }
    try {
      await committed(this.store.saveAnswer({ sessionId: this.id, round, participantId: participantId, factor, answer, comment: nextComment }), 'your answer');
    } finally {
      reserved();
    }
    // Writes commit in call order and their promises resolve in that order, so memory follows the store's order.
    if (!this.members.has(participantId)) throw new CommandError('forbidden', 'You are no longer in this session.');
    const answered = this.ballots.record(round, participantId, factor, { answer, comment: nextComment });
    if (!this.session.anonymous) this.dirtyParticipants.add(participantId);
    this.scheduleProgress();
    this.fanout.toParticipantElsewhere(this.code, participantId, origin, 'ballot', { round, factor, answer, comment: nextComment });
    return { factor, answered };
  }

  /**
   * The facilitator hides a revealed comment from the room, or shows it again.
   * Resolves with the comments hidden now, once that is durable.
   */
  hideComment(comment: HiddenComment, hidden: boolean): Promise<HiddenComment[]> {
    return this.serial.run('session', async () => {
      this.assertAlive();
      requirePhase('comment:hide', this.session.phase);
      if (!this.session.revealedRounds.includes(comment.round)) {
        throw new CommandError('wrong_phase', 'Comments can be hidden only after their round was revealed.');
      }
      // What the round showed (frozen), not today's ballots: a removed participant's comment can still be hidden.
      if (!this.revealed.showed(comment)) throw new CommandError('not_found', 'There is no such comment in that round.');
      const clean = { round: comment.round, factor: comment.factor, text: comment.text };
      await committed(this.store.setCommentHidden(this.id, clean, hidden), 'the hidden comment');
      this.revealed.setHidden(clean, hidden);
      const list = this.revealed.hiddenComments();
      this.fanout.toAll(this.code, 'results', this.results());
      this.fanout.toFacilitators(this.code, 'comments:hidden', list);
      return list;
    });
  }

  /**
   * The facilitator opens a factor (or closes it: null) and presenter screens follow.
   * Only while results are shown, and only a factor of this session's framework.
   */
  presentFactor(factor: number | null): void {
    this.assertAlive();
    requirePhase('present:focus', this.session.phase);
    if (this.session.revealedRounds.length === 0) {
      throw new CommandError('wrong_phase', 'A factor can be shown only once results are revealed.');
    }
    if (factor !== null && factor > this.factorCount) throw new CommandError('bad_request', 'There is no such factor in this session.');
    if (factor === this.presentedFactor) return;
    this.presentedFactor = factor;
    this.fanout.toAll(this.code, 'presented', { factor });
  }

  /** The facilitator moves the session on; resolves once the new phase is durable. */
  setPhase(to: Phase, countdownSeconds: number | null | undefined): Promise<PhaseChange> {
    return this.serial.run('session', () => this.applyPhase(to, countdownSeconds));
  }

  private async applyPhase(to: Phase, countdownSeconds: number | null | undefined): Promise<PhaseChange> {
    this.assertAlive();
    const { next, revealing } = transition(this.session, to, countdownSeconds, Date.now());
    // Frozen from the answers as they stand, queued in the same turn as the phase so both commit in
    // one transaction, and only then shown to anyone. The phase goes first: should the frozen row
    // alone fail, a reload freezes the round again from the same stored answers.
    const frozen = revealing ? this.roundResults.computeFrozen(next.round) : null;
    const phaseWrite = this.store.updateSession(this.id, next);
    const frozenWrite = frozen ? this.store.saveRevealedRound({ sessionId: this.id, round: next.round, revealedAt: this.clock(), ...frozen }) : null;
    await committed(Promise.all([phaseWrite, frozenWrite]), 'the phase change');
    if (frozen) this.revealed.freeze(next.round, frozen);
    const roundChanged = next.round !== this.session.round;
    this.session = { ...this.session, ...next };
    this.ballots.setRound(next.round);
    this.checkin.arm();
    const change = this.phaseChange();
    this.presentedFactor = null;
    this.events.phaseChanged();
    this.fanout.toAll(this.code, 'phase', change);
    if (to === 'revealed') this.fanout.toAll(this.code, 'results', this.results());
    if (to === 'voting') this.scheduleProgress();
    // Per-person counts belong to a round: the facilitator's list starts again from what the new round holds.
    if (roundChanged) this.fanout.toFacilitators(this.code, 'participants', participantViews(this.state));
    return change;
  }

  /**
   * The facilitator steers the voting clock without revealing. The countdown
   * ends by closing the ballot box, as its label says; revealing stays a
   * separate, deliberate step.
   */
  controlVoting(control: VotingControl): Promise<PhaseChange> {
    return this.serial.run('session', () => {
      this.assertAlive();
      requirePhase('voting:control', this.session.phase);
      // A countdown's controls (an hour at most, pause, clear) would unmake a check-in's deadline: it has its own commands.
      if (this.inCheckinRound) throw new CommandError('bad_request', 'A check-in keeps its deadline: extend it or close the check-in early instead.');
      return this.applyClock(controlClock(this.session, control, Date.now()));
    });
  }

  private async applyClock(patch: ClockFields, also: { deadline?: number } = {}): Promise<PhaseChange> {
    await committed(this.store.updateSession(this.id, { ...patch, ...also }), 'the voting clock');
    this.session = { ...this.session, ...patch, ...also };
    this.checkin.arm();
    const change = this.phaseChange();
    this.fanout.toAll(this.code, 'phase', change);
    return change;
  }

  updateSettings(patch: Partial<SessionSettings>): Promise<SessionSettings> {
    return this.serial.run('session', () => this.applySettings(patch));
  }

  private async applySettings(patch: Partial<SessionSettings>): Promise<SessionSettings> {
    this.assertAlive();
    requirePhase('settings:update', this.session.phase);
    const settings = { ...this.session.settings, ...patch };
    if (settings.dotsPerPerson < this.actionBoard.dots.maxSpentByAnyone()) {
      throw new CommandError('bad_request', 'Someone has already spent more dots than that; ask them to take some back first.');
    }
    // People vote under the k their screen promised; it may rise then, never fall.
    if (votingOpen(this.session.phase) && settings.minVoters < this.session.settings.minVoters) {
      throw new CommandError('wrong_phase', 'The minimum number of voters cannot be lowered while voting is open.');
    }
    const locking = settings.joinsLocked && !this.session.settings.joinsLocked;
    if (locking) this.lockingJoins = true;
    try {
      await committed(this.store.updateSession(this.id, { settings }), 'the settings');
    } finally {
      this.lockingJoins = false;
    }
    // Revealed rounds stay as they were shown: the new settings apply to later rounds only.
    this.session = { ...this.session, settings };
    this.fanout.toAll(this.code, 'settings', settings);
    // Everyone's remaining dots depend on the number of dots; a rare facilitator action, so one message per participant is fine.
    if (patch.dotsPerPerson !== undefined) {
      this.fanout.toFacilitators(this.code, 'dots', this.actionBoard.ownDots(FACILITATOR_VOTER));
      this.fanout.toEachParticipant(this.code, 'dots', (id) => [this.actionBoard.ownDots(id)]);
    }
    this.actionBoard.scheduleDotTotals();
    return settings;
  }

  /** The facilitator removes a participant; their answers go with them. */
  removeParticipant(participantId: string): Promise<void> {
    return this.serial.run('session', async () => {
      this.assertAlive();
      if (!this.members.has(participantId)) throw new CommandError('not_found', 'No such participant in this session.');
      await this.applyRemoval([participantId]);
    });
  }

  /**
   * The facilitator removes several participants at once (puppets after a flood of joins), by the
   * same path as one: at most LIMITS.removeBatchMax (the schema bounds it; checked again here), all
   * in one store transaction, so a failed write removes nobody and is answered `store_unavailable`.
   * Ids not (or no longer) in the session are skipped and listed, so a repeated request is harmless.
   */
  removeParticipants(participantIds: readonly string[]): Promise<RemovedParticipants> {
    if (participantIds.length > LIMITS.removeBatchMax) {
      return Promise.reject(new CommandError('bad_request', `At most ${LIMITS.removeBatchMax} participants can be removed per request.`));
    }
    return this.serial.run('session', async () => {
      this.assertAlive();
      const unique = [...new Set(participantIds)];
      const present = unique.filter((id) => this.members.has(id));
      const notFound = unique.filter((id) => !this.members.has(id));
      const removed = present.length > 0 ? await this.applyRemoval(present) : [];
      return { removed, notFound, participants: this.members.size };
    });
  }

  /** Removes members (checked present by the caller, under the session's serial): store first, then memory and clients. */
  private async applyRemoval(participantIds: readonly string[]): Promise<string[]> {
    await committed(
      participantIds.length === 1 ? this.store.removeParticipant(this.id, participantIds[0]) : this.store.removeParticipants(this.id, participantIds),
      'the removal'
    );
    const removed: string[] = [];
    let dotsChanged = false;
    for (const participantId of participantIds) {
      if (!this.members.has(participantId)) continue;
      removed.push(participantId);
      this.ballots.removeMember(participantId);
      this.roster.remove(participantId);
      // Revealed results are frozen: recomputing them without this person would reveal their answers by difference.
      if (this.actionBoard.dots.removeVoter(participantId).length > 0) dotsChanged = true;
      this.fanout.toParticipant(this.code, participantId, 'removed');
      this.fanout.disconnectParticipant(this.code, participantId);
      this.events.participantRemoved(participantId);
      this.fanout.toFacilitators(this.code, 'participant:removed', { id: participantId });
    }
    // Once per batch (O(members)), however many left.
    if (removed.length > 0) this.roster.compact();
    // Counts, arrivals, dot totals and progress once per batch, however many left.
    this.scheduleArrivals();
    this.scheduleParticipantCount();
    if (dotsChanged) this.actionBoard.scheduleDotTotals();
    this.scheduleProgress();
    return removed;
  }

  /**
   * The participant count goes to everyone (a broadcast to the whole room) at a bounded rate: the first change
   * at the end of its turn, then at most one message per interval while people keep joining, the latest count
   * always last. A join storm of 500 costs a handful of room-wide broadcasts, not 500.
   */
  private scheduleParticipantCount(): void {
    this.coalesce.bounded('participantCount', PARTICIPANT_COUNT_INTERVAL_MS, () => {
      if (!this.deleted) this.fanout.toAll(this.code, 'participantCount', this.members.size);
    });
  }

  /** Presenter screens hear about arrivals once per event-loop turn, however many join in it (bounded list). */
  private scheduleArrivals(): void {
    if (this.session.anonymous) return;
    this.coalesce.perTurn('arrivals', () => {
      const names = arrivals(this.state);
      if (!this.deleted && names) this.fanout.toPresenters(this.code, 'arrivals', names);
    });
  }

  /**
   * Coalesces progress: the facilitator hears once per event-loop turn (one
   * `progress` and one batched `participants` message, however many votes came
   * in); participants, who only show a count, at most once a second, since a
   * broadcast to a thousand sockets holds the server up for milliseconds.
   */
  private scheduleProgress(): void {
    this.coalesce.perTurn('progress', () => {
      if (this.deleted) return;
      this.fanout.toFacilitators(this.code, 'progress', this.progress());
      const views = [...this.dirtyParticipants].map((id) => this.participantView(id)).filter((v): v is ParticipantView => v !== null);
      this.dirtyParticipants.clear();
      if (views.length > 0) this.fanout.toFacilitators(this.code, 'participants', views);
    });
    this.coalesce.throttled('participantProgress', PARTICIPANT_PROGRESS_INTERVAL_MS, () => {
      if (!this.deleted) this.fanout.toParticipants(this.code, 'progress', this.progress());
    });
  }

  /** The facilitator deletes the session with all its data. */
  delete(): Promise<void> {
    return this.serial.run('session', () => this.applyDeletion());
  }

  private async applyDeletion(): Promise<void> {
    this.assertAlive();
    await committed(this.store.deleteSession(this.id), 'the deletion');
    this.deleted = true;
    this.dispose();
    this.events.deleted();
    this.fanout.toAll(this.code, 'session:deleted');
    // Let the facilitator's acknowledgement leave before the sockets close.
    setImmediate(() => this.fanout.disconnectAll(this.code));
  }

  /** The store purged this session: clients hear it was deleted, and the room refuses everything from now on. */
  evicted(): void {
    this.deleted = true;
    this.dispose();
    this.events.deleted();
    this.fanout.toAll(this.code, 'session:deleted');
    setImmediate(() => this.fanout.disconnectAll(this.code));
  }

  private assertAlive(): void {
    if (this.deleted) throw new CommandError('not_found', 'This session was deleted.');
  }

  /** Every action point (structure), in board order. */
  actionViews(): ActionView[] {
    return this.actionBoard.actionViews();
  }

  /** The review list (what the snapshot shows), or null outside a community. */
  reviewItems(): ReviewItem[] | null {
    return this.review.items();
  }

  /** Dot totals within the session, for exports. */
  dotTotals(): Record<string, number> {
    return this.actionBoard.dots.totals();
  }

  /** Stops timers; the room can be dropped from memory. */
  dispose(): void {
    this.checkin.cancel();
    this.coalesce.dispose();
    this.actionBoard.dispose();
    this.review.dispose(this.deleted);
  }
}
