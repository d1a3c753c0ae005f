/**
 * Two instances on one PostgreSQL behind a real nginx (docs/deploy/nginx-cluster.conf),
 * as child processes (so one can be SIGKILLed): participants of one session on
 * different instances see one consistent session (votes, presence, phases, reveal,
 * board edits), because every connection ends in the room of the instance holding
 * the session's lease; then the owner is killed in the middle of voting and editing,
 * clients reconnect through the proxy, the survivor carries the session on, and
 * every acknowledged write is there (docs/scaling.md).
 */
import { describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION, SOCKET_PATH, type Ack, type SessionSnapshot } from '../../src/lib/protocol';
import { addPoint, textIn } from '../helpers/board';
import { connectClient, connectYjs, waitFor, type BoardClient } from '../helpers/clients';
import { startInstance, type ChildServer } from '../helpers/child-server';
import { NGINX, startNginxCluster } from '../helpers/nginx';
import { makeDatabase, pgAdminUrl } from '../helpers/pg-test';
import { adminQuery } from '../helpers/postgres';
import { createSession, createSessionAt, joinSession } from '../helpers/server';
import { History } from '../helpers/history';
import { scaled } from '../helpers/patience';

const suite = pgAdminUrl() && NGINX ? describe : describe.skip;

function instances(databaseUrl: string): Promise<[ChildServer, ChildServer]> {
  return Promise.all([startInstance(databaseUrl), startInstance(databaseUrl)]);
}

/** The instance URL holding a session's lease, as PostgreSQL records it. */
async function ownerOf(databaseUrl: string, code: string): Promise<string | null> {
  const { rows } = await adminQuery(
    databaseUrl,
    `SELECT o.instance_url FROM session_owners o JOIN sessions s ON s.id = o.session_id WHERE s.code = '${code.replace(/[^A-Z0-9]/g, '')}'`
  );
  return (rows[0]?.instance_url as string | undefined) ?? null;
}

/** A participant's socket that reconnects by itself (as the browser's does), through `url`. */
function reconnecting(url: string, code: string, token: string): { socket: Socket; snapshots: SessionSnapshot[] } {
  const socket = io(url, {
    path: SOCKET_PATH,
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    auth: { code, token, protocolVersion: PROTOCOL_VERSION },
    query: { code }
  });
  const snapshots: SessionSnapshot[] = [];
  socket.on('state', (s: SessionSnapshot) => snapshots.push(s));
  // As the browser's SessionConnection: a server that closes the connection (draining, handing a session over) is reconnected to.
  socket.on('disconnect', (reason) => {
    if (reason === 'io server disconnect') socket.connect();
  });
  return { socket, snapshots };
}

suite('two instances behind nginx', () => {
  it(
    'people of one session on different instances share one session: votes, presence, phases, reveal and board edits',
    async () => {
      const databaseUrl = await makeDatabase();
      const [a, b] = await instances(databaseUrl);
      const proxy = await startNginxCluster([a.port, b.port]);
      const created = await createSession(proxy.url, { title: 'Across instances' });
      // Nobody holds a new session of several instances until its first request: it goes where that lands (docs/scaling.md).
      expect(await ownerOf(databaseUrl, created.code)).toBe(null);

      // The facilitator on one instance, each participant on a different one: whatever the owner, someone is forwarded.
      const facilitator = await connectClient(a.url, { code: created.code, token: created.facilitatorToken });
      expect(await ownerOf(databaseUrl, created.code)).toBe(a.url);
      const people: BoardClient[] = [];
      for (const [i, url] of [a.url, b.url, proxy.url].entries()) {
        const joined = await joinSession(url, created.code, { name: `P${i + 1}` });
        people.push(await connectClient(url, { code: created.code, token: joined.participantToken }));
      }
      await facilitator.waitForEvent('participantCount', (n) => n === 3);
      expect((await facilitator.state()).participants!.filter((p) => p.connected).length).toBe(3);

      expect((await facilitator.send('phase:set', { phase: 'voting' })).ok).toBe(true);
      for (const person of people) await person.waitForEvent('phase', (p) => p.phase === 'voting');
      for (const [i, person] of people.entries()) {
        const acks = await Promise.all(Array.from({ length: 12 }, (_, f) => person.send('vote', { factor: f + 1, answer: (((i + f) % 5) + 1) as 1 })));
        expect(acks.every((ack) => ack.ok)).toBe(true);
      }
      await facilitator.waitForEvent('progress', (p) => p.voted === 3);
      expect((await facilitator.send('phase:set', { phase: 'revealed' })).ok).toBe(true);
      const seen = await Promise.all(people.map((p) => p.waitForEvent('results', (r) => r.length === 1)));
      for (const results of seen) expect(results).toEqual(seen[0]);
      expect(seen[0][0].voters).toBe(3);

      expect((await facilitator.send('phase:set', { phase: 'actions' })).ok).toBe(true);
      const point = await addPoint(people[1], 4, 'Typed on instance B');
      const boards = await Promise.all([
        connectYjs(a.url, created.code, created.facilitatorToken),
        connectYjs(b.url, created.code, created.facilitatorToken),
        connectYjs(proxy.url, created.code, created.facilitatorToken)
      ]);
      (await textIn(boards[0].doc, point)).insert(0, 'A: ');
      for (const board of boards)
        await waitFor(async () => (await textIn(board.doc, point)).toString() === 'A: Typed on instance B', { message: 'edit everywhere' });
      for (const c of [facilitator, ...people]) c.close();
    },
    scaled(60_000)
  );

  it(
    'SIGKILL of the owner in the middle of voting and editing: clients reconnect through the proxy, the survivor carries on, nothing acknowledged is lost',
    async () => {
      const databaseUrl = await makeDatabase();
      const [a, b] = await instances(databaseUrl);
      const proxy = await startNginxCluster([a.port, b.port]);
      const created = await createSession(proxy.url, { title: 'Failover' });
      const tokens = await Promise.all([0, 1, 2, 3].map(async (i) => (await joinSession(proxy.url, created.code, { name: `V${i}` })).participantToken));
      const facilitator = reconnecting(proxy.url, created.code, created.facilitatorToken);
      const voters = tokens.map((t) => reconnecting(proxy.url, created.code, t));
      await waitFor(() => [facilitator, ...voters].every((c) => c.snapshots.length > 0), { message: 'all connected' });
      const owner = await ownerOf(databaseUrl, created.code);
      const [dying, survivor] = owner === a.url ? [a, b] : [b, a];
      // A second session in its action phase on the same (doomed) owner, where two people type while it dies.
      const boardSession = await createSessionAt(dying.url, { title: 'Board' });
      expect(await ownerOf(databaseUrl, boardSession.code)).toBe(dying.url);
      const boardHost = await connectClient(proxy.url, { code: boardSession.code, token: boardSession.facilitatorToken });
      for (const phase of ['voting', 'revealed', 'actions'] as const) expect((await boardHost.send('phase:set', { phase })).ok).toBe(true);
      const [kept, resent] = [await addPoint(boardHost, 2, ''), await addPoint(boardHost, 3, '')];
      boardHost.close();
      // One typist is cut off for good at the kill: what the server relayed of theirs must be stored (the
      // durability test's accounting: an update counts as acknowledged once another client received it, as
      // the server persists before it relays). The other reconnects through the proxy and resends what it has.
      const cutOff = await connectYjs(proxy.url, boardSession.code, boardSession.facilitatorToken);
      const observer = await connectYjs(dying.url, boardSession.code, boardSession.facilitatorToken);
      const typist = await connectYjs(proxy.url, boardSession.code, boardSession.facilitatorToken);
      const [cutOffText, typed] = [await textIn(cutOff.doc, kept), await textIn(typist.doc, resent)];
      const observed = new Set<string>();
      const observedText = await textIn(observer.doc, kept);
      observer.doc.on('update', () => {
        for (const token of observedText.toString().match(/k\d+;/g) ?? []) observed.add(token);
      });
      const emit = <T>(c: { socket: Socket }, event: string, payload: unknown) =>
        c.socket
          .timeout(scaled(3000))
          .emitWithAck(event, payload)
          .catch(() => null) as Promise<Ack<T> | null>;
      expect((await emit(facilitator, 'phase:set', { phase: 'voting' }))?.ok).toBe(true);

      // Each voter votes one answer at a time (the next after the ack), so at most one is in flight when the owner dies.
      const history = new History();
      let acks = 0;
      let stop = false;
      const voting = voters.map(async (voter, i) => {
        for (let round = 0; !stop && round < 400; round++) {
          const factor = (round % 12) + 1;
          const answer = ((i + round) % 5) + 1;
          const key = `${i}:${factor}`;
          // Not acknowledged: it may or may not have been stored; a later acknowledged one settles it.
          const ack = await history.run(
            key,
            answer,
            () => emit(voter, 'vote', { factor, answer }),
            (a) => a?.ok === true
          );
          if (ack?.ok) acks++;
          else await new Promise((r) => setTimeout(r, 50));
        }
      });
      let killed = false;
      const typing = (async () => {
        for (let n = 0; !stop && n < 2000; n++) {
          typed.insert(typed.length, `${n % 10}`);
          if (!killed) cutOffText.insert(cutOffText.length, `k${n};`);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      await waitFor(() => acks >= 20 && typed.length >= 20 && observed.size >= 20, { timeout: 10_000, message: 'votes and typing before the kill' });
      await dying.kill();
      killed = true;
      // Cut off before it can reconnect and resend: only what the dead owner stored can bring its text back.
      cutOff.destroy();
      observer.destroy();
      const fresh = await connectYjs(proxy.url, boardSession.code, boardSession.facilitatorToken);
      const keptText = (await textIn(fresh.doc, kept)).toString();
      const lost = [...observed].filter((token) => !keptText.includes(token));
      expect(lost, `relayed by the owner before it died (${observed.size}) but not stored`).toEqual([]);
      expect(observed.size).toBeGreaterThanOrEqual(20);
      fresh.destroy();
      const beforeKill = acks;
      await waitFor(() => acks >= beforeKill + 20, { timeout: 30_000, message: 'votes acknowledged by the survivor' });
      stop = true;
      await Promise.all([...voting, typing]);
      // Everything typed, before, during and after the kill, reaches the survivor: a fresh editor reads it all.
      const reader = await connectYjs(proxy.url, boardSession.code, boardSession.facilitatorToken);
      await waitFor(async () => (await textIn(reader.doc, resent)).toString() === typed.toString(), {
        timeout: 15_000,
        message: 'the typed text at the survivor'
      });
      expect(typed.length).toBeGreaterThan(20);
      expect(await ownerOf(databaseUrl, created.code)).toBe(survivor.url);

      // Every acknowledged answer is stored, unless a later one (sent, maybe not acknowledged) replaced it: the history of acknowledged votes.
      const { rows } = await adminQuery(
        databaseUrl,
        `SELECT p.name, a.factor, a.answer FROM answers a JOIN participants p ON p.id = a.participant_id JOIN sessions s ON s.id = a.session_id WHERE s.code = '${created.code}'`
      );
      const stored = new Map(rows.map((r) => [`${Number(String(r.name).slice(1))}:${r.factor}`, Number(r.answer)]));
      expect(history.check(stored)).toEqual([]);
      for (const c of [facilitator, ...voters]) c.socket.close();
    },
    scaled(90_000)
  );

  it(
    'a rolling restart of both instances keeps a workshop going: votes before, between and after are all there',
    async () => {
      const databaseUrl = await makeDatabase();
      const [a, b] = await instances(databaseUrl);
      const proxy = await startNginxCluster([a.port, b.port]);
      const created = await createSession(proxy.url, { title: 'Rolling' });
      const token = (await joinSession(proxy.url, created.code, { name: 'R' })).participantToken;
      const host = reconnecting(proxy.url, created.code, created.facilitatorToken);
      const voter = reconnecting(proxy.url, created.code, token);
      await waitFor(() => host.snapshots.length > 0 && voter.snapshots.length > 0, { message: 'connected' });
      const send = (c: { socket: Socket }, event: string, payload: unknown) =>
        c.socket
          .timeout(scaled(3000))
          .emitWithAck(event, payload)
          .catch(() => null) as Promise<Ack<unknown> | null>;
      expect((await send(host, 'phase:set', { phase: 'voting' }))?.ok).toBe(true);
      /** Votes factor f until acknowledged (the instance may be restarting). */
      const voteUntilStored = async (factor: number) =>
        waitFor(async () => (await send(voter, 'vote', { factor, answer: 4 }))?.ok === true, { timeout: 30_000, message: `vote ${factor}` });

      await voteUntilStored(1);
      for (const [i, instance] of [a, b].entries()) {
        // Restart one instance on the same port (a deployment): SIGTERM drains it, then it comes back.
        await instance.terminate(10_000);
        await voteUntilStored(2 + i * 2);
        const again = await startInstance(databaseUrl, { port: instance.port });
        expect(again.url).toBe(instance.url);
        await voteUntilStored(3 + i * 2);
      }
      const { rows } = await adminQuery(
        databaseUrl,
        `SELECT a.factor FROM answers a JOIN sessions s ON s.id = a.session_id WHERE s.code = '${created.code}' ORDER BY a.factor`
      );
      expect(rows.map((r) => Number(r.factor))).toEqual([1, 2, 3, 4, 5]);
      for (const c of [host, voter]) c.socket.close();
    },
    scaled(120_000)
  );
});
