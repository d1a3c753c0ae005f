/**
 * A session's units wired as the room wires them, without the room or sockets: the real store in memory (behind the
 * fault-injecting store, for refused writes), a fan-out that records what each audience was sent, a hand-driven event loop for the room-wide counters, and the real
 * units (session-cell, roster, ballots, results, room-wide counters, phase control, check-in commands, the door, the
 * answer path, hidden comments, settings, the action board, the review and the room's end).
 */
import { ActionBoard } from '../../server/sessions/action-board';
import type { CommentBudget } from '../../server/sessions/ballot-box';
import { HiddenComments } from '../../server/sessions/hidden-comments';
import { ReviewWorkflow } from '../../server/sessions/review-workflow';
import { SessionEnd } from '../../server/sessions/session-end';
import { SettingsControl } from '../../server/sessions/settings-control';
import { Votes } from '../../server/sessions/votes';
import { BallotBox } from '../../server/sessions/ballot-box';
import { CheckinClock } from '../../server/sessions/checkin-clock';
import { Door } from '../../server/sessions/door';
import { PhaseControl } from '../../server/sessions/phase-control';
import type { RoomState } from '../../server/sessions/projections';
import { RevealedRounds } from '../../server/sessions/revealed';
import { SessionResults } from '../../server/sessions/results';
import { RoomBroadcasts } from '../../server/sessions/room-broadcasts';
import { Roster } from '../../server/sessions/roster';
import { KeyedSerial } from '../../server/sessions/serial';
import { SessionCell } from '../../server/sessions/session-cell';
import { SqliteStore } from '../../server/store/sqlite';
import type { SessionRecord } from '../../server/store/types';
import { FaultyStore } from './faulty-store';
import { manualScheduler } from './manual-scheduler';
import { recordingFanout } from './recording-fanout';
import { participantRecord, sessionRecord } from './store-contract';

export const FACTORS = 3;

export async function roomUnits(overrides: Partial<SessionRecord> = {}, options: { members?: string[]; now?: number; commentBudget?: CommentBudget } = {}) {
  const store = new FaultyStore(new SqliteStore({ memory: true }));
  const record = sessionRecord('s1', { anonymous: false, ...overrides });
  await store.createSession(record);
  const cell = new SessionCell(record);
  const roster = new Roster();
  const ballots = new BallotBox(FACTORS, record.round);
  for (const [i, id] of (options.members ?? []).entries()) {
    const participant = participantRecord(id, record.id, i + 1);
    await store.addParticipant(participant);
    roster.add(participant);
    ballots.addMember(id);
  }
  const connected = new Set<string>();
  const state: Pick<RoomState, 'session' | 'members' | 'latest' | 'ballots' | 'isConnected'> = {
    get session() {
      return cell.record as SessionRecord;
    },
    members: roster.members,
    latest: (n) => roster.latest(n),
    ballots,
    isConnected: (id) => connected.has(id)
  };
  const rec = recordingFanout();
  const serial = new KeyedSerial();
  let now = options.now ?? Date.now();
  const clock = () => now;
  const revealed = new RevealedRounds();
  const results = new SessionResults({ session: () => cell.record, factorCount: FACTORS, ballots, members: roster.members, revealed, store, clock });
  const loop = manualScheduler();
  const broadcasts = new RoomBroadcasts({ code: record.code, fanout: rec.fanout, state, ballots, scheduler: loop.scheduler });
  const told: string[] = [];
  const phases = new PhaseControl({
    cell,
    store,
    fanout: rec.fanout,
    serial,
    factorCount: FACTORS,
    ballots,
    revealed,
    results,
    broadcasts,
    state,
    phaseChanged: () => told.push('phaseChanged'),
    clock
  });
  const checkin = new CheckinClock({ cell, serial, clock, phases });
  const board = new ActionBoard(
    {
      id: record.id,
      code: record.code,
      factorCount: FACTORS,
      store,
      fanout: rec.fanout,
      cell,
      members: roster
    },
    { actions: [], dots: [] }
  );
  const dots = board.dots;
  const door = new Door({
    cell,
    framework: { stakeholderGroups: [{ id: 'staff', title: { nl: 'Staf', en: 'Staff' } }] as never },
    store,
    fanout: rec.fanout,
    serial,
    roster,
    ballots,
    dots,
    broadcasts,
    state,
    participantRemoved: (id) => told.push(`removed ${id}`),
    dotsChanged: () => told.push('dotsChanged')
  });
  const votes = new Votes({
    cell,
    store,
    fanout: rec.fanout,
    factorCount: FACTORS,
    ballots,
    members: roster.members,
    broadcasts,
    phases,
    commentBudget: options.commentBudget ?? { perParticipant: 1000, perSession: 10_000 },
    clock
  });
  const comments = new HiddenComments({ cell, store, fanout: rec.fanout, serial, revealed, results });
  const settings = new SettingsControl({ cell, store, fanout: rec.fanout, serial, door, board });
  const review = new ReviewWorkflow({ id: record.id, code: record.code, store, fanout: rec.fanout, board, community: null });
  const end = new SessionEnd({ cell, store, fanout: rec.fanout, serial, phases, broadcasts, board, review, deleted: () => told.push('deleted') });
  /** What the store holds of the session now. */
  const stored = async () => (await store.loadSession(record.id))!;
  return {
    store,
    cell,
    roster,
    ballots,
    state,
    connected,
    serial,
    revealed,
    results,
    broadcasts,
    phases,
    checkin,
    dots,
    door,
    board,
    votes,
    comments,
    settings,
    review,
    end,
    told,
    stored,
    loop,
    moveTo: (t: number) => (now = t),
    ...rec
  };
}
