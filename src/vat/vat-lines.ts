/**
 * Reads a VAT lines file (LINES.csv or LINES.xlsx): one row per ledger line that feeds the VAT return,
 * the way Dynamics 365's "Populate VAT return records" collects tax transactions into message items.
 *
 * Columns are found by their header (case, spaces and underscores ignored):
 *   - `Document` (required, unique in the file), `Date` (required, YYYY-MM-DD), `Account` and
 *     `Description` (optional);
 *   - box amounts, named by HMRC's field names (vatDueSales, …) or "Box 1", "Box 2", "Box 4", "Box 6" …
 *     "Box 9". Boxes 3 and 5 are derived (box 3 = 1 + 2, box 5 = |3 − 4|), so a column for them is an
 *     error, as is any other column (a typo must not drop an amount silently).
 * Amounts are exact decimals (never floats) with at most 2 places; negatives are credit notes. An empty
 * amount cell is zero. A leading "£" and thousands commas are allowed, as in RETURN.xlsx.
 *
 * All or nothing: any bad row makes the whole file fail, with every problem listed by its row (the
 * header is row 1; in a workbook, Excel's own row number).
 *
 * The file is untrusted: CSV goes through csv-parse with the project's strict decoder
 * (src/package/csv-records.ts); a workbook through the checked-zip streaming reader
 * (src/package/xlsx-records.ts), never through a second, unchecked unzip.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { MtdvatError, UsageError, ValidationError } from '../errors.js';
import { Decimal } from '../lib/decimal.js';
import { readCsvRecords } from '../package/csv-records.js';
import { limitsFromEnv } from '../package/limits.js';
import type { RawRecord } from '../package/records.js';
import { listXlsxSheets, readXlsxRecords } from '../package/xlsx-records.js';
import { BOXES, type BoxField } from './nine-box.js';

/** The boxes a line may carry: every box but the derived 3 and 5. */
export const LINE_BOX_FIELDS = ['vatDueSales', 'vatDueAcquisitions', 'vatReclaimedCurrPeriod', 'totalValueSalesExVAT', 'totalValuePurchasesExVAT', 'totalValueGoodsSuppliedExVAT', 'totalAcquisitionsExVAT'] as const satisfies readonly BoxField[];
export type LineBoxField = (typeof LINE_BOX_FIELDS)[number];

/** The sheet a workbook's lines are read from (else its only sheet). */
export const VAT_LINES_SHEET = 'VAT lines';

export interface VatLine {
  /** The row in the file (header = row 1). */
  row: number;
  document: string;
  /** YYYY-MM-DD. */
  date: string;
  account: string;
  description: string;
  /**
   * Only the boxes with a value in the file, as exact decimal text with its written scale ("-12.50"; no
   * "£" or thousands commas). Text, not Decimal objects: 100,000 lines are held at once before any is
   * written (all or nothing), and text is what a message item keeps.
   */
  boxes: Partial<Record<LineBoxField, string>>;
}

export interface LineProblem {
  /** Row in the file; undefined for a problem with the header or the file as a whole. */
  row?: number;
  column?: string;
  message: string;
}

export interface ReadLinesOptions {
  /** Dates must fall within this period (the message's From/To dates), inclusive. */
  from?: string;
  to?: string;
}

/** A VAT lines file that broke the rules; `problems` lists every one, `message` the first few. */
export class VatLinesError extends ValidationError {
  constructor(
    readonly problems: LineProblem[],
    file: string,
  ) {
    super(formatLineProblems(problems, file), { file });
  }
}

const SHOWN_PROBLEMS = 50;

export function formatLineProblems(problems: LineProblem[], file: string): string {
  const lines = problems.slice(0, SHOWN_PROBLEMS).map((p) => `  - ${p.row !== undefined ? `row ${p.row}: ` : ''}${p.message}`);
  if (problems.length > SHOWN_PROBLEMS) lines.push(`  … and ${problems.length - SHOWN_PROBLEMS} more`);
  const rows = new Set(problems.filter((p) => p.row !== undefined).map((p) => p.row)).size;
  const head = `VAT lines file "${file}" is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}${rows ? ` in ${rows} row${rows === 1 ? '' : 's'}` : ''}); nothing was read:`;
  return `${head}\n${lines.join('\n')}`;
}

/** Header text → its key for matching: lower case, no spaces, underscores or hyphens. */
function headerKey(name: string): string {
  return name.replace(/[\s_-]+/g, '').toLowerCase();
}

type ColumnRole = { kind: 'document' | 'date' | 'account' | 'description' } | { kind: 'box'; field: LineBoxField } | { kind: 'derived'; box: number };

const ROLES = new Map<string, ColumnRole>([
  ['document', { kind: 'document' }],
  ['date', { kind: 'date' }],
  ['account', { kind: 'account' }],
  ['description', { kind: 'description' }],
]);
for (const spec of BOXES) {
  const role: ColumnRole = (LINE_BOX_FIELDS as readonly string[]).includes(spec.field)
    ? { kind: 'box', field: spec.field as LineBoxField }
    : { kind: 'derived', box: spec.box };
  ROLES.set(headerKey(spec.field), role);
  ROLES.set(`box${spec.box}`, role);
}

const ACCEPTED_COLUMNS = `Document, Date, Account, Description, and box amounts as ${LINE_BOX_FIELDS.join(', ')} or "Box 1", "Box 2", "Box 4", "Box 6" … "Box 9"`;

interface ColumnMap {
  document: string;
  date: string;
  account?: string;
  description?: string;
  boxes: [string, LineBoxField][];
}

/** Maps the file's header to roles; every header problem is reported at once. */
export function mapColumns(headers: string[]): { columns?: ColumnMap; problems: LineProblem[] } {
  const problems: LineProblem[] = [];
  const seen = new Map<string, string>(); // role id → header as written
  const columns: Partial<ColumnMap> & { boxes: [string, LineBoxField][] } = { boxes: [] };
  for (const header of headers) {
    if (header.trim() === '') continue;
    const role = ROLES.get(headerKey(header));
    if (!role) {
      problems.push({ column: header, message: `column "${header}" is not a VAT lines column (expected ${ACCEPTED_COLUMNS})` });
      continue;
    }
    if (role.kind === 'derived') {
      problems.push({
        column: header,
        message: `column "${header}" is box ${role.box}, which is derived (box 3 = box 1 + box 2, box 5 = |box 3 − box 4|); remove it`,
      });
      continue;
    }
    const id = role.kind === 'box' ? role.field : role.kind;
    const earlier = seen.get(id);
    if (earlier !== undefined) {
      problems.push({ column: header, message: `columns "${earlier}" and "${header}" are the same column (${id})` });
      continue;
    }
    seen.set(id, header);
    if (role.kind === 'box') columns.boxes.push([header, role.field]);
    else columns[role.kind] = header;
  }
  if (!columns.document) problems.push({ column: 'Document', message: 'the required column "Document" is missing' });
  if (!columns.date) problems.push({ column: 'Date', message: 'the required column "Date" is missing' });
  if (columns.boxes.length === 0) problems.push({ message: `no box amount column (expected ${LINE_BOX_FIELDS.join(', ')} or "Box 1" … "Box 9")` });
  return problems.length ? { problems } : { columns: columns as ColumnMap, problems };
}

/** HMRC's range for a money box (submit return: https://developer.service.hmrc.gov.uk/api-documentation/docs/api/service/vat-api/1.0); one line cannot exceed a whole return. */
const MAX_AMOUNT = Decimal.parse('9999999999999.99');

/**
 * One amount cell → an exact decimal, or the reason it is not one. Plain decimals only (no exponent):
 * `-12.5`, `1,234.00`, `£10`, `-£3.20`.
 */
export function parseLineAmount(text: string): { value?: Decimal; error?: string } {
  const t = text.trim();
  if (t === '') return {};
  const m = /^([+-]?)£?(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?$/.exec(t);
  if (!m || (m[2] === undefined && m[3] === undefined)) return { error: `"${t}" is not an amount (write e.g. 1234.50 or -12.00)` };
  if ((m[3]?.length ?? 0) > 2) return { error: `${t} has more than 2 decimal places` };
  if ((m[2] ?? '').replace(/,/g, '').length > 16) return { error: `${t} is out of range` };
  const value = Decimal.parse(`${m[1]}${(m[2] ?? '0').replace(/,/g, '')}${m[3] !== undefined ? `.${m[3]}` : ''}`);
  if (value.abs().compare(MAX_AMOUNT) > 0) return { error: `${t} is out of range (at most 9,999,999,999,999.99 either way)` };
  return { value };
}

/** A real calendar date written YYYY-MM-DD. */
export function isIsoDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

const TEXT_LIMITS = { document: 100, account: 100, description: 1000 } as const;
// Control characters would travel to terminals, logs and workbooks; no ledger field needs them.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Validates records into lines. Pure: the readers below feed it; tests can call it with any rows.
 * `headers` are the file's column names; records carry their values by header.
 */
export class VatLinesCollector {
  readonly lines: VatLine[] = [];
  readonly problems: LineProblem[] = [];
  private columns?: ColumnMap;
  private headerChecked = false;
  private readonly documents = new Map<string, number>();

  constructor(private readonly options: ReadLinesOptions = {}) {}

  header(headers: string[]): void {
    this.headerChecked = true;
    const { columns, problems } = mapColumns(headers);
    this.columns = columns;
    this.problems.push(...problems);
  }

  add(row: number, values: Record<string, string>): void {
    if (!this.headerChecked) this.header(Object.keys(values));
    const c = this.columns;
    if (!c) return; // the header is wrong: its problems are already listed once
    const problems = this.problems;
    const problem = (column: string | undefined, message: string) => problems.push({ row, column, message });
    const text = (column: string | undefined, limit: number): string => {
      if (!column) return '';
      const v = (values[column] ?? '').trim();
      if (CONTROL.test(v)) problem(column, `${column} contains a control character`);
      else if (v.length > limit) problem(column, `${column} is longer than ${limit} characters`);
      return v;
    };

    const before = problems.length;
    const document = text(c.document, TEXT_LIMITS.document);
    if (document === '') problem(c.document, `${c.document} is empty (every line needs its document number)`);
    else {
      const first = this.documents.get(document);
      if (first !== undefined) problem(c.document, `document "${document}" is already on row ${first} (a document may appear once)`);
      else this.documents.set(document, row);
    }
    const date = (values[c.date] ?? '').trim();
    if (date === '') problem(c.date, `${c.date} is empty`);
    else if (!isIsoDate(date)) problem(c.date, `${c.date} "${date.slice(0, 40)}" is not a date written YYYY-MM-DD`);
    else if ((this.options.from && date < this.options.from) || (this.options.to && date > this.options.to)) {
      problem(c.date, `${c.date} ${date} is outside the period ${this.options.from ?? '…'} to ${this.options.to ?? '…'}`);
    }
    const account = text(c.account, TEXT_LIMITS.account);
    const description = text(c.description, TEXT_LIMITS.description);
    const boxes: Partial<Record<LineBoxField, string>> = {};
    for (const [column, field] of c.boxes) {
      const { value, error } = parseLineAmount(values[column] ?? '');
      if (error) problem(column, `${column}: ${error.slice(0, 200)}`);
      else if (value) boxes[field] = value.toString();
    }
    if (problems.length === before) this.lines.push({ row, document, date, account, description, boxes });
  }

  /** The lines, or a VatLinesError listing every problem. */
  result(file: string): VatLine[] {
    if (!this.headerChecked) this.problems.push({ message: 'the file has no VAT lines (a header row and at least one line are needed)' });
    else if (this.columns && this.lines.length === 0 && this.problems.length === 0) this.problems.push({ message: 'the file has a header but no VAT lines' });
    if (this.problems.length) throw new VatLinesError(this.problems, file);
    return this.lines;
  }
}

/** Excel shows 15 significant digits; a cell holding 0.1+0.2 is 0.3 to its user. */
function excelNumberText(n: number): string {
  return Decimal.fromSpreadsheetNumber(n).toString();
}

/** Most bytes a CSV lines file may have (about 10 million lines). */
const MAX_CSV_BYTES = 1024 * 1024 * 1024;

/** Reads and validates LINES.csv or LINES.xlsx. Throws VatLinesError (every problem) or UsageError. */
export async function readVatLines(path: string, options: ReadLinesOptions = {}): Promise<VatLine[]> {
  const file = basename(path);
  const ext = extname(path).toLowerCase();
  if (ext !== '.csv' && ext !== '.xlsx') throw new UsageError(`a VAT lines file must be .csv or .xlsx, got "${file}"`);
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a file');
    size = s.size;
  } catch {
    throw new UsageError(`cannot read VAT lines file ${path}: it does not exist or is not a readable file`);
  }
  const collector = new VatLinesCollector(options);
  let records: AsyncGenerator<RawRecord>;
  if (ext === '.csv') {
    if (size > MAX_CSV_BYTES) throw new ValidationError(`VAT lines file is too large (${size} bytes)`, { file });
    records = readCsvRecords(createReadStream(path), file);
  } else {
    const limits = limitsFromEnv();
    if (size > limits.maxWorkbookBytes) throw new ValidationError(`workbook is too large (${size} bytes)`, { file });
    records = readXlsxRecords(await readFile(path), file, {
      excelSheetName: VAT_LINES_SHEET,
      entityLabel: VAT_LINES_SHEET,
      limits,
      numberText: excelNumberText,
    });
  }
  try {
    // CSV: the header is row 1 and blank lines are skipped, so record N is row N + 1.
    for await (const record of records) collector.add(record.row ?? record.no + 1, record.values);
  } catch (error) {
    if (error instanceof MtdvatError) throw new ValidationError(error.message, { file });
    throw error;
  }
  return collector.result(file);
}

/** A line's boxes as the exact decimal texts a message item keeps (boxes without a value are left out). */
export function lineBoxTexts(line: VatLine): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of LINE_BOX_FIELDS) {
    const v = line.boxes[field];
    if (v !== undefined) out[field] = v;
  }
  return out;
}

/**
 * Whether a Collect data file is a VAT lines file rather than a RETURN file (the nine boxes): every
 * .csv is; an .xlsx is when it has a "VAT lines" sheet, or no "VAT return" sheet and a first sheet whose
 * header names a Document column.
 */
export async function isVatLinesFile(path: string): Promise<boolean> {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return true;
  if (ext !== '.xlsx') return false;
  const file = basename(path);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    return false; // the RETURN reader reports the missing file
  }
  const limits = limitsFromEnv();
  let sheets: string[];
  try {
    sheets = await listXlsxSheets(bytes, file, limits);
  } catch {
    return false; // not a workbook: the RETURN reader says so
  }
  const lower = sheets.map((s) => s.toLowerCase());
  if (lower.includes(VAT_LINES_SHEET.toLowerCase())) return true;
  if (lower.includes('vat return') || sheets.length === 0) return false;
  try {
    for await (const record of readXlsxRecords(bytes, file, { excelSheetName: sheets[0], entityLabel: sheets[0], limits })) {
      return Object.keys(record.values).some((h) => headerKey(h) === 'document');
    }
  } catch {
    return false;
  }
  return false;
}
