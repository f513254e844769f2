/**
 * oauth_tokens / oauth_pending rows. Tokens and the PKCE verifier are stored only as ciphertexts
 * bound (AEAD associated data) to table, company, app and field, so a blob copied elsewhere fails.
 * Metadata reads never touch the vault, so `auth status` stays free of libsodium.
 */
import type { Db } from '../store/db.js';
import type { SecretAddress, Vault } from '../vault/vault.js';

export interface TokenRow {
  company: string;
  app: string;
  keyId: string;
  accessBlob: Buffer;
  refreshBlob: Buffer;
  accessExpiresAt: string;
  scope: string;
  grantedAt: string;
  refreshedAt: string | null;
}

export interface PendingRow {
  company: string;
  app: string;
  state: string;
  keyId: string;
  verifierBlob: Buffer;
  redirectUri: string;
  scope: string;
  requestedAt: string;
}

export function tokenAddress(company: string, app: string, field: 'access_token' | 'refresh_token' | 'code_verifier'): SecretAddress {
  return {
    table: field === 'code_verifier' ? 'oauth_pending' : 'oauth_tokens',
    company,
    entity: 'WebApplication',
    naturalKey: JSON.stringify([app]),
    field,
  };
}

export function readTokenRow(db: Db, company: string, app: string): TokenRow | undefined {
  const r = db
    .prepare(
      `SELECT company, app, key_id, access_token, refresh_token, access_expires_at, scope, granted_at, refreshed_at
       FROM oauth_tokens WHERE company = ? AND app = ?`,
    )
    .get(company, app) as
    | {
        company: string;
        app: string;
        key_id: string;
        access_token: Buffer;
        refresh_token: Buffer;
        access_expires_at: string;
        scope: string;
        granted_at: string;
        refreshed_at: string | null;
      }
    | undefined;
  if (!r) return undefined;
  return {
    company: r.company,
    app: r.app,
    keyId: r.key_id,
    accessBlob: r.access_token,
    refreshBlob: r.refresh_token,
    accessExpiresAt: r.access_expires_at,
    scope: r.scope,
    grantedAt: r.granted_at,
    refreshedAt: r.refreshed_at,
  };
}

/** Token metadata for every app of a company (no ciphertexts). */
export function listTokenMeta(db: Db, company: string): Pick<TokenRow, 'app' | 'accessExpiresAt' | 'scope' | 'grantedAt' | 'refreshedAt'>[] {
  return (
    db
      .prepare('SELECT app, access_expires_at, scope, granted_at, refreshed_at FROM oauth_tokens WHERE company = ? ORDER BY app')
      .all(company) as { app: string; access_expires_at: string; scope: string; granted_at: string; refreshed_at: string | null }[]
  ).map((r) => ({ app: r.app, accessExpiresAt: r.access_expires_at, scope: r.scope, grantedAt: r.granted_at, refreshedAt: r.refreshed_at }));
}

export interface NewTokens {
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: string;
  scope: string;
  grantedAt: string;
  refreshedAt: string | null;
}

/** One statement: the row is replaced whole or not at all. */
export function writeTokens(db: Db, vault: Vault, company: string, app: string, t: NewTokens): void {
  const access = vault.encrypt(t.accessToken, tokenAddress(company, app, 'access_token'));
  const refresh = vault.encrypt(t.refreshToken, tokenAddress(company, app, 'refresh_token'));
  db.prepare(
    `INSERT INTO oauth_tokens (company, app, key_id, access_token, refresh_token, access_expires_at, scope, granted_at, refreshed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (company, app) DO UPDATE SET key_id = excluded.key_id, access_token = excluded.access_token,
       refresh_token = excluded.refresh_token, access_expires_at = excluded.access_expires_at, scope = excluded.scope,
       granted_at = excluded.granted_at, refreshed_at = excluded.refreshed_at,
       -- A new grant (no refresh yet) may be another user's: forget which VRN the old one served.
       first_vrn = CASE WHEN excluded.refreshed_at IS NULL THEN NULL ELSE oauth_tokens.first_vrn END`,
  ).run(company, app, vault.keyId, Buffer.from(access), Buffer.from(refresh), t.accessExpiresAt, t.scope, t.grantedAt, t.refreshedAt);
}

export function decryptAccess(vault: Vault, row: TokenRow): string {
  return vault.decrypt(new Uint8Array(row.accessBlob), row.keyId, tokenAddress(row.company, row.app, 'access_token'));
}

export function decryptRefresh(vault: Vault, row: TokenRow): string {
  return vault.decrypt(new Uint8Array(row.refreshBlob), row.keyId, tokenAddress(row.company, row.app, 'refresh_token'));
}

export function deleteTokens(db: Db, company: string, app: string): boolean {
  return db.prepare('DELETE FROM oauth_tokens WHERE company = ? AND app = ?').run(company, app).changes > 0;
}

export function readPending(db: Db, company: string, app: string): PendingRow | undefined {
  const r = db
    .prepare('SELECT company, app, state, key_id, code_verifier, redirect_uri, scope, requested_at FROM oauth_pending WHERE company = ? AND app = ?')
    .get(company, app) as
    | { company: string; app: string; state: string; key_id: string; code_verifier: Buffer; redirect_uri: string; scope: string; requested_at: string }
    | undefined;
  if (!r) return undefined;
  return {
    company: r.company,
    app: r.app,
    state: r.state,
    keyId: r.key_id,
    verifierBlob: r.code_verifier,
    redirectUri: r.redirect_uri,
    scope: r.scope,
    requestedAt: r.requested_at,
  };
}

export function listPendingMeta(db: Db, company: string): { app: string; requestedAt: string; scope: string }[] {
  return (
    db.prepare('SELECT app, requested_at, scope FROM oauth_pending WHERE company = ? ORDER BY app').all(company) as {
      app: string;
      requested_at: string;
      scope: string;
    }[]
  ).map((r) => ({ app: r.app, requestedAt: r.requested_at, scope: r.scope }));
}

export function writePending(
  db: Db,
  vault: Vault,
  p: { company: string; app: string; state: string; verifier: string; redirectUri: string; scope: string; requestedAt: string },
): void {
  const blob = vault.encrypt(p.verifier, tokenAddress(p.company, p.app, 'code_verifier'));
  db.prepare(
    `INSERT INTO oauth_pending (company, app, state, key_id, code_verifier, redirect_uri, scope, requested_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (company, app) DO UPDATE SET state = excluded.state, key_id = excluded.key_id,
       code_verifier = excluded.code_verifier, redirect_uri = excluded.redirect_uri, scope = excluded.scope,
       requested_at = excluded.requested_at`,
  ).run(p.company, p.app, p.state, vault.keyId, Buffer.from(blob), p.redirectUri, p.scope, p.requestedAt);
}

export function decryptVerifier(vault: Vault, p: PendingRow): string {
  return vault.decrypt(new Uint8Array(p.verifierBlob), p.keyId, tokenAddress(p.company, p.app, 'code_verifier'));
}

export function deletePending(db: Db, company: string, app: string): boolean {
  return db.prepare('DELETE FROM oauth_pending WHERE company = ? AND app = ?').run(company, app).changes > 0;
}
