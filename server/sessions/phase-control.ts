import type { Phase } from '../../src/lib/domain/phases';
import { CommandError, type PhaseChange } from '../../src/lib/protocol';
import type { SessionRecord, Store } from '../store/types';
import { committed } from '../store/committed';
import type { RoomFanout } from './fanout';
import type { BallotBox } from './ballot-box';
import type { RevealedRounds } from './revealed';
import type { SessionResults } from './results';
import type { RoomBroadcasts } from './room-broadcasts';
import type { KeyedSerial } from './serial';
import type { SessionCell } from './session-cell';
import { participantViews, type RoomState } from './projections';
import { requirePhase } from './policy';
import { controlClock, DEADLINE_REACHED, DeadlineTimer, phaseChangeOf, transition, type ClockFields, type VotingControl } from './voting-clock';

/** A check-in still in its own round (round 1): its deadline, not a countdown, closes the ballot box. */
export function inCheckinRound(session: Pick<SessionRecord, 'mode' | 'round'>): boolean {
  return session.mode === 'checkin' && session.round === 1;
}

/** What phase and clock changes read, write and tell. */
export interface PhaseControlDeps {
  cell: SessionCell;
  store: Pick<Store, 'updateSession' | 'saveRevealedRound'>;
  fanout: RoomFanout;
  /** The session's serial: one session-wide change at a time. */
  serial: KeyedSerial;
  factorCount: number;
  ballots: BallotBox;
  revealed: RevealedRounds;
  results: SessionResults;
  broadcasts: RoomBroadcasts;
  /** The projections' read model, for the facilitator's list when a round starts. */
  state: Pick<RoomState, 'session' | 'ballots' | 'members' | 'isConnected'>;
  /** Told after every phase change (the live session resets the board's read-only notices). */
  phaseChanged(): void;
  /** The server's injectable clock: stamps reveals and reads a check-in's deadline (tests move it days on). */
  clock(): number;
}

/**
 * Everything that moves a session's phase and voting clock, store first, then memory, then clients: the
 * facilitator's phase changes and clock controls, the one voting deadline timer and what happens when it is
 * reached, and the factor presenter screens show (a pointer reset by every phase change). A check-in's own
 * commands (checkin-clock.ts) change the phase and clock through this unit.
 */
export class PhaseControl {
  private readonly deadline: DeadlineTimer;
  /**
   * The factor the facilitator has open, shown large on presenter screens. A pointer for screens, not
   * workshop data: kept in memory only (after a restart the screens show the overview) and reset by a phase change.
   */
  private presented: number | null = null;

  constructor(private readonly deps: PhaseControlDeps) {
    this.deadline = new DeadlineTimer(
      (deadline) =>
        // Serialised with the facilitator's changes; if the store cannot take it now, voting stays as stored and the deadline tries again.
        this.deps.serial.run('session', async () => {
          if (this.isDue(deadline)) await this.deadlineReached();
        }),
      (deadline) => this.isDue(deadline),
      // A check-in's deadline is read on the server's clock (injectable: tests move it days on); a countdown's on the wall clock.
      () => (this.session.mode === 'checkin' ? this.deps.clock() : Date.now())
    );
  }

  private get session(): Readonly<SessionRecord> {
    return this.deps.cell.record;
  }

  get presentedFactor(): number | null {
    return this.presented;
  }

  /** (Re)arms the deadline timer for the session as it stands now. */
  arm(): void {
    this.deadline.arm(this.session.phase, this.session.votingDeadline);
  }

  cancel(): void {
    this.deadline.cancel();
  }

  /** A check-in still in its own round (round 1): its deadline, not a countdown, closes the ballot box. */
  get inCheckinRound(): boolean {
    return inCheckinRound(this.session);
  }

  phaseChange(): PhaseChange {
    return phaseChangeOf(this.session, Date.now());
  }

  /**
   * The ballot box's deadline passed (under the session's serial, checked due): a countdown closes the box; a
   * check-in revealing at its deadline reveals, in the one phase change a reveal always is, so it happens once
   * (the next load finds the session revealed and arms nothing). A check-in revealing at the meeting closes.
   */
  private async deadlineReached(): Promise<void> {
    if (this.inCheckinRound && this.session.revealAt === 'deadline') await this.applyPhase('revealed', null);
    else await this.applyClock(DEADLINE_REACHED);
  }

  /**
   * Acts on a deadline that has passed by the clock (the sweep calls it: after an injected clock moved on, or
   * on a room loaded after its deadline, whose timer fires too; both run through the serial and `isDue`).
   */
  checkDeadline(): Promise<void> {
    return this.deadline.check(this.session.phase === 'voting' ? this.session.votingDeadline : null);
  }

  private isDue(deadline: number): boolean {
    return !this.deps.cell.isDeleted && this.session.phase === 'voting' && this.session.votingDeadline === deadline;
  }

  /**
   * The facilitator opens a factor (or closes it: null) and presenter screens follow.
   * Only while results are shown, and only a factor of this session's framework.
   */
  presentFactor(factor: number | null): void {
    this.deps.cell.assertAlive();
    requirePhase('present:focus', this.session.phase);
    if (this.session.revealedRounds.length === 0) {
      throw new CommandError('wrong_phase', 'A factor can be shown only once results are revealed.');
    }
    if (factor !== null && factor > this.deps.factorCount) throw new CommandError('bad_request', 'There is no such factor in this session.');
    if (factor === this.presented) return;
    this.presented = factor;
    this.deps.fanout.toAll(this.session.code, 'presented', { factor });
  }

  /** The facilitator moves the session on; resolves once the new phase is durable. */
  setPhase(to: Phase, countdownSeconds: number | null | undefined): Promise<PhaseChange> {
    return this.deps.serial.run('session', () => this.applyPhase(to, countdownSeconds));
  }

  /** Moves the phase; the caller holds the session's serial. */
  async applyPhase(to: Phase, countdownSeconds: number | null | undefined): Promise<PhaseChange> {
    this.deps.cell.assertAlive();
    const { id, code } = this.session;
    const { next, revealing } = transition(this.session, to, countdownSeconds, Date.now());
    // Frozen from the answers as they stand, queued in the same turn as the phase so both commit in
    // one transaction, and only then shown to anyone. The phase goes first: should the frozen row
    // alone fail, a reload freezes the round again from the same stored answers.
    const frozen = revealing ? this.deps.results.computeFrozen(next.round) : null;
    const phaseWrite = this.deps.store.updateSession(id, next);
    const frozenWrite = frozen ? this.deps.store.saveRevealedRound({ sessionId: id, round: next.round, revealedAt: this.deps.clock(), ...frozen }) : null;
    await committed(Promise.all([phaseWrite, frozenWrite]), 'the phase change');
    if (frozen) this.deps.revealed.freeze(next.round, frozen);
    const roundChanged = next.round !== this.session.round;
    this.deps.cell.merge(next);
    this.deps.ballots.setRound(next.round);
    this.arm();
    const change = this.phaseChange();
    this.presented = null;
    this.deps.phaseChanged();
    // The results before the phase: a screen that applies the reveal shows the new round's results at once, never
    // the round before's under the new round's phase for a frame (a presenter test counted pages in that frame).
    if (to === 'revealed') this.deps.fanout.toAll(code, 'results', this.deps.results.results());
    this.deps.fanout.toAll(code, 'phase', change);
    if (to === 'voting') this.deps.broadcasts.progress();
    // Per-person counts belong to a round: the facilitator's list starts again from what the new round holds.
    if (roundChanged) this.deps.fanout.toFacilitators(code, 'participants', participantViews(this.deps.state));
    return change;
  }

  /**
   * The facilitator steers the voting clock without revealing. The countdown
   * ends by closing the ballot box, as its label says; revealing stays a
   * separate, deliberate step.
   */
  controlVoting(control: VotingControl): Promise<PhaseChange> {
    return this.deps.serial.run('session', () => {
      this.deps.cell.assertAlive();
      requirePhase('voting:control', this.session.phase);
      // A countdown's controls (an hour at most, pause, clear) would unmake a check-in's deadline: it has its own commands.
      if (this.inCheckinRound) throw new CommandError('bad_request', 'A check-in keeps its deadline: extend it or close the check-in early instead.');
      return this.applyClock(controlClock(this.session, control, Date.now()));
    });
  }

  /** Changes the voting clock (and a check-in's shown deadline with it); the caller holds the session's serial. */
  async applyClock(patch: ClockFields, also: { deadline?: number } = {}): Promise<PhaseChange> {
    await committed(this.deps.store.updateSession(this.session.id, { ...patch, ...also }), 'the voting clock');
    this.deps.cell.merge({ ...patch, ...also });
    this.arm();
    const change = this.phaseChange();
    this.deps.fanout.toAll(this.session.code, 'phase', change);
    return change;
  }

  /** Writes the deadline a check-in shows (store first, then memory); the caller holds the session's serial. */
  async recordDeadline(deadline: number): Promise<void> {
    await committed(this.deps.store.updateSession(this.session.id, { deadline }), 'the deadline');
    this.deps.cell.merge({ deadline });
  }
}
