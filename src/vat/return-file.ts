/**
 * Reads a VAT return from RETURN.json or RETURN.xlsx into the exact nine-box model.
 *
 * RETURN.json is HMRC's submit body: `periodKey`, the nine boxes under HMRC's names, `finalised`.
 * Numbers are read from the raw text (never through a double), so `1.000` is seen as 3 decimal places.
 *
 * RETURN.xlsx layout:
 *   - a worksheet named "VAT return" (if there is none, the first worksheet is used);
 *   - column A = HMRC field name (periodKey, vatDueSales, vatDueAcquisitions, totalVatDue,
 *     vatReclaimedCurrPeriod, netVatDue, totalValueSalesExVAT, totalValuePurchasesExVAT,
 *     totalValueGoodsSuppliedExVAT, totalAcquisitionsExVAT, finalised), matched ignoring case and spaces;
 *   - column B = the value. Amounts may be number cells or text cells. Text keeps its written scale
 *     ("1.000" has 3 places, so it fails the 2-dp rule); a leading "£" and thousands commas are allowed.
 *     Number cells are read at Excel's own 15-significant-digit precision (a formula giving
 *     0.30000000000000004 reads as 0.3). Formula cells use their cached result.
 *     finalised: TRUE/FALSE cell or the text true/false;
 *   - an empty column A skips the row; a first row with "Field" in column A is a header; column C and
 *     beyond are free for notes. Any other name in column A is an error (it catches typos).
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, basename } from 'node:path';
import { ValidationError, UsageError } from '../errors.js';
import { Decimal } from '../lib/decimal.js';
import { parseJsonExact, type JsonValue } from '../lib/exact-json.js';
import { buildReturn, RETURN_FIELD_NAMES, type BuildOptions, type RawField, type VatReturn } from './nine-box.js';

export const RETURN_SHEET_NAME = 'VAT return';
const MAX_FILE_BYTES = 10 * 1024 * 1024;

export async function readReturnFile(path: string, options: BuildOptions = {}): Promise<VatReturn> {
  const raw = await readReturnFields(path);
  try {
    return buildReturn(raw, options);
  } catch (error) {
    if (error instanceof ValidationError) {
      const located = new ValidationError(error.message, { file: basename(path) });
      located.problems = error.problems;
      throw located;
    }
    throw error;
  }
}

/** The raw field values (before the nine-box rules). */
export async function readReturnFields(path: string): Promise<Record<string, RawField>> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new UsageError(`cannot read return file ${path}: it does not exist or is not readable`);
  }
  if (size > MAX_FILE_BYTES) throw new ValidationError(`return file is too large (${size} bytes; a VAT return is a few KB)`, { file: basename(path) });
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return readJsonFields(await readFile(path, 'utf8'), basename(path));
  if (ext === '.xlsx') return readXlsxFields(await readFile(path), basename(path));
  throw new UsageError(`return file must be .json or .xlsx, got "${basename(path)}"`);
}

export function readJsonFields(text: string, file = 'RETURN.json'): Record<string, RawField> {
  let parsed: JsonValue;
  try {
    parsed = parseJsonExact(text);
  } catch (error) {
    throw new ValidationError(`not valid JSON: ${(error as Error).message}`, { file });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || parsed instanceof Decimal) {
    throw new ValidationError('a return file must hold one JSON object (HMRC\'s submit body)', { file });
  }
  const known = new Set<string>(RETURN_FIELD_NAMES);
  const unknown = Object.keys(parsed).filter((k) => !known.has(k));
  if (unknown.length) {
    throw new ValidationError(`unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}; expected HMRC's names: ${RETURN_FIELD_NAMES.join(', ')}`, {
      file,
    });
  }
  return { ...parsed } as Record<string, RawField>;
}

/** Zip pre-check: exceljs sets no size or entry limits of its own. */
async function precheckZip(buf: Buffer, file: string): Promise<void> {
  const yauzl = await import('yauzl');
  let zip;
  try {
    zip = await yauzl.fromBufferPromise(buf, { lazyEntries: true });
  } catch (error) {
    throw new ValidationError(`not a valid .xlsx (zip) file: ${(error as Error).message}`, { file });
  }
  try {
    if (zip.entryCount > 200) throw new ValidationError(`.xlsx has too many parts (${zip.entryCount})`, { file });
    let total = 0;
    for await (const entry of zip.eachEntry()) {
      total += entry.uncompressedSize;
      const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
      if (total > 50 * 1024 * 1024 || (entry.uncompressedSize > 1024 * 1024 && ratio > 200)) {
        throw new ValidationError('.xlsx expands to too much data; refusing to open it', { file });
      }
    }
  } finally {
    zip.close();
  }
}

/** One cell → a raw field value; every exceljs cell shape handled in one place. */
export function cellToRaw(value: unknown): RawField {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v.richText)) return (v.richText as { text: string }[]).map((r) => r.text).join('');
    if ('result' in v) return cellToRaw(v.result);
    if ('error' in v) return `#ERROR ${String(v.error)}`;
    if ('text' in v) return cellToRaw(v.text);
  }
  return String(value);
}

export async function readXlsxFields(buf: Buffer, file = 'RETURN.xlsx'): Promise<Record<string, RawField>> {
  await precheckZip(buf, file);
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
  } catch (error) {
    throw new ValidationError(`cannot read the workbook: ${(error as Error).message}`, { file });
  }
  const ws = wb.getWorksheet(RETURN_SHEET_NAME) ?? wb.worksheets[0];
  if (!ws) throw new ValidationError(`the workbook has no worksheet (expected "${RETURN_SHEET_NAME}")`, { file });
  const byLower = new Map(RETURN_FIELD_NAMES.map((n) => [n.toLowerCase(), n as string]));
  const out: Record<string, RawField> = {};
  const errors: string[] = [];
  ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const nameRaw = cellToRaw(row.getCell(1).value);
    const name = typeof nameRaw === 'string' ? nameRaw.replace(/\s+/g, '').toLowerCase() : nameRaw === undefined ? '' : String(nameRaw);
    if (name === '') return;
    if (rowNumber === 1 && /^field(name)?$/.test(name)) return;
    const field = byLower.get(name);
    if (!field) {
      errors.push(`row ${rowNumber}: "${String(nameRaw)}" in column A is not an HMRC field name`);
      return;
    }
    if (field in out) {
      errors.push(`row ${rowNumber}: ${field} appears twice`);
      return;
    }
    const v = cellToRaw(row.getCell(2).value);
    out[field] = field === 'periodKey' && typeof v === 'number' ? String(v) : typeof v === 'string' && field === 'periodKey' ? v.trim() : v;
  });
  if (errors.length) throw new ValidationError(`sheet "${ws.name}": ${errors.join('; ')}`, { file });
  return out;
}
