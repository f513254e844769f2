/**
 * The HMRC HTTP client against real local servers: retries for idempotent calls (refused, timeout,
 * 5xx, 429 with Retry-After), none for non-idempotent POSTs, audit rows with secrets redacted, and
 * every HMRC error shape.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.js';
import { HmrcError } from '../../src/errors.js';
import { hmrcErrorFrom, hmrcRequest, retryAfterMs } from '../../src/hmrc/http.js';
import { listAudit } from '../../src/store/audit.js';
import type { WebApp } from '../../src/setup/web-app.js';
import { makeHome } from '../helpers/setup-web-app.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

async function serve(handler: Handler): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      hits++;
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

function appAt(url: string): WebApp {
  return { name: 'Test', baseUrl: url, authorizationPath: '/oauth/authorize', tokenPath: '/oauth/token', redirectUrl: 'urn:ietf:wg:oauth:2.0:oob', accept: 'application/vnd.hmrc.1.0+json', contentType: 'application/json', kind: 'local', origin: new URL(url).origin };
}

const fast = { baseDelayMs: 10, maxTotalDelayMs: 2_000 };
let ctx: Context;
let servers: { close: () => Promise<void> }[] = [];

beforeEach(() => {
  ctx = makeHome().open();
  servers = [];
});
afterEach(async () => {
  ctx.close();
  for (const s of servers) await s.close();
});

async function server(handler: Handler) {
  const s = await serve(handler);
  servers.push(s);
  return s;
}

describe('hmrcRequest retries', () => {
  it('retries an idempotent GET on 503 and then succeeds; sends Accept', async () => {
    let n = 0;
    const s = await server((req, res) => {
      expect(req.headers.accept).toBe('application/vnd.hmrc.1.0+json');
      n++;
      if (n < 3) res.writeHead(503, { 'Content-Type': 'application/json' }).end('{"code":"SERVER_ERROR","message":"Service unavailable"}');
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
    const hitsBeforeSend: number[] = [];
    const beforeSend = async () => {
      hitsBeforeSend.push(s.hits());
    };
    const r = await hmrcRequest(ctx, { app: appAt(s.url), method: 'GET', path: '/x', idempotent: true, auditCategory: 'hmrc', beforeSend, ...fast });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true });
    expect(r.attempts).toBe(3);
    expect(listAudit(ctx.db, { category: 'hmrc' })).toHaveLength(3);
    // The rate-limit hook runs before every attempt, retries included.
    expect(hitsBeforeSend).toEqual([0, 1, 2]);
  });

  it('honours Retry-After on 429', async () => {
    let n = 0;
    const times: number[] = [];
    const s = await server((_req, res) => {
      times.push(Date.now());
      if (n++ === 0) res.writeHead(429, { 'Retry-After': '1', 'Content-Type': 'application/json' }).end('{"code":"MESSAGE_THROTTLED_OUT","message":"throttled"}');
      else res.writeHead(200).end('{}');
    });
    const r = await hmrcRequest(ctx, { app: appAt(s.url), method: 'GET', path: '/x', idempotent: true, auditCategory: 'hmrc', ...fast });
    expect(r.status).toBe(200);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(900);
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(retryAfterMs('soon')).toBeUndefined();
  });

  it('gives up after the bounded attempts and returns the last answer', async () => {
    const s = await server((_req, res) => res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"code":"INTERNAL_SERVER_ERROR","message":"boom"}'));
    const r = await hmrcRequest(ctx, { app: appAt(s.url), method: 'GET', path: '/x', idempotent: true, auditCategory: 'hmrc', maxAttempts: 3, ...fast });
    expect(r.status).toBe(500);
    expect(s.hits()).toBe(3);
  });

  it('never retries a non-idempotent POST on 5xx, nor on a timeout', async () => {
    const s = await server((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.writeHead(200).end('{}'), 1500);
      else res.writeHead(500).end();
    });
    const r = await hmrcRequest(ctx, { app: appAt(s.url), method: 'POST', path: '/submit', json: { a: 1 }, idempotent: false, auditCategory: 'hmrc', ...fast });
    expect(r.status).toBe(500);
    expect(s.hits()).toBe(1);
    await expect(
      hmrcRequest(ctx, { app: appAt(s.url), method: 'POST', path: '/slow', json: {}, idempotent: false, retryUnsent: true, timeoutMs: 200, auditCategory: 'hmrc', ...fast }),
    ).rejects.toThrow(/timed out/);
    expect(s.hits()).toBe(2);
  });

  it('retries a timed-out idempotent GET', async () => {
    let n = 0;
    const s = await server((_req, res) => {
      if (n++ === 0) setTimeout(() => res.writeHead(200).end('{"late":true}'), 1000);
      else res.writeHead(200).end('{"late":false}');
    });
    const r = await hmrcRequest(ctx, { app: appAt(s.url), method: 'GET', path: '/x', idempotent: true, timeoutMs: 300, auditCategory: 'hmrc', ...fast });
    expect(r.json).toEqual({ late: false });
  });

  it('connection refused: bounded retries then a clear HmrcError', async () => {
    const s = await serve((_q, res) => res.end());
    const url = s.url;
    await s.close();
    const err = await hmrcRequest(ctx, { app: appAt(url), method: 'GET', path: '/x', idempotent: true, auditCategory: 'hmrc', maxAttempts: 3, ...fast }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HmrcError);
    expect((err as HmrcError).message).toMatch(/could not reach HMRC at 127\.0\.0\.1:\d+ \(connection refused\) after 3 attempts/);
    expect((err as HmrcError).code).toBe('CONNECTION_REFUSED');
    expect(listAudit(ctx.db, { category: 'hmrc' })).toHaveLength(3);
  });
});

describe('audit redaction', () => {
  it('keeps tokens, secrets, codes and verifiers out of audit rows, but keeps HMRC error codes', async () => {
    const s = await server((_req, res) =>
      res
        .writeHead(400, { 'Content-Type': 'application/json', 'Set-Cookie': 'sid=cookie-secret-value' })
        .end('{"access_token":"acc-token-123456","refresh_token":"ref-token-123456","code":"INVALID_REQUEST","message":"bad"}'),
    );
    await hmrcRequest(ctx, {
      app: appAt(s.url),
      method: 'POST',
      path: '/oauth/token',
      form: { grant_type: 'authorization_code', code: 'auth-code-abcdef', client_id: 'client-id-xyz123', client_secret: 'client-secret-xyz', code_verifier: 'verifier-abcdefgh', redirect_uri: 'urn:ietf:wg:oauth:2.0:oob' },
      headers: { Authorization: 'Bearer bearer-token-999' },
      idempotent: false,
      auditCategory: 'auth',
    });
    const text = JSON.stringify(listAudit(ctx.db, {}));
    for (const secret of ['acc-token-123456', 'ref-token-123456', 'auth-code-abcdef', 'client-id-xyz123', 'client-secret-xyz', 'verifier-abcdefgh', 'bearer-token-999', 'cookie-secret-value']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('INVALID_REQUEST');
    expect(text).toContain('authorization_code');
    expect(text).toContain('[redacted]');
  });
});

describe('hmrcErrorFrom', () => {
  const cases: { name: string; status: number; body: string; code?: string; message: RegExp }[] = [
    { name: '{code,message}', status: 403, body: '{"code":"INVALID_SCOPE","message":"Can not access the required resource."}', code: 'INVALID_SCOPE', message: /HTTP 403 INVALID_SCOPE\): Can not access/ },
    {
      name: '{code,message,errors[]}',
      status: 400,
      body: '{"code":"INVALID_REQUEST","message":"Invalid request","errors":[{"code":"INVALID_MONETARY_AMOUNT","message":"amount invalid","path":"/totalVatDue"}]}',
      code: 'INVALID_REQUEST',
      message: /INVALID_REQUEST\): Invalid request; INVALID_MONETARY_AMOUNT: amount invalid \(\/totalVatDue\)/,
    },
    { name: '{statusCode,message}', status: 400, body: '{"statusCode":400,"message":"DATE_RANGE_TOO_LARGE"}', code: 'DATE_RANGE_TOO_LARGE', message: /HTTP 400 DATE_RANGE_TOO_LARGE\)$/ },
    { name: '{error,error_description}', status: 401, body: '{"error":"invalid_client","error_description":"invalid client id or secret"}', code: 'invalid_client', message: /invalid_client\): invalid client id or secret/ },
    { name: 'empty body', status: 404, body: '', code: undefined, message: /HTTP 404\): Not Found/ },
    { name: 'HTML body', status: 502, body: '<html>bad gateway</html>', code: undefined, message: /HTTP 502\): Bad Gateway/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      let json: unknown;
      try {
        json = c.body ? JSON.parse(c.body) : undefined;
      } catch {
        json = undefined;
      }
      const e = hmrcErrorFrom({ status: c.status, json, bodyText: c.body });
      expect(e).toBeInstanceOf(HmrcError);
      expect(e.status).toBe(c.status);
      expect(e.code).toBe(c.code);
      expect(e.message).toMatch(c.message);
    });
  }
});
