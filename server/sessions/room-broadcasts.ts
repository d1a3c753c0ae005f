import type { ParticipantView } from '../../src/lib/protocol';
import type { RoomFanout } from './fanout';
import type { BallotBox } from './ballot-box';
import { Coalescer, eventLoop, type Scheduler } from './coalescer';
import { arrivals, participantView, type RoomState } from './projections';

/**
 * How often the participant count goes to everyone at most while people keep joining: a join storm is when the
 * server is busiest, and four room-wide broadcasts a second were a fifth of its CPU in a slow storm of 1,000 joins;
 * the facilitator hears each join at once, participants see the count within a second.
 */
export const PARTICIPANT_COUNT_INTERVAL_MS = 1000;

/** How often participants (not the facilitator) get progress updates under load. */
export const PARTICIPANT_PROGRESS_INTERVAL_MS = 1000;

/** What the room-wide counters read and where they go. */
export interface RoomBroadcastsDeps {
  code: string;
  fanout: RoomFanout;
  /** The projections' read model (members, the session, presence). */
  state: Pick<RoomState, 'session' | 'members' | 'latest' | 'ballots' | 'isConnected'>;
  ballots: BallotBox;
  /** The real event loop unless a unit test drives it by hand. */
  scheduler?: Scheduler;
}

/**
 * The room-wide counters a room sends as people join, leave and vote, each at a bounded rate: the participant
 * count, the presenter screens' arrivals and the "9 of 14" progress (with the facilitator's per-person rows that
 * changed). Each is computed when it is sent, so it shows the latest state; nothing is sent once disposed.
 */
export class RoomBroadcasts {
  private readonly coalesce: Coalescer<'progress' | 'participantProgress' | 'arrivals' | 'participantCount'>;
  private readonly dirtyParticipants = new Set<string>();

  constructor(private readonly deps: RoomBroadcastsDeps) {
    this.coalesce = new Coalescer(deps.scheduler ?? eventLoop);
  }

  /**
   * The participant count goes to everyone (a broadcast to the whole room) at a bounded rate: the first change
   * at the end of its turn, then at most one message per interval while people keep joining, the latest count
   * always last. A join storm of 500 costs a handful of room-wide broadcasts, not 500.
   */
  participantCount(): void {
    this.coalesce.bounded('participantCount', PARTICIPANT_COUNT_INTERVAL_MS, () => {
      this.deps.fanout.toAll(this.deps.code, 'participantCount', this.deps.state.members.size);
    });
  }

  /** Presenter screens hear about arrivals once per event-loop turn, however many join in it (bounded list). */
  arrivals(): void {
    if (this.deps.state.session.anonymous) return;
    this.coalesce.perTurn('arrivals', () => {
      const names = arrivals(this.deps.state);
      if (names) this.deps.fanout.toPresenters(this.deps.code, 'arrivals', names);
    });
  }

  /** A participant's row in the facilitator's list changed (an answer): it goes with the next progress. */
  participantChanged(participantId: string): void {
    this.dirtyParticipants.add(participantId);
  }

  /**
   * Coalesces progress: the facilitator hears once per event-loop turn (one
   * `progress` and one batched `participants` message, however many votes came
   * in); participants, who only show a count, at most once a second, since a
   * broadcast to a thousand sockets holds the server up for milliseconds.
   */
  progress(): void {
    // Made once (below), not per call: every vote calls this, and all but the first of a turn find it pending.
    this.coalesce.perTurn('progress', this.sendProgress);
    this.coalesce.throttled('participantProgress', PARTICIPANT_PROGRESS_INTERVAL_MS, this.sendParticipantProgress);
  }

  private readonly sendProgress = (): void => {
    this.deps.fanout.toFacilitators(this.deps.code, 'progress', this.deps.ballots.progress());
    const views = [...this.dirtyParticipants].map((id) => this.viewOf(id)).filter((v): v is ParticipantView => v !== null);
    this.dirtyParticipants.clear();
    if (views.length > 0) this.deps.fanout.toFacilitators(this.deps.code, 'participants', views);
  };

  private readonly sendParticipantProgress = (): void => {
    this.deps.fanout.toParticipants(this.deps.code, 'progress', this.deps.ballots.progress());
  };

  /** Presence (counted by the live session): a participant's first connection opened or their last closed; the facilitator's list follows. */
  presenceChanged(participantId: string): void {
    const view = this.viewOf(participantId);
    if (view) this.deps.fanout.toFacilitators(this.deps.code, 'participant', view);
  }

  private viewOf(participantId: string): ParticipantView | null {
    const member = this.deps.state.members.get(participantId);
    return member ? participantView(this.deps.state, member) : null;
  }

  /** The session was deleted or unloaded: nothing pending is sent. */
  dispose(): void {
    this.coalesce.dispose();
  }
}
