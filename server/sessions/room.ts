import type { Framework } from '../../src/lib/domain/framework';
import type { Phase } from '../../src/lib/domain/phases';
import type { Answer } from '../../src/lib/domain/ballots';
import type { FrozenBallot } from '../../src/lib/domain/results';
import {
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
import type { RoomFanout } from './fanout';
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
import type { Presence } from './presence';
import { Votes } from './votes';
import { HiddenComments } from './hidden-comments';
import { SettingsControl } from './settings-control';
import { SessionEnd } from './session-end';

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
  /** A participant's answers (votes.ts). */
  private readonly votes: Votes;
  /** The facilitator's hidden comments (hidden-comments.ts). */
  private readonly comments: HiddenComments;
  /** The facilitator's settings (settings-control.ts). */
  private readonly settings: SettingsControl;
  /** Deletion, purge and unload (session-end.ts). */
  private readonly end: SessionEnd;
  private readonly serial = new KeyedSerial();
  /** What the projections read. */
  private readonly state: RoomState;

  constructor(
    session: SessionRecord,
    readonly framework: Framework,
    store: Store,
    private readonly fanout: RoomFanout,
    loaded: Omit<LoadedSession, 'session'>,
    events: RoomEvents = NO_EVENTS,
    /** Who is connected: counted by the live session over both transports (presence.ts); the room only reads it. */
    presence: Pick<Presence, 'isConnected'> = NOBODY,
    communityContext: CommunityContext | null = null,
    commentBudget: CommentBudget = DEFAULT_COMMENT_BUDGET,
    /** Stamps reveals: the instant a round's results are dated by (Date.now by default; tests fix it). */
    clock: () => number = Date.now
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
    this.votes = new Votes({
      cell,
      store,
      fanout,
      factorCount: framework.factors.length,
      ballots: this.ballots,
      members: this.members,
      broadcasts: this.broadcasts,
      phases: this.phases,
      commentBudget,
      clock
    });
    this.comments = new HiddenComments({ cell, store, fanout, serial: this.serial, revealed: this.revealed, results: this.roundResults });
    this.settings = new SettingsControl({ cell, store, fanout, serial: this.serial, door: this.door, board: this.actionBoard });
    this.end = new SessionEnd({
      cell,
      store,
      fanout,
      serial: this.serial,
      phases: this.phases,
      broadcasts: this.broadcasts,
      board: this.actionBoard,
      review: this.review,
      deleted: () => events.deleted()
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

  /** A participant answers one factor of `forRound` (votes.ts). */
  vote(participantId: string, factor: number, answer: Answer, comment: string | null | undefined, forRound?: number, origin?: string): Promise<VoteResult> {
    return this.votes.vote(participantId, factor, answer, comment, forRound, origin);
  }

  /** The facilitator hides a revealed comment from the room, or shows it again (hidden-comments.ts). */
  hideComment(comment: HiddenComment, hidden: boolean): Promise<HiddenComment[]> {
    return this.comments.hideComment(comment, hidden);
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

  /** The facilitator changes the settings (settings-control.ts). */
  updateSettings(patch: Partial<SessionSettings>): Promise<SessionSettings> {
    return this.settings.updateSettings(patch);
  }

  /** The facilitator removes a participant; their answers go with them (door.ts). */
  removeParticipant(participantId: string): Promise<void> {
    return this.door.removeParticipant(participantId);
  }

  /** The facilitator removes several participants at once, in one store transaction (door.ts). */
  removeParticipants(participantIds: readonly string[]): Promise<RemovedParticipants> {
    return this.door.removeParticipants(participantIds);
  }

  /** The facilitator deletes the session with all its data (session-end.ts). */
  delete(): Promise<void> {
    return this.end.delete();
  }

  /** The store purged this session (session-end.ts). */
  evicted(): void {
    this.end.evicted();
  }

  /** Stops timers; the room can be dropped from memory (session-end.ts). */
  dispose(): void {
    this.end.dispose();
  }
}
