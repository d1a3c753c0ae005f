import { newWorkbook } from './excel';
import { safeWorkbook } from './cells';
import { COMMUNITY_CSV_HEADERS, communityLongRows, type CommunityExportInput } from '../../src/lib/domain/community-export';

/**
 * The community spreadsheet (same library as the session export): the long
 * format of the CSV on one sheet, numbers as numbers, text always as text.
 */
export async function communityXlsx(data: CommunityExportInput): Promise<Buffer> {
  const book = await newWorkbook();
  book.creator = 'Seeds of Innovation';
  book.title = data.community.name;
  const ws = book.addWorksheet('trends', { views: [{ state: 'frozen', ySplit: 1 }] });
  const widths = [10, 40, 12, 8, 8, 8, 6, 8, 10, 8, 10, 10];
  ws.columns = COMMUNITY_CSV_HEADERS.map((header, i) => ({ header, width: widths[i] }));
  ws.getRow(1).font = { bold: true };
  ws.getColumn(8).numFmt = '0.00';
  ws.getColumn(9).numFmt = '0.00';
  // The session's day (already the local day where it met) as a real date cell, midnight UTC so no zone moves it;
  // shown with the month named, so no reader takes 06-12 for June.
  ws.getColumn(3).numFmt = 'd mmm yyyy';
  // Cells get plain values; ExcelJS writes a string as a string, never as a formula.
  for (const row of communityLongRows(data)) ws.addRow(row.map((value, i) => (i === 2 ? new Date(`${String(value)}T00:00:00Z`) : value)));
  // Every text cell, in every sheet: no character XML forbids, no cell over Excel's 32,767.
  safeWorkbook(book);
  return Buffer.from(await book.xlsx.writeBuffer());
}
