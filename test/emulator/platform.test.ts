import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../src/emulator/server.js';
import { ACCEPT, api, appToken, CLIENT, getCode, OOB, start, token, userTokens } from './helpers.js';

let sb: RunningSandbox;
beforeAll(async () => {
  sb = await start();
});
afterAll(async () => {
  await sb.close();
});

describe('platform layer', () => {
  it('Accept header missing → 406', async () => {
    const res = await fetch(`${sb.url}/hello/world`);
    expect(res.status).toBe(406);
    expect(await res.json()).toEqual({ code: 'ACCEPT_HEADER_INVALID', message: 'The accept header is missing or invalid' });
  });

  it('no token → 401 MISSING_CREDENTIALS with WWW-Authenticate; bad token → INVALID_CREDENTIALS', async () => {
    const none = await api(sb, '/hello/user', undefined);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="HMRC API Platform"');
    expect(await none.json()).toEqual({ code: 'MISSING_CREDENTIALS', message: 'Authentication information is not provided' });
    const bad = await api(sb, '/hello/user', 'not-a-token');
    expect(((await bad.json()) as { code: string }).code).toBe('INVALID_CREDENTIALS');
  });

  it('token without the scope → 403 INVALID_SCOPE', async () => {
    const t = await userTokens(sb, { scope: 'read:vat' });
    const res = await api(sb, `/organisations/vat/123456789/returns`, t.access_token, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      code: 'INVALID_SCOPE',
      message: 'Can not access the required resource. Ensure this token has all the required scopes.',
    });
  });

  it('application token on a VAT route → 401 INCORRECT_ACCESS_TOKEN_TYPE', async () => {
    const res = await api(sb, '/organisations/vat/123456789/obligations?status=O', await appToken(sb));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('INCORRECT_ACCESS_TOKEN_TYPE');
  });

  it('unknown route → 404 MATCHING_RESOURCE_NOT_FOUND', async () => {
    const res = await api(sb, '/organisations/vat/123456789/nothing', undefined);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      code: 'MATCHING_RESOURCE_NOT_FOUND',
      message: 'A resource with the name in the request can not be found in the API',
    });
  });

  it('every response carries an X-CorrelationId (JSON, HTML, redirects, errors)', async () => {
    const code = await getCode(sb);
    const responses = await Promise.all([
      fetch(`${sb.url}/hello/world`, { headers: { Accept: ACCEPT } }),
      fetch(`${sb.url}/hello/world`),
      fetch(`${sb.url}/nowhere`),
      fetch(`${sb.url}/oauth/authorize?client_id=${CLIENT.clientId}&response_type=code&scope=read:vat&redirect_uri=${OOB}`),
      fetch(`${sb.url}/oauth/authorize`),
      token(sb, { grant_type: 'authorization_code', code, redirect_uri: OOB }),
      token(sb, { grant_type: 'nope' }),
      fetch(`${sb.url}/oauth/start`, { method: 'POST', body: 'session=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
    ]);
    const ids = responses.map((r) => r.headers.get('x-correlationid'));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('status fault answers the next N requests to a path', async () => {
    sb.injectFault({ kind: 'status', path: '/hello/world', status: 503, body: { code: 'SERVER_ERROR', message: 'Service unavailable' }, times: 2 });
    const a = await api(sb, '/hello/world', undefined);
    const b = await api(sb, '/hello/world', undefined);
    const c = await api(sb, '/hello/world', undefined);
    expect([a.status, b.status, c.status]).toEqual([503, 503, 200]);
    expect(await a.json()).toEqual({ code: 'SERVER_ERROR', message: 'Service unavailable' });
  });
});

describe('rate limit', () => {
  it('4th call within a second from one application → 429 MESSAGE_THROTTLED_OUT', async () => {
    const limited = await start({ rateLimitPerSecond: 3 });
    try {
      const app = (await (await token(limited, { grant_type: 'client_credentials' })).json()) as { access_token: string };
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await api(limited, '/hello/application', app.access_token)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const res = await api(limited, '/hello/application', app.access_token);
      expect(await res.json()).toEqual({
        code: 'MESSAGE_THROTTLED_OUT',
        message: 'The request for the API is throttled as you have exceeded your quota.',
      });
    } finally {
      await limited.close();
    }
  });
});

describe('create test user', () => {
  it('organisation with mtd-vat: valid VRN, can sign in and use its VRN', async () => {
    const app = await appToken(sb);
    const res = await api(sb, '/create-test-user/organisations', app, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ serviceNames: ['mtd-vat'] }),
    });
    expect(res.status).toBe(201);
    const user = (await res.json()) as Record<string, any>;
    expect(user.userId).toMatch(/^\d{12}$/);
    expect(user.password).toMatch(/^[a-z0-9]{12}$/);
    expect(user.vrn).toMatch(/^\d{9}$/);
    expect(user.organisationDetails.name).toMatch(/^Company [A-Z0-9]{6}$/);
    expect(user.vatRegistrationDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(user.emailAddress).toMatch(/@example\.com$/);

    const t = await userTokens(sb, { userId: user.userId, password: user.password });
    const obligations = await api(sb, `/organisations/vat/${user.vrn}/obligations?status=O`, t.access_token);
    expect(obligations.status).toBe(200);
  });

  it('individual without VAT has no VRN; agent gets an ARN; services list; unknown service → 400', async () => {
    const app = await appToken(sb);
    const post = (path: string, body: unknown) =>
      api(sb, path, app, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const ind = (await (await post('/create-test-user/individuals', { serviceNames: ['national-insurance'] })).json()) as Record<string, unknown>;
    expect(ind.vrn).toBeUndefined();
    expect(ind.individualDetails).toBeDefined();
    const agent = (await (await post('/create-test-user/agents', { serviceNames: ['agent-services'] })).json()) as Record<string, unknown>;
    expect(agent.agentServicesAccountNumber).toMatch(/^XARN\d{7}$/);
    const services = (await (await api(sb, '/create-test-user/services', app)).json()) as { key: string }[];
    expect(services.map((s) => s.key)).toContain('mtd-vat');
    expect((await post('/create-test-user/organisations', { serviceNames: ['bogus'] })).status).toBe(400);
  });

  it('needs a token', async () => {
    const res = await api(sb, '/create-test-user/organisations', undefined, { method: 'POST' });
    expect(res.status).toBe(401);
  });
});

describe('control surface (test only)', () => {
  it('clock, fault, stats and revoke over HTTP', async () => {
    const before = sb.clock.now();
    const clock = await fetch(`${sb.url}/__control/clock`, { method: 'POST', body: JSON.stringify({ advanceMs: 1000 }) });
    expect(((await clock.json()) as { now: number }).now).toBeGreaterThanOrEqual(before + 1000);
    const fault = await fetch(`${sb.url}/__control/fault`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'token-error', status: 503, body: { error: 'server_error' } }),
    });
    expect(fault.status).toBe(200);
    expect((await token(sb, { grant_type: 'client_credentials' })).status).toBe(503);
    const stats = (await (await fetch(`${sb.url}/__control/stats`)).json()) as { tokenRequests: number; requests: number };
    expect(stats.tokenRequests).toBeGreaterThan(0);
    expect(stats.requests).toBeGreaterThan(0);
    const t = await userTokens(sb);
    await fetch(`${sb.url}/__control/revoke`, { method: 'POST', body: '{}' });
    expect((await api(sb, '/hello/user', t.access_token)).status).toBe(401);
    const bad = await fetch(`${sb.url}/__control/fault`, { method: 'POST', body: JSON.stringify({ kind: 'nope' }) });
    expect(bad.status).toBe(400);
  });
});
