import type { Db } from './db.js';
import type { EntitySchema } from '../schema/types.js';
import { foldKey } from '../lib/natural-key.js';

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

/** The companies that have a setup (any imported record), sorted. */
export function companiesWithSetup(db: Db): string[] {
  return (db.prepare('SELECT DISTINCT company FROM records ORDER BY company').all() as { company: string }[]).map((r) => r.company);
}

export function listRecords(db: Db, company: string, entity: string): StoredRecord[] {
  const rows = db
    .prepare('SELECT natural_key, data FROM records WHERE company = ? AND entity = ? ORDER BY natural_key')
    .all(company, entity) as { natural_key: string; data: string }[];
  return rows.map((r) => ({ key: JSON.parse(r.natural_key) as string[], data: JSON.parse(r.data) as Record<string, string> }));
}

/**
 * The record whose key D365 would take as `key` (case, trailing spaces and Unicode form aside), with
 * its key as first stored: that spelling is the one secrets and tokens are bound to. A look-alike
 * kept from before keys were folded is found by its exact spelling only.
 */
export function getRecord(db: Db, company: string, entity: string, key: string[]): StoredRecord | undefined {
  const row = (db
    .prepare('SELECT natural_key, data FROM records WHERE company = ? AND entity = ? AND folded_key = ?')
    .get(company, entity, foldKey(key)) ??
    db.prepare('SELECT natural_key, data FROM records WHERE company = ? AND entity = ? AND natural_key = ?').get(company, entity, encodeKey(key))) as
    | { natural_key: string; data: string }
    | undefined;
  return row ? { key: JSON.parse(row.natural_key) as string[], data: JSON.parse(row.data) as Record<string, string> } : undefined;
}

/** Groups of stored records whose keys D365 would take as one (left from before keys were folded). */
export function lookAlikeKeys(db: Db, company: string, entity: string): string[][][] {
  const rows = db
    .prepare('SELECT natural_key FROM records WHERE company = ? AND entity = ? AND folded_key IS NULL')
    .pluck()
    .all(company, entity) as string[];
  const groups = new Map<string, string[][]>();
  for (const natural of rows) {
    const key = JSON.parse(natural) as string[];
    const folded = foldKey(key);
    if (!groups.has(folded)) {
      const first = db
        .prepare('SELECT natural_key FROM records WHERE company = ? AND entity = ? AND folded_key = ?')
        .pluck()
        .get(company, entity, folded) as string | undefined;
      groups.set(folded, first ? [JSON.parse(first) as string[]] : []);
    }
    groups.get(folded)!.push(key);
  }
  return [...groups.values()].filter((g) => g.length > 1);
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
