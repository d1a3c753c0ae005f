import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { textOf } from '../../src/lib/board/actions';
import { addPoint, allTexts, textIn } from '../helpers/board';
import { PROTOCOL_VERSION } from '../../src/lib/protocol';
import { connectClient, connectRefused, connectYjs, RawYjs, waitFor, yjsUpgradeStatus } from '../helpers/clients';
import { api, createSession, joinSession, startServer } from '../helpers/server';
import { advance, setupSession } from '../helpers/session';

const forgedToken = () => randomBytes(32).toString('base64url');

describe('socket.io authentication', () => {
  it('refuses connections without valid credentials, with a typed reason', async () => {
    const server = await startServer();
    const mine = await createSession(server.url);
    const theirs = await createSession(server.url);
    const theirParticipant = await joinSession(server.url, theirs.code, { name: 'Eve' });

    expect((await connectRefused(server.url, undefined)).code).toBe('unauthorized');
    expect((await connectRefused(server.url, { code: mine.code })).code).toBe('unauthorized');
    expect((await connectRefused(server.url, { code: mine.code, token: forgedToken(), protocolVersion: PROTOCOL_VERSION })).code).toBe('unauthorized');
    expect((await connectRefused(server.url, { code: mine.code, token: theirs.facilitatorToken, protocolVersion: PROTOCOL_VERSION })).code).toBe(
      'unauthorized'
    );
    expect((await connectRefused(server.url, { code: mine.code, token: theirParticipant.participantToken, protocolVersion: PROTOCOL_VERSION })).code).toBe(
      'unauthorized'
    );
    expect((await connectRefused(server.url, { code: mine.code, token: mine.facilitatorToken, protocolVersion: PROTOCOL_VERSION + 1 })).code).toBe(
      'version_mismatch'
    );
    expect((await connectRefused(server.url, { code: 'ZZZZZZ', token: mine.facilitatorToken, protocolVersion: PROTOCOL_VERSION })).code).toBe('not_found');
    expect(
      (await connectRefused(server.url, { code: mine.code, token: mine.facilitatorToken, protocolVersion: PROTOCOL_VERSION, extra: 1 } as never)).code
    ).toBe('unauthorized');

    // The right credentials still work, typed loosely too.
    const ok = await connectClient(server.url, { code: mine.code.toLowerCase(), token: mine.facilitatorToken });
    expect(ok.snapshot.code).toBe(mine.code);
    expect(ok.snapshot.me.role).toBe('facilitator');
  });

  it('cuts off a participant the facilitator removed, and their token stops working', async () => {
    const server = await startServer();
    const { code, facilitator, people } = await setupSession(server, { participants: 2 });
    const [gone, stays] = people;
    const ack = await facilitator.send('participant:remove', { participantId: gone.joined.participantId });
    expect(ack.ok).toBe(true);
    await gone.client.waitForEvent('removed');
    await waitFor(() => !gone.client.socket.connected, { message: 'removed participant disconnected' });
    expect((await connectRefused(server.url, { code, token: gone.joined.participantToken, protocolVersion: PROTOCOL_VERSION })).code).toBe('unauthorized');
    const refused = await stays.client.send('participant:remove', { participantId: stays.joined.participantId });
    expect(refused.ok ? null : refused.error.code).toBe('forbidden');
    expect((await facilitator.state()).participantCount).toBe(1);
  });
});

describe('session deletion', () => {
  it('lets only the facilitator delete a session, and then nothing of it answers', async () => {
    const server = await startServer();
    const { code, created, facilitator, people } = await setupSession(server, { participants: 1 });
    await advance(facilitator, 'voting', 'revealed', 'actions');
    const board = await RawYjs.open(server.url, code, people[0].joined.participantToken);
    const refused = await people[0].client.send('session:delete', { confirm: true });
    expect(refused.ok ? null : refused.error.code).toBe('forbidden');
    const unconfirmed = await facilitator.sendRaw('session:delete', {});
    expect(unconfirmed.ok ? null : unconfirmed.error.code).toBe('bad_request');

    expect(await facilitator.send('session:delete', { confirm: true })).toEqual({ ok: true, data: null });
    await people[0].client.waitForEvent('session:deleted');
    await waitFor(() => !people[0].client.socket.connected && !facilitator.socket.connected, { message: 'sockets closed' });
    expect(await board.waitForClose()).toBe(4404);
    expect((await api(server.url, `/api/sessions/${code}`)).status).toBe(404);
    expect((await api(server.url, `/api/sessions/${code}/export.json`, { headers: { authorization: `Bearer ${created.facilitatorToken}` } })).status).toBe(404);
    expect((await connectRefused(server.url, { code, token: created.facilitatorToken, protocolVersion: PROTOCOL_VERSION })).code).toBe('not_found');
    expect(await yjsUpgradeStatus(server.url, code, created.facilitatorToken)).toBe(404);
  });
});

describe('Yjs endpoint authentication', () => {
  it('refuses upgrades without a valid token for that session', async () => {
    const server = await startServer();
    const mine = await createSession(server.url);
    const theirs = await createSession(server.url);
    expect(await yjsUpgradeStatus(server.url, mine.code, null)).toBe(401);
    expect(await yjsUpgradeStatus(server.url, mine.code, forgedToken())).toBe(401);
    expect(await yjsUpgradeStatus(server.url, mine.code, theirs.facilitatorToken)).toBe(401);
    expect(await yjsUpgradeStatus(server.url, 'ZZZZZZ', mine.facilitatorToken)).toBe(404);
    expect(await yjsUpgradeStatus(server.url, mine.code, mine.facilitatorToken, { Origin: 'https://evil.example' })).toBe(403);
    expect(await yjsUpgradeStatus(server.url, mine.code, mine.facilitatorToken, { Origin: server.url })).toBe(101);
    expect(await yjsUpgradeStatus(server.url, mine.code, mine.facilitatorToken)).toBe(101);
  });

  it('refuses socket.io from a foreign origin', async () => {
    const server = await startServer();
    const foreign = await api(server.url, '/socket.io/?EIO=4&transport=polling', { headers: { Origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    const same = await api(server.url, '/socket.io/?EIO=4&transport=polling', { headers: { Origin: server.url } });
    expect(same.status).toBe(200);
  });

  it('lets a valid token connect and sync the board', async () => {
    const server = await startServer();
    const { code, created, facilitator, people } = await setupSession(server, { participants: 1 });
    await advance(facilitator, 'voting', 'revealed', 'actions');
    const writer = await connectYjs(server.url, code, people[0].joined.participantToken);
    const id = await addPoint(people[0].client, 5);
    (await textIn(writer.doc, id)).insert(0, 'Shared vision workshop');
    const reader = await connectYjs(server.url, code, created.facilitatorToken);
    await waitFor(() => textOf(reader.doc, id)?.toString() === 'Shared vision workshop', { message: 'reader synced the action' });
    expect(allTexts(reader.doc)).toEqual({ [id]: 'Shared vision workshop' });
  });

  it('survives hostile binary and keeps serving', async () => {
    const server = await startServer();
    const { code, created, facilitator } = await setupSession(server);
    await advance(facilitator, 'voting', 'revealed', 'actions');
    for (const junk of [
      Buffer.from([0, 9, 9, 9]),
      Buffer.from([0, 2, 200, 200, 200, 200, 1]),
      randomBytes(64),
      Buffer.from([255, 255, 255, 255, 255, 255, 255, 255, 255, 255])
    ]) {
      const raw = await RawYjs.open(server.url, code, created.facilitatorToken);
      raw.send(Buffer.concat([Buffer.from([0, 2]), junk]));
      raw.send(junk);
      raw.ws.send('text is ignored');
      // Either the socket survives (ignored) or it is closed; the server must keep answering.
      await waitFor(() => raw.messages.length > 0 || raw.closeCode !== null);
    }
    // An honest edit still lands: a point made by command, its text typed over a raw socket.
    const id = await addPoint(facilitator, null);
    const raw = await RawYjs.open(server.url, code, created.facilitatorToken);
    const reader = await connectYjs(server.url, code, created.facilitatorToken);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(reader.doc));
    const before = Y.encodeStateVector(doc);
    (await textIn(doc, id)).insert(0, 'after junk');
    raw.sendUpdate(Y.encodeStateAsUpdate(doc, before));
    await waitFor(() => textOf(reader.doc, id)?.toString() === 'after junk');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
