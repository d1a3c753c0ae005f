import type { Framework } from '../../src/lib/domain/framework';
import type { Phase } from '../../src/lib/domain/phases';
import type { SessionSnapshot, SessionSummary } from '../../src/lib/protocol';
import type { LoadedSession, SessionRecord, Store } from '../store/types';
import type { RoomFanout } from './fanout';
import { KeyedSerial } from './serial';
import { BallotBox, DEFAULT_COMMENT_BUDGET, type CommentBudget } from './ballot-box';
import { RevealedRounds } from './revealed';
import { SessionResults } from './results';
import { CheckinClock } from './checkin-clock';
import { Credentials } from './credentials';
import { PhaseControl } from './phase-control';
import { Door } from './door';
import { RoomBroadcasts } from './room-broadcasts';
import { SessionCell } from './session-cell';
import { snapshotFor, summaryOf, type CommunityContext, type Identity, type RoomState } from './projections';
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
 * it builds them with explicit dependencies, once, and each command's handler
 * (commands.ts) reaches the unit that owns it. Who is in the session (Roster)
 * and who comes in or is sent out (Door), ballots and running counts
 * (BallotBox), the answer path (Votes), results frozen at each reveal
 * (results.ts over RevealedRounds) and the comments hidden from them
 * (HiddenComments), the phase, the voting clock and its deadline
 * (PhaseControl) and a check-in's own commands (CheckinClock), the settings
 * (SettingsControl), the action board (ActionBoard) and the community review
 * (ReviewWorkflow), who holds a token (Credentials), the room-wide counters at
 * a bounded rate (RoomBroadcasts), how the room ends (SessionEnd) and who sees
 * what (projections.ts).
 *
 * Store first, then memory: a change becomes visible (in memory, snapshots,
 * fan-out) only after its write committed, so a failed write is answered
 * `store_unavailable` and leaves exactly the stored state. Session-wide changes
 * (phase, settings, removal, deletion) run one at a time on one serial and dot
 * casts one at a time per voter, so each is checked against the committed state before it.
 */
export class SessionRoom {
  /** The session record and whether it was deleted: the one copy the units read and update (session-cell.ts). */
  private readonly cell: SessionCell;
  /** Who is in the session: members in join order, their distinct names and tokens, joins in flight (roster.ts). */
  private readonly roster = new Roster();
  private readonly revealed: RevealedRounds;
  /** Session-wide changes, one at a time. */
  private readonly serial = new KeyedSerial();
  /** Who holds a token, and the presenter-credential migration (credentials.ts). */
  private readonly credentials: Credentials;
  /** What the projections read. */
  private readonly state: RoomState;

  /** Results frozen at each reveal and read from what was frozen (results.ts). */
  readonly rounds: SessionResults;
  /** The action phase: the board's structure and the dots on it (action-board.ts). */
  readonly actionBoard: ActionBoard;
  /** The community review of earlier sessions' open points (a carried copy lands on the action board). */
  readonly review: ReviewWorkflow;
  /** The participant count, arrivals, progress and presence, each at a bounded rate (room-broadcasts.ts). */
  readonly broadcasts: RoomBroadcasts;
  /** The phase, the voting clock, its deadline and the presented factor (phase-control.ts). */
  readonly phases: PhaseControl;
  /** A check-in's own commands (checkin-clock.ts). */
  readonly checkin: CheckinClock;
  /** Joins and removals (door.ts). */
  readonly door: Door;
  /** A participant's answers (votes.ts). */
  readonly votes: Votes;
  /** The facilitator's hidden comments (hidden-comments.ts). */
  readonly comments: HiddenComments;
  /** The facilitator's settings (settings-control.ts). */
  readonly settings: SettingsControl;
  /** Deletion, purge and unload (session-end.ts). */
  readonly end: SessionEnd;

  constructor(
    session: SessionRecord,
    readonly framework: Framework,
    store: Store,
    fanout: RoomFanout,
    loaded: Omit<LoadedSession, 'session'>,
    events: RoomEvents = NO_EVENTS,
    /** Who is connected: counted by the live session over both transports (presence.ts); the room only reads it. */
    presence: Pick<Presence, 'isConnected'> = NOBODY,
    communityContext: CommunityContext | null = null,
    commentBudget: CommentBudget = DEFAULT_COMMENT_BUDGET,
    /** Stamps reveals: the instant a round's results are dated by (Date.now by default; tests fix it). */
    clock: () => number = Date.now
  ) {
    const factorCount = framework.factors.length;
    const serial = this.serial;
    const cell = (this.cell = new SessionCell(session));
    const roster = this.roster;
    const ballots = new BallotBox(factorCount, session.round);
    // In join order, so joinOrder (and the members map) list arrivals oldest first.
    for (const record of [...loaded.participants].sort((a, b) => a.joinedAt - b.joinedAt)) {
      roster.add(record);
      ballots.addMember(record.id);
    }
    ballots.load(loaded.answers);
    const revealed = (this.revealed = new RevealedRounds(loaded.revealed, loaded.hiddenComments));
    const members = roster.members;
    const rounds = (this.rounds = new SessionResults({ session: () => cell.record, factorCount, ballots, members, revealed, store, clock }));
    const board = (this.actionBoard = new ActionBoard({ id: session.id, code: session.code, factorCount, store, fanout, cell, members: roster }, loaded));
    const review = (this.review = new ReviewWorkflow({ id: session.id, code: session.code, store, fanout, board, community: communityContext }));
    this.credentials = new Credentials({
      session: () => cell.record,
      participantByTokenHash: (hash) => roster.participantByTokenHash(hash),
      store,
      presenterCredentialStored: (presenterTokenHash) => {
        if (cell.record.presenterTokenHash === null) cell.merge({ presenterTokenHash });
      }
    });
    // Read lazily, once the phase control below exists.
    const presented = () => this.phases.presentedFactor;
    const state: RoomState = (this.state = {
      get session() {
        return cell.record as SessionRecord;
      },
      members,
      isConnected: (participantId) => presence.isConnected(participantId),
      latest: (n: number) => roster.latest(n),
      ballots,
      dots: board.dots,
      get hiddenComments() {
        return revealed.hiddenComments();
      },
      get presentedFactor() {
        return presented();
      },
      results: () => rounds.results(),
      actions: () => board.actionViews(),
      community: communityContext
    });
    const broadcasts = (this.broadcasts = new RoomBroadcasts({ code: session.code, fanout, state, ballots }));
    const phases = (this.phases = new PhaseControl({
      cell,
      store,
      fanout,
      serial,
      factorCount,
      ballots,
      revealed,
      results: rounds,
      broadcasts,
      state,
      phaseChanged: () => events.phaseChanged(),
      clock
    }));
    this.checkin = new CheckinClock({ cell, serial, clock, phases });
    const door = (this.door = new Door({
      cell,
      framework,
      store,
      fanout,
      serial,
      roster,
      ballots,
      dots: board.dots,
      broadcasts,
      state,
      participantRemoved: (participantId) => events.participantRemoved(participantId),
      dotsChanged: () => board.scheduleDotTotals()
    }));
    this.votes = new Votes({ cell, store, fanout, factorCount, ballots, members, broadcasts, phases, commentBudget, clock });
    this.comments = new HiddenComments({ cell, store, fanout, serial, revealed, results: rounds });
    this.settings = new SettingsControl({ cell, store, fanout, serial, door, board });
    this.end = new SessionEnd({ cell, store, fanout, serial, phases, broadcasts, board, review, deleted: () => events.deleted() });
  }

  /**
   * What loading leaves to write, started once the room exists (a constructor writes nothing): rounds
   * revealed before results were frozen (older databases) are frozen now, and the board gives back stray dots.
   */
  start(): void {
    // Armed here, not in the constructor: a deadline that passed while the room was unloaded fires at once, and that writes.
    this.phases.arm();
    for (const round of this.record.revealedRounds) {
      if (!this.revealed.has(round)) this.rounds.freeze(round).catch((error) => console.error(`Freezing round ${round} of ${this.code} failed:`, error));
    }
    this.actionBoard.start();
  }

  /** The session as it stands (session-cell.ts). */
  get record(): Readonly<SessionRecord> {
    return this.cell.record;
  }
  get id(): string {
    return this.record.id;
  }
  get code(): string {
    return this.record.code;
  }
  get phase(): Phase {
    return this.record.phase;
  }
  get isDeleted(): boolean {
    return this.cell.isDeleted;
  }

  hasParticipant(participantId: string): boolean {
    return this.roster.has(participantId);
  }

  /** Decides who holds `token`, or null (credentials.ts). */
  authenticate(token: string): Identity | null {
    return this.credentials.authenticate(token);
  }

  summary(): SessionSummary {
    return summaryOf(this.state);
  }

  /** What `identity` may see of the session right now. */
  snapshot(identity: Identity): SessionSnapshot {
    return snapshotFor(identity, this.state, Date.now());
  }

  /** Stops timers; the room can be dropped from memory (session-end.ts). */
  dispose(): void {
    this.end.dispose();
  }
}
