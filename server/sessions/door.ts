import type { Framework } from '../../src/lib/domain/framework';
import { CommandError, LIMITS, type RemovedParticipants } from '../../src/lib/protocol';
import type { ParticipantRecord, Store } from '../store/types';
import { committed } from '../store/committed';
import type { RoomFanout } from './fanout';
import type { BallotBox } from './ballot-box';
import type { DotLedger } from './dots';
import type { Roster } from './roster';
import type { RoomBroadcasts } from './room-broadcasts';
import type { KeyedSerial } from './serial';
import type { SessionCell } from './session-cell';
import { participantView, type RoomState } from './projections';
import { requirePhase } from './policy';

/** What the door reads, writes and tells. */
export interface DoorDeps {
  cell: SessionCell;
  framework: Pick<Framework, 'stakeholderGroups'>;
  store: Pick<Store, 'addParticipant' | 'removeParticipant' | 'removeParticipants'>;
  fanout: RoomFanout;
  /** The session's serial: removals run one session-wide change at a time. */
  serial: KeyedSerial;
  roster: Roster;
  ballots: BallotBox;
  /** The action board's dots: a removed participant's go back. */
  dots: Pick<DotLedger, 'removeVoter'>;
  broadcasts: RoomBroadcasts;
  /** The projections' read model, for the facilitator's row of a new participant. */
  state: Pick<RoomState, 'session' | 'ballots' | 'isConnected'>;
  /** Told of each participant removed (the live session closes their board connections). */
  participantRemoved(participantId: string): void;
  /** Told when the dots changed by a removal (the action board sends its totals). */
  dotsChanged(): void;
}

/**
 * Who comes in and who is sent out: joins (checked against the phase, the lock and the cap, store first) and the
 * facilitator's removals (one or a batch, in one store transaction). The lock itself is a setting; while it is
 * being written (`locking`) joins are refused already, so none lands after the lock is acknowledged.
 */
export class Door {
  private lockingJoins = false;

  constructor(private readonly deps: DoorDeps) {}

  /** Refuses joins while `write` (the settings write that locks the door) is in flight. */
  async locking<T>(write: Promise<T>): Promise<T> {
    this.lockingJoins = true;
    try {
      return await write;
    } finally {
      this.lockingJoins = false;
    }
  }

  /**
   * Refuses a new participant (never a rejoin: that is a connection with a participant token, not a join)
   * while the session is closed, locked by the facilitator or full.
   */
  assertJoinable(maxParticipants: number): void {
    const session = this.deps.cell.record;
    this.deps.cell.assertAlive();
    requirePhase('session:join', session.phase);
    if (session.settings.joinsLocked || this.lockingJoins) {
      throw new CommandError('joins_locked', 'The facilitator has closed this session to new participants. Ask them to open it again.');
    }
    if (this.deps.roster.taken >= maxParticipants) throw new CommandError('session_full', `This session is full (${maxParticipants} participants).`);
  }

  /** Adds a participant; the token it returns lets them rejoin as the same person. */
  async join(
    input: { name: string; group: string | null; language: ParticipantRecord['language'] },
    maxParticipants: number
  ): Promise<{ participant: ParticipantRecord; token: string }> {
    this.assertJoinable(maxParticipants);
    const groups = this.deps.framework.stakeholderGroups;
    if (input.group !== null && !groups.some((g) => g.id === input.group)) {
      throw new CommandError('bad_request', `Unknown group "${input.group}".`, [`group: must be one of ${groups.map((g) => g.id).join(', ')}`]);
    }
    // Taken from now on (its distinct name too), until the write settles it.
    const { participant, token } = this.deps.roster.reserve(this.deps.cell.record.id, input);
    try {
      await committed(this.deps.store.addParticipant(participant), 'the join');
    } catch (error) {
      this.deps.roster.settle(participant, false);
      throw error;
    }
    this.deps.roster.settle(participant, true);
    this.deps.ballots.addMember(participant.id);
    const member = this.deps.roster.get(participant.id)!;
    this.deps.fanout.toFacilitators(this.deps.cell.record.code, 'participant', participantView(this.deps.state, member));
    this.deps.broadcasts.arrivals();
    this.deps.broadcasts.participantCount();
    this.deps.broadcasts.progress();
    return { participant, token };
  }

  /** The facilitator removes a participant; their answers go with them. */
  removeParticipant(participantId: string): Promise<void> {
    return this.deps.serial.run('session', async () => {
      this.deps.cell.assertAlive();
      if (!this.deps.roster.has(participantId)) throw new CommandError('not_found', 'No such participant in this session.');
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
    return this.deps.serial.run('session', async () => {
      this.deps.cell.assertAlive();
      const unique = [...new Set(participantIds)];
      const present = unique.filter((id) => this.deps.roster.has(id));
      const notFound = unique.filter((id) => !this.deps.roster.has(id));
      const removed = present.length > 0 ? await this.applyRemoval(present) : [];
      return { removed, notFound, participants: this.deps.roster.members.size };
    });
  }

  /** Removes members (checked present by the caller, under the session's serial): store first, then memory and clients. */
  private async applyRemoval(participantIds: readonly string[]): Promise<string[]> {
    const { id: sessionId, code } = this.deps.cell.record;
    await committed(
      participantIds.length === 1
        ? this.deps.store.removeParticipant(sessionId, participantIds[0])
        : this.deps.store.removeParticipants(sessionId, participantIds),
      'the removal'
    );
    const removed: string[] = [];
    let dotsChanged = false;
    for (const participantId of participantIds) {
      if (!this.deps.roster.has(participantId)) continue;
      removed.push(participantId);
      this.deps.ballots.removeMember(participantId);
      this.deps.roster.remove(participantId);
      // Revealed results are frozen: recomputing them without this person would reveal their answers by difference.
      if (this.deps.dots.removeVoter(participantId).length > 0) dotsChanged = true;
      this.deps.fanout.toParticipant(code, participantId, 'removed');
      this.deps.fanout.disconnectParticipant(code, participantId);
      this.deps.participantRemoved(participantId);
      this.deps.fanout.toFacilitators(code, 'participant:removed', { id: participantId });
    }
    // Once per batch (O(members)), however many left.
    if (removed.length > 0) this.deps.roster.compact();
    // Counts, arrivals, dot totals and progress once per batch, however many left.
    this.deps.broadcasts.arrivals();
    this.deps.broadcasts.participantCount();
    if (dotsChanged) this.deps.dotsChanged();
    this.deps.broadcasts.progress();
    return removed;
  }
}
