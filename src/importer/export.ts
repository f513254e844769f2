/**
 * `mtdvat export-package`: writes a company's stored setup back as a D365 data package, so a
 * consultant can move a setup between environments. Secret fields are always left empty: they are
 * never written in plaintext, and the result lists which ones were left out.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Context } from '../context.js';
import { NotFoundError, UsageError } from '../errors.js';
import { loadSchemas, schemasInImportOrder } from '../schema/registry.js';
import { audit } from '../store/audit.js';
import { countRawRecords, displayKey, listRecords } from '../store/records.js';
import { hasSecret } from '../store/secrets.js';
import { fileNameFor, writePackage, type PackageEntityInput, type PackageFormat } from '../package/writer.js';

export type ExportFormat = Extract<PackageFormat, 'xml-element' | 'xml-attribute' | 'excel'>;
export const EXPORT_FORMATS: readonly ExportFormat[] = ['xml-element', 'xml-attribute', 'excel'];

export interface ExportOptions {
  format?: ExportFormat;
}

export interface ExportResult {
  file: string;
  company: string;
  format: ExportFormat;
  /** Entities in import order, each with its record count and data file name. */
  entities: { entity: string; file: string; records: number }[];
  /** Secret fields that hold a value in the store and were written empty. */
  secretsOmitted: { entity: string; key: string; field: string }[];
  /** Data mtdvat keeps but cannot export (entities without a schema). */
  warnings: string[];
}

export async function exportSetup(ctx: Context, outZip: string, options: ExportOptions = {}): Promise<ExportResult> {
  const format = options.format ?? 'xml-element';
  if (!EXPORT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
  const file = resolve(outZip);
  if (!existsSync(dirname(file)) || !statSync(dirname(file)).isDirectory()) {
    throw new UsageError(`cannot write ${outZip}: folder ${dirname(file)} does not exist`);
  }
  if (existsSync(file) && statSync(file).isDirectory()) throw new UsageError(`cannot write ${outZip}: it is a folder`);

  const schemas = schemasInImportOrder(loadSchemas());
  const result: ExportResult = { file, company: ctx.company, format, entities: [], secretsOmitted: [], warnings: [] };
  const entities: PackageEntityInput[] = [];
  let total = 0;
  for (const schema of schemas) {
    const stored = listRecords(ctx.db, ctx.company, schema.id);
    const secret = new Set(schema.fields.filter((f) => f.secret).map((f) => f.name));
    const records = stored.map((record) => {
      const out: Record<string, string> = {};
      for (const field of schema.fields) {
        if (secret.has(field.name)) {
          out[field.name] = '';
          if (hasSecret(ctx.db, ctx.company, schema.id, record.key, field.name)) {
            result.secretsOmitted.push({ entity: schema.label, key: displayKey(record.key), field: field.name });
          }
        } else {
          out[field.name] = record.data[field.name] ?? '';
        }
      }
      return out;
    });
    total += records.length;
    // Every entity gets a file, empty ones too, as D365 exports every entity of a data project.
    entities.push({ schema, records, format });
    result.entities.push({ entity: schema.label, file: fileNameFor(schema.label, format), records: records.length });
  }
  if (total === 0) {
    throw new NotFoundError(`company ${ctx.company} has no setup to export; import a package first (mtdvat import-package FILE)`);
  }

  for (const { entity, n } of countRawRecords(ctx.db, ctx.company)) {
    result.warnings.push(`entity "${entity}" (${n} records) has no mtdvat schema and is not exported`);
  }

  await writePackage(file, {
    definitionGroupName: `MTD VAT setup ${ctx.company}`,
    description: `UK MTD VAT Electronic messages setup of company ${ctx.company}, exported by mtdvat (secret fields left empty)`,
    entities,
  });

  audit(ctx.db, {
    category: 'package',
    company: ctx.company,
    event: 'export',
    detail: {
      file,
      format,
      records: total,
      entities: result.entities.length,
      // Names only: which secret fields were left out, never their values.
      secretsOmitted: result.secretsOmitted.map((s) => `${s.entity} / ${s.key} / ${s.field}`),
    },
  });
  return result;
}
