/**
 * Encrypting and decrypting OAuth tokens and the PKCE verifier. The rows are store/tokens.ts; each
 * ciphertext is bound (AEAD associated data) to table, company, app and field, so a copied blob fails.
 */
import type { Db } from '../store/db.js';
import { tokenAddress, writePendingRow, writeTokenRow, type NewTokens, type PendingRow, type TokenRow } from '../store/tokens.js';
import type { Vault } from '../vault/vault.js';

export function writeTokens(db: Db, vault: Vault, company: string, app: string, t: NewTokens): void {
  writeTokenRow(db, company, app, {
    keyId: vault.keyId,
    accessBlob: vault.encrypt(t.accessToken, tokenAddress(company, app, 'access_token')),
    refreshBlob: vault.encrypt(t.refreshToken, tokenAddress(company, app, 'refresh_token')),
    accessExpiresAt: t.accessExpiresAt,
    scope: t.scope,
    grantedAt: t.grantedAt,
    refreshedAt: t.refreshedAt,
    origin: t.origin,
  });
}

export function decryptAccess(vault: Vault, row: TokenRow): string {
  return vault.decrypt(new Uint8Array(row.accessBlob), row.keyId, tokenAddress(row.company, row.app, 'access_token'));
}

export function decryptRefresh(vault: Vault, row: TokenRow): string {
  return vault.decrypt(new Uint8Array(row.refreshBlob), row.keyId, tokenAddress(row.company, row.app, 'refresh_token'));
}

export function writePending(
  db: Db,
  vault: Vault,
  p: { company: string; app: string; state: string; verifier: string; redirectUri: string; scope: string; requestedAt: string },
): void {
  const { verifier, ...rest } = p;
  writePendingRow(db, { ...rest, keyId: vault.keyId, verifierBlob: vault.encrypt(verifier, tokenAddress(p.company, p.app, 'code_verifier')) });
}

export function decryptVerifier(vault: Vault, p: PendingRow): string {
  return vault.decrypt(new Uint8Array(p.verifierBlob), p.keyId, tokenAddress(p.company, p.app, 'code_verifier'));
}
