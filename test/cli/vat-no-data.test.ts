/**
 * The BUILT binary against the emulator: `auth obtain-access-token --code` works; HMRC's 404 NOT_FOUND
 * for an empty date range is a result (exit 0, empty list); the emulator's liabilities come from the
 * returns filed on it (outstanding until the configured payments settle them); a `--to` after the UK
 * date is refused before anything is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, type RunningSandbox } from '../../src/emulator/server.js';
import { DEFAULT_TEST_USER } from '../../src/emulator/defaults.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { ukToday } from '../../src/lib/dates.js';
import { APP, BIN, makeHome, runCli, setupWebApp, type TestHome } from '../helpers/setup-web-app.js';

const VRN = DEFAULT_TEST_USER.vrn;
const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const TODAY = ukToday();
/** HMRC's longest range for liabilities and payments: one year less a day. */
const YEAR_AGO = isoDay(Date.parse(TODAY) - 364 * DAY);
const PAID_ON = isoDay(Date.parse(TODAY) - 1 * DAY);
let sb: RunningSandbox;
let t: TestHome;
const target = () => ['--app', APP, '--vrn', VRN, '--yes'];

async function codeFromEmulator(home: TestHome): Promise<string> {
  const get = await runCli(home, ['auth', 'get-authorization-code', '--app', APP, '--json', '--no-browser', '--yes']);
  expect(get.code, get.stderr).toBe(0);
  const url = new URL((JSON.parse(get.stdout) as { authorizationUrl: string }).authorizationUrl);
  const form: Record<string, string> = { userId: DEFAULT_TEST_USER.userId, password: DEFAULT_TEST_USER.password };
  for (const k of ['client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method']) {
    const v = url.searchParams.get(k);
    if (v !== null) form[k] = v;
  }
  const res = await fetch(`${sb.url}/__test/authorize`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return ((await res.json()) as { code: string }).code;
}

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error('build first: npm run build');
  sb = await startSandbox({
    port: 0,
    clients: [DEFAULT_SANDBOX_CLIENT],
    testUsers: [DEFAULT_TEST_USER],
    rateLimitPerSecond: 10_000,
    testRoutes: true,
    payments: [{ vrn: VRN, amount: 100.25, received: PAID_ON }],
  });
  t = makeHome();
  await setupWebApp(t, { baseUrl: sb.url, clientId: DEFAULT_SANDBOX_CLIENT.clientId, clientSecret: DEFAULT_SANDBOX_CLIENT.clientSecret });
}, 60_000);

afterAll(async () => {
  await sb?.close();
  if (t) rmSync(t.home, { recursive: true, force: true });
});

describe('vat results with no data, derived liabilities, dates after today', () => {
  it('auth obtain-access-token --code CODE exchanges the code (the flag is no longer always "in conflict")', async () => {
    const code = await codeFromEmulator(t);
    const r = await runCli(t, ['auth', 'obtain-access-token', '--app', APP, '--code', code, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('mutually exclusive');
    const doc = JSON.parse(r.stdout) as { app: string; expiresAt: string; accessTokenExpiresAt: string };
    expect(doc.app).toBe(APP);
    expect(doc.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(doc.accessTokenExpiresAt).toBe(doc.expiresAt); // the canonical name (auth status) beside the old one
    // Both ways at once is still refused.
    const both = await runCli(t, ['auth', 'obtain-access-token', '--app', APP, '--code', 'x', '--code-stdin', '--json'], { stdin: 'y\n' });
    expect(both.code).toBe(2);
    expect(JSON.parse(both.stdout).error.type).toBe('UsageError');
  });

  it('no liabilities, payments or obligations in a range: a result, exit 0, the usual shape with an empty list', async () => {
    const liab = await runCli(t, ['vat', 'liabilities', ...target(), '--from', '2017-01-01', '--to', '2017-12-31']);
    expect(liab.code, liab.stderr).toBe(0);
    expect(liab.stdout.trim()).toBe('No liabilities between 2017-01-01 and 2017-12-31.');
    const liabJson = await runCli(t, ['vat', 'liabilities', ...target(), '--from', '2017-01-01', '--to', '2017-12-31', '--json']);
    expect(liabJson.code, liabJson.stderr).toBe(0);
    expect(JSON.parse(liabJson.stdout)).toEqual({ liabilities: [] });

    const payJson = await runCli(t, ['vat', 'payments', ...target(), '--from', '2017-01-01', '--to', '2017-12-31', '--json']);
    expect(payJson.code, payJson.stderr).toBe(0);
    expect(JSON.parse(payJson.stdout)).toEqual({ payments: [] });
    const pay = await runCli(t, ['vat', 'payments', ...target(), '--from', '2017-01-01', '--to', '2017-12-31']);
    expect(pay.stdout.trim()).toBe('No payments between 2017-01-01 and 2017-12-31.');

    const oblJson = await runCli(t, ['vat', 'obligations', ...target(), '--from', '2017-01-01', '--to', '2017-12-31', '--json']);
    expect(oblJson.code, oblJson.stderr).toBe(0);
    expect(JSON.parse(oblJson.stdout)).toEqual({ obligations: [] });
    const obl = await runCli(t, ['vat', 'obligations', ...target(), '--from', '2017-01-01', '--to', '2017-12-31']);
    expect(obl.code).toBe(0);
    expect(obl.stdout.trim()).toBe('No obligations between 2017-01-01 and 2017-12-31.');
    // The request did go to HMRC and came back 404 NOT_FOUND: the log shows it.
    const log = JSON.parse((await runCli(t, ['vat', 'log', '--json', '--limit', '20'])).stdout) as { event: string; detail: { status?: number } }[];
    expect(log.some((r) => r.event === 'GET /organisations/vat/{vrn}/liabilities' && r.detail.status === 404)).toBe(true);
  });

  it('other 404s stay failures (a return HMRC does not hold)', async () => {
    const r = await runCli(t, ['vat', 'return', ...target(), '--period-key', '17A1', '--json']);
    expect(r.code).toBe(1);
    const error = JSON.parse(r.stdout).error as { type: string; http: { status: number } };
    expect(error.type).toBe('HmrcError');
    expect(error.http.status).toBe(404);
  });

  it('the emulator derives a liability from each return filed with VAT due, outstanding until paid', async () => {
    const open = JSON.parse((await runCli(t, ['vat', 'obligations', ...target(), '--status', 'O', '--json'])).stdout).obligations as { periodKey: string; start: string; end: string; due: string }[];
    const period = open[1];
    const file = join(t.home, 'RETURN.json');
    writeFileSync(
      file,
      `{"periodKey":"${period.periodKey}","vatDueSales":1050.50,"vatDueAcquisitions":0.00,"totalVatDue":1050.50,"vatReclaimedCurrPeriod":200.25,"netVatDue":850.25,` +
        `"totalValueSalesExVAT":5253,"totalValuePurchasesExVAT":1001,"totalValueGoodsSuppliedExVAT":0,"totalAcquisitionsExVAT":0,"finalised":true}`,
    );
    const sub = await runCli(t, ['vat', 'submit', ...target(), '--period-key', period.periodKey, '--file', file]);
    expect(sub.code, sub.stderr).toBe(0);
    // A repayment return (box 4 above box 3) owes nothing: no liability from it.
    const refund = join(t.home, 'REFUND.json');
    writeFileSync(
      refund,
      `{"periodKey":"${open[2].periodKey}","vatDueSales":10.00,"vatDueAcquisitions":0.00,"totalVatDue":10.00,"vatReclaimedCurrPeriod":50.00,"netVatDue":40.00,` +
        `"totalValueSalesExVAT":50,"totalValuePurchasesExVAT":250,"totalValueGoodsSuppliedExVAT":0,"totalAcquisitionsExVAT":0,"finalised":true}`,
    );
    const sub2 = await runCli(t, ['vat', 'submit', ...target(), '--period-key', open[2].periodKey, '--file', refund]);
    expect(sub2.code, sub2.stderr).toBe(0);

    const r = await runCli(t, ['vat', 'liabilities', ...target(), '--from', YEAR_AGO, '--to', TODAY, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      liabilities: [
        {
          taxPeriod: { from: period.start, to: period.end },
          type: 'VAT Return Debit Charge',
          originalAmount: 850.25,
          outstandingAmount: 750, // 850.25 less the configured payment of 100.25
          due: period.due,
        },
      ],
    });
    const human = await runCli(t, ['vat', 'liabilities', ...target(), '--from', YEAR_AGO, '--to', TODAY]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('850.25');
    const pay = await runCli(t, ['vat', 'payments', ...target(), '--from', YEAR_AGO, '--to', TODAY, '--json']);
    expect(JSON.parse(pay.stdout)).toEqual({ payments: [{ amount: 100.25, received: PAID_ON }] });
  });

  it('a --to after today (UK date) is refused before anything is sent: exit 2', async () => {
    const tomorrow = isoDay(Date.parse(TODAY) + DAY);
    const before = sb.stats().requests;
    for (const list of ['liabilities', 'payments']) {
      const r = await runCli(t, ['vat', list, ...target(), '--from', YEAR_AGO, '--to', tomorrow, '--json']);
      expect(r.code).toBe(2);
      const error = JSON.parse(r.stdout).error as { type: string; message: string };
      expect(error.type).toBe('UsageError');
      expect(error.message).toContain(`--to ${tomorrow} is after today (${TODAY}, UK time)`);
    }
    expect(sb.stats().requests).toBe(before);
    // Today itself is fine.
    const ok = await runCli(t, ['vat', 'payments', ...target(), '--from', YEAR_AGO, '--to', TODAY]);
    expect(ok.code, ok.stderr).toBe(0);
  });
});
