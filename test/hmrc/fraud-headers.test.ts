import { describe, expect, it, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  collectFraudValues,
  encodeFraudHeaders,
  ensureFraudConsent,
  hasFraudConsent,
  kv,
  list,
  pct,
  timezoneOf,
  DEVICE_ID_META,
  type FraudValues,
} from '../../src/hmrc/fraud-headers.js';
import { validateFraudHeaders } from '../../src/emulator/fraud-validator.js';
import { openContext } from '../../src/open-context.js';
import { getMeta } from '../../src/store/db.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function ctx() {
  const home = mkdtempSync(join(tmpdir(), 'mtdvat-'));
  dirs.push(home);
  return openContext({ home, env: { ...process.env, MTDVAT_FPH_CONNECTION_METHOD: '' } });
}

describe('encoding matches the spec examples (v3.3 §4.2/4.3)', () => {
  it.each([
    [kv({ os: 'domain\\alice', 'my-application': 'alice123' }), 'os=domain%5Calice&my-application=alice123'],
    [list(['fc00::', '10.1.2.3']), 'fc00%3A%3A,10.1.2.3'],
    [list(['ea:43:1a:5d:21:45']), 'ea%3A43%3A1a%3A5d%3A21%3A45'],
    [
      kv([
        ['os-family', 'Windows'],
        ['os-version', 'Server 2012'],
        ['device-manufacturer', 'Dell Inc.'],
        ['device-model', 'OptiPlex 980'],
      ]),
      'os-family=Windows&os-version=Server%202012&device-manufacturer=Dell%20Inc.&device-model=OptiPlex%20980',
    ],
    [kv([['width', 1920], ['height', 1080], ['scaling-factor', 1], ['colour-depth', 16]]), 'width=1920&height=1080&scaling-factor=1&colour-depth=16'],
    [pct('Product Name'), 'Product%20Name'],
    [pct('a/b (c) it\'s*!'), 'a%2Fb%20%28c%29%20it%27s%2A%21'],
    [kv({ 'k&=': 'v=&,' }), 'k%26%3D=v%3D%26%2C'],
    [timezoneOf(0), 'UTC+00:00'],
    [timezoneOf(-75), 'UTC-01:15'],
    [timezoneOf(330), 'UTC+05:30'],
  ])('%s', (got, want) => expect(got).toBe(want));
});

const sample: FraudValues = {
  connectionMethod: 'DESKTOP_APP_DIRECT',
  deviceId: 'beec798b-b366-47fa-b1f8-92cede14a1ce',
  userIds: { os: 'alice smith' },
  timezone: 'UTC+01:00',
  localIps: ['10.1.2.3', 'fe80::1'],
  localIpsTimestamp: '2020-09-21T14:30:05.123Z',
  macAddresses: ['ea:43:1a:5d:21:45'],
  multiFactor: [],
  screens: [{ width: 1920, height: 1080, scalingFactor: 1.25, colourDepth: 24 }, { width: 1280, height: 1024, scalingFactor: 1, colourDepth: 16 }],
  windowSize: { width: 1256, height: 803 },
  userAgent: { osFamily: 'Linux', osVersion: '6.1.0-13-amd64', deviceManufacturer: 'LENOVO', deviceModel: '20XW (ThinkPad X1)' },
  vendorVersion: { mtdvat: '0.1.0' },
  vendorProductName: 'mtdvat',
  vendorLicenseIds: { mtdvat: 'ab'.repeat(32) },
  sources: {},
};

describe('encodeFraudHeaders', () => {
  it('produces headers the emulator validator accepts (only the empty multi-factor warning)', () => {
    const h = encodeFraudHeaders(sample);
    expect(h['Gov-Client-Screens']).toBe('width=1920&height=1080&scaling-factor=1.25&colour-depth=24,width=1280&height=1024&scaling-factor=1&colour-depth=16');
    expect(h['Gov-Client-Local-IPs']).toBe('10.1.2.3,fe80%3A%3A1');
    expect(h['Gov-Client-User-Agent']).toContain('device-model=20XW%20%28ThinkPad%20X1%29');
    const r = validateFraudHeaders(h);
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.headers[0])).toEqual(['gov-client-multi-factor']);
  });
  it('OTHER_DIRECT leaves out screens and window size and still validates', () => {
    const h = encodeFraudHeaders({ ...sample, connectionMethod: 'OTHER_DIRECT' });
    expect(h['Gov-Client-Screens']).toBeUndefined();
    expect(validateFraudHeaders(h).errors).toEqual([]);
  });
});

describe('collectFraudValues', () => {
  it('collects real values, keeps the device ID stable and validates', () => {
    const c = ctx();
    try {
      const a = collectFraudValues(c);
      const b = collectFraudValues(c);
      expect(a.deviceId).toBe(b.deviceId);
      expect(getMeta(c.db, DEVICE_ID_META)).toBe(a.deviceId);
      expect(a.localIpsTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(a.timezone).toMatch(/^UTC[+-]\d\d:\d\d$/);
      const r = validateFraudHeaders(encodeFraudHeaders(a));
      expect(r.errors).toEqual([]);
    } finally {
      c.close();
    }
  });
  it('consent: --yes records it once; without a terminal and without --yes it refuses', async () => {
    const c = ctx();
    try {
      const shown: string[] = [];
      await expect(
        ensureFraudConsent(c, { show: (t) => shown.push(t), ask: async () => false }),
      ).rejects.toThrow(/required by law/);
      expect(hasFraudConsent(c)).toBe(false);
      await ensureFraudConsent(c, { yes: true, show: (t) => shown.push(t), ask: async () => false });
      expect(hasFraudConsent(c)).toBe(true);
      expect(shown.join('\n')).toContain('Gov-Client-Device-ID');
      shown.length = 0;
      await ensureFraudConsent(c, { show: (t) => shown.push(t), ask: async () => false });
      expect(shown).toEqual([]);
    } finally {
      c.close();
    }
  });
});
