import { describe, expect, it } from 'vitest';
import { nameKey } from '../../src/lib/domain/names';
import { addPoint } from '../helpers/board';
import { connectParticipant, connectFacilitator, waitFor } from '../helpers/clients';
import { joinSession, startServer } from '../helpers/server';
import { advance, setupSession } from '../helpers/session';

/**
 * The hot paths of issue 26: what a join, a vote and a dot cost must not grow with the room, and nobody is
 * sent back what they already know. Behaviour only (real clients to a real server): no test here asserts a time.
 */
describe('hot paths', () => {
  it('keeps names distinct through concurrent joins and removals, collisions included', async () => {
    const server = await startServer({ codeGuessesPerMinute: 0 });
    const { facilitator, code, created } = await setupSession(server);
    const join = (name: string) => joinSession(server.url, code, { name });
    // Concurrent joins with names equal by key: each gets its own (a join in flight holds its name already).
    const first = await Promise.all(['Sam', ' sam', 'SAM ', 'Zoë', 'Zoe\u0308', 'Sam (2)', '', ''].map(join));
    const named = first.map((j) => j.name).filter((n) => n !== '');
    expect(new Set(named.map(nameKey)).size).toBe(named.length);
    expect(named).toContain('Sam');
    // The removed names are free again; the others stay taken.
    const sam = first.find((j) => j.name === 'Sam')!;
    const zoe = first.find((j) => nameKey(j.name) === nameKey('Zoë'))!;
    expect((await facilitator.send('participants:remove', { participantIds: [sam.participantId, zoe.participantId] })).ok).toBe(true);
    const again = await Promise.all(['sam', 'Zoë', 'Sam'].map(join));
    const present = (await facilitator.state()).participants!.map((p) => p.name).filter((n) => n !== '');
    expect(present).toHaveLength(named.length - 2 + 3);
    expect(new Set(present.map(nameKey)).size).toBe(present.length);
    expect(again.map((j) => j.name)).toContain('Zoë');
    expect(again.some((j) => nameKey(j.name) === 'sam')).toBe(true);
    // Everyone heard the count, and the last count they heard is the exact one.
    const people = await Promise.all(again.map((j) => connectParticipant(server.url, code, j.participantToken)));
    const exact = (await facilitator.state()).participantCount;
    expect(exact).toBe(first.length - 2 + 3);
    await waitFor(() => facilitator.events('participantCount').at(-1) === exact);
    const other = await connectFacilitator(server.url, code, created.facilitatorToken);
    expect(other.snapshot.participantCount).toBe(exact);
    for (const person of people) expect(person.snapshot.participantCount).toBeGreaterThanOrEqual(first.length - 2 + 1);
  });

  it("sends a vote to the voter's other tabs, and the voting tab only its ack", async () => {
    const server = await startServer();
    const { facilitator, people, code } = await setupSession(server, { participants: 2 });
    const [ann, bob] = people;
    const annOther = await connectParticipant(server.url, code, ann.joined.participantToken);
    await advance(facilitator, 'voting');

    const ack = await ann.client.send('vote', { factor: 3, answer: 4, comment: ' why ' });
    expect(ack).toEqual({ ok: true, data: { factor: 3, answered: 1 } });
    // The other tab shows the answer as stored.
    expect(await annOther.waitForEvent('ballot', (b) => b.factor === 3)).toEqual({ round: 1, factor: 3, answer: 4, comment: 'why' });
    // An echo would have been sent before the ack on the same connection: the voting tab got none, nor did anyone else.
    expect(ann.client.events('ballot')).toEqual([]);
    expect(bob.client.events('ballot')).toEqual([]);
    expect(facilitator.events('ballot')).toEqual([]);
    // Acked means committed: a fresh connection of Ann's sees it.
    const annThird = await connectParticipant(server.url, code, ann.joined.participantToken);
    expect(annThird.snapshot.myBallot).toEqual({ 3: { answer: 4, comment: 'why' } });

    // From the other tab: the first one hears it now.
    expect((await annOther.send('vote', { factor: 3, answer: 2 })).ok).toBe(true);
    expect(await ann.client.waitForEvent('ballot', (b) => b.answer === 2)).toEqual({ round: 1, factor: 3, answer: 2, comment: 'why' });
    expect(annOther.events('ballot')).toHaveLength(1);
    // A voter with one connection gets the ack and nothing else about their own answer.
    expect((await bob.client.send('vote', { factor: 1, answer: 5 })).ok).toBe(true);
    expect(bob.client.events('ballot')).toEqual([]);
  });

  it('coalesces dot totals yet leaves everyone with the exact totals; the dot ack holds only what the voter needs', async () => {
    const server = await startServer({ codeGuessesPerMinute: 0 });
    const { facilitator, people, code, created } = await setupSession(server, { participants: 12 });
    await advance(facilitator, 'voting', 'revealed', 'actions');
    expect((await facilitator.send('settings:update', { dotsPerPerson: 6 })).ok).toBe(true);
    const points = [await addPoint(people[0].client, 1, 'One'), await addPoint(people[1].client, 2, 'Two'), await addPoint(people[2].client, 3, 'Three')];
    const second = await connectParticipant(server.url, code, people[0].joined.participantToken);
    const facilitator2 = await connectFacilitator(server.url, code, created.facilitatorToken);

    // Everyone spends all their dots at once, some taken back again.
    const expected: Record<string, number> = {};
    const acks = await Promise.all(
      people.map(async ({ client }, p) => {
        const mine: { actionId: string; count: number }[] = [];
        for (let d = 0; d < 6; d++) {
          const actionId = points[(p + d) % points.length];
          const ack = await client.send('dot:cast', { actionId, delta: 1 });
          if (!ack.ok) throw new Error(ack.error.code);
          // Only the changed point's total, never the whole map.
          expect(Object.keys(ack.data.totals)).toEqual([actionId]);
          mine.push({ actionId, count: 1 });
        }
        const back = points[p % points.length];
        const undo = await client.send('dot:cast', { actionId: back, delta: -1 });
        if (!undo.ok) throw new Error(undo.error.code);
        mine.push({ actionId: back, count: -1 });
        return { mine, last: undo.data };
      })
    );
    for (const { mine } of acks) for (const { actionId, count } of mine) expected[actionId] = (expected[actionId] ?? 0) + count;
    const facilitatorDot = await facilitator.send('dot:cast', { actionId: points[0], delta: 1 });
    expect(facilitatorDot.ok).toBe(true);
    expected[points[0]]++;
    const dots = acks.reduce((n, a) => n + a.mine.length, 1);

    const audience = [facilitator, facilitator2, second, ...people.map((p) => p.client)];
    for (const client of audience)
      await waitFor(() => JSON.stringify(client.events('dotTotals').at(-1)) === JSON.stringify(expected), { message: 'exact totals' });
    // Fewer totals messages than dots: coalesced (the last one exact, above).
    expect(facilitator.events('dotTotals').length).toBeLessThan(dots);
    // The voter's other connection heard their dots; the casting connection had them in its acks and got no echo.
    // (The settings change sent everyone their dots once, before any was spent.)
    expect(people[0].client.events('dots')).toEqual([{ mine: {}, remaining: 6 }]);
    await second.waitForEvent('dots', (d) => JSON.stringify(d) === JSON.stringify({ mine: acks[0].last.mine, remaining: acks[0].last.remaining }));
    expect(facilitator.events('dots')).toEqual([{ mine: {}, remaining: 6 }]);
    await facilitator2.waitForEvent('dots', (d) => d.mine[points[0]] === 1);
    expect(acks[0].last.remaining).toBe(1);
    // What a fresh connection sees matches.
    expect((await people[5].client.state()).dots.totals).toEqual(expected);
  });
});
