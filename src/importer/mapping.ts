import type { EntitySchema, FieldSpec } from '../schema/types.js';
import type { PackageEntity } from '../package/reader.js';
import { normalizeValue } from '../schema/normalize.js';
import { emptyValues, type RawRecord } from '../package/records.js';

export interface RecordProblem {
  field?: string;
  message: string;
}

/**
 * Applies the manifest's EntityMapList (file column → entity field, case-insensitive; identity when the
 * list is empty) and, for entities with a schema, normalizes every value. One instance per entity file;
 * it remembers the columns it has seen so inspect and import can report unmapped/missing ones.
 */
export class EntityMapper {
  private readonly mapByColumn = new Map<string, string>();
  private readonly fieldByName = new Map<string, FieldSpec>();
  private readonly resolved = new Map<string, string | null>();
  readonly columns = new Set<string>();
  readonly unmappedColumns = new Set<string>();
  readonly unknownFields = new Set<string>();

  constructor(
    readonly entity: PackageEntity,
    readonly schema: EntitySchema | undefined,
  ) {
    for (const m of entity.maps) this.mapByColumn.set(m.xmlField.toLowerCase(), m.entityField);
    for (const f of schema?.fields ?? []) this.fieldByName.set(f.name.toLowerCase(), f);
  }

  /** Entity field for a file column, or null when the column is not mapped / not a schema field. */
  private fieldFor(column: string): string | null {
    let field = this.resolved.get(column);
    if (field !== undefined) return field;
    const mapped = this.entity.maps.length ? this.mapByColumn.get(column.toLowerCase()) : column;
    if (mapped === undefined) {
      this.unmappedColumns.add(column);
      field = null;
    } else if (this.schema) {
      const spec = this.fieldByName.get(mapped.toLowerCase());
      if (!spec) this.unknownFields.add(mapped);
      field = spec ? spec.name : null;
    } else {
      field = mapped.toUpperCase();
    }
    this.resolved.set(column, field);
    this.columns.add(column);
    return field;
  }

  /** Mapped field → raw value (schema-less entities keep their values as they came). */
  map(record: RawRecord): Record<string, string> {
    const out = emptyValues();
    for (const column in record.values) {
      const field = this.fieldFor(column);
      if (field !== null) out[field] = record.values[column];
    }
    return out;
  }

  /** Normalizes a mapped record against the schema; returns the canonical values and any problems. */
  normalize(mapped: Record<string, string>): { values: Record<string, string>; problems: RecordProblem[] } {
    const problems: RecordProblem[] = [];
    const values = emptyValues();
    for (const spec of this.schema!.fields) {
      const raw = mapped[spec.name];
      if (raw === undefined) {
        if (spec.required) problems.push({ field: spec.name, message: `${spec.name} is required but the file has no such column` });
        continue;
      }
      const result = normalizeValue(spec, raw);
      if ('error' in result) problems.push({ field: spec.name, message: `${spec.name} ${result.error}` });
      else values[spec.name] = result.value;
    }
    for (const keyField of this.schema!.key) {
      if (values[keyField] === undefined && !problems.some((p) => p.field === keyField)) {
        problems.push({ field: keyField, message: `${keyField} (part of the key) is missing` });
      }
    }
    return { values, problems };
  }

  /** Mapped columns the file never had (D365 fails with DMF2022; we warn). */
  missingMappedColumns(): string[] {
    if (!this.entity.maps.length) return [];
    const seen = new Set([...this.columns].map((c) => c.toLowerCase()));
    return this.entity.maps.filter((m) => !seen.has(m.xmlField.toLowerCase())).map((m) => m.xmlField);
  }
}
