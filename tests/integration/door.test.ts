/**
 * The facilitator controls the door (issue 20): locking joins (`settings:update` with
 * `joinsLocked`), removing many participants at once (`participants:remove` and its REST
 * twin), and the per-address bound on new participants. Real server, real socket.io clients.
 */
import { describe, expect, it } from 'vitest';
import { connectClient, connectRefused, waitFor } from '../helpers/clients';
import { startChildServer } from '../helpers/child-server';
import { FaultyStore } from '../helpers/faulty-store';
import { api, createSession, joinSession, makeDataDir, postJson, startServer, type ErrorBody } from '../helpers/server';
import { setupSession } from '../helpers/session';
import { LIMITS, type JoinSessionResponse, type RemovedParticipants, type SessionSummary } from '../../src/lib/protocol';
import { scaled } from '../helpers/patience';

const joinPath = (code: string) => `/api/sessions/${encodeURIComponent(code)}/participants`;
const removalsPath = (code: string) => `/api/sessions/${encodeURIComponent(code)}/participants/removals`;

/** `POST …/participants`, answering the status and the error code (if any), never failing the test by itself. */
async function tryJoin(url: string, code: string, name: string, headers: Record<string, string> = {}) {
  const response = await postJson<JoinSessionResponse & Partial<ErrorBody>>(url, joinPath(code), { name }, headers);
  return { status: response.status, code: response.body.error?.code ?? null, body: response.body };
}

describe('locking the door', () => {
  it('refuses new joins with 403 joins_locked while locked; rejoining with a token and people already in are unaffected; unlocking opens it again', async () => {
    const server = await startServer();
    const { code, facilitator, people } = await setupSession(server, { participants: 1 });
    const [inside] = people;

    const locked = await facilitator.send('settings:update', { joinsLocked: true });
    expect(locked.ok && locked.data.joinsLocked).toBe(true);
    // Everyone in the session hears it (the facilitator's other tabs, the participants' screens).
    await inside.client.waitForEvent('settings', (s) => s.joinsLocked);
    // The join page reads it from the public summary, before anyone types a name.
    expect((await api<SessionSummary>(server.url, `/api/sessions/${code}`)).body.joinsLocked).toBe(true);

    const refused = await tryJoin(server.url, code, 'Newcomer');
    expect([refused.status, refused.code]).toEqual([403, 'joins_locked']);
    expect(refused.body.error?.message).toMatch(/closed.*new participants/i);

    // Rejoining is a connection with the participant token, not a join: it still works.
    inside.client.close();
    const back = await connectClient(server.url, { code, token: inside.joined.participantToken });
    expect(back.snapshot.me).toMatchObject({ role: 'participant', id: inside.joined.participantId });
    expect((await back.state()).participantCount).toBe(1);

    const opened = await facilitator.send('settings:update', { joinsLocked: false });
    expect(opened.ok && opened.data.joinsLocked).toBe(false);
    expect((await tryJoin(server.url, code, 'Newcomer')).status).toBe(201);
    expect((await api<SessionSummary>(server.url, `/api/sessions/${code}`)).body.joinsLocked).toBe(false);
  });

  it('only the facilitator locks the door', async () => {
    const server = await startServer();
    const { code, people } = await setupSession(server, { participants: 1 });
    const ack = await people[0].client.send('settings:update', { joinsLocked: true });
    expect(ack.ok ? 'ok' : ack.error.code).toBe('forbidden');
    expect((await tryJoin(server.url, code, 'Still welcome')).status).toBe(201);
  });

  it(
    'keeps the lock through SIGKILL and a restart: it is part of the stored settings',
    async () => {
      const dataDir = await makeDataDir();
      const first = await startChildServer({ dataDir });
      const created = await createSession(first.url);
      const facilitator = await connectClient(first.url, { code: created.code, token: created.facilitatorToken });
      const ack = await facilitator.send('settings:update', { joinsLocked: true });
      expect(ack.ok).toBe(true);
      // Acknowledged, then killed without a chance to flush anything.
      await first.kill();
      facilitator.close();

      const second = await startChildServer({ dataDir });
      const refused = await tryJoin(second.url, created.code, 'After the restart');
      expect([refused.status, refused.code]).toEqual([403, 'joins_locked']);
      const again = await connectClient(second.url, { code: created.code, token: created.facilitatorToken });
      expect(again.snapshot.settings.joinsLocked).toBe(true);
      again.close();
    },
    scaled(60_000)
  );
});

describe('removing many participants at once', () => {
  it('removes exactly the named participants: their tokens stop working, counts and progress drop, the others stay', async () => {
    const server = await startServer();
    const { code, facilitator, people } = await setupSession(server, { participants: 2 });
    const puppets = await Promise.all(Array.from({ length: 40 }, (_, i) => joinSession(server.url, code, { name: `Puppet ${i}` })));
    const connectedPuppet = await connectClient(server.url, { code, token: puppets[0].participantToken });
    await facilitator.waitForEvent('participantCount', (n) => n === 42);

    const ack = await facilitator.send('participants:remove', { participantIds: puppets.map((p) => p.participantId) });
    if (!ack.ok) throw new Error(`participants:remove refused: ${ack.error.code}`);
    expect(new Set(ack.data.removed)).toEqual(new Set(puppets.map((p) => p.participantId)));
    expect(ack.data).toMatchObject({ notFound: [], participants: 2 });

    // The connected puppet is told and cut off; no puppet token opens the session any more.
    await connectedPuppet.waitForEvent('removed');
    for (const puppet of puppets.slice(0, 5)) {
      expect((await connectRefused(server.url, { code, token: puppet.participantToken })).code).toBe('unauthorized');
    }
    // Count and progress drop for everyone; the real participants are still in and connected.
    await people[0].client.waitForEvent('participantCount', (n) => n === 2);
    await facilitator.waitForEvent('progress', (p) => p.total === 2);
    const state = await facilitator.state();
    expect(state.participantCount).toBe(2);
    expect(state.participants!.map((p) => p.id).sort()).toEqual(people.map((p) => p.joined.participantId).sort());
    expect(people.every((p) => p.client.socket.connected)).toBe(true);
    // The facilitator's list was told about each one.
    expect(facilitator.events('participant:removed').length).toBe(40);

    // Repeating the request (a lost ack) is harmless: nothing left to remove.
    const repeat = await facilitator.send('participants:remove', { participantIds: [puppets[1].participantId] });
    expect(repeat.ok && repeat.data).toEqual({ removed: [], notFound: [puppets[1].participantId], participants: 2 });
  });

  it('bounds the ids per message with a typed error and removes nobody then; refuses participants and the presenter screen', async () => {
    const server = await startServer();
    const { code, facilitator, people, created } = await setupSession(server, { participants: 2 });
    const ids = Array.from({ length: LIMITS.removeBatchMax + 1 }, (_, i) => `id-${i}`);
    ids[0] = people[1].joined.participantId;
    const tooMany = await facilitator.send('participants:remove', { participantIds: ids });
    expect(tooMany.ok ? 'ok' : [tooMany.error.code, tooMany.error.details?.join()]).toEqual([
      'bad_request',
      expect.stringContaining(`at most ${LIMITS.removeBatchMax}`)
    ]);
    const empty = await facilitator.send('participants:remove', { participantIds: [] });
    expect(empty.ok ? 'ok' : empty.error.code).toBe('bad_request');

    const byParticipant = await people[0].client.send('participants:remove', { participantIds: [people[1].joined.participantId] });
    expect(byParticipant.ok ? 'ok' : byParticipant.error.code).toBe('forbidden');
    const presenter = await connectClient(server.url, { code, token: new URL(created.presenterUrl).hash.replace(/^#key=/, '') });
    const byPresenter = await presenter.send('participants:remove', { participantIds: [people[1].joined.participantId] });
    expect(byPresenter.ok ? 'ok' : byPresenter.error.code).toBe('forbidden');
    presenter.close();
    expect((await facilitator.state()).participantCount).toBe(2);
  });

  it('over REST with the facilitator token, by the same path; 401 without, 403 for a participant, 400 over the bound', async () => {
    const server = await startServer();
    const { code, facilitator, people, created } = await setupSession(server, { participants: 3 });
    const ids = people.slice(0, 2).map((p) => p.joined.participantId);
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    expect((await postJson(server.url, removalsPath(code), { participantIds: ids })).status).toBe(401);
    const asParticipant = await postJson<ErrorBody>(server.url, removalsPath(code), { participantIds: ids }, bearer(people[2].joined.participantToken));
    expect([asParticipant.status, asParticipant.body.error.code]).toEqual([403, 'forbidden']);
    const tooMany = await postJson<ErrorBody>(
      server.url,
      removalsPath(code),
      { participantIds: Array.from({ length: LIMITS.removeBatchMax + 1 }, (_, i) => `id-${i}`) },
      bearer(created.facilitatorToken)
    );
    expect([tooMany.status, tooMany.body.error.code]).toEqual([400, 'bad_request']);
    expect((await facilitator.state()).participantCount).toBe(3);

    const done = await postJson<RemovedParticipants>(server.url, removalsPath(code), { participantIds: ids }, bearer(created.facilitatorToken));
    expect(done.status).toBe(200);
    expect([new Set(done.body.removed), done.body.participants]).toEqual([new Set(ids), 1]);
    await people[0].client.waitForEvent('removed');
    await facilitator.waitForEvent('participantCount', (n) => n === 1);
    expect((await connectRefused(server.url, { code, token: people[1].joined.participantToken })).code).toBe('unauthorized');
  });

  it('a failed store write removes nobody and says so (store_unavailable); the retry removes them all', async () => {
    const dataDir = await makeDataDir();
    let faulty!: FaultyStore;
    const server = await startServer({ dataDir, wrapStore: (store) => (faulty = new FaultyStore(store)) });
    const { facilitator, people } = await setupSession(server, { participants: 4 });
    const ids = people.slice(0, 3).map((p) => p.joined.participantId);
    faulty.failWrites(1, ['removeParticipant']);
    const failed = await facilitator.send('participants:remove', { participantIds: ids });
    expect(failed.ok ? 'ok' : failed.error.code).toBe('store_unavailable');
    expect((await facilitator.state()).participantCount).toBe(4);
    expect(people.every((p) => p.client.socket.connected)).toBe(true);
    const retried = await facilitator.send('participants:remove', { participantIds: ids });
    expect(retried.ok && retried.data.removed.length).toBe(3);
    const loaded = await server.store.loadSession((await server.realtime.registry.get(people[3].client.snapshot.code))!.id);
    expect(loaded!.participants.map((p) => p.id)).toEqual([people[3].joined.participantId]);
  });
});

describe('new participants per address', () => {
  it('bounds new participants from one address per session (JOINS_PER_ADDRESS), never a rejoin, never another address or session', async () => {
    const server = await startServer({ joinsPerAddress: 5 });
    const { code, facilitator } = await setupSession(server);
    const other = await createSession(server.url);
    const nat = { 'x-forwarded-for': '203.0.113.50' };
    const statuses = [];
    const joined: JoinSessionResponse[] = [];
    for (let i = 0; i < 7; i++) {
      const result = await tryJoin(server.url, code, `Class ${i}`, nat);
      statuses.push(result.code ?? result.status);
      if (result.status === 201) joined.push(result.body);
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 'rate_limited', 'rate_limited']);
    // Everyone who got in can come back as often as they like.
    for (const person of joined.slice(0, 2)) {
      const client = await connectClient(server.url, { code, token: person.participantToken });
      client.close();
    }
    expect((await tryJoin(server.url, code, 'Elsewhere', { 'x-forwarded-for': '198.51.100.60' })).status).toBe(201);
    expect((await tryJoin(server.url, other.code, 'Next session', nat)).status).toBe(201);
    // A refused join (locked door) does not spend anyone's budget.
    await facilitator.send('settings:update', { joinsLocked: true });
    const fresh = { 'x-forwarded-for': '198.51.100.61' };
    for (let i = 0; i < 6; i++) expect((await tryJoin(server.url, code, `Knock ${i}`, fresh)).code).toBe('joins_locked');
    await facilitator.send('settings:update', { joinsLocked: false });
    expect((await tryJoin(server.url, code, 'Let in', fresh)).status).toBe(201);
  });
});

describe('attack: a flood of puppets', () => {
  it(
    'after a flood fills the session, the facilitator locks, removes the puppets in bulk, unlocks, and a real participant gets in',
    async () => {
      // Seen on main at 9d54b6f: 500 joins from one address in 4 s, then a real participant got session_full and the
      // facilitator could neither stop further joins nor remove the puppets other than one by one. Smaller here, same shape.
      const size = 150;
      const server = await startServer({ maxParticipants: size, joinsPerAddress: 0 });
      const { code, facilitator, people } = await setupSession(server, { participants: 1 });
      const flood = await Promise.all(Array.from({ length: size + 20 }, (_, i) => tryJoin(server.url, code, `bot${i}`)));
      const puppets = flood.filter((r) => r.status === 201).map((r) => r.body.participantId);
      expect(puppets.length).toBe(size - 1);
      expect(flood.filter((r) => r.code === 'session_full').length).toBe(21);
      expect((await tryJoin(server.url, code, 'Real person')).code).toBe('session_full');

      // The door first, so no new puppet takes a freed seat; then the puppets, LIMITS.removeBatchMax at a time.
      const lock = await facilitator.send('settings:update', { joinsLocked: true });
      expect(lock.ok).toBe(true);
      let removed = 0;
      for (let i = 0; i < puppets.length; i += LIMITS.removeBatchMax) {
        const ack = await facilitator.send('participants:remove', { participantIds: puppets.slice(i, i + LIMITS.removeBatchMax) });
        if (!ack.ok) throw new Error(`participants:remove refused: ${ack.error.code}`);
        removed += ack.data.removed.length;
        // Meanwhile the flood goes on, and is refused at the door.
        expect((await tryJoin(server.url, code, `late bot ${i}`)).code).toBe('joins_locked');
      }
      expect(removed).toBe(puppets.length);
      await waitFor(() => facilitator.events('participantCount').at(-1) === 1, { message: 'only the real participant left' });

      expect((await facilitator.send('settings:update', { joinsLocked: false })).ok).toBe(true);
      const real = await tryJoin(server.url, code, 'Real person');
      expect(real.status).toBe(201);
      const state = await facilitator.state();
      expect(state.participants!.map((p) => p.name).sort()).toEqual([people[0].joined.name, 'Real person'].sort());
    },
    scaled(60_000)
  );
});
