/**
 * Attacks on the room features (links, presenter credential, names, limits),
 * as a tester found them. Each test states the expected behaviour; each failed
 * before its fix.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as encoding from 'lib0/encoding';
import { connectClient, connectYjs, RawYjs, waitFor, yjsBase, YJS_MESSAGE } from '../helpers/clients';
import { api, createSession, joinSession, startServer } from '../helpers/server';
import { advance, setupSession } from '../helpers/session';

/** Opens a raw Yjs socket; resolves it when the upgrade was accepted, null when refused. */
function openYjs(url: string, code: string, token: string): Promise<WebSocket | null> {
  const ws = new WebSocket(`${yjsBase(url)}/${code}?token=${encodeURIComponent(token)}`);
  return new Promise((resolve) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      ws.terminate();
      resolve(null);
    });
    ws.once('error', () => resolve(null));
  });
}

describe('room attacks', () => {
  it('caps a participant’s connections on the Yjs endpoint too (CONNECTIONS_PER_PERSON)', async () => {
    const server = await startServer({ connectionsPerPerson: 2 });
    const { code, facilitator } = await setupSession(server);
    await advance(facilitator, 'voting', 'revealed', 'actions');
    const joined = await joinSession(server.url, code, { name: 'Hog' });
    const sockets: WebSocket[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const ws = await openYjs(server.url, code, joined.participantToken);
        if (ws) sockets.push(ws);
      }
      // Expected: at most 2 connections accepted for one person; actual: every Yjs upgrade is accepted.
      expect(sockets.length).toBeLessThanOrEqual(2);
    } finally {
      for (const ws of sockets) ws.terminate();
    }
  });

  it('keeps names apart that differ only by invisible characters', async () => {
    const server = await startServer();
    const { code } = await createSession(server.url);
    const first = await joinSession(server.url, code, { name: 'Sam' });
    const second = await joinSession(server.url, code, { name: 'Sam\u200b' });
    const third = await joinSession(server.url, code, { name: '\u2066Sam\u2069' });
    const visible = (name: string) => name.replace(/\p{Cf}/gu, '');
    // Expected: three names a person can tell apart on screen ("Sam", "Sam (2)", "Sam (3)"); actual: three that all read "Sam".
    expect(new Set([first.name, second.name, third.name].map(visible)).size).toBe(3);
  });

  it('treats a name of only invisible characters as no name', async () => {
    const server = await startServer();
    const { code } = await createSession(server.url);
    const joined = await joinSession(server.url, code, { name: '\u200b\u200b\u200d' });
    // Expected: anonymous (empty, shown as "Anonymous"); actual: a blank-looking name that defeats the anonymous label.
    expect(joined.name).toBe('');
  });

  it('does not store bidi controls in a name, which would reverse every name after it in a list', async () => {
    // Seen in Chromium: with a participant named "\u202EBob", the facilitator's "still busy" line reads
    // "Alice (0/12), ,(21/0) loraC ,(21/0) boB": every later name and count is mirrored.
    const server = await startServer();
    const { code } = await createSession(server.url);
    const joined = await joinSession(server.url, code, { name: '\u202eBob' });
    expect(joined.name).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
  });

  it('does not exempt presenter screens from the connection cap', async () => {
    const server = await startServer({ connectionsPerPerson: 2 });
    const { created } = await setupSession(server);
    const presenterKey = new URL(created.presenterUrl).hash.replace('#key=', '');
    let accepted = 0;
    for (let i = 0; i < 6; i++) {
      const ok = await connectClient(server.url, { code: created.code, token: presenterKey }).then(
        () => true,
        () => false
      );
      if (ok) accepted++;
    }
    // Expected: the presenter credential is capped like any other (or by a limit of its own); actual: 6 of 6 accepted.
    expect(accepted).toBeLessThanOrEqual(2);
  });

  it('does not let the read-only presenter credential publish presence on the action board', async () => {
    const server = await startServer();
    const { code, created, facilitator } = await setupSession(server);
    await advance(facilitator, 'voting', 'revealed', 'actions');
    const viewer = await connectYjs(server.url, code, created.facilitatorToken);
    const presenterKey = new URL(created.presenterUrl).hash.replace('#key=', '');
    const presenter = await RawYjs.open(server.url, code, presenterKey);
    const fakeDoc = new Y.Doc();
    const fake = new awarenessProtocol.Awareness(fakeDoc);
    fake.setLocalState({ name: 'Facilitator', colour: '#000000', editing: null });
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, YJS_MESSAGE.awareness);
    encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(fake, [fakeDoc.clientID]));
    presenter.send(encoding.toUint8Array(encoder));
    // A marker the server certainly processed after the awareness message: a query answered in order.
    const query = encoding.createEncoder();
    encoding.writeVarUint(query, YJS_MESSAGE.queryAwareness);
    const before = presenter.messages.length;
    presenter.send(encoding.toUint8Array(query));
    await waitFor(() => presenter.messages.length > before, { message: 'presenter got an answer' });
    // Expected: the presenter screen only reads; actual: its made-up "Facilitator" presence reaches every editor.
    const seen = await waitFor(() => (viewer.provider.awareness.getStates().has(fakeDoc.clientID) ? 'seen' : null), { timeout: 1000 }).catch(() => 'not seen');
    expect(seen).toBe('not seen');
    fake.destroy();
  });

  it('limits code guessing per IPv6 /64 when the client rotates addresses inside its own prefix', async () => {
    // Behind a trusted proxy (loopback by default) the client's address comes from X-Forwarded-For.
    const server = await startServer({ codeGuessesPerMinute: 3 });
    const statuses: number[] = [];
    for (let i = 1; i <= 12; i++) {
      const res = await api(server.url, '/api/sessions/QQQQQQ', { headers: { 'x-forwarded-for': `2001:db8:1:2::${i.toString(16)}` } });
      statuses.push(res.status);
    }
    // Expected: the one home/phone network (a /64) gets 3 misses, then 429; actual: every address in the /64 gets its own 3.
    expect(statuses).toContain(429);
  });
});
