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
 * `read_only` when the Yjs endpoint answers a write with "permission denied"; `no_answer` when the command got no ack
 * (its socket closed, or it timed out): never in the table, so a cell that meets a session another cell broke says so.
 */
export type Outcome = 'ok' | ErrorCode | `connect:${ErrorCode}` | 'read_only' | 'no_answer';

/** The phase `phase:set` asks for in each phase: the next one (from `closed`, `voting`). */
export const NEXT_PHASE: Record<Phase, Phase> = { lobby: 'voting', voting: 'revealed', revealed: 'actions', actions: 'closed', closed: 'voting' };

/** The comment the first participant of a matrix session gives factor 1 when voting opens (`comment:hide` names it). */
export const MATRIX_COMMENT = 'a comment for the matrix';

/** What a command's payload names in a matrix session: its action points, the participant to remove, the open point to review. */
export interface PayloadSession {
  actions: string[];
  people: { joined: { participantId: string } }[];
  reviewKey: string;
}

/**
 * A valid payload for each socket.io command in `phase`, shared by the token and the account matrices so a cell's
 * outcome says who may act, never that the payload was off. Without action points (before the action phase) the
 * action commands name made-up ids.
 */
export function matrixPayload(command: Exclude<MatrixCommand, typeof BOARD_EDIT>, phase: Phase, session: PayloadSession): unknown {
  const [first = 'abcdefgh', second = 'abcdefgi'] = session.actions;
  return {
    vote: { factor: 1, answer: 3 },
    'phase:set': { phase: NEXT_PHASE[phase] },
    'participant:remove': { participantId: session.people[1].joined.participantId },
    'participants:remove': { participantIds: [session.people[1].joined.participantId] },
    'settings:update': { dotsPerPerson: 5 },
    'dot:cast': { actionId: first, delta: 1 },
    'action:create': { actionId: `new-${Math.random().toString(36).slice(2, 10)}`, factor: 3 },
    'action:update': { actionId: first, owner: 'Someone' },
    'action:remove': { actionId: first },
    'action:restore': { actionId: first },
    'action:unmerge': { actionId: second },
    'action:merge': { sourceId: second, targetId: first },
    'action:move': { actionId: second, toIndex: 0 },
    'present:focus': { factor: 3 },
    // 'doing' leaves the point open, so every later matrix session lists it too (carrying would close it for them).
    'review:set': { key: session.reviewKey, status: 'doing' },
    'comment:hide': { round: 1, factor: 1, text: MATRIX_COMMENT, hidden: true },
    'voting:control': { action: 'close' },
    'checkin:extend': { deadline: new Date(Date.now() + 2 * 3_600_000).toISOString() },
    'checkin:close': {},
    'clock:sync': {},
    'board:ticket': {},
    'state:request': {},
    'session:delete': { confirm: true }
  }[command];
}

const all = (outcome: Outcome): Outcome[] => PHASES.map(() => outcome);
const onlyIn = (phase: Phase, inside: Outcome, outside: Outcome): Outcome[] => PHASES.map((p) => (p === phase ? inside : outside));
const refused = all('connect:unauthorized');
const strangers = { none: refused, otherParticipant: refused, otherFacilitator: refused };

/**
 * The order in which the roles of one (command, phase) act on the session they share, one after another: first those
 * the table refuses at the handshake, then those whose commands (when the table is right) change nothing, the session's
 * own facilitator last, whose commands change the most (delete the session, remove a participant, move the phase). So
 * every role meets the session as a fresh one would be for it. A rule broken on purpose still shows in its own cell:
 * that cell's outcome is not the table's, whatever it did to the session after it.
 */
export const ROLE_TURNS: readonly (readonly MatrixRole[])[] = [
  ['none', 'otherParticipant', 'otherFacilitator'],
  ['presenter'],
  ['participant'],
  ['facilitator']
];

/** A command's outcome from its ack; `no_answer` when none came (the socket closed, or the ack timed out). */
export async function ackOutcome(ack: Promise<{ ok: true } | { ok: false; error: { code: ErrorCode } }>): Promise<Outcome> {
  try {
    const answer = await ack;
    return answer.ok ? 'ok' : answer.error.code;
  } catch {
    return 'no_answer';
  }
}

/**
 * `work` on every item, at most `limit` at a time (a matrix's independent sessions side by side, without opening all of
 * them at once on a two-core machine); the results in the items' order.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Columns follow PHASES: lobby, voting, revealed, actions, closed. */
/**
 * The cells where what the server answered differs from the table, one readable line each
 * (`command role phase: answered (table: expected)`): a deep diff of hundreds of cells is not readable.
 */
export function differingCells<Role extends string>(
  actual: Record<MatrixCommand, Record<Role, Outcome[]>>,
  table: Record<MatrixCommand, Record<Role, Outcome[]>>,
  roles: readonly Role[]
): string[] {
  return MATRIX_COMMANDS.flatMap((command) =>
    roles.flatMap((role) =>
      PHASES.flatMap((phase, i) =>
        actual[command][role][i] === table[command][role][i]
          ? []
          : [`${command} ${role} ${phase}: ${actual[command][role][i]} (table: ${table[command][role][i]})`]
      )
    )
  );
}

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

// ---------------------------------------------------------------- accounts (issue 24)

/**
 * Signed-in facilitators without the session's token: the account cookie, from our own origin, in the socket.io
 * handshake and on REST. The matrix sessions belong to a community the `owner` account owns; the co-facilitator
 * accepted an invite to it; the removed one accepted one and was removed; another account has no membership.
 */
export const ACCOUNT_ROLES = ['owner', 'coFacilitator', 'removedCoFacilitator', 'otherAccount', 'noAccount'] as const;
export type AccountRole = (typeof ACCOUNT_ROLES)[number];

export const ACCOUNT_ROLE_LABELS: Record<AccountRole, string> = {
  owner: 'owner (account cookie, no token)',
  coFacilitator: 'co-facilitator (account cookie)',
  removedCoFacilitator: 'removed co-facilitator',
  otherAccount: 'another account',
  noAccount: 'no account and no token'
};

/**
 * An owner's or co-facilitator's cookie makes the connection the facilitator's: every socket.io command and board
 * edit answers as the facilitator's row above, in every phase. Everyone else is refused at the handshake.
 */
export const ACCOUNT_MATRIX: Record<MatrixCommand, Record<AccountRole, Outcome[]>> = Object.fromEntries(
  MATRIX_COMMANDS.map((command) => [
    command,
    {
      owner: MATRIX[command].facilitator,
      coFacilitator: MATRIX[command].facilitator,
      removedCoFacilitator: refused,
      otherAccount: refused,
      noAccount: refused
    }
  ])
) as Record<MatrixCommand, Record<AccountRole, Outcome[]>>;

/** REST endpoints with the account cookie and no bearer token: the HTTP status each role gets. */
export interface RestCell {
  method: 'GET' | 'POST' | 'DELETE';
  /** `:code` is a session of the owner's community, `:id` that community, `:accountId` a second co-facilitator. */
  path: string;
  body?: unknown;
  expected: Record<AccountRole, number>;
}

const steer = (ok: number): Record<AccountRole, number> => ({ owner: ok, coFacilitator: ok, removedCoFacilitator: 403, otherAccount: 403, noAccount: 401 });
const ownerOnly = (ok: number): Record<AccountRole, number> => ({
  owner: ok,
  coFacilitator: 403,
  removedCoFacilitator: 403,
  otherAccount: 403,
  noAccount: 401
});
const anyAccount = (ok: number): Record<AccountRole, number> => ({ owner: ok, coFacilitator: ok, removedCoFacilitator: ok, otherAccount: ok, noAccount: 401 });

export const REST_MATRIX: RestCell[] = [
  { method: 'GET', path: '/api/me', expected: anyAccount(200) },
  { method: 'POST', path: '/api/me/claims', body: {}, expected: anyAccount(200) },
  { method: 'GET', path: '/api/sessions/:code/export.json', expected: steer(200) },
  { method: 'GET', path: '/api/sessions/:code/export.csv', expected: steer(200) },
  { method: 'GET', path: '/api/sessions/:code/export.md', expected: steer(200) },
  { method: 'GET', path: '/api/sessions/:code/export.xlsx', expected: steer(200) },
  { method: 'GET', path: '/api/sessions/:code/actions.ics', expected: steer(200) },
  { method: 'POST', path: '/api/sessions/:code/participants/removals', body: { participantIds: ['nobody'] }, expected: steer(200) },
  { method: 'DELETE', path: '/api/sessions/:code', expected: steer(204) },
  { method: 'POST', path: '/api/sessions/:code/invites', expected: ownerOnly(201) },
  { method: 'GET', path: '/api/sessions/:code/facilitators', expected: steer(200) },
  { method: 'POST', path: '/api/sessions', body: { community: ':id' }, expected: steer(201) },
  { method: 'GET', path: '/api/communities/:id', expected: steer(200) },
  { method: 'GET', path: '/api/communities/:id/trends.json', expected: steer(200) },
  { method: 'GET', path: '/api/communities/:id/export.csv', expected: steer(200) },
  { method: 'GET', path: '/api/communities/:id/export.md', expected: steer(200) },
  { method: 'GET', path: '/api/communities/:id/export.xlsx', expected: steer(200) },
  { method: 'GET', path: '/api/communities/:id/actions.ics', expected: steer(200) },
  // A body that is not an export: 400 shows the caller got past authorisation.
  { method: 'POST', path: '/api/communities/:id/imports', body: { not: 'an export' }, expected: steer(400) },
  {
    method: 'POST',
    path: '/api/communities/:id/paper-sessions',
    body: { title: 'Poster', date: '2026-12-01', factors: [{ number: 1, distribution: { '1': 1, '2': 0, '3': 0, '4': 0, '5': 0 }, unknown: 0 }] },
    expected: steer(201)
  },
  { method: 'POST', path: '/api/communities/:id/invites', expected: ownerOnly(201) },
  { method: 'GET', path: '/api/communities/:id/facilitators', expected: steer(200) },
  { method: 'DELETE', path: '/api/communities/:id/facilitators/:accountId', expected: ownerOnly(204) },
  // Deleting a whole community and everything in it is the owner's (or the key holder's) alone.
  { method: 'DELETE', path: '/api/communities/:id', expected: ownerOnly(204) }
];

/** The account rows of the socket.io matrix and the REST table, for docs/authorization.md. */
export function renderAccountTables(): string {
  const cell = (outcome: Outcome) => (outcome.startsWith('connect:') ? `connect: \`${outcome.slice('connect:'.length)}\`` : `\`${outcome}\``);
  const socketRows = MATRIX_COMMANDS.flatMap((command) =>
    ACCOUNT_ROLES.map((role) => [command === BOARD_EDIT ? BOARD_EDIT : `\`${command}\``, ACCOUNT_ROLE_LABELS[role], ...ACCOUNT_MATRIX[command][role].map(cell)])
  );
  const socketHeader = ['Command', 'Account', ...PHASES];
  const restHeader = ['Endpoint', ...ACCOUNT_ROLES.map((r) => ACCOUNT_ROLE_LABELS[r])];
  const restRows = REST_MATRIX.map((c) => [`\`${c.method} ${c.path}\``, ...ACCOUNT_ROLES.map((r) => String(c.expected[r]))]);
  const table = (header: string[], rows: string[][]) => [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
  return `${table(restHeader, restRows)}\n\n${table(socketHeader, socketRows)}\n`;
}

/** The table rows of a Markdown text, as trimmed cells (delimiter rows left out): how the tests compare docs/authorization.md with the tables. */
export function markdownRows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.trim().startsWith('|'))
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim())
    )
    .filter((cells) => !cells.every((cell) => /^:?-+:?$/.test(cell)));
}
