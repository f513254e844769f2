/**
 * The sample VAT returns of the README's walkthrough, `packages-data/examples/RETURN.json` (written by
 * hand: HMRC's submit body) and `RETURN.xlsx` (made from it here, by `npm run build-package`). Neither
 * holds a periodKey: `mtdvat vat submit --period-key` supplies the open period, so the samples stay
 * valid whatever periods the emulator (or HMRC's sandbox) offers. test/packages-data/examples.test.ts
 * reads both through mtdvat's own readers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { Decimal } from '../src/lib/decimal.js';
import { readJsonFields, RETURN_SHEET_NAME } from '../src/vat/return-file.js';

/** Writes examples/RETURN.xlsx from examples/RETURN.json; returns its path. */
export async function writeReturnExamples(examplesDir: string): Promise<string> {
  const fields = readJsonFields(readFileSync(join(examplesDir, 'RETURN.json'), 'utf8'));
  const workbook = new ExcelJS.Workbook();
  // Fixed document dates: rebuilding an unchanged sample changes nothing but the zip's own timestamps.
  workbook.created = workbook.modified = new Date(Date.UTC(2024, 0, 1));
  workbook.creator = 'mtdvat';
  const sheet = workbook.addWorksheet(RETURN_SHEET_NAME);
  sheet.columns = [{ width: 32 }, { width: 14 }, { width: 48 }];
  sheet.addRow(['Field', 'Value', 'Note']);
  // Amounts as text cells keep their written decimals ("1050.50"), the way the reader documents.
  for (const [field, value] of Object.entries(fields)) {
    sheet.addRow([field, value instanceof Decimal ? value.toString() : value, field === 'finalised' ? 'must be TRUE to submit' : '']);
  }
  const file = join(examplesDir, 'RETURN.xlsx');
  await workbook.xlsx.writeFile(file);
  return file;
}
