/**
 * A check-in's automatic reveal on a cluster (issue 25): two real instances in this process on one real PostgreSQL,
 * sharing one fake clock moved past the deadline; both sweep for due check-ins at the same time, several times.
 * The reveal happens once, on the instance holding the session's lease; the other leaves it alone (docs/scaling.md).
 */
import { describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import type { CreateCommunityResponse } from '../../src/lib/protocol';
import { freePort } from '../helpers/child-server';
import { connectFacilitator, connectParticipant } from '../helpers/clients';
import { makeDatabase, pgAdminUrl } from '../helpers/pg-test';
import { api, createSession, joinSession, postJson, startServer } from '../helpers/server';

const suite = pgAdminUrl() ? describe : describe.skip;
const DAY = 86_400_000;

async function instance(databaseUrl: string, clock: () => number): Promise<RunningServer> {
  const port = await freePort();
  return startServer({ databaseUrl, port, instanceUrl: `http://127.0.0.1:${port}`, clock });
}

suite('a check-in on two instances', () => {
  it('reveals once at the deadline, on the instance that owns it, however many sweeps of both instances reach it together', async () => {
    let now = Date.now();
    const clock = () => now;
    const databaseUrl = await makeDatabase();
    const a = await instance(databaseUrl, clock);
    const b = await instance(databaseUrl, clock);
    const made = await postJson<CreateCommunityResponse>(a.url, '/api/communities', { name: 'Cluster LC' });
    const auth = { authorization: `Bearer ${made.body.communityToken}` };
    const deadline = now + 2 * DAY;
    const checkin = await createSession(
      a.url,
      { community: made.body.id, mode: 'checkin', deadline: new Date(deadline).toISOString(), revealAt: 'deadline' },
      auth
    );
    // Three people answer through A, which then holds the session's lease.
    for (const i of [1, 2, 3]) {
      const person = await joinSession(a.url, checkin.code, { name: `P${i}` });
      const client = await connectParticipant(a.url, checkin.code, person.participantToken);
      for (let factor = 1; factor <= 12; factor++) {
        const ack = await client.send('vote', { factor, answer: (((i + factor) % 5) + 1) as 1 | 2 | 3 | 4 | 5 });
        expect(ack.ok).toBe(true);
      }
      client.close();
    }
    const facilitator = await connectFacilitator(a.url, checkin.code, checkin.facilitatorToken);
    expect(a.realtime.registry.liveSessions().map((l) => l.code)).toContain(checkin.code);

    now = deadline + 60_000;
    const sweeps = await Promise.all([a.sweepCheckins(), b.sweepCheckins(), a.sweepCheckins(), b.sweepCheckins(), b.sweepCheckins()]);
    await facilitator.waitForEvent('phase', (p) => p.phase === 'revealed');
    expect(facilitator.events('phase').filter((p) => p.phase === 'revealed')).toHaveLength(1);
    const id = (await a.store.findSessionIdByCode(checkin.code))!;
    expect(await a.store.loadRevealedRounds(id)).toHaveLength(1);
    // B never acted on it nor loaded it: the lease is A's.
    expect(sweeps.filter((_, i) => [1, 3, 4].includes(i)).flat()).not.toContain(checkin.code);
    expect(b.realtime.registry.liveSessions().map((l) => l.code)).not.toContain(checkin.code);
    // Later sweeps of either find nothing due; the session reads revealed through both.
    expect([...(await a.sweepCheckins()), ...(await b.sweepCheckins())]).not.toContain(checkin.code);
    for (const server of [a, b]) expect((await api<{ phase: string }>(server.url, `/api/sessions/${checkin.code}`)).body.phase).toBe('revealed');
    expect(facilitator.events('phase').filter((p) => p.phase === 'revealed')).toHaveLength(1);
    facilitator.close();
  });
});
