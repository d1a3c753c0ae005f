import type ExcelJS from 'exceljs';
import { clampUnits, xmlSafe } from '../../src/lib/domain/text';

/** The most characters (UTF-16 code units) one cell may hold in Excel; longer text makes it refuse or "repair" the file. */
export const CELL_UNITS_MAX = 32_767;

/**
 * Text as every spreadsheet reader accepts it in a cell: without the characters
 * XML 1.0 forbids (ExcelJS writes them raw into sharedStrings.xml, and a strict
 * reader refuses the whole file), and cut to 32,767 code units at a grapheme
 * boundary, with a visible "…" when cut.
 */
export function cellText(text: string): string {
  const safe = xmlSafe(text);
  return safe.length <= CELL_UNITS_MAX ? safe : `${clampUnits(safe, CELL_UNITS_MAX - 1)}…`;
}

/**
 * Makes every text in the workbook safe (see cellText): every string cell of
 * every sheet, the sheet names and the document properties. Called once, just
 * before writing, so no sheet and no later column can be forgotten.
 */
export function safeWorkbook(book: ExcelJS.Workbook): void {
  if (book.title) book.title = cellText(book.title);
  if (book.creator) book.creator = cellText(book.creator);
  book.eachSheet((ws) => {
    ws.eachRow({ includeEmpty: false }, (row) => {
      row.eachCell({ includeEmpty: false }, (cell) => {
        if (typeof cell.value === 'string') cell.value = cellText(cell.value);
      });
    });
  });
}
