/** POST {base}/oauth/token for the authorization_code and refresh_token grants, with HMRC's errors mapped to actions. */
import { shellQuote } from '../lib/shell-quote.js';
import type { Context } from '../context.js';
import { AuthError, GrantRefusedError, HmrcError } from '../errors.js';
import { hmrcErrorFrom, hmrcRequest, isOk, parseHmrcError } from '../hmrc/http.js';
import type { ClientCredentials, WebApp } from '../setup/web-app.js';

export interface TokenResponse {
  accessToken: string;
  refreshToken: string;
  expiresInS: number;
  scope: string;
}

/** Scopes as a canonical set string: HMRC's order varies between calls. */
export function normalizeScope(scope: string): string {
  return [...new Set(scope.split(/[\s+]+/).filter(Boolean))].sort().join(' ');
}

export function reauthorizeMessage(appName: string): string {
  return `authorization has expired or was revoked: run \`mtdvat auth get-authorization-code --app ${shellQuote(appName)}\``;
}

export async function callTokenEndpoint(
  ctx: Context,
  app: WebApp,
  creds: ClientCredentials,
  grant: { grant_type: 'authorization_code'; code: string; redirect_uri: string; code_verifier: string } | { grant_type: 'refresh_token'; refresh_token: string },
  fallbackScope: string,
): Promise<TokenResponse> {
  const response = await hmrcRequest(ctx, {
    app,
    method: 'POST',
    path: app.tokenPath,
    form: { ...grant, client_id: creds.clientId, client_secret: creds.clientSecret },
    idempotent: false,
    // Refused connections and 429s never consumed the code/refresh token, so those alone are retried.
    retryUnsent: true,
    timeoutMs: 15_000,
    maxTotalDelayMs: 5_000,
    auditCategory: 'auth',
    auditEvent: grant.grant_type === 'refresh_token' ? 'token request (refresh_token)' : 'token request (authorization_code)',
    secrets: [creds.clientId, creds.clientSecret],
  });
  if (!isOk(response)) {
    const parsed = parseHmrcError(response.status, response.json, response.bodyText);
    const code = parsed.code;
    if (code === 'invalid_client') {
      throw new AuthError(
        `HMRC rejected the client ID or secret of web application "${app.name}" (invalid_client): check them with \`mtdvat web-apps set-credentials ${shellQuote(app.name)}\``,
      );
    }
    if (grant.grant_type === 'refresh_token' && (code === 'invalid_grant' || code === 'invalid_request')) {
      throw new (code === 'invalid_grant' ? GrantRefusedError : AuthError)(`${reauthorizeMessage(app.name)} (HMRC: ${code}${parsed.message && parsed.message !== code ? ` ${parsed.message}` : ''})`);
    }
    if (grant.grant_type === 'authorization_code' && (code === 'invalid_request' || code === 'invalid_grant')) {
      const what = /code is invalid/i.test(parsed.message)
        ? 'the authorization code is invalid, expired (codes last 10 minutes) or was already used'
        : /code_verifier/i.test(parsed.message)
          ? 'the authorization code does not belong to the pending request (PKCE check failed)'
          : `HMRC refused the code (${code}: ${parsed.message})`;
      throw new AuthError(`${what}: run \`mtdvat auth get-authorization-code --app ${shellQuote(app.name)}\` for a new code`);
    }
    const err = hmrcErrorFrom(response, 'HMRC could not issue a token');
    throw new HmrcError(
      response.status >= 500 ? `${err.message}; the stored token is unchanged, try again later` : err.message,
      err.status,
      err.code,
    );
  }
  const j = (response.json ?? {}) as Record<string, unknown>;
  const accessToken = typeof j.access_token === 'string' ? j.access_token : '';
  const refreshToken = typeof j.refresh_token === 'string' ? j.refresh_token : '';
  const expiresIn = Number(j.expires_in);
  if (!accessToken || !refreshToken || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new HmrcError('HMRC answered the token request without a usable access token, refresh token and expiry', response.status, 'BAD_TOKEN_RESPONSE');
  }
  const scope = normalizeScope(typeof j.scope === 'string' && j.scope.trim() ? j.scope : fallbackScope);
  return { accessToken, refreshToken, expiresInS: expiresIn, scope };
}
