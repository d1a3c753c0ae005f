import type ExcelJS from 'exceljs';

/**
 * ExcelJS is loaded at the first spreadsheet export, not when the server starts: importing it costs about 0.46 s of
 * CPU, a quarter of a whole start, paid by every instance that starts (and every child server a test starts) whether
 * or not anyone downloads a spreadsheet from it.
 */
let loading: Promise<typeof ExcelJS> | null = null;

/** A new, empty workbook. */
export async function newWorkbook(): Promise<ExcelJS.Workbook> {
  const { Workbook } = await (loading ??= import('exceljs').then((m) => m.default));
  return new Workbook();
}
