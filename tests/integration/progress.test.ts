import { describe, expect, it } from 'vitest';
import { connectFacilitator } from '../helpers/clients';
import { makeDataDir, startServer } from '../helpers/server';
import { advance, castBallot, setupSession } from '../helpers/session';

const all12 = (answer: 1 | 2 | 3 | 4 | 5 | 'unknown') => Object.fromEntries(Array.from({ length: 12 }, (_, i) => [i + 1, answer]));

/**
 * Progress is kept as running counts in the room; this walks through every
 * change that moves them and compares with counts worked out by hand.
 */
describe('voting progress counts', () => {
  it('follow new answers, changed answers, removals, a restart and a new round', async () => {
    const dataDir = await makeDataDir();
    const server = await startServer({ dataDir });
    const { created, facilitator, people } = await setupSession(server, { participants: 3 });
    const [ann, bob, cem] = people;
    await advance(facilitator, 'voting');

    await castBallot(ann.client, all12(4));
    await castBallot(bob.client, { 1: 2, 2: 3, 3: 'unknown' });
    // Changing an answer is not a new answer.
    await castBallot(bob.client, { 1: 5 });
    await castBallot(cem.client, all12('unknown'));
    const afterVotes = { voted: 2, total: 3, perFactor: [3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2] };
    expect((await facilitator.state()).progress).toEqual(afterVotes);

    // Someone who answered everything is removed: their answers and their count go.
    const removed = await facilitator.send('participant:remove', { participantId: ann.joined.participantId });
    expect(removed.ok).toBe(true);
    const afterRemoval = { voted: 1, total: 2, perFactor: [2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1] };
    expect((await facilitator.state()).progress).toEqual(afterRemoval);

    // A restarted server counts the same from what it stored.
    await server.close();
    const again = await startServer({ dataDir });
    const facilitatorAgain = await connectFacilitator(again.url, created.code, created.facilitatorToken);
    expect((await facilitatorAgain.state()).progress).toEqual(afterRemoval);

    // A second round starts from zero for everyone still there.
    await advance(facilitatorAgain, 'revealed', 'voting');
    expect((await facilitatorAgain.state()).progress).toEqual({ voted: 0, total: 2, perFactor: new Array(12).fill(0) });
  });
});
