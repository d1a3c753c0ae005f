import { describe, expect, it } from 'vitest';
import type { SessionSummary } from '../../src/lib/protocol';
import { connectFacilitator, connectParticipant, waitFor } from '../helpers/clients';
import { api, createSession, joinSession, startServer } from '../helpers/server';
import { advance, setupSession } from '../helpers/session';

describe('presence and phases', () => {
  it('shows the facilitator who is there, connected or not', async () => {
    const server = await startServer();
    const created = await createSession(server.url);
    const ann = await joinSession(server.url, created.code, { name: 'Ann', group: 'company' });
    const bo = await joinSession(server.url, created.code, { name: 'Bo' });

    const facilitator = await connectFacilitator(server.url, created.code, created.facilitatorToken);
    const first = facilitator.snapshot;
    expect(first.me).toEqual({ role: 'facilitator' });
    expect(first.participantCount).toBe(2);
    expect(first.participants?.map((p) => [p.id, p.name, p.group, p.connected]).sort()).toEqual(
      [
        [ann.participantId, 'Ann', 'company', false],
        [bo.participantId, 'Bo', null, false]
      ].sort()
    );

    const annClient = await connectParticipant(server.url, created.code, ann.participantToken);
    const boClient = await connectParticipant(server.url, created.code, bo.participantToken);
    expect(annClient.snapshot.participants).toBeNull();
    expect(annClient.snapshot.me).toMatchObject({ role: 'participant', id: ann.participantId, name: 'Ann' });
    await facilitator.waitForEvent('participant', (p) => p.id === ann.participantId && p.connected);
    await facilitator.waitForEvent('participant', (p) => p.id === bo.participantId && p.connected);
    const fresh = await facilitator.state();
    expect(fresh.participants?.every((p) => p.connected)).toBe(true);

    boClient.close();
    await facilitator.waitForEvent('participant', (p) => p.id === bo.participantId && !p.connected);
    const after = await facilitator.state();
    expect(after.participants?.find((p) => p.id === bo.participantId)?.connected).toBe(false);
    expect(after.participants?.find((p) => p.id === ann.participantId)?.connected).toBe(true);
    // Participants hear only counts, never the facilitator's presence events.
    expect(annClient.events('participant')).toEqual([]);
  });

  it('announces a newly joined participant to the facilitator and the count to everyone', async () => {
    const server = await startServer();
    const { code, facilitator, people } = await setupSession(server, { participants: 1 });
    const joined = await joinSession(server.url, code, { name: 'Late' });
    await facilitator.waitForEvent('participant', (p) => p.id === joined.participantId && p.name === 'Late' && !p.connected);
    await facilitator.waitForEvent('participantCount', (n) => n === 2);
    await people[0].client.waitForEvent('participantCount', (n) => n === 2);
  });

  it("reaches everyone with the facilitator's phase change", async () => {
    const server = await startServer();
    const { code, facilitator, people } = await setupSession(server, { participants: 2 });
    const ack = await facilitator.send('phase:set', { phase: 'voting' });
    expect(ack).toEqual({
      ok: true,
      data: { phase: 'voting', round: 1, votingDeadline: null, votingClosed: false, votingPausedMs: null, serverNow: expect.any(Number) }
    });
    for (const client of [facilitator, ...people.map((p) => p.client)]) {
      await client.waitForEvent('phase', (change) => change.phase === 'voting' && change.round === 1);
    }
    expect((await api<SessionSummary>(server.url, `/api/sessions/${code}`)).body.phase).toBe('voting');

    const countdown = await facilitator.send('phase:set', { phase: 'revealed', countdownSeconds: 30 });
    expect(countdown.ok ? null : countdown.error.code).toBe('bad_request');
    expect((await facilitator.state()).phase).toBe('voting');
  });

  it('refuses phase changes from a participant and changes nothing', async () => {
    const server = await startServer();
    const { code, facilitator, people } = await setupSession(server, { participants: 1 });
    const participant = people[0].client;
    for (const phase of ['voting', 'closed'] as const) {
      const ack = await participant.send('phase:set', { phase });
      expect(ack.ok).toBe(false);
      if (!ack.ok) expect(ack.error.code).toBe('forbidden');
    }
    expect((await api<SessionSummary>(server.url, `/api/sessions/${code}`)).body.phase).toBe('lobby');
    expect((await participant.state()).phase).toBe('lobby');
    expect(facilitator.events('phase')).toEqual([]);
    expect(participant.events('phase')).toEqual([]);
  });

  it('lets a participant rejoin with the same token as the same person, ballot included', async () => {
    const server = await startServer();
    // Named: the facilitator sees per-person counts only there (docs/privacy.md).
    const { code, facilitator, people } = await setupSession(server, { create: { anonymous: false }, participants: 2 });
    const [{ joined, client }] = people;
    await advance(facilitator, 'voting');
    expect((await client.send('vote', { factor: 3, answer: 4, comment: 'we meet monthly' })).ok).toBe(true);
    expect((await client.send('vote', { factor: 7, answer: 'unknown' })).ok).toBe(true);
    client.close();
    await facilitator.waitForEvent('participant', (p) => p.id === joined.participantId && !p.connected);

    const again = await connectParticipant(server.url, code, joined.participantToken);
    expect(again.snapshot.me).toMatchObject({ role: 'participant', id: joined.participantId, name: 'P1' });
    expect(again.snapshot.phase).toBe('voting');
    expect(again.snapshot.myBallot).toEqual({ 3: { answer: 4, comment: 'we meet monthly' }, 7: { answer: 'unknown', comment: null } });
    await waitFor(() => facilitator.events('participant').filter((p) => p.id === joined.participantId && p.connected).length >= 2);
    const state = await facilitator.state();
    expect(state.participantCount).toBe(2);
    expect(state.participants?.find((p) => p.id === joined.participantId)).toMatchObject({ connected: true, answered: 2 });

    // The other participant's snapshot holds only their own (empty) ballot.
    expect((await people[1].client.state()).myBallot).toEqual({});
  });
});
