/**
 * Check-ins (issue 25): a session scored over days until its deadline. Driven with the server's injectable clock
 * (`clock`, moved days on by the test; no global timer mock) through an idle unload, a restart on the same data, a
 * server started after the deadline, and a SIGKILL of the real server as a child process: no acknowledged answer is
 * lost, the reveal happens once at the deadline, and answers after it are refused with `voting_closed`.
 */
import { describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import type { CommunitySummary, CreateCommunityResponse, CreateSessionResponse, SessionSummary } from '../../src/lib/protocol';
import { startChildServer } from '../helpers/child-server';
import { connectClient, connectFacilitator, connectParticipant, waitFor, type BoardClient } from '../helpers/clients';
import { api, createSession, joinSession, makeDataDir, postJson, startServer, type StartOptions } from '../helpers/server';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const summaryOf = async (url: string, code: string) => (await api<SessionSummary>(url, `/api/sessions/${code}`)).body;

async function vote(client: BoardClient, factor: number, answer: 1 | 2 | 3 | 4 | 5) {
  const ack = await client.send('vote', { factor, answer });
  if (!ack.ok) throw new Error(`vote refused: ${ack.error.code} ${ack.error.message}`);
}

/** A participant's own answers from a snapshot, factor → answer. */
const answersIn = (ballot: Record<string, { answer: unknown }> | null) => Object.fromEntries(Object.entries(ballot ?? {}).map(([f, a]) => [f, a.answer]));

/** A fake clock the test moves, shared by every server it starts (one "now" across restarts). */
function fakeClock(start = Date.now()) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms), set: (ms: number) => void (now = ms) };
}

describe('check-ins', () => {
  it('validates a check-in: mode, a deadline between an hour and six weeks ahead, the reveal', async () => {
    const clock = fakeClock();
    const server = await startServer({ clock: clock.now });
    const at = (ms: number) => new Date(clock.now() + ms).toISOString();
    for (const body of [
      { mode: 'checkin', deadline: at(10 * 60_000) },
      { mode: 'checkin', deadline: at(60 * DAY) },
      { mode: 'checkin' },
      { mode: 'checkin', deadline: 'next tuesday' },
      { deadline: at(2 * DAY) },
      { mode: 'checkin', deadline: at(2 * DAY), revealAt: 'whenever' }
    ]) {
      const response = await postJson<{ error: { code: string } }>(server.url, '/api/sessions', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('bad_request');
    }
    const deadline = clock.now() + 2 * DAY;
    const created = await createSession(server.url, { mode: 'checkin', deadline: new Date(deadline).toISOString(), revealAt: 'manual' });
    const summary = await summaryOf(server.url, created.code);
    expect(summary).toMatchObject({ mode: 'checkin', deadline: new Date(deadline).toISOString(), revealAt: 'manual', phase: 'voting' });
    const live = await createSession(server.url, {});
    expect(await summaryOf(server.url, live.code)).toMatchObject({ mode: 'live', deadline: null, phase: 'lobby' });
  });

  it('keeps every answer over days through an idle unload and a restart, reveals once at the deadline, refuses late answers', async () => {
    const clock = fakeClock();
    const dataDir = await makeDataDir();
    const options: StartOptions = { dataDir, clock: clock.now, idleUnloadMs: 20 };
    let server: RunningServer = await startServer(options);
    const deadlineA = clock.now() + 3 * DAY;
    // A reveals by itself at its deadline; B waits for the facilitator (the meeting).
    const a = await createSession(server.url, { mode: 'checkin', deadline: new Date(deadlineA).toISOString() });
    const b = await createSession(server.url, { mode: 'checkin', deadline: new Date(deadlineA).toISOString(), revealAt: 'manual' });
    const people = await Promise.all([1, 2, 3].map((i) => joinSession(server.url, a.code, { name: `Person ${i}` })));
    const late = await joinSession(server.url, b.code, { name: 'Late' });

    // Day 0: each answers some factors; the facilitator sees how many are done.
    const facilitator = await connectFacilitator(server.url, a.code, a.facilitatorToken);
    for (const [i, person] of people.entries()) {
      const client = await connectParticipant(server.url, a.code, person.participantToken);
      for (let factor = 1; factor <= 3; factor++) await vote(client, factor, (((i + factor) % 5) + 1) as 1 | 2 | 3 | 4 | 5);
      client.close();
    }
    const lateClient = await connectParticipant(server.url, b.code, late.participantToken);
    await vote(lateClient, 1, 2);
    lateClient.close();
    const progress = (await facilitator.state()).progress;
    expect(progress.total).toBe(3);
    expect(progress.perFactor.slice(0, 3)).toEqual([3, 3, 3]);
    expect((await facilitator.state()).checkin).toEqual({ deadline: deadlineA, revealAt: 'deadline', timeZone: 'Europe/Amsterdam' });
    facilitator.close();

    // Nobody connected: the check-in leaves memory (idle unload), and is not lost.
    await waitFor(() => !server.realtime.registry.isLoaded(a.code) && !server.realtime.registry.isLoaded(b.code), { message: 'idle unload' });

    // Day 1: person 1 comes back on the same device (their participant token) and changes an answer.
    clock.advance(DAY);
    {
      const client = await connectParticipant(server.url, a.code, people[0].participantToken);
      expect(answersIn((await client.state()).myBallot)).toEqual({ 1: 2, 2: 3, 3: 4 });
      await vote(client, 1, 5);
      client.close();
    }

    // Day 2: the server restarts on the same data; the facilitator extends A by a day (never earlier).
    clock.advance(DAY);
    await server.close();
    server = await startServer(options);
    {
      const returning = await connectParticipant(server.url, a.code, people[0].participantToken);
      expect(answersIn((await returning.state()).myBallot)).toEqual({ 1: 5, 2: 3, 3: 4 });
      returning.close();
      const fac = await connectFacilitator(server.url, a.code, a.facilitatorToken);
      const earlier = await fac.send('checkin:extend', { deadline: new Date(deadlineA - HOUR).toISOString() });
      expect(earlier.ok ? 'ok' : earlier.error.code).toBe('bad_request');
      const clockControl = await fac.send('voting:control', { action: 'clear' });
      expect(clockControl.ok ? 'ok' : clockControl.error.code).toBe('bad_request');
      const extended = await fac.send('checkin:extend', { deadline: new Date(deadlineA + DAY).toISOString() });
      expect(extended.ok).toBe(true);
      fac.close();
    }
    expect((await summaryOf(server.url, a.code)).deadline).toBe(new Date(deadlineA + DAY).toISOString());
    await waitFor(() => !server.realtime.registry.isLoaded(a.code), { message: 'idle unload after the extension' });

    // Past B's deadline, before any sweep or timer acted: an answer is late by the clock.
    clock.set(deadlineA + HOUR);
    {
      const client = await connectParticipant(server.url, b.code, late.participantToken);
      const refused = await client.send('vote', { factor: 1, answer: 5 });
      expect(refused.ok ? 'ok' : refused.error.code).toBe('voting_closed');
      expect(refused.ok ? '' : refused.error.message).toMatch(/deadline/);
      expect(answersIn((await client.state()).myBallot)).toEqual({ 1: 2 });
      client.close();
    }
    // A is still open (extended); the sweep closes B (it waits for the meeting to reveal) and leaves A alone.
    await server.sweepCheckins();
    expect(await summaryOf(server.url, a.code)).toMatchObject({ phase: 'voting' });
    expect(await summaryOf(server.url, b.code)).toMatchObject({ phase: 'voting' });
    expect((await server.store.loadSession((await server.store.findSessionIdByCode(b.code))!))!.session.votingClosed).toBe(true);

    // Past A's extended deadline with no server running: the server started then reveals it, once.
    await server.close();
    clock.set(deadlineA + DAY + HOUR);
    server = await startServer(options);
    const idA = (await server.store.findSessionIdByCode(a.code))!;
    await waitFor(async () => (await server.store.loadRevealedRounds(idA)).length > 0, { message: 'the reveal at the deadline' });
    const watcher = await connectFacilitator(server.url, a.code, a.facilitatorToken);
    expect(watcher.snapshot.phase).toBe('revealed');
    // More sweeps and a restart reveal nothing again.
    expect(await Promise.all([server.sweepCheckins(), server.sweepCheckins()])).toEqual([[], []]);
    const revealed = await server.store.loadRevealedRounds(idA);
    expect(revealed).toHaveLength(1);
    expect(revealed[0].results.voters).toBe(3);
    // Every answer made it, the changed one as changed: factor 1 was 2, 3, 4 and person 1 made it 5.
    expect(revealed[0].results.factors[0].distribution).toMatchObject({ 1: 0, 2: 0, 3: 1, 4: 1, 5: 1 });
    watcher.close();

    // Late answers to A are refused (the round is revealed); B reveals when the facilitator starts the meeting.
    const lateA = await connectParticipant(server.url, a.code, people[1].participantToken);
    const refusedA = await lateA.send('vote', { factor: 4, answer: 1 });
    expect(refusedA.ok).toBe(false);
    lateA.close();
    const facB = await connectFacilitator(server.url, b.code, b.facilitatorToken);
    const reveal = await facB.send('phase:set', { phase: 'revealed' });
    expect(reveal.ok).toBe(true);
    facB.close();
  });

  it('reveals exactly once when the timer and several sweeps reach the deadline together, and closes early on request', async () => {
    const clock = fakeClock();
    const server = await startServer({ clock: clock.now });
    const created = await createSession(server.url, { mode: 'checkin', deadline: new Date(clock.now() + 2 * DAY).toISOString() });
    const person = await joinSession(server.url, created.code, { name: 'One' });
    const client = await connectParticipant(server.url, created.code, person.participantToken);
    await vote(client, 1, 4);
    const facilitator = await connectFacilitator(server.url, created.code, created.facilitatorToken);
    clock.advance(2 * DAY);
    // Past the deadline, before the timer or a sweep acted on it: late by the clock, and nothing changed.
    const tooLate = await client.send('vote', { factor: 1, answer: 1 });
    expect(tooLate.ok ? 'ok' : tooLate.error.code).toBe('voting_closed');
    expect(answersIn((await client.state()).myBallot)).toEqual({ 1: 4 });
    await Promise.all([server.sweepCheckins(), server.sweepCheckins(), server.sweepCheckins()]);
    await facilitator.waitForEvent('phase', (p) => p.phase === 'revealed');
    expect(facilitator.events('phase').filter((p) => p.phase === 'revealed')).toHaveLength(1);
    const id = (await server.store.findSessionIdByCode(created.code))!;
    expect(await server.store.loadRevealedRounds(id)).toHaveLength(1);
    const refused = await client.send('vote', { factor: 1, answer: 1 });
    expect(refused.ok ? 'ok' : refused.error.code).toBe('wrong_phase');

    // Close early: a second check-in reveals at once; its deadline reads as when it closed.
    const early: CreateSessionResponse = await createSession(server.url, { mode: 'checkin', deadline: new Date(clock.now() + 5 * DAY).toISOString() });
    const fac2 = await connectFacilitator(server.url, early.code, early.facilitatorToken);
    const participant = await joinSession(server.url, early.code, { name: 'Two' });
    const other = await connectParticipant(server.url, early.code, participant.participantToken);
    const stranger = await other.send('checkin:close', {});
    expect(stranger.ok ? 'ok' : stranger.error.code).toBe('forbidden');
    const closed = await fac2.send('checkin:close', {});
    expect(closed.ok && closed.data.phase).toBe('revealed');
    expect((await summaryOf(server.url, early.code)).deadline).toBe(new Date(clock.now()).toISOString());
    other.close();
    fac2.close();
    client.close();
    facilitator.close();
  });

  it('loses no acknowledged answer when the server is SIGKILLed, and a server started after the deadline reveals it', async () => {
    const dataDir = await makeDataDir();
    let child = await startChildServer({ dataDir });
    const deadline = Date.now() + 2 * HOUR;
    const created = await createSession(child.url, { mode: 'checkin', deadline: new Date(deadline).toISOString(), anonymous: false });
    const people = await Promise.all([1, 2].map((i) => joinSession(child.url, created.code, { name: `P${i}` })));
    for (const person of people) {
      const client = await connectParticipant(child.url, created.code, person.participantToken);
      for (let factor = 1; factor <= 12; factor++) await vote(client, factor, 4);
      client.close();
    }
    await child.kill();
    child = await startChildServer({ dataDir });
    const back = await connectParticipant(child.url, created.code, people[0].participantToken);
    expect(Object.keys((await back.state()).myBallot ?? {})).toHaveLength(12);
    expect((await back.state()).progress.voted).toBe(2);
    await vote(back, 1, 2);
    back.close();
    await child.kill();

    // Started after the deadline (its clock says so), on the same data: the start-up sweep reveals it.
    const server = await startServer({ dataDir, clock: () => deadline + HOUR });
    const id = (await server.store.findSessionIdByCode(created.code))!;
    await waitFor(async () => (await server.store.loadRevealedRounds(id)).length > 0, { message: 'the reveal after the kill' });
    const [round] = await server.store.loadRevealedRounds(id);
    expect(round.results.voters).toBe(2);
    expect(round.results.factors[0].distribution).toMatchObject({ 2: 1, 4: 1 });
  });

  it('lists open check-ins on the community page, gives a calendar file, and starts the meeting from the results', async () => {
    const clock = fakeClock();
    const server = await startServer({ clock: clock.now });
    const made = await postJson<CreateCommunityResponse>(server.url, '/api/communities', { name: 'Greenport' });
    const community = { id: made.body.id, auth: { authorization: `Bearer ${made.body.communityToken}` } };
    const deadline = clock.now() + 2 * DAY;
    const checkin = await createSession(
      server.url,
      { community: community.id, mode: 'checkin', deadline: new Date(deadline).toISOString(), revealAt: 'manual' },
      community.auth
    );
    const people = await Promise.all([1, 2, 3, 4].map((i) => joinSession(server.url, checkin.code, { name: `P${i}` })));
    for (const [i, person] of people.entries()) {
      const client = await connectParticipant(server.url, checkin.code, person.participantToken);
      // The fourth person answers half the factors: not done yet.
      for (let factor = 1; factor <= (i === 3 ? 6 : 12); factor++) await vote(client, factor, (((i + factor) % 5) + 1) as 1 | 2 | 3 | 4 | 5);
      if (i === 0) await client.send('vote', { factor: 2, answer: 3, comment: 'a comment carried into the meeting' });
      client.close();
    }
    const page = await api<CommunitySummary>(server.url, `/api/communities/${community.id}`, { headers: community.auth });
    expect(page.body.checkins).toEqual([
      {
        code: checkin.code,
        title: expect.any(String),
        deadline: new Date(deadline).toISOString(),
        timeZone: 'Europe/Amsterdam',
        revealAt: 'manual',
        done: 3,
        of: 4,
        closed: false
      }
    ]);

    const ics = await api<string>(server.url, `/api/sessions/${checkin.code}/checkin.ics`);
    expect(ics.status).toBe(200);
    expect(ics.headers.get('content-type')).toMatch(/text\/calendar/);
    const stamp = new Date(deadline)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')
      .slice(0, 13);
    expect(ics.body.replace(/\r\n /g, '')).toMatch(new RegExp(`DTEND:${stamp}`));
    expect(ics.body.replace(/\r\n /g, '')).toContain(`/s/${checkin.code}`);
    const live = await createSession(server.url, {});
    expect((await api(server.url, `/api/sessions/${live.code}/checkin.ics`)).status).toBe(404);

    // The meeting is a day later than the check-in opened (as it would be, and so the two are not created in the same millisecond).
    clock.advance(DAY);
    // Only the check-in's facilitator starts the meeting; it reveals the check-in (it waited for the meeting).
    const meetingPath = `/api/sessions/${checkin.code}/meeting`;
    expect((await postJson(server.url, meetingPath, {})).status).toBe(401);
    expect((await postJson(server.url, meetingPath, {}, { authorization: `Bearer ${people[0].participantToken}` })).status).toBe(403);
    expect((await postJson(server.url, `/api/sessions/${live.code}/meeting`, {}, { authorization: `Bearer ${live.facilitatorToken}` })).status).toBe(400);
    // A check-in continues into one meeting (its results count once): of two racing starts one opens it, and later ones hear so.
    const starts = await Promise.all(
      [1, 2].map(() => postJson<CreateSessionResponse>(server.url, meetingPath, {}, { authorization: `Bearer ${checkin.facilitatorToken}` }))
    );
    expect(starts.map((s) => s.status).sort()).toEqual([201, 409]);
    const started = starts.find((s) => s.status === 201)!;
    const again = await postJson<{ error: { code: string } }>(server.url, meetingPath, {}, { authorization: `Bearer ${checkin.facilitatorToken}` });
    expect([again.status, again.body.error.code]).toEqual([409, 'meeting_started']);
    expect(await summaryOf(server.url, checkin.code)).toMatchObject({ phase: 'revealed' });
    const meeting = started.body;
    expect(await summaryOf(server.url, meeting.code)).toMatchObject({ phase: 'revealed', mode: 'live' });

    // The meeting opens with the check-in's results as its round 1, the community's review, and can go on.
    const facilitator = await connectFacilitator(server.url, meeting.code, meeting.facilitatorToken);
    const checkinResults = (await (await connectFacilitator(server.url, checkin.code, checkin.facilitatorToken)).state()).results;
    const snapshot = await facilitator.state();
    expect(snapshot.round).toBe(1);
    expect(snapshot.results).toEqual(checkinResults);
    expect(snapshot.results[0].voters).toBe(4);
    expect(snapshot.review).not.toBeNull();
    expect(snapshot.community?.id).toBe(community.id);
    // "Since last time" compares with the meeting before, not with the check-in this meeting continues (the same figures).
    expect(snapshot.lastTime).toBeNull();
    const presenter = await connectClient(server.url, { code: meeting.code, token: new URL(meeting.presenterUrl).hash.replace(/^#key=/, '') });
    expect(presenter.snapshot.results).toEqual(checkinResults);
    presenter.close();
    // The check-in's measurement counts once in the community's trend: as the meeting, which continues it.
    const trend = (await api<{ sessions: { code: string }[] }>(server.url, `/api/communities/${community.id}/trends.json`, { headers: community.auth })).body;
    expect(trend.sessions.map((s) => s.code)).toEqual([meeting.code]);
    const second = await facilitator.send('phase:set', { phase: 'voting' });
    expect(second.ok && second.data.round).toBe(2);
    facilitator.close();
    expect((await api<CommunitySummary>(server.url, `/api/communities/${community.id}`, { headers: community.auth })).body.checkins).toEqual([]);
  });
});
