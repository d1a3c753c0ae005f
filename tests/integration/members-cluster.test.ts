/**
 * Removing a co-facilitator on a cluster (issue 24): the removal is handled by one instance while the session the
 * co-facilitator steers lives on the other; the other instance learns it over PostgreSQL (LISTEN/NOTIFY on the
 * lease connection) and ends their connection at once. Two real instances on one real PostgreSQL, in this process.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/clients';
import { freePort } from '../helpers/child-server';
import { makeDatabase, pgAdminUrl } from '../helpers/pg-test';
import { api, startServer } from '../helpers/server';
import { connectWithCookie, cookieRefused, deleteAs, postAs, signIn } from '../helpers/accounts';
import type { CreateCommunityResponse, CreateSessionResponse, InviteCreated } from '../../src/lib/protocol';
import type { RunningServer } from '../../server/app';

const suite = pgAdminUrl() ? describe : describe.skip;

async function instance(databaseUrl: string): Promise<RunningServer> {
  const port = await freePort();
  return startServer({ databaseUrl, port, instanceUrl: `http://127.0.0.1:${port}` });
}

suite('co-facilitators on two instances', () => {
  it("a removal handled by one instance ends the co-facilitator's connection on the instance that owns the session", async () => {
    const databaseUrl = await makeDatabase();
    const a = await instance(databaseUrl);
    const b = await instance(databaseUrl);
    const owner = await signIn(a, 'Olga');
    const colleague = await signIn(a, 'Cas');
    const community = (await postAs<CreateCommunityResponse>(a, owner, '/api/communities', { name: 'Cluster LC' })).body;
    const invite = (await postAs<InviteCreated>(a, owner, `/api/communities/${community.id}/invites`)).body;
    const token = new URL(invite.inviteUrl).hash.replace('#token=', '');
    expect((await postAs(a, colleague, '/api/invites/accept', { token })).status).toBe(200);

    // The session is created at B and first served there, so B owns it (docs/scaling.md).
    const session = (await postAs<CreateSessionResponse>(b, owner, '/api/sessions', { community: community.id })).body;
    expect((await api(b.url, `/api/sessions/${session.code}`)).status).toBe(200);
    const steering = await connectWithCookie(b, session.code, colleague);
    expect(b.realtime.registry.liveSessions().map((l) => l.code)).toContain(session.code);
    expect(a.realtime.registry.liveSessions().map((l) => l.code)).not.toContain(session.code);

    expect((await deleteAs(a, owner, `/api/communities/${community.id}/facilitators/${colleague.accountId}`)).status).toBe(204);
    await waitFor(() => !steering.socket.connected, { message: 'the co-facilitator was disconnected on the other instance' });
    expect(await cookieRefused(b, session.code, colleague)).toBe('unauthorized');
  });
});
