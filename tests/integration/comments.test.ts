/**
 * Comments as discussion fuel: saved with acknowledgement, back after a
 * reconnect (a reload), shown after the reveal per factor without authors in an
 * order that says nothing about who wrote first, hidden by the facilitator
 * (stored), and exported.
 */
import { describe, expect, it } from 'vitest';
import type { ExportJson } from '../../src/lib/domain/export';
import { LIMITS } from '../../src/lib/protocol';
import { connectFacilitator, connectParticipant, waitFor } from '../helpers/clients';
import ExcelJS from 'exceljs';
import { api, getExport, makeDataDir, startServer } from '../helpers/server';
import { advance, setupSession } from '../helpers/session';

describe('comments', () => {
  it('acknowledges a comment, keeps it across a reconnect, and bounds it in graphemes', async () => {
    const server = await startServer();
    const { code, facilitator, people } = await setupSession(server, { participants: 1 });
    const [{ client, joined }] = people;
    await advance(facilitator, 'voting');

    const ack = await client.send('vote', { factor: 3, answer: 4, comment: '  Meer  overleg\r\nmet de gemeente  ' });
    expect(ack).toEqual({ ok: true, data: { factor: 3, answered: 1 } });
    // Changing only the answer keeps the comment; a later comment replaces it.
    expect((await client.send('vote', { factor: 3, answer: 2 })).ok).toBe(true);
    client.close();

    const again = await connectParticipant(server.url, code, joined.participantToken);
    expect(again.snapshot.myBallot).toEqual({ 3: { answer: 2, comment: 'Meer  overleg\nmet de gemeente' } });

    // 500 graphemes of four UTF-16 units each are fine; 501 are refused and change nothing.
    const thumbs = '👍🏽'.repeat(LIMITS.commentMax);
    expect((await again.send('vote', { factor: 4, answer: 5, comment: thumbs })).ok).toBe(true);
    const tooLong = await again.send('vote', { factor: 4, answer: 1, comment: `${thumbs}x` });
    expect(tooLong.ok ? 'ok' : tooLong.error.code).toBe('bad_request');
    expect((await again.state()).myBallot?.[4]).toEqual({ answer: 5, comment: thumbs });
  });

  it('shows comments after the reveal, sorted and without authors; the facilitator hides one, which stays hidden after a restart', async () => {
    const dataDir = await makeDataDir();
    const server = await startServer({ dataDir });
    const { code, created, facilitator, people } = await setupSession(server, { participants: 3 });
    await advance(facilitator, 'voting');
    const texts = ['Zo gaat het goed', 'Alleen bij de trekkers', 'Mag beter'];
    for (const [i, person] of people.entries()) {
      const ack = await person.client.send('vote', { factor: 5, answer: 3, comment: texts[i] });
      expect(ack.ok).toBe(true);
    }
    // Nobody sees comments before the reveal.
    expect((await people[0].client.state()).results).toEqual([]);
    await advance(facilitator, 'revealed');

    const round = (await people[1].client.state()).results[0];
    expect(round.comments[4]).toEqual(['Alleen bij de trekkers', 'Mag beter', 'Zo gaat het goed']);
    expect(round.comments.filter((list, i) => i !== 4 && list.length > 0)).toEqual([]);
    // Text only: nothing about who wrote what anywhere in what a participant receives.
    const raw = JSON.stringify((await people[1].client.state()).results);
    for (const person of people) {
      expect(raw).not.toContain(person.joined.participantId);
      expect(raw).not.toContain(`"${person.joined.name}"`);
    }
    expect((await people[1].client.state()).hiddenComments).toBeNull();

    // Only the facilitator hides, only existing comments, and the room is told.
    const byParticipant = await people[0].client.send('comment:hide', { round: 1, factor: 5, text: 'Mag beter', hidden: true });
    expect(byParticipant.ok ? 'ok' : byParticipant.error.code).toBe('forbidden');
    const unknown = await facilitator.send('comment:hide', { round: 1, factor: 5, text: 'Nobody wrote this', hidden: true });
    expect(unknown.ok ? 'ok' : unknown.error.code).toBe('not_found');
    const hide = await facilitator.send('comment:hide', { round: 1, factor: 5, text: 'Mag beter', hidden: true });
    expect(hide).toEqual({ ok: true, data: [{ round: 1, factor: 5, text: 'Mag beter' }] });
    await people[2].client.waitForEvent('results', (r) => r[0].comments[4].length === 2);
    expect((await people[2].client.state()).results[0].comments[4]).toEqual(['Alleen bij de trekkers', 'Zo gaat het goed']);
    expect((await facilitator.state()).hiddenComments).toEqual([{ round: 1, factor: 5, text: 'Mag beter' }]);

    const exported = await getExport<ExportJson>(server.url, code, created.facilitatorToken);
    expect(exported.body.factors[4].comments).toEqual(['Alleen bij de trekkers', 'Zo gaat het goed']);
    expect(exported.body.factors[0].comments).toEqual([]);
    // The spreadsheet and the CSV have them too, with the same authorisation as the other exports.
    const auth = { headers: { authorization: `Bearer ${created.facilitatorToken}` } };
    expect((await api(server.url, `/api/sessions/${code}/export.xlsx`)).status).toBe(401);
    expect(
      (await api(server.url, `/api/sessions/${code}/export.xlsx`, { headers: { authorization: `Bearer ${people[0].joined.participantToken}` } })).status
    ).toBe(403);
    const xlsx = await fetch(`${server.url}/api/sessions/${code}/export.xlsx`, auth);
    expect(xlsx.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await xlsx.arrayBuffer());
    const sheet = book.getWorksheet('Toelichtingen')!;
    expect([2, 3].map((r) => sheet.getRow(r).getCell(4).value)).toEqual(['Alleen bij de trekkers', 'Zo gaat het goed']);
    const csv = await api(server.url, `/api/sessions/${code}/export.csv?table=comments`, auth);
    expect(csv.text).toBe('factor,comment,round\r\n5,Alleen bij de trekkers,1\r\n5,Zo gaat het goed,1\r\n');
    expect((await api(server.url, `/api/sessions/${code}/export.csv?table=secrets`, auth)).status).toBe(400);

    // Stored: a restarted server still hides it; showing it again works.
    await server.close();
    const restarted = await startServer({ dataDir });
    const facilitator2 = await connectFacilitator(restarted.url, code, created.facilitatorToken);
    expect(facilitator2.snapshot.results[0].comments[4]).toEqual(['Alleen bij de trekkers', 'Zo gaat het goed']);
    expect(facilitator2.snapshot.hiddenComments).toEqual([{ round: 1, factor: 5, text: 'Mag beter' }]);
    expect((await facilitator2.send('comment:hide', { round: 1, factor: 5, text: 'Mag beter', hidden: false })).ok).toBe(true);
    await waitFor(async () => (await facilitator2.state()).results[0].comments[4].length === 3);
  });
});
