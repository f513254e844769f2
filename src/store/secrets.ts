/** The secrets table: encrypted fields of imported records. Ciphertexts stay opaque here; the vault encrypts and decrypts. */
import type { Db } from './db.js';
import { encodeKey } from './records.js';

/** Where a ciphertext lives. Bound into the AEAD associated data, so a value copied elsewhere fails. */
export interface SecretAddress {
  table: string;
  company: string;
  entity: string;
  naturalKey: string;
  field: string;
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

/** One secret field's ciphertext and key id; undefined when it is not set. */
export function readSecretRow(db: Db, company: string, entity: string, key: string[], field: string): { keyId: string; value: Uint8Array } | undefined {
  const row = db
    .prepare('SELECT key_id, value FROM secrets WHERE company = ? AND entity = ? AND natural_key = ? AND field = ?')
    .get(company, entity, encodeKey(key), field) as { key_id: string; value: Buffer } | undefined;
  return row ? { keyId: row.key_id, value: new Uint8Array(row.value) } : undefined;
}

export function deleteSecretRow(db: Db, company: string, entity: string, key: string[], field: string): void {
  db.prepare('DELETE FROM secrets WHERE company = ? AND entity = ? AND natural_key = ? AND field = ?').run(company, entity, encodeKey(key), field);
}

/** `origin`: where the value may be sent (a web application's base-URL origin); null when not bound. */
export function writeSecretRow(db: Db, company: string, entity: string, key: string[], field: string, keyId: string, blob: Uint8Array, origin: string | null = null): void {
  db.prepare(
    `INSERT INTO secrets (company, entity, natural_key, field, key_id, value, origin) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (company, entity, natural_key, field) DO UPDATE SET key_id = excluded.key_id, value = excluded.value, origin = excluded.origin`,
  ).run(company, entity, encodeKey(key), field, keyId, Buffer.from(blob), origin);
}

/** The origin each secret field of a record is bound to (null: stored by an older release, not bound yet). */
export function secretOrigins(db: Db, company: string, entity: string, key: string[]): Map<string, string | null> {
  const rows = db.prepare('SELECT field, origin FROM secrets WHERE company = ? AND entity = ? AND natural_key = ?').all(company, entity, encodeKey(key)) as { field: string; origin: string | null }[];
  return new Map(rows.map((r) => [r.field, r.origin]));
}

/** Binds every secret of a record to a new origin (after the user confirmed a base-URL change). */
export function rebindSecrets(db: Db, company: string, entity: string, key: string[], origin: string): void {
  db.prepare('UPDATE secrets SET origin = ? WHERE company = ? AND entity = ? AND natural_key = ?').run(origin, company, entity, encodeKey(key));
}

export function deleteSecrets(db: Db, company: string, entity: string, key: string[]): number {
  return db.prepare('DELETE FROM secrets WHERE company = ? AND entity = ? AND natural_key = ?').run(company, entity, encodeKey(key)).changes;
}
