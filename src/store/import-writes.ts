/**
 * The importer's statements on records, secrets and raw_records, prepared once per import run. All
 * of them run inside the importer's transaction (store/db.ts beginImmediate … commit or rollback).
 */
import type { Db } from './db.js';

export interface ImportWrites {
  /** Inserts a new record; false when one with this key (or its folded form) is already stored (nothing written). */
  insertRecord(entity: string, naturalKey: string, foldedKey: string, dataJson: string, recordNo: number): boolean;
  /** The stored record D365 would take for this key: by folded key, else (a look-alike kept from before folding) by exact key. */
  selectRecord(entity: string, foldedKey: string, naturalKey: string): { naturalKey: string; data: string; lastJob: number | null };
  updateRecord(entity: string, naturalKey: string, dataJson: string, recordNo: number): void;
  /** Marks a stored record as carried by this job without changing its data. */
  touchRecord(entity: string, naturalKey: string, recordNo: number): void;
  selectSecret(entity: string, naturalKey: string, field: string): { keyId: string; value: Buffer } | undefined;
  /** `origin`: where the value may be sent (a web application's base-URL origin), null when not bound. */
  upsertSecret(entity: string, naturalKey: string, field: string, keyId: string, value: Buffer, origin: string | null): void;
  deleteSecret(entity: string, naturalKey: string, field: string): void;
  selectRaw(entity: string, recordNo: number): { data: string } | undefined;
  upsertRaw(entity: string, recordNo: number, dataJson: string): void;
  /** Deletes the stored records and secrets of one entity. */
  truncateEntity(entity: string): void;
  /** Deletes the raw rows of an entity without a schema. */
  truncateRaw(entity: string): void;
}

export function importWrites(db: Db, company: string, jobId: number, now: string): ImportWrites {
  const select = db.prepare('SELECT natural_key, data, last_job FROM records WHERE company = ? AND entity = ? AND folded_key = ?');
  const selectExact = db.prepare('SELECT natural_key, data, last_job FROM records WHERE company = ? AND entity = ? AND natural_key = ?');
  const insert = db.prepare(
    'INSERT INTO records (company, entity, natural_key, folded_key, data, last_job, last_record, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const update = db.prepare('UPDATE records SET data = ?, last_job = ?, last_record = ?, updated_at = ? WHERE company = ? AND entity = ? AND natural_key = ?');
  const touch = db.prepare('UPDATE records SET last_job = ?, last_record = ? WHERE company = ? AND entity = ? AND natural_key = ?');
  const selectSecret = db.prepare('SELECT key_id, value FROM secrets WHERE company = ? AND entity = ? AND natural_key = ? AND field = ?');
  const upsertSecret = db.prepare(
    `INSERT INTO secrets (company, entity, natural_key, field, key_id, value, origin) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (company, entity, natural_key, field) DO UPDATE SET key_id = excluded.key_id, value = excluded.value, origin = excluded.origin`,
  );
  const deleteSecret = db.prepare('DELETE FROM secrets WHERE company = ? AND entity = ? AND natural_key = ? AND field = ?');
  const selectRaw = db.prepare('SELECT data, last_job FROM raw_records WHERE company = ? AND entity = ? AND record_no = ?');
  const upsertRaw = db.prepare(
    `INSERT INTO raw_records (company, entity, record_no, data, last_job) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (company, entity, record_no) DO UPDATE SET data = excluded.data, last_job = excluded.last_job`,
  );
  return {
    insertRecord: (entity, key, folded, json, recordNo) => insert.run(company, entity, key, folded, json, jobId, recordNo, now).changes === 1,
    selectRecord: (entity, folded, key) => {
      const r = (select.get(company, entity, folded) ?? selectExact.get(company, entity, key)) as { natural_key: string; data: string; last_job: number | null };
      return { naturalKey: r.natural_key, data: r.data, lastJob: r.last_job };
    },
    updateRecord: (entity, key, json, recordNo) => {
      update.run(json, jobId, recordNo, now, company, entity, key);
    },
    touchRecord: (entity, key, recordNo) => {
      touch.run(jobId, recordNo, company, entity, key);
    },
    selectSecret: (entity, key, field) => {
      const r = selectSecret.get(company, entity, key, field) as { key_id: string; value: Buffer } | undefined;
      return r ? { keyId: r.key_id, value: r.value } : undefined;
    },
    upsertSecret: (entity, key, field, keyId, value, origin) => {
      upsertSecret.run(company, entity, key, field, keyId, value, origin);
    },
    deleteSecret: (entity, key, field) => {
      deleteSecret.run(company, entity, key, field);
    },
    selectRaw: (entity, recordNo) => selectRaw.get(company, entity, recordNo) as { data: string } | undefined,
    upsertRaw: (entity, recordNo, json) => {
      upsertRaw.run(company, entity, recordNo, json, jobId);
    },
    truncateEntity: (entity) => {
      db.prepare('DELETE FROM records WHERE company = ? AND entity = ?').run(company, entity);
      db.prepare('DELETE FROM secrets WHERE company = ? AND entity = ?').run(company, entity);
    },
    truncateRaw: (entity) => {
      db.prepare('DELETE FROM raw_records WHERE company = ? AND entity = ?').run(company, entity);
    },
  };
}

/**
 * Records of `entity` written by job `jobId` whose reference `fields` (all non-empty) name no stored
 * record of `targetEntity` (compared as D365 compares keys: mtdvat_fold_key): at most 50, with their
 * key and record number.
 */
export function danglingReferences(
  db: Db,
  company: string,
  entity: string,
  jobId: number,
  fields: string[],
  targetEntity: string,
): { key: string; record: number | null; target: string }[] {
  const values = fields.map((f) => `json_extract(r.data, '$.${f}')`);
  return db
    .prepare(
      `SELECT r.natural_key AS key, r.last_record AS record, json_array(${values.join(', ')}) AS target
       FROM records r
       WHERE r.company = ? AND r.entity = ? AND r.last_job = ?
         AND (${values.map((v) => `${v} <> ''`).join(' AND ')})
         AND NOT EXISTS (SELECT 1 FROM records t WHERE t.company = r.company AND t.entity = ? AND (t.folded_key = mtdvat_fold_key(target) OR t.natural_key = target))
       LIMIT 50`,
    )
    .all(company, entity, jobId, targetEntity) as { key: string; record: number | null; target: string }[];
}
