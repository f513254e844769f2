/**
 * oauth_tokens / oauth_pending rows. Tokens and the PKCE verifier are stored only as ciphertexts
 * bound (AEAD associated data) to table, company, app and field, so a blob copied elsewhere fails.
 * Metadata reads never touch the vault, so `auth status` stays free of libsodium.
 */
import type { Db } from './db.js';
import type { SecretAddress } from './secrets.js';

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
  /** The origin the tokens were obtained from (null: an older release, not bound yet). */
  origin: string | null;
  /** When HMRC refused the grant (invalid_grant): the tokens are dead. */
  revokedAt: string | null;
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
      `SELECT company, app, key_id, access_token, refresh_token, access_expires_at, scope, granted_at, refreshed_at, origin, revoked_at
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
        origin: string | null;
        revoked_at: string | null;
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
    origin: r.origin,
    revokedAt: r.revoked_at,
  };
}

/** Token metadata (no ciphertexts): the one row shape every reader of token state uses. */
export interface TokenMeta {
  app: string;
  accessExpiresAt: string;
  scope: string;
  grantedAt: string;
  refreshedAt: string | null;
  /** The VRN the grant was first used for (HMRC grants tokens per business). */
  firstVrn: string | null;
  /** When HMRC refused the grant (invalid_grant), else null. */
  revokedAt: string | null;
}

/** Token metadata for every app of a company (no ciphertexts). */
export function listTokenMeta(db: Db, company: string): TokenMeta[] {
  return (
    db
      .prepare('SELECT app, access_expires_at, scope, granted_at, refreshed_at, first_vrn, revoked_at FROM oauth_tokens WHERE company = ? ORDER BY app')
      .all(company) as { app: string; access_expires_at: string; scope: string; granted_at: string; refreshed_at: string | null; first_vrn: string | null; revoked_at: string | null }[]
  ).map((r) => ({ app: r.app, accessExpiresAt: r.access_expires_at, scope: r.scope, grantedAt: r.granted_at, refreshedAt: r.refreshed_at, firstVrn: r.first_vrn, revokedAt: r.revoked_at }));
}

/** Which VRN a grant was first used for, and when the grant was made. */
export function readVrnBinding(db: Db, company: string, app: string): { firstVrn: string | null; grantedAt: string } | undefined {
  const row = db.prepare('SELECT first_vrn, granted_at FROM oauth_tokens WHERE company = ? AND app = ?').get(company, app) as
    | { first_vrn: string | null; granted_at: string }
    | undefined;
  return row ? { firstVrn: row.first_vrn, grantedAt: row.granted_at } : undefined;
}

export function setFirstVrn(db: Db, company: string, app: string, vrn: string): void {
  db.prepare('UPDATE oauth_tokens SET first_vrn = ? WHERE company = ? AND app = ?').run(vrn, company, app);
}

export interface NewTokens {
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: string;
  scope: string;
  grantedAt: string;
  refreshedAt: string | null;
  /** The origin they were obtained from. */
  origin: string;
}

/** One statement: the row is replaced whole or not at all. The blobs are ciphertexts (auth/tokens.ts). */
export function writeTokenRow(
  db: Db,
  company: string,
  app: string,
  t: Omit<NewTokens, 'accessToken' | 'refreshToken'> & { keyId: string; accessBlob: Uint8Array; refreshBlob: Uint8Array },
): void {
  db.prepare(
    `INSERT INTO oauth_tokens (company, app, key_id, access_token, refresh_token, access_expires_at, scope, granted_at, refreshed_at, origin, revoked_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
     ON CONFLICT (company, app) DO UPDATE SET key_id = excluded.key_id, access_token = excluded.access_token,
       refresh_token = excluded.refresh_token, access_expires_at = excluded.access_expires_at, scope = excluded.scope,
       granted_at = excluded.granted_at, refreshed_at = excluded.refreshed_at, origin = excluded.origin, revoked_at = NULL,
       -- A new grant (no refresh yet) may be another user's: forget which VRN the old one served.
       first_vrn = CASE WHEN excluded.refreshed_at IS NULL THEN NULL ELSE oauth_tokens.first_vrn END`,
  ).run(company, app, t.keyId, Buffer.from(t.accessBlob), Buffer.from(t.refreshBlob), t.accessExpiresAt, t.scope, t.grantedAt, t.refreshedAt, t.origin);
}

/** HMRC refused the grant (invalid_grant): the tokens stay for the record, marked dead. */
export function markTokensRevoked(db: Db, company: string, app: string, at: string): void {
  db.prepare('UPDATE oauth_tokens SET revoked_at = ? WHERE company = ? AND app = ?').run(at, company, app);
}

/** Whether an application holds tokens or a pending authorization request. */
export function hasTokenState(db: Db, company: string, app: string): boolean {
  return !!db.prepare('SELECT 1 FROM oauth_tokens WHERE company = ? AND app = ? UNION ALL SELECT 1 FROM oauth_pending WHERE company = ? AND app = ?').get(company, app, company, app);
}

/** The app name as stored in oauth_tokens or oauth_pending, matched regardless of letter case. */
export function findStoredAppName(db: Db, company: string, app: string): string | undefined {
  const row = db
    .prepare(
      `SELECT app FROM oauth_tokens WHERE company = ? AND lower(app) = lower(?)
       UNION SELECT app FROM oauth_pending WHERE company = ? AND lower(app) = lower(?)`,
    )
    .get(company, app, company, app) as { app: string } | undefined;
  return row?.app;
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

export function writePendingRow(
  db: Db,
  p: { company: string; app: string; state: string; keyId: string; verifierBlob: Uint8Array; redirectUri: string; scope: string; requestedAt: string },
): void {
  db.prepare(
    `INSERT INTO oauth_pending (company, app, state, key_id, code_verifier, redirect_uri, scope, requested_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (company, app) DO UPDATE SET state = excluded.state, key_id = excluded.key_id,
       code_verifier = excluded.code_verifier, redirect_uri = excluded.redirect_uri, scope = excluded.scope,
       requested_at = excluded.requested_at`,
  ).run(p.company, p.app, p.state, p.keyId, Buffer.from(p.verifierBlob), p.redirectUri, p.scope, p.requestedAt);
}

export function deletePending(db: Db, company: string, app: string): boolean {
  return db.prepare('DELETE FROM oauth_pending WHERE company = ? AND app = ?').run(company, app).changes > 0;
}
