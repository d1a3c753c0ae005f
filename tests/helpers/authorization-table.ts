/**
 * The authorization matrix: every command (and editing the board over Yjs) ×
 * every role × every phase → what the server answers. The integration test
 * drives each cell through real sockets; `docs/authorization.md` holds the same
 * table (rendered by `renderAuthorizationTable`, checked by the test).
 */
import { PHASES, type Phase } from '../../src/lib/domain/phases';
import type { CommandName, ErrorCode } from '../../src/lib/protocol';
import { COMMAND_NAMES } from '../../src/lib/protocol/commands';

export const ROLES = ['none', 'participant', 'otherParticipant', 'facilitator', 'otherFacilitator', 'presenter'] as const;
export type MatrixRole = (typeof ROLES)[number];

export const ROLE_LABELS: Record<MatrixRole, string> = {
  none: 'no token',
  participant: 'participant',
  otherParticipant: 'participant of another session',
  facilitator: 'facilitator',
  otherFacilitator: 'facilitator of another session',
  presenter: 'presenter screen (presenter link)'
};

/** Editing the action board over the Yjs endpoint, next to the socket.io commands. */
export const BOARD_EDIT = 'board edit (Yjs)';
export type MatrixCommand = CommandName | typeof BOARD_EDIT;
export const MATRIX_COMMANDS: readonly MatrixCommand[] = [...COMMAND_NAMES, BOARD_EDIT];

/**
 * `ok`; an error code in the command's ack; `connect:<code>` when the connection
 * itself is refused (socket.io connect_error, or the Yjs upgrade's JSON body);
 * `read_only` when the Yjs endpoint answers a write with "permission denied".
 */
export type Outcome = 'ok' | ErrorCode | `connect:${ErrorCode}` | 'read_only';

/** The phase `phase:set` asks for in each phase: the next one (from `closed`, `voting`). */
export const NEXT_PHASE: Record<Phase, Phase> = { lobby: 'voting', voting: 'revealed', revealed: 'actions', actions: 'closed', closed: 'voting' };

const all = (outcome: Outcome): Outcome[] => PHASES.map(() => outcome);
const onlyIn = (phase: Phase, inside: Outcome, outside: Outcome): Outcome[] => PHASES.map((p) => (p === phase ? inside : outside));
const refused = all('connect:unauthorized');
const strangers = { none: refused, otherParticipant: refused, otherFacilitator: refused };

/** Columns follow PHASES: lobby, voting, revealed, actions, closed. */
export const MATRIX: Record<MatrixCommand, Record<MatrixRole, Outcome[]>> = {
  vote: { ...strangers, participant: onlyIn('voting', 'ok', 'wrong_phase'), facilitator: all('forbidden'), presenter: all('forbidden') },
  'phase:set': { ...strangers, participant: all('forbidden'), facilitator: ['ok', 'ok', 'ok', 'ok', 'invalid_transition'], presenter: all('forbidden') },
  'participant:remove': { ...strangers, participant: all('forbidden'), facilitator: all('ok'), presenter: all('forbidden') },
  'participants:remove': { ...strangers, participant: all('forbidden'), facilitator: all('ok'), presenter: all('forbidden') },
  'settings:update': { ...strangers, participant: all('forbidden'), facilitator: ['ok', 'ok', 'ok', 'ok', 'session_closed'], presenter: all('forbidden') },
  'dot:cast': {
    ...strangers,
    participant: onlyIn('actions', 'ok', 'wrong_phase'),
    facilitator: onlyIn('actions', 'ok', 'wrong_phase'),
    presenter: all('forbidden')
  },
  'action:create': {
    ...strangers,
    participant: onlyIn('actions', 'ok', 'wrong_phase'),
    facilitator: onlyIn('actions', 'ok', 'wrong_phase'),
    presenter: all('forbidden')
  },
  'action:update': {
    ...strangers,
    participant: onlyIn('actions', 'ok', 'wrong_phase'),
    facilitator: onlyIn('actions', 'ok', 'wrong_phase'),
    presenter: all('forbidden')
  },
  'action:remove': { ...strangers, participant: all('forbidden'), facilitator: onlyIn('actions', 'ok', 'wrong_phase'), presenter: all('forbidden') },
  'action:restore': { ...strangers, participant: all('forbidden'), facilitator: onlyIn('actions', 'ok', 'wrong_phase'), presenter: all('forbidden') },
  'action:merge': { ...strangers, participant: all('forbidden'), facilitator: onlyIn('actions', 'ok', 'wrong_phase'), presenter: all('forbidden') },
  'action:unmerge': { ...strangers, participant: all('forbidden'), facilitator: onlyIn('actions', 'ok', 'wrong_phase'), presenter: all('forbidden') },
  'action:move': { ...strangers, participant: all('forbidden'), facilitator: onlyIn('actions', 'ok', 'wrong_phase'), presenter: all('forbidden') },
  'comment:hide': {
    ...strangers,
    participant: all('forbidden'),
    facilitator: ['wrong_phase', 'wrong_phase', 'ok', 'ok', 'session_closed'],
    presenter: all('forbidden')
  },
  'present:focus': {
    ...strangers,
    participant: all('forbidden'),
    facilitator: ['wrong_phase', 'wrong_phase', 'ok', 'ok', 'ok'],
    presenter: all('forbidden')
  },
  // The matrix sessions belong to a community whose earlier session left an open action point.
  'review:set': {
    ...strangers,
    participant: all('forbidden'),
    facilitator: ['ok', 'ok', 'ok', 'ok', 'session_closed'],
    presenter: all('forbidden')
  },
  'voting:control': { ...strangers, participant: all('forbidden'), facilitator: onlyIn('voting', 'ok', 'wrong_phase'), presenter: all('forbidden') },
  // The matrix sessions are live meetings: the facilitator passes the policy's row while voting, and the room refuses a
  // check-in command on a session that is not a check-in (`bad_request`); tests/integration/checkins.test.ts has the `ok`.
  'checkin:extend': { ...strangers, participant: all('forbidden'), facilitator: onlyIn('voting', 'bad_request', 'wrong_phase'), presenter: all('forbidden') },
  'checkin:close': { ...strangers, participant: all('forbidden'), facilitator: onlyIn('voting', 'bad_request', 'wrong_phase'), presenter: all('forbidden') },
  'clock:sync': { ...strangers, participant: all('ok'), facilitator: all('ok'), presenter: all('ok') },
  'board:ticket': { ...strangers, participant: all('ok'), facilitator: all('ok'), presenter: all('ok') },
  'state:request': { ...strangers, participant: all('ok'), facilitator: all('ok'), presenter: all('ok') },
  'session:delete': { ...strangers, participant: all('forbidden'), facilitator: all('ok'), presenter: all('forbidden') },
  [BOARD_EDIT]: {
    ...strangers,
    participant: onlyIn('actions', 'ok', 'read_only'),
    facilitator: onlyIn('actions', 'ok', 'read_only'),
    presenter: all('read_only')
  }
};

/** The rows of the table as text cells: command, role, then one outcome per phase. */
export function tableRows(): string[][] {
  const cell = (outcome: Outcome) => (outcome.startsWith('connect:') ? `connect: \`${outcome.slice('connect:'.length)}\`` : `\`${outcome}\``);
  return MATRIX_COMMANDS.flatMap((command) =>
    ROLES.map((role) => [command === BOARD_EDIT ? BOARD_EDIT : `\`${command}\``, ROLE_LABELS[role], ...MATRIX[command][role].map(cell)])
  );
}

/** The Markdown table for docs/authorization.md. */
export function renderAuthorizationTable(): string {
  const header = ['Command', 'Role', ...PHASES];
  const lines = [header, header.map(() => '---'), ...tableRows()].map((cells) => `| ${cells.join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}
