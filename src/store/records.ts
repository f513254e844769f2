import type { Db } from './db.js';
import type { EntitySchema } from '../schema/types.js';
import type { SecretAddress, Vault } from '../vault/vault.js';

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

export function secretAddress(company: string, entity: string, key: string[], field: string): SecretAddress {
  return { table: 'secrets', company, entity, naturalKey: encodeKey(key), field };
}

export interface StoredSecret {
  field: string;
  keyId: string;
  value: Uint8Array;
}

/** Which secret fields of a record are set; the ciphertexts stay opaque. */
export function listSecrets(db: Db, company: string, entity: string, key: string[]): StoredSecret[] {
  const rows = db
    .prepare('SELECT field, key_id, value FROM secrets WHERE company = ? AND entity = ? AND natural_key = ?')
    .all(company, entity, encodeKey(key)) as { field: string; key_id: string; value: Buffer }[];
  return rows.map((r) => ({ field: r.field, keyId: r.key_id, value: new Uint8Array(r.value) }));
}

export function hasSecret(db: Db, company: string, entity: string, key: string[], field: string): boolean {
  return !!db
    .prepare('SELECT 1 FROM secrets WHERE company = ? AND entity = ? AND natural_key = ? AND field = ?')
    .get(company, entity, encodeKey(key), field);
}

/** Decrypts one secret field; undefined when it is not set. Throws VaultError naming the record. */
export function readSecret(
  db: Db,
  vault: Vault,
  company: string,
  entity: string,
  key: string[],
  field: string,
): string | undefined {
  const row = db
    .prepare('SELECT key_id, value FROM secrets WHERE company = ? AND entity = ? AND natural_key = ? AND field = ?')
    .get(company, entity, encodeKey(key), field) as { key_id: string; value: Buffer } | undefined;
  if (!row) return undefined;
  return vault.decrypt(new Uint8Array(row.value), row.key_id, secretAddress(company, entity, key, field));
}

/** Encrypts and stores (or, for an empty value, deletes) one secret field. */
export function writeSecret(
  db: Db,
  vault: Vault,
  company: string,
  entity: string,
  key: string[],
  field: string,
  plaintext: string,
): void {
  if (plaintext === '') {
    db.prepare('DELETE FROM secrets WHERE company = ? AND entity = ? AND natural_key = ? AND field = ?').run(
      company,
      entity,
      encodeKey(key),
      field,
    );
    return;
  }
  const blob = vault.encrypt(plaintext, secretAddress(company, entity, key, field));
  db.prepare(
    `INSERT INTO secrets (company, entity, natural_key, field, key_id, value) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (company, entity, natural_key, field) DO UPDATE SET key_id = excluded.key_id, value = excluded.value`,
  ).run(company, entity, encodeKey(key), field, vault.keyId, Buffer.from(blob));
}
