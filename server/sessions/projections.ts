/**
 * What each identity may see (docs/privacy.md), as pure functions of the
 * room's state: no store, no sockets, no clock of their own. Every message a
 * room sends about people, ballots, dots or results is built here, so the
 * rules of who sees what live in one file.
 */
import { resultsVisible } from '../../src/lib/domain/phases';
import {
  LIMITS,
  PROTOCOL_VERSION,
  type ActionView,
  type DotState,
  type HiddenComment,
  type Me,
  type ParticipantView,
  type RoundResults,
  type SessionSnapshot,
  type SessionSummary
} from '../../src/lib/protocol';
import type { ParticipantRecord, SessionRecord } from '../store/types';
import type { SessionReview } from '../communities/review-book';
import type { TrendSession } from '../../src/lib/domain/community';
import type { BallotBox } from './ballot-box';
import { FACILITATOR_VOTER, type DotLedger } from './dots';
import { clockOf } from './voting-clock';
import { localDay } from '../../src/lib/domain/dates';

/**
 * Who a connection is, decided once when it authenticates. A presenter (the
 * room's projector, opened with the presenter link) sees what participants see
 * and can change nothing.
 */
export type Identity =
  /**
   * `accountId`: a signed-in account whose membership (owner or co-facilitator of the session or of its community)
   * made it the facilitator, without the facilitator token; absent for the holder of the token. `admittedAt`: when
   * that membership was read (epoch ms); a removal at or after it voids the identity (LiveSession.isCurrent).
   */
  { role: 'facilitator'; accountId?: string; admittedAt?: number } | { role: 'presenter' } | { role: 'participant'; participantId: string };

/**
 * One key per person: all presenter screens of a session count as one, as do all tabs of the token's holder; each
 * co-facilitator's account is a person of its own, so removing one closes their connections and nobody else's.
 */
export function personKey(identity: Identity): string {
  if (identity.role === 'participant') return `participant:${identity.participantId}`;
  if (identity.role === 'facilitator' && identity.accountId !== undefined) return `account:${identity.accountId}`;
  return identity.role;
}

export interface Member {
  record: ParticipantRecord;
}

/** What a session of a learning community knows of it: its name and the review of earlier sessions' open action points. */
export interface CommunityContext {
  community: { id: string; name: string };
  /** This session's review of earlier sessions' open points, read through the community's one book (communities/review-book.ts). */
  review: SessionReview;
  /** The community's latest earlier session with results, for "since last time" on the results. */
  lastTime: TrendSession | null;
}

/** The state the projections read. */
export interface RoomState {
  session: SessionRecord;
  members: ReadonlyMap<string, Member>;
  /** Whether a participant has a connection open (either transport; counted by the live session's presence). */
  isConnected(participantId: string): boolean;
  /** The latest `n` members in join order, oldest first (without sorting the roster). */
  latest(n: number): readonly Member[];
  ballots: BallotBox;
  dots: DotLedger;
  hiddenComments: Iterable<HiddenComment>;
  presentedFactor: number | null;
  /** Results of every revealed round as the room may see them (hidden comments left out). */
  results(): RoundResults[];
  actions(): ActionView[];
  /** Null outside a learning community. */
  community: CommunityContext | null;
}

/** One participant as the facilitator sees them; per-person counts in an anonymous session would show who answered which factor when. */
export function participantView(state: Pick<RoomState, 'session' | 'ballots' | 'isConnected'>, member: Member): ParticipantView {
  const { id, name, group, joinedAt } = member.record;
  return { id, name, group, joinedAt, connected: state.isConnected(id), answered: state.session.anonymous ? null : state.ballots.answeredCount(id) };
}

export function participantViews(state: Pick<RoomState, 'session' | 'ballots' | 'members' | 'isConnected'>): ParticipantView[] {
  return [...state.members.values()].map((m) => participantView(state, m));
}

/** The dot totals an audience is shown: participants and presenter screens see none while the facilitator hides them. */
export function dotTotalsFor(audience: 'facilitators' | 'room', state: Pick<RoomState, 'session' | 'dots'>): Record<string, number> {
  return audience === 'room' && state.session.settings.hideDotTotals ? {} : state.dots.totals();
}

/**
 * What a dot's sender needs in the ack: their own dots and the total of the one point they changed (none while
 * totals are hidden from them). The whole totals map goes to everyone in `dotTotals`, at a bounded rate; sending
 * it in every ack too made a dot cost O(points) bytes for nothing.
 */
export function dotAckOf(voterId: string, actionId: string, state: Pick<RoomState, 'session' | 'dots'>): DotState {
  const own = state.dots.own(voterId, state.session.settings.dotsPerPerson);
  const hidden = voterId !== FACILITATOR_VOTER && state.session.settings.hideDotTotals;
  const total = state.dots.totalFor(actionId);
  return { totals: hidden || total === 0 ? {} : { [actionId]: total }, ...own };
}

/** A voter's dots and the totals they may see. */
export function dotStateOf(voterId: string, state: Pick<RoomState, 'session' | 'dots'>): DotState {
  const own = state.dots.own(voterId, state.session.settings.dotsPerPerson);
  return { totals: dotTotalsFor(voterId === FACILITATOR_VOTER ? 'facilitators' : 'room', state), ...own };
}

/** The dots a connection is shown: a presenter screen spends none and, like the room it projects to, sees no totals while they are hidden. */
export function dotsFor(identity: Identity, state: Pick<RoomState, 'session' | 'dots'>): DotState {
  switch (identity.role) {
    case 'participant':
      return dotStateOf(identity.participantId, state);
    case 'facilitator':
      return dotStateOf(FACILITATOR_VOTER, state);
    case 'presenter':
      return { totals: dotTotalsFor('room', state), mine: {}, remaining: 0 };
  }
}

/** Who joined, for presenter screens of a named session: the latest names, in join order (null in anonymous sessions). */
export function arrivals(state: Pick<RoomState, 'session' | 'latest'>): string[] | null {
  if (state.session.anonymous) return null;
  return state.latest(LIMITS.arrivalsShown).map((p) => p.record.name);
}

/** What anybody may know of a session before joining it. */
export function summaryOf(state: Pick<RoomState, 'session' | 'members'>): SessionSummary {
  const { code, title, phase, language, framework, anonymous } = state.session;
  return {
    code,
    title,
    phase,
    language,
    framework,
    anonymous,
    participants: state.members.size,
    minVoters: anonymous ? state.session.settings.minVoters : null,
    joinsLocked: state.session.settings.joinsLocked,
    timeZone: state.session.timeZone,
    mode: state.session.mode,
    deadline: state.session.deadline === null ? null : new Date(state.session.deadline).toISOString(),
    revealAt: state.session.revealAt
  };
}

/** Each session record's day, read where it was created: every join's snapshot names it, and it costs a formatter's call (~4 µs). */
const days = new WeakMap<Pick<SessionRecord, 'createdAt' | 'timeZone'>, { createdAt: number; timeZone: string; day: string }>();
function sessionDay(s: Pick<SessionRecord, 'createdAt' | 'timeZone'>): string {
  const kept = days.get(s);
  // Checked, not trusted: a record's zone could be changed in place.
  if (kept && kept.createdAt === s.createdAt && kept.timeZone === s.timeZone) return kept.day;
  const day = localDay(s.createdAt, s.timeZone);
  days.set(s, { createdAt: s.createdAt, timeZone: s.timeZone, day });
  return day;
}

/** What `identity` may see of the session right now. */
export function snapshotFor(identity: Identity, state: RoomState, now: number): SessionSnapshot {
  const s = state.session;
  let me: Me;
  switch (identity.role) {
    case 'participant': {
      const record = state.members.get(identity.participantId)!.record;
      me = { role: 'participant', id: record.id, name: record.name, group: record.group };
      break;
    }
    case 'facilitator':
    case 'presenter':
      me = { role: identity.role };
  }
  const own = identity.role === 'participant' ? state.ballots.answersOf(s.round, identity.participantId) : undefined;
  return {
    protocolVersion: PROTOCOL_VERSION,
    code: s.code,
    title: s.title,
    date: sessionDay(s),
    language: s.language,
    framework: s.framework,
    anonymous: s.anonymous,
    phase: s.phase,
    round: s.round,
    ...clockOf(s, now),
    settings: s.settings,
    me,
    participantCount: state.members.size,
    participants: identity.role === 'facilitator' ? participantViews(state) : null,
    progress: state.ballots.progress(),
    myBallot: identity.role === 'participant' ? Object.fromEntries(own ?? []) : null,
    results: resultsVisible(s.phase) ? state.results() : [],
    hiddenComments: identity.role === 'facilitator' ? [...state.hiddenComments] : null,
    arrivals: identity.role === 'presenter' ? arrivals(state) : null,
    presentedFactor: state.presentedFactor,
    dots: dotsFor(identity, state),
    actions: state.actions(),
    // The community's id (for the link to its page, which still asks for the community key) only for the facilitator.
    community: state.community ? { name: state.community.community.name, id: identity.role === 'facilitator' ? state.community.community.id : null } : null,
    review: state.community ? state.community.review.items() : null,
    lastTime: state.community?.lastTime ?? null,
    checkin: s.mode === 'checkin' && s.deadline !== null ? { deadline: s.deadline, revealAt: s.revealAt ?? 'deadline', timeZone: s.timeZone } : null
  };
}
