/**
 * The one redaction policy (src/hmrc/redact.ts): request bodies always lose `code` (it is the
 * authorization code, whatever its case), responses keep HMRC's UPPER_SNAKE error code; headers,
 * URLs, scrubbing and the read-back of stored audit rows. The last case of each table is the one
 * that leaked before: an upper-case authorization code in a token request body.
 */
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectHeaderSecrets,
  collectSecretValues,
  redactAuditDetail,
  redactHeaders,
  redactRequestBody,
  redactResponseBody,
  redactUrl,
  scrub,
} from '../../src/hmrc/redact.js';
import { hmrcRequest } from '../../src/hmrc/http.js';
import { listAudit } from '../../src/store/audit.js';
import { makeHome, type TestHome } from '../helpers/setup-web-app.js';
import type { WebApp } from '../../src/setup/web-app.js';

const R = '[redacted]';
const UPPER_CODE = 'A1B2C3D4E5F60718293A4B5C6D7E8F90';

describe('redactRequestBody', () => {
  it.each<[string, unknown, unknown]>([
    ['token fields', { access_token: 'a', refresh_token: 'r', expires_in: 14400 }, { access_token: R, refresh_token: R, expires_in: 14400 }],
    [
      'token request form',
      { grant_type: 'authorization_code', code: '8c1a3f0e9b6d4c2a8e7f6d5c4b3a2910', client_id: 'cid', client_secret: 's', code_verifier: 'v', redirect_uri: 'http://127.0.0.1:1/cb' },
      { grant_type: 'authorization_code', code: R, client_id: R, client_secret: R, code_verifier: R, redirect_uri: 'http://127.0.0.1:1/cb' },
    ],
    ['nested', { form: { password: 'p', ok: 1 } }, { form: { password: R, ok: 1 } }],
    ['arrays', [{ secret: 'p' }, { ok: 1 }], [{ secret: R }, { ok: 1 }]],
    ['case-insensitive keys', { Authorization: 'Bearer x', CODE: 'abc' }, { Authorization: R, CODE: R }],
    ['numbers, booleans and null pass through', { periodKey: '18A1', finalised: true, totalVatDue: 1.5, x: null }, { periodKey: '18A1', finalised: true, totalVatDue: 1.5, x: null }],
    ['an upper-case authorization code is still a secret', { grant_type: 'authorization_code', code: UPPER_CODE }, { grant_type: 'authorization_code', code: R }],
  ])('%s', (_name, input, expected) => {
    expect(redactRequestBody(input)).toEqual(expected);
  });
});

describe('redactResponseBody', () => {
  it.each<[string, unknown, unknown]>([
    ['token answer', { access_token: 'a', refresh_token: 'r', id_token: 'i', scope: 'read:vat' }, { access_token: R, refresh_token: R, id_token: R, scope: 'read:vat' }],
    ["HMRC's error code stays readable", { code: 'INVALID_CREDENTIALS', message: 'Invalid Authentication information provided' }, { code: 'INVALID_CREDENTIALS', message: 'Invalid Authentication information provided' }],
    ['nested error codes stay', { code: 'INVALID_REQUEST', errors: [{ code: 'INVALID_MONETARY_AMOUNT', path: '/totalVatDue' }] }, { code: 'INVALID_REQUEST', errors: [{ code: 'INVALID_MONETARY_AMOUNT', path: '/totalVatDue' }] }],
    ['a lower-case code is not an error name', { code: 'abcdef0123' }, { code: R }],
  ])('%s', (_name, input, expected) => {
    expect(redactResponseBody(input)).toEqual(expected);
  });
});

describe('redactHeaders', () => {
  it.each<[string, Record<string, string>, Record<string, string>]>([
    ['credentials', { Authorization: 'Bearer t', Cookie: 'c', 'Set-Cookie': 's', 'Proxy-Authorization': 'p', 'X-API-Key': 'k' }, { Authorization: R, Cookie: R, 'Set-Cookie': R, 'Proxy-Authorization': R, 'X-API-Key': R }],
    ['names containing token or secret', { 'X-Auth-Token': 't', 'x-client-secret': 's' }, { 'X-Auth-Token': R, 'x-client-secret': R }],
    ['ordinary headers stay', { Accept: 'application/vnd.hmrc.1.0+json', 'Gov-Client-Connection-Method': 'DESKTOP_APP_DIRECT' }, { Accept: 'application/vnd.hmrc.1.0+json', 'Gov-Client-Connection-Method': 'DESKTOP_APP_DIRECT' }],
  ])('%s', (_name, input, expected) => {
    expect(redactHeaders(input)).toEqual(expected);
  });
});

describe('redactUrl', () => {
  it.each<[string, string, string]>([
    ['authorize URL', 'https://test-api.service.hmrc.gov.uk/oauth/authorize?response_type=code&client_id=cid&scope=read%3Avat&state=st&code_challenge=ch', `https://test-api.service.hmrc.gov.uk/oauth/authorize?response_type=code&client_id=${encodeURIComponent(R)}&scope=read%3Avat&state=${encodeURIComponent(R)}&code_challenge=ch`],
    ['callback with an upper-case code', `http://127.0.0.1:9/cb?code=${UPPER_CODE}&state=s`, `http://127.0.0.1:9/cb?code=${encodeURIComponent(R)}&state=${encodeURIComponent(R)}`],
    ['no query', 'https://api.service.hmrc.gov.uk/organisations/vat/123456789/obligations', 'https://api.service.hmrc.gov.uk/organisations/vat/123456789/obligations'],
  ])('%s', (_name, input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});

describe('collecting and scrubbing secret values', () => {
  it.each<[string, 'request' | 'response', unknown, string[]]>([
    ['request form', 'request', { code: UPPER_CODE, client_secret: 'client-secret-1', grant_type: 'authorization_code' }, [UPPER_CODE, 'client-secret-1']],
    ['response keeps error codes out of the list', 'response', { code: 'INVALID_GRANT', access_token: 'tok-123456' }, ['tok-123456']],
    ['values under 4 characters are left alone', 'request', { code: 'abc' }, []],
  ])('%s', (_name, direction, body, expected) => {
    const found = new Set<string>();
    collectSecretValues(direction, body, found);
    expect([...found].sort()).toEqual([...expected].sort());
  });

  it('collects header credentials and the token inside Bearer', () => {
    const found = new Set<string>();
    collectHeaderSecrets({ Authorization: 'Bearer tok-abc', Accept: 'x' }, found);
    expect([...found].sort()).toEqual(['Bearer tok-abc', 'tok-abc']);
  });

  it.each<[string, string, string[], string]>([
    ['plain', 'error: bad code sekret-1 here', ['sekret-1'], `error: bad code ${R} here`],
    ['URL-encoded', 'redirect?x=a%2Fb%3D', ['a/b='], `redirect?x=${R}`],
    ['every occurrence', 'aaaa-aaaa', ['aaaa'], `${R}-${R}`],
  ])('scrub: %s', (_name, text, secrets, expected) => {
    expect(scrub(text, secrets)).toBe(expected);
  });
});

describe('redactAuditDetail (stored rows shown again)', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    [
      'an old row with an upper-case code in the request body',
      { attempt: 1, request: { method: 'POST', url: 'https://x/oauth/token', headers: { Authorization: 'Basic abc' }, body: { grant_type: 'authorization_code', code: UPPER_CODE } }, status: 400, response: { code: 'INVALID_REQUEST' } },
      { attempt: 1, request: { method: 'POST', url: 'https://x/oauth/token', headers: { Authorization: R }, body: { grant_type: 'authorization_code', code: R } }, status: 400, response: { code: 'INVALID_REQUEST' } },
    ],
    ['top-level secret keys', { error: 'boom', refresh_token: 'LEAK1', authorization: 'LEAK2' }, { error: 'boom', refresh_token: R, authorization: R }],
    ['response headers', { responseHeaders: { 'set-cookie': 'sid=1', 'x-correlationid': 'c-1' } }, { responseHeaders: { 'set-cookie': R, 'x-correlationid': 'c-1' } }],
    ['an old request URL with a code', { request: { url: `http://127.0.0.1:9/cb?code=${UPPER_CODE}` } }, { request: { url: `http://127.0.0.1:9/cb?code=${encodeURIComponent(R)}` } }],
  ])('%s', (_name, input, expected) => {
    expect(redactAuditDetail(input)).toEqual(expected);
  });
});

describe('the HTTP client writes no upper-case authorization code to the audit journal', () => {
  let t: TestHome;
  let url: string;
  let close: () => void;
  beforeAll(async () => {
    t = makeHome();
    const server = createServer((_req, res) => {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(`{"code":"INVALID_REQUEST","message":"code ${UPPER_CODE} is unknown"}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => {
    close();
    rmSync(t.home, { recursive: true, force: true });
  });

  it('token request with code in upper case', async () => {
    const ctx = t.open();
    try {
      const app: WebApp = { name: 'A', baseUrl: url, authorizationPath: '/oauth/authorize', tokenPath: '/oauth/token', redirectUrl: 'urn:ietf:wg:oauth:2.0:oob', accept: 'application/vnd.hmrc.1.0+json', contentType: 'application/json', kind: 'local', origin: new URL(url).origin };
      await hmrcRequest(ctx, {
        app,
        method: 'POST',
        path: '/oauth/token',
        form: { grant_type: 'authorization_code', code: UPPER_CODE, redirect_uri: 'urn:ietf:wg:oauth:2.0:oob' },
        idempotent: false,
        auditCategory: 'auth',
      });
      const text = JSON.stringify(listAudit(ctx.db, {}));
      expect(text).not.toContain(UPPER_CODE);
      expect(text).toContain('INVALID_REQUEST');
      expect(text).toContain('authorization_code');
    } finally {
      ctx.close();
    }
  });
});
