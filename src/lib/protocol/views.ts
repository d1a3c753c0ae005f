/**
 * What the server answers and sends about a session: settings, participants, the
 * voting clock, action points and the snapshot. The command table (commands.ts)
 * names these as replies; `index.ts` re-exports them for client and server.
 */
import type { Language } from '../domain/framework';
import type { Phase } from '../domain/phases';
import type { Answer, Progress } from '../domain/ballots';
import type { RoundResults } from '../domain/results';
import type { TrendSession } from '../domain/community';
import type { ReviewItem } from '../domain/review';
import type { ActionStatus } from './yjs';

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
  /** The day the session was created where the group met (YYYY-MM-DD in its time zone): the date its take-home files carry. */
  date: string;
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
  /** A check-in (issue 25): its deadline (epoch ms, server clock; kept after it passed) and when it reveals; null for a live session. */
  /** A check-in's deadline (epoch ms), shown on the clocks where the group meets (`timeZone`, named with it). */
  checkin: { deadline: number; revealAt: 'deadline' | 'manual'; timeZone: string } | null;
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
