/**
 * VAT commands end to end: the BUILT binary against the emulator on a free port.
 * obligations → submit from an .xlsx → view → VAT 100 Excel; safe submit after an injected 500;
 * "already filed" (locally and from HMRC's DUPLICATE_SUBMISSION); every HMRC error shape;
 * fraud headers through `mtdvat fph validate`; setup guards; the request log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { startSandbox, type RunningSandbox } from '../../src/emulator/server.js';
import { DEFAULT_TEST_USER } from '../../src/emulator/defaults.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { APP, BIN, makeHome, runCli, setupWebApp, type TestHome } from '../helpers/setup-web-app.js';

const VRN = DEFAULT_TEST_USER.vrn;
let sb: RunningSandbox;
let t: TestHome;
let open: string[] = [];

async function authorize(home: TestHome): Promise<void> {
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
  const { code } = (await res.json()) as { code: string };
  expect(code).toBeTruthy();
  const obtain = await runCli(home, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin'], { stdin: `${code}\n` });
  expect(obtain.code, obtain.stderr).toBe(0);
}

const target = () => ['--app', APP, '--vrn', VRN];

/** A valid return for a period: box 3 = 1 + 2, box 5 = |3 − 4|. */
function returnFields(periodKey: string): [string, string | number | boolean][] {
  return [
    ['periodKey', periodKey],
    ['vatDueSales', 1050.5], // number cell
    ['vatDueAcquisitions', '0.00'], // text cell keeps its scale
    ['totalVatDue', '1,050.50'], // text with thousands separator
    ['vatReclaimedCurrPeriod', 200.25],
    ['netVatDue', 850.25],
    ['totalValueSalesExVAT', 5253],
    ['totalValuePurchasesExVAT', '1001'],
    ['totalValueGoodsSuppliedExVAT', 0],
    ['totalAcquisitionsExVAT', 0],
    ['finalised', true],
  ];
}

async function writeXlsx(path: string, rows: [string, string | number | boolean][]): Promise<void> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('VAT return');
  ws.addRow(['Field', 'Value', 'Note']);
  for (const [k, v] of rows) ws.addRow([k, v, 'from the ledger']);
  await wb.xlsx.writeFile(path);
}

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error('build first: npx tsc -p tsconfig.json');
  sb = await startSandbox({ port: 0, clients: [DEFAULT_SANDBOX_CLIENT], testUsers: [DEFAULT_TEST_USER], rateLimitPerSecond: 10_000, testRoutes: true });
  t = makeHome();
  await setupWebApp(t, { baseUrl: sb.url, clientId: DEFAULT_SANDBOX_CLIENT.clientId, clientSecret: DEFAULT_SANDBOX_CLIENT.clientSecret });
  await authorize(t);
}, 60_000);

afterAll(async () => {
  await sb?.close();
  if (t) rmSync(t.home, { recursive: true, force: true });
});

describe('vat commands against the emulator', () => {
  it('asks for fraud-header consent first; without a terminal it needs --yes', async () => {
    const r = await runCli(t, ['vat', 'obligations', ...target(), '--status', 'O']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Gov-Client-Device-ID');
    expect(r.stderr).toMatch(/--yes/);
  });

  it('obligations: table and --json, with the target shown on stderr', async () => {
    const json = await runCli(t, ['vat', 'obligations', ...target(), '--status', 'O', '--yes', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const data = JSON.parse(json.stdout) as { obligations: { periodKey: string; status: string }[] };
    open = data.obligations.filter((o) => o.status === 'O').map((o) => o.periodKey);
    expect(open.length).toBeGreaterThanOrEqual(4);
    expect(json.stderr).toContain(`local emulator 127.0.0.1:${sb.port} · company DAT · app "${APP}" · VRN ${VRN}`);
    const human = await runCli(t, ['vat', 'obligations', ...target(), '--status', 'O']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('Period key');
    expect(human.stdout).toContain(open[0]);
  });

  it('submit from .xlsx → view → VAT 100 Excel with the right figures; a second submit says already filed', async () => {
    const pk = open[0];
    const xlsx = join(t.home, 'RETURN.xlsx');
    await writeXlsx(xlsx, returnFields(pk));
    const noYes = await runCli(t, ['vat', 'submit', ...target(), '--period-key', pk, '--file', xlsx]);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('When you submit this VAT information you are making a legal declaration');

    const sub = await runCli(t, ['vat', 'submit', ...target(), '--period-key', pk, '--file', xlsx, '--yes', '--json']);
    expect(sub.code, sub.stderr).toBe(0);
    const receipt = JSON.parse(sub.stdout) as { outcome: string; formBundleNumber: string; processingDate: string; receipt: { status: string; receiptId: string; correlationId: string } };
    expect(receipt.outcome).toBe('filed');
    expect(receipt.formBundleNumber).toMatch(/^\d{12}$/);
    expect(receipt.receipt.status).toBe('filed');
    expect(receipt.receipt.receiptId).toBeTruthy();
    expect(receipt.receipt.correlationId).toBeTruthy();
    expect(sub.stderr).toContain('A false declaration can result in prosecution.');

    const view = await runCli(t, ['vat', 'return', ...target(), '--period-key', pk, '--json']);
    expect(view.code, view.stderr).toBe(0);
    expect(JSON.parse(view.stdout)).toEqual({
      periodKey: pk,
      vatDueSales: 1050.5,
      vatDueAcquisitions: 0,
      totalVatDue: 1050.5,
      vatReclaimedCurrPeriod: 200.25,
      netVatDue: 850.25,
      totalValueSalesExVAT: 5253,
      totalValuePurchasesExVAT: 1001,
      totalValueGoodsSuppliedExVAT: 0,
      totalAcquisitionsExVAT: 0,
    });
    const viewHuman = await runCli(t, ['vat', 'return', ...target(), '--period-key', pk]);
    expect(viewHuman.stdout).toContain('1,050.50');

    const out = join(t.home, 'VAT100.xlsx');
    const rep = await runCli(t, ['vat100', '--file', xlsx, '--output', out, '--vrn', VRN, '--period-start', '2025-01-01', '--period-end', '2025-03-31']);
    expect(rep.code, rep.stderr).toBe(0);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    const ws = wb.getWorksheet('VAT 100')!;
    const boxes = new Map<number, { desc: string; amount: number; fmt: string }>();
    ws.eachRow((row) => {
      const box = row.getCell(1).value;
      if (typeof box === 'number') boxes.set(box, { desc: String(row.getCell(2).value), amount: row.getCell(3).value as number, fmt: row.getCell(3).numFmt });
    });
    expect([...boxes.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(boxes.get(1)).toEqual({ desc: 'VAT due in the period on sales and other outputs', amount: 1050.5, fmt: '#,##0.00' });
    expect(boxes.get(5)!.amount).toBe(850.25);
    expect(boxes.get(6)!.amount).toBe(5253);
    const all: string[] = [];
    ws.eachRow((row) => all.push(row.values!.toString()));
    expect(all.join('\n')).toContain(VRN);
    expect(all.join('\n')).toContain(receipt.formBundleNumber);

    const json100 = join(t.home, 'VAT100.json');
    const repJ = await runCli(t, ['vat100', '--file', xlsx, '--output', json100]);
    expect(repJ.code, repJ.stderr).toBe(0);

    const again = await runCli(t, ['vat', 'submit', ...target(), '--period-key', pk, '--file', xlsx, '--yes']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already filed');
    expect(again.stderr).toContain(receipt.formBundleNumber);
  });

  it('an injected 500 on submit ends with exactly one stored return and a clear "filed" answer', async () => {
    const pk = open[1];
    const file = join(t.home, `R-${pk}.xlsx`);
    await writeXlsx(file, returnFields(pk));
    sb.injectFault({ kind: 'submit-500-after-store' });
    const sub = await runCli(t, ['vat', 'submit', ...target(), '--period-key', pk, '--file', file, '--yes']);
    expect(sub.code, sub.stderr).toBe(0);
    expect(sub.stdout).toMatch(/^Filed: .*HTTP 500.*HMRC did record the return/m);
    expect(sub.stderr).toContain('Checking with HMRC whether the return was recorded');
    // Exactly one POST for this period reached HMRC (no blind retry), then the look-up.
    const log = await runCli(t, ['vat', 'log', '--json', '--limit', '500']);
    const rows = JSON.parse(log.stdout) as { event: string; detail: { request?: { body?: { periodKey?: string } }; status?: number } }[];
    const posts = rows.filter((r) => r.event === 'POST /organisations/vat/{vrn}/returns' && r.detail.request?.body?.periodKey === pk);
    expect(posts.length).toBe(1);
    expect(posts[0].detail.status).toBe(500);
    const view = await runCli(t, ['vat', 'return', ...target(), '--period-key', pk, '--json']);
    expect(view.code).toBe(0);
    const again = await runCli(t, ['vat', 'submit', ...target(), '--period-key', pk, '--file', file, '--yes']);
    expect(again.stderr).toContain('already filed');
  });

  it('DUPLICATE_SUBMISSION from HMRC (no local receipt) is reported as already filed', async () => {
    const pk = open[0];
    const ctx = t.open();
    ctx.db.prepare('DELETE FROM vat_receipts WHERE period_key = ?').run(pk);
    ctx.close();
    const xlsx = join(t.home, 'RETURN.xlsx');
    const r = await runCli(t, ['vat', 'submit', ...target(), '--period-key', pk, '--file', xlsx, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already filed.*DUPLICATE_SUBMISSION/);
  });

  it('an invalid return never leaves the machine; the message names the box and the rule', async () => {
    const pk = open[2];
    const file = join(t.home, 'bad.xlsx');
    const rows = returnFields(pk).map(([k, v]) => [k, k === 'vatDueSales' ? '1050.500' : k === 'totalValueSalesExVAT' ? 5253.5 : v] as [string, string | number | boolean]);
    await writeXlsx(file, rows);
    const r = await runCli(t, ['vat', 'submit', ...target(), '--period-key', pk, '--file', file, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('box 1 (vatDueSales) must have at most 2 decimal places');
    expect(r.stderr).toContain('box 6 (totalValueSalesExVAT) must be whole pounds');
    const json = join(t.home, 'bad.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(json, `{"periodKey":"${pk}","vatDueSales":100.00,"vatDueAcquisitions":0,"totalVatDue":99.99,"vatReclaimedCurrPeriod":0,"netVatDue":99.99,"totalValueSalesExVAT":0,"totalValuePurchasesExVAT":0,"totalValueGoodsSuppliedExVAT":0,"totalAcquisitionsExVAT":0,"finalised":true}`);
    const r2 = await runCli(t, ['vat', 'submit', ...target(), '--period-key', pk, '--file', json, '--yes']);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('box 3 (totalVatDue) must equal box 1 + box 2 = 100.00, found 99.99');
  });

  it('every HMRC error shape becomes one readable message with the code', async () => {
    // {statusCode,message} (legacy obligations body)
    const legacy = await runCli(t, ['vat', 'obligations', ...target(), '--from', '2025-06-01', '--to', '2025-01-01']);
    expect(legacy.code).toBe(1);
    expect(legacy.stderr).toMatch(/HMRC refused the obligations request \(HTTP 400 INVALID_DATE_RANGE\)/);
    // {code,message}; a 404 with another code than NOT_FOUND ("no data") stays a failure
    sb.injectFault({ kind: 'status', path: `/organisations/vat/${VRN}/liabilities`, status: 404, body: { code: 'MATCHING_RESOURCE_NOT_FOUND', message: 'Matching resource not found' } });
    const liab = await runCli(t, ['vat', 'liabilities', ...target(), '--from', '2024-01-01', '--to', '2024-06-01']);
    expect(liab.code).toBe(1);
    expect(liab.stderr).toMatch(/HTTP 404 MATCHING_RESOURCE_NOT_FOUND\): Matching resource not found/);
    // {code,message,errors[]}
    sb.injectFault({
      kind: 'status',
      path: `/organisations/vat/${VRN}/payments`,
      status: 403,
      body: { code: 'BUSINESS_ERROR', message: 'Business validation error', errors: [{ code: 'RULE_INSOLVENT_TRADER', message: 'The remote endpoint has indicated that the Trader is insolvent' }] },
    });
    const pay = await runCli(t, ['vat', 'payments', ...target(), '--from', '2024-01-01', '--to', '2024-06-01']);
    expect(pay.code).toBe(1);
    expect(pay.stderr).toContain('(HTTP 403 BUSINESS_ERROR): Business validation error; RULE_INSOLVENT_TRADER: The remote endpoint has indicated that the Trader is insolvent');
    // empty 404 on view return
    const none = await runCli(t, ['vat', 'return', ...target(), '--period-key', open[3]]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`HMRC has no return for VRN ${VRN} and period ${open[3]} (HTTP 404)`);
    // scenario answers
    const scen = await runCli(t, ['vat', 'obligations', ...target(), '--status', 'O', '--scenario', 'INSOLVENT_TRADER']);
    expect(scen.stderr).toContain('HTTP 403 RULE_INSOLVENT_TRADER');
    const badScen = await runCli(t, ['vat', 'obligations', ...target(), '--status', 'O', '--scenario', 'NO_SUCH_THING']);
    expect(badScen.stderr).toContain('RULE_INCORRECT_GOV_TEST_SCENARIO');
    const scenJson = await runCli(t, ['vat', 'obligations', ...target(), '--status', 'O', '--scenario', 'QUARTERLY_ONE_MET', '--json']);
    expect(scenJson.code, scenJson.stderr).toBe(0);
    expect(JSON.parse(scenJson.stdout).obligations.map((o: { periodKey: string }) => o.periodKey)).toEqual(['18A2', '18A3', '18A4']);
  });

  it('a token stays with its first VRN unless --allow-other-vrn; HMRC then answers for the other VRN', async () => {
    const other = '123456782';
    const r = await runCli(t, ['vat', 'obligations', '--app', APP, '--vrn', other, '--status', 'O']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`was first used with VRN ${VRN}`);
    const forced = await runCli(t, ['vat', 'obligations', '--app', APP, '--vrn', other, '--status', 'O', '--allow-other-vrn']);
    expect(forced.code).toBe(1);
    expect(forced.stderr).toContain('HTTP 403 CLIENT_OR_AGENT_NOT_AUTHORISED');
    const bad = await runCli(t, ['vat', 'obligations', '--app', APP, '--vrn', '12345', '--status', 'O']);
    expect(bad.code).toBe(2);
  });

  it('refuses sandbox-only features against production and mixed-up setups', async () => {
    await setupWebApp(t, { name: 'Dynamics 365 Finance', baseUrl: 'https://api.service.hmrc.gov.uk', clientId: 'x-client', clientSecret: 'x-secret-value' });
    const scen = await runCli(t, ['vat', 'obligations', '--app', 'Dynamics 365 Finance', '--vrn', VRN, '--status', 'O', '--scenario', 'QUARTERLY_ONE_MET']);
    expect(scen.code).toBe(2);
    expect(scen.stderr).toContain('--scenario (Gov-Test-Scenario) is for the sandbox only');
    const fph = await runCli(t, ['fph', 'validate', '--app', 'Dynamics 365 Finance']);
    expect(fph.code).toBe(2);
    await setupWebApp(t, { name: 'Sandbox copy', baseUrl: 'https://api.service.hmrc.gov.uk', clientId: 'x-client', clientSecret: 'x-secret-value' });
    const mixed = await runCli(t, ['vat', 'obligations', '--app', 'Sandbox copy', '--vrn', VRN, '--status', 'O']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('is named as a sandbox but its base URL https://api.service.hmrc.gov.uk is HMRC production');
  });

  it('fph validate: the emulator validator finds no errors in what mtdvat sends', async () => {
    const r = await runCli(t, ['fph', 'validate', '--app', APP, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { code: string; errors: unknown[]; warnings: { headers: string[] }[] };
    expect(result.errors).toEqual([]);
    expect(['VALID_HEADERS', 'POTENTIALLY_INVALID_HEADERS']).toContain(result.code);
    expect(result.warnings.flatMap((w) => w.headers)).toEqual(['gov-client-multi-factor']);
    const feedback = await fetch(`${sb.url}/__control/stats`);
    expect(feedback.ok).toBe(true);
  });

  it('vat log lists HMRC requests without tokens or secrets', async () => {
    const r = await runCli(t, ['vat', 'log', '--limit', '200']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('GET /organisations/vat/{vrn}/obligations');
    expect(r.stdout).toContain('HTTP 201');
    const j = await runCli(t, ['vat', 'log', '--json', '--limit', '500']);
    const text = j.stdout;
    expect(text).not.toContain(DEFAULT_SANDBOX_CLIENT.clientSecret);
    expect(text).toContain('[redacted]');
    expect(text).not.toMatch(/Bearer [0-9a-f]{8}/);
  });
});
