/**
 * A network cut between one instance and PostgreSQL: no FIN, no error, the
 * packets just stop (a switch failing, a firewall change). PostgreSQL frees that
 * instance's leases once its keepalive probes go unanswered; before that, the
 * instance itself must notice the silence and give its rooms up, or its people
 * would go on in a room that another instance may load too (docs/scaling.md).
 * The cut is a relay on loopback between the instance and PostgreSQL that stops
 * passing bytes while keeping every connection open (tests/helpers/relay.ts), and
 * that delivers what waited once the link heals: then a write the cut-off instance
 * had queued reaches PostgreSQL late, and fencing must keep it from landing over
 * what the next owner acknowledged (docs/scaling.md).
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { io } from 'socket.io-client';
import { PROTOCOL_VERSION, SOCKET_PATH, type Answer, type CreateCommunityResponse } from '../../src/lib/protocol';
import { addPoint } from '../helpers/board';
import { advance } from '../helpers/session';
import { connectFacilitator, connectParticipant, waitFor, type BoardClient } from '../helpers/clients';
import { startInstance } from '../helpers/child-server';
import { History } from '../helpers/history';
import { makeDatabase, pgAdminUrl } from '../helpers/pg-test';
import { adminQuery } from '../helpers/postgres';
import { startRelay } from '../helpers/relay';
import { createSessionAt, joinSession, postJson } from '../helpers/server';
import { scaled } from '../helpers/patience';
import { sharedByFile } from '../helpers/file-scope';

const suite = pgAdminUrl() ? describe : describe.skip;

/**
 * For the tests that cut an instance off: it checks its lease connection and gives up after a silence a quarter of
 * the defaults (2 s, 5 s), grown with the machine's load, so these tests wait for the hand-over they are about rather
 * than for production's timers. The ratio stays (silence = 2.5 heartbeats), and PostgreSQL's side is ended by the
 * tests themselves. Only the instance that is cut off: the others, and the burst test (about what production takes
 * for a cut), keep the defaults.
 */
const QUICK_LEASES = { LEASE_HEARTBEAT_MS: String(scaled(500)), LEASE_TIMEOUT_MS: String(scaled(1250)) };

suite('a network cut between an instance and PostgreSQL', () => {
  /**
   * The database and the instance that takes sessions over, for the tests that cut an instance off: started once for
   * the file. Each of those tests starts its own cut-off instance (behind its own relay) and keeps to its own sessions.
   */
  const shared = sharedByFile('the instance that takes over', async () => {
    const databaseUrl = await makeDatabase();
    return { databaseUrl, taker: await startInstance(databaseUrl) };
  });

  it(
    'the cut-off instance gives its rooms up by itself (its people reconnect), and another instance carries the session once PostgreSQL freed the lease',
    async () => {
      const { databaseUrl, taker: other } = shared();
      const pgUrl = new URL(databaseUrl);
      const relay = await startRelay(Number(pgUrl.port));
      const throughRelay = new URL(databaseUrl);
      throughRelay.port = String(relay.port);
      const cutOff = await startInstance(throughRelay.toString(), { env: QUICK_LEASES });
      const created = await createSessionAt(cutOff.url, { title: 'Cut' });
      const socket = io(cutOff.url, {
        path: SOCKET_PATH,
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        auth: { code: created.code, token: created.facilitatorToken, protocolVersion: PROTOCOL_VERSION },
        query: { code: created.code }
      });
      onTestFinished(() => void socket.disconnect());
      await waitFor(() => socket.connected, { message: 'connected to the instance' });
      let reason = '';
      socket.on('disconnect', (r) => (reason = r));

      relay.cut();
      // The instance hears nothing from PostgreSQL any more; it must hand the room over on its own.
      await waitFor(() => reason !== '', { timeout: 20_000, message: 'the room handed over by the cut-off instance' });
      expect(reason).toBe('io server disconnect');
      expect(cutOff.output()).toContain('every session here is given up');

      // PostgreSQL's keepalive probes end the silent connections (here: at once, by ending the relay's side).
      for (const s of relay.upstreamSockets()) s.destroy();
      const joined = await waitFor(
        async () => {
          const response = await postJson<{ participantToken: string }>(other.url, `/api/sessions/${created.code}/participants`, { name: 'Elsewhere' });
          return response.status === 201 ? response.body : null;
        },
        { timeout: 20_000, interval: 200, message: 'the session served by the other instance' }
      );
      expect(joined.participantToken).toBeTruthy();
    },
    scaled(60_000)
  );

  it(
    'a burst of requests on a slow database link is not taken for a cut: the instance keeps its rooms',
    async () => {
      const databaseUrl = await makeDatabase();
      // 20 ms each way to PostgreSQL, as across a data centre: every query on the one lease connection costs 40 ms.
      const relay = await startRelay(Number(new URL(databaseUrl).port), 20);
      const slowUrl = new URL(databaseUrl);
      slowUrl.port = String(relay.port);
      // The defaults' ratio (silence = 2.5 heartbeats), grown with the load: at load 30 on two cores the instance's own
      // heartbeat starved past 5 s, which is the machine, not the burst this test is about.
      const patientLeases = { LEASE_HEARTBEAT_MS: String(scaled(2_000)), LEASE_TIMEOUT_MS: String(scaled(5_000)) };
      const start = (url: string) => startInstance(url, { env: patientLeases });
      const [a, b] = await Promise.all([start(databaseUrl), start(slowUrl.toString())]);
      const elsewhere = await createSessionAt(a.url, { title: 'On a' });
      const here = await createSessionAt(b.url, { title: 'On b' });
      const socket = io(b.url, {
        path: SOCKET_PATH,
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        auth: { code: here.code, token: here.facilitatorToken, protocolVersion: PROTOCOL_VERSION },
        query: { code: here.code }
      });
      onTestFinished(() => void socket.disconnect());
      await waitFor(() => socket.connected, { message: 'connected to b' });
      let reason = '';
      socket.on('disconnect', (r) => (reason = r));

      // 600 requests at once about a session a owns, all arriving at b (each must find out where the session is).
      const statuses = await Promise.all(
        Array.from({ length: 600 }, () =>
          fetch(`${b.url}/api/sessions/${elsewhere.code}/nothing`).then(
            async (r) => (await r.arrayBuffer(), r.status),
            () => 0
          )
        )
      );
      expect(statuses.filter((s) => s === 404).length).toBeGreaterThan(0);
      // Still connected, nothing given up (a queue taken for silence would have ended the room during the burst).
      expect(reason).toBe('');
      expect(b.output()).not.toContain('every session here is given up');
    },
    scaled(90_000)
  );

  it(
    'a write queued on the cut-off instance never lands after another instance took the session over: what is stored is the history of what was acknowledged',
    async () => {
      const { databaseUrl, taker } = shared();
      const relay = await startRelay(Number(new URL(databaseUrl).port));
      const throughRelay = new URL(databaseUrl);
      throughRelay.port = String(relay.port);
      const cutOff = await startInstance(throughRelay.toString(), { env: QUICK_LEASES });
      const created = await createSessionAt(cutOff.url, { title: 'Split brain' });
      const { participantToken } = await joinSession(cutOff.url, created.code, { name: 'Voter' });
      const code = created.code.replace(/[^A-Z0-9]/g, '');
      const history = new History();
      const acked = (ack: { ok: boolean } | null) => ack?.ok === true;
      const vote = (client: BoardClient, factor: number, answer: Answer) =>
        history.run(`vote ${factor}`, answer, () => client.send('vote', { factor, answer }), acked);
      const phase = (client: BoardClient, to: 'voting' | 'revealed') => history.run('phase', to, () => client.send('phase:set', { phase: to }), acked);

      const facilitator = await connectFacilitator(cutOff.url, created.code, created.facilitatorToken);
      const voter = await connectParticipant(cutOff.url, created.code, participantToken);
      expect(acked(await phase(facilitator, 'voting'))).toBe(true);
      expect(acked(await vote(voter, 1, 3))).toBe(true);
      expect(acked(await vote(voter, 2, 4))).toBe(true);

      relay.cut();
      // Sent while the instance can no longer reach PostgreSQL: queued in its store, never acknowledged.
      const stale = [vote(voter, 1, 5), vote(voter, 3, 1), phase(facilitator, 'revealed')];
      // The instance hears nothing from PostgreSQL any more and gives its rooms up by itself.
      await waitFor(() => !voter.socket.connected && !facilitator.socket.connected, {
        timeout: 20_000,
        message: 'the cut-off instance handing its rooms over'
      });
      expect((await Promise.all(stale)).some(acked)).toBe(false);
      // PostgreSQL's keepalive ends the silent lease connection (here at once), which frees the lease; the instance's pool
      // connections stay open on the server, as they do when only the lease connection's probes went unanswered.
      await adminQuery(
        databaseUrl,
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'seeds-leases ${cutOff.url}' AND datname = current_database()`
      );

      // The other instance takes the session over; what it serves is what it acknowledges as the state from now on.
      const voterThere = await waitFor(() => connectParticipant(taker.url, created.code, participantToken).catch(() => null), {
        timeout: 30_000,
        interval: 200,
        message: 'the session served by the other instance'
      });
      const seen = await voterThere.state();
      history.observed('phase', seen.phase);
      for (const factor of [1, 2, 3]) history.observed(`vote ${factor}`, seen.myBallot?.[factor]?.answer);
      expect(acked(await vote(voterThere, 1, 2))).toBe(true);

      // The link heals: whatever the cut-off instance still had on its way reaches PostgreSQL now.
      relay.heal();
      const stored = async () => {
        const { rows } = await adminQuery(
          databaseUrl,
          `SELECT s.phase, a.factor, a.answer FROM sessions s LEFT JOIN answers a ON a.session_id = s.id AND a.round = 1 WHERE s.code = '${code}'`
        );
        const state = new Map<string, unknown>([['phase', rows[0].phase]]);
        for (const row of rows) if (row.factor !== null) state.set(`vote ${row.factor}`, row.answer === 'unknown' ? 'unknown' : Number(row.answer));
        return state;
      };
      // Each stale write ends one way or the other: refused at the cut-off instance (it says so), or landed in PostgreSQL.
      await waitFor(
        async () => {
          const state = await stored();
          const landed = [state.get('vote 1') === 5, state.get('vote 3') === 1, state.get('phase') === 'revealed'].filter(Boolean).length;
          const refused = cutOff.output().split('failed; nothing was changed').length - 1;
          return landed + refused >= stale.length;
        },
        { timeout: 30_000, interval: 100, message: 'every stale write refused or landed' }
      );
      expect(history.check(await stored())).toEqual([]);
      // And the session goes on at its new owner.
      expect(acked(await vote(voterThere, 2, 1))).toBe(true);
      expect(history.check(await stored())).toEqual([]);
    },
    scaled(120_000)
  );

  it(
    'a review decision queued on the cut-off instance never lands over the one the next owner acknowledged',
    async () => {
      const { databaseUrl, taker } = shared();
      const relay = await startRelay(Number(new URL(databaseUrl).port));
      const throughRelay = new URL(databaseUrl);
      throughRelay.port = String(relay.port);
      const cutOff = await startInstance(throughRelay.toString(), { env: QUICK_LEASES });
      const community = await postJson<CreateCommunityResponse>(cutOff.url, '/api/communities', { name: 'Harbour', language: 'en' });
      expect(community.status, community.text).toBe(201);
      const bearer = { authorization: `Bearer ${community.body.communityToken}` };
      // An earlier session of the community leaves an open action point; the next session reviews it.
      const first = await createSessionAt(cutOff.url, { community: community.body.id, title: 'First' }, bearer);
      const firstHost = await connectFacilitator(cutOff.url, first.code, first.facilitatorToken);
      await advance(firstHost, 'voting', 'revealed', 'actions');
      await addPoint(firstHost, 3, 'Plan a site visit');
      await advance(firstHost, 'closed');
      firstHost.close();
      const second = await createSessionAt(cutOff.url, { community: community.body.id, title: 'Second' }, bearer);
      const host = await connectFacilitator(cutOff.url, second.code, second.facilitatorToken);
      const key = host.snapshot.review![0].key;
      const history = new History();
      const acked = (ack: { ok: boolean } | null) => ack?.ok === true;
      const decide = (client: BoardClient, status: 'doing' | 'done' | 'dropped') =>
        history.run('review', status, () => client.send('review:set', { key, status }), acked);
      expect(acked(await decide(host, 'doing'))).toBe(true);

      relay.cut();
      const stale = decide(host, 'done');
      await waitFor(() => !host.socket.connected, { timeout: 20_000, message: 'the cut-off instance handing its rooms over' });
      expect(acked(await stale)).toBe(false);
      await adminQuery(
        databaseUrl,
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'seeds-leases ${cutOff.url}' AND datname = current_database()`
      );

      const hostThere = await waitFor(() => connectFacilitator(taker.url, second.code, second.facilitatorToken).catch(() => null), {
        timeout: 30_000,
        interval: 200,
        message: 'the session served by the other instance'
      });
      history.observed('review', (await hostThere.state()).review!.find((item) => item.key === key)?.review ?? undefined);
      expect(acked(await decide(hostThere, 'dropped'))).toBe(true);

      relay.heal();
      const stored = async () => {
        const { rows } = await adminQuery(
          databaseUrl,
          `SELECT r.status FROM action_reviews r JOIN sessions s ON s.id = r.reviewing_session_id WHERE s.code = '${second.code.replace(/[^A-Z0-9]/g, '')}'`
        );
        return new Map<string, unknown>([['review', rows[0]?.status]]);
      };
      // Refused by the store: its read (the room checks the earlier session first) or its write failed on the cut link.
      await waitFor(async () => (await stored()).get('review') === 'done' || cutOff.output().includes('failed; nothing was changed'), {
        timeout: 30_000,
        interval: 100,
        message: 'the stale review decision refused or landed'
      });
      expect(history.check(await stored())).toEqual([]);
    },
    scaled(120_000)
  );
});
