/** Reading and writing one encrypted field of an imported record (the SQL is store/secrets.ts). */
import type { Db } from '../store/db.js';
import { deleteSecretRow, readSecretRow, secretAddress, writeSecretRow } from '../store/secrets.js';
import type { Vault } from './vault.js';

/** Decrypts one secret field; undefined when it is not set. Throws VaultError naming the record. */
export function readSecret(db: Db, vault: Vault, company: string, entity: string, key: string[], field: string): string | undefined {
  const row = readSecretRow(db, company, entity, key, field);
  if (!row) return undefined;
  return vault.decrypt(row.value, row.keyId, secretAddress(company, entity, key, field));
}

/** Encrypts and stores (or, for an empty value, deletes) one secret field, bound to `origin` when given. */
export function writeSecret(db: Db, vault: Vault, company: string, entity: string, key: string[], field: string, plaintext: string, origin: string | null = null): void {
  if (plaintext === '') {
    deleteSecretRow(db, company, entity, key, field);
    return;
  }
  writeSecretRow(db, company, entity, key, field, vault.keyId, vault.encrypt(plaintext, secretAddress(company, entity, key, field)), origin);
}
