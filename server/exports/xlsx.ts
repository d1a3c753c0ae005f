import ExcelJS from 'exceljs';
import { safeWorkbook } from './cells';
import { attentionReasons, distributionCells, exportWords, sortedActions, type Ballot, type ExportJson } from '../../src/lib/domain/export';

/**
 * The spreadsheet export: one sheet per table, headers in the session's
 * language, numbers as numbers (formatted, not text), dates as dates. Text is
 * always written as a string cell, never as a formula.
 */
export async function exportXlsx(data: ExportJson, ballots: Ballot[]): Promise<Buffer> {
  const lang = data.session.language;
  const words = exportWords(lang);
  const t = words.export;
  const book = new ExcelJS.Workbook();
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

  const factors = sheet(
    t.results,
    [t.number, t.factor, t.n, t.unknown, t.mean, t.median, t.stddev, t.consensus, ...[1, 2, 3, 4, 5].map(t.score), t.labels],
    [6, 50, 9, 11, 12, 10, 14, 12, 9, 9, 9, 9, 9, 24]
  );
  for (const f of data.factors) {
    const labels = [f.weak ? t.weak : '', f.divergent ? t.divergent : '', f.unclear ? t.unclear : ''].filter(Boolean).join(', ');
    factors.addRow([f.number, f.title, f.n, f.unknown, f.mean, f.median, f.stddev, f.consensus, ...distributionCells(f), labels]);
  }
  decimals(factors, [5, 6, 7, 8], '0.00');

  const attention = sheet(t.attention, ['', t.number, t.factor, t.labels], [5, 6, 50, 60]);
  data.attention.forEach((a, i) => attention.addRow([i + 1, a.number, a.title, attentionReasons(a, lang).join('; ')]));

  const comments = sheet(t.comments, [t.number, t.factor, t.comment], [6, 40, 80]);
  for (const f of data.factors) for (const c of f.comments) comments.addRow([f.number, f.title, c]);
  comments.getColumn(3).alignment = { wrapText: true, vertical: 'top' };

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

  // Every text cell, in every sheet: no character XML forbids, no cell over Excel's 32,767.
  safeWorkbook(book);
  return Buffer.from(await book.xlsx.writeBuffer());
}
