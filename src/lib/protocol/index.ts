/**
 * The wire protocol between the browser (or any integrator) and the server:
 * event names, payload schemas, error codes, snapshot types and the Yjs key
 * names. Client and server both import this module; `docs/protocol.md`
 * describes it.
 */
import type { Language } from '../domain/framework';
import type { Phase } from '../domain/phases';
import type { Answer } from '../domain/ballots';
import type { Progress } from '../domain/ballots';
import type { RoundResults } from '../domain/results';
import type { TrendSession } from '../domain/community';
import type { Ack } from './errors';
import type { CommandName, CommandPayload } from './schemas';
import type { ActionStatus } from './yjs';
import type { ReviewItem } from '../domain/review';

export * from './errors';
export * from './limits';
export * from './commands';
// Schemas are values built with zod: the server imports them from './schemas'; here only their types.
export type { CommandName, CommandPayload, ParsedCommand, CreateSessionRequest, JoinSessionRequest, HandshakeAuth } from './schemas';
export * from './yjs';
export type { Phase } from '../domain/phases';
export type { Answer, Progress } from '../domain/ballots';

/** Bumped on any incompatible change; the server refuses other versions. */
export const PROTOCOL_VERSION = 1;

/** The socket.io path. */
export const SOCKET_PATH = '/socket.io';

export type Role = 'facilitator' | 'participant' | 'presenter';

/** Session settings the facilitator can change. */
export interface SessionSettings {
  weakBelow: number;
  divergentBelow: number;
  /** Share of "don't know" (0..1) from which a factor is labelled unclear. */
  unclearFrom?: number;
  dotsPerPerson: number;
  /**
   * k (anonymous sessions): no figure from fewer voters than this reaches
   * participants or screens; default 3, at least 2 (docs/privacy.md).
   */
  minVoters: number;
  /** Dot totals are shown to participants only once the facilitator turns this off. */
  hideDotTotals: boolean;
  /** The door is locked: new joins are refused with `joins_locked`; rejoining with a participant token still works. */
  joinsLocked: boolean;
}

/** A participant as the facilitator sees them: never their scores. */
export interface ParticipantView {
  id: string;
  name: string;
  group: string | null;
  connected: boolean;
  /**
   * How many factors they answered in the current round; null in anonymous
   * sessions, where per-person progress would tell which answer arrived when
   * (docs/privacy.md). The counts in `progress` stay.
   */
  answered: number | null;
  joinedAt: number;
}

/** One's own answer to one factor. */
export interface OwnAnswer {
  answer: Answer;
  comment: string | null;
}

// Results are computed and frozen by the domain; the protocol sends them as they are.
export type { RoundResults } from '../domain/results';
export { REVIEW_STATUSES, type ReviewItem, type ReviewStatus } from '../domain/review';

/** A comment the facilitator hid from the room (only the facilitator is told which). */
export interface HiddenComment {
  round: number;
  factor: number;
  text: string;
}

/** Dot-vote totals on the action board. `totals` is empty for participants while totals are hidden. */
export interface DotState {
  totals: Record<string, number>;
  mine: Record<string, number>;
  remaining: number;
}

export type Me = { role: 'facilitator' } | { role: 'presenter' } | { role: 'participant'; id: string; name: string; group: string | null };

/**
 * The voting clock, always in the server's time: a client shows
 * `votingDeadline - serverNow` corrected by its measured offset to the server
 * (see `clock:sync`), never its own wall clock against the deadline.
 */
export interface VotingClock {
  /** Epoch milliseconds (server clock) at which the ballot box closes by itself, or null (no countdown, or paused). */
  votingDeadline: number | null;
  /** A paused countdown's remaining milliseconds, or null. */
  votingPausedMs: number | null;
  /** The facilitator (or the countdown) closed the ballot box without revealing; votes are refused until reopened. */
  votingClosed: boolean;
  /** The server's clock when this was sent (epoch ms). */
  serverNow: number;
}

/** Every public link of a session, built by the server from PUBLIC_URL or the (trusted-proxy) request. */
export interface SessionLinks {
  joinUrl: string;
  /** Only for the facilitator: opens the facilitator view on another device. */
  facilitateUrl?: string;
  /** Only for the facilitator and presenter screens: the read-only presenter screen. */
  presenterUrl?: string;
}

/** One's own answer in a round, echoed to every connection of the participant. */
export interface BallotEcho {
  round: number;
  factor: number;
  answer: Answer;
  comment: string | null;
}
/** One's own dots: sent only to the voter's own sockets (not the one that cast the dot: its ack holds them). */
export interface OwnDots {
  mine: Record<string, number>;
  remaining: number;
}

/**
 * An action point's structure as everyone sees it (its text is the Y.Text under
 * its id in the board document). Removed and merged points are sent too, so
 * merges list their parts and removals can be undone.
 */
export interface ActionView {
  id: string;
  factor: number | null;
  position: number;
  owner: string;
  due: string | null;
  status: ActionStatus;
  createdAt: number;
  mergedInto: string | null;
  removed: boolean;
  origin: string | null;
}

/** Everything a client needs to draw the session; sent on every (re)connect. */
export interface SessionSnapshot extends VotingClock {
  protocolVersion: number;
  code: string;
  title: string;
  language: Language;
  framework: string;
  anonymous: boolean;
  phase: Phase;
  round: number;
  settings: SessionSettings;
  me: Me;
  participantCount: number;
  /** Only for the facilitator. */
  participants: ParticipantView[] | null;
  progress: Progress;
  /** Only for a participant: their own answers in the current round, by factor number. */
  myBallot: Record<number, OwnAnswer> | null;
  /** Revealed rounds, oldest first; empty before the first reveal. */
  results: RoundResults[];
  /** Only for the facilitator: comments hidden from the room (so they can be shown again). */
  hiddenComments: HiddenComment[] | null;
  /**
   * Presenter screens of a named session only: the names of who joined, in join order (the latest
   * LIMITS.arrivalsShown). Null for everyone else, and in anonymous sessions, whose promise names only
   * the facilitator as seeing who joined.
   */
  arrivals: string[] | null;
  /** The factor the facilitator has open, which the presenter screen shows large; null for the overview. */
  presentedFactor: number | null;
  dots: DotState;
  /** Every action point of the session (structure only), in board order. */
  actions: ActionView[];
  /**
   * The learning community the session belongs to, or null. `id` (for the link to the
   * community page, which still asks for the community key) only for the facilitator.
   */
  community: { name: string; id: string | null } | null;
  /**
   * In a community's session: the open action points of its earlier sessions and what this
   * session's review said about each, oldest session first. Null outside a community.
   */
  review: ReviewItem[] | null;
  /**
   * In a community's session: the community's latest earlier session with results (what it
   * revealed, or its paper or imported counts), so the results can show what moved since. Null otherwise.
   */
  lastTime: TrendSession | null;
}

/** A single-use ticket for the Yjs URL (`/yjs/<CODE>?ticket=…`). */
export interface BoardTicket {
  ticket: string;
  expiresInMs: number;
}

/** A phase or voting-clock change; `round` is the round ballots now go to. */
export interface PhaseChange extends VotingClock {
  phase: Phase;
  round: number;
}

/** What `participants:remove` (and `POST /api/sessions/:code/participants/removals`) answers. */
export interface RemovedParticipants {
  /** The ids removed by this request. */
  removed: string[];
  /** Ids that were not (or no longer) in the session: nothing to do for them. */
  notFound: string[];
  /** Participants left in the session. */
  participants: number;
}

export interface VoteResult {
  factor: number;
  answered: number;
}

type Command<C extends CommandName, R> = (payload: CommandPayload<C>, ack: (response: Ack<R>) => void) => void;

/** Events a client sends; each is acknowledged with an `Ack`. */
export interface ClientToServerEvents {
  vote: Command<'vote', VoteResult>;
  'phase:set': Command<'phase:set', PhaseChange>;
  'participant:remove': Command<'participant:remove', null>;
  'participants:remove': Command<'participants:remove', RemovedParticipants>;
  'settings:update': Command<'settings:update', SessionSettings>;
  /** The sender's own dots; `totals` holds only the point it changed (the whole map comes in `dotTotals`). */
  'dot:cast': Command<'dot:cast', DotState>;
  'action:create': Command<'action:create', ActionView>;
  'action:update': Command<'action:update', ActionView>;
  'action:remove': Command<'action:remove', null>;
  'action:restore': Command<'action:restore', null>;
  'action:merge': Command<'action:merge', null>;
  'action:unmerge': Command<'action:unmerge', null>;
  'action:move': Command<'action:move', null>;
  'voting:control': Command<'voting:control', PhaseChange>;
  'clock:sync': Command<'clock:sync', { serverNow: number }>;
  'board:ticket': Command<'board:ticket', BoardTicket>;
  'state:request': Command<'state:request', SessionSnapshot>;
  'session:delete': Command<'session:delete', null>;
  'comment:hide': Command<'comment:hide', HiddenComment[]>;
  'present:focus': Command<'present:focus', null>;
  'review:set': Command<'review:set', ReviewItem>;
}

/** Events the server sends. */
export interface ServerToClientEvents {
  /** A full snapshot, on connect and when asked. */
  state: (snapshot: SessionSnapshot) => void;
  phase: (change: PhaseChange) => void;
  /** Counts only; coalesced under load. */
  progress: (progress: Progress) => void;
  /** Facilitator only: one participant joined, changed, connected or disconnected. */
  participant: (participant: ParticipantView) => void;
  /** Facilitator only: several participants changed in one event-loop turn (e.g. answered counts during voting). */
  participants: (participants: ParticipantView[]) => void;
  /** Facilitator only: a participant was removed. */
  'participant:removed': (payload: { id: string }) => void;
  participantCount: (count: number) => void;
  /** Only to the participant, on their other connections (not the one that voted; it has the ack): an answer of theirs was stored. */
  ballot: (echo: BallotEcho) => void;
  /** On connect: the links this connection may show and share. */
  links: (links: SessionLinks) => void;
  /** A round was revealed (also repeated in snapshots). */
  results: (results: RoundResults[]) => void;
  settings: (settings: SessionSettings) => void;
  /** The receiver's own dots changed (sent only to that voter's sockets). */
  dots: (dots: OwnDots) => void;
  /** Dot totals of the session, at a bounded rate (the first change promptly, then at most every 250 ms, the last never lost); to participants only while totals are shown. */
  dotTotals: (totals: Record<string, number>) => void;
  /** Action points changed (created, edited, moved, merged, removed, restored): the changed records. */
  actions: (changed: ActionView[]) => void;
  /** Presenter screens of a named session: who joined (all names, in join order, the latest LIMITS.arrivalsShown). */
  arrivals: (names: string[]) => void;
  /** The facilitator opened a factor (or closed it: null); presenter screens follow. */
  presented: (presented: { factor: number | null }) => void;
  /** Facilitator only: the comments hidden from the room changed. */
  'comments:hidden': (hidden: HiddenComment[]) => void;
  /** Review items whose status changed (to everyone in the session). */
  review: (items: ReviewItem[]) => void;
  /** The receiver was removed from the session by the facilitator. */
  removed: () => void;
  /** The session was deleted; the client should forget it. */
  'session:deleted': () => void;
}

/** `POST /api/sessions` response. */
export interface CreateSessionResponse {
  code: string;
  facilitatorToken: string;
  joinUrl: string;
  facilitateUrl: string;
  /** Opens the read-only presenter screen on any device. */
  presenterUrl: string;
}

/** `POST /api/communities` → 201. */
export interface CreateCommunityResponse {
  id: string;
  communityToken: string;
  /** Opens the community page with the token in the fragment (as `facilitateUrl` does). */
  communityUrl: string;
}

/** `GET /api/communities/:id/trends.json`: only what each session revealed, oldest first. */
export interface CommunityTrends {
  community: { id: string; name: string };
  sessions: TrendSession[];
  /** The thresholds the page marks (each session labels weak/divergent by its own settings). */
  thresholds: { weakBelow: number; divergentBelow: number };
}

/** One session of a community as its page lists it (also those not revealed yet). */
export interface CommunitySessionSummary {
  code: string;
  title: string;
  source: 'live' | 'paper' | 'import';
  /** YYYY-MM-DD: the local day created, in the session's time zone (live), or the day held (paper, import). */
  date: string;
  /** Live sessions: the local time of creation (HH:MM), to tell two meetings of one day apart; null for paper and imports. */
  time: string | null;
  /** Live sessions: their phase; paper ones are always `closed`. */
  phase: Phase;
  /** Whether the session has revealed results (and so counts in the trend). */
  revealed: boolean;
}

/** `GET /api/communities/:id` (community token). */
export interface CommunitySummary {
  id: string;
  name: string;
  language: Language;
  framework: string;
  factorCount: number;
  /** The IANA time zone where the community meets. */
  timeZone: string;
  /** Today (YYYY-MM-DD) in the community's time zone, by the server's clock: the paper form's default and latest day. */
  today: string;
  sessions: CommunitySessionSummary[];
}

/** `POST /api/communities/:id/paper-sessions` → 201. */
export interface CreatePaperSessionResponse {
  code: string;
}

/** `POST /api/sessions/:code/participants` response. */
export interface JoinSessionResponse {
  participantId: string;
  participantToken: string;
  name: string;
}

/** `GET /api/sessions/:code` response. */
export interface SessionSummary {
  code: string;
  title: string;
  phase: Phase;
  language: Language;
  participants: number;
  framework: string;
  anonymous: boolean;
  /** k of an anonymous session (so the join page can state it), null in a named one. */
  minVoters: number | null;
  /** The facilitator locked joining: the join page says so instead of offering a form that will be refused. */
  joinsLocked: boolean;
  /** The IANA time zone where the group meets: its dates are the local days there. */
  timeZone: string;
}
