/**
 * The shipped UK MTD VAT setup (packages-data/source/*.json, the records the predefined package is
 * built from) written straight into a store, so the Electronic messages runtime can be tested on the
 * exact setup users import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openDb, type Db } from '../../src/store/db.js';
import { loadSchemas } from '../../src/schema/registry.js';
import { encodeKey, keyValues } from '../../src/store/records.js';

export const SOURCE_DIR = resolve(import.meta.dirname, '..', '..', 'packages-data', 'source');

export type SourceRecords = Record<string, Record<string, string>[]>;

/** entity id → records, as in packages-data/source. */
export function shippedSetup(): SourceRecords {
  const out: SourceRecords = {};
  for (const f of readdirSync(SOURCE_DIR).filter((n) => n.endsWith('.json')).sort()) {
    const j = JSON.parse(readFileSync(join(SOURCE_DIR, f), 'utf8')) as { entity: string; records: Record<string, string>[] };
    out[j.entity] = j.records.map((r) => ({ ...r }));
  }
  return out;
}

/** Writes records into `db` for `company` (secret fields dropped: these tests need none). */
export function writeSetup(db: Db, company: string, setup: SourceRecords): void {
  const schemas = loadSchemas();
  const stmt = db.prepare(
    `INSERT INTO records (company, entity, natural_key, data, last_job, updated_at) VALUES (?, ?, ?, ?, NULL, ?)
     ON CONFLICT (company, entity, natural_key) DO UPDATE SET data = excluded.data`,
  );
  for (const [entity, records] of Object.entries(setup)) {
    const schema = schemas.byId(entity);
    for (const r of records) {
      const clean = Object.fromEntries(Object.entries(r).filter(([f]) => !schema.fields.find((x) => x.name === f)?.secret));
      stmt.run(company, entity, encodeKey(keyValues(schema, r)), JSON.stringify(clean), new Date().toISOString());
    }
  }
}

/** An in-memory store holding the shipped setup (optionally changed first). */
export function shippedSetupDb(mutate?: (s: SourceRecords) => void, company = 'DAT'): Db {
  const db = openDb(':memory:');
  const setup = shippedSetup();
  mutate?.(setup);
  writeSetup(db, company, setup);
  return db;
}
