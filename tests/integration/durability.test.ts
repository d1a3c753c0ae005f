/**
 * Durability of acknowledged writes (docs/contracts.md: "Killed with SIGKILL and
 * started again on the same DATA_DIR, the server has lost nothing it acknowledged"). The
 * real server runs as a child process; 20 participants vote, newcomers join, a
 * facilitator flips phases and three editors type on the board while it is
 * killed at a random moment. Restarted on the same DATA_DIR (on another port),
 * every acknowledged write must be there, and the clients reconnect and carry on.
 * A Yjs update counts as acknowledged once another client received it: the
 * server persists before it relays. SIGTERM must drain, exit 0 and keep everything.
 */
import { describe, expect, it } from 'vitest';
import { boardPoints } from '../../src/lib/board/actions';
import { addPoint } from '../helpers/board';
import type { Answer } from '../../src/lib/protocol';
import { startChildServer } from '../helpers/child-server';
import { connectFacilitator, connectParticipant, connectYjs, waitFor } from '../helpers/clients';
import { fuzzSeed, Rng } from '../helpers/fuzz';
import {
  actionText,
  attachProvider,
  command,
  joinLoop,
  structureLoop,
  phaseLoop,
  sleep,
  TOKEN,
  typeLoop,
  voteLoop,
  type PhaseRecord,
  type StructureRecord,
  type VoterRecord
} from '../helpers/load';
import { api, createSession, joinSession, makeDataDir } from '../helpers/server';
import { advance, castBallot } from '../helpers/session';
import { History } from '../helpers/history';
import { scaled } from '../helpers/patience';

const VOTERS = 20;
const EDITORS = 3;

describe('durability', () => {
  it(
    'keeps every acknowledged write through SIGKILL under load, and the clients carry on',
    async () => {
      const seed = fuzzSeed('durability');
      const rng = new Rng(seed);
      const dataDir = await makeDataDir();
      const first = await startChildServer({ dataDir });

      // Session V: 20 voters. Session B: a board in the action phase. Session P: phases flipping.
      const votes = await createSession(first.url);
      const votesFacilitator = await connectFacilitator(first.url, votes.code, votes.facilitatorToken);
      const voters = await Promise.all(Array.from({ length: VOTERS }, (_, i) => joinSession(first.url, votes.code, { name: `Voter ${i + 1}` })));
      const voterClients = await Promise.all(voters.map((v) => connectParticipant(first.url, votes.code, v.participantToken)));
      await advance(votesFacilitator, 'voting');

      const board = await createSession(first.url);
      const boardFacilitator = await connectFacilitator(first.url, board.code, board.facilitatorToken);
      const editors = await Promise.all(Array.from({ length: EDITORS }, (_, i) => joinSession(first.url, board.code, { name: `Editor ${i + 1}` })));
      await advance(boardFacilitator, 'voting', 'revealed', 'actions');
      const observer = await connectYjs(first.url, board.code, board.facilitatorToken);
      const actionId = await addPoint(boardFacilitator, 4);
      const editorClients = await Promise.all(editors.map((e) => connectYjs(first.url, board.code, e.participantToken)));
      // What the observer has seen, another client sent and the server stored first.
      const seenByObserver = new Set<string>();
      observer.doc.on('update', () => {
        for (const token of actionText(observer.doc, actionId).toString().match(TOKEN) ?? []) seenByObserver.add(token);
      });

      const phases = await createSession(first.url);
      const phasesFacilitator = await connectFacilitator(first.url, phases.code, phases.facilitatorToken);

      // Load, and SIGKILL at a random moment in the middle of it.
      let stopped = false;
      const stop = () => stopped;
      const history = new History();
      const records: VoterRecord[] = voters.map((_, i) => ({
        acked: new Map(),
        ackedCount: 0,
        inflight: null,
        errors: [],
        history: { log: history, prefix: `${i}:` }
      }));
      const phaseRecord: PhaseRecord = { last: null, acked: 0, inflight: null };
      const joined: string[] = [];
      const typed: string[][] = editors.map(() => []);
      const structure: StructureRecord = { created: new Map(), owners: new Map(), order: null, inflight: null, errors: [] };
      const loops = [
        structureLoop(boardFacilitator, new Rng(seed + 400), stop, structure, [actionId]),
        ...voterClients.map((client, i) => voteLoop(client, new Rng(seed + i), stop, records[i])),
        phaseLoop(phasesFacilitator, new Rng(seed + 100), stop, phaseRecord),
        joinLoop(() => first.url, votes.code, new Rng(seed + 200), stop, joined),
        ...editorClients.map((editor, i) => typeLoop(editor.doc, actionId, `e${i}`, new Rng(seed + 300 + i), stop, typed[i]))
      ];
      const killAfter = rng.range(1000, 2500);
      await sleep(killAfter);
      await first.kill();
      stopped = true;
      await Promise.all(loops);
      for (const editor of editorClients) editor.provider.destroy();
      observer.provider.destroy();

      // Restart on the same data directory, on another port.
      const second = await startChildServer({ dataDir });

      // Votes: each voter's ballot holds the last acknowledged answer (or the one in flight) for every factor.
      let ackedVotes = 0;
      let checkedAnswers = 0;
      let foundAnswers = 0;
      const reconnected = await Promise.all(voters.map((v) => connectParticipant(second.url, votes.code, v.participantToken)));
      const storedVotes = new Map<string, unknown>();
      reconnected.forEach((client, i) => {
        for (const [factor, own] of Object.entries(client.snapshot.myBallot ?? {})) storedVotes.set(`${i}:${factor}`, own.answer);
      });
      // The same, told as the history of acknowledged votes: nothing acknowledged lost or overwritten by an older vote.
      expect(history.check(storedVotes)).toEqual([]);
      reconnected.forEach((client, i) => {
        const { acked, inflight, ackedCount, errors } = records[i];
        expect(errors, `voter ${i + 1} got refusals`).toEqual([]);
        ackedVotes += ackedCount;
        const ballot = client.snapshot.myBallot ?? {};
        for (const [factor, answer] of acked) {
          checkedAnswers++;
          const stored = ballot[factor]?.answer;
          if (stored === answer || (inflight?.factor === factor && stored === inflight.answer)) foundAnswers++;
        }
        // Nothing appears that was never sent.
        for (const factor of Object.keys(ballot).map(Number)) expect(acked.has(factor) || inflight?.factor === factor, `phantom vote ${factor}`).toBe(true);
      });

      // Joins: every acknowledged participant is there.
      const participants = new Set((await connectFacilitator(second.url, votes.code, votes.facilitatorToken)).snapshot.participants!.map((p) => p.id));
      const foundJoins = joined.filter((id) => participants.has(id)).length;

      // Phase: the last acknowledged change, or the one in flight.
      const phaseSnapshot = (await connectFacilitator(second.url, phases.code, phases.facilitatorToken)).snapshot;
      const phaseKept = phaseRecord.last === null || (phaseSnapshot.phase === phaseRecord.last.phase && phaseSnapshot.round === phaseRecord.last.round);
      const phaseOk = phaseKept || phaseSnapshot.phase === phaseRecord.inflight;

      // Board: a fresh reader (before any editor reconnects and resends) has every acknowledged insert.
      const reader = await connectYjs(second.url, board.code, board.facilitatorToken);
      const stored = actionText(reader.doc, actionId).toString();
      const foundInserts = [...seenByObserver].filter((token) => stored.includes(token)).length;
      const typedTotal = typed.reduce((n, t) => n + t.length, 0);

      // Board structure: every acknowledged create, owner change and move (unless a later one was in flight).
      const boardState = (await connectFacilitator(second.url, board.code, board.facilitatorToken)).snapshot.actions;
      const byId = new Map(boardState.map((a) => [a.id, a]));
      const foundCreates = [...structure.created].filter(([id, factor]) => byId.get(id)?.factor === factor).length;
      const inflight = structure.inflight;
      const foundOwners = [...structure.owners].filter(
        ([id, owner]) => byId.get(id)?.owner === owner || (inflight?.kind === 'owner' && inflight.id === id)
      ).length;
      const storedOrder = boardState.filter((a) => !a.removed && a.mergedInto === null && structure.created.has(a.id)).map((a) => a.id);
      const orderOk =
        structure.order === null ||
        inflight?.kind === 'move' ||
        JSON.stringify(storedOrder) === JSON.stringify(structure.order.filter((id) => structure.created.has(id)));
      // Nothing appears that was never sent.
      for (const a of boardState) expect(a.id === actionId || structure.created.has(a.id) || inflight?.id === a.id, `phantom point ${a.id}`).toBe(true);

      console.log(
        `[durability] SIGKILL after ${killAfter} ms of load (seed ${seed}); acknowledged writes vs found after restart: ` +
          `votes ${foundAnswers}/${checkedAnswers} final answers (${ackedVotes} acknowledged vote commands from ${VOTERS} voters), ` +
          `joins ${foundJoins + VOTERS}/${joined.length + VOTERS}, phase changes ${phaseOk ? 'last of' : 'NOT last of'} ${phaseRecord.acked}, ` +
          `Yjs inserts ${foundInserts}/${seenByObserver.size} (of ${typedTotal} typed), ` +
          `board creates ${foundCreates}/${structure.created.size}, owner changes ${foundOwners}/${structure.owners.size}, order ${orderOk ? 'kept' : 'NOT kept'}`
      );
      expect(ackedVotes).toBeGreaterThan(VOTERS);
      expect(seenByObserver.size).toBeGreaterThan(EDITORS);
      expect(foundAnswers).toBe(checkedAnswers);
      expect(foundJoins).toBe(joined.length);
      expect(voters.every((v) => participants.has(v.participantId))).toBe(true);
      expect(phaseOk, `phase ${phaseSnapshot.phase}/${phaseSnapshot.round}, last acked ${JSON.stringify(phaseRecord.last)}`).toBe(true);
      expect(foundInserts).toBe(seenByObserver.size);
      expect(structure.errors).toEqual([]);
      expect(structure.created.size).toBeGreaterThan(1);
      expect(foundCreates).toBe(structure.created.size);
      expect(foundOwners).toBe(structure.owners.size);
      expect(orderOk, `stored ${storedOrder.join(',')} vs acknowledged ${structure.order?.join(',')}`).toBe(true);
      // Every created point has its text in the document (created in the same commit).
      for (const id of structure.created.keys()) expect(reader.doc.getMap('texts').has(id), `text of ${id}`).toBe(true);

      // Carry on: everyone votes again, and the editors reconnect their own documents, which sends what the server missed.
      const again = await Promise.all(reconnected.map((client, i) => command(client, 'vote', { factor: (i % 12) + 1, answer: 5 as Answer })));
      expect(again.map((ack) => ack?.ok)).toEqual(reconnected.map(() => true));
      const providers = editorClients.map((editor, i) => attachProvider(second.url, board.code, editors[i].participantToken, editor.doc));
      await waitFor(() => providers.every((p) => p.synced), { message: 'editors resynced' });
      editorClients.forEach((editor, i) => actionText(editor.doc, actionId).insert(0, `[z${i}-0]`));
      const everything = [...typed.flat(), ...editorClients.map((_, i) => `[z${i}-0]`)];
      await waitFor(() => everything.every((token) => actionText(reader.doc, actionId).toString().includes(token)), {
        message: 'all typing arrived',
        timeout: 10_000
      });
      expect(reader.doc.getMap('texts').has(actionId)).toBe(true);
    },
    scaled(60_000)
  );

  it(
    'drains on SIGTERM, exits 0, and keeps everything',
    async () => {
      const dataDir = await makeDataDir();
      const first = await startChildServer({ dataDir });
      const session = await createSession(first.url);
      const facilitator = await connectFacilitator(first.url, session.code, session.facilitatorToken);
      const people = await Promise.all(Array.from({ length: 5 }, (_, i) => joinSession(first.url, session.code, { name: `P${i + 1}` })));
      const clients = await Promise.all(people.map((p) => connectParticipant(first.url, session.code, p.participantToken)));
      await advance(facilitator, 'voting');
      await Promise.all(clients.map((client, i) => castBallot(client, { 1: ((i % 5) + 1) as 1, 2: 'unknown', 12: 3 })));
      await advance(facilitator, 'revealed', 'actions');
      const writer = await connectYjs(first.url, session.code, people[0].participantToken);
      const watcher = await connectYjs(first.url, session.code, session.facilitatorToken);
      const id = await addPoint(clients[0], 6);
      await waitFor(() => writer.doc.getMap('texts').has(id), { message: 'the writer has the text' });
      (writer.doc.getMap('texts').get(id) as import('yjs').Text).insert(0, 'Kept through SIGTERM');
      await waitFor(() => String(watcher.doc.getMap('texts').get(id) ?? '') === 'Kept through SIGTERM', { message: 'the watcher saw the action' });

      // Clients stay connected while the server is asked to stop.
      const exit = await first.terminate(15_000);
      expect(exit, first.output()).toEqual({ code: 0, signal: null });
      expect(first.output()).toMatch(/SIGTERM: draining/);
      await waitFor(() => !facilitator.socket.connected, { message: 'clients were disconnected' });

      const second = await startChildServer({ dataDir });
      const summary = await api<{ phase: string; participants: number }>(second.url, `/api/sessions/${session.code}`);
      expect(summary.body).toMatchObject({ phase: 'actions', participants: 5 });
      for (const [i, person] of people.entries()) {
        const ballot = (await connectParticipant(second.url, session.code, person.participantToken)).snapshot.myBallot!;
        expect(Object.fromEntries(Object.entries(ballot).map(([f, a]) => [f, a.answer]))).toEqual({ 1: (i % 5) + 1, 2: 'unknown', 12: 3 });
      }
      const results = (await connectFacilitator(second.url, session.code, session.facilitatorToken)).snapshot.results;
      expect(results[0].factors[0].n).toBe(5);
      const reader = await connectYjs(second.url, session.code, session.facilitatorToken);
      const views = (await connectFacilitator(second.url, session.code, session.facilitatorToken)).snapshot.actions;
      expect(boardPoints(reader.doc, views).map((a) => [a.factor, a.text])).toEqual([[6, 'Kept through SIGTERM']]);
      expect((await second.terminate()).code).toBe(0);
    },
    scaled(60_000)
  );
});
