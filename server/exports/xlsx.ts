import type ExcelJS from 'exceljs';
import { newWorkbook } from './excel';
import { safeWorkbook } from './cells';
import { attentionReasons, distributionCells, sortedActions, type Ballot, type ExportJson } from '../../src/lib/domain/export';
import { exportWords } from '../../src/lib/i18n/catalogues';

/**
 * The spreadsheet export: one sheet per table, every revealed round on the results and comments
 * sheets (a round column), `pseudonyms` when the answers are labelled V1… (an anonymous session):
 * a note above them says the labels are drawn anew per round. One sheet per table, headers in the session's
 * language, numbers as numbers (formatted, not text), dates as dates. Text is
 * always written as a string cell, never as a formula.
 */
export async function exportXlsx(data: ExportJson, ballots: Ballot[], options: { pseudonyms: boolean } = { pseudonyms: false }): Promise<Buffer> {
  const lang = data.session.language;
  const words = exportWords(lang);
  const t = words.export;
  const r23 = words.takeHome;
  const book = await newWorkbook();
  book.creator = 'Seeds of Innovation';
  book.title = data.session.title;
  book.created = new Date(data.session.createdAt);

  const sheet = (name: string, headers: string[], widths: number[]) => {
    const ws = book.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.columns = headers.map((header, i) => ({ header, width: widths[i] ?? 12 }));
    ws.getRow(1).font = { bold: true };
    return ws;
  };
  const decimals = (ws: ExcelJS.Worksheet, columns: number[], format: string) => {
    for (const c of columns) ws.getColumn(c).numFmt = format;
  };

  // Every revealed round on one sheet, oldest first, its round in the first column (so it filters and
  // pivots), with the change since the round before in the last two.
  const factors = sheet(
    t.results,
    [
      t.round,
      t.number,
      t.factor,
      t.n,
      t.unknown,
      t.mean,
      t.median,
      t.stddev,
      t.consensus,
      ...[1, 2, 3, 4, 5].map(t.score),
      t.labels,
      r23.meanChange,
      r23.consensusChange
    ],
    [8, 6, 50, 9, 11, 12, 10, 14, 12, 9, 9, 9, 9, 9, 24, 14, 14]
  );
  for (const r of data.rounds) {
    for (const f of r.factors) {
      const labels = [f.weak ? t.weak : '', f.divergent ? t.divergent : '', f.unclear ? t.unclear : ''].filter(Boolean).join(', ');
      factors.addRow([
        r.round,
        f.number,
        f.title,
        f.n,
        f.unknown,
        f.mean,
        f.median,
        f.stddev,
        f.consensus,
        ...distributionCells(f),
        labels,
        f.change?.mean ?? null,
        f.change?.consensus ?? null
      ]);
    }
  }
  decimals(factors, [6, 7, 8, 9], '0.00');
  decimals(factors, [16, 17], '+0.00;-0.00;0.00');

  const attention = sheet(t.attention, ['', t.number, t.factor, t.labels], [5, 6, 50, 60]);
  data.attention.forEach((a, i) => attention.addRow([i + 1, a.number, a.title, attentionReasons(a, lang, words).join('; ')]));

  // Every revealed round's comments, with their round (round 1's are not lost when round 2 is revealed).
  const comments = sheet(t.comments, [t.round, t.number, t.factor, t.comment], [8, 6, 40, 80]);
  const titleOf = (r: ExportJson['rounds'][number], n: number) => r.factors.find((f) => f.number === n)?.title ?? `#${n}`;
  for (const r of data.rounds) for (const c of r.comments) comments.addRow([r.round, c.factor, titleOf(r, c.factor), c.text]);
  comments.getColumn(4).alignment = { wrapText: true, vertical: 'top' };

  const actions = sheet(t.actions, [t.action, t.number, t.factor, t.columns.owner, t.columns.due, t.columns.status, t.dots], [60, 6, 40, 20, 12, 10, 9]);
  for (const a of sortedActions(data)) {
    const title = a.factor === null ? t.general : (data.factors.find((f) => f.number === a.factor)?.title ?? '');
    actions.addRow([a.text, a.factor, title, a.owner ?? '', a.due ? new Date(`${a.due}T00:00:00Z`) : null, words.actions.statuses[a.status], a.votes]);
  }
  // A due date is a day: a real date cell at midnight UTC (never shifted), shown with the month named.
  actions.getColumn(5).numFmt = 'd mmm yyyy';
  actions.getColumn(1).alignment = { wrapText: true, vertical: 'top' };

  const factorCount = data.factors.length || (ballots[0]?.answers.length ?? 0);
  const answers = sheet(t.ballots, [t.voter, t.group, t.round, ...Array.from({ length: factorCount }, (_, i) => String(i + 1))], [14, 16, 8]);
  for (const b of ballots) answers.addRow([b.voter, b.group ?? '', b.round, ...b.answers.map((a) => (a === 'unknown' ? t.unknown : a))]);
  if (options.pseudonyms) {
    // Labels are drawn afresh per round (docs/privacy.md): say so above the table, so nobody follows "V1" across rounds.
    answers.insertRow(1, [r23.pseudonyms]);
    answers.mergeCells(1, 1, 1, Math.max(3 + factorCount, 8));
    const note = answers.getRow(1);
    note.font = { italic: true };
    note.height = 32;
    note.getCell(1).alignment = { wrapText: true, vertical: 'top' };
    answers.views = [{ state: 'frozen', ySplit: 2 }];
  }

  // Every text cell, in every sheet: no character XML forbids, no cell over Excel's 32,767.
  safeWorkbook(book);
  return Buffer.from(await book.xlsx.writeBuffer());
}
