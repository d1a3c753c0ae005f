/**
 * Store first, then memory: with a store whose writes fail on demand (the real
 * SQLite store behind a switch, tests/helpers/faulty-store.ts), every command
 * whose write fails is answered `store_unavailable`, nobody is shown the
 * change, and after a restart on the same data the session is exactly what
 * people were shown.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { RunningServer } from '../../server/app';
import type { Ack, SessionSnapshot } from '../../src/lib/protocol';
import { connectFacilitator, connectParticipant, waitFor, type BoardClient } from '../helpers/clients';
import { FaultyStore } from '../helpers/faulty-store';
import { api, makeDataDir, postJson, startServer } from '../helpers/server';
import { advance, castBallot, setupSession, type TestSession } from '../helpers/session';
import { SQLITE_FILE_TESTS } from '../helpers/pg-test';

interface Fixture {
  server: RunningServer;
  faulty: FaultyStore;
  dataDir: string;
  session: TestSession;
}

async function fixture(participants = 2, { named = false } = {}): Promise<Fixture> {
  const dataDir = await makeDataDir();
  let faulty: FaultyStore | null = null;
  const server = await startServer({ dataDir, wrapStore: (store) => (faulty = new FaultyStore(store)) });
  const session = await setupSession(server, { participants, ...(named ? { create: { anonymous: false } } : {}) });
  return { server, faulty: faulty!, dataDir, session };
}

/** What a snapshot shows, without presence (which a restart resets). */
function shown(snapshot: SessionSnapshot) {
  return {
    phase: snapshot.phase,
    round: snapshot.round,
    votingDeadline: snapshot.votingDeadline,
    settings: snapshot.settings,
    participantCount: snapshot.participantCount,
    participants: snapshot.participants?.map(({ id, name, group, answered }) => ({ id, name, group, answered })) ?? null,
    progress: snapshot.progress,
    results: snapshot.results,
    myBallot: snapshot.myBallot,
    dots: snapshot.dots,
    actions: snapshot.actions
  };
}

function expectRefused(ack: Ack<unknown>): void {
  expect(ack.ok).toBe(false);
  if (!ack.ok) expect(ack.error.code).toBe('store_unavailable');
}

/** Counts of the events each client has received so far, to check that a refused command sent nobody anything. */
function eventCounts(clients: BoardClient[]): number[] {
  return clients.map((c) => c.received.length);
}

/**
 * Takes what everyone sees now, restarts the server on the same data, and
 * checks that each person sees the same again.
 */
async function expectRestartShowsTheSame(f: Fixture): Promise<void> {
  const before = await Promise.all([f.session.facilitator.state(), ...f.session.people.map((p) => p.client.state())]);
  f.session.facilitator.close();
  for (const p of f.session.people) p.client.close();
  await f.server.close();
  const again = await startServer({ dataDir: f.dataDir });
  const facilitator = await connectFacilitator(again.url, f.session.code, f.session.created.facilitatorToken);
  const after = [await facilitator.state()];
  facilitator.close();
  for (const person of f.session.people) {
    const client = await connectParticipant(again.url, f.session.code, person.joined.participantToken);
    after.push(await client.state());
    client.close();
  }
  expect(after.map(shown)).toEqual(before.map(shown));
}

describe('a failed store write changes nothing anybody sees', () => {
  it('reveal: refused, no results shown, still voting after a restart', async () => {
    const f = await fixture();
    const { facilitator, people } = f.session;
    await advance(facilitator, 'voting');
    await castBallot(people[0].client, { 1: 4, 2: 2 });
    await castBallot(people[1].client, { 1: 5 });
    const counts = eventCounts(people.map((p) => p.client));

    f.faulty.failWrites(1, ['updateSession']);
    expectRefused(await facilitator.send('phase:set', { phase: 'revealed' }));
    // A round trip later, nobody has been sent a phase or results.
    for (const person of people) expect((await person.client.state()).phase).toBe('voting');
    people.forEach((p, i) => expect(p.client.received.slice(counts[i]).filter((r) => r.event === 'phase' || r.event === 'results')).toEqual([]));
    const state = await facilitator.state();
    expect(state.phase).toBe('voting');
    expect(state.results).toEqual([]);
    await expectRestartShowsTheSame(f);
  });

  it('reveal after a failed one works once the store does', async () => {
    const f = await fixture(1);
    await advance(f.session.facilitator, 'voting');
    await castBallot(f.session.people[0].client, { 3: 3 });
    f.faulty.failWrites(1, ['updateSession']);
    expectRefused(await f.session.facilitator.send('phase:set', { phase: 'revealed' }));
    await advance(f.session.facilitator, 'revealed');
    expect((await f.session.people[0].client.state()).results).toHaveLength(1);
    await expectRestartShowsTheSame(f);
  });

  it('new round and close: refused, the round and phase stay as stored', async () => {
    const f = await fixture();
    const { facilitator, people } = f.session;
    await advance(facilitator, 'voting');
    await castBallot(people[0].client, { 1: 2 });
    await advance(facilitator, 'revealed');
    f.faulty.failWrites(1, ['updateSession']);
    expectRefused(await facilitator.send('phase:set', { phase: 'voting' }));
    expect(await people[0].client.state()).toMatchObject({ phase: 'revealed', round: 1 });
    f.faulty.failWrites(1, ['updateSession']);
    expectRefused(await facilitator.send('phase:set', { phase: 'closed' }));
    expect((await people[1].client.state()).phase).toBe('revealed');
    await expectRestartShowsTheSame(f);
  });

  it('join: answered 503 store_unavailable, and no ghost participant', async () => {
    const f = await fixture(1);
    const { facilitator, code } = f.session;
    const counts = eventCounts([facilitator]);
    f.faulty.failWrites(1, ['addParticipant']);
    const response = await postJson<{ error: { code: string } }>(f.server.url, `/api/sessions/${code}/participants`, { name: 'Ghost' });
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('store_unavailable');
    const state = await facilitator.state();
    expect(state.participantCount).toBe(1);
    expect(state.participants!.map((p) => p.name)).toEqual(['P1']);
    const later = facilitator.received.slice(counts[0]);
    expect(later.filter((r) => (r.event === 'participant' && (r.args[0] as { name: string }).name === 'Ghost') || r.event === 'participantCount')).toEqual([]);
    expect((await api<{ participants: number }>(f.server.url, `/api/sessions/${code}`)).body.participants).toBe(1);
    await expectRestartShowsTheSame(f);
  });

  it('a refused join does not hold a place: the session can still fill up to its limit', async () => {
    const dataDir = await makeDataDir();
    let faulty: FaultyStore | null = null;
    const server = await startServer({ dataDir, maxParticipants: 1, wrapStore: (store) => (faulty = new FaultyStore(store)) });
    const session = await setupSession(server);
    faulty!.failWrites(1, ['addParticipant']);
    expect((await postJson(server.url, `/api/sessions/${session.code}/participants`, { name: 'A' })).status).toBe(503);
    expect((await postJson(server.url, `/api/sessions/${session.code}/participants`, { name: 'B' })).status).toBe(201);
    expect((await postJson(server.url, `/api/sessions/${session.code}/participants`, { name: 'C' })).status).toBe(409);
  });

  it('vote: refused, the ballot and everyone’s progress stay as stored', async () => {
    // Named: only there does the facilitator see per-person counts (docs/privacy.md).
    const f = await fixture(2, { named: true });
    const { facilitator, people } = f.session;
    await advance(facilitator, 'voting');
    await castBallot(people[0].client, { 1: 2 });
    const progressBefore = (await facilitator.state()).progress;

    f.faulty.failWrites(2, ['saveAnswer']);
    expectRefused(await people[0].client.send('vote', { factor: 1, answer: 5, comment: 'changed my mind' }));
    expectRefused(await people[1].client.send('vote', { factor: 2, answer: 3 }));
    expect((await people[0].client.state()).myBallot).toEqual({ 1: { answer: 2, comment: null } });
    expect((await people[1].client.state()).myBallot).toEqual({});
    const facilitatorState = await facilitator.state();
    expect(facilitatorState.progress).toEqual(progressBefore);
    expect(facilitatorState.participants!.map((p) => p.answered)).toEqual([1, 0]);
    await expectRestartShowsTheSame(f);
  });

  it('settings: refused, nobody is sent the new settings', async () => {
    const f = await fixture(1);
    const { facilitator, people } = f.session;
    const before = (await facilitator.state()).settings;
    const counts = eventCounts([people[0].client]);
    f.faulty.failWrites(1, ['updateSession']);
    expectRefused(await facilitator.send('settings:update', { dotsPerPerson: 9 }));
    expect((await people[0].client.state()).settings).toEqual(before);
    expect(people[0].client.received.slice(counts[0]).filter((r) => r.event === 'settings')).toEqual([]);
    await expectRestartShowsTheSame(f);
  });

  it('remove participant: refused, they stay in, connected, and can still vote', async () => {
    const f = await fixture();
    const { facilitator, people } = f.session;
    await advance(facilitator, 'voting');
    f.faulty.failWrites(1, ['removeParticipant']);
    expectRefused(await facilitator.send('participant:remove', { participantId: people[1].joined.participantId }));
    expect((await facilitator.state()).participants!.map((p) => p.id)).toEqual(people.map((p) => p.joined.participantId));
    expect(people[1].client.received.filter((r) => r.event === 'removed')).toEqual([]);
    expect(people[1].client.socket.connected).toBe(true);
    expect((await people[1].client.send('vote', { factor: 1, answer: 3 })).ok).toBe(true);
    await expectRestartShowsTheSame(f);
  });

  it('dots: refused, the dot is neither spent nor shown', async () => {
    const f = await fixture();
    const { facilitator, people } = f.session;
    await advance(facilitator, 'voting', 'revealed', 'actions');
    const actionId = 'point-one';
    expect((await people[0].client.send('action:create', { actionId, factor: 1, text: 'Write it down' })).ok).toBe(true);
    expect((await people[0].client.send('dot:cast', { actionId, delta: 1 })).ok).toBe(true);
    const before = await people[0].client.state();
    expect(before.dots.mine).toEqual({ [actionId]: 1 });
    const counts = eventCounts([people[1].client, people[0].client]);

    f.faulty.failWrites(1, ['setDots']);
    expectRefused(await people[0].client.send('dot:cast', { actionId, delta: 1 }));
    f.faulty.failWrites(1, ['setDots']);
    expectRefused(await people[0].client.send('dot:cast', { actionId, delta: -1 }));
    expect((await people[0].client.state()).dots).toEqual(before.dots);
    expect((await people[1].client.state()).dots.totals).toEqual({ [actionId]: 1 });
    expect(people[1].client.received.slice(counts[0]).filter((r) => r.event === 'dots' || r.event === 'dotTotals')).toEqual([]);
    // Each client's events from its own count (people[1]'s count would cut people[0]'s list at the wrong place).
    expect(people[0].client.received.slice(counts[1]).filter((r) => r.event === 'dots')).toEqual([]);
    await expectRestartShowsTheSame(f);
  });

  it('action board: a change that could not be stored is refused, shown to nobody, and gone after a restart', async () => {
    const f = await fixture();
    const { facilitator, people } = f.session;
    await advance(facilitator, 'voting', 'revealed', 'actions');
    expect((await people[0].client.send('action:create', { actionId: 'point-kept', factor: 1 })).ok).toBe(true);
    expect((await people[0].client.send('dot:cast', { actionId: 'point-kept', delta: 1 })).ok).toBe(true);
    // The dot's coalesced totals have arrived before counting what comes after.
    await waitFor(() => people[1].client.received.some((r) => r.event === 'dotTotals' && JSON.stringify(r.args[0]) === '{"point-kept":1}'), {
      message: 'the totals of the dot'
    });
    const before = await facilitator.state();
    const counts = eventCounts([people[1].client]);
    f.faulty.failWrites(1, ['saveActionPoints']);
    expectRefused(await people[0].client.send('action:create', { actionId: 'point-lost', factor: 2 }));
    f.faulty.failWrites(1, ['saveActionPoints']);
    expectRefused(await people[0].client.send('action:update', { actionId: 'point-kept', owner: 'Nobody' }));
    f.faulty.failWrites(1, ['saveActionPoints']);
    expectRefused(await facilitator.send('action:remove', { actionId: 'point-kept' }));
    const after = await facilitator.state();
    expect(after.actions).toEqual(before.actions);
    expect(after.dots).toEqual(before.dots);
    expect(people[1].client.received.slice(counts[0]).filter((r) => r.event === 'actions' || r.event === 'dotTotals')).toEqual([]);
    // The same id can be created afterwards: nothing of the refused one stayed behind.
    expect((await people[0].client.send('action:create', { actionId: 'point-lost', factor: 2 })).ok).toBe(true);
    await expectRestartShowsTheSame(f);
  });

  it('delete: refused, the session stays', async () => {
    const f = await fixture(1);
    f.faulty.failWrites(1, ['deleteSession']);
    expectRefused(await f.session.facilitator.send('session:delete', { confirm: true }));
    expect((await api(f.server.url, `/api/sessions/${f.session.code}`)).status).toBe(200);
    expect(f.session.people[0].client.received.filter((r) => r.event === 'session:deleted')).toEqual([]);
    f.faulty.failWrites(1, ['deleteSession']);
    const rest = await api<{ error: { code: string } }>(f.server.url, `/api/sessions/${f.session.code}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${f.session.created.facilitatorToken}` }
    });
    expect(rest.status).toBe(503);
    expect(rest.body.error.code).toBe('store_unavailable');
    await expectRestartShowsTheSame(f);
  });

  it('create: a session whose write failed does not exist', async () => {
    let faulty: FaultyStore | null = null;
    const server = await startServer({ wrapStore: (store) => (faulty = new FaultyStore(store)) });
    faulty!.failWrites(1, ['createSession']);
    const response = await postJson<{ error: { code: string } }>(server.url, '/api/sessions', {});
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('store_unavailable');
    expect(await server.store.countLiveSessions()).toBe(0);
  });

  it('keeps the order of writes: an answer and a reveal sent together land in that order, in memory as on disk', async () => {
    const f = await fixture(1);
    const { facilitator, people } = f.session;
    await advance(facilitator, 'voting');
    // Which arrives first is up to the network; whichever did, memory must match the disk.
    const [, reveal] = await Promise.all([people[0].client.send('vote', { factor: 4, answer: 1 }), facilitator.send('phase:set', { phase: 'revealed' })]);
    expect(reveal.ok).toBe(true);
    await expectRestartShowsTheSame(f);
  });
});

/** Mounts a small tmpfs (needs root; the test is skipped where mounting is not allowed). */
function mountTmpfs(megabytes: number): string | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seeds-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

const probeMount = mountTmpfs(1);
if (probeMount) {
  execFileSync('umount', [probeMount]);
  fs.rmSync(probeMount, { recursive: true, force: true });
}

describe.skipIf(!probeMount || !SQLITE_FILE_TESTS)('a full disk (a real tmpfs that runs out of space)', () => {
  it('refuses the reveal with store_unavailable, /healthz says 503, and after freeing space and a restart the session is as shown', async () => {
    const dataDir = mountTmpfs(4)!;
    onTestFinished(() => {
      execFileSync('umount', ['-l', dataDir]);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    const server = await startServer({ dataDir });
    const session = await setupSession(server, { participants: 2 });
    await advance(session.facilitator, 'voting');
    await castBallot(session.people[0].client, { 1: 4, 2: 5 });
    // Fill the disk, then write until the store's own files cannot grow any more.
    const filler = path.join(dataDir, 'filler');
    try {
      fs.writeFileSync(filler, Buffer.alloc(8 * 2 ** 20));
    } catch {
      // ENOSPC: the file holds what fitted
    }
    let refused: Ack<unknown> | null = null;
    for (let i = 0; i < 200 && !refused; i++) {
      const ack = await session.people[1].client.send('vote', { factor: (i % 12) + 1, answer: 3, comment: 'x'.repeat(400) + i });
      if (!ack.ok) refused = ack;
    }
    expect(refused).not.toBeNull();
    expectRefused(refused!);
    expectRefused(await session.facilitator.send('phase:set', { phase: 'revealed' }));
    expect((await session.people[0].client.state()).phase).toBe('voting');
    await waitFor(async () => (await api(server.url, '/healthz')).status === 503, { timeout: 10_000, interval: 100, message: '/healthz 503 on a full disk' });

    fs.rmSync(filler);
    await waitFor(async () => (await api(server.url, '/healthz')).status === 200, {
      timeout: 10_000,
      interval: 100,
      message: '/healthz 200 after freeing space'
    });
    await expectRestartShowsTheSame({ server, faulty: null as unknown as FaultyStore, dataDir, session });
  });
});
