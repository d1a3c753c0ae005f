/**
 * Who may do what, when: one declarative table, one row per socket.io command,
 * per REST route that acts on a session, and for writing to the board over Yjs.
 * It is checked once where a message is dispatched (LiveSession: socket.io
 * commands through the command registry, REST routes, each Yjs update), and the
 * rooms below re-check only the phase a queued change still meets, through
 * `requirePhase` on the same row, so a refusal reads the same wherever it comes
 * from. The room keeps only domain rules (a valid transition, an existing
 * factor, dots left, a still-open ballot box).
 *
 * The order of the checks is part of the contract (docs/authorization.md):
 * role first, so a participant hears `forbidden` in every phase; then that the
 * participant is still in the session; then the phase. The specification this
 * is tested against is tests/helpers/authorization-table.ts, written apart.
 */
import { PHASES, type Phase } from '../../src/lib/domain/phases';
import { CommandError, type CommandName } from '../../src/lib/protocol';
import type { Identity } from './projections';

/** What the REST API does to a session, next to the socket.io commands. */
export type RestAction = 'session:read' | 'session:join' | 'session:export' | 'checkin:meeting';
/** Writing to the action board's document over the Yjs endpoint (checked on every update). */
export type BoardAction = 'board:edit';
export type Action = CommandName | RestAction | BoardAction;

/** `anyone` is a request without a token (reading a session's summary, joining it). */
export type Role = Identity['role'] | 'anyone';

export interface Rule {
  roles: readonly Role[];
  /** Phases it is allowed in; the others answer `wrong_phase`. */
  phases: readonly Phase[];
  /** Said to a role that may not: "Only the facilitator …". */
  forbidden: string;
  /** Said in a phase it is not allowed in (`wrong_phase`); rows allowed in every phase need none. */
  wrongPhase?: string;
  /** For commands the closed phase ends for good: it answers `session_closed` with this instead of `wrong_phase`. */
  closed?: string;
}

const ANY_PHASE = PHASES;
const EVERYONE = ['facilitator', 'presenter', 'participant'] as const;
const MEMBERS = ['facilitator', 'participant'] as const;
const FACILITATOR = ['facilitator'] as const;
const REVEALED: readonly Phase[] = ['revealed', 'actions', 'closed'];
const OPEN: readonly Phase[] = ['lobby', 'voting', 'revealed', 'actions'];
const ACTIONS: readonly Phase[] = ['actions'];
const BOARD_CLOSED = 'The action board can be changed only during the action phase.';

export const POLICY: Record<Action, Rule> = {
  vote: { roles: ['participant'], phases: ['voting'], forbidden: 'Only participants vote.', wrongPhase: 'Voting is not open.' },
  'phase:set': { roles: FACILITATOR, phases: ANY_PHASE, forbidden: 'Only the facilitator changes the phase.' },
  'participant:remove': { roles: FACILITATOR, phases: ANY_PHASE, forbidden: 'Only the facilitator removes participants.' },
  // Also over REST (POST /api/sessions/:code/participants/removals), with the same rule.
  'participants:remove': { roles: FACILITATOR, phases: ANY_PHASE, forbidden: 'Only the facilitator removes participants.' },
  'settings:update': { roles: FACILITATOR, phases: OPEN, closed: 'This session is closed.', forbidden: 'Only the facilitator changes settings.' },
  'voting:control': { roles: FACILITATOR, phases: ['voting'], forbidden: 'Only the facilitator steers voting.', wrongPhase: 'Voting is not open.' },
  'checkin:extend': {
    roles: FACILITATOR,
    phases: ['voting'],
    forbidden: 'Only the facilitator moves the deadline.',
    wrongPhase: 'The check-in is no longer open.'
  },
  'checkin:close': {
    roles: FACILITATOR,
    phases: ['voting'],
    forbidden: 'Only the facilitator closes the check-in.',
    wrongPhase: 'The check-in is no longer open.'
  },
  'comment:hide': {
    roles: FACILITATOR,
    phases: ['revealed', 'actions'],
    closed: 'This session is closed.',
    forbidden: 'Only the facilitator hides comments.',
    wrongPhase: 'Comments can be hidden only after their round was revealed.'
  },
  'present:focus': {
    roles: FACILITATOR,
    phases: REVEALED,
    forbidden: 'Only the facilitator steers the presenter screen.',
    wrongPhase: 'A factor can be shown only once results are revealed.'
  },
  'dot:cast': {
    roles: MEMBERS,
    phases: ACTIONS,
    forbidden: 'The presenter screen cannot spend dots.',
    wrongPhase: 'Dots can be spent only while drafting actions.'
  },
  'action:create': { roles: MEMBERS, phases: ACTIONS, forbidden: 'The presenter screen cannot change the action board.', wrongPhase: BOARD_CLOSED },
  'action:update': { roles: MEMBERS, phases: ACTIONS, forbidden: 'The presenter screen cannot change the action board.', wrongPhase: BOARD_CLOSED },
  'action:remove': { roles: FACILITATOR, phases: ACTIONS, forbidden: 'Only the facilitator may remove action points.', wrongPhase: BOARD_CLOSED },
  'action:restore': { roles: FACILITATOR, phases: ACTIONS, forbidden: 'Only the facilitator may restore action points.', wrongPhase: BOARD_CLOSED },
  'action:merge': { roles: FACILITATOR, phases: ACTIONS, forbidden: 'Only the facilitator may merge action points.', wrongPhase: BOARD_CLOSED },
  'action:unmerge': { roles: FACILITATOR, phases: ACTIONS, forbidden: 'Only the facilitator may undo a merge.', wrongPhase: BOARD_CLOSED },
  'action:move': { roles: FACILITATOR, phases: ACTIONS, forbidden: 'Only the facilitator may reorder action points.', wrongPhase: BOARD_CLOSED },
  // The review of earlier sessions' action points belongs before voting, but a facilitator who forgot can still do it.
  'review:set': { roles: FACILITATOR, phases: OPEN, closed: 'This session is closed.', forbidden: 'Only the facilitator may record the review.' },
  'session:delete': { roles: FACILITATOR, phases: ANY_PHASE, forbidden: 'Only the facilitator deletes the session.' },
  'clock:sync': { roles: EVERYONE, phases: ANY_PHASE, forbidden: '' },
  'board:ticket': { roles: EVERYONE, phases: ANY_PHASE, forbidden: '' },
  'state:request': { roles: EVERYONE, phases: ANY_PHASE, forbidden: '' },
  'session:read': { roles: ['anyone', ...EVERYONE], phases: ANY_PHASE, forbidden: '' },
  'session:join': {
    roles: ['anyone'],
    phases: OPEN,
    closed: 'This session is closed; it can no longer be joined.',
    forbidden: 'Join with the join link, without a token.'
  },
  // Starting the meeting from a check-in reveals it (if it still waits) and opens a new session from its results.
  'checkin:meeting': { roles: FACILITATOR, phases: ANY_PHASE, forbidden: 'Only the facilitator starts the meeting.' },
  'session:export': { roles: FACILITATOR, phases: ANY_PHASE, forbidden: 'This token does not belong to the facilitator of this session.' },
  // Everyone in the session may watch the board; members write to it during the action phase (a presenter screen only reads).
  'board:edit': { roles: MEMBERS, phases: ACTIONS, forbidden: 'The presenter screen only reads the board.', wrongPhase: BOARD_CLOSED }
};

/**
 * Refuses `action` for `identity` (null: no token) in `phase`, with the typed error the
 * client gets, or returns. `isMember` says whether a participant is still in the session.
 */
export function authorize(action: Action, identity: Identity | null, phase: Phase, isMember: (participantId: string) => boolean): void {
  const refusal = refusalOf(action, identity, phase, isMember);
  if (refusal) throw refusal;
}

/** Whether `authorize` would let `action` through (the Yjs gate asks this on every update). */
export function permits(action: Action, identity: Identity | null, phase: Phase, isMember: (participantId: string) => boolean): boolean {
  return refusalOf(action, identity, phase, isMember) === null;
}

/**
 * Refuses `action` in `phase` with its row's refusal, or returns. The rooms call it again where a change
 * waited in line (the phase may have moved since `authorize`), so one place says it.
 */
export function requirePhase(action: Action, phase: Phase): void {
  const refusal = phaseRefusal(action, phase);
  if (refusal) throw refusal;
}

function refusalOf(action: Action, identity: Identity | null, phase: Phase, isMember: (participantId: string) => boolean): CommandError | null {
  const rule = POLICY[action];
  const role: Role = identity?.role ?? 'anyone';
  if (!rule.roles.includes(role)) return new CommandError('forbidden', rule.forbidden);
  if (identity?.role === 'participant' && !isMember(identity.participantId)) return new CommandError('forbidden', 'You are no longer in this session.');
  return phaseRefusal(action, phase);
}

function phaseRefusal(action: Action, phase: Phase): CommandError | null {
  const rule = POLICY[action];
  if (rule.phases.includes(phase)) return null;
  if (phase === 'closed' && rule.closed) return new CommandError('session_closed', rule.closed);
  const refusal = (rule.wrongPhase ?? 'This cannot be done in this phase.').replace(/\.$/, '');
  return new CommandError('wrong_phase', `${refusal} (the session is in "${phase}").`);
}
