/**
 * Every ciphertext the store keeps (secrets, tokens, PKCE verifiers) with the key id that made it and
 * the associated-data address its writer bound it to; the vault's key rotation and status read and
 * rewrite them through here.
 */
import type { Db } from './db.js';
import { secretAddress, type SecretAddress } from './secrets.js';
import { tokenAddress } from './tokens.js';

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

export interface Ciphertext {
  table: string;
  column: string;
  /** WHERE clause values identifying the row. */
  where: Record<string, string>;
  keyId: string;
  blob: Uint8Array;
  address: SecretAddress;
}

/** Every ciphertext in the store with the associated-data address its writer used. */
export function* allCiphertexts(db: Db): Generator<Ciphertext> {
  const secrets = db.prepare('SELECT company, entity, natural_key, field, key_id, value FROM secrets').iterate() as Iterable<{
    company: string;
    entity: string;
    natural_key: string;
    field: string;
    key_id: string;
    value: Buffer;
  }>;
  for (const r of secrets) {
    yield {
      table: 'secrets',
      column: 'value',
      where: { company: r.company, entity: r.entity, natural_key: r.natural_key, field: r.field },
      keyId: r.key_id,
      blob: new Uint8Array(r.value),
      address: secretAddress(r.company, r.entity, JSON.parse(r.natural_key) as string[], r.field),
    };
  }
  const tokens = db.prepare('SELECT company, app, key_id, access_token, refresh_token FROM oauth_tokens').iterate() as Iterable<{
    company: string;
    app: string;
    key_id: string;
    access_token: Buffer;
    refresh_token: Buffer;
  }>;
  for (const r of tokens) {
    for (const column of ['access_token', 'refresh_token'] as const) {
      yield {
        table: 'oauth_tokens',
        column,
        where: { company: r.company, app: r.app },
        keyId: r.key_id,
        blob: new Uint8Array(r[column]),
        address: tokenAddress(r.company, r.app, column),
      };
    }
  }
  const pending = db.prepare('SELECT company, app, key_id, code_verifier FROM oauth_pending').iterate() as Iterable<{
    company: string;
    app: string;
    key_id: string;
    code_verifier: Buffer;
  }>;
  for (const r of pending) {
    yield {
      table: 'oauth_pending',
      column: 'code_verifier',
      where: { company: r.company, app: r.app },
      keyId: r.key_id,
      blob: new Uint8Array(r.code_verifier),
      address: tokenAddress(r.company, r.app, 'code_verifier'),
    };
  }
}

/**
 * Returns a function that stores a re-encrypted ciphertext and its new key id in place of `c`
 * (statements prepared once per shape). Call inside the caller's transaction.
 */
export function ciphertextRewriter(db: Db): (c: Ciphertext, blob: Uint8Array, keyId: string) => void {
  const updates = new Map<string, ReturnType<Db['prepare']>>();
  return (c, blob, keyId) => {
    const cols = Object.keys(c.where);
    const sql = `UPDATE ${c.table} SET ${c.column} = ?, key_id = ? WHERE ${cols.map((k) => `${k} = ?`).join(' AND ')}`;
    let stmt = updates.get(sql);
    if (!stmt) updates.set(sql, (stmt = db.prepare(sql)));
    stmt.run([Buffer.from(blob), keyId, ...cols.map((k) => c.where[k])]);
  };
}
