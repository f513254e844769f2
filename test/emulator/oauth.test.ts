import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/emulator/server.js';
import { api, CLIENT, getCode, OOB, pkcePair, postForm, sessionOf, start, token, USER, userTokens, type Tokens } from './helpers.js';

let sb: RunningSandbox;
beforeAll(async () => {
  sb = await start();
});
afterAll(async () => {
  await sb.close();
});

function authorizeUrl(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  return `${sb.url}/oauth/authorize?${q.toString()}`;
}

const good = { client_id: CLIENT.clientId, response_type: 'code', scope: 'read:vat write:vat', redirect_uri: OOB };

describe('GET /oauth/authorize parameter validation (HMRC order, §2.2)', () => {
  const cases: [string, Record<string, string | undefined>, string, string][] = [
    ['client_id missing', { ...good, client_id: undefined }, 'invalid_request', 'client_id is required'],
    ['client_id unknown', { ...good, client_id: 'nope' }, 'invalid_request', 'client_id is invalid'],
    ['redirect_uri missing', { ...good, redirect_uri: undefined }, 'invalid_request', 'redirect_uri is required'],
    ['redirect_uri not allowed', { ...good, redirect_uri: 'https://evil.example/cb' }, 'invalid_request', 'redirect_uri is invalid'],
    ['redirect_uri with fragment', { ...good, redirect_uri: 'http://127.0.0.1:8080/cb#x' }, 'invalid_request', 'redirect_uri is invalid'],
    ['response_type missing', { ...good, response_type: undefined }, 'invalid_request', 'response_type is required'],
    ['response_type token', { ...good, response_type: 'token' }, 'unsupported_response_type', "response_type must be 'code'"],
    ['scope missing', { ...good, scope: undefined }, 'invalid_request', 'scope is required'],
    ['scope unknown', { ...good, scope: 'read:vat write:everything' }, 'invalid_scope', 'scope is invalid'],
    ['client_secret present', { ...good, client_secret: 'x' }, 'invalid_request', 'client_secret should NOT be present'],
    ['empty code_challenge', { ...good, code_challenge: '', code_challenge_method: 'S256' }, 'invalid_request', 'code_challenge if present, cannot be empty'],
    ['method plain', { ...good, code_challenge: 'abc', code_challenge_method: 'plain' }, 'invalid_request', 'code_challenge_method, if present, must be S256'],
    ['challenge without method', { ...good, code_challenge: 'abc' }, 'invalid_request', 'code_challenge_method should be present when code_challenge is present'],
    ['method without challenge', { ...good, code_challenge_method: 'S256' }, 'invalid_request', 'code_challenge should be present when code_challenge_method is present'],
  ];
  it.each(cases)('%s', async (_name, params, error, description) => {
    const res = await fetch(authorizeUrl(params));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error, error_description: description });
  });

  it('echoes state in the error body when supplied', async () => {
    const res = await fetch(authorizeUrl({ ...good, client_id: 'nope', state: 's1' }));
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'client_id is invalid', state: 's1' });
  });
});

/** Drives the HTML journey up to the grant page; returns the session id. */
async function signedInSession(params: Record<string, string>): Promise<string> {
  const startRes = await fetch(authorizeUrl(params));
  expect(startRes.status).toBe(200);
  const startHtml = await startRes.text();
  expect(startHtml).toContain('id="appNameParagraph"');
  expect(startHtml).toContain('mtdvat local sandbox');
  expect(startHtml).toContain('>Continue<');
  const session = sessionOf(startHtml);

  const cont = await postForm(`${sb.url}/oauth/start`, { session });
  expect(cont.status).toBe(303);
  const signInPage = await fetch(`${sb.url}${cont.headers.get('location')}`);
  const signInHtml = await signInPage.text();
  expect(signInHtml).toContain('id="userId"');
  expect(signInHtml).toContain('id="password"');
  expect(signInHtml).toContain('>Sign in<');

  const wrong = await postForm(`${sb.url}/api-test-login/sign-in`, { session, userId: USER.userId, password: 'wrong' });
  expect(wrong.status).toBe(200);
  expect(await wrong.text()).toContain('Invalid user ID or password');

  const ok = await postForm(`${sb.url}/api-test-login/sign-in`, { session, userId: USER.userId, password: USER.password });
  expect(ok.status).toBe(303);
  const grant = await fetch(`${sb.url}${ok.headers.get('location')}`);
  const grantHtml = await grant.text();
  expect(grantHtml).toContain('id="givePermission"');
  expect(grantHtml).toContain('Grant authority');
  expect(grantHtml).toContain('Do not grant authority');
  return session;
}

describe('HTML journey by plain form posts', () => {
  it('oob: start → sign in → grant → page titled "Success code=CODE", code usable once', async () => {
    const session = await signedInSession(good);
    const res = await postForm(`${sb.url}/oauth/grantscope`, { session, decision: 'grant' });
    expect(res.status).toBe(200);
    const html = await res.text();
    const m = /<title>Success code=([0-9a-f]{32})<\/title>/.exec(html);
    expect(m).not.toBeNull();
    const code = m![1];
    expect(html).toContain(`<code id="authorisation-code">${code}</code>`);
    const t = await token(sb, { grant_type: 'authorization_code', code, redirect_uri: OOB });
    expect(t.status).toBe(200);
  });

  it('loopback: grant → 302 to redirect_uri with code and state', async () => {
    const redirect = 'http://127.0.0.1:53682/callback';
    const session = await signedInSession({ ...good, redirect_uri: redirect, state: 'st-42' });
    const res = await postForm(`${sb.url}/oauth/grantscope`, { session, decision: 'grant' });
    expect(res.status).toBe(302);
    const loc = new URL(res.headers.get('location')!);
    expect(`${loc.origin}${loc.pathname}`).toBe(redirect);
    expect(loc.searchParams.get('code')).toMatch(/^[0-9a-f]{32}$/);
    expect(loc.searchParams.get('state')).toBe('st-42');
  });

  it('deny: redirect carries HMRC error parameters and state', async () => {
    const session = await signedInSession({ ...good, redirect_uri: 'http://localhost:8123/cb', state: 'xyz' });
    const res = await postForm(`${sb.url}/oauth/grantscope`, { session, decision: 'deny' });
    expect(res.status).toBe(302);
    const loc = res.headers.get('location')!;
    expect(loc).toBe(
      'http://localhost:8123/cb?error=access_denied&error_description=user+denied+the+authorization&error_code=USER_DENIED_AUTHORIZATION&state=xyz',
    );
  });

  it('deny with oob renders an error page; session is single-use', async () => {
    const session = await signedInSession(good);
    const res = await postForm(`${sb.url}/oauth/grantscope`, { session, decision: 'deny' });
    expect(await res.text()).toContain('access_denied');
    const again = await postForm(`${sb.url}/oauth/grantscope`, { session, decision: 'grant' });
    expect(again.status).toBe(400);
  });
});

describe('POST /__test/authorize', () => {
  it('returns a code (form or JSON) and echoes state', async () => {
    const res = await fetch(`${sb.url}/__test/authorize`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_id: CLIENT.clientId, userId: USER.userId, password: USER.password, scope: 'read:vat', state: 'abc' }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { code: string; state: string };
    expect(body.code).toMatch(/^[0-9a-f]{32}$/);
    expect(body.state).toBe('abc');
  });
  it('rejects a wrong password and validates parameters like /oauth/authorize', async () => {
    const bad = await postForm(`${sb.url}/__test/authorize`, { client_id: CLIENT.clientId, userId: USER.userId, password: 'x', scope: 'read:vat' });
    expect(bad.status).toBe(401);
    const badScope = await postForm(`${sb.url}/__test/authorize`, { client_id: CLIENT.clientId, userId: USER.userId, password: USER.password, scope: 'nope' });
    expect(await badScope.json()).toEqual({ error: 'invalid_scope', error_description: 'scope is invalid' });
  });
});

describe('POST /oauth/token', () => {
  it('authorization_code with PKCE: happy path, exact response shape', async () => {
    const { verifier, challenge } = pkcePair();
    const code = await getCode(sb, { code_challenge: challenge, code_challenge_method: 'S256' });
    const res = await token(sb, { grant_type: 'authorization_code', code, redirect_uri: OOB, code_verifier: verifier });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache,no-store,max-age=0');
    const body = (await res.json()) as Tokens;
    expect(Object.keys(body)).toEqual(['access_token', 'refresh_token', 'expires_in', 'scope', 'token_type']);
    expect(body).toMatchObject({ expires_in: 14400, token_type: 'bearer', scope: 'read:vat write:vat' });
    const hello = await api(sb, '/hello/user', body.access_token);
    expect(await hello.json()).toEqual({ message: 'Hello User' });
  });

  it('PKCE errors', async () => {
    const { verifier, challenge } = pkcePair();
    const withChallenge = () => getCode(sb, { code_challenge: challenge, code_challenge_method: 'S256' });
    const ex = async (fields: Record<string, string>) => {
      const res = await token(sb, { grant_type: 'authorization_code', redirect_uri: OOB, ...fields });
      return [res.status, await res.json()];
    };
    expect(await ex({ code: await withChallenge() })).toEqual([
      400,
      { error: 'invalid_request', error_description: 'code_verifier is expected when code_challenge was supplied' },
    ]);
    expect(await ex({ code: await withChallenge(), code_verifier: 'short' })).toEqual([
      400,
      { error: 'invalid_request', error_description: 'code_verifier must contain valid characters of length between 43 and 128' },
    ]);
    expect(await ex({ code: await withChallenge(), code_verifier: `${verifier.slice(0, -1)}Z` })).toEqual([
      400,
      { error: 'invalid_grant', error_description: 'code_verifier is invalid' },
    ]);
    expect(await ex({ code: await getCode(sb), code_verifier: verifier })).toEqual([
      400,
      { error: 'invalid_request', error_description: 'code_verifier is not expected' },
    ]);
  });

  it('a code is single-use (HMRC answers invalid_request "code is invalid")', async () => {
    const code = await getCode(sb);
    expect((await token(sb, { grant_type: 'authorization_code', code, redirect_uri: OOB })).status).toBe(200);
    const again = await token(sb, { grant_type: 'authorization_code', code, redirect_uri: OOB });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: 'invalid_request', error_description: 'code is invalid' });
  });

  it('a code expires after 600 s', async () => {
    const code = await getCode(sb);
    sb.clock.advance(601_000);
    const res = await token(sb, { grant_type: 'authorization_code', code, redirect_uri: OOB });
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'code is invalid' });
  });

  it('the redirect_uri must equal the one used at authorize', async () => {
    const code = await getCode(sb);
    const res = await token(sb, { grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:1/cb' });
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'redirect_uri is invalid' });
  });

  const errorCases: [string, Record<string, string>, number, string, string][] = [
    ['wrong secret', { client_secret: 'wrong', grant_type: 'client_credentials' }, 401, 'invalid_client', 'invalid client id or secret'],
    ['unknown client', { client_id: 'nobody', grant_type: 'client_credentials' }, 401, 'invalid_client', 'invalid client id or secret'],
    ['client_id missing', { client_id: '', grant_type: 'client_credentials' }, 400, 'invalid_request', 'client_id is required'],
    ['secret missing', { client_secret: '', grant_type: 'client_credentials' }, 400, 'invalid_request', 'client_secret is required'],
    ['grant_type missing', {}, 400, 'invalid_request', 'grant_type is required'],
    ['grant_type unsupported', { grant_type: 'password' }, 400, 'invalid_request', 'unsupported grant_type'],
    ['code missing', { grant_type: 'authorization_code', redirect_uri: OOB }, 400, 'invalid_request', 'code is required for given grant_type'],
    ['redirect_uri missing', { grant_type: 'authorization_code', code: 'x' }, 400, 'invalid_request', 'redirect_uri is required'],
    ['refresh_token missing', { grant_type: 'refresh_token' }, 400, 'invalid_request', 'refresh_token is required'],
    ['refresh_token unknown', { grant_type: 'refresh_token', refresh_token: 'nope' }, 400, 'invalid_grant', 'refresh_token is invalid'],
    ['client_credentials bad scope', { grant_type: 'client_credentials', scope: 'root' }, 400, 'invalid_scope', 'scope is invalid'],
  ];
  it.each(errorCases)('%s', async (_n, fields, status, error, description) => {
    const res = await token(sb, fields);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error, error_description: description });
  });

  it('refresh rotates: old refresh token dead, old access token revoked', async () => {
    const first = await userTokens(sb);
    const res = await token(sb, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(res.status).toBe(200);
    const second = (await res.json()) as Tokens;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.scope).toBe('read:vat write:vat');

    const reuse = await token(sb, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(reuse.status).toBe(400);
    expect(await reuse.json()).toEqual({ error: 'invalid_grant', error_description: 'refresh_token is invalid' });

    const old = await api(sb, '/hello/user', first.access_token);
    expect(old.status).toBe(401);
    expect(old.headers.get('www-authenticate')).toBe('Bearer realm="HMRC API Platform"');
    expect(await old.json()).toEqual({ code: 'INVALID_CREDENTIALS', message: 'Invalid Authentication information provided' });
    expect((await api(sb, '/hello/user', second.access_token)).status).toBe(200);
  });

  it('access tokens expire after 14400 s', async () => {
    const t = await userTokens(sb);
    sb.clock.advance(14_400_000);
    expect((await api(sb, '/hello/user', t.access_token)).status).toBe(401);
  });

  it('the grant dies 18 months after authorization, however often it was refreshed', async () => {
    let t = await userTokens(sb);
    for (let i = 0; i < 3; i++) {
      sb.clock.advance(170 * 86_400_000);
      const res = await token(sb, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
      expect(res.status).toBe(200);
      t = (await res.json()) as Tokens;
    }
    sb.clock.advance(60 * 86_400_000); // 570 days > 18 months
    const res = await token(sb, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
    expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: 'refresh_token is invalid' });
  });

  it('revokeGrants kills refresh and access tokens', async () => {
    const t = await userTokens(sb);
    sb.revokeGrants(USER.userId);
    expect((await api(sb, '/hello/user', t.access_token)).status).toBe(401);
    const res = await token(sb, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
    expect((await res.json()) as object).toMatchObject({ error: 'invalid_grant' });
  });

  it('client_credentials: application token, no refresh token, "default" scope', async () => {
    const res = await token(sb, { grant_type: 'client_credentials' });
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 14400, scope: 'default' });
    expect(body.refresh_token).toBeUndefined();
    const app = await api(sb, '/hello/application', body.access_token as string);
    expect(await app.json()).toEqual({ message: 'Hello Application' });
    const user = await api(sb, '/hello/user', body.access_token as string);
    expect(user.status).toBe(401);
    expect(((await user.json()) as { code: string }).code).toBe('INCORRECT_ACCESS_TOKEN_TYPE');
  });

  it('token-error fault answers the next token call, and stats count token requests per grant', async () => {
    const before = sb.stats();
    sb.injectFault({ kind: 'token-error', status: 500, body: { error: 'server_error', error_description: 'An unexpected error occurred' } });
    const res = await token(sb, { grant_type: 'client_credentials' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'server_error', error_description: 'An unexpected error occurred' });
    expect((await token(sb, { grant_type: 'client_credentials' })).status).toBe(200);
    const after = sb.stats();
    expect(after.tokenRequests - before.tokenRequests).toBe(2);
    expect(after.tokenRequestsByGrant.client_credentials - (before.tokenRequestsByGrant.client_credentials ?? 0)).toBe(2);
  });
});
