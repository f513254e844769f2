/**
 * Liabilities and payments on the TEST processing (mtdvat's extension of the predefined package),
 * through the BUILT binary against the local HMRC emulator: the request actions run through the
 * runtime with the Test classes, attach HMRC's answer, and `em show` reads it as a table with HMRC's
 * exact amounts; HMRC's 404 for an empty range is "nothing found", not an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/setup-web-app.js';
import { startEmEmulator, TEST_PROCESSING, VRN, type EmEmulator } from '../helpers/em-emulator.js';

let env: EmEmulator;

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

async function em(args: string[]) {
  return runCli(env.t, ['em', ...args]);
}

interface Detail {
  status: string;
  nextActions: string[];
  attachments: { name: string }[];
  log: { action: string; responseType: string; text: string }[];
  hmrcResponse?: { kind: string; columns: string[]; rows: string[][] };
}

beforeAll(async () => {
  env = await startEmEmulator();
}, 120_000);

afterAll(async () => {
  await env?.close();
});

describe('liabilities and payments on the TEST processing', () => {
  it('the TEST processing offers them with the Test classes', async () => {
    const procs = JSON.parse((await em(['processings', '--json'])).stdout) as { processing: string; actions: { action: string }[] }[];
    const test = procs.find((p) => p.processing === TEST_PROCESSING)!;
    expect(test.actions.map((a) => a.action).slice(-4)).toEqual(['Create VAT liabilities request', 'Test requests VAT liabilities', 'Create VAT payments request', 'Test requests VAT payments']);
  });

  it('Request VAT liabilities: HMRC answer attached, shown as a table with exact amounts', async () => {
    const from = day(-300);
    const to = day(-1);
    const created = await em(['new', '--processing', TEST_PROCESSING, '--action', 'Create VAT liabilities request', '--from', from, '--to', to, '--json']);
    expect(created.code, created.stderr).toBe(0);
    const msg = (JSON.parse(created.stdout) as { message: number; status: string; nextActions: string[] });
    expect(msg).toMatchObject({ status: 'New liabilities request', nextActions: ['Test requests VAT liabilities'] });

    env.sb.injectFault({
      kind: 'status',
      path: `/organisations/vat/${VRN}/liabilities?from=${from}&to=${to}`,
      status: 200,
      body: { liabilities: [{ taxPeriod: { from: '2025-10-01', to: '2025-12-31' }, type: 'VAT Return Debit Charge', originalAmount: 8493.38, outstandingAmount: 7493.3, due: '2026-02-07' }] },
    });
    const run = await em(['run', String(msg.message), '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      status: 'Completed VAT liabilities request',
      steps: [{ action: 'Test requests VAT liabilities', responseType: 'Successfully executed', attachments: ['response.json.txt'] }],
    });

    const d = JSON.parse((await em(['show', String(msg.message), '--json'])).stdout) as Detail;
    expect(d.hmrcResponse).toEqual({
      kind: 'liabilities',
      attachment: expect.any(Number),
      columns: ['From', 'To', 'Type', 'Original amount', 'Outstanding amount', 'Due'],
      rows: [['2025-10-01', '2025-12-31', 'VAT Return Debit Charge', '8493.38', '7493.3', '2026-02-07']],
    });
    const text = await em(['show', String(msg.message)]);
    expect(text.stdout).toContain("HMRC's liabilities");
    expect(text.stdout).toContain('VAT Return Debit Charge');
    expect(text.stdout).toContain('8493.38');
  });

  it('Request VAT payments: HMRC has none (404) → success with nothing found and an empty table', async () => {
    const created = await em(['new', '--processing', TEST_PROCESSING, '--action', 'Create VAT payments request', '--from', day(-200), '--to', day(-2), '--json']);
    expect(created.code, created.stderr).toBe(0);
    const msg = (JSON.parse(created.stdout) as { message: number }).message;
    const run = await em(['run', String(msg), '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'Completed VAT payments request', steps: [{ action: 'Test requests VAT payments', log: expect.stringMatching(/HMRC found no payments/) }] });
    const d = JSON.parse((await em(['show', String(msg), '--json'])).stdout) as Detail;
    expect(d.hmrcResponse).toMatchObject({ kind: 'payments', columns: ['Amount', 'Received'], rows: [] });
    expect((await em(['show', String(msg)])).stdout).toContain('HMRC found no payments for this period.');
  });
});
