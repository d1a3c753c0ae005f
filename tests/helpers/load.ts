/**
 * Load that keeps a record of what the server acknowledged, for crash tests:
 * voters, a phase cycler, joiners and Yjs typists. Each loop stops on request
 * or when its connection is gone; whatever was in flight then is kept apart
 * (it may or may not have been stored).
 */
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import WebSocket from 'ws';
import { onTestFinished } from 'vitest';
import type { Ack, Answer, Phase, PhaseChange } from '../../src/lib/protocol';
import { textOf } from '../../src/lib/board/actions';
import { connectWithTickets } from '../../src/lib/client/yjs-ticket';
import { ticketFor, waitFor, yjsBase, type BoardClient } from './clients';
import type { Rng } from './fuzz';
import { joinSession } from './server';
import type { History } from './history';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Emits a command and resolves with its ack, or null if the connection went away (or nothing came within 4 s). */
export function command<T>(client: BoardClient, name: string, payload: unknown): Promise<Ack<T> | null> {
  const loose = client.socket as unknown as {
    timeout(ms: number): { emit(event: string, payload: unknown, cb: (error: Error | null, ack: Ack<T>) => void): void };
  };
  return new Promise((resolve) => loose.timeout(4000).emit(name, payload, (error, ack) => resolve(error ? null : ack)));
}

export interface VoterRecord {
  /** Factor → last acknowledged answer. */
  acked: Map<number, Answer>;
  ackedCount: number;
  inflight: { factor: number; answer: Answer } | null;
  errors: string[];
  /** Also records every vote in a shared history (tests/helpers/history.ts), keyed `${prefix}${factor}`. */
  history?: { log: History; prefix: string };
}

const ANSWERS: Answer[] = [1, 2, 3, 4, 5, 'unknown'];

/** Votes on random factors, one at a time, 40–100 ms apart (under the rate limit). */
export async function voteLoop(client: BoardClient, rng: Rng, stopped: () => boolean, record: VoterRecord): Promise<void> {
  while (!stopped()) {
    const vote = { factor: rng.range(1, 12), answer: rng.pick(ANSWERS) };
    record.inflight = vote;
    const entry = record.history?.log.attempt(`${record.history.prefix}${vote.factor}`, vote.answer);
    const ack = await command(client, 'vote', vote);
    if (!ack) return;
    record.inflight = null;
    if (ack.ok) {
      entry?.acknowledged();
      record.acked.set(vote.factor, vote.answer);
      record.ackedCount++;
    } else if (ack.error.code !== 'rate_limited') record.errors.push(ack.error.code);
    await sleep(rng.range(40, 100));
  }
}

export interface PhaseRecord {
  last: PhaseChange | null;
  acked: number;
  inflight: Phase | null;
}

/**
 * Moves a session voting ⇄ revealed (each move a new round), recording every acknowledged change,
 * until the session has had all the rounds it may hold (LIMITS.roundsPerSession: `rounds_full`).
 */
export async function phaseLoop(facilitator: BoardClient, rng: Rng, stopped: () => boolean, record: PhaseRecord): Promise<void> {
  let next: Phase = 'voting';
  while (!stopped()) {
    record.inflight = next;
    const ack = await command<PhaseChange>(facilitator, 'phase:set', { phase: next });
    if (!ack) return;
    record.inflight = null;
    // Every round a session may hold has been played: the refusal changed nothing, and there is no next round.
    if (!ack.ok && ack.error.code === 'rounds_full' && next === 'voting') return;
    if (!ack.ok) throw new Error(`phase:set ${next} refused: ${ack.error.code}`);
    record.last = ack.data;
    record.acked++;
    next = next === 'voting' ? 'revealed' : 'voting';
    // Paced so that a session's ten changes (five rounds) span the 1–2.5 s before the SIGKILL, and one may be in flight then.
    await sleep(rng.range(100, 250));
  }
}

/** Joins new participants over REST; every 201 is an acknowledged join. */
export async function joinLoop(url: () => string, code: string, rng: Rng, stopped: () => boolean, acked: string[]): Promise<void> {
  for (let i = 1; !stopped(); i++) {
    try {
      acked.push((await joinSession(url(), code, { name: `Late ${i}` })).participantId);
    } catch {
      return;
    }
    await sleep(rng.range(50, 150));
  }
}

/** A y-websocket provider on an existing document (to reconnect a client's own doc to another server). */
export function attachProvider(url: string, code: string, token: string, doc: Y.Doc): WebsocketProvider {
  const provider = new WebsocketProvider(yjsBase(url), code, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    connect: false,
    maxBackoffTime: 200
  });
  // Single-use tickets from socket.io, a fresh one for every connection attempt (no token in the URL).
  const stop = connectWithTickets(provider, () => ticketFor(url, code, token));
  onTestFinished(() => {
    stop();
    provider.destroy();
  });
  return provider;
}

/** The Y.Text of action point `id` in `doc`. */
export function actionText(doc: Y.Doc, id: string): Y.Text {
  const text = textOf(doc, id);
  if (!text) throw new Error(`no action ${id}`);
  return text;
}

export interface StructureRecord {
  /** Point id → factor last acknowledged for it. */
  created: Map<string, number>;
  /** Point id → owner last acknowledged. */
  owners: Map<string, string>;
  /** The order of the visible points (those on the board before the loop included) after the last acknowledged move. */
  order: string[] | null;
  inflight: { kind: 'create' | 'owner' | 'move'; id: string } | null;
  errors: string[];
}

/**
 * The facilitator works on the board structure: creates points, renames their
 * owners and moves them, recording each acknowledged change.
 */
export async function structureLoop(
  facilitator: BoardClient,
  rng: Rng,
  stopped: () => boolean,
  record: StructureRecord,
  /** Ids of the points already on the board, in board order: `toIndex` counts them too. */
  existing: readonly string[] = []
): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; !stopped(); i++) {
    const kind = ids.length < 2 || rng.chance(0.4) ? 'create' : rng.chance(0.5) ? 'owner' : 'move';
    const id = kind === 'create' ? `load-${i}-${rng.int(1e9)}` : rng.pick(ids);
    record.inflight = { kind, id };
    const owner = `Owner ${i}`;
    const factor = rng.range(1, 12);
    const toIndex = rng.int(existing.length + ids.length);
    const ack =
      kind === 'create'
        ? await command(facilitator, 'action:create', { actionId: id, factor })
        : kind === 'owner'
          ? await command(facilitator, 'action:update', { actionId: id, owner })
          : await command(facilitator, 'action:move', { actionId: id, toIndex });
    if (!ack) return;
    record.inflight = null;
    if (!ack.ok) {
      if (ack.error.code !== 'rate_limited') record.errors.push(ack.error.code);
    } else if (kind === 'create') {
      ids.push(id);
      record.created.set(id, factor);
    } else if (kind === 'owner') record.owners.set(id, owner);
    else {
      const order = (record.order ?? [...existing, ...ids]).filter((x) => x !== id);
      order.splice(Math.min(toIndex, order.length), 0, id);
      record.order = order;
    }
    if (kind === 'create' && record.order) record.order.push(id);
    await sleep(rng.range(30, 90));
  }
}

/** Types `[<name>-<n>]` tokens at the end of a text every 20–60 ms; returns every token it typed. */
export async function typeLoop(doc: Y.Doc, id: string, name: string, rng: Rng, stopped: () => boolean, typed: string[]): Promise<void> {
  await waitFor(() => textOf(doc, id), { message: `${name} sees the action point` });
  const text = actionText(doc, id);
  while (!stopped()) {
    const token = `[${name}-${typed.length}]`;
    text.insert(text.length, token);
    typed.push(token);
    await sleep(rng.range(20, 60));
  }
}

export const TOKEN = /\[[a-z]\d*-\d+\]/g;
