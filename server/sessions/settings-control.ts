import { votingOpen } from '../../src/lib/domain/phases';
import { CommandError, type SessionSettings } from '../../src/lib/protocol';
import type { SessionRecord, Store } from '../store/types';
import { committed } from '../store/committed';
import type { RoomFanout } from './fanout';
import type { ActionBoard } from './action-board';
import type { Door } from './door';
import { FACILITATOR_VOTER } from './dots';
import type { KeyedSerial } from './serial';
import type { SessionCell } from './session-cell';
import { requirePhase } from './policy';

/** What a settings change reads, writes and tells. */
export interface SettingsControlDeps {
  cell: SessionCell;
  store: Pick<Store, 'updateSession'>;
  fanout: RoomFanout;
  /** The session's serial: one session-wide change at a time. */
  serial: KeyedSerial;
  /** Locking the door refuses joins while the lock is being written. */
  door: Pick<Door, 'locking'>;
  /** The dots people spent bound the number of dots; everyone's remaining dots follow a change. */
  board: Pick<ActionBoard, 'dots' | 'ownDots' | 'scheduleDotTotals'>;
}

/**
 * The facilitator's settings (thresholds, minimum voters, dots, hidden totals, the door's lock), checked against
 * what they would unmake (dots already spent, the k promised while voting is open), store first, then everyone.
 */
export class SettingsControl {
  constructor(private readonly deps: SettingsControlDeps) {}

  private get session(): Readonly<SessionRecord> {
    return this.deps.cell.record;
  }

  updateSettings(patch: Partial<SessionSettings>): Promise<SessionSettings> {
    return this.deps.serial.run('session', () => this.applySettings(patch));
  }

  private async applySettings(patch: Partial<SessionSettings>): Promise<SessionSettings> {
    this.deps.cell.assertAlive();
    requirePhase('settings:update', this.session.phase);
    const settings = { ...this.session.settings, ...patch };
    if (settings.dotsPerPerson < this.deps.board.dots.maxSpentByAnyone()) {
      throw new CommandError('bad_request', 'Someone has already spent more dots than that; ask them to take some back first.');
    }
    // People vote under the k their screen promised; it may rise then, never fall.
    if (votingOpen(this.session.phase) && settings.minVoters < this.session.settings.minVoters) {
      throw new CommandError('wrong_phase', 'The minimum number of voters cannot be lowered while voting is open.');
    }
    const write = committed(this.deps.store.updateSession(this.session.id, { settings }), 'the settings');
    // Locking the door: joins are refused while the lock is being written, so none lands after it is acknowledged.
    await (settings.joinsLocked && !this.session.settings.joinsLocked ? this.deps.door.locking(write) : write);
    // Revealed rounds stay as they were shown: the new settings apply to later rounds only.
    this.deps.cell.merge({ settings });
    this.deps.fanout.toAll(this.session.code, 'settings', settings);
    // Everyone's remaining dots depend on the number of dots; a rare facilitator action, so one message per participant is fine.
    if (patch.dotsPerPerson !== undefined) {
      this.deps.fanout.toFacilitators(this.session.code, 'dots', this.deps.board.ownDots(FACILITATOR_VOTER));
      this.deps.fanout.toEachParticipant(this.session.code, 'dots', (id) => [this.deps.board.ownDots(id)]);
    }
    this.deps.board.scheduleDotTotals();
    return settings;
  }
}
