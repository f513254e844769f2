/**
 * Step 1 of the seed flow: build HMRC's authorization URL (client ID, scope, redirect URI, random
 * state, PKCE S256) and remember the pending request (verifier encrypted) for the code exchange.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Context } from '../context.js';
import { AuthError, UsageError } from '../errors.js';
import { audit } from '../store/audit.js';
import { nowMs } from './clock.js';
import { getConsent } from './consent.js';
import { writePending } from './tokens.js';
import { appUrl, isLoopbackHost, loadClientCredentials, loadWebApp, OOB_REDIRECT, type WebApp } from '../setup/web-app.js';

export const DEFAULT_SCOPE = 'read:vat write:vat';
export const REQUIRED_SCOPES = ['read:vat', 'write:vat'];
/** HMRC: an authorization code is valid for 10 minutes. */
export const CODE_LIFETIME_MS = 10 * 60_000;

export interface ScopeCheck {
  scope: string;
  warnings: string[];
}

/** MTD VAT needs read:vat (every GET) and write:vat (submit); extra scopes are allowed with a warning. */
export function checkScope(scope: string): ScopeCheck {
  const scopes = [...new Set(scope.split(/[\s+]+/).filter(Boolean))];
  const missing = REQUIRED_SCOPES.filter((s) => !scopes.includes(s));
  if (missing.length) {
    throw new UsageError(`--scope must include ${REQUIRED_SCOPES.join(' and ')} for MTD VAT (missing: ${missing.join(', ')})`);
  }
  const extra = scopes.filter((s) => !REQUIRED_SCOPES.includes(s));
  const warnings = extra.length ? [`scope ${extra.join(' ')} is not needed for MTD VAT; HMRC may refuse unknown scopes`] : [];
  return { scope: scopes.join(' '), warnings };
}

export function isOobRedirect(uri: string): boolean {
  return uri.startsWith('urn:ietf:wg:oauth:2.0:oob');
}

export function isLoopbackRedirect(uri: string): boolean {
  try {
    const u = new URL(uri);
    return u.protocol === 'http:' && isLoopbackHost(u.hostname);
  } catch {
    return false;
  }
}

/** PKCE (RFC 7636): 32 random bytes → 43-character verifier; challenge = BASE64URL(SHA256(verifier)). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

export interface AuthorizationRequest {
  app: WebApp;
  authorizationUrl: string;
  state: string;
  expiresAt: string;
  redirectUri: string;
  scope: string;
  warnings: string[];
}

export interface AuthorizationOptions {
  scope?: string;
  /** Overrides the web application's redirect URL (the loopback listener's URI). */
  redirectUri?: string;
}

export async function requestAuthorizationCode(ctx: Context, appName: string, options: AuthorizationOptions = {}): Promise<AuthorizationRequest> {
  const app = loadWebApp(ctx, appName);
  const { scope, warnings } = checkScope(options.scope ?? DEFAULT_SCOPE);
  if (!getConsent(ctx.db)) {
    throw new AuthError('system administrator consent to use HMRC\'s API has not been given: re-run with --yes (or answer the question in a terminal)');
  }
  const redirectUri = options.redirectUri ?? (app.redirectUrl || OOB_REDIRECT);
  const creds = await loadClientCredentials(ctx, app);
  const vault = await ctx.vault();
  const state = randomBytes(16).toString('base64url');
  const { verifier, challenge } = pkcePair();
  const requested = nowMs(ctx.env);
  const url = new URL(appUrl(app, app.authorizationPath));
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', creds.clientId);
  url.searchParams.set('scope', scope);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  const expiresAt = new Date(requested + CODE_LIFETIME_MS).toISOString();
  ctx.db.transaction(() => {
    writePending(ctx.db, vault, {
      company: ctx.company,
      app: app.name,
      state,
      verifier,
      redirectUri,
      scope,
      requestedAt: new Date(requested).toISOString(),
    });
    audit(ctx.db, {
      category: 'auth',
      company: ctx.company,
      app: app.name,
      event: 'authorization code requested',
      detail: { scope, redirectUri, expiresAt },
    });
  })();
  return { app, authorizationUrl: url.toString(), state, expiresAt, redirectUri, scope, warnings };
}
