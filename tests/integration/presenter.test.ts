/**
 * The presenter screen follows the workshop (issue 13): the factor the
 * facilitator opens reaches every screen, only the facilitator can steer it,
 * a phase change returns to the overview, and the projector never shows dot
 * totals the facilitator hides from the room.
 */
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/lib/protocol';
import { connectClient, connectParticipant, waitFor, type BoardClient } from '../helpers/clients';
import { joinSession, startServer } from '../helpers/server';
import { addPoint } from '../helpers/board';
import { advance, castBallot, setupSession, type TestSession } from '../helpers/session';

async function presenterOf(url: string, session: TestSession): Promise<BoardClient> {
  const key = new URL(session.created.presenterUrl).hash.replace('#key=', '');
  return connectClient(url, { code: session.code, token: key });
}

const ballot = (score: 1 | 2 | 3 | 4 | 5) => Object.fromEntries(Array.from({ length: 12 }, (_, i) => [i + 1, score])) as Record<number, 1 | 2 | 3 | 4 | 5>;

describe('the presenter screen follows the facilitator', () => {
  it('shows the factor the facilitator opens, until they close it or the phase changes', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 3 });
    const { facilitator, people } = session;
    const screen = await presenterOf(server.url, session);
    expect(screen.snapshot.presentedFactor).toBeNull();

    // Nothing to show before a reveal.
    const early = await facilitator.send('present:focus', { factor: 4 });
    expect(early.ok ? 'ok' : early.error.code).toBe('wrong_phase');
    await advance(facilitator, 'voting');
    await Promise.all(people.map((p, i) => castBallot(p.client, ballot((i + 2) as 2 | 3 | 4), `comment ${i}`)));
    await advance(facilitator, 'revealed');

    expect(await facilitator.send('present:focus', { factor: 4 })).toEqual({ ok: true, data: null });
    expect(await screen.waitForEvent('presented', (p) => p.factor === 4)).toEqual({ factor: 4 });
    // A screen that connects later (or reloads) gets it in its snapshot.
    expect((await presenterOf(server.url, session)).snapshot.presentedFactor).toBe(4);

    // Only the facilitator steers it; a factor outside the framework is refused; nothing changes.
    for (const [client, payload, code] of [
      [people[0].client, { factor: 2 }, 'forbidden'],
      [screen, { factor: 2 }, 'forbidden'],
      [facilitator, { factor: 13 }, 'bad_request'],
      [facilitator, { factor: 0 }, 'bad_request']
    ] as const) {
      const refused = await client.send('present:focus', payload);
      expect(refused.ok ? 'ok' : refused.error.code).toBe(code);
    }
    expect((await screen.state()).presentedFactor).toBe(4);

    // Closing the factor returns the screens to the overview; so does the next phase.
    expect((await facilitator.send('present:focus', { factor: null })).ok).toBe(true);
    await screen.waitForEvent('presented', (p) => p.factor === null);
    expect((await facilitator.send('present:focus', { factor: 7 })).ok).toBe(true);
    await screen.waitForEvent('presented', (p) => p.factor === 7);
    await advance(facilitator, 'actions');
    expect((await screen.state()).presentedFactor).toBeNull();
    expect((await people[1].client.state()).presentedFactor).toBeNull();
  });

  it('shows who joined in a named session, and nobody’s name in an anonymous one', async () => {
    const server = await startServer();
    const named = await setupSession(server, { create: { anonymous: false } });
    const screen = await presenterOf(server.url, named);
    expect(screen.snapshot.arrivals).toEqual([]);
    const joined = [];
    for (const name of ['Ann', 'Bas', 'Ann']) joined.push(await joinSession(server.url, named.code, { name }));
    await screen.waitForEvent('arrivals', (names) => names.length === 3);
    expect((await screen.state()).arrivals).toEqual(['Ann', 'Bas', 'Ann (2)']);
    // Nobody else gets the list: not the facilitator (who has the full participant list), not participants.
    const participant = await connectParticipant(server.url, named.code, joined[0].participantToken);
    expect(participant.snapshot.arrivals).toBeNull();
    expect((await named.facilitator.state()).arrivals).toBeNull();
    expect(participant.events('arrivals')).toEqual([]);
    expect(named.facilitator.events('arrivals')).toEqual([]);
    // A removed person leaves the screen.
    expect((await named.facilitator.send('participant:remove', { participantId: joined[1].participantId })).ok).toBe(true);
    expect(await screen.waitForEvent('arrivals', (names) => names.length === 2 && !names.includes('Bas'))).toEqual(['Ann', 'Ann (2)']);

    const anonymous = await setupSession(server, { participants: 2 });
    const anonymousScreen = await presenterOf(server.url, anonymous);
    await joinSession(server.url, anonymous.code, { name: 'Cor' });
    await waitFor(async () => (await anonymousScreen.state()).participantCount === 3);
    expect((await anonymousScreen.state()).arrivals).toBeNull();
    expect(anonymousScreen.events('arrivals')).toEqual([]);
  });

  it('keeps the arrivals list bounded however many join', async () => {
    const server = await startServer();
    const session = await setupSession(server, { create: { anonymous: false } });
    const screen = await presenterOf(server.url, session);
    await Promise.all(Array.from({ length: LIMITS.arrivalsShown + 5 }, (_, i) => joinSession(server.url, session.code, { name: `P${i}` })));
    await waitFor(async () => (await screen.state()).participantCount === LIMITS.arrivalsShown + 5);
    const names = (await screen.state()).arrivals!;
    expect(names).toHaveLength(LIMITS.arrivalsShown);
    // Each event holds at most the latest LIMITS.arrivalsShown names.
    for (const event of screen.events('arrivals')) expect(event.length).toBeLessThanOrEqual(LIMITS.arrivalsShown);
  });

  it('shows dot totals only when the room may see them', async () => {
    const server = await startServer();
    const session = await setupSession(server, { participants: 1 });
    const { facilitator, people } = session;
    await advance(facilitator, 'voting', 'revealed', 'actions');
    expect((await facilitator.send('settings:update', { hideDotTotals: true })).ok).toBe(true);
    const id = await addPoint(people[0].client, 3, 'Monthly open day');
    expect((await people[0].client.send('dot:cast', { actionId: id, delta: 1 })).ok).toBe(true);
    await facilitator.waitForEvent('dotTotals', (t) => t[id] === 1);

    // Hidden: the projector, connecting now, gets no totals and no dots of its own.
    const screen = await presenterOf(server.url, session);
    expect(screen.snapshot.dots).toEqual({ totals: {}, mine: {}, remaining: 0 });
    // Shown again: totals reach the screen.
    expect((await facilitator.send('settings:update', { hideDotTotals: false })).ok).toBe(true);
    expect(await screen.waitForEvent('dotTotals', (t) => t[id] === 1)).toEqual({ [id]: 1 });
    expect((await presenterOf(server.url, session)).snapshot.dots.totals).toEqual({ [id]: 1 });
  });
});
