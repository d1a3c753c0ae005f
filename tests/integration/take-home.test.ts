/**
 * The take-home (issue 23, items 3 and 5) over the real server: a session of two revealed rounds
 * with comments in both (one hidden by the facilitator, one written in a third round not yet
 * revealed), every format downloaded (Markdown, each CSV table, XLSX read back with exceljs,
 * JSON) and compared with the rounds the facilitator's page holds; and the files' names
 * (Content-Disposition with RFC 5987 filename*), for a session and for a community.
 */
import ExcelJS from 'exceljs';
import { parse } from 'content-disposition';
import { describe, expect, it } from 'vitest';
import type { ExportJson } from '../../src/lib/domain/export';
import type { CreateCommunityResponse, RoundResults } from '../../src/lib/protocol';
import { api, postJson, startServer } from '../helpers/server';
import { advance, castBallot, setupSession } from '../helpers/session';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
// 23:20 UTC on 5 Dec 2026: 00:20 on 6 Dec in Amsterdam, where the group met (the files carry the 6th).
const AMSTERDAM_AFTER_MIDNIGHT = Date.UTC(2026, 11, 5, 23, 20);
const ALL_FOURS = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [i + 1, 4 as const]));

/** The name a download is offered under: filename* when there is one (the full UTF-8 name), and the ASCII fallback. */
function fileNames(disposition: string | null): { name: string; fallback: string } {
  expect(disposition).toMatch(/^attachment;/);
  const parsed = parse(disposition!);
  const fallback = /filename=("?)([^";]+)\1/.exec(disposition!)?.[2] ?? '';
  return { name: parsed.parameters.filename, fallback };
}

describe('take-home files', () => {
  it('every format holds both revealed rounds with their comments, labelled by round, as the page shows them', async () => {
    const server = await startServer({ clock: () => AMSTERDAM_AFTER_MIDNIGHT });
    const { code, created, facilitator, people } = await setupSession(server, {
      create: { title: 'Groeiplan Zürich', language: 'nl', anonymous: true, timeZone: 'Europe/Amsterdam' },
      participants: 3
    });
    const auth = { headers: bearer(created.facilitatorToken) };

    // Round 1: everyone answers; two comments on factor 2, one on factor 7; the facilitator hides one.
    await advance(facilitator, 'voting');
    for (const p of people) await castBallot(p.client, ALL_FOURS);
    for (const [i, text] of ['R1 tijd ontbreekt', 'R1 te weinig geld'].entries()) {
      expect((await people[i].client.send('vote', { factor: 2, answer: 2, comment: text })).ok).toBe(true);
    }
    expect((await people[2].client.send('vote', { factor: 7, answer: 5, comment: 'R1 verborgen' })).ok).toBe(true);
    await advance(facilitator, 'revealed');
    expect((await facilitator.send('comment:hide', { round: 1, factor: 7, text: 'R1 verborgen', hidden: true })).ok).toBe(true);

    // Round 2: other comments; then a third round is opened with a comment nobody has seen yet.
    await advance(facilitator, 'voting');
    for (const p of people) await castBallot(p.client, ALL_FOURS);
    expect((await people[0].client.send('vote', { factor: 2, answer: 3, comment: 'R2 al beter' })).ok).toBe(true);
    expect((await people[1].client.send('vote', { factor: 9, answer: 1, comment: 'R2 (verzekeren) zorgen' })).ok).toBe(true);
    await advance(facilitator, 'revealed');
    // What the facilitator's page holds: the two revealed rounds (the hidden comment left out).
    const shown: RoundResults[] = (await facilitator.state()).results;
    expect(shown.map((r) => r.round)).toEqual([1, 2]);
    await advance(facilitator, 'voting');
    for (const p of people) await castBallot(p.client, ALL_FOURS);
    expect((await people[0].client.send('vote', { factor: 3, answer: 4, comment: 'R3 nog geheim' })).ok).toBe(true);

    const expected = shown.map((r) => ({ round: r.round, comments: r.comments.flatMap((texts, i) => texts.map((text) => ({ factor: i + 1, text }))) }));
    expect(expected).toEqual([
      {
        round: 1,
        comments: [
          { factor: 2, text: 'R1 te weinig geld' },
          { factor: 2, text: 'R1 tijd ontbreekt' }
        ]
      },
      {
        round: 2,
        comments: [
          { factor: 2, text: 'R2 al beter' },
          { factor: 9, text: 'R2 (verzekeren) zorgen' }
        ]
      }
    ]);

    // JSON: rounds[] as the page shows them, oldest first; the top level is the latest revealed round.
    const json = await api<ExportJson>(server.url, `/api/sessions/${code}/export.json`, auth);
    expect(json.status).toBe(200);
    expect(json.body.round).toBe(2);
    expect(json.body.rounds.map((r) => ({ round: r.round, comments: r.comments }))).toEqual(expected);
    expect(json.body.rounds.map((r) => r.voters)).toEqual(shown.map((r) => r.voters));
    for (const [i, r] of json.body.rounds.entries()) {
      expect(r.factors.map((f) => [f.number, f.n, f.mean, f.consensus])).toEqual(shown[i].factors.map((f) => [f.number, f.n, f.mean, f.consensus]));
    }
    expect(json.body.rounds[0].factors[1].change).toBeNull();
    expect(json.body.rounds[1].factors[1].change!.mean).toBeCloseTo(shown[1].factors[1].mean! - shown[0].factors[1].mean!, 3);
    expect(json.body.factors[1].comments).toEqual(['R2 al beter']);

    // Nothing hidden and nothing of the unrevealed round, in any format.
    const texts: string[] = [json.text];

    // Markdown: each round's results and comments under its heading, and the shift between them.
    const md = await api(server.url, `/api/sessions/${code}/export.md`, auth);
    expect(md.status).toBe(200);
    texts.push(md.text);
    const lines = md.text.split('\n');
    for (const heading of ['### Ronde 1 (3 deelnemers)', '### Ronde 2 (3 deelnemers)', '## Verschuiving ronde 1 → 2', '### Ronde 1', '### Ronde 2']) {
      expect(lines).toContain(heading);
    }
    const comments = lines.indexOf('## Toelichtingen');
    const r1 = lines.indexOf('### Ronde 1', comments);
    const r2 = lines.indexOf('### Ronde 2', comments);
    expect(comments > 0 && r1 > comments && r2 > r1).toBe(true);
    expect(lines.slice(r1, r2).filter((l) => l.startsWith('- '))).toEqual(['- R1 te weinig geld', '- R1 tijd ontbreekt']);
    expect(lines.slice(r2).filter((l) => l.startsWith('- R'))).toEqual(['- R2 al beter', '- R2 (verzekeren) zorgen']);

    // Each CSV table, the comments and factors with their round.
    const csv = async (table: string) => {
      const response = await api(server.url, `/api/sessions/${code}/export.csv?table=${table}`, auth);
      expect(response.status).toBe(200);
      texts.push(response.text);
      return response;
    };
    const commentsCsv = await csv('comments');
    expect(commentsCsv.text).toBe(
      [
        'factor,comment,round',
        ...expected.flatMap((r) => r.comments.map((c) => `${c.factor},${/[,"]/.test(c.text) ? `"${c.text}"` : c.text},${r.round}`)),
        ''
      ].join('\r\n')
    );
    const factorsCsv = (await csv('factors')).text.trimEnd().split('\r\n');
    expect(factorsCsv).toHaveLength(1 + 2 * 12);
    expect(factorsCsv.slice(1).map((l) => l.split(',').at(-3))).toEqual([...new Array(12).fill('1'), ...new Array(12).fill('2')]);
    const ballotsCsv = (await csv('ballots')).text.trimEnd().split('\r\n');
    expect(ballotsCsv.slice(1).map((l) => l.split(',')[1])).toEqual(['1', '1', '1', '2', '2', '2']);
    await csv('actions');

    // XLSX, read back: both rounds on the results and comments sheets; the pseudonym note on the answers.
    const xlsx = await fetch(`${server.url}/api/sessions/${code}/export.xlsx`, auth);
    expect(xlsx.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await xlsx.arrayBuffer());
    const sheetComments = book.getWorksheet('Toelichtingen')!;
    const rows: { round: number; factor: number; text: string }[] = [];
    sheetComments.eachRow((row, n) => {
      if (n > 1) rows.push({ round: row.getCell(1).value as number, factor: row.getCell(2).value as number, text: String(row.getCell(4).value) });
    });
    expect(rows).toEqual(expected.flatMap((r) => r.comments.map((c) => ({ round: r.round, ...c }))));
    const results = book.getWorksheet('Resultaten')!;
    expect(results.rowCount).toBe(1 + 2 * 12);
    expect(results.getRow(2).getCell(1).value).toBe(1);
    expect(results.getRow(14).getCell(1).value).toBe(2);
    const answers = book.getWorksheet('Antwoorden')!;
    expect(String(answers.getRow(1).getCell(1).value)).toContain('V1 in ronde 1 is dus niet dezelfde persoon als V1 in ronde 2');
    expect(answers.getRow(2).getCell(1).value).toBe('Stemmer');
    book.eachSheet((ws) => ws.eachRow((row) => row.eachCell((c) => texts.push(String(c.value)))));

    for (const text of texts) {
      expect(text).not.toContain('R1 verborgen');
      expect(text).not.toContain('R3 nog geheim');
    }

    // The files are named after the session and the day it met, in its language; ü kept in filename*.
    const day = json.body.session.date;
    expect(day).toBe('2026-12-06');
    const named = async (path: string) => fileNames((await api(server.url, path, auth)).headers.get('content-disposition'));
    expect(await named(`/api/sessions/${code}/export.json`)).toEqual({ name: `groeiplan-zürich-${day}.json`, fallback: `groeiplan-zurich-${day}.json` });
    expect((await named(`/api/sessions/${code}/export.md`)).name).toBe(`groeiplan-zürich-${day}.md`);
    expect((await named(`/api/sessions/${code}/export.xlsx`)).name).toBe(`groeiplan-zürich-${day}.xlsx`);
    expect((await named(`/api/sessions/${code}/actions.ics`)).name).toBe(`groeiplan-zürich-${day}-acties.ics`);
    const tables = { factors: 'factoren', comments: 'toelichtingen', actions: 'actiepunten', ballots: 'antwoorden' };
    for (const [table, word] of Object.entries(tables)) {
      expect(await named(`/api/sessions/${code}/export.csv?table=${table}`)).toEqual({
        name: `groeiplan-zürich-${day}-${word}.csv`,
        fallback: `groeiplan-zurich-${day}-${word}.csv`
      });
    }
  });

  it('names community downloads after the community and today where it meets (English words for an English one)', async () => {
    const server = await startServer({ clock: () => AMSTERDAM_AFTER_MIDNIGHT });
    const response = await postJson<CreateCommunityResponse>(server.url, '/api/communities', {
      name: 'Greenport: Café / LC',
      language: 'en',
      timeZone: 'Europe/Amsterdam'
    });
    expect(response.status).toBe(201);
    const community = response.body;
    const auth = { headers: bearer(community.communityToken) };
    const named = async (file: string) => {
      const res = await api(server.url, `/api/communities/${community.id}/${file}`, auth);
      expect(res.status).toBe(200);
      return fileNames(res.headers.get('content-disposition'));
    };
    expect(await named('export.md')).toEqual({ name: 'greenport-café-lc-2026-12-06.md', fallback: 'greenport-cafe-lc-2026-12-06.md' });
    expect((await named('export.csv')).name).toBe('greenport-café-lc-2026-12-06-trends.csv');
    expect((await named('export.xlsx')).name).toBe('greenport-café-lc-2026-12-06-trends.xlsx');
    expect((await named('actions.ics')).name).toBe('greenport-café-lc-2026-12-06-actions.ics');
    // A plain ASCII name needs no filename*.
    const plain = await postJson<CreateCommunityResponse>(server.url, '/api/communities', { name: 'Groeiplan', timeZone: 'Europe/Amsterdam' });
    const header = (await api(server.url, `/api/communities/${plain.body.id}/export.md`, { headers: bearer(plain.body.communityToken) })).headers.get(
      'content-disposition'
    );
    expect(header).toBe('attachment; filename=groeiplan-2026-12-06.md');
  });
});
