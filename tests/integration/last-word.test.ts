/**
 * The server's side of "nothing typed is lost at a phase change": a change that
 * arrives after its round closed (a comment sent just after the reveal, an
 * offline queue replayed after the phase or the round moved on) is refused with
 * a typed error the client can report (wrong_phase / wrong_round), and changes
 * nothing: the revealed round, its comments and the export stay as they were.
 */
import { describe, expect, it } from 'vitest';
import type { ExportJson } from '../../src/lib/domain/export';
import { getExport, startServer } from '../helpers/server';
import { advance, castBallot, setupSession } from '../helpers/session';

describe('a change that arrives after its round closed', () => {
  it('is refused with a typed error and leaves the revealed round, its comments and the export unchanged', async () => {
    const server = await startServer();
    // Named: comments and figures of a single voter are shown (no k), so a late one would be visible if let in.
    const session = await setupSession(server, { create: { anonymous: false }, participants: 1 });
    const { client } = session.people[0];
    await advance(session.facilitator, 'voting');
    await castBallot(client, { 4: 3 });
    await advance(session.facilitator, 'revealed');

    // The comment typed just before the reveal, arriving just after it.
    const late = await client.send('vote', { factor: 4, answer: 3, comment: 'te laat', round: 1 });
    expect(late.ok ? 'ok' : late.error.code).toBe('wrong_phase');
    const before = (await getExport<ExportJson>(server.url, session.code, session.created.facilitatorToken)).body;
    expect(before.rounds.at(-1)?.comments).toEqual([]);
    expect(before.factors[3].distribution).toEqual({ '1': 0, '2': 0, '3': 1, '4': 0, '5': 0 });

    // A second round opens: the old round's queue replayed into it is refused as another round's.
    await advance(session.facilitator, 'voting');
    const replayed = await client.send('vote', { factor: 4, answer: 5, comment: 'uit ronde 1', round: 1 });
    expect(replayed.ok ? 'ok' : replayed.error.code).toBe('wrong_round');
    // ...and into a closed session, refused as well.
    await advance(session.facilitator, 'closed');
    const closed = await client.send('vote', { factor: 4, answer: 5, comment: 'na het einde', round: 2 });
    expect(closed.ok ? 'ok' : closed.error.code).toBe('wrong_phase');

    const after = (await getExport<ExportJson>(server.url, session.code, session.created.facilitatorToken)).body;
    expect(after.rounds.flatMap((r) => r.comments)).toEqual([]);
    expect(after.rounds[0].factors[3].distribution).toEqual({ '1': 0, '2': 0, '3': 1, '4': 0, '5': 0 });
  });
});
