/**
 * The one validation pass over a package's records, shared by import-package (which then writes) and
 * inspect-package (which only reports): the manifest's field mapping, the schema's per-field checks,
 * the key, duplicate keys, the column warnings and the reference message, in the import's words.
 */
import type { PackageEntity } from '../package/reader.js';
import type { RawRecord } from '../package/records.js';
import type { EntitySchema } from '../schema/types.js';
import { displayKey, encodeKey } from '../store/records.js';
import { foldKey } from '../lib/natural-key.js';
import { EntityMapper } from './mapping.js';

export interface ValidationProblem {
  entity: string;
  file: string;
  record?: number;
  key?: string;
  field?: string;
  message: string;
}

export type RecordCheck =
  /** No schema: the mapped values, kept as they came. */
  | { kind: 'raw'; mapped: Record<string, string> }
  /** Failed the schema's field checks. */
  | { kind: 'invalid'; problems: ValidationProblem[] }
  | { kind: 'valid'; values: Record<string, string>; keyValues: string[]; key: string; folded: string; keyText: () => string };

/** One entity file of a package, record by record. */
export class EntityValidation {
  readonly mapper: EntityMapper;

  constructor(
    readonly entity: PackageEntity,
    readonly schema: EntitySchema | undefined,
  ) {
    this.mapper = new EntityMapper(entity, schema);
  }

  /** Said before the records of an entity mtdvat has no schema for. */
  get noSchemaWarning(): string | undefined {
    return this.schema ? undefined : `entity "${this.entity.entityName}" has no schema in mtdvat: its records are kept as they are`;
  }

  check(record: RawRecord): RecordCheck {
    const mapped = this.mapper.map(record);
    const schema = this.schema;
    if (!schema) return { kind: 'raw', mapped };
    const { values, problems } = this.mapper.normalize(mapped);
    const keyText = () => displayKey(schema.key.map((k) => values[k] ?? '')); // only messages need it
    if (problems.length) {
      const key = keyText() || undefined;
      return { kind: 'invalid', problems: problems.map((p) => ({ ...this.where(record.no), key, field: p.field, message: p.message })) };
    }
    const keyValues = schema.key.map((k) => values[k]);
    // `folded` is the key as D365 compares it (lib/natural-key.ts): what duplicates and look-ups go by.
    return { kind: 'valid', values, keyValues, key: encodeKey(keyValues), folded: foldKey(keyValues), keyText };
  }

  /**
   * A second record of this entity with the same key in one package; `firstText` is the first record's
   * key when it is spelled differently (D365 takes "Sandbox HMRC" and "sandbox hmrc " as one key).
   */
  duplicate(recordNo: number, keyText: string, firstText = keyText): ValidationProblem {
    const fields = this.schema!.key.join(' + ');
    return {
      ...this.where(recordNo),
      key: keyText,
      message:
        firstText === keyText
          ? `duplicate key: another record of "${this.entity.entityName}" in this package already has ${fields} = "${keyText}"`
          : `duplicate key: another record of "${this.entity.entityName}" in this package already has ${fields} = "${firstText}", the same key as "${keyText}" to D365 (keys ignore case, trailing spaces and Unicode normal form)`,
    };
  }

  /** Warnings once every record was read (`read` of them). */
  warnings(read: number): string[] {
    const file = this.entity.file;
    const out: string[] = [];
    for (const column of this.mapper.unmappedColumns) out.push(`${file}: column "${column}" is not in the manifest's field map and was ignored`);
    for (const field of this.mapper.unknownFields) out.push(`${file}: "${field}" is not a field of ${this.schema?.label} known to mtdvat and was ignored`);
    if (read > 0) for (const column of this.mapper.missingMappedColumns()) out.push(`${file}: the manifest maps column "${column}", but the file has no such column`);
    return out;
  }

  private where(record: number): { entity: string; file: string; record: number } {
    return { entity: this.entity.entityName, file: this.entity.file, record };
  }
}

/** `FIELD refers to Label "value"`: the start of every dangling-reference message. */
export function refersTo(fields: string[], targetLabel: string, values: string[]): string {
  return `${fields.join(', ')} refers to ${targetLabel} "${values.join(' / ')}"`;
}
