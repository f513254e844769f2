import type { Db } from '../store/db.js';

/**
 * Every place the store keeps a ciphertext, with the column naming the key that encrypted it.
 * `perRow` counts ciphertexts per row (an oauth_tokens row holds two).
 */
export const CIPHERTEXT_TABLES = [
  { table: 'secrets', columns: ['value'] },
  { table: 'oauth_tokens', columns: ['access_token', 'refresh_token'] },
  { table: 'oauth_pending', columns: ['code_verifier'] },
] as const;

export type CiphertextTable = (typeof CIPHERTEXT_TABLES)[number]['table'];

export interface KeyUsage {
  /** key id → number of ciphertexts it protects. */
  byKeyId: Record<string, number>;
  /** table → key id → number of ciphertexts. */
  byTable: Record<string, Record<string, number>>;
  total: number;
}

export function keyUsage(db: Db): KeyUsage {
  const usage: KeyUsage = { byKeyId: {}, byTable: {}, total: 0 };
  for (const { table, columns } of CIPHERTEXT_TABLES) {
    const rows = db.prepare(`SELECT key_id, COUNT(*) AS n FROM ${table} GROUP BY key_id`).all() as { key_id: string; n: number }[];
    const perTable: Record<string, number> = {};
    for (const r of rows) {
      const n = r.n * columns.length;
      perTable[r.key_id] = n;
      usage.byKeyId[r.key_id] = (usage.byKeyId[r.key_id] ?? 0) + n;
      usage.total += n;
    }
    usage.byTable[table] = perTable;
  }
  return usage;
}

/** Distinct key ids the store's ciphertexts were made with. */
export function keyIdsInUse(db: Db): string[] {
  return Object.keys(keyUsage(db).byKeyId);
}
