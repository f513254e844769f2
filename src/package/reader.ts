import type { Entry } from 'yauzl';
import { basename } from 'node:path';
import { PackageError } from '../errors.js';
import { limitsFromEnv, type ZipLimits } from './limits.js';
import { SafeZip } from './safe-zip.js';
import { decodeText } from './text.js';
import { importOrder, parseManifest, parsePackageHeader, type ManifestLine, type PackageHeaderInfo } from './manifest.js';
import { readXmlBatches } from './xml-records.js';
import type { RawRecord } from './records.js';

export type SourceFormat = 'xml-element' | 'xml-attribute' | 'excel' | 'csv';

/** A manifest line with its data file resolved. */
export interface PackageEntity extends ManifestLine {
  format: SourceFormat;
  /** The zip entry name actually used (the manifest's InputFilePath, matched case-insensitively). */
  file: string;
  entry?: Entry;
}

export interface OpenedPackage {
  name: string;
  header?: PackageHeaderInfo;
  definitionGroupName: string;
  description: string;
  /** Enabled entities in import order (execution unit, level, sequence). */
  entities: PackageEntity[];
  warnings: string[];
  /** The entity's records in file order, a batch at a time (one await per batch on hot paths). */
  readBatches(entity: PackageEntity): AsyncGenerator<RawRecord[]>;
  readRecords(entity: PackageEntity): AsyncGenerator<RawRecord>;
  close(): void;
}

export interface OpenOptions {
  limits?: ZipLimits;
}

/** Groups records from a record-at-a-time reader. */
async function* inBatches(records: AsyncIterable<RawRecord>, size = 500): AsyncGenerator<RawRecord[]> {
  let batch: RawRecord[] = [];
  for await (const record of records) {
    batch.push(record);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/**
 * The DMF "source data format" is a record name users can invent; D365's own are EXCEL, XML-Element,
 * XML-Attribute, CSV-Unicode…  Infer the parser from the name, then from the file extension.
 */
export function formatOf(sourceFormat: string, file: string): SourceFormat | undefined {
  const f = sourceFormat.toLowerCase();
  if (f.startsWith('xml-attribute') || f.includes('attribute')) return 'xml-attribute';
  if (f.startsWith('xml')) return 'xml-element';
  if (f.startsWith('excel')) return 'excel';
  if (f.startsWith('csv') || f.includes('delimited')) return 'csv';
  const ext = file.toLowerCase().split('.').pop();
  if (ext === 'xml') return 'xml-element';
  if (ext === 'xlsx') return 'excel';
  if (ext === 'csv' || ext === 'txt') return 'csv';
  return undefined;
}

export async function openPackage(zipPath: string, options: OpenOptions = {}): Promise<OpenedPackage> {
  const name = basename(zipPath);
  const limits = options.limits ?? limitsFromEnv();
  const zip = await SafeZip.open(zipPath, limits, name);
  try {
    const manifestEntry = zip.find('Manifest.xml');
    if (!manifestEntry) throw new PackageError(`${name} has no Manifest.xml: it is not a D365 data package`, { file: name });
    const manifest = parseManifest(decodeText(await zip.readBuffer(manifestEntry), 'Manifest.xml'), 'Manifest.xml');
    const headerEntry = zip.find('PackageHeader.xml');
    const warnings: string[] = [];
    let header: PackageHeaderInfo | undefined;
    if (headerEntry) {
      header = parsePackageHeader(decodeText(await zip.readBuffer(headerEntry), 'PackageHeader.xml'));
      if (header.packageType && header.packageType !== 'DefinitionGroup') {
        warnings.push(`PackageHeader.xml: PackageType is "${header.packageType}", expected "DefinitionGroup"`);
      }
      if (header.packageVersion && !['1', '2'].includes(header.packageVersion)) {
        warnings.push(`PackageHeader.xml: unknown PackageVersion "${header.packageVersion}"`);
      }
    } else {
      warnings.push(`${name} has no PackageHeader.xml`);
    }
    const seenNames = new Set<string>();
    const entities: PackageEntity[] = [];
    for (const line of importOrder(manifest.lines)) {
      if (line.disable) {
        warnings.push(`entity "${line.entityName}" is disabled in the manifest and was skipped`);
        continue;
      }
      const lower = line.entityName.toLowerCase();
      if (seenNames.has(lower)) {
        throw new PackageError(`Manifest.xml lists entity "${line.entityName}" twice`, { file: 'Manifest.xml', entity: line.entityName });
      }
      seenNames.add(lower);
      const entry = zip.find(line.inputFilePath);
      if (!entry) {
        throw new PackageError(`the manifest names "${line.inputFilePath}" for entity "${line.entityName}", but the package has no such file`, {
          entity: line.entityName,
          file: line.inputFilePath,
        });
      }
      const format = formatOf(line.sourceFormat, line.inputFilePath);
      if (!format) {
        throw new PackageError(`entity "${line.entityName}": source format "${line.sourceFormat}" is not supported`, {
          entity: line.entityName,
          file: line.inputFilePath,
        });
      }
      entities.push({ ...line, format, file: entry.fileName, entry });
    }
    const referenced = new Set(manifest.lines.map((l) => l.inputFilePath.toLowerCase()));
    for (const entry of zip.entries) {
      const lower = entry.fileName.toLowerCase();
      if (!entry.fileName.endsWith('/') && !referenced.has(lower) && lower !== 'manifest.xml' && lower !== 'packageheader.xml') {
        warnings.push(`"${entry.fileName}" is not referenced by the manifest and was ignored`);
      }
    }
    async function* readBatches(entity: PackageEntity): AsyncGenerator<RawRecord[]> {
      const entry = entity.entry!;
      if (entity.format === 'excel') {
        if (entry.uncompressedSize > limits.maxWorkbookBytes) {
          throw new PackageError(`"${entity.file}" is ${entry.uncompressedSize} bytes; workbooks are limited to ${limits.maxWorkbookBytes}`, {
            entity: entity.entityName,
            file: entity.file,
          });
        }
        // CSV and Excel readers load only for packages that have such files.
        const { readXlsxRecords } = await import('./xlsx-records.js');
        yield* inBatches(readXlsxRecords(await zip.readBuffer(entry), entity.file, {
          excelSheetName: entity.excelSheetName,
          entityLabel: entity.entityName,
          limits,
          onWarning: (w) => warnings.push(w),
        }));
      } else if (entity.format === 'csv') {
        const { readCsvRecords, delimiterFor } = await import('./csv-records.js');
        yield* inBatches(readCsvRecords(await zip.openStream(entry), entity.file, delimiterFor(entity.sourceFormat)));
      } else {
        yield* readXmlBatches(await zip.openStream(entry), entity.file);
      }
    }
    return {
      name,
      header,
      definitionGroupName: manifest.definitionGroupName,
      description: manifest.description,
      entities,
      warnings,
      readBatches,
      async *readRecords(entity) {
        for await (const batch of readBatches(entity)) yield* batch;
      },
      close: () => zip.close(),
    };
  } catch (error) {
    zip.close();
    throw error;
  }
}
