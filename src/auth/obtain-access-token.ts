/** Step 2 of the seed flow: exchange the code (with the pending request's PKCE verifier) for tokens. */
import { shellQuote } from '../lib/shell-quote.js';
import type { Context } from '../context.js';
import { AuthError, MtdvatError } from '../errors.js';
import { audit } from '../store/audit.js';
import { nowMs } from './clock.js';
import { CODE_LIFETIME_MS } from './get-authorization-code.js';
import { callTokenEndpoint } from './token-endpoint.js';
import { deletePending, readPending } from '../store/tokens.js';
import { decryptVerifier, writeTokens } from './tokens.js';
import { loadClientCredentials, loadWebApp } from '../setup/web-app.js';

export interface TokenResult {
  app: string;
  expiresAt: string;
  scope: string;
  /** ms from now until the access token expires (for "will expire in 4 h 0 min"). */
  expiresInMs: number;
}

export interface ObtainOptions {
  /** Try even when the pending request is older than 10 minutes. */
  force?: boolean;
  /** When the code came through the loopback redirect: the state it carried. */
  state?: string;
}

export async function obtainAccessToken(ctx: Context, appName: string, rawCode: string, options: ObtainOptions = {}): Promise<TokenResult> {
  const app = loadWebApp(ctx, appName);
  const code = rawCode.trim();
  if (!code) throw new AuthError('no authorization code given');
  if (/\s/.test(code)) throw new AuthError('the authorization code contains spaces: paste only the code HMRC shows');
  const pending = readPending(ctx.db, ctx.company, app.name);
  if (!pending) {
    throw new AuthError(`no pending authorization request for "${app.name}": run \`mtdvat auth get-authorization-code --app ${shellQuote(app.name)}\` first`);
  }
  if (options.state !== undefined && options.state !== pending.state) {
    throw new AuthError('the redirect carried a different state than the pending request (a stale or forged callback): get a new authorization code');
  }
  const ageMs = nowMs(ctx.env) - Date.parse(pending.requestedAt);
  if (ageMs > CODE_LIFETIME_MS && !options.force) {
    throw new AuthError(
      `the authorization code was requested ${Math.floor(ageMs / 60_000)} min ago and HMRC codes are valid for 10 minutes: run \`mtdvat auth get-authorization-code --app ${shellQuote(app.name)}\` for a new code (or pass --force to try anyway)`,
    );
  }
  const creds = await loadClientCredentials(ctx, app);
  const vault = await ctx.vault();
  const verifier = decryptVerifier(vault, pending);
  const requestedAt = nowMs(ctx.env);
  let tokens;
  try {
    tokens = await callTokenEndpoint(
      ctx,
      app,
      creds,
      { grant_type: 'authorization_code', code, redirect_uri: pending.redirectUri, code_verifier: verifier },
      pending.scope,
    );
  } catch (error) {
    audit(ctx.db, {
      category: 'auth',
      company: ctx.company,
      app: app.name,
      event: 'token request failed',
      detail: { grant: 'authorization_code', error: error instanceof MtdvatError ? error.message : 'internal error' },
    });
    throw error;
  }
  const expiresAtMs = requestedAt + tokens.expiresInS * 1000;
  const expiresAt = new Date(expiresAtMs).toISOString();
  ctx.db.transaction(() => {
    writeTokens(ctx.db, vault, ctx.company, app.name, {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      accessExpiresAt: expiresAt,
      scope: tokens.scope,
      grantedAt: new Date(requestedAt).toISOString(),
      refreshedAt: null,
      origin: app.origin,
    });
    deletePending(ctx.db, ctx.company, app.name);
    audit(ctx.db, { category: 'auth', company: ctx.company, app: app.name, event: 'token obtained', detail: { expiresAt, scope: tokens.scope } });
  }).immediate();
  return { app: app.name, expiresAt, scope: tokens.scope, expiresInMs: expiresAtMs - nowMs(ctx.env) };
}
