/**
 * `mtdvat inspect-package`: what a DMF package holds and what its import would fail on, without a
 * store. Records go through the importer's own validation pass (validate.ts), so the problems and
 * warnings listed are exactly the ones import-package reports, in its words.
 */
import { MtdvatError } from '../errors.js';
import { EntityValidation, refersTo } from './validate.js';
import { loadSchemas } from '../schema/registry.js';
import { foldKey } from '../lib/natural-key.js';
import { openPackage } from '../package/reader.js';

export interface InspectProblem {
  record?: number;
  key?: string;
  field?: string;
  message: string;
}

export interface InspectedEntity {
  entity: string;
  targetEntity: string | null;
  /** Schema id mtdvat matched, when `schema` is true. */
  schemaId: string | null;
  file: string;
  format: string;
  sourceFormat: string;
  order: { unit: number; level: number; sequence: number };
  records: number;
  columns: string[];
  mappedColumns: string[];
  unmappedColumns: string[];
  /** Mapped entity fields the schema does not know (ignored on import). */
  unknownFields: string[];
  /** Columns the manifest maps that the file lacks. */
  missingColumns: string[];
  schema: boolean;
  /** What would make import-package fail (the first MAX_PROBLEMS). */
  problems: InspectProblem[];
  problemCount: number;
  /** What import-package would only warn about. */
  warnings: string[];
}

export interface InspectResult {
  header: {
    package: string;
    definitionGroupName: string;
    description: string;
    packageType: string | null;
    packageVersion: string | null;
    manifestType: string | null;
    headerDescription: string | null;
    warnings: string[];
  };
  entities: InspectedEntity[];
  ok: boolean;
}

const MAX_PROBLEMS = 100;

export async function inspectPackage(zipPath: string): Promise<InspectResult> {
  const registry = loadSchemas();
  const pkg = await openPackage(zipPath);
  try {
    const entities: InspectedEntity[] = [];
    // Keys seen per schema across the package, for reference checks inside the package.
    const keysBySchema = new Map<string, Set<string>>();
    const pendingRefs: { entity: InspectedEntity; target: string; key: string; fields: string[]; values: string[]; record: number; recordKey: string }[] = [];
    for (const e of pkg.entities) {
      const schema = registry.resolve(e.targetEntity, e.entityName);
      const validation = new EntityValidation(e, schema);
      const mapper = validation.mapper;
      const out: InspectedEntity = {
        entity: e.entityName,
        targetEntity: e.targetEntity ?? null,
        schemaId: schema?.id ?? null,
        file: e.file,
        format: e.format,
        sourceFormat: e.sourceFormat,
        order: { unit: e.unit, level: e.level, sequence: e.sequence },
        records: 0,
        columns: [],
        mappedColumns: [],
        unmappedColumns: [],
        unknownFields: [],
        missingColumns: [],
        schema: !!schema,
        problems: [],
        problemCount: 0,
        warnings: [],
      };
      const problem = ({ record, key, field, message }: InspectProblem) => {
        out.problemCount++;
        if (out.problems.length < MAX_PROBLEMS) out.problems.push({ record, key, field, message });
      };
      // Folded keys (as D365 compares them) → the first record's spelling.
      const seen = new Map<string, string>();
      const keys = schema ? (keysBySchema.get(schema.id) ?? new Set<string>()) : undefined;
      if (schema) keysBySchema.set(schema.id, keys!);
      try {
        for await (const record of pkg.readRecords(e)) {
          out.records++;
          const checked = validation.check(record);
          if (checked.kind === 'raw') continue;
          if (checked.kind === 'invalid') {
            for (const p of checked.problems) problem(p);
            continue;
          }
          const { values, folded: key } = checked;
          const first = seen.get(key);
          if (first !== undefined) {
            problem(validation.duplicate(record.no, checked.keyText(), first));
            continue;
          }
          seen.set(key, checked.keyText());
          keys!.add(key);
          // The import checks references against the store after writing (the reference check is
          // there); without a store, inspect can only say which ones the package itself does not hold.
          for (const ref of schema!.references) {
            const refValues = ref.fields.map((f) => values[f] ?? '');
            if (refValues.every((v) => v === '')) continue;
            pendingRefs.push({ entity: out, target: ref.entity, key: foldKey(refValues), fields: ref.fields, values: refValues, record: record.no, recordKey: checked.keyText() });
          }
        }
      } catch (error) {
        if (!(error instanceof MtdvatError)) throw error;
        problem({ message: error.message, ...(error.location.record !== undefined ? { record: error.location.record } : {}) });
      }
      out.columns = [...mapper.columns];
      out.unmappedColumns = [...mapper.unmappedColumns];
      out.mappedColumns = out.columns.filter((c) => !mapper.unmappedColumns.has(c));
      out.unknownFields = [...mapper.unknownFields];
      out.missingColumns = out.records > 0 ? mapper.missingMappedColumns() : [];
      if (validation.noSchemaWarning) out.warnings.push(validation.noSchemaWarning);
      out.warnings.push(...validation.warnings(out.records));
      entities.push(out);
    }
    // A reference the package cannot resolve itself fails the import into an empty store: a problem
    // (exit 1), so inspect can gate a pipeline. `import-package --dry-run` checks against a real store.
    for (const ref of pendingRefs) {
      if (keysBySchema.get(ref.target)?.has(ref.key)) continue;
      const label = registry.byId(ref.target).label;
      ref.entity.problemCount++;
      if (ref.entity.problems.length < MAX_PROBLEMS) {
        ref.entity.problems.push({
          record: ref.record,
          key: ref.recordKey,
          field: ref.fields.join(', '),
          message: `${refersTo(ref.fields, label, ref.values)}, which is not in the package: importing it into a company without that record fails (\`import-package --dry-run\` checks against the store)`,
        });
      }
    }
    return {
      header: {
        package: pkg.name,
        definitionGroupName: pkg.definitionGroupName,
        description: pkg.description,
        packageType: pkg.header?.packageType ?? null,
        packageVersion: pkg.header?.packageVersion ?? null,
        manifestType: pkg.header?.manifestType ?? null,
        headerDescription: pkg.header?.description ?? null,
        warnings: pkg.warnings,
      },
      entities,
      ok: entities.every((e) => e.problemCount === 0),
    };
  } finally {
    pkg.close();
  }
}
