/**
 * The API platform layer HMRC runs before any API service sees a request 
 * (https://developer.service.hmrc.gov.uk/api-documentation/docs/reference-guide#errors):
 * Accept header, bearer token, token type, scope, rate limit. Its errors are `{code, message}`.
 */
import { performance } from 'node:perf_hooks';
import { type Ctx, header, sendJson } from './http.js';
import type { AccessTokenRecord } from './state.js';

export type Access = 'open' | 'application' | 'user';

export interface RouteAuth {
  access: Access;
  /** Required scope for user-restricted routes. */
  scope?: string;
}

const WWW_AUTH = { 'WWW-Authenticate': 'Bearer realm="HMRC API Platform"' };

export function platformError(ctx: Ctx, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(ctx, status, { code, message }, headers);
}

export function notFoundRoute(ctx: Ctx): void {
  platformError(ctx, 404, 'MATCHING_RESOURCE_NOT_FOUND', 'A resource with the name in the request can not be found in the API');
}

/** Any listed media type `application/vnd.hmrc.1.0+json` (parameters ignored). */
export function acceptOk(ctx: Ctx): boolean {
  const accept = header(ctx, 'accept');
  if (!accept) return false;
  return accept.split(',').some((part) => part.split(';')[0].trim().toLowerCase() === 'application/vnd.hmrc.1.0+json');
}

/**
 * Runs the platform checks. Returns the token record (or null for open routes) when the request may
 * proceed; otherwise the error response has been sent and `undefined` is returned.
 */
export function platformCheck(ctx: Ctx, auth: RouteAuth): AccessTokenRecord | null | undefined {
  if (!acceptOk(ctx)) {
    platformError(ctx, 406, 'ACCEPT_HEADER_INVALID', 'The accept header is missing or invalid');
    return undefined;
  }
  if (auth.access === 'open') return null;
  const authz = header(ctx, 'authorization');
  const m = authz ? /^Bearer\s+(\S+)\s*$/i.exec(authz) : null;
  if (!m) {
    platformError(ctx, 401, 'MISSING_CREDENTIALS', 'Authentication information is not provided', WWW_AUTH);
    return undefined;
  }
  const state = ctx.state;
  const token = state.accessTokens.get(m[1]);
  if (!token || token.expiresAt <= state.clock.now()) {
    platformError(ctx, 401, 'INVALID_CREDENTIALS', 'Invalid Authentication information provided', WWW_AUTH);
    return undefined;
  }
  if (auth.access === 'user' && token.kind !== 'user') {
    platformError(ctx, 401, 'INCORRECT_ACCESS_TOKEN_TYPE', 'The access token type used is not supported when invoking the API', WWW_AUTH);
    return undefined;
  }
  if (auth.scope && !token.scopes.includes(auth.scope)) {
    platformError(ctx, 403, 'INVALID_SCOPE', 'Can not access the required resource. Ensure this token has all the required scopes.');
    return undefined;
  }
  if (!withinRateLimit(ctx, token.clientId)) {
    ctx.state.counters.throttled++;
    platformError(ctx, 429, 'MESSAGE_THROTTLED_OUT', 'The request for the API is throttled as you have exceeded your quota.');
    return undefined;
  }
  return token;
}

/**
 * Sliding one-second window per application. Uses real time, not the simulated clock, because the
 * limit is about how fast requests really arrive (tests that freeze the clock must not be throttled forever).
 */
function withinRateLimit(ctx: Ctx, clientId: string): boolean {
  const now = performance.now();
  const window = (ctx.state.rateWindows.get(clientId) ?? []).filter((t) => now - t < 1000);
  if (window.length >= ctx.state.rateLimitPerSecond) {
    ctx.state.rateWindows.set(clientId, window);
    return false;
  }
  window.push(now);
  ctx.state.rateWindows.set(clientId, window);
  return true;
}
