/**
 * Refreshing, single-flight across processes. Refresh tokens are single-use, so two processes
 * refreshing with the same one would burn the grant. We take SQLite's write lock (BEGIN IMMEDIATE;
 * the store's busy_timeout makes other processes wait), re-read the row, and only if it still needs
 * refreshing call HMRC, store the rotated tokens and commit. Nothing but that one token call (with
 * a timeout) runs while the lock is held.
 */
import { shellQuote } from '../lib/shell-quote.js';
import type { Context } from '../context.js';
import { AuthError, GrantRefusedError, MtdvatError } from '../errors.js';
import { audit } from '../store/audit.js';
import { beginImmediate, commit, rollback } from '../store/db.js';
import type { Vault } from '../vault/vault.js';
import { nowMs } from './clock.js';
import type { TokenResult } from './obtain-access-token.js';
import { callTokenEndpoint } from './token-endpoint.js';
import { markTokensRevoked, readTokenRow, type TokenRow } from '../store/tokens.js';
import { decryptAccess, decryptRefresh, writeTokens } from './tokens.js';
import { loadClientCredentials, loadWebApp, type ClientCredentials, type WebApp } from '../setup/web-app.js';

export interface RefreshOutcome extends TokenResult {
  accessToken: string;
  /** false when another process had already refreshed (or the token did not need it). */
  refreshed: boolean;
}

/**
 * Tokens that must not be used: obtained from another origin than the application's base URL has
 * now, or refused by HMRC (invalid_grant). Both need a new authorization.
 */
export function unusableTokenError(app: WebApp, row: Pick<TokenRow, 'origin' | 'revokedAt'>): AuthError | undefined {
  const again = `run \`mtdvat auth get-authorization-code --app ${shellQuote(app.name)}\``;
  if (row.origin && row.origin !== app.origin) {
    return new AuthError(`the tokens of "${app.name}" were obtained from ${row.origin}, but its base URL is now ${app.origin}; they are not sent anywhere else: ${again}`);
  }
  if (row.revokedAt) return new AuthError(`HMRC refused the authorization of "${app.name}" on ${row.revokedAt} (invalid_grant: revoked or expired): ${again}`);
  return undefined;
}

export function noTokenError(appName: string): AuthError {
  return new AuthError(`no access token for "${appName}": run \`mtdvat auth get-authorization-code --app ${shellQuote(appName)}\` and then \`mtdvat auth obtain-access-token --app ${shellQuote(appName)}\``);
}

function outcome(vault: Vault, row: TokenRow, refreshed: boolean, env: NodeJS.ProcessEnv): RefreshOutcome {
  return {
    app: row.app,
    expiresAt: row.accessExpiresAt,
    scope: row.scope,
    expiresInMs: Date.parse(row.accessExpiresAt) - nowMs(env),
    accessToken: decryptAccess(vault, row),
    refreshed,
  };
}

/**
 * Refreshes under the write lock when `needsRefresh(currentRow)` still holds after re-reading.
 * Loads the app, credentials and vault (libsodium) before locking, so the lock covers only the call.
 */
export async function refreshUnderLock(
  ctx: Context,
  appName: string,
  needsRefresh: (row: TokenRow) => boolean,
  reason: string,
  preloaded?: { app: WebApp; creds: ClientCredentials; vault: Vault },
): Promise<RefreshOutcome> {
  const app = preloaded?.app ?? loadWebApp(ctx, appName);
  const creds = preloaded?.creds ?? (await loadClientCredentials(ctx, app));
  const vault = preloaded?.vault ?? (await ctx.vault());
  const db = ctx.db;
  try {
    beginImmediate(db);
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      throw new MtdvatError('another mtdvat process has held the store locked for too long while refreshing the access token; try again');
    }
    throw error;
  }
  let committed = false;
  try {
    const row = readTokenRow(db, ctx.company, app.name);
    if (!row) throw noTokenError(app.name);
    const unusable = unusableTokenError(app, row);
    if (unusable) throw unusable;
    if (!needsRefresh(row)) {
      commit(db);
      committed = true;
      return outcome(vault, row, false, ctx.env);
    }
    const refreshToken = decryptRefresh(vault, row);
    const requestedAt = nowMs(ctx.env);
    let tokens;
    try {
      tokens = await callTokenEndpoint(ctx, app, creds, { grant_type: 'refresh_token', refresh_token: refreshToken }, row.scope);
    } catch (error) {
      // HMRC refused the grant itself: record it, so status, web-apps and verify stop calling it valid.
      if (error instanceof GrantRefusedError) markTokensRevoked(db, ctx.company, app.name, new Date(nowMs(ctx.env)).toISOString());
      audit(db, {
        category: 'auth',
        company: ctx.company,
        app: app.name,
        event: 'token refresh failed',
        detail: { reason, error: error instanceof MtdvatError ? error.message : 'internal error' },
      });
      // Keep the audit rows of the attempt; the token row was not touched.
      commit(db);
      committed = true;
      throw error;
    }
    const expiresAt = new Date(requestedAt + tokens.expiresInS * 1000).toISOString();
    writeTokens(db, vault, ctx.company, app.name, {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      accessExpiresAt: expiresAt,
      scope: tokens.scope,
      grantedAt: row.grantedAt, // the 18-month horizon runs from the user's grant, not from refreshes
      refreshedAt: new Date(requestedAt).toISOString(),
      origin: app.origin,
    });
    audit(db, { category: 'auth', company: ctx.company, app: app.name, event: 'token refreshed', detail: { reason, expiresAt, scope: tokens.scope } });
    commit(db);
    committed = true;
    return {
      app: app.name,
      expiresAt,
      scope: tokens.scope,
      expiresInMs: Date.parse(expiresAt) - nowMs(ctx.env),
      accessToken: tokens.accessToken,
      refreshed: true,
    };
  } finally {
    if (!committed && db.inTransaction) rollback(db);
  }
}

/** `mtdvat auth refresh-access-token`: refresh now, whatever the expiry. */
export async function refreshAccessToken(ctx: Context, appName: string): Promise<TokenResult> {
  const app = loadWebApp(ctx, appName);
  if (!readTokenRow(ctx.db, ctx.company, app.name)) throw noTokenError(app.name);
  const { accessToken: _unused, refreshed: _r, ...result } = await refreshUnderLock(ctx, app.name, () => true, 'manual');
  return result;
}
