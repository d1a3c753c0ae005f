/**
 * The authorization matrix (tests/helpers/authorization-table.ts), cell by
 * cell through real sockets: every command and board edit × every role × every
 * phase. Each (command, phase) has a fresh session, on which its roles take turns
 * (ROLE_TURNS: refused ones first, the facilitator last), so no cell depends on
 * another command's or phase's. The same table
 * is in docs/authorization.md, which this test checks (UPDATE_DOCS=1 rewrites it).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { createText, textOf, textsMap } from '../../src/lib/board/actions';
import { addPoint } from '../helpers/board';
import { PHASES, type Phase } from '../../src/lib/domain/phases';
import type { RunningServer } from '../../server/app';
import type { CreateCommunityResponse, ErrorCode, ProtocolError } from '../../src/lib/protocol';
import {
  ackOutcome,
  BOARD_EDIT,
  MATRIX,
  MATRIX_COMMANDS,
  mapBounded,
  markdownRows,
  MATRIX_COMMENT,
  matrixPayload,
  renderAuthorizationTable,
  ROLE_TURNS,
  ROLES,
  tableRows,
  differingCells,
  type MatrixCommand,
  type MatrixRole,
  type Outcome
} from '../helpers/authorization-table';
import { connectClient, RawYjs, waitFor, yjsBase, YJS_MESSAGE } from '../helpers/clients';
import { createSession, joinSession, postJson, REPO_ROOT, startServer } from '../helpers/server';
import { advance, setupSession } from '../helpers/session';
import { scaled } from '../helpers/patience';

const DOC = path.join(REPO_ROOT, 'docs/authorization.md');
const PATH_TO: Record<Phase, Phase[]> = {
  lobby: [],
  voting: ['voting'],
  revealed: ['voting', 'revealed'],
  actions: ['voting', 'revealed', 'actions'],
  closed: ['voting', 'revealed', 'actions', 'closed']
};

/**
 * A fresh session in `phase` with two participants (the first commented on factor 1 when voting opened);
 * in and after the action phase the board has two action points.
 */
async function sessionIn(server: RunningServer, phase: Phase, community: MatrixCommunity) {
  const session = await setupSession(server, {
    participants: 2,
    create: { anonymous: false, community: community.id },
    createHeaders: { authorization: `Bearer ${community.token}` }
  });
  const actions: string[] = [];
  for (const step of PATH_TO[phase]) {
    await advance(session.facilitator, step);
    if (step === 'voting') {
      const ack = await session.people[0].client.send('vote', { factor: 1, answer: 2, comment: MATRIX_COMMENT });
      if (!ack.ok) throw new Error(`setup vote refused: ${ack.error.code}`);
    }
    if (step === 'actions') actions.push(await addPoint(session.people[0].client, 1, 'A'), await addPoint(session.facilitator, 2, 'B'));
  }
  return { ...session, actions, reviewKey: community.reviewKey };
}
type Session = Awaited<ReturnType<typeof sessionIn>>;

/** The community every matrix session belongs to: an earlier session left one open action point, which `review:set` marks. */
interface MatrixCommunity {
  id: string;
  token: string;
  reviewKey: string;
}

async function matrixCommunity(server: RunningServer): Promise<MatrixCommunity> {
  const created = await postJson<CreateCommunityResponse>(server.url, '/api/communities', { name: 'Matrix community' });
  if (created.status !== 201) throw new Error(`community: ${created.status} ${created.text}`);
  const { id, communityToken: token } = created.body;
  const earlier = await setupSession(server, { create: { community: id }, createHeaders: { authorization: `Bearer ${token}` } });
  await advance(earlier.facilitator, 'voting', 'revealed', 'actions');
  const point = await addPoint(earlier.facilitator, 4, 'Left open last time');
  return { id, token, reviewKey: `${earlier.code}/${point}` };
}

interface Strangers {
  participantToken: string;
  facilitatorToken: string;
}

function tokenOf(role: MatrixRole, session: Session, strangers: Strangers): string | undefined {
  return {
    none: undefined,
    participant: session.people[0].joined.participantToken,
    otherParticipant: strangers.participantToken,
    facilitator: session.created.facilitatorToken,
    otherFacilitator: strangers.facilitatorToken,
    // The credential the presenter link carries, as a room PC would get it.
    presenter: new URL(session.created.presenterUrl).hash.replace(/^#key=/, '')
  }[role];
}

/** Opens the board with `token` and writes one action point: `ok` once the server has it, `read_only` if refused. */
async function boardEdit(server: RunningServer, session: Session, token: string | undefined): Promise<Outcome> {
  if (token === undefined) {
    const ws = new WebSocket(`${yjsBase(server.url)}/${session.code}`);
    return new Promise((resolve, reject) => {
      ws.once('open', () => reject(new Error('the Yjs upgrade without a token was accepted')));
      ws.once('error', () => undefined);
      ws.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve(`connect:${(JSON.parse(body) as { error: ProtocolError }).error.code}`));
      });
    });
  }
  let raw: RawYjs;
  try {
    raw = await RawYjs.open(server.url, session.code, token);
  } catch (error) {
    const status = Number(String(error).match(/refused: (\d+)/)?.[1]);
    return `connect:${({ 401: 'unauthorized', 403: 'forbidden', 404: 'not_found' } as Record<number, ErrorCode>)[status] ?? 'internal'}`;
  }
  const room = (await server.realtime.registry.get(session.code))!;
  const served = await room.doc();
  const text = `written by the matrix ${Math.random()}`;
  // Clients only type into the texts of existing points; before the action phase there are none, so try to make one.
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(served.doc));
  const before = Y.encodeStateVector(doc);
  const existing = session.actions.map((id) => textOf(doc, id)).find((t) => t !== null);
  if (existing) existing.insert(0, text);
  else createText(doc, 'matrixxx', text);
  raw.sendUpdate(Y.encodeStateAsUpdate(doc, before));
  const landed = () => [...textsMap(served.doc).values()].some((t) => t.toString().includes(text));
  const outcome = await waitFor(() => (raw.types().includes(YJS_MESSAGE.auth) ? 'read_only' : landed() ? 'ok' : null), {
    message: 'board edit answered'
  });
  raw.ws.terminate();
  return outcome;
}

/** One role's cell on a session it shares with the other roles of the same command and phase (ROLE_TURNS). */
async function roleCell(
  server: RunningServer,
  command: MatrixCommand,
  role: MatrixRole,
  phase: Phase,
  session: Session,
  strangers: Strangers
): Promise<Outcome> {
  const token = tokenOf(role, session, strangers);
  if (command === BOARD_EDIT) return boardEdit(server, session, token);
  const existing = { participant: session.people[0].client, facilitator: session.facilitator }[role as 'participant' | 'facilitator'];
  let client = existing;
  if (!client) {
    try {
      client = await connectClient(server.url, { code: session.code, ...(token ? { token } : {}) });
    } catch (error) {
      return `connect:${(error as { data?: ProtocolError }).data?.code ?? 'internal'}`;
    }
  }
  const outcome = await ackOutcome(client.sendRaw(command, matrixPayload(command, phase, session)));
  if (!existing) client.close();
  return outcome;
}

/**
 * Every role's cell of one command in one phase, on one fresh session of its own: the roles take their turns on it in
 * ROLE_TURNS order (those refused at the handshake side by side), so each meets the session as a fresh one would be for it.
 */
async function commandInPhase(
  server: RunningServer,
  command: MatrixCommand,
  phase: Phase,
  strangers: Strangers,
  community: MatrixCommunity
): Promise<Record<MatrixRole, Outcome>> {
  const session = await sessionIn(server, phase, community);
  const outcomes = {} as Record<MatrixRole, Outcome>;
  for (const turn of ROLE_TURNS) {
    await Promise.all(turn.map(async (role) => (outcomes[role] = await roleCell(server, command, role, phase, session, strangers))));
  }
  // The session is done with: its sockets need not stay open (and be told about the other sessions' work) until the test ends.
  for (const client of [session.facilitator, ...session.people.map((p) => p.client)]) client.close();
  return outcomes;
}

describe('authorization matrix', () => {
  it(
    'answers every command × role × phase as the table says',
    async () => {
      // Every role takes exactly one turn on a session.
      expect([...ROLE_TURNS.flat()].sort()).toEqual([...ROLES].sort());
      // Durability is not the question here: let SQLite skip the fsyncs.
      const server = await startServer({ codeGuessesPerMinute: 0, synchronous: 'NORMAL' });
      const other = await createSession(server.url);
      const strangers = { facilitatorToken: other.facilitatorToken, participantToken: (await joinSession(server.url, other.code)).participantToken };
      const community = await matrixCommunity(server);
      // review:set needs a point the session's review lists. In the shared community the review looks back on the 24 newest
      // earlier sessions, which may all be sessions without points (created side by side): its sessions get a community of their own.
      const reviewCommunity = await matrixCommunity(server);
      const pairs = MATRIX_COMMANDS.flatMap((command) => PHASES.map((phase) => ({ command, phase })));
      // Every (command, phase) has a session of its own: a few of them side by side.
      const answered = await mapBounded(pairs, 8, ({ command, phase }) =>
        commandInPhase(server, command, phase, strangers, command === 'review:set' ? reviewCommunity : community)
      );
      const actual = Object.fromEntries(
        MATRIX_COMMANDS.map((command) => [command, Object.fromEntries(ROLES.map((role) => [role, [] as Outcome[]]))])
      ) as typeof MATRIX;
      pairs.forEach(({ command, phase }, i) => {
        for (const role of ROLES) actual[command][role][PHASES.indexOf(phase)] = answered[i][role];
      });
      const cells = MATRIX_COMMANDS.length * ROLES.length * PHASES.length;
      console.log(`[authorization] ${cells} cells checked through real sockets, on ${pairs.length} sessions`);
      // The differing cells first, readably.
      expect(differingCells(actual, MATRIX, ROLES)).toEqual([]);
      expect(actual).toEqual(MATRIX);
    },
    scaled(300_000)
  );

  it('is documented in docs/authorization.md with the same table', async () => {
    if (process.env.UPDATE_DOCS === '1') {
      const current = await fs.readFile(DOC, 'utf8');
      const [before, rest] = current.split('<!-- matrix:start -->');
      const after = rest.split('<!-- matrix:end -->')[1];
      await fs.writeFile(DOC, `${before}<!-- matrix:start -->\n\n${renderAuthorizationTable()}\n<!-- matrix:end -->${after}`);
    }
    // The matrix section only: the file holds other tables too (the account tables, authorization-accounts.test.ts).
    const documented = markdownRows((await fs.readFile(DOC, 'utf8')).split('<!-- matrix:start -->')[1].split('<!-- matrix:end -->')[0]);
    expect(documented).toEqual([['Command', 'Role', ...PHASES], ...tableRows()]);
  });
});
