/** A session with a connected facilitator and participants, and phase shortcuts. */
import type { RunningServer } from '../../server/app';
import type { CreateSessionRequest, CreateSessionResponse, JoinSessionRequest, JoinSessionResponse, Phase } from '../../src/lib/protocol';
import { connectFacilitator, connectParticipant, type BoardClient } from './clients';
import { createSession, joinSession } from './server';

export interface Person {
  joined: JoinSessionResponse;
  client: BoardClient;
}

export interface TestSession {
  created: CreateSessionResponse;
  code: string;
  facilitator: BoardClient;
  people: Person[];
}

/**
 * Creates a session, connects its facilitator, and joins and connects one
 * participant per entry of `join` (or `participants` anonymous ones).
 */
export async function setupSession(
  server: RunningServer,
  options: { create?: CreateSessionRequest; createHeaders?: Record<string, string>; participants?: number; join?: JoinSessionRequest[] } = {}
): Promise<TestSession> {
  const created = await createSession(server.url, options.create, options.createHeaders);
  const facilitator = await connectFacilitator(server.url, created.code, created.facilitatorToken);
  const bodies = options.join ?? Array.from({ length: options.participants ?? 0 }, (_, i) => ({ name: `P${i + 1}` }));
  const people = await Promise.all(
    bodies.map(async (body) => {
      const joined = await joinSession(server.url, created.code, body);
      const client = await connectParticipant(server.url, created.code, joined.participantToken);
      return { joined, client };
    })
  );
  return { created, code: created.code, facilitator, people };
}

/** Moves the session through `phases` in order; fails if any step is refused. */
export async function advance(facilitator: BoardClient, ...phases: Phase[]): Promise<void> {
  for (const phase of phases) {
    const ack = await facilitator.send('phase:set', { phase });
    if (!ack.ok) throw new Error(`phase:set ${phase} refused: ${ack.error.code} ${ack.error.message}`);
  }
}

/** Casts every answer of one person (factor number → answer) and fails on any refusal. */
export async function castBallot(client: BoardClient, answers: Record<number, 1 | 2 | 3 | 4 | 5 | 'unknown'>, comment?: string): Promise<void> {
  const acks = await Promise.all(
    Object.entries(answers).map(([factor, answer]) => client.send('vote', { factor: Number(factor), answer, ...(comment !== undefined ? { comment } : {}) }))
  );
  const refused = acks.find((ack) => !ack.ok);
  if (refused && !refused.ok) throw new Error(`vote refused: ${refused.error.code} ${refused.error.message}`);
}
