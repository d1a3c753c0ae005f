import { extensionProblem } from '../../src/lib/domain/checkins';
import { CommandError, type PhaseChange } from '../../src/lib/protocol';
import { requirePhase } from './policy';
import type { KeyedSerial } from './serial';
import type { SessionCell } from './session-cell';
import { DEADLINE_REACHED } from './voting-clock';
import type { PhaseControl } from './phase-control';

/** What a check-in's commands read and go through: the session, its serial and clock, and the unit that moves phases. */
export interface CheckinClockDeps {
  cell: SessionCell;
  serial: KeyedSerial;
  /** The server's injectable clock (tests move it days on). */
  clock(): number;
  phases: Pick<PhaseControl, 'inCheckinRound' | 'applyPhase' | 'applyClock' | 'recordDeadline'>;
}

/**
 * A check-in's own commands: the facilitator extends its deadline or closes it early. Its deadline timer, like a
 * countdown's, is the phase control's (phase-control.ts), through which these commands change the phase and clock.
 */
export class CheckinClock {
  constructor(private readonly deps: CheckinClockDeps) {}

  /** The facilitator moves a check-in's deadline later (it reopens a check-in closed by its deadline, if not revealed). */
  extendCheckin(deadline: number): Promise<PhaseChange> {
    return this.deps.serial.run('session', async () => {
      this.deps.cell.assertAlive();
      requirePhase('checkin:extend', this.deps.cell.record.phase);
      this.assertCheckinRound();
      const problem = extensionProblem(this.deps.cell.record.deadline ?? 0, deadline, this.deps.clock());
      if (problem) throw new CommandError('bad_request', 'That deadline cannot be set.', [problem]);
      return this.deps.phases.applyClock({ votingDeadline: deadline, votingPausedMs: null, votingClosed: false }, { deadline });
    });
  }

  /** The facilitator closes a check-in before its deadline: it reveals now or waits for the meeting, as it was set up. */
  closeCheckin(): Promise<PhaseChange> {
    return this.deps.serial.run('session', async () => {
      this.deps.cell.assertAlive();
      requirePhase('checkin:close', this.deps.cell.record.phase);
      this.assertCheckinRound();
      const now = this.deps.clock();
      // The deadline it shows from now on is when it closed.
      const shown = this.deps.cell.record.deadline;
      if (shown === null || shown > now) await this.deps.phases.recordDeadline(now);
      if (this.deps.cell.record.revealAt === 'deadline') return this.deps.phases.applyPhase('revealed', null);
      return this.deps.phases.applyClock(DEADLINE_REACHED);
    });
  }

  private assertCheckinRound(): void {
    if (!this.deps.phases.inCheckinRound) throw new CommandError('bad_request', 'This is not a check-in still open in its own round.');
  }
}
