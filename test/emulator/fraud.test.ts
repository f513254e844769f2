import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateFraudHeaders } from '../../src/emulator/fraud-validator.js';
import type { RunningSandbox } from '../../src/emulator/server.js';
import { api, appToken, start, USER, userTokens } from './helpers.js';

/** A complete, valid DESKTOP_APP_DIRECT set (spec v3.3 examples). */
const desktop: Record<string, string> = {
  'Gov-Client-Connection-Method': 'DESKTOP_APP_DIRECT',
  'Gov-Client-Device-ID': 'beec798b-b366-47fa-b1f8-92cede14a1ce',
  'Gov-Client-User-IDs': 'os=domain%5Calice&my-application=alice123',
  'Gov-Client-Timezone': 'UTC+00:00',
  'Gov-Client-Local-IPs': 'fc00%3A%3A,10.1.2.3',
  'Gov-Client-Local-IPs-Timestamp': '2020-09-21T14:30:05.123Z',
  'Gov-Client-MAC-Addresses': 'ea%3A43%3A1a%3A5d%3A21%3A45',
  'Gov-Client-Multi-Factor': 'type=AUTH_CODE&timestamp=2021-11-21T13%3A23Z&unique-reference=fc4b5fd6816f75a7c81fc8eaa9499d6a299bd803397166e8c4cf9280b801d62c',
  'Gov-Client-Screens': 'width=1920&height=1080&scaling-factor=1&colour-depth=16',
  'Gov-Client-Window-Size': 'width=1256&height=803',
  'Gov-Client-User-Agent': 'os-family=Windows&os-version=Server%202012&device-manufacturer=Dell%20Inc.&device-model=OptiPlex%20980',
  'Gov-Vendor-License-IDs': 'my-licensed-software=8D7963490527D33716835EE7C195516D5E562E03B224E9B359836466EE40CDE1',
  'Gov-Vendor-Product-Name': 'mtdvat',
  'Gov-Vendor-Version': 'mtdvat=0.1.0',
};

const otherDirect = { ...desktop, 'Gov-Client-Connection-Method': 'OTHER_DIRECT' } as Record<string, string | undefined>;
delete otherDirect['Gov-Client-Screens'];
delete otherDirect['Gov-Client-Window-Size'];

const without = (h: Record<string, string | undefined>, name: string) => ({ ...h, [name]: undefined });

describe('validateFraudHeaders (pure)', () => {
  it('valid DESKTOP_APP_DIRECT and OTHER_DIRECT sets', () => {
    for (const h of [desktop, otherDirect]) {
      const r = validateFraudHeaders(h);
      expect(r.errors).toEqual([]);
      expect(r.warnings).toEqual([]);
      expect(r.code).toBe('VALID_HEADERS');
      expect(r.message).toMatch(/^All headers required for your connection method have been supplied/);
    }
  });

  it('no headers at all', () => {
    const r = validateFraudHeaders({ accept: 'x' });
    expect(r.code).toBe('INVALID_HEADERS');
    expect(r.message).toBe('No fraud prevention headers submitted. These are required by law. Check the specification.');
  });

  const invalid: [string, Record<string, string | undefined>, string, string][] = [
    ['missing vendor version', without(desktop, 'Gov-Vendor-Version'), 'MISSING_HEADER', 'gov-vendor-version'],
    ['DESKTOP needs screens', without(desktop, 'Gov-Client-Screens'), 'MISSING_HEADER', 'gov-client-screens'],
    ['bad timezone', { ...desktop, 'Gov-Client-Timezone': 'GMT' }, 'INVALID_HEADER', 'gov-client-timezone'],
    ['device id not a UUID', { ...desktop, 'Gov-Client-Device-ID': 'abc' }, 'INVALID_HEADER', 'gov-client-device-id'],
    ['timestamp without ms', { ...desktop, 'Gov-Client-Local-IPs-Timestamp': '2020-09-21T14:30:05Z' }, 'INVALID_HEADER', 'gov-client-local-ips-timestamp'],
    ['MAC not encoded', { ...desktop, 'Gov-Client-MAC-Addresses': 'ea:43:1a:5d:21:45' }, 'INVALID_HEADER', 'gov-client-mac-addresses'],
    ['screen without colour depth', { ...desktop, 'Gov-Client-Screens': 'width=1920&height=1080&scaling-factor=1' }, 'INVALID_HEADER', 'gov-client-screens'],
    ['user agent without os-family', { ...desktop, 'Gov-Client-User-Agent': 'os-version=10&device-manufacturer=Dell&device-model=X' }, 'INVALID_HEADER', 'gov-client-user-agent'],
    ['user ids without os', { ...desktop, 'Gov-Client-User-IDs': 'my-application=alice123' }, 'INVALID_HEADER', 'gov-client-user-ids'],
    ['placeholder value', { ...desktop, 'Gov-Vendor-Product-Name': 'undefined' }, 'INVALID_HEADER', 'gov-vendor-product-name'],
    ['empty required header', { ...desktop, 'Gov-Client-Timezone': '' }, 'EMPTY_HEADER', 'gov-client-timezone'],
    ['unknown method', { ...desktop, 'Gov-Client-Connection-Method': 'CLI' }, 'INVALID_HEADER', 'gov-client-connection-method'],
  ];
  it.each(invalid)('%s → INVALID_HEADERS', (_n, headers, code, header) => {
    const r = validateFraudHeaders(headers);
    expect(r.code).toBe('INVALID_HEADERS');
    expect(r.message).toBe('At least 1 header is invalid');
    expect(r.errors).toContainEqual(expect.objectContaining({ code, headers: [header] }));
  });

  it('warnings: unknown Gov-* header, empty multi-factor', () => {
    const r = validateFraudHeaders({ ...desktop, 'Gov-Client-Favourite-Colour': 'blue', 'Gov-Client-Multi-Factor': '' });
    expect(r.code).toBe('POTENTIALLY_INVALID_HEADERS');
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => [w.code, w.headers[0]])).toEqual([
      ['EMPTY_HEADER', 'gov-client-multi-factor'],
      ['UNEXPECTED_HEADER', 'gov-client-favourite-colour'],
    ]);
  });

  it('via-server cross check of Vendor-Forwarded', () => {
    const web: Record<string, string> = {
      'Gov-Client-Connection-Method': 'WEB_APP_VIA_SERVER',
      'Gov-Client-Device-ID': 'beec798b-b366-47fa-b1f8-92cede14a1ce',
      'Gov-Client-User-IDs': 'my-application=alice123',
      'Gov-Client-Timezone': 'UTC+01:00',
      'Gov-Client-Multi-Factor': 'type=TOTP&timestamp=2021-11-21T13%3A23Z&unique-reference=abc',
      'Gov-Client-Screens': 'width=1920&height=1080&scaling-factor=1&colour-depth=16',
      'Gov-Client-Window-Size': 'width=1256&height=803',
      'Gov-Client-Browser-JS-User-Agent': 'Mozilla/5.0 (X11; Linux x86_64)',
      'Gov-Client-Public-IP': '198.51.100.0',
      'Gov-Client-Public-IP-Timestamp': '2020-09-21T14:30:05.123Z',
      'Gov-Client-Public-Port': '12345',
      'Gov-Vendor-Public-IP': '203.0.113.6',
      'Gov-Vendor-Forwarded': 'by=203.0.113.6&for=198.51.100.0',
      'Gov-Vendor-License-IDs': 'app=abc',
      'Gov-Vendor-Product-Name': 'Product%20Name',
      'Gov-Vendor-Version': 'client=1.0&server=2.0',
    };
    expect(validateFraudHeaders(web).code).toBe('VALID_HEADERS');
    const r = validateFraudHeaders({ ...web, 'Gov-Vendor-Forwarded': 'by=203.0.113.7&for=198.51.100.0' });
    expect(r.errors).toContainEqual(expect.objectContaining({ code: 'INVALID_HEADERS' }));
    const w = validateFraudHeaders({ ...web, 'Gov-Vendor-Version': 'client=1.0' });
    expect(w.code).toBe('POTENTIALLY_INVALID_HEADERS');
  });
});

describe('Test Fraud Prevention Headers API', () => {
  let sb: RunningSandbox;
  beforeAll(async () => {
    sb = await start();
  });
  afterAll(async () => {
    await sb.close();
  });

  it('validate answers like HMRC (needs an application token)', async () => {
    const app = await appToken(sb);
    const res = await api(sb, '/test/fraud-prevention-headers/validate', app, { headers: desktop });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { specVersion: string; code: string };
    expect(body.specVersion).toBe('3.3');
    expect(body.code).toBe('VALID_HEADERS');
    const bad = await api(sb, '/test/fraud-prevention-headers/validate', app, { headers: { ...desktop, 'Gov-Client-Timezone': 'GMT' } });
    expect(((await bad.json()) as { code: string }).code).toBe('INVALID_HEADERS');
  });

  it('validation-feedback keeps the last VAT request per endpoint, per application', async () => {
    const user = await userTokens(sb);
    await api(sb, `/organisations/vat/${USER.vrn}/obligations?status=O`, user.access_token, { headers: { ...desktop, 'Gov-Client-Timezone': 'GMT' } });
    await api(sb, `/organisations/vat/${USER.vrn}/obligations?status=O`, user.access_token, { headers: desktop });
    await api(sb, `/organisations/vat/${USER.vrn}/returns/18A1`, user.access_token, { headers: { 'Gov-Test-Scenario': 'DEFAULT' } });
    const app = await appToken(sb);
    const res = await api(sb, '/test/fraud-prevention-headers/vat-mtd/validation-feedback', app);
    const body = (await res.json()) as { requests: { path: string; method: string; code: string; headers: { header: string; code: string }[] }[] };
    expect(body.requests).toHaveLength(2);
    const obligations = body.requests.find((r) => r.path.endsWith('/obligations'))!;
    expect(obligations.code).toBe('VALID_HEADERS');
    expect(obligations.method).toBe('GET');
    const view = body.requests.find((r) => r.path.endsWith('/returns/18A1'))!;
    expect(view.code).toBe('NO_HEADERS');
    const filtered = await api(sb, '/test/fraud-prevention-headers/vat-mtd/validation-feedback?connectionMethod=OTHER_DIRECT', app);
    expect(((await filtered.json()) as { requests: unknown[] }).requests).toHaveLength(0);
  });
});
