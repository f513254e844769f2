import { Readable } from 'node:stream';
import { PackageError } from '../errors.js';
import { SafeZip } from './safe-zip.js';
import { parseSmallXml } from './manifest.js';
import { decodeText } from './text.js';
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
  /** The N of xl/worksheets/sheetN.xml, which is how exceljs's streaming reader names sheets. */
  sheetNo: string;
}

/** Lists sheets from xl/workbook.xml and its relationships (the streaming reader can't tell us up front). */
async function listSheets(workbook: SafeZip, file: string): Promise<SheetRef[]> {
  const book = workbook.find('xl/workbook.xml');
  const rels = workbook.find('xl/_rels/workbook.xml.rels');
  if (!book || !rels) throw new PackageError(`"${file}" is not an Excel workbook (xl/workbook.xml is missing)`, { file });
  const bookXml = parseSmallXml(decodeText(await workbook.readBuffer(book), file), file, ['sheet']);
  const relsXml = parseSmallXml(decodeText(await workbook.readBuffer(rels), file), file, ['Relationship']);
  const targets = new Map<string, string>();
  for (const rel of ((relsXml.Relationships as Record<string, unknown>)?.Relationship as Record<string, string>[]) ?? []) {
    targets.set(rel['@_Id'], rel['@_Target']);
  }
  const sheets = (((bookXml.workbook as Record<string, unknown>)?.sheets as Record<string, unknown>)?.sheet as Record<string, string>[]) ?? [];
  return sheets.map((sheet) => {
    const target = targets.get(sheet['@_id']) ?? '';
    const sheetNo = /sheet(\d+)\.xml$/i.exec(target)?.[1] ?? '';
    return { name: sheet['@_name'], sheetNo };
  });
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

/** One function for every value exceljs can hand back (see stack.md §3). */
export function cellToString(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return decodeXstring(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (value instanceof Date) {
    // exceljs gives the wall-clock value in the UTC fields.
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 19).replace('T', ' ');
  }
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v.richText)) return (v.richText as { text: string }[]).map((r) => r.text).join('');
    if ('result' in v) return cellToString(v.result);
    if ('text' in v) return cellToString(v.text);
    if ('error' in v) return String(v.error);
  }
  return String(value);
}

const EMPTY_SHARED_STRINGS = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>',
);
const LEADING_PARTS = ['xl/_rels/workbook.xml.rels', 'xl/workbook.xml', 'xl/sharedStrings.xml', 'xl/styles.xml'];

/**
 * exceljs's streaming reader wants the workbook, its relationships and the shared strings before any
 * sheet: otherwise it spools sheets to temp files (outside the mtdvat home, so package data would land
 * in /tmp) and, in some part orders, crashes reading
 * `model.sheets` before there is a model. D365 writes inline strings and no sharedStrings.xml at all.
 * So re-pack the (already verified) parts in the order it wants, adding an empty shared-string table
 * when there is none. (Its unzipper mis-reads stored entries, hence deflate.)
 */
async function repackForStreaming(parts: Map<string, Buffer>): Promise<Buffer> {
  const { default: yazl } = await import('yazl');
  const zip = new yazl.ZipFile();
  const byLower = new Map([...parts.keys()].map((name) => [name.toLowerCase(), name]));
  const added = new Set<string>();
  for (const part of LEADING_PARTS) {
    const name = byLower.get(part.toLowerCase());
    if (name) added.add(name);
    const content = name ? parts.get(name) : part === 'xl/sharedStrings.xml' ? EMPTY_SHARED_STRINGS : undefined;
    if (content) zip.addBuffer(content, part, { compressionLevel: 1 });
  }
  for (const [name, content] of parts) if (!added.has(name)) zip.addBuffer(content, name, { compressionLevel: 1 });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface XlsxReadOptions {
  excelSheetName: string;
  entityLabel: string;
  limits: ZipLimits;
  onWarning?: (message: string) => void;
}

export async function* readXlsxRecords(bytes: Buffer, file: string, options: XlsxReadOptions): AsyncGenerator<RawRecord> {
  // The .xlsx is a zip too: check its limits and CRCs with yauzl before exceljs (whose unzipper has none) sees it.
  // Its parts are held in memory (to re-pack), so their inflated total is capped at the workbook limit.
  const limits = { ...options.limits, maxTotalBytes: Math.min(options.limits.maxTotalBytes, options.limits.maxWorkbookBytes) };
  const workbook = await SafeZip.open(bytes, limits, `"${file}"`);
  let sheets: SheetRef[];
  const parts = new Map<string, Buffer>();
  try {
    for (const entry of workbook.entries) if (!entry.fileName.endsWith('/')) parts.set(entry.fileName, await workbook.readBuffer(entry));
    sheets = await listSheets(workbook, file);
  } finally {
    workbook.close();
  }
  const chosen = chooseSheet(sheets, options.excelSheetName, options.entityLabel, file);
  if (chosen.warning) options.onWarning?.(chosen.warning);
  const target = sheets[chosen.index].sheetNo;
  const targetName = sheets[chosen.index].name;

  const { default: ExcelJS } = await import('exceljs');
  try {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(await repackForStreaming(parts)), {
      worksheets: 'emit',
      sharedStrings: 'cache',
      styles: 'cache', // without it a date cell comes back as a serial number
      hyperlinks: 'ignore',
      entries: 'ignore',
    });
    let header: string[] | undefined;
    let count = 0;
    for await (const worksheet of reader) {
      // With the workbook part first, exceljs names each sheet (and renumbers its id by sheetId).
      const { id, name } = worksheet as unknown as { id: string | number; name?: string };
      const isTarget = name !== undefined ? name === targetName : String(id) === target;
      for await (const row of worksheet) {
        if (!isTarget) continue; // the stream must still be drained to reach the next sheet
        const cells = row.values as unknown[];
        if (!header) {
          header = cells.map((c) => cellToString(c).trim());
          continue;
        }
        const values = emptyValues();
        let any = false;
        for (let col = 1; col < header.length; col++) {
          const column = header[col];
          if (!column) continue;
          const text = cellToString(cells[col]);
          values[column] = text;
          if (text !== '') any = true;
        }
        if (!any) continue;
        count++;
        yield { no: count, values };
      }
    }
    if (!header) throw new PackageError(`"${file}": sheet "${sheets[chosen.index].name}" is empty (no header row)`, { file });
  } catch (error) {
    if (error instanceof PackageError) throw error;
    throw new PackageError(`"${file}" cannot be read as an Excel workbook: ${(error as Error).message}`, { file });
  }
}
