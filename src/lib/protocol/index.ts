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
import type { AttentionItem, FactorStats, GroupBreakdown } from '../domain/statistics';
import type { Ack } from './errors';
import type { CommandName, CommandPayload } from './schemas';
import type { ActionStatus } from './yjs';

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

export type Role = 'facilitator' | 'participant';

/** Session settings the facilitator can change. */
export interface SessionSettings {
  weakBelow: number;
  divergentBelow: number;
  dotsPerPerson: number;
  /** Dot totals are shown to participants only once the facilitator turns this off. */
  hideDotTotals: boolean;
}

/** A participant as the facilitator sees them: never their scores. */
export interface ParticipantView {
  id: string;
  name: string;
  group: string | null;
  connected: boolean;
  /** How many factors they answered in the current round. */
  answered: number;
  joinedAt: number;
}

/** One's own answer to one factor. */
export interface OwnAnswer {
  answer: Answer;
  comment: string | null;
}

/** Results of one revealed round: aggregates only (plus names in a named session). */
export interface RoundResults {
  round: number;
  voters: number;
  factors: FactorStats[];
  attention: AttentionItem[];
  groups: GroupBreakdown[];
  /** Only in a named (non-anonymous) session: each person's answers, by factor. */
  named: { name: string; answers: (Answer | null)[] }[] | null;
}

/** Dot-vote totals on the action board. `totals` is empty for participants while totals are hidden. */
export interface DotState {
  totals: Record<string, number>;
  mine: Record<string, number>;
  remaining: number;
}

/** One's own dots: sent only to the voter's own sockets. */
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

export type Me = { role: 'facilitator' } | { role: 'participant'; id: string; name: string; group: string | null };

/** Everything a client needs to draw the session; sent on every (re)connect. */
export interface SessionSnapshot {
  protocolVersion: number;
  code: string;
  title: string;
  language: Language;
  framework: string;
  anonymous: boolean;
  phase: Phase;
  round: number;
  /** Epoch milliseconds at which voting closes by itself, or null. */
  votingDeadline: number | null;
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
  dots: DotState;
  /** Every action point of the session (structure only), in board order. */
  actions: ActionView[];
}

/** A single-use ticket for the Yjs URL (`/yjs/<CODE>?ticket=…`). */
export interface BoardTicket {
  ticket: string;
  expiresInMs: number;
}

export interface PhaseChange {
  phase: Phase;
  round: number;
  votingDeadline: number | null;
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
  'settings:update': Command<'settings:update', SessionSettings>;
  'dot:cast': Command<'dot:cast', DotState>;
  'action:create': Command<'action:create', ActionView>;
  'action:update': Command<'action:update', ActionView>;
  'action:remove': Command<'action:remove', null>;
  'action:restore': Command<'action:restore', null>;
  'action:merge': Command<'action:merge', null>;
  'action:unmerge': Command<'action:unmerge', null>;
  'action:move': Command<'action:move', null>;
  'board:ticket': Command<'board:ticket', BoardTicket>;
  'state:request': Command<'state:request', SessionSnapshot>;
  'session:delete': Command<'session:delete', null>;
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
  /** A round was revealed (also repeated in snapshots). */
  results: (results: RoundResults[]) => void;
  settings: (settings: SessionSettings) => void;
  /** The receiver's own dots changed (sent only to that voter's sockets). */
  dots: (dots: OwnDots) => void;
  /** Dot totals of the session, at most once per event-loop turn; to participants only while totals are shown. */
  dotTotals: (totals: Record<string, number>) => void;
  /** Action points changed (created, edited, moved, merged, removed, restored): the changed records. */
  actions: (changed: ActionView[]) => void;
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
}
