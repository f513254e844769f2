/**
 * The VAT client in-process against the emulator: 429 back-off, a timed-out submit resolved by a
 * look-up, an earlier unknown outcome resolved before sending, and the Create Test User API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync, existsSync } from 'node:fs';
import { startSandbox, type RunningSandbox } from '../../src/emulator/server.js';
import { DEFAULT_TEST_USER } from '../../src/emulator/defaults.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { APP, BIN, makeHome, runCli, setupWebApp, type TestHome } from '../helpers/setup-web-app.js';
import { getObligations, submitReturn, AlreadyFiledError, type VatTarget } from '../../src/vat/vat.js';
import { claimForSending, getReceipt } from '../../src/store/vat-receipts.js';
import { createOrganisationTestUser } from '../../src/vat/sandbox-apis.js';
import { buildReturn } from '../../src/vat/nine-box.js';
import { listAudit } from '../../src/store/audit.js';
import type { Context } from '../../src/context.js';

const VRN = DEFAULT_TEST_USER.vrn;
let sb: RunningSandbox;
let t: TestHome;
let ctx: Context;
const lines: string[] = [];

function target(): VatTarget {
  return { ctx, appName: APP, vrn: VRN, consent: { yes: true, show: () => {}, ask: async () => false }, announce: (l) => lines.push(l) };
}

const ret = (periodKey: string) =>
  buildReturn({
    periodKey,
    vatDueSales: '10.00',
    vatDueAcquisitions: '0',
    totalVatDue: '10',
    vatReclaimedCurrPeriod: '2.5',
    netVatDue: '7.50',
    totalValueSalesExVAT: '50',
    totalValuePurchasesExVAT: '12',
    totalValueGoodsSuppliedExVAT: '0',
    totalAcquisitionsExVAT: '0',
    finalised: true,
  });

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error('build first');
  // 1 request per second at the emulator, so the client's 3/s pacing meets real 429s.
  sb = await startSandbox({ port: 0, clients: [DEFAULT_SANDBOX_CLIENT], testUsers: [DEFAULT_TEST_USER], rateLimitPerSecond: 1, testRoutes: true });
  t = makeHome();
  await setupWebApp(t, { baseUrl: sb.url, clientId: DEFAULT_SANDBOX_CLIENT.clientId, clientSecret: DEFAULT_SANDBOX_CLIENT.clientSecret });
  const get = await runCli(t, ['auth', 'get-authorization-code', '--app', APP, '--json', '--no-browser', '--yes']);
  const url = new URL((JSON.parse(get.stdout) as { authorizationUrl: string }).authorizationUrl);
  const form: Record<string, string> = { userId: DEFAULT_TEST_USER.userId, password: DEFAULT_TEST_USER.password };
  for (const k of ['client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method']) {
    const v = url.searchParams.get(k);
    if (v !== null) form[k] = v;
  }
  const res = await fetch(`${sb.url}/__test/authorize`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const { code } = (await res.json()) as { code: string };
  const obtain = await runCli(t, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin'], { stdin: code });
  expect(obtain.code, obtain.stderr).toBe(0);
  ctx = t.open();
}, 60_000);

afterAll(async () => {
  ctx?.close();
  await sb?.close();
  if (t) rmSync(t.home, { recursive: true, force: true });
});

describe('VAT client', () => {
  it('backs off on 429 MESSAGE_THROTTLED_OUT and still answers', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await getObligations(target(), { status: 'O' });
      expect(r.obligations.length).toBeGreaterThan(0);
    }
    const throttled = listAudit(ctx.db, { category: 'hmrc', limit: 100 }).filter((a) => a.detail.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^→ local emulator 127\.0\.0\.1:\d+ · company DAT · app "Sandbox HMRC" · VRN \d{9}: retrieve obligations$/);
  }, 30_000);

  it('a submit that times out is looked up and reported as filed', async () => {
    sb.injectFault({ kind: 'submit-timeout-after-store', delayMs: 3000 });
    const r = await submitReturn(target(), ret('21A1'), { confirm: async () => true, timeoutMs: 700 });
    expect(r.outcome).toBe('filed-after-error');
    expect(r.note).toMatch(/timed out.*HMRC did record the return/);
    expect(getReceipt(ctx.db, ctx.company, VRN, '21A1')?.status).toBe('filed');
    await expect(submitReturn(target(), ret('21A1'), { confirm: async () => true })).rejects.toBeInstanceOf(AlreadyFiledError);
  }, 30_000);

  it('an earlier unknown outcome is resolved with HMRC before sending (not there → send once)', async () => {
    claimForSending(ctx.db, { company: ctx.company, app: APP, vrn: VRN, periodKey: '21A2', bodySha256: 'x', at: new Date().toISOString() });
    let asked = 0;
    const r = await submitReturn(target(), ret('21A2'), { confirm: async () => (asked++, true) });
    expect(asked).toBe(1);
    expect(r.outcome).toBe('filed');
    expect(r.receipt.formBundleNumber).toMatch(/^\d{12}$/);
  }, 30_000);

  it('an earlier unknown outcome that HMRC holds is "already filed" without a second POST', async () => {
    // Put 21A3 at HMRC, then pretend our receipt row was left in "sending".
    await submitReturn(target(), ret('21A3'), { confirm: async () => true });
    ctx.db.prepare("UPDATE vat_receipts SET status = 'sending' WHERE period_key = '21A3'").run();
    const before = listAudit(ctx.db, { category: 'hmrc', limit: 1000 }).filter((a) => a.event.startsWith('POST /organisations')).length;
    await expect(submitReturn(target(), ret('21A3'), { confirm: async () => true })).rejects.toThrow(/already filed/);
    const after = listAudit(ctx.db, { category: 'hmrc', limit: 1000 }).filter((a) => a.event.startsWith('POST /organisations')).length;
    expect(after).toBe(before);
    expect(getReceipt(ctx.db, ctx.company, VRN, '21A3')?.status).toBe('filed');
  }, 30_000);

  it('creates an organisation test user with an application token', async () => {
    const u = await createOrganisationTestUser(ctx, APP);
    expect(u.userId).toMatch(/^\d{12}$/);
    expect(u.password).toBeTruthy();
    expect(u.vrn).toMatch(/^\d{9}$/);
    const rows = JSON.stringify(listAudit(ctx.db, { limit: 1000 }));
    expect(rows).not.toContain(u.password);
    expect(rows).not.toContain(DEFAULT_SANDBOX_CLIENT.clientSecret);
  }, 30_000);
});
