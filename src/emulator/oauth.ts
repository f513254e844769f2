/**
 * OAuth 2.0 as HMRC runs it (https://developer.service.hmrc.gov.uk/api-documentation/docs/authorisation/user-restricted-endpoints): /oauth/authorize with its HTML journey,
 * the /__test/authorize shortcut, and /oauth/token for the three grants.
 * Error codes and descriptions follow HMRC's authorize and token errors exactly, including its quirks
 * (invalid/used codes are `invalid_request`, unknown grant types are `invalid_request`).
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { OOB_REDIRECT_URIS } from './defaults.js';
import { type Ctx, formFields, header, redirect, sendHtml, sendJson } from './http.js';
import { grantPage, oobDeniedPage, oobSuccessPage, sessionErrorPage, signInPage, startPage } from './pages.js';
import type { SandboxClient } from './server.js';
import {
  ACCESS_TOKEN_TTL_S,
  type AuthorizeRequest,
  type AuthSession,
  addMonthsUtc,
  CODE_TTL_MS,
  GRANT_MONTHS,
  hex32,
  SESSION_TTL_MS,
  type SandboxState,
} from './state.js';

/** Scopes this emulator knows; anything else is `invalid_scope`. */
export const KNOWN_SCOPES = new Set(['read:vat', 'write:vat', 'hello']);

/** Loopback hosts a native app may listen on (RFC 8252 §7.3); `localhost` as HMRC accepts it. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function parseUri(uri: string): URL | undefined {
  try {
    return new URL(uri);
  } catch {
    return undefined;
  }
}

/** An http URL on a loopback host without user information or fragment. */
function loopbackUrl(uri: string): URL | undefined {
  const u = parseUri(uri);
  if (!u || u.protocol !== 'http:' || !LOOPBACK_HOSTS.has(u.hostname) || u.username || u.password || uri.includes('#') || uri.includes('@')) return undefined;
  return u;
}

/**
 * Redirect URI check. Without a registered list: the out-of-band URNs or any loopback URL. With one:
 * a registered loopback URI matches on scheme, host, path and query exactly, on any port (RFC 8252
 * §7.3: the port is chosen at run time); any other registered URI must match exactly, character for
 * character (no prefixes, no wildcards: `http://127.0.0.1:1@evil.example/cb` is not a loopback URI).
 * User information and fragments are never accepted.
 */
export function redirectAllowed(client: SandboxClient, uri: string): boolean {
  if (uri.includes('#')) return false; // fragments are never valid (HMRC §2.1)
  if (OOB_REDIRECT_URIS.includes(uri)) return !client.redirectUris || client.redirectUris.includes(uri);
  const asked = loopbackUrl(uri);
  if (!client.redirectUris) return !!asked;
  return client.redirectUris.some((reg) => {
    const registered = loopbackUrl(reg);
    if (registered && asked) {
      return registered.hostname === asked.hostname && registered.pathname === asked.pathname && registered.search === asked.search;
    }
    const u = parseUri(uri);
    return uri === reg && !!u && !u.username && !u.password;
  });
}

export function parseScopes(scope: string): string[] {
  return [...new Set(scope.split(/[\s+]+/).filter(Boolean))];
}

interface OAuthError {
  status: number;
  error: string;
  description: string;
}

const err = (status: number, error: string, description: string): OAuthError => ({ status, error, description });

/** Validates authorize parameters in the order HMRC's authorization endpoint checks them. */
export function validateAuthorize(
  state: SandboxState,
  get: (name: string) => string | undefined,
): { ok: AuthorizeRequest } | { error: OAuthError } {
  const clientId = get('client_id');
  if (!clientId) return { error: err(400, 'invalid_request', 'client_id is required') };
  const client = state.clients.get(clientId);
  if (!client) return { error: err(400, 'invalid_request', 'client_id is invalid') };
  const redirectUri = get('redirect_uri');
  if (!redirectUri) return { error: err(400, 'invalid_request', 'redirect_uri is required') };
  if (!redirectAllowed(client, redirectUri)) return { error: err(400, 'invalid_request', 'redirect_uri is invalid') };
  const responseType = get('response_type');
  if (!responseType) return { error: err(400, 'invalid_request', 'response_type is required') };
  if (responseType !== 'code') return { error: err(400, 'unsupported_response_type', "response_type must be 'code'") };
  const scope = get('scope');
  if (!scope || !scope.trim()) return { error: err(400, 'invalid_request', 'scope is required') };
  const scopes = parseScopes(scope);
  if (scopes.some((s) => !KNOWN_SCOPES.has(s))) return { error: err(400, 'invalid_scope', 'scope is invalid') };
  if (get('client_secret') !== undefined) return { error: err(400, 'invalid_request', 'client_secret should NOT be present') };
  const challenge = get('code_challenge');
  const method = get('code_challenge_method');
  if (challenge === '') return { error: err(400, 'invalid_request', 'code_challenge if present, cannot be empty') };
  if (method !== undefined && method !== 'S256')
    return { error: err(400, 'invalid_request', 'code_challenge_method, if present, must be S256') };
  if (challenge !== undefined && method === undefined)
    return { error: err(400, 'invalid_request', 'code_challenge_method should be present when code_challenge is present') };
  if (method !== undefined && challenge === undefined)
    return { error: err(400, 'invalid_request', 'code_challenge should be present when code_challenge_method is present') };
  const st = get('state');
  return { ok: { clientId, redirectUri, scopes, state: st, codeChallenge: challenge } };
}

function sendOAuthError(ctx: Ctx, e: OAuthError, stateParam?: string): void {
  const body: Record<string, string> = { error: e.error, error_description: e.description };
  if (stateParam !== undefined) body.state = stateParam;
  sendJson(ctx, e.status, body);
}

function appName(state: SandboxState, clientId: string): string {
  return state.clients.get(clientId)?.applicationName ?? clientId;
}

function liveSession(ctx: Ctx, id: string | undefined): AuthSession | undefined {
  if (!id) return undefined;
  const s = ctx.state.sessions.get(id);
  if (!s) return undefined;
  if (ctx.state.clock.now() > s.expiresAt) {
    ctx.state.sessions.delete(id);
    return undefined;
  }
  return s;
}

function issueCode(state: SandboxState, request: AuthorizeRequest, userId: string): string {
  const code = hex32();
  state.codes.set(code, { code, request, userId, expiresAt: state.clock.now() + CODE_TTL_MS });
  return code;
}

function withParams(uri: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  return `${uri}${uri.includes('?') ? '&' : '?'}${q.toString()}`;
}

function checkUser(state: SandboxState, userId: string | undefined, password: string | undefined): boolean {
  const user = userId ? state.users.get(userId.trim()) : undefined;
  return !!user && password !== undefined && safeEqual(user.password, password);
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

// ---------- authorize journey ----------

/** GET /oauth/authorize: validate, then show the start page of a new server-side session. */
export function handleAuthorize(ctx: Ctx): void {
  ctx.state.prune();
  const q = ctx.url.searchParams;
  const get = (n: string) => q.get(n) ?? undefined;
  const result = validateAuthorize(ctx.state, get);
  if ('error' in result) return sendOAuthError(ctx, result.error, get('state'));
  const id = randomUUID();
  ctx.state.sessions.set(id, { id, request: result.ok, expiresAt: ctx.state.clock.now() + SESSION_TTL_MS });
  sendHtml(ctx, 200, startPage(appName(ctx.state, result.ok.clientId), id, result.ok.scopes));
}

/** POST /oauth/start ("Continue"). */
export function handleStart(ctx: Ctx): void {
  const f = formFields(ctx);
  const s = liveSession(ctx, f.session);
  if (!s) return sendHtml(ctx, 400, sessionErrorPage());
  redirect(ctx, `/api-test-login/sign-in?session=${encodeURIComponent(s.id)}`, 303);
}

/** GET /api-test-login/sign-in */
export function handleSignInPage(ctx: Ctx): void {
  const s = liveSession(ctx, ctx.url.searchParams.get('session') ?? undefined);
  if (!s) return sendHtml(ctx, 400, sessionErrorPage());
  sendHtml(ctx, 200, signInPage(s.id));
}

/** POST /api-test-login/sign-in: wrong credentials show the form again with an error. */
export function handleSignIn(ctx: Ctx): void {
  const f = formFields(ctx);
  const s = liveSession(ctx, f.session);
  if (!s) return sendHtml(ctx, 400, sessionErrorPage());
  if (!checkUser(ctx.state, f.userId, f.password)) {
    return sendHtml(ctx, 200, signInPage(s.id, 'Invalid user ID or password. Check the details of your test user and try again.'));
  }
  s.userId = (f.userId as string).trim();
  redirect(ctx, `/oauth/grantscope?session=${encodeURIComponent(s.id)}`, 303);
}

/** GET /oauth/grantscope */
export function handleGrantPage(ctx: Ctx): void {
  const s = liveSession(ctx, ctx.url.searchParams.get('session') ?? undefined);
  if (!s) return sendHtml(ctx, 400, sessionErrorPage());
  if (!s.userId) return redirect(ctx, `/api-test-login/sign-in?session=${encodeURIComponent(s.id)}`, 303);
  sendHtml(ctx, 200, grantPage(appName(ctx.state, s.request.clientId), s.id, s.request.scopes));
}

/** POST /oauth/grantscope: decision=grant|deny. */
export function handleGrantDecision(ctx: Ctx): void {
  const f = formFields(ctx);
  const s = liveSession(ctx, f.session);
  if (!s) return sendHtml(ctx, 400, sessionErrorPage());
  if (!s.userId) return redirect(ctx, `/api-test-login/sign-in?session=${encodeURIComponent(s.id)}`, 303);
  ctx.state.sessions.delete(s.id); // one decision per journey
  const { redirectUri, state } = s.request;
  const oob = OOB_REDIRECT_URIS.includes(redirectUri);
  if (f.decision !== 'grant') {
    if (oob) return sendHtml(ctx, 200, oobDeniedPage(state));
    return redirect(
      ctx,
      withParams(redirectUri, {
        error: 'access_denied',
        error_description: 'user denied the authorization',
        error_code: 'USER_DENIED_AUTHORIZATION',
        state,
      }),
    );
  }
  const code = issueCode(ctx.state, s.request, s.userId);
  if (oob) return sendHtml(ctx, 200, oobSuccessPage(code, redirectUri.endsWith(':auto')));
  redirect(ctx, withParams(redirectUri, { code, state }));
}

/**
 * POST /__test/authorize (TEST ONLY): the whole journey in one call, form or JSON body with
 * client_id, userId, password, scope, redirect_uri (default oob), state, code_challenge[_method].
 * Answers {"code", "state"?}.
 */
export function handleTestAuthorize(ctx: Ctx): void {
  const f = formFields(ctx);
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    redirect_uri: OOB_REDIRECT_URIS[0],
    ...f,
  };
  if (params.code_challenge !== undefined && params.code_challenge_method === undefined) params.code_challenge_method = 'S256';
  delete params.userId;
  delete params.password;
  const result = validateAuthorize(ctx.state, (n) => params[n]);
  if ('error' in result) return sendOAuthError(ctx, result.error, params.state);
  if (!checkUser(ctx.state, f.userId, f.password)) {
    return sendJson(ctx, 401, { error: 'access_denied', error_description: 'invalid user id or password' });
  }
  const code = issueCode(ctx.state, result.ok, (f.userId as string).trim());
  sendJson(ctx, 200, result.ok.state !== undefined ? { code, state: result.ok.state } : { code });
}

// ---------- token endpoint ----------

function tokenError(ctx: Ctx, status: number, error: string, description: string): void {
  sendJson(ctx, status, { error, error_description: description });
}

function issueUserTokens(state: SandboxState, grantId: string): Record<string, unknown> {
  const grant = state.grants.get(grantId);
  if (!grant) throw new Error('grant vanished');
  const access = hex32();
  const refresh = hex32();
  state.accessTokens.set(access, {
    kind: 'user',
    clientId: grant.clientId,
    userId: grant.userId,
    scopes: grant.scopes,
    expiresAt: state.clock.now() + ACCESS_TOKEN_TTL_S * 1000,
    grantId,
  });
  state.refreshTokens.set(refresh, { grantId, accessToken: access });
  // Key order as captured from the live sandbox.
  return {
    access_token: access,
    refresh_token: refresh,
    expires_in: ACCESS_TOKEN_TTL_S,
    scope: grant.scopes.join(' '),
    token_type: 'bearer',
  };
}

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** POST /oauth/token (form-encoded; client credentials in the body). */
export function handleToken(ctx: Ctx): void {
  const state = ctx.state;
  state.prune();
  const ct = (header(ctx, 'content-type') ?? '').toLowerCase();
  const form = ct.includes('application/x-www-form-urlencoded') ? new URLSearchParams(ctx.body) : new URLSearchParams();
  const get = (n: string) => form.get(n) ?? undefined;
  const grantType = get('grant_type');
  state.counters.tokenRequests++;
  const key = grantType ?? '(missing)';
  state.counters.tokenRequestsByGrant[key] = (state.counters.tokenRequestsByGrant[key] ?? 0) + 1;

  const fault = state.takeFault('token-error');
  if (fault) return sendJson(ctx, fault.status, fault.body ?? {});

  const clientId = get('client_id');
  if (!clientId) return tokenError(ctx, 400, 'invalid_request', 'client_id is required');
  const client = state.clients.get(clientId);
  if (!client) return tokenError(ctx, 401, 'invalid_client', 'invalid client id or secret');
  const secret = get('client_secret');
  if (!secret) return tokenError(ctx, 400, 'invalid_request', 'client_secret is required');
  if (!safeEqual(client.clientSecret, secret)) return tokenError(ctx, 401, 'invalid_client', 'invalid client id or secret');
  if (!grantType) return tokenError(ctx, 400, 'invalid_request', 'grant_type is required');

  const now = state.clock.now();
  if (grantType === 'authorization_code') {
    const redirectUri = get('redirect_uri');
    if (!redirectUri) return tokenError(ctx, 400, 'invalid_request', 'redirect_uri is required');
    if (!redirectAllowed(client, redirectUri)) return tokenError(ctx, 400, 'invalid_request', 'redirect_uri is invalid');
    const codeValue = get('code');
    if (!codeValue) return tokenError(ctx, 400, 'invalid_request', 'code is required for given grant_type');
    const code = state.codes.get(codeValue);
    if (!code || code.expiresAt <= now || code.request.clientId !== clientId) {
      if (code && code.expiresAt <= now) state.codes.delete(codeValue);
      return tokenError(ctx, 400, 'invalid_request', 'code is invalid');
    }
    if (code.request.redirectUri !== redirectUri) return tokenError(ctx, 400, 'invalid_request', 'redirect_uri is invalid');
    const verifier = get('code_verifier');
    if (code.request.codeChallenge === undefined) {
      if (verifier !== undefined) return tokenError(ctx, 400, 'invalid_request', 'code_verifier is not expected');
    } else {
      if (verifier === undefined)
        return tokenError(ctx, 400, 'invalid_request', 'code_verifier is expected when code_challenge was supplied');
      if (!VERIFIER.test(verifier))
        return tokenError(ctx, 400, 'invalid_request', 'code_verifier must contain valid characters of length between 43 and 128');
      const computed = createHash('sha256').update(verifier).digest('base64url');
      if (computed !== code.request.codeChallenge) return tokenError(ctx, 400, 'invalid_grant', 'code_verifier is invalid');
    }
    state.codes.delete(codeValue); // single use
    const grantId = randomUUID();
    state.grants.set(grantId, {
      id: grantId,
      clientId,
      userId: code.userId,
      scopes: code.request.scopes,
      grantedAt: now,
      expiresAt: addMonthsUtc(now, GRANT_MONTHS),
      revoked: false,
    });
    return sendJson(ctx, 200, issueUserTokens(state, grantId));
  }

  if (grantType === 'refresh_token') {
    const refresh = get('refresh_token');
    if (!refresh) return tokenError(ctx, 400, 'invalid_request', 'refresh_token is required');
    const record = state.refreshTokens.get(refresh);
    const grant = record ? state.grants.get(record.grantId) : undefined;
    if (!record || !grant || grant.revoked || grant.clientId !== clientId || now >= grant.expiresAt) {
      return tokenError(ctx, 400, 'invalid_grant', 'refresh_token is invalid');
    }
    // Rotation: the refresh token is single-use and the access token issued with it dies now (https://developer.service.hmrc.gov.uk/api-documentation/docs/authorisation/user-restricted-endpoints, "Refreshing an access token").
    state.refreshTokens.delete(refresh);
    state.accessTokens.delete(record.accessToken);
    return sendJson(ctx, 200, issueUserTokens(state, grant.id));
  }

  if (grantType === 'client_credentials') {
    const scope = get('scope');
    const scopes = scope ? parseScopes(scope) : [];
    if (scopes.some((s) => !KNOWN_SCOPES.has(s))) return tokenError(ctx, 400, 'invalid_scope', 'scope is invalid');
    const access = hex32();
    state.accessTokens.set(access, {
      kind: 'application',
      clientId,
      scopes,
      expiresAt: now + ACCESS_TOKEN_TTL_S * 1000,
    });
    return sendJson(ctx, 200, {
      access_token: access,
      token_type: 'bearer',
      expires_in: ACCESS_TOKEN_TTL_S,
      scope: scopes.length ? scopes.join(' ') : 'default', // "default" when none asked for (observed in the sandbox)
    });
  }

  return tokenError(ctx, 400, 'invalid_request', 'unsupported grant_type');
}
