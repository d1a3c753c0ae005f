/**
 * The authorization matrix extended with accounts (issue 24): owner, co-facilitator, removed co-facilitator,
 * another account and no account, each with only the account cookie (no token), for every REST endpoint that
 * acts on a session or community and for every socket.io command and board edit in every phase, through a
 * real server. The tables are in tests/helpers/authorization-table.ts and docs/authorization.md (checked here;
 * UPDATE_DOCS=1 rewrites them).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createText, textOf, textsMap } from '../../src/lib/board/actions';
import { PHASES, type Phase } from '../../src/lib/domain/phases';
import type { RunningServer } from '../../server/app';
import type { CreateSessionResponse, ProtocolError } from '../../src/lib/protocol';
import {
  ackOutcome,
  ACCOUNT_MATRIX,
  ACCOUNT_ROLES,
  BOARD_EDIT,
  MATRIX_COMMANDS,
  mapBounded,
  markdownRows,
  MATRIX_COMMENT,
  matrixPayload,
  REST_MATRIX,
  renderAccountTables,
  type AccountRole,
  differingCells,
  type MatrixCommand,
  type Outcome
} from '../helpers/authorization-table';
import { BoardClient, RawYjs, waitFor, YJS_MESSAGE } from '../helpers/clients';
import { addPoint } from '../helpers/board';
import { api, joinSession, REPO_ROOT, startServer } from '../helpers/server';
import { accountWorld as world, connectWithCookie, postAs, type AccountWorld as World } from '../helpers/accounts';
import { advance } from '../helpers/session';
import { connectFacilitator, connectParticipant } from '../helpers/clients';
import { scaled } from '../helpers/patience';

const DOC = path.join(REPO_ROOT, 'docs/authorization.md');

/** The world's community gets an earlier session that left one open action point: its key, for `review:set`. */
async function earlierPoint(server: RunningServer, w: World): Promise<string> {
  const created = (await postAs<CreateSessionResponse>(server, w.owner, '/api/sessions', { community: w.community })).body;
  const facilitator = await connectFacilitator(server.url, created.code, created.facilitatorToken);
  await advance(facilitator, 'voting', 'revealed', 'actions');
  const point = await addPoint(facilitator, 4, 'Left open last time');
  facilitator.close();
  return `${created.code}/${point}`;
}

/** A session of the world's community in `phase`, steered by its token, with two participants and (from actions on) two points. */
async function sessionIn(server: RunningServer, w: World, phase: Phase) {
  const created = (await postAs<CreateSessionResponse>(server, w.owner, '/api/sessions', { community: w.community, anonymous: false })).body;
  const facilitator = await connectFacilitator(server.url, created.code, created.facilitatorToken);
  const people = await Promise.all(
    [1, 2].map(async (i) => {
      const joined = await joinSession(server.url, created.code, { name: `P${i}` });
      return { joined, client: await connectParticipant(server.url, created.code, joined.participantToken) };
    })
  );
  const steps = PHASES.slice(1, PHASES.indexOf(phase) + 1);
  const actions: string[] = [];
  for (const step of steps) {
    await advance(facilitator, step);
    if (step === 'voting') await people[0].client.send('vote', { factor: 1, answer: 2, comment: MATRIX_COMMENT });
    if (step === 'actions') actions.push(await addPoint(people[0].client, 1, 'A'), await addPoint(facilitator, 2, 'B'));
  }
  return { created, code: created.code, facilitator, people, actions, reviewKey: w.reviewKey ?? 'none/none' };
}

/** Writes to the board through a ticket the cookie connection got: `ok` once the server has it, `read_only` if refused. */
async function boardEdit(server: RunningServer, client: BoardClient, session: Session): Promise<Outcome> {
  const raw = await RawYjs.open(server.url, session.code, '', async () => {
    const ack = await client.send('board:ticket', {});
    if (!ack.ok) throw new Error(`board:ticket refused: ${ack.error.code}`);
    return ack.data.ticket;
  });
  const served = await (await server.realtime.registry.get(session.code))!.doc();
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(served.doc));
  const before = Y.encodeStateVector(doc);
  const text = `written by the account matrix ${Math.random()}`;
  const existing = session.actions.map((id) => textOf(doc, id)).find((t) => t !== null);
  if (existing) existing.insert(0, text);
  else createText(doc, 'matrixxx', text);
  raw.sendUpdate(Y.encodeStateAsUpdate(doc, before));
  const landed = () => [...textsMap(served.doc).values()].some((t) => t.toString().includes(text));
  const outcome = await waitFor(() => (raw.types().includes(YJS_MESSAGE.auth) ? 'read_only' : landed() ? 'ok' : null), { message: 'board edit answered' });
  raw.ws.terminate();
  return outcome;
}

type Session = Awaited<ReturnType<typeof sessionIn>>;

/** One account role's cell on `session` (which it may share with other roles: ACCOUNT_TURNS). */
async function roleCell(server: RunningServer, w: World, command: MatrixCommand, role: AccountRole, phase: Phase, session: Session): Promise<Outcome> {
  let client: BoardClient;
  try {
    client =
      role === 'noAccount'
        ? await connectWithCookie(server, session.code, { accountId: '', cookie: '', name: 'nobody' })
        : await connectWithCookie(server, session.code, w.people[role]);
  } catch (error) {
    return `connect:${(error as { data?: ProtocolError }).data?.code ?? 'internal'}`;
  }
  try {
    if (command === BOARD_EDIT) return await boardEdit(server, client, session);
    return await ackOutcome(client.sendRaw(command, matrixPayload(command, phase, session)));
  } finally {
    client.close();
  }
}

/**
 * The account roles' turns on the sessions of one (command, phase). The owner and the co-facilitator both act as the
 * facilitator, and both may change the session (delete it, remove a participant, move the phase): each has a fresh
 * session of its own. The roles refused at the handshake take their turn on the owner's session before the owner. A rule
 * broken on purpose still shows in its own cell, whatever it did to the session after it.
 */
const ACCOUNT_TURNS: readonly (readonly (readonly AccountRole[])[])[] = [
  [['removedCoFacilitator', 'otherAccount', 'noAccount'], ['owner']],
  [['coFacilitator']]
];

async function commandInPhase(server: RunningServer, w: World, command: MatrixCommand, phase: Phase): Promise<Record<AccountRole, Outcome>> {
  const outcomes = {} as Record<AccountRole, Outcome>;
  await Promise.all(
    ACCOUNT_TURNS.map(async (turns) => {
      const session = await sessionIn(server, w, phase);
      for (const turn of turns) await Promise.all(turn.map(async (role) => (outcomes[role] = await roleCell(server, w, command, role, phase, session))));
      // Done with: its sockets need not stay open (and be told about the other sessions' work) until the test ends.
      for (const client of [session.facilitator, ...session.people.map((p) => p.client)]) client.close();
    })
  );
  return outcomes;
}

/** REST rows that change the world they act on (deletions, removals): each of their cells gets a world of its own. */
const changesWorld = (cell: (typeof REST_MATRIX)[number]) => cell.method === 'DELETE';

async function restCell(server: RunningServer, cell: (typeof REST_MATRIX)[number], role: AccountRole, shared: { w: World; code: string }): Promise<number> {
  let { w, code } = shared;
  if (changesWorld(cell)) {
    w = await world(server);
    code = (await postAs<CreateSessionResponse>(server, w.owner, '/api/sessions', { community: w.community })).body.code;
  }
  const resolved = cell.path.replace(':code', code).replace(':id', w.community).replace(':accountId', w.second.accountId);
  const body = cell.body === undefined ? undefined : JSON.stringify(cell.body).replace('":id"', JSON.stringify(w.community));
  const who = role === 'noAccount' ? null : w.people[role];
  const headers: Record<string, string> = { origin: server.url, 'sec-fetch-site': 'same-origin', ...(who ? { cookie: who.cookie } : {}) };
  if (cell.method === 'POST') headers['content-type'] = 'application/json';
  const response = await api(server.url, resolved, { method: cell.method, headers, body: cell.method === 'POST' ? (body ?? '{}') : undefined });
  return response.status;
}

describe('authorization matrix with accounts', () => {
  it(
    'answers every REST endpoint for every account role as the table says',
    async () => {
      const server = await startServer({ codeGuessesPerMinute: 0, signInsPerTenMinutes: 0, synchronous: 'NORMAL' });
      // The rows that only read, or add something of their own (a session, an invite, a paper session), share one world and
      // one session of it; the rows that delete or remove get a world per cell.
      const w = await world(server);
      const shared = { w, code: (await postAs<CreateSessionResponse>(server, w.owner, '/api/sessions', { community: w.community })).body.code };
      const actual = await Promise.all(
        REST_MATRIX.map(async (cell) =>
          Object.fromEntries(await Promise.all(ACCOUNT_ROLES.map(async (role) => [role, await restCell(server, cell, role, shared)])))
        )
      );
      expect(actual).toEqual(REST_MATRIX.map((cell) => cell.expected));
    },
    scaled(120_000)
  );

  it(
    'answers every command × account role × phase as the table says',
    async () => {
      // Every account role takes exactly one turn.
      expect(ACCOUNT_TURNS.flat(2).sort()).toEqual([...ACCOUNT_ROLES].sort());
      const server = await startServer({ codeGuessesPerMinute: 0, signInsPerTenMinutes: 0, synchronous: 'NORMAL' });
      const w = await world(server);
      // review:set needs a point the session's review lists: its sessions get a community of their own (as in the token matrix).
      const reviewWorld = await world(server);
      reviewWorld.reviewKey = await earlierPoint(server, reviewWorld);
      const pairs = MATRIX_COMMANDS.flatMap((command) => PHASES.map((phase) => ({ command, phase })));
      const answered = await mapBounded(pairs, 6, ({ command, phase }) => commandInPhase(server, command === 'review:set' ? reviewWorld : w, command, phase));
      const actual = Object.fromEntries(
        MATRIX_COMMANDS.map((command) => [command, Object.fromEntries(ACCOUNT_ROLES.map((role) => [role, [] as Outcome[]]))])
      ) as Record<MatrixCommand, Record<AccountRole, Outcome[]>>;
      pairs.forEach(({ command, phase }, i) => {
        for (const role of ACCOUNT_ROLES) actual[command][role][PHASES.indexOf(phase)] = answered[i][role];
      });
      console.log(
        `[authorization] ${MATRIX_COMMANDS.length * ACCOUNT_ROLES.length * PHASES.length} account cells checked through real sockets, on ${pairs.length * ACCOUNT_TURNS.length} sessions`
      );
      // The differing cells first, readably.
      expect(differingCells(actual, ACCOUNT_MATRIX, ACCOUNT_ROLES)).toEqual([]);
      expect(actual).toEqual(ACCOUNT_MATRIX);
    },
    scaled(600_000)
  );

  it('is documented in docs/authorization.md with the same tables', async () => {
    const current = await fs.readFile(DOC, 'utf8');
    if (process.env.UPDATE_DOCS === '1') {
      const [before, rest] = current.split('<!-- accounts:start -->');
      const after = rest.split('<!-- accounts:end -->')[1];
      await fs.writeFile(DOC, `${before}<!-- accounts:start -->\n\n${renderAccountTables()}\n<!-- accounts:end -->${after}`);
    }
    const documented = (await fs.readFile(DOC, 'utf8')).split('<!-- accounts:start -->')[1].split('<!-- accounts:end -->')[0];
    // Cell by cell (Prettier pads the columns).
    expect(markdownRows(documented)).toEqual(markdownRows(renderAccountTables()));
  });
});
