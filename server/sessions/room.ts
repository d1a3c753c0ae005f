import type { Framework } from '../../src/lib/domain/framework';
import { votingOpen, type Phase } from '../../src/lib/domain/phases';
import type { Answer } from '../../src/lib/domain/ballots';
import type { FrozenBallot } from '../../src/lib/domain/results';
import {
  CommandError,
  type HiddenComment,
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
import { RevealedRounds } from './revealed';
import { SessionResults } from './results';
import { CheckinClock } from './checkin-clock';
import { Credentials } from './credentials';
import type { VotingControl } from './voting-clock';
import { PhaseControl } from './phase-control';
import { Door } from './door';
import { RoomBroadcasts } from './room-broadcasts';
import { SessionCell } from './session-cell';
import { participantView, snapshotFor, summaryOf, type CommunityContext, type Identity, type Member, type RoomState } from './projections';
import { ActionBoard } from './action-board';
import { Roster } from './roster';
import { ReviewWorkflow } from './review-workflow';
import { requirePhase } from './policy';
import type { Presence } from './presence';

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

/**
 * One session's authoritative state in memory, written through to the store
 * before anything is acknowledged. The room is where a session's units meet:
 * it builds them with explicit dependencies and hands each command to the one
 * that owns it. Who is in the session (Roster) and who comes in or is sent out
 * (Door), ballots and running counts (BallotBox), results frozen at each reveal
 * (results.ts over RevealedRounds), the phase, the voting clock and its deadline
 * (PhaseControl) and a check-in's own commands (CheckinClock), the action board
 * (ActionBoard) and the community review (ReviewWorkflow), who holds a token
 * (Credentials), the room-wide counters at a bounded rate (RoomBroadcasts) and
 * who sees what (projections.ts). It keeps the answers, the hidden comments,
 * the settings and the deletion itself.
 *
 * Store first, then memory: a change becomes visible (in memory, snapshots,
 * fan-out) only after its write committed, so a failed write is answered
 * `store_unavailable` and leaves exactly the stored state. Session-wide changes
 * (phase, settings, removal, deletion) run one at a time and dot casts one at
 * a time per voter, so each is checked against the committed state before it.
 */
export class SessionRoom {
  /** The session record and whether it was deleted: the one copy the units read and update (session-cell.ts). */
  private readonly cell: SessionCell;
  /** Who is in the session: members in join order, their distinct names and tokens, joins in flight (roster.ts). */
  private readonly roster = new Roster();
  private readonly members: ReadonlyMap<string, Member> = this.roster.members;
  private readonly ballots: BallotBox;
  private readonly revealed: RevealedRounds;
  /** Results frozen at each reveal and read from what was frozen (results.ts). */
  private readonly roundResults: SessionResults;
  /** The action phase: the board's structure and the dots on it. */
  readonly actionBoard: ActionBoard;
  /** The community review of earlier sessions' open points (a carried copy lands on the action board). */
  readonly review: ReviewWorkflow;
  /** The phase, the voting clock, its deadline and the presented factor (phase-control.ts). */
  private readonly phases: PhaseControl;
  /** A check-in's own commands (checkin-clock.ts). */
  private readonly checkin: CheckinClock;
  /** Joins and removals (door.ts). */
  private readonly door: Door;
  /** Who holds a token, and the presenter-credential migration (credentials.ts). */
  private readonly credentials: Credentials;
  /** The participant count, arrivals and progress, each at a bounded rate (room-broadcasts.ts). */
  private readonly broadcasts: RoomBroadcasts;
  private readonly serial = new KeyedSerial();
  /** What the projections read. */
  private readonly state: RoomState;

  constructor(
    session: SessionRecord,
    readonly framework: Framework,
    private readonly store: Store,
    private readonly fanout: RoomFanout,
    loaded: Omit<LoadedSession, 'session'>,
    private readonly events: RoomEvents = NO_EVENTS,
    /** Who is connected: counted by the live session over both transports (presence.ts); the room only reads it. */
    presence: Pick<Presence, 'isConnected'> = NOBODY,
    communityContext: CommunityContext | null = null,
    private readonly commentBudget: CommentBudget = DEFAULT_COMMENT_BUDGET,
    /** Stamps reveals: the instant a round's results are dated by (Date.now by default; tests fix it). */
    private readonly clock: () => number = Date.now
  ) {
    const cell = (this.cell = new SessionCell(session));
    this.ballots = new BallotBox(framework.factors.length, session.round);
    // In join order, so joinOrder (and the members map) list arrivals oldest first.
    for (const record of [...loaded.participants].sort((a, b) => a.joinedAt - b.joinedAt)) {
      this.roster.add(record);
      this.ballots.addMember(record.id);
    }
    this.ballots.load(loaded.answers);
    this.revealed = new RevealedRounds(loaded.revealed, loaded.hiddenComments);
    this.roundResults = new SessionResults({
      session: () => cell.record,
      factorCount: framework.factors.length,
      ballots: this.ballots,
      members: this.members,
      revealed: this.revealed,
      store,
      clock
    });
    // The board reads this room (record, deletion, membership, community) through BoardSession; no closures back in.
    this.actionBoard = new ActionBoard({ id: session.id, code: session.code, factorCount: framework.factors.length, store, fanout, session: this }, loaded);
    this.review = new ReviewWorkflow({ id: session.id, code: session.code, store, fanout, board: this.actionBoard, community: communityContext });
    this.credentials = new Credentials({
      session: () => cell.record,
      participantByTokenHash: (hash) => this.roster.participantByTokenHash(hash),
      store,
      presenterCredentialStored: (presenterTokenHash) => {
        if (cell.record.presenterTokenHash === null) cell.merge({ presenterTokenHash });
      }
    });
    const roster = this.roster;
    const revealed = this.revealed;
    // Read lazily, once the phase control below exists.
    const phases = () => this.phases;
    this.state = {
      get session() {
        return cell.record as SessionRecord;
      },
      members: this.members,
      isConnected: (participantId) => presence.isConnected(participantId),
      latest: (n: number) => roster.latest(n),
      ballots: this.ballots,
      dots: this.actionBoard.dots,
      get hiddenComments() {
        return revealed.hiddenComments();
      },
      get presentedFactor() {
        return phases().presentedFactor;
      },
      results: () => this.results(),
      actions: () => this.actionBoard.actionViews(),
      community: communityContext
    };
    this.broadcasts = new RoomBroadcasts({ code: session.code, fanout, state: this.state, ballots: this.ballots });
    this.phases = new PhaseControl({
      cell,
      store,
      fanout,
      serial: this.serial,
      factorCount: framework.factors.length,
      ballots: this.ballots,
      revealed: this.revealed,
      results: this.roundResults,
      broadcasts: this.broadcasts,
      state: this.state,
      phaseChanged: () => events.phaseChanged(),
      clock
    });
    this.checkin = new CheckinClock({ cell, serial: this.serial, clock, phases: this.phases });
    this.door = new Door({
      cell,
      framework,
      store,
      fanout,
      serial: this.serial,
      roster: this.roster,
      ballots: this.ballots,
      dots: this.actionBoard.dots,
      broadcasts: this.broadcasts,
      state: this.state,
      participantRemoved: (participantId) => events.participantRemoved(participantId),
      dotsChanged: () => this.actionBoard.scheduleDotTotals()
    });
  }

  /**
   * What loading leaves to write, started once the room exists (a constructor writes nothing): rounds
   * revealed before results were frozen (older databases) are frozen now, and the board gives back stray dots.
   */
  start(): void {
    // Armed here, not in the constructor: a deadline that passed while the room was unloaded fires at once, and that writes.
    this.phases.arm();
    for (const round of this.session.revealedRounds) {
      if (!this.revealed.has(round)) this.roundResults.freeze(round).catch((error) => console.error(`Freezing round ${round} of ${this.code} failed:`, error));
    }
    this.actionBoard.start();
  }

  /** The session as it stands (session-cell.ts). */
  private get session(): Readonly<SessionRecord> {
    return this.cell.record;
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
    return this.cell.isDeleted;
  }
  get record(): Readonly<SessionRecord> {
    return this.session;
  }
  private get factorCount(): number {
    return this.framework.factors.length;
  }

  /** A check-in still in its own round (round 1): its deadline, not a countdown, closes the ballot box (phase-control.ts). */
  private get inCheckinRound(): boolean {
    return this.phases.inCheckinRound;
  }

  /** Acts on a deadline that has passed by the clock (the sweep calls it; phase-control.ts). */
  checkDeadline(): Promise<void> {
    return this.phases.checkDeadline();
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

  summary(): SessionSummary {
    return summaryOf(this.state);
  }

  /** Refuses a new participant while the session is closed, locked or full (door.ts). */
  assertJoinable(maxParticipants: number): void {
    this.door.assertJoinable(maxParticipants);
  }

  /** Adds a participant; the token it returns lets them rejoin as the same person (door.ts). */
  join(
    input: { name: string; group: string | null; language: ParticipantRecord['language'] },
    maxParticipants: number
  ): Promise<{ participant: ParticipantRecord; token: string }> {
    return this.door.join(input, maxParticipants);
  }

  /** Presence (counted by the live session): a participant's first connection opened or their last closed; the facilitator's list follows. */
  presenceChanged(participantId: string): void {
    const member = this.members.get(participantId);
    if (member) this.fanout.toFacilitators(this.code, 'participant', participantView(this.state, member));
  }

  hasParticipant(participantId: string): boolean {
    return this.members.has(participantId);
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
    if (!this.session.anonymous) this.broadcasts.participantChanged(participantId);
    this.scheduleProgress();
    this.fanout.toParticipantElsewhere(this.code, participantId, origin, 'ballot', { round, factor, answer, comment: nextComment });
    return { factor, answered };
  }

  /** Progress goes out at a bounded rate (room-broadcasts.ts). */
  private scheduleProgress(): void {
    this.broadcasts.progress();
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

  /** The facilitator opens a factor (or closes it: null) and presenter screens follow (phase-control.ts). */
  presentFactor(factor: number | null): void {
    this.phases.presentFactor(factor);
  }

  /** The facilitator moves the session on; resolves once the new phase is durable (phase-control.ts). */
  setPhase(to: Phase, countdownSeconds: number | null | undefined): Promise<PhaseChange> {
    return this.phases.setPhase(to, countdownSeconds);
  }

  /** The facilitator steers the voting clock without revealing (phase-control.ts). */
  controlVoting(control: VotingControl): Promise<PhaseChange> {
    return this.phases.controlVoting(control);
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
    const write = committed(this.store.updateSession(this.id, { settings }), 'the settings');
    // Locking the door: joins are refused while the lock is being written, so none lands after it is acknowledged.
    await (settings.joinsLocked && !this.session.settings.joinsLocked ? this.door.locking(write) : write);
    // Revealed rounds stay as they were shown: the new settings apply to later rounds only.
    this.cell.merge({ settings });
    this.fanout.toAll(this.code, 'settings', settings);
    // Everyone's remaining dots depend on the number of dots; a rare facilitator action, so one message per participant is fine.
    if (patch.dotsPerPerson !== undefined) {
      this.fanout.toFacilitators(this.code, 'dots', this.actionBoard.ownDots(FACILITATOR_VOTER));
      this.fanout.toEachParticipant(this.code, 'dots', (id) => [this.actionBoard.ownDots(id)]);
    }
    this.actionBoard.scheduleDotTotals();
    return settings;
  }

  /** The facilitator removes a participant; their answers go with them (door.ts). */
  removeParticipant(participantId: string): Promise<void> {
    return this.door.removeParticipant(participantId);
  }

  /** The facilitator removes several participants at once, in one store transaction (door.ts). */
  removeParticipants(participantIds: readonly string[]): Promise<RemovedParticipants> {
    return this.door.removeParticipants(participantIds);
  }

  /** The facilitator deletes the session with all its data. */
  delete(): Promise<void> {
    return this.serial.run('session', () => this.applyDeletion());
  }

  private async applyDeletion(): Promise<void> {
    this.assertAlive();
    await committed(this.store.deleteSession(this.id), 'the deletion');
    this.ended();
  }

  /** The store purged this session: clients hear it was deleted, and the room refuses everything from now on. */
  evicted(): void {
    this.ended();
  }

  private ended(): void {
    this.cell.markDeleted();
    this.dispose();
    this.events.deleted();
    this.fanout.toAll(this.code, 'session:deleted');
    // Let the facilitator's acknowledgement leave before the sockets close.
    setImmediate(() => this.fanout.disconnectAll(this.code));
  }

  private assertAlive(): void {
    this.cell.assertAlive();
  }

  /** Stops timers; the room can be dropped from memory. */
  dispose(): void {
    this.phases.cancel();
    this.broadcasts.dispose();
    this.actionBoard.dispose();
    this.review.dispose(this.isDeleted);
  }
}
