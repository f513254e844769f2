import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { EntityDecoder } from '@nodable/entities';
import { PackageError } from '../errors.js';

export interface FieldMap {
  xmlField: string;
  entityField: string;
}

/** One `DataManagementPackageEntityData` of the manifest. */
export interface ManifestLine {
  entityName: string;
  targetEntity?: string;
  sourceFormat: string;
  inputFilePath: string;
  excelSheetName: string;
  unit: number;
  level: number;
  sequence: number;
  disable: boolean;
  maps: FieldMap[];
  /** Position in the manifest (alphabetical in D365 exports): the last tie-breaker of import order. */
  index: number;
}

export interface Manifest {
  definitionGroupName: string;
  description: string;
  lines: ManifestLine[];
}

export interface PackageHeaderInfo {
  description: string;
  manifestType: string;
  packageType: string;
  packageVersion: string;
}

/** Small, trusted-size XML (manifest, header, workbook parts): DOM parse after refusing any DTD. */
export function parseSmallXml(text: string, file: string, arrays: string[] = []): Record<string, unknown> {
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new PackageError(`"${file}" contains a DOCTYPE/ENTITY declaration, which packages must not have`, { file });
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new PackageError(`"${file}" is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`, { file });
  }
  const arraySet = new Set(arrays);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    removeNSPrefix: true,
    isArray: (name) => arraySet.has(name),
    // fast-xml-parser leaves numeric references (&#xD;) undecoded by default; .NET writes them.
    entityDecoder: new EntityDecoder({ numericAllowed: true }) as never,
  });
  try {
    return parser.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new PackageError(`"${file}" cannot be parsed: ${(error as Error).message}`, { file });
  }
}

/** Text of an element as parsed: `i:nil` and empty elements read as ''. */
function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && '#text' in (value as object)) return String((value as Record<string, unknown>)['#text']);
  return '';
}

function int(value: unknown, fallback: number): number {
  const t = text(value).trim();
  return /^-?\d+$/.test(t) ? Number(t) : fallback;
}

function bool(value: unknown, fallback: boolean): boolean {
  const t = text(value).trim().toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  return fallback;
}

/** Reads children by name regardless of order (D365 writes them alphabetically; others may not). */
export function parseManifest(xml: string, file = 'Manifest.xml'): Manifest {
  const doc = parseSmallXml(xml, file, ['DataManagementPackageEntityData', 'EntityMap']);
  const root = doc.DataManagementPackageManifest as Record<string, unknown> | undefined;
  if (!root || typeof root !== 'object') {
    throw new PackageError(`"${file}" is not a D365 package manifest (no DataManagementPackageManifest root)`, { file });
  }
  const list = (root.PackageEntityList as Record<string, unknown> | undefined)?.DataManagementPackageEntityData as
    | Record<string, unknown>[]
    | undefined;
  const lines: ManifestLine[] = (list ?? []).map((raw, index) => {
    const entityName = text(raw.EntityName).trim();
    const maps = ((raw.EntityMapList as Record<string, unknown> | undefined)?.EntityMap as Record<string, unknown>[] | undefined) ?? [];
    const line: ManifestLine = {
      entityName,
      targetEntity: text(raw.TargetEntity).trim() || undefined,
      sourceFormat: text(raw.SourceFormat).trim(),
      inputFilePath: text(raw.InputFilePath).trim(),
      excelSheetName: text(raw.ExcelSheetName).trim(),
      unit: int(raw.ExecutionUnit, 0),
      level: int(raw.LevelInExecutionUnit, 0),
      sequence: int(raw.SequenceInLevel, 0),
      disable: bool(raw.Disable, false),
      maps: maps
        .map((m) => ({ xmlField: text(m.XMLField).trim(), entityField: text(m.EntityField).trim() }))
        .filter((m) => m.xmlField !== '' && m.entityField !== ''),
      index,
    };
    if (!entityName) throw new PackageError(`"${file}": entity number ${index + 1} has no EntityName`, { file });
    if (!line.inputFilePath) {
      throw new PackageError(`"${file}": entity "${entityName}" has no InputFilePath`, { file, entity: entityName });
    }
    return line;
  });
  return {
    definitionGroupName: text(root.DefinitionGroupName),
    description: text(root.Description),
    lines,
  };
}

export function parsePackageHeader(xml: string, file = 'PackageHeader.xml'): PackageHeaderInfo {
  const doc = parseSmallXml(xml, file);
  const root = doc.DataManagementPackageHeader as Record<string, unknown> | undefined;
  if (!root || typeof root !== 'object') {
    throw new PackageError(`"${file}" is not a D365 package header (no DataManagementPackageHeader root)`, { file });
  }
  return {
    description: text(root.Description),
    manifestType: text(root.ManifestType),
    packageType: text(root.PackageType),
    packageVersion: text(root.PackageVersion),
  };
}

/** D365 order: execution unit, then level, then sequence; manifest position breaks ties (stable). */
export function importOrder(lines: ManifestLine[]): ManifestLine[] {
  return [...lines].sort((a, b) => a.unit - b.unit || a.level - b.level || a.sequence - b.sequence || a.index - b.index);
}
