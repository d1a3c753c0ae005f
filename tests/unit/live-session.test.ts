/**
 * The live session without sockets: the real in-memory store (behind the
 * fault-injecting store for refused writes) and a fan-out that records what
 * each audience was sent. What it proves: the policy is checked at dispatch,
 * removing or deleting follows through to the board side by itself, dots go
 * back however a point leaves the board, and a refused write shows nothing.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadFrameworks } from '../../server/content';
import { SessionRegistry } from '../../server/sessions/registry';
import type { LiveSession } from '../../server/sessions/live-session';
import type { Identity } from '../../server/sessions/projections';
import { SqliteStore } from '../../server/store/sqlite';
import { CommandError, LIMITS, type CommandName } from '../../src/lib/protocol';
import { FaultyStore } from '../helpers/faulty-store';
import { recordingFanout } from '../helpers/recording-fanout';

const frameworks = loadFrameworks(fileURLToPath(new URL('../../content', import.meta.url)));

/** A room on a store in memory; `from`: the image of an earlier one, as a restart on the same data. */
async function setup(from?: Buffer, idleUnloadMs?: number) {
  const sqlite = new SqliteStore({ memory: true, from });
  const store = new FaultyStore(sqlite);
  const rec = recordingFanout();
  const registry = new SessionRegistry({ store, frameworks, fanout: rec.fanout, idleUnloadMs });
  // One instance (no releaseNewSessions): the new room is open here.
  const live = (await registry.create({ anonymous: false })).room!;
  const join = async (name: string): Promise<Identity> => {
    const { participant } = await live.join({ name, group: null, language: null }, 100);
    return { role: 'participant', participantId: participant.id };
  };
  return { store, registry, live, join, ...rec, sqlite };
}

const facilitator: Identity = { role: 'facilitator' };
const presenter: Identity = { role: 'presenter' };

function send(live: LiveSession, identity: Identity, name: CommandName, payload: unknown) {
  return live.dispatch(name, payload as never, identity);
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CommandError);
    return (error as CommandError).code;
  }
  throw new Error('expected a refusal');
}

async function toActions(live: LiveSession) {
  for (const phase of ['voting', 'revealed', 'actions'] as const) await send(live, facilitator, 'phase:set', { phase });
}

describe('LiveSession', () => {
  it("voids a co-facilitator's identity admitted before their removal, tickets included, and not one admitted after", async () => {
    const { live, sent, registry } = await setup();
    const cas: Identity = { role: 'facilitator', accountId: 'cas', admittedAt: 1000 };
    const other: Identity = { role: 'facilitator', accountId: 'olga', admittedAt: 1000 };
    const { ticket } = (await send(live, cas, 'board:ticket', {})) as { ticket: string };
    const kept = ((await send(live, other, 'board:ticket', {})) as { ticket: string }).ticket;
    expect(live.isCurrent(cas)).toBe(true);
    live.revokeAccount('cas', 1000);
    // A handshake whose membership read began at the removal's instant (or before) is in flight: refused on arrival.
    expect(live.isCurrent(cas)).toBe(false);
    expect(live.isCurrent({ ...cas, admittedAt: 999 })).toBe(false);
    // Invited again later: a new handshake reads the new membership after the removal.
    expect(live.isCurrent({ ...cas, admittedAt: 1001 })).toBe(true);
    expect(live.isCurrent(other)).toBe(true);
    expect(live.isCurrent(facilitator)).toBe(true);
    expect(sent.filter((s) => s.event === '(disconnect)').map((s) => s.to)).toEqual(['account:cas']);
    // Their unused board ticket is void; another co-facilitator's is not.
    expect(registry.tickets.take(ticket, live.id)).toBeNull();
    expect(registry.tickets.take(kept, live.id)).toEqual(other);
  });

  it('checks the policy once at dispatch: role first, then membership, then phase, writing nothing when refused', async () => {
    const { live, join, store } = await setup();
    const ann = await join('Ann');
    const writes = store.failed.length;
    expect(await refusal(send(live, ann, 'phase:set', { phase: 'voting' }))).toBe('forbidden');
    expect(await refusal(send(live, presenter, 'action:create', { actionId: 'abcdefgh', factor: 1 }))).toBe('forbidden');
    expect(await refusal(send(live, facilitator, 'vote', { factor: 1, answer: 3 }))).toBe('forbidden');
    expect(await refusal(send(live, ann, 'vote', { factor: 1, answer: 3 }))).toBe('wrong_phase');
    expect(await refusal(send(live, ann, 'dot:cast', { actionId: 'abcdefgh', delta: 1 }))).toBe('wrong_phase');
    expect(live.room.phase).toBe('lobby');
    expect(store.failed.length).toBe(writes);
  });

  it('removing a participant voids their board tickets and refuses them from then on, without the caller doing more', async () => {
    const { live, join, registry, events } = await setup();
    const ann = await join('Ann');
    const { ticket } = (await send(live, ann, 'board:ticket', {})) as { ticket: string };
    await send(live, facilitator, 'participant:remove', { participantId: (ann as { participantId: string }).participantId });
    expect(registry.tickets.take(ticket, live.id)).toBeNull();
    expect(events('removed').map((e) => e.to)).toEqual([`participant:${(ann as { participantId: string }).participantId}`]);
    expect(await refusal(send(live, ann, 'state:request', {}))).toBe('forbidden');
  });

  it('deleting goes one way whoever asks: the registry forgets it, the board tickets go, everything after is not_found', async () => {
    const { live, join, registry, events } = await setup();
    const ann = await join('Ann');
    const { ticket } = (await send(live, ann, 'board:ticket', {})) as { ticket: string };
    await live.doc();
    expect(await refusal(live.deleteSession(ann))).toBe('forbidden');
    expect(await refusal(live.deleteSession(null))).toBe('forbidden');
    await live.deleteSession(facilitator);
    expect(events('session:deleted')).toHaveLength(1);
    expect(registry.tickets.take(ticket, live.id)).toBeNull();
    expect(await registry.get(live.code)).toBeNull();
    expect(await refusal(send(live, facilitator, 'state:request', {}))).toBe('not_found');
  });

  it('a refused vote shows nothing: no progress, no echo, the ballot as stored', async () => {
    const { live, join, store, events } = await setup();
    const ann = await join('Ann');
    await send(live, facilitator, 'phase:set', { phase: 'voting' });
    store.failWrites(1, ['saveAnswer']);
    expect(await refusal(send(live, ann, 'vote', { factor: 1, answer: 3 }))).toBe('store_unavailable');
    await new Promise((resolve) => setImmediate(resolve));
    expect(events('ballot')).toHaveLength(0);
    expect(live.room.snapshot(facilitator).progress.perFactor[0]).toBe(0);
    await send(live, ann, 'vote', { factor: 1, answer: 3 });
    expect(live.room.snapshot(facilitator).progress.perFactor[0]).toBe(1);
  });

  it('gives dots back however a point leaves the board, also when the first return was refused', async () => {
    const { live, join, store, sqlite } = await setup();
    const ann = await join('Ann');
    await toActions(live);
    await send(live, ann, 'action:create', { actionId: 'pointaaa', factor: 1 });
    await send(live, ann, 'action:create', { actionId: 'pointbbb', factor: 2 });
    await send(live, ann, 'dot:cast', { actionId: 'pointaaa', delta: 1 });
    await send(live, facilitator, 'dot:cast', { actionId: 'pointaaa', delta: 1 });
    // The point goes, but the store refuses to give the dots back: they stay spent, as stored.
    store.failWrites(2, ['setDots']);
    await send(live, facilitator, 'action:remove', { actionId: 'pointaaa' });
    // (The totals count only points on the board; the ledger still holds the two dots.)
    expect(live.room.actionBoard.dots.totals()).toEqual({});
    expect(live.room.actionBoard.dots.actionsWithDots()).toEqual(['pointaaa']);
    expect(live.room.actionBoard.ownDots('facilitator').remaining).toBe(LIMITS.defaultDots - 1);
    // The next change of the board, whatever it is, gives them back.
    await send(live, ann, 'action:update', { actionId: 'pointbbb', owner: 'Ann' });
    expect(live.room.actionBoard.dots.actionsWithDots()).toEqual([]);

    // A point gone with its dots still stored (an older database, a crash in between): returned at load.
    await send(live, ann, 'dot:cast', { actionId: 'pointbbb', delta: 1 });
    await send(live, ann, 'action:create', { actionId: 'pointccc', factor: 3 });
    // A merged part keeps its dot for the point it joined; removing that point takes the part off the board too.
    await send(live, facilitator, 'action:merge', { sourceId: 'pointbbb', targetId: 'pointccc' });
    expect(live.room.actionBoard.dots.totals()).toEqual({ pointccc: 1 });
    store.failWrites(1, ['setDots']);
    await send(live, facilitator, 'action:remove', { actionId: 'pointccc' });
    expect(live.room.actionBoard.dots.totals()).toEqual({});
    expect(live.room.actionBoard.dots.actionsWithDots()).toEqual(['pointbbb']);
    const again = await setup(await sqlite.serialize());
    const reloaded = (await again.registry.get(live.code))!;
    for (let turn = 0; turn < 100 && reloaded.room.actionBoard.dots.actionsWithDots().length > 0; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(reloaded.room.actionBoard.dots.actionsWithDots()).toEqual([]);
  });

  it('refuses a join that arrives while the lock of the door is still being written, and lets none in after it is acknowledged', async () => {
    const { live, join, store } = await setup();
    // Hold the settings write, as a slow disk or database would: the lock is in flight, not yet committed.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let writing = false;
    const write = store.inner.updateSession.bind(store.inner);
    store.inner.updateSession = async (id, patch) => {
      writing = true;
      await held;
      return write(id, patch);
    };
    const locking = send(live, facilitator, 'settings:update', { joinsLocked: true });
    for (let turn = 0; turn < 100 && !writing; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(writing).toBe(true);
    // A join now would otherwise commit after the lock and be in although the facilitator was told the door is shut.
    expect(await refusal(join('Late'))).toBe('joins_locked');
    release();
    await locking;
    expect(await refusal(join('Later'))).toBe('joins_locked');
    expect(live.room.summary()).toMatchObject({ participants: 0, joinsLocked: true });
  });

  it('a lock whose write fails leaves the door open', async () => {
    const { live, join, store } = await setup();
    store.failWrites(1, ['updateSession']);
    expect(await refusal(send(live, facilitator, 'settings:update', { joinsLocked: true }))).toBe('store_unavailable');
    await join('Welcome');
    expect(live.room.summary()).toMatchObject({ participants: 1, joinsLocked: false });
  });

  it('unloads ballots and board together under the one idle policy, and the unloaded copy serves no board', async () => {
    const { live, registry } = await setup(undefined, 1);
    await live.doc();
    for (let turn = 0; turn < 200 && (await registry.get(live.code)) === live; turn++) await new Promise((resolve) => setTimeout(resolve, 1));
    const reloaded = await registry.get(live.code);
    expect(reloaded).not.toBe(live);
    expect(reloaded?.code).toBe(live.code);
    expect(await refusal(live.doc())).toBe('not_found');
    registry.close();
  });
});
