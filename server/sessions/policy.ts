/**
 * Who may do what, when: one declarative table, checked once where a message
 * is dispatched (socket.io commands in LiveSession.dispatch, and the REST
 * routes that act on a session). The room below it keeps only domain rules
 * (a valid transition, an existing factor, dots left, a still-open ballot box).
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
export type RestAction = 'session:read' | 'session:join' | 'session:export';
export type Action = CommandName | RestAction;

/** `anyone` is a request without a token (reading a session's summary, joining it). */
export type Role = Identity['role'] | 'anyone';

interface Rule {
  roles: readonly Role[];
  /** Phases it is allowed in; the others answer `wrong_phase`. */
  phases: readonly Phase[];
  /** What the closed phase answers instead of `wrong_phase`, for commands about to close the session for good. */
  closed?: 'session_closed';
  /** Said to a role that may not: "Only the facilitator …". */
  forbidden: string;
}

const ANY_PHASE = PHASES;
const EVERYONE = ['facilitator', 'presenter', 'participant'] as const;
const MEMBERS = ['facilitator', 'participant'] as const;
const FACILITATOR = ['facilitator'] as const;
const REVEALED: readonly Phase[] = ['revealed', 'actions', 'closed'];

export const POLICY: Record<Action, Rule> = {
  vote: { roles: ['participant'], phases: ['voting'], forbidden: 'Only participants vote.' },
  'phase:set': { roles: FACILITATOR, phases: ANY_PHASE, forbidden: 'Only the facilitator changes the phase.' },
  'participant:remove': { roles: FACILITATOR, phases: ANY_PHASE, forbidden: 'Only the facilitator removes participants.' },
  // Also over REST (POST /api/sessions/:code/participants/removals), with the same rule.
  'participants:remove': { roles: FACILITATOR, phases: ANY_PHASE, forbidden: 'Only the facilitator removes participants.' },
  'settings:update': {
    roles: FACILITATOR,
    phases: ['lobby', 'voting', 'revealed', 'actions'],
    closed: 'session_closed',
    forbidden: 'Only the facilitator changes settings.'
  },
  'voting:control': { roles: FACILITATOR, phases: ['voting'], forbidden: 'Only the facilitator steers voting.' },
  'comment:hide': { roles: FACILITATOR, phases: ['revealed', 'actions'], closed: 'session_closed', forbidden: 'Only the facilitator hides comments.' },
  'present:focus': { roles: FACILITATOR, phases: REVEALED, forbidden: 'Only the facilitator steers the presenter screen.' },
  'dot:cast': { roles: MEMBERS, phases: ['actions'], forbidden: 'The presenter screen cannot spend dots.' },
  'action:create': { roles: MEMBERS, phases: ['actions'], forbidden: 'The presenter screen cannot change the action board.' },
  'action:update': { roles: MEMBERS, phases: ['actions'], forbidden: 'The presenter screen cannot change the action board.' },
  'action:remove': { roles: FACILITATOR, phases: ['actions'], forbidden: 'Only the facilitator may remove action points.' },
  'action:restore': { roles: FACILITATOR, phases: ['actions'], forbidden: 'Only the facilitator may restore action points.' },
  'action:merge': { roles: FACILITATOR, phases: ['actions'], forbidden: 'Only the facilitator may merge action points.' },
  'action:unmerge': { roles: FACILITATOR, phases: ['actions'], forbidden: 'Only the facilitator may undo a merge.' },
  'action:move': { roles: FACILITATOR, phases: ['actions'], forbidden: 'Only the facilitator may reorder action points.' },
  // The review of earlier sessions' action points belongs before voting, but a facilitator who forgot can still do it.
  'review:set': {
    roles: FACILITATOR,
    phases: ['lobby', 'voting', 'revealed', 'actions'],
    closed: 'session_closed',
    forbidden: 'Only the facilitator may record the review.'
  },
  'session:delete': { roles: FACILITATOR, phases: ANY_PHASE, forbidden: 'Only the facilitator deletes the session.' },
  'clock:sync': { roles: EVERYONE, phases: ANY_PHASE, forbidden: '' },
  'board:ticket': { roles: EVERYONE, phases: ANY_PHASE, forbidden: '' },
  'state:request': { roles: EVERYONE, phases: ANY_PHASE, forbidden: '' },
  'session:read': { roles: ['anyone', ...EVERYONE], phases: ANY_PHASE, forbidden: '' },
  'session:join': {
    roles: ['anyone'],
    phases: ['lobby', 'voting', 'revealed', 'actions'],
    closed: 'session_closed',
    forbidden: 'Join with the join link, without a token.'
  },
  'session:export': { roles: FACILITATOR, phases: ANY_PHASE, forbidden: 'This token does not belong to the facilitator of this session.' }
};

const PHASE_REFUSAL: Partial<Record<Action, string>> = {
  vote: 'Voting is not open',
  'voting:control': 'Voting is not open.',
  'comment:hide': 'Comments can be hidden only after their round was revealed.',
  'present:focus': 'A factor can be shown only once results are revealed.',
  'dot:cast': 'Dots can be spent only while drafting actions.',
  'session:join': 'This session is closed; it can no longer be joined.'
};

/**
 * Refuses `action` for `identity` (null: no token) in `phase`, with the typed error the
 * client gets, or returns. `isMember` says whether a participant is still in the session.
 */
export function authorize(action: Action, identity: Identity | null, phase: Phase, isMember: (participantId: string) => boolean): void {
  const rule = POLICY[action];
  const role: Role = identity?.role ?? 'anyone';
  if (!rule.roles.includes(role)) throw new CommandError('forbidden', rule.forbidden);
  if (identity?.role === 'participant' && !isMember(identity.participantId)) throw new CommandError('forbidden', 'You are no longer in this session.');
  if (rule.phases.includes(phase)) return;
  if (phase === 'closed' && rule.closed) throw new CommandError(rule.closed, PHASE_REFUSAL[action] ?? 'This session is closed.');
  const refusal = PHASE_REFUSAL[action] ?? 'The action board can be changed only during the action phase.';
  throw new CommandError('wrong_phase', action === 'vote' ? `${refusal} (the session is in "${phase}").` : refusal);
}
