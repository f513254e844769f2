/**
 * Filing the D365 way, end to end: the BUILT binary against the local HMRC emulator, on the shipped
 * package's TEST processing. Obligation request → run (retrieve + chained import) → one message per open
 * period → collect data from RETURN.json → ready → generate → send (chained response import) →
 * "Completed VAT return", items Submitted; a send from a wrong status is refused; an HMRC error moves the
 * message to its error status and running again from there works; an injected 500 that HMRC stored
 * leaves one filed return and the message completed. The period key appears in no `em` output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startSandbox, type RunningSandbox } from '../../src/emulator/server.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { DEFAULT_TEST_USER } from '../../src/emulator/defaults.js';
import { APP, BIN, makeHome, runCli, type TestHome } from '../helpers/setup-web-app.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const TEST = 'UK MTD VAT TEST';
const VRN = DEFAULT_TEST_USER.vrn;
let sb: RunningSandbox;
let t: TestHome;
/** Every stdout and stderr of an `em` command, to prove the period key is in none of them. */
const emOutput: string[] = [];

async function em(args: string[], opts: { stdin?: string } = {}) {
  const r = await runCli(t, ['em', ...args], opts);
  emOutput.push(r.stdout, r.stderr);
  return r;
}

async function authorize(): Promise<void> {
  const get = await runCli(t, ['auth', 'get-authorization-code', '--app', APP, '--json', '--no-browser', '--yes']);
  expect(get.code, get.stderr).toBe(0);
  const url = new URL((JSON.parse(get.stdout) as { authorizationUrl: string }).authorizationUrl);
  const form: Record<string, string> = { userId: DEFAULT_TEST_USER.userId, password: DEFAULT_TEST_USER.password };
  for (const k of ['client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method']) {
    const v = url.searchParams.get(k);
    if (v !== null) form[k] = v;
  }
  const res = await fetch(`${sb.url}/__test/authorize`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const { code } = (await res.json()) as { code: string };
  const obtain = await runCli(t, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin'], { stdin: `${code}\n` });
  expect(obtain.code, obtain.stderr).toBe(0);
}

interface Step {
  action: string;
  from: string;
  to: string;
  responseType: string;
  log: string;
  attachments: string[];
  created: number[];
}
interface Run {
  message: number;
  status: string;
  steps: Step[];
}
interface Detail {
  message: number;
  status: string;
  fields: Record<string, string>;
  nextActions: string[];
  items: { item: number; status: string; boxes: Record<string, string> }[];
  log: { action: string; from: string; to: string; responseType: string; text: string; items: number[] }[];
  attachments: { attachment: number; name: string; sha256: string; bytes: number }[];
}

const RETURN = {
  vatDueSales: 1050.5,
  vatDueAcquisitions: 0,
  totalVatDue: 1050.5,
  vatReclaimedCurrPeriod: 200.25,
  netVatDue: 850.25,
  totalValueSalesExVAT: 5253,
  totalValuePurchasesExVAT: 1001,
  totalValueGoodsSuppliedExVAT: 0,
  totalAcquisitionsExVAT: 0,
  finalised: true,
};

let openMessages: number[] = [];
let periodKeys: string[] = [];

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error('build first: npm run build');
  sb = await startSandbox({ port: 0, clients: [DEFAULT_SANDBOX_CLIENT], testUsers: [DEFAULT_TEST_USER], rateLimitPerSecond: 10_000, testRoutes: true });
  t = makeHome();
  const imp = await runCli(t, ['import-package', join(ROOT, 'packages-data', 'mtd-vat-local.zip'), '--json']);
  expect(imp.code, imp.stderr).toBe(0);
  // The package points the sandbox at 127.0.0.1:9797; this emulator runs on a free port. Moving the
  // web application to another origin is confirmed with --yes; its web services follow (D365's "Copy base URL").
  const moved = await runCli(t, ['web-apps', 'set', APP, '--base-url', sb.url, '--yes']);
  expect(moved.code, moved.stderr).toBe(0);
  await authorize();
  // The raw API prints period keys (it needs them); `em` never does. Learn them here to search for them.
  const obl = await runCli(t, ['vat', 'obligations', '--app', APP, '--vrn', VRN, '--status', 'O', '--yes', '--json']);
  expect(obl.code, obl.stderr).toBe(0);
  periodKeys = (JSON.parse(obl.stdout) as { obligations: { periodKey: string }[] }).obligations.map((o) => o.periodKey);
  expect(periodKeys.length).toBeGreaterThanOrEqual(2);
}, 60_000);

afterAll(async () => {
  await sb?.close();
  if (t) rmSync(t.home, { recursive: true, force: true });
});

describe('filing the D365 way (mtdvat em) against the emulator', () => {
  it('an HMRC action without a VRN refuses and says how to set it', async () => {
    const m = await em(['new', '--processing', TEST, '--action', 'Create VAT obligation request', '--json']);
    expect(m.code, m.stderr).toBe(0);
    const msg = (JSON.parse(m.stdout) as { message: number }).message;
    const r = await em(['run', String(msg), '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("mtdvat em processings set 'UK MTD VAT TEST' --field 'Tax registration number=VRN'");
    const show = JSON.parse((await em(['show', String(msg), '--json'])).stdout) as Detail;
    expect(show.status).toBe('New obligation request');
    expect((await em(['delete', String(msg)])).code).toBe(0);
  });

  it('obligation request → run: retrieve, then the chained import makes one message per open period', async () => {
    const set = await em(['processings', 'set', TEST, '--field', `Tax registration number=${VRN}`]);
    expect(set.code, set.stderr).toBe(0);
    const procs = JSON.parse((await em(['processings', '--json'])).stdout) as { processing: string; actions: { action: string; runSeparately: boolean }[]; fields: Record<string, string> }[];
    const test = procs.find((p) => p.processing === TEST)!;
    expect(test.fields['Tax registration number']).toBe(VRN);
    expect(test.fields.periodKey).toBe('');
    expect(test.actions.find((a) => a.action === 'Import VAT obligations')!.runSeparately).toBe(false);

    const created = await em(['new', '--processing', TEST, '--action', 'Create VAT obligation request', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const request = JSON.parse(created.stdout) as { message: number; status: string; nextActions: string[]; fields: Record<string, string> };
    expect(request).toMatchObject({ status: 'New obligation request', nextActions: ['Test retrieves VAT obligations'], fields: { 'Tax registration number': VRN } });

    const run = await em(['run', String(request.message), '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as Run;
    expect(result.status).toBe('Completed VAT obligations request');
    expect(result.steps.map((s) => [s.action, s.from, s.to, s.responseType])).toEqual([
      ['Test retrieves VAT obligations', 'New obligation request', 'Retrieved VAT obligation', 'Successfully executed'],
      ['Import VAT obligations', 'Retrieved VAT obligation', 'Completed VAT obligations request', 'Successfully executed'],
    ]);
    expect(result.steps[0].attachments).toEqual(['response.json.txt']);
    openMessages = result.steps[1].created;
    expect(openMessages).toHaveLength(periodKeys.length);

    const list = JSON.parse((await em(['list', '--processing', TEST, '--status', 'New VAT return', '--json'])).stdout) as { message: number; fields: Record<string, string>; nextActions: string[] }[];
    expect(list.map((m) => m.message)).toEqual(openMessages);
    expect(list[0].fields).toMatchObject({ 'HMRC status': 'O', 'Tax registration number': VRN });
    expect(Object.keys(list[0].fields)).not.toContain('periodKey');
    expect(list[0].nextActions).toEqual(['Populate VAT return records', 'Ready to generate VAT return']);

    // Retrieving again updates the messages it holds; it never duplicates them.
    const again = JSON.parse((await em(['new', '--processing', TEST, '--action', 'Create VAT obligation request', '--json'])).stdout) as { message: number };
    const rerun = JSON.parse((await em(['run', String(again.message), '--yes', '--json'])).stdout) as Run;
    expect(rerun.steps[1].created).toEqual([]);
    expect(rerun.steps[1].log).toMatch(new RegExp(`${periodKeys.length} obligations: 0 new messages, ${periodKeys.length} updated`));
  });

  it('collect data → ready → generate → send: Completed VAT return, items Submitted, log and attachments', async () => {
    const msg = String(openMessages[0]);
    const file = join(t.home, 'RETURN.json');
    writeFileSync(file, JSON.stringify(RETURN));

    // A send from a wrong status is refused and names the statuses it needs.
    const early = await em(['send-report', msg, '--yes']);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/"Generated VAT return" or "Error VAT return submission"|"Error VAT return submission" or "Generated VAT return"/);

    const collect = await em(['collect-data', msg, '--file', file, '--json']);
    expect(collect.code, collect.stderr).toBe(0);
    expect(JSON.parse(collect.stdout)).toMatchObject({ status: 'New VAT return', steps: [{ action: 'Populate VAT return records', responseType: 'Successfully executed' }] });

    const ready = await em(['update-status', msg, '--action', 'Ready to generate VAT return', '--json']);
    expect(ready.code, ready.stderr).toBe(0);
    expect(JSON.parse(ready.stdout)).toMatchObject({ status: 'Ready to generate VAT return' });

    // Two non-user actions are offered now: a bare `em run` lists them and exits 2.
    const ambiguous = await em(['run', msg]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('"Preview VAT return", "Generate file for submission"');

    const gen = await em(['generate-report', msg, '--json']);
    expect(gen.code, gen.stderr).toBe(0);
    expect(JSON.parse(gen.stdout)).toMatchObject({ status: 'Generated VAT return', steps: [{ action: 'Generate file for submission', attachments: ['VAT_return.json'] }] });

    const noYes = await em(['send-report', msg]);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('When you submit this VAT information you are making a legal declaration');
    expect((JSON.parse((await em(['show', msg, '--json'])).stdout) as Detail).status).toBe('Generated VAT return');

    const send = await em(['send-report', msg, '--yes', '--json']);
    expect(send.code, send.stderr).toBe(0);
    const sent = JSON.parse(send.stdout) as Run;
    expect(sent.steps.map((s) => [s.action, s.to, s.responseType])).toEqual([
      ['Test submits VAT return', 'Sent VAT return', 'Successfully executed'],
      ['Import response for VAT return', 'Completed VAT return', 'Successfully executed'],
    ]);
    expect(sent.steps[0].attachments).toEqual(['response.json']);
    expect(send.stderr).toContain('A false declaration can result in prosecution.');
    expect(send.stderr).toContain('1,050.50');

    const d = JSON.parse((await em(['show', msg, '--json'])).stdout) as Detail;
    expect(d.status).toBe('Completed VAT return');
    expect(d.items.map((i) => i.status)).toEqual(['Submitted']);
    expect(d.fields['Processing date']).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(d.nextActions).toEqual([]);
    expect(d.log.map((l) => [l.action, l.to])).toEqual([
      ['Import VAT obligations', 'New VAT return'],
      ['Populate VAT return records', 'New VAT return'],
      ['Ready to generate VAT return', 'Ready to generate VAT return'],
      ['Generate file for submission', 'Generated VAT return'],
      ['Test submits VAT return', 'Sent VAT return'],
      ['Import response for VAT return', 'Completed VAT return'],
    ]);
    expect(d.log.at(-1)!.items).toEqual([d.items[0].item]);
    expect(d.attachments.map((a) => a.name)).toEqual(['VAT_return.json', 'response.json']);

    // The saved files are the documents as sent and received (they hold the period key; that is HMRC's file).
    const dir = join(t.home, 'saved');
    mkdirSync(dir);
    const save = await em(['attachments', msg, '--save', dir, '--json']);
    expect(save.code, save.stderr).toBe(0);
    const sentFile = readdirSync(dir).find((n) => n.endsWith('VAT_return.json'))!;
    const body = JSON.parse(readFileSync(join(dir, sentFile), 'utf8')) as Record<string, unknown>;
    expect(periodKeys).toContain(body.periodKey);
    expect(body.netVatDue).toBe(850.25);

    // HMRC holds exactly what was generated.
    const view = await runCli(t, ['vat', 'return', '--app', APP, '--vrn', VRN, '--period-key', String(body.periodKey), '--json']);
    expect(view.code, view.stderr).toBe(0);
    expect(JSON.parse(view.stdout)).toMatchObject({ vatDueSales: 1050.5, netVatDue: 850.25, totalValueSalesExVAT: 5253 });
  });

  it('an HMRC error moves the message to Error VAT return submission; sending again from there works', async () => {
    const msg = String(openMessages[1]);
    const file = join(t.home, 'RETURN2.json');
    writeFileSync(file, JSON.stringify({ ...RETURN, vatDueSales: 10, totalVatDue: 10, vatReclaimedCurrPeriod: 0, netVatDue: 10 }));
    expect((await em(['collect-data', msg, '--file', file])).code).toBe(0);
    expect((await em(['update-status', msg, '--action', 'Ready to generate VAT return'])).code).toBe(0);
    expect((await em(['generate-report', msg])).code).toBe(0);
    sb.injectFault({ kind: 'status', path: `/organisations/vat/${VRN}/returns`, status: 503, body: { code: 'SERVER_ERROR', message: 'Service unavailable' } });
    const failed = await em(['send-report', msg, '--yes', '--json']);
    expect(failed.code).toBe(1);
    const r = JSON.parse(failed.stdout) as Run;
    expect(r.status).toBe('Error VAT return submission');
    // The run keeps its shape under --json and adds the error envelope's `error`.
    expect((r as unknown as { error: { type: string; message: string } }).error).toMatchObject({ type: 'MtdvatError', message: expect.stringContaining('ended as Technical error') });
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]).toMatchObject({ action: 'Test submits VAT return', responseType: 'Technical error' });
    expect(r.steps[0].log).toMatch(/503.*NOT filed/);

    const retry = await em(['send-report', msg, '--yes', '--json']);
    expect(retry.code, retry.stderr).toBe(0);
    expect((JSON.parse(retry.stdout) as Run).status).toBe('Completed VAT return');
  });

  it('an injected 500 that HMRC stored: one filed return, the message completed', async () => {
    const msg = String(openMessages[2] ?? openMessages.at(-1));
    const d0 = JSON.parse((await em(['show', msg, '--json'])).stdout) as Detail;
    expect(d0.status).toBe('New VAT return');
    const file = join(t.home, 'RETURN3.json');
    writeFileSync(file, JSON.stringify(RETURN));
    expect((await em(['collect-data', msg, '--file', file])).code).toBe(0);
    expect((await em(['update-status', msg, '--action', 'Ready to generate VAT return'])).code).toBe(0);
    expect((await em(['generate-report', msg])).code).toBe(0);
    sb.injectFault({ kind: 'submit-500-after-store' });
    const send = await em(['send-report', msg, '--yes', '--json']);
    expect(send.code, send.stderr).toBe(0);
    const r = JSON.parse(send.stdout) as Run;
    expect(r.status).toBe('Completed VAT return');
    expect(r.steps[0].log).toMatch(/HMRC did record the return/);
    const d = JSON.parse((await em(['show', msg, '--json'])).stdout) as Detail;
    expect(d.items.map((i) => i.status)).toEqual(['Submitted']);
    // One submit in the log, one receipt filed.
    expect(d.log.filter((l) => l.action === 'Test submits VAT return')).toHaveLength(1);
    const ctx = t.open();
    try {
      const rows = ctx.db.prepare("SELECT status FROM vat_receipts WHERE vrn = ? AND status = 'filed'").all(VRN) as unknown[];
      expect(rows).toHaveLength(3);
    } finally {
      ctx.close();
    }
  });

  it('the period key is in no em output (text or JSON), and the log command shows every action', async () => {
    const log = await em(['log', '--json']);
    expect(log.code).toBe(0);
    expect((JSON.parse(log.stdout) as unknown[]).length).toBeGreaterThan(10);
    for (const args of [['list'], ['log'], ['show', String(openMessages[0])], ['attachments', String(openMessages[0])], ['processings']]) {
      const r = await em(args);
      expect(r.code, r.stderr).toBe(0);
    }
    const all = emOutput.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    for (const pk of periodKeys) expect(all).not.toContain(pk);
  });
});
