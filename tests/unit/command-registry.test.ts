/**
 * The command registry: every command of the contract table has a schema, a
 * policy row and a handler, and nothing else has one; a command from the wire
 * with an unknown name or a payload its schema refuses is answered with a typed
 * `bad_request` and changes nothing (no store write, no message to anyone),
 * whoever sends it and in whatever phase. Driven through the live session
 * without sockets, on the real in-memory store.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadFrameworks } from '../../server/content';
import { COMMAND_HANDLERS } from '../../server/sessions/commands';
import { POLICY } from '../../server/sessions/policy';
import type { Identity } from '../../server/sessions/projections';
import { SessionRegistry } from '../../server/sessions/registry';
import { SqliteStore } from '../../server/store/sqlite';
import { PHASES } from '../../src/lib/domain/phases';
import { CommandError } from '../../src/lib/protocol';
import { COMMAND_NAMES, COMMANDS, type CommandName } from '../../src/lib/protocol/commands';
import { recordingFanout } from '../helpers/recording-fanout';

const frameworks = loadFrameworks(fileURLToPath(new URL('../../content', import.meta.url)));

const REST_AND_BOARD = ['session:read', 'session:join', 'session:export', 'checkin:meeting', 'board:edit'];

/** The store's whole content, comparable: the image of the database in memory. */
async function dump(data: SqliteStore): Promise<string> {
  return (await data.serialize()).toString('base64');
}

async function setup() {
  const data = new SqliteStore({ memory: true });
  const store = data;
  const rec = recordingFanout();
  const registry = new SessionRegistry({ store, frameworks, fanout: rec.fanout });
  const live = (await registry.create({ anonymous: false })).room!;
  const { participant } = await live.join({ name: 'Ann', group: null, language: null }, 100);
  const identities: Identity[] = [{ role: 'facilitator' }, { role: 'presenter' }, { role: 'participant', participantId: participant.id }];
  return { live, registry, data, identities, ...rec };
}

async function refusal(promise: Promise<unknown>): Promise<CommandError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CommandError);
    return error as CommandError;
  }
  throw new Error('expected a refusal');
}

/** Payloads no command's schema accepts: every command takes exactly one object, with its own fields. */
const MALFORMED: unknown[] = [undefined, null, 42, 'vote', [], [{}], { unexpected: true }, { action: 'extend' }, { factor: 1, answer: 3, extra: 1 }];

describe('the command registry', () => {
  it('declares every command once: a schema, a policy row and a handler, and no row or handler without a command', () => {
    expect(COMMAND_NAMES.length).toBeGreaterThan(0);
    expect(new Set(COMMAND_NAMES).size).toBe(COMMAND_NAMES.length);
    for (const name of COMMAND_NAMES) {
      expect(COMMANDS[name].schema, name).toBeInstanceOf(z.ZodType);
      expect(POLICY[name]?.roles.length, `${name}: policy roles`).toBeGreaterThan(0);
      expect(POLICY[name].phases.length, `${name}: policy phases`).toBeGreaterThan(0);
      expect(typeof COMMAND_HANDLERS[name], `${name}: handler`).toBe('function');
    }
    expect(Object.keys(COMMAND_HANDLERS).sort()).toEqual([...COMMAND_NAMES].sort());
    expect(Object.keys(POLICY).sort()).toEqual([...COMMAND_NAMES, ...REST_AND_BOARD].sort());
    // A row that restricts the phase says why to whoever hits it.
    for (const [action, rule] of Object.entries(POLICY)) {
      if (rule.phases.length < PHASES.length) expect(rule.wrongPhase ?? rule.closed, `${action}: phase refusal`).toBeTruthy();
    }
  });

  it('refuses an unknown command with a typed bad_request, changing nothing', async () => {
    const { live, data, identities, sent } = await setup();
    const before = await dump(data);
    const messages = sent.length;
    for (const identity of identities) {
      for (const name of ['nope', 'VOTE', '__proto__', 'constructor', 'toString', '', 42, null, 'board:edit', 'session:export']) {
        const error = await refusal(live.execute(name, {}, identity));
        expect(error.code, String(name)).toBe('bad_request');
        expect(error.message).toMatch(/Unknown event/);
      }
    }
    expect(await dump(data)).toBe(before);
    expect(sent.length).toBe(messages);
  });

  it('refuses a malformed payload of every command, for every role and in every phase, with bad_request and its details, changing nothing', async () => {
    const { live, data, identities, sent } = await setup();
    for (const phase of PHASES) {
      if (phase !== 'lobby') await live.dispatch('phase:set', { phase }, { role: 'facilitator' });
      // Let the phase change's coalesced messages leave before counting.
      await new Promise((resolve) => setImmediate(resolve));
      const before = await dump(data);
      const progress = JSON.stringify(live.room.snapshot({ role: 'facilitator' }).progress);
      const messages = sent.length;
      for (const name of COMMAND_NAMES) {
        for (const payload of MALFORMED) {
          if (COMMANDS[name].schema.safeParse(payload).success) continue;
          for (const identity of identities) {
            const error = await refusal(live.execute(name, payload, identity));
            expect(error.code, `${name} ${JSON.stringify(payload)} in ${phase}`).toBe('bad_request');
            expect(error.details?.length, `${name}: says what is wrong`).toBeGreaterThan(0);
          }
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(await dump(data), `store after malformed commands in ${phase}`).toBe(before);
      // Participants hear progress at most once a second, so the phase change's may leave now; it must say what it said before.
      const after = sent.slice(messages).filter((m) => !(m.event === 'progress' && JSON.stringify(m.args[0]) === progress));
      expect(after, `messages after malformed commands in ${phase}`).toEqual([]);
    }
  });

  it('types each reply by the contract: the handler answers what the table declares', async () => {
    const { live } = await setup();
    // Compile-time: `dispatch` returns the declared reply type (a wrong one fails tsc on this file).
    const change: { phase: string; round: number } = await live.dispatch('phase:set', { phase: 'voting' }, { role: 'facilitator' });
    expect(change.phase).toBe('voting');
    const clock: { serverNow: number } = await live.dispatch('clock:sync', {}, { role: 'presenter' });
    expect(typeof clock.serverNow).toBe('number');
  });
});

// Compile-time: the handler table must name every command (tsc checks this file with the server's config).
const { vote: _withoutVote, ...incomplete } = COMMAND_HANDLERS;
// @ts-expect-error a command without a handler does not compile
export const handlersMissingOne: typeof COMMAND_HANDLERS = incomplete;
// @ts-expect-error a command without a policy row does not compile
export const policyMissingOne: Record<CommandName, unknown> = (({ vote: _vote, ...rest }) => rest)(POLICY);
