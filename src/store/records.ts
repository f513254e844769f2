import type { Db } from './db.js';
import type { EntitySchema } from '../schema/types.js';

/** A stored record: its key values and its non-secret field values (canonical strings). */
export interface StoredRecord {
  key: string[];
  data: Record<string, string>;
}

export function encodeKey(values: string[]): string {
  return JSON.stringify(values);
}

export function keyValues(schema: EntitySchema, data: Record<string, string>): string[] {
  return schema.key.map((f) => data[f] ?? '');
}

/** Human form of a natural key for messages: `Sandbox HMRC` or `UK MTD VAT TEST / Submit VAT return`. */
export function displayKey(values: string[]): string {
  return values.filter((v) => v !== '').join(' / ');
}

/** Rows kept raw (entities without an mtdvat schema), counted per entity. */
export function countRawRecords(db: Db, company: string): { entity: string; n: number }[] {
  return db
    .prepare('SELECT entity, COUNT(*) AS n FROM raw_records WHERE company = ? GROUP BY entity ORDER BY entity')
    .all(company) as { entity: string; n: number }[];
}

export function listRecords(db: Db, company: string, entity: string): StoredRecord[] {
  const rows = db
    .prepare('SELECT natural_key, data FROM records WHERE company = ? AND entity = ? ORDER BY natural_key')
    .all(company, entity) as { natural_key: string; data: string }[];
  return rows.map((r) => ({ key: JSON.parse(r.natural_key) as string[], data: JSON.parse(r.data) as Record<string, string> }));
}

export function getRecord(db: Db, company: string, entity: string, key: string[]): StoredRecord | undefined {
  const row = db
    .prepare('SELECT data FROM records WHERE company = ? AND entity = ? AND natural_key = ?')
    .get(company, entity, encodeKey(key)) as { data: string } | undefined;
  return row ? { key, data: JSON.parse(row.data) as Record<string, string> } : undefined;
}

/** Replaces the non-secret fields of an existing record (used by commands that edit the setup). */
export function updateRecordData(db: Db, company: string, entity: string, key: string[], data: Record<string, string>): void {
  db.prepare('UPDATE records SET data = ?, updated_at = ? WHERE company = ? AND entity = ? AND natural_key = ?').run(
    JSON.stringify(data),
    new Date().toISOString(),
    company,
    entity,
    encodeKey(key),
  );
}


/** A record with the import job and file record number that last wrote it. */
export interface JobRecord extends StoredRecord {
  lastJob: number | null;
  lastRecord: number | null;
}

/** Every record of an entity, lazily, with who last wrote it (for checks across entities after an import). */
export function* iterateRecordsWithJob(db: Db, company: string, entity: string): Generator<JobRecord> {
  const rows = db
    .prepare('SELECT natural_key, data, last_job, last_record FROM records WHERE company = ? AND entity = ? ORDER BY natural_key')
    .iterate(company, entity) as Iterable<{ natural_key: string; data: string; last_job: number | null; last_record: number | null }>;
  for (const r of rows) {
    yield { key: JSON.parse(r.natural_key) as string[], data: JSON.parse(r.data) as Record<string, string>, lastJob: r.last_job, lastRecord: r.last_record };
  }
}
