import type { Store } from '../store/types';
import { committed } from '../store/committed';
import type { RoomFanout } from './fanout';
import type { ActionBoard } from './action-board';
import type { PhaseControl } from './phase-control';
import type { ReviewWorkflow } from './review-workflow';
import type { RoomBroadcasts } from './room-broadcasts';
import type { KeyedSerial } from './serial';
import type { SessionCell } from './session-cell';

/** What ending a room reads, writes and tells, and the units whose timers it stops. */
export interface SessionEndDeps {
  cell: SessionCell;
  store: Pick<Store, 'deleteSession'>;
  fanout: RoomFanout;
  /** The session's serial: the deletion waits for the session-wide change before it. */
  serial: KeyedSerial;
  phases: Pick<PhaseControl, 'cancel'>;
  broadcasts: Pick<RoomBroadcasts, 'dispose'>;
  board: Pick<ActionBoard, 'dispose'>;
  review: Pick<ReviewWorkflow, 'dispose'>;
  /** Told once the session was deleted or purged (the live session closes the board and forgets itself). */
  deleted(): void;
}

/**
 * How a room ends: deleted by the facilitator (store first), purged by the store, or dropped from memory (idle,
 * handed over). Deleted or purged, clients hear it and every later command is refused; either way the units'
 * timers stop, so nothing pending is sent.
 */
export class SessionEnd {
  constructor(private readonly deps: SessionEndDeps) {}

  /** The facilitator deletes the session with all its data. */
  delete(): Promise<void> {
    return this.deps.serial.run('session', () => this.applyDeletion());
  }

  private async applyDeletion(): Promise<void> {
    this.deps.cell.assertAlive();
    await committed(this.deps.store.deleteSession(this.deps.cell.record.id), 'the deletion');
    this.ended();
  }

  /** The store purged this session: clients hear it was deleted, and the room refuses everything from now on. */
  evicted(): void {
    this.ended();
  }

  private ended(): void {
    this.deps.cell.markDeleted();
    this.dispose();
    this.deps.deleted();
    this.deps.fanout.toAll(this.deps.cell.record.code, 'session:deleted');
    // Let the facilitator's acknowledgement leave before the sockets close.
    setImmediate(() => this.deps.fanout.disconnectAll(this.deps.cell.record.code));
  }

  /** Stops timers; the room can be dropped from memory. */
  dispose(): void {
    this.deps.phases.cancel();
    this.deps.broadcasts.dispose();
    this.deps.board.dispose();
    this.deps.review.dispose(this.deps.cell.isDeleted);
  }
}
