import { PackageError } from '../errors.js';
import { SafeZip } from './safe-zip.js';
import { parseSmallXml } from './manifest.js';
import { ChunkDecoder, decodeText } from './text.js';
import { emptyValues, type RawRecord } from './records.js';
import type { ZipLimits } from './limits.js';

/** The sheet name D365 gives an entity: label with spaces, `/` and `-` as `_`, cut to 30 characters. */
export function sheetNameFor(label: string): string {
  return label.replace(/[ /-]/g, '_').slice(0, 30);
}

/** `Currencies$` / `'Currencies$'` (OLE DB style, as in manifests) → `Currencies`. */
export function cleanSheetName(name: string): string {
  return name.trim().replace(/^'|'$/g, '').replace(/\$$/, '').replace(/^'|'$/g, '');
}

interface SheetRef {
  name: string;
  /** The sheet's part in the workbook zip, from the workbook relationships (`xl/worksheets/sheet1.xml`). */
  part: string;
}

interface WorkbookInfo {
  sheets: SheetRef[];
  /** Dates count from 1904 (old Mac workbooks) rather than 1900. */
  date1904: boolean;
}

/** `worksheets/sheet1.xml` relative to `xl/`, or an absolute `/xl/worksheets/sheet1.xml`. */
function partPath(target: string): string {
  return target.startsWith('/') ? target.slice(1) : `xl/${target}`;
}

/** Lists sheets from xl/workbook.xml and its relationships. */
function readWorkbook(book: Buffer | undefined, rels: Buffer | undefined, file: string): WorkbookInfo {
  if (!book || !rels) throw new PackageError(`"${file}" is not an Excel workbook (xl/workbook.xml is missing)`, { file });
  const bookXml = parseSmallXml(decodeText(book, file), file, ['sheet']);
  const relsXml = parseSmallXml(decodeText(rels, file), file, ['Relationship']);
  const targets = new Map<string, string>();
  for (const rel of ((relsXml.Relationships as Record<string, unknown>)?.Relationship as Record<string, string>[]) ?? []) {
    targets.set(rel['@_Id'], rel['@_Target']);
  }
  const workbook = (bookXml.workbook as Record<string, unknown>) ?? {};
  const sheets = ((workbook.sheets as Record<string, unknown>)?.sheet as Record<string, string>[]) ?? [];
  const date1904 = (workbook.workbookPr as Record<string, string> | undefined)?.['@_date1904'];
  return {
    sheets: sheets.map((sheet) => ({ name: sheet['@_name'], part: partPath(targets.get(sheet['@_id']) ?? '') })),
    date1904: date1904 === '1' || date1904 === 'true',
  };
}

/** Chooses the entity's sheet as D365 names it; a lone sheet of another name is used with a warning. */
export function chooseSheet(
  sheets: { name: string }[],
  excelSheetName: string,
  entityLabel: string,
  file: string,
): { index: number; warning?: string } {
  if (sheets.length === 0) throw new PackageError(`"${file}" has no worksheet`, { file });
  const wanted = cleanSheetName(excelSheetName) || sheetNameFor(entityLabel);
  const index = sheets.findIndex((s) => s.name.toLowerCase() === wanted.toLowerCase());
  if (index >= 0) return { index };
  if (sheets.length === 1) {
    return { index: 0, warning: `"${file}": expected sheet "${wanted}", reading its only sheet "${sheets[0].name}"` };
  }
  throw new PackageError(
    `"${file}" has no sheet named "${wanted}" (it has ${sheets.map((s) => `"${s.name}"`).join(', ')})`,
    { file },
  );
}

/** OOXML escapes characters XML would normalize away (a CR is `_x000D_`); exceljs leaves them encoded. */
function decodeXstring(text: string): string {
  return text.includes('_x') ? text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : text;
}

/**
 * One function for every value exceljs can hand back (dates, rich text, formulas, errors, hyperlinks). `numberText` turns a number
 * cell into text (amount readers pass Excel's 15-digit view, so 0.1+0.2 reads as 0.3).
 */
export function cellToString(value: unknown, numberText: (n: number) => string = String): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return decodeXstring(value);
  if (typeof value === 'number') return Number.isFinite(value) ? numberText(value) : '';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (value instanceof Date) {
    // exceljs gives the wall-clock value in the UTC fields.
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 19).replace('T', ' ');
  }
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v.richText)) return (v.richText as { text: string }[]).map((r) => r.text).join('');
    if ('result' in v) return cellToString(v.result, numberText);
    if ('text' in v) return cellToString(v.text, numberText);
    if ('error' in v) return String(v.error);
  }
  return String(value);
}

/** XML parts larger than this are handed to the sheet parser in pieces. */
const CHUNK_BYTES = 64 * 1024;

/**
 * A part as text chunks for exceljs's SAX parser. exceljs decodes each Buffer chunk on its own, so a
 * character split across two chunks would turn into U+FFFD; decoding here (streaming, fatal, BOM-aware)
 * hands it whole characters.
 */
async function* textChunks(bytes: Buffer, part: string, file: string): AsyncGenerator<string> {
  const decoder = new ChunkDecoder(`${file}: ${part}`);
  for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
    const text = decoder.write(bytes.subarray(at, at + CHUNK_BYTES));
    if (at === 0 && /<!DOCTYPE/i.test(text)) {
      throw new PackageError(`"${file}": ${part} contains a DOCTYPE declaration, which packages must not have`, { file });
    }
    if (text) yield text;
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

/** The workbook's sheet names in order, through the same checked unzip as the records. */
export async function listXlsxSheets(bytes: Buffer, file: string, limits: ZipLimits): Promise<string[]> {
  const workbook = await SafeZip.open(bytes, { ...limits, maxTotalBytes: Math.min(limits.maxTotalBytes, limits.maxWorkbookBytes) }, `"${file}"`);
  try {
    const part = async (name: string) => {
      const entry = workbook.find(name);
      return entry ? workbook.readBuffer(entry) : undefined;
    };
    return readWorkbook(await part('xl/workbook.xml'), await part('xl/_rels/workbook.xml.rels'), file).sheets.map((s) => s.name);
  } finally {
    workbook.close();
  }
}

export interface XlsxReadOptions {
  excelSheetName: string;
  entityLabel: string;
  limits: ZipLimits;
  onWarning?: (message: string) => void;
  /** How number cells become text (default String). */
  numberText?: (n: number) => string;
}

/**
 * Reads the entity's sheet with exceljs's own streaming sheet reader, style table and shared-string
 * parser, fed from the parts we have already unzipped and checked. exceljs's
 * WorkbookReader is not used: it unzips a second time through unzipper (no limits, local headers
 * trusted), spools sheets to TMPDIR when the parts come in another order, and loading it costs
 * about as much as the whole import of a small package.
 */
export async function* readXlsxRecords(bytes: Buffer, file: string, options: XlsxReadOptions): AsyncGenerator<RawRecord> {
  // The .xlsx is a zip too: check its limits and CRCs with yauzl. Its parts are held in memory, so
  // their inflated total is capped at the workbook limit.
  const limits = { ...options.limits, maxTotalBytes: Math.min(options.limits.maxTotalBytes, options.limits.maxWorkbookBytes) };
  const workbook = await SafeZip.open(bytes, limits, `"${file}"`);
  // Only the parts the sheet needs are inflated (names are case-insensitive); other sheets, images
  // and the like stay packed.
  const part = async (name: string) => {
    const entry = workbook.find(name);
    return entry ? workbook.readBuffer(entry) : undefined;
  };
  let info: WorkbookInfo;
  let sheet: SheetRef;
  let sheetBytes: Buffer | undefined;
  let stylesPart: Buffer | undefined;
  let stringsPart: Buffer | undefined;
  let chosen: { index: number; warning?: string };
  try {
    info = readWorkbook(await part('xl/workbook.xml'), await part('xl/_rels/workbook.xml.rels'), file);
    chosen = chooseSheet(info.sheets, options.excelSheetName, options.entityLabel, file);
    sheet = info.sheets[chosen.index];
    sheetBytes = sheet.part ? await part(sheet.part) : undefined;
    stylesPart = await part('xl/styles.xml');
    stringsPart = await part('xl/sharedStrings.xml');
  } finally {
    workbook.close();
  }
  if (chosen.warning) options.onWarning?.(chosen.warning);
  if (!sheetBytes) throw new PackageError(`"${file}": sheet "${sheet.name}" points at ${sheet.part || 'no part'}, which is not in the workbook`, { file });

  const [{ default: WorksheetReader }, { default: StyleManager }, { default: SharedStringsXform }] = await Promise.all([
    import('exceljs/lib/stream/xlsx/worksheet-reader.js'),
    import('exceljs/lib/xlsx/xform/style/styles-xform.js'),
    import('exceljs/lib/xlsx/xform/strings/shared-strings-xform.js'),
  ]);
  try {
    // Without the style table a date cell comes back as a serial number.
    const styles = new StyleManager();
    styles.init();
    if (stylesPart) await styles.parseStream(textChunks(stylesPart, 'xl/styles.xml', file));
    // D365 writes inline strings and no shared-string table; Excel itself writes one.
    let sharedStrings: unknown[] = [];
    if (stringsPart) {
      const strings = new SharedStringsXform();
      await strings.parseStream(textChunks(stringsPart, 'xl/sharedStrings.xml', file));
      sharedStrings = strings.model.values;
    }
    stylesPart = stringsPart = undefined; // only the sheet is still needed
    const reader = new WorksheetReader({
      workbook: { sharedStrings, styles, properties: { model: { date1904: info.date1904 } } },
      id: chosen.index + 1,
      iterator: textChunks(sheetBytes, sheet.part, file),
      options: { worksheets: 'emit', hyperlinks: 'ignore' },
    });
    let header: string[] | undefined;
    let count = 0;
    for await (const row of reader) {
      const cells = row.values;
      if (!header) {
        header = cells.map((c) => cellToString(c).trim());
        continue;
      }
      const values = emptyValues();
      let any = false;
      for (let col = 1; col < header.length; col++) {
        const column = header[col];
        if (!column) continue;
        const text = cellToString(cells[col], options.numberText);
        values[column] = text;
        if (text !== '') any = true;
      }
      if (!any) continue;
      count++;
      yield { no: count, values, row: row.number };
    }
    if (!header) throw new PackageError(`"${file}": sheet "${sheet.name}" is empty (no header row)`, { file });
  } catch (error) {
    if (error instanceof PackageError) throw error;
    throw new PackageError(`"${file}" cannot be read as an Excel workbook: ${(error as Error).message}`, { file });
  }
}
