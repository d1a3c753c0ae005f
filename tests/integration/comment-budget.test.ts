/**
 * What a room can accumulate is bounded in the unit that costs (issue 20): every
 * revealed round is frozen with its comments and read back by every snapshot,
 * export and room load, so each round has a comment budget in UTF-16 code units
 * (per participant and per session), a session a bounded number of rounds, and
 * the community calendar looks back on the sessions a review does.
 * Real server on 127.0.0.1, real socket.io clients, real SQLite; refusals are
 * typed and change nothing, and the counts survive a restart (loaded from the store).
 */
import { describe, expect, it } from 'vitest';
import { LIMITS, type CreateCommunityResponse } from '../../src/lib/protocol';
import type { RunningServer } from '../../server/app';
import type { Store } from '../../server/store/types';
import { REVIEW_SESSIONS_MAX } from '../../server/communities/review';
import { addPoint } from '../helpers/board';
import { connectParticipant, type BoardClient } from '../helpers/clients';
import { api, createSession, makeDataDir, postJson, startServer, type StartOptions } from '../helpers/server';
import { advance, setupSession, type TestSession } from '../helpers/session';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** A comment of `units` UTF-16 code units: flags (4 units, one grapheme each), topped up with letters. */
const ofUnits = (units: number) => '🇳🇱'.repeat(Math.floor(units / 4)) + 'x'.repeat(units % 4);
/** A full comment: 500 flags, at both the grapheme and the unit bound of one comment. */
const FULL = ofUnits(LIMITS.commentUnits);

const vote = (client: BoardClient, factor: number, comment: string | null) => client.send('vote', { factor, answer: 3, comment });

async function myBallot(client: BoardClient) {
  return (await client.state()).myBallot ?? {};
}

/** Reconnects every participant of `session` to `server` (after a restart on the same data). */
async function reconnect(server: RunningServer, session: TestSession): Promise<BoardClient[]> {
  return Promise.all(session.people.map((p) => connectParticipant(server.url, session.code, p.joined.participantToken)));
}

describe('comment budget per round', () => {
  it(`a participant over their ${LIMITS.commentUnitsPerParticipantRound} code units of comments in a round is refused comments_full; nothing changes, and it holds after a restart`, async () => {
    const dataDir = await makeDataDir();
    const server = await startServer({ dataDir });
    const session = await setupSession(server, { participants: 2 });
    await advance(session.facilitator, 'voting');
    const [ann, bob] = session.people.map((p) => p.client);
    const perPerson = LIMITS.commentUnitsPerParticipantRound / LIMITS.commentUnits;
    for (let factor = 1; factor <= perPerson; factor++) expect((await vote(ann, factor, FULL)).ok).toBe(true);

    const before = await myBallot(ann);
    const refused = await vote(ann, perPerson + 1, 'one more');
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe('comments_full');
      expect(refused.error.details).toEqual(['participant']);
    }
    // Nothing changed: no answer to that factor, and the earlier comments are all there.
    expect(await myBallot(ann)).toEqual(before);
    expect(before[perPerson + 1]).toBeUndefined();
    expect(Object.keys(before)).toHaveLength(perPerson);
    for (let factor = 1; factor <= perPerson; factor++) expect(before[factor].comment).toBe(FULL);
    // At the budget a score can still change with its comment as it was (the difference counts, here none).
    expect((await ann.send('vote', { factor: 2, answer: 5, comment: FULL })).ok).toBe(true);
    // Someone else has a budget of their own.
    expect((await vote(bob, 1, FULL)).ok).toBe(true);

    // Replacing a comment with a shorter one is allowed at the budget, and frees the difference.
    expect((await vote(ann, 1, 'shortish')).ok).toBe(true);
    expect((await vote(ann, perPerson + 1, ofUnits(LIMITS.commentUnits - 8))).ok).toBe(true);
    expect((await vote(ann, perPerson + 2, 'x')).ok).toBe(false);
    // A score without a comment always fits.
    expect((await vote(ann, perPerson + 2, null)).ok).toBe(true);

    // After a restart the counts are loaded from the store: still full.
    await server.close();
    const again = await startServer({ dataDir });
    const [ann2] = await reconnect(again, session);
    const afterRestart = await vote(ann2, perPerson + 3, 'x');
    expect(afterRestart.ok ? null : afterRestart.error.code).toBe('comments_full');
    expect((await vote(ann2, 1, 'tiny')).ok).toBe(true);
    expect((await vote(ann2, perPerson + 3, 'x')).ok).toBe(true);
  });

  it('the session budget of a round is shared by everyone: refused comments_full when full, shorter replacements free room, and the count survives a restart', async () => {
    const dataDir = await makeDataDir();
    const options: StartOptions = { dataDir, commentBudget: { perParticipant: LIMITS.commentUnitsPerParticipantRound, perSession: 3000 } };
    const server = await startServer(options);
    const session = await setupSession(server, { participants: 3 });
    await advance(session.facilitator, 'voting');
    const [ann, bob, cas] = session.people.map((p) => p.client);
    expect((await vote(ann, 1, ofUnits(2000))).ok).toBe(true);
    expect((await vote(bob, 1, ofUnits(1000))).ok).toBe(true);

    const before = [await myBallot(bob), await myBallot(cas)];
    for (const client of [bob, cas]) {
      const refused = await vote(client, 2, 'x');
      expect(refused.ok).toBe(false);
      if (!refused.ok) {
        expect(refused.error.code).toBe('comments_full');
        expect(refused.error.details).toEqual(['session']);
      }
    }
    expect([await myBallot(bob), await myBallot(cas)]).toEqual(before);

    // A new round has a budget of its own.
    await advance(session.facilitator, 'revealed', 'voting');
    expect((await vote(cas, 1, ofUnits(2000))).ok).toBe(true);
    expect((await vote(cas, 2, ofUnits(1000))).ok).toBe(true);
    expect((await vote(cas, 3, 'x')).ok).toBe(false);

    await server.close();
    const again = await startServer(options);
    const [ann2, , cas2] = await reconnect(again, session);
    const refused = await vote(ann2, 1, 'x');
    expect(refused.ok ? null : refused.error.code).toBe('comments_full');
    // Cas shortens theirs; the room that frees is Ann's to take.
    expect((await vote(cas2, 1, ofUnits(1000))).ok).toBe(true);
    expect((await vote(ann2, 1, ofUnits(1000))).ok).toBe(true);
    expect((await vote(ann2, 2, 'x')).ok).toBe(false);
  });
});

describe('rounds per session', () => {
  it(`a round beyond the ${LIMITS.roundsPerSession}th is refused rounds_full; the session stays as it was`, async () => {
    const server = await startServer();
    const session = await setupSession(server);
    for (let round = 1; round <= LIMITS.roundsPerSession; round++) await advance(session.facilitator, 'voting', 'revealed');
    const refused = await session.facilitator.send('phase:set', { phase: 'voting' });
    expect(refused.ok ? null : refused.error.code).toBe('rounds_full');
    const state = await session.facilitator.state();
    expect(state.phase).toBe('revealed');
    expect(state.round).toBe(LIMITS.roundsPerSession);
    // The session goes on to its action points.
    await advance(session.facilitator, 'actions');
  });
});

describe('community calendar', () => {
  it(`looks back on the latest ${REVIEW_SESSIONS_MAX} sessions (as the review does) and decodes only their boards`, async () => {
    const decoded: string[] = [];
    /** Counts which boards are decoded (their stored Yjs updates read); the store itself is the real one. */
    const counting = (store: Store): Store =>
      new Proxy(store, {
        get(target, property) {
          if (property === 'loadYjsUpdates') {
            return (sessionId: string) => {
              decoded.push(sessionId);
              return target.loadYjsUpdates(sessionId);
            };
          }
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        }
      });
    const server = await startServer({ wrapStore: counting });
    const created = await postJson<CreateCommunityResponse>(server.url, '/api/communities', { name: 'Greenport', language: 'en' });
    expect(created.status).toBe(201);
    const c = created.body;
    const withDuePoint = async (text: string, due: string) => {
      const session = await setupSession(server, { create: { community: c.id, title: text }, createHeaders: bearer(c.communityToken) });
      await advance(session.facilitator, 'voting', 'revealed', 'actions');
      const id = await addPoint(session.facilitator, 1, text);
      expect((await session.facilitator.send('action:update', { actionId: id, due })).ok).toBe(true);
      session.facilitator.close();
      return session;
    };
    const oldest = await withDuePoint('Oldest plan', '2027-01-15');
    for (let i = 0; i < REVIEW_SESSIONS_MAX - 1; i++) await createSession(server.url, { community: c.id, title: `Meeting ${i}` }, bearer(c.communityToken));
    const newest = await withDuePoint('Newest plan', '2027-02-15');

    decoded.length = 0;
    const ics = await api<string>(server.url, `/api/communities/${c.id}/actions.ics`, { headers: bearer(c.communityToken) });
    expect(ics.status).toBe(200);
    expect(ics.text).toContain('Newest plan');
    expect(ics.text).not.toContain('Oldest plan');
    // Only the newest board is decoded: the oldest, with its open due point, is outside the window.
    expect(oldest.code).not.toBe(newest.code);
    expect(decoded).toEqual([await server.store.findSessionIdByCode(newest.code)]);
  });
});
