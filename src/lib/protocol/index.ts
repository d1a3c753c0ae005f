/**
 * The wire protocol between the browser (or any integrator) and the server:
 * event names, payload schemas, error codes, snapshot types and the Yjs key
 * names. Client and server both import this module; `docs/protocol.md`
 * describes it. Every client command is declared once, in `./commands`
 * (name, payload schema, reply type); the event map below is derived from it.
 */
import type { Language } from '../domain/framework';
import type { Phase } from '../domain/phases';
import type { Answer } from '../domain/ballots';
import type { Progress } from '../domain/ballots';
import type { RoundResults } from '../domain/results';
import type { TrendSession } from '../domain/community';
import type { ReviewItem } from '../domain/review';
import type { BesideFactor, Portfolio } from '../domain/portfolio';
import type { SessionSettings, ParticipantView, SessionSnapshot, PhaseChange, ActionView, HiddenComment } from './views';

export * from './errors';
export * from './limits';
export * from './views';
// The command table holds zod schemas: the server imports it from './commands'; here only its types (browsers never load zod).
export type { CommandName, CommandPayload, ParsedCommand, CommandReply, ClientToServerEvents } from './commands';
export type { CreateSessionRequest, JoinSessionRequest, HandshakeAuth } from './schemas';
export * from './yjs';
export type * from './accounts';
export type * from './home';
export type { Phase } from '../domain/phases';
import type { RevealAt, SessionMode } from '../domain/checkins';
export type { RevealAt, SessionMode } from '../domain/checkins';
export type { Answer, Progress } from '../domain/ballots';

/** Bumped on any incompatible change; the server refuses other versions. */
export const PROTOCOL_VERSION = 1;

/** The socket.io path. */
export const SOCKET_PATH = '/socket.io';

export type Role = 'facilitator' | 'participant' | 'presenter';

// Results are computed and frozen by the domain; the protocol sends them as they are.
export type { RoundResults } from '../domain/results';
export { REVIEW_STATUSES, type ReviewItem, type ReviewStatus } from '../domain/review';

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

/** `POST /api/organisations` → 201 (issue 25; until accounts, the organisation key reads its programme view). */
export interface CreateOrganisationResponse {
  id: string;
  organisationToken: string;
  /** Opens the programme view with the key in the fragment (as `communityUrl` does). */
  organisationUrl: string;
}

/**
 * `GET /api/organisations/:id/portfolio.json`: the programme view (the contract's `communities` and `factors`,
 * plus the quartiles, the trend over quarters and how many shared communities are not shown yet).
 */
export interface PortfolioView extends Portfolio {
  organisation: { id: string; name: string; timeZone: string };
  /** The framework whose factors the view lists (communities of another framework are left out). */
  framework: string;
}

/** `GET /api/communities/:id/shares`: the organisations a community shares its figures with, and where it stands in each. */
export interface CommunityShares {
  shares: { organisation: { id: string; name: string }; sharedAt: number; beside: BesideFactor[] }[];
  /** Programmes whose admin removed the community (until it takes a new invitation of theirs), newest first. */
  removed: { organisation: { id: string; name: string }; removedAt: number }[];
}

/** `GET /api/organisations/:id/shares` (its admin): the communities sharing with it, which the admin may remove. */
export interface OrganisationShares {
  communities: { id: string; name: string; sharedAt: number }[];
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
  /** Check-ins still open for scoring, nearest deadline first (issue 25). */
  checkins: CommunityCheckin[];
}

/** An open check-in as its community's page lists it. */
export interface CommunityCheckin {
  code: string;
  title: string;
  /** ISO 8601 (UTC); the page shows it in the session's time zone. */
  deadline: string;
  timeZone: string;
  revealAt: RevealAt;
  /** "9 of 14 done": who answered every factor, of everyone who joined. */
  done: number;
  of: number;
  /** The deadline passed and it waits for the meeting to reveal it. */
  closed: boolean;
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
  /** `live` or `checkin` (issue 25). */
  mode: SessionMode;
  /** A check-in's deadline (ISO 8601, UTC), or null for a live session. */
  deadline: string | null;
  /** A check-in's reveal: `deadline` or `manual`; null for a live session. */
  revealAt: RevealAt | null;
}
