/**
 * One function gives a valid access token for every HMRC call: it refreshes when the token expires
 * within a margin, and `withAccessToken` refreshes once more when HMRC answers 401 INVALID_CREDENTIALS.
 */
import type { Context } from '../context.js';
import { HmrcError } from '../errors.js';
import { parseHmrcError } from '../hmrc/http.js';
import { nowMs } from './clock.js';
import { noTokenError, refreshUnderLock, unusableTokenError } from './refresh.js';
import { readTokenRow } from '../store/tokens.js';
import { decryptAccess } from './tokens.js';
import { loadClientCredentials, loadWebApp, type WebApp } from '../setup/web-app.js';

export interface ValidToken {
  accessToken: string;
  app: WebApp;
  expiresAt: string;
  scope: string;
  refreshed: boolean;
}

export async function getValidAccessToken(ctx: Context, appName: string, options: { marginMs?: number } = {}): Promise<ValidToken> {
  const marginMs = options.marginMs ?? 60_000;
  const app = loadWebApp(ctx, appName);
  const row = readTokenRow(ctx.db, ctx.company, app.name);
  if (!row) throw noTokenError(app.name);
  const unusable = unusableTokenError(app, row);
  if (unusable) throw unusable;
  const vault = await ctx.vault();
  const expiring = (r: { accessExpiresAt: string }) => Date.parse(r.accessExpiresAt) - nowMs(ctx.env) <= marginMs;
  if (!expiring(row)) {
    return { accessToken: decryptAccess(vault, row), app, expiresAt: row.accessExpiresAt, scope: row.scope, refreshed: false };
  }
  const creds = await loadClientCredentials(ctx, app);
  const r = await refreshUnderLock(ctx, app.name, expiring, 'expiring', { app, creds, vault });
  return { accessToken: r.accessToken, app, expiresAt: r.expiresAt, scope: r.scope, refreshed: r.refreshed };
}

/** True for HMRC's "token expired or revoked" answer (401 INVALID_CREDENTIALS). */
export function isInvalidCredentials(value: unknown): boolean {
  if (value instanceof HmrcError) return value.status === 401 && value.code === 'INVALID_CREDENTIALS';
  const r = value as { status?: number; json?: unknown; bodyText?: string } | undefined;
  if (!r || r.status !== 401) return false;
  return parseHmrcError(401, r.json, r.bodyText ?? '').code === 'INVALID_CREDENTIALS';
}

/**
 * Runs `fn` with a valid token; on 401 INVALID_CREDENTIALS (returned or thrown as HmrcError)
 * refreshes once — unless another process already did — and retries once.
 */
export async function withAccessToken<T>(
  ctx: Context,
  appName: string,
  fn: (accessToken: string, app: WebApp) => Promise<T>,
  options: { marginMs?: number } = {},
): Promise<T> {
  const first = await getValidAccessToken(ctx, appName, options);
  let result: T;
  try {
    result = await fn(first.accessToken, first.app);
    if (!isInvalidCredentials(result)) return result;
  } catch (error) {
    if (!isInvalidCredentials(error)) throw error;
  }
  const vault = await ctx.vault();
  const creds = await loadClientCredentials(ctx, first.app);
  // Refresh only if the stored token is still the one HMRC refused; otherwise take the newer one.
  const r = await refreshUnderLock(
    ctx,
    first.app.name,
    (row) => decryptAccess(vault, row) === first.accessToken || Date.parse(row.accessExpiresAt) <= nowMs(ctx.env),
    'rejected (401 INVALID_CREDENTIALS)',
    { app: first.app, creds, vault },
  );
  return fn(r.accessToken, first.app);
}
