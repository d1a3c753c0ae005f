/** The Yjs endpoint takes single-use tickets from socket.io, never a long-lived token in its URL. */
import { describe, expect, it } from 'vitest';
import { connectYjs, upgradeStatus, waitFor, yjsBase } from '../helpers/clients';
import { createSession, startServer } from '../helpers/server';
import { setupSession } from '../helpers/session';

describe('Yjs tickets', () => {
  it('refuses a token in the URL and takes each ticket once, only for its session', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 1 });
    const other = await createSession(server.url);
    const at = (code: string, query: string) => `${yjsBase(server.url)}/${code}?${query}`;
    expect(await upgradeStatus(at(session.code, `token=${session.created.facilitatorToken}`))).toBe(401);
    expect(await upgradeStatus(at(session.code, `token=${session.people[0].joined.participantToken}`))).toBe(401);

    const ticket = async () => {
      const ack = await session.people[0].client.send('board:ticket', {});
      if (!ack.ok) throw new Error(ack.error.code);
      expect(ack.data.expiresInMs).toBe(30_000);
      return ack.data.ticket;
    };
    const once = await ticket();
    expect(await upgradeStatus(at(session.code, `ticket=${once}`))).toBe(101);
    expect(await upgradeStatus(at(session.code, `ticket=${once}`))).toBe(401);
    expect(await upgradeStatus(at(other.code, `ticket=${await ticket()}`))).toBe(401);

    // A participant removed before using their ticket cannot use it.
    const unused = await ticket();
    expect((await session.facilitator.send('participant:remove', { participantId: session.people[0].joined.participantId })).ok).toBe(true);
    expect(await upgradeStatus(at(session.code, `ticket=${unused}`))).toBe(401);
  });

  it('reconnects a provider with a fresh ticket', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 1 });
    const client = await connectYjs(server.url, session.code, session.people[0].joined.participantToken);
    const first = client.provider.params.ticket;
    expect(first).toBeTruthy();
    expect(client.provider.url).not.toContain(session.people[0].joined.participantToken);
    client.provider.ws!.close();
    await waitFor(() => !client.provider.wsconnected, { message: 'closed' });
    await waitFor(() => client.provider.wsconnected && client.provider.synced, { message: 'reconnected and synced' });
    expect(client.provider.params.ticket).not.toBe(first);
  });
});
