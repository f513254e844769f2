/**
 * The D365 flow with VAT lines, through the BUILT binary against the local HMRC emulator: collect data
 * from LINES.csv (one item per line), exclude one line, ready → preview → generate → send →
 * "Completed VAT return"; the generated and the filed boxes checked against the lines. Also: a bad file
 * adds nothing and lists every problem by row; a document already collected is skipped and says where
 * it is; --replace; restoring an excluded item; LINES.xlsx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { Decimal } from '../../src/lib/decimal.js';
import { parseJsonExact } from '../../src/lib/exact-json.js';
import { APP, runCli } from '../helpers/setup-web-app.js';
import { startEmEmulator, VRN, type EmEmulator } from '../helpers/em-emulator.js';

let env: EmEmulator;
const output: string[] = [];

async function em(args: string[]) {
  const r = await runCli(env.t, ['em', ...args]);
  output.push(r.stdout, r.stderr);
  return r;
}

interface Item {
  item: number;
  status: string;
  itemDate: string;
  document: string;
  account: string;
  description: string;
  boxes: Record<string, string>;
  excluded: boolean;
}
interface Run {
  message: number;
  status: string;
  steps: { action: string; from: string; to: string; responseType: string; log: string; attachments: string[] }[];
}

/** Lines: [document, date offset in days from the period start, account, description, box1, box2, box4, box6, box7, box8, box9]. */
type Line = [string, number, string, string, string, string, string, string, string, string, string];
const LINES: Line[] = [
  ['SINV-1', 0, '130100', 'Consulting', '200.00', '', '', '1000.40', '', '', ''],
  ['SINV-2', 5, '130100', 'Licences, annual', '1050.45', '', '', '5252.25', '', '', ''],
  ['SCRN-3', 9, '130100', 'Credit note', '-50.40', '', '', '-252.00', '', '', ''],
  ['PINV-4', 20, '200100', 'Laptops', '', '', '480.10', '', '2400.50', '', ''],
  ['PINV-5', 30, '200100', 'Rent', '', '', '300.00', '', '1500.75', '', ''],
  ['NIEU-6', 40, '200100', 'EU acquisition', '40.00', '40.00', '40.00', '', '200.00', '', '200.00'],
  ['SINV-7', 45, '130100', 'Excluded later', '999.99', '', '', '4999.95', '', '', ''],
];
const FIELDS = ['vatDueSales', 'vatDueAcquisitions', 'vatReclaimedCurrPeriod', 'totalValueSalesExVAT', 'totalValuePurchasesExVAT', 'totalValueGoodsSuppliedExVAT', 'totalAcquisitionsExVAT'];

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function csvOf(lines: Line[], from: string): string {
  const head = 'Document,Date,Account,Description,Box 1,Box 2,Box 4,Box 6,Box 7,Box 8,Box 9';
  return [head, ...lines.map(([doc, off, acc, desc, ...boxes]) => [doc, addDays(from, off), acc, `"${desc}"`, ...boxes].join(','))].join('\n') + '\n';
}

/** The nine boxes the lines must give, on exact decimals: 1, 2, 4 summed; 3 = 1 + 2; 5 = |3 − 4|; 6–9 summed, truncated to pounds. */
function expectedBoxes(lines: Line[]): Record<string, string> {
  const sum = (k: number) => lines.reduce((acc, l) => (l[4 + k] ? acc.add(Decimal.parse(String(l[4 + k]))) : acc), Decimal.ZERO);
  const [b1, b2, b4, b6, b7, b8, b9] = FIELDS.map((_, k) => sum(k));
  const whole = (d: Decimal) => {
    const p = d.rescale(2).unscaled;
    return (p / 100n).toString();
  };
  const b3 = b1.add(b2);
  return {
    vatDueSales: b1.rescale(2).toString(),
    vatDueAcquisitions: b2.rescale(2).toString(),
    totalVatDue: b3.rescale(2).toString(),
    vatReclaimedCurrPeriod: b4.rescale(2).toString(),
    netVatDue: b3.subtract(b4).abs().rescale(2).toString(),
    totalValueSalesExVAT: whole(b6),
    totalValuePurchasesExVAT: whole(b7),
    totalValueGoodsSuppliedExVAT: whole(b8),
    totalAcquisitionsExVAT: whole(b9),
  };
}

beforeAll(async () => {
  env = await startEmEmulator();
  expect(env.open.length).toBeGreaterThanOrEqual(3);
}, 120_000);

afterAll(async () => {
  await env?.close();
});

describe('collect data from VAT lines (mtdvat em) against the emulator', () => {
  it('a bad lines file adds nothing and lists every problem with its row', async () => {
    const m = env.open[0];
    const bad = join(env.t.home, 'BAD.csv');
    writeFileSync(
      bad,
      [
        'Document,Date,Box 1,Box 6',
        `OK-1,${m.fromDate},1.00,5`,
        `BAD-2,${addDays(m.toDate, 1)},1.00,5`,
        `BAD-3,${m.fromDate},1.005,5`,
        `OK-1,${m.fromDate},1.00,5`,
      ].join('\n'),
    );
    const r = await em(['collect-data', String(m.message), '--file', bad, '--json']);
    expect(r.code).toBe(1);
    const run = JSON.parse(r.stdout) as Run;
    const log = run.steps[0].log;
    expect(log).toContain(`row 3: Date ${addDays(m.toDate, 1)} is outside the period ${m.fromDate} to ${m.toDate}`);
    expect(log).toContain('row 4: Box 1: 1.005 has more than 2 decimal places');
    expect(log).toContain('row 5: document "OK-1" is already on row 2');
    const items = JSON.parse((await em(['items', String(m.message), '--json'])).stdout) as Item[];
    expect(items).toEqual([]);
  });

  it('collect → exclude one line → ready → preview → generate → send: boxes from the non-excluded lines, filed as generated', async () => {
    const m = env.open[0];
    const msg = String(m.message);
    const file = join(env.t.home, 'LINES.csv');
    writeFileSync(file, csvOf(LINES, m.fromDate));

    const collect = await em(['collect-data', msg, '--file', file, '--json']);
    expect(collect.code, collect.stderr).toBe(0);
    const c = JSON.parse(collect.stdout) as Run;
    expect(c).toMatchObject({ status: 'New VAT return', steps: [{ action: 'Populate VAT return records', responseType: 'Successfully executed' }] });
    expect(c.steps[0].log).toBe('Collected 7 items from 7 lines of LINES.csv');

    const items = JSON.parse((await em(['items', msg, '--json'])).stdout) as Item[];
    expect(items.map((i) => [i.document, i.itemDate, i.account, i.description, i.status])).toEqual(
      LINES.map(([doc, off, acc, desc]) => [doc, addDays(m.fromDate, off), acc, desc, 'Populated']),
    );
    expect(items[2].boxes).toEqual({ vatDueSales: '-50.40', totalValueSalesExVAT: '-252.00' });
    const text = await em(['items', msg]);
    expect(text.stdout).toContain('Licences, annual');
    expect(text.stdout).toContain('Box 9');

    // Exclude the last line: logged with its item number; restore and exclude again to show both ways.
    const last = items[6].item;
    const ex = await em(['items', 'exclude', msg, String(last), '--json']);
    expect(ex.code, ex.stderr).toBe(0);
    expect(JSON.parse(ex.stdout)).toMatchObject({ action: 'Exclude from reporting', items: [last], status: 'Excluded' });
    const twice = await em(['items', 'exclude', msg, String(last)]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(`item ${last} is "Excluded"; "Exclude from reporting" runs on items in "Populated"`);
    expect((await em(['items', 'restore', msg, String(last)])).code).toBe(0);
    expect((await em(['items', 'exclude', msg, String(last)])).code).toBe(0);
    const notHere = await em(['items', 'exclude', msg, '999999']);
    expect(notHere.code).toBe(1);
    expect(notHere.stderr).toContain(`item 999999 is not an item of message ${msg}`);

    const ready = await em(['update-status', msg, '--action', 'Ready to generate VAT return', '--json']);
    expect(ready.code, ready.stderr).toBe(0);
    const after = JSON.parse((await em(['items', msg, '--json'])).stdout) as Item[];
    expect(after.map((i) => i.status)).toEqual([...Array(6).fill('To be reported'), 'Excluded']);
    // Items that moved on cannot be excluded any more.
    expect((await em(['items', 'exclude', msg, String(after[0].item)])).code).toBe(1);

    const preview = await em(['generate-report', msg, '--action', 'Preview VAT return', '--json']);
    expect(preview.code, preview.stderr).toBe(0);
    expect(JSON.parse(preview.stdout)).toMatchObject({ status: 'Ready to generate VAT return', steps: [{ attachments: ['VAT statement.xlsx'] }] });

    const gen = await em(['generate-report', msg, '--json']);
    expect(gen.code, gen.stderr).toBe(0);
    expect((JSON.parse(gen.stdout) as Run).steps[0].log).toContain('from 6 items');

    const dir = join(env.t.home, 'saved-lines');
    mkdirSync(dir);
    expect((await em(['attachments', msg, '--save', dir])).code).toBe(0);
    const vatReturn = parseJsonExact(readFileSync(join(dir, readdirSync(dir).find((n) => n.endsWith('VAT_return.json'))!), 'utf8')) as Record<string, unknown>;
    const want = expectedBoxes(LINES.slice(0, 6));
    for (const [field, value] of Object.entries(want)) expect(`${field}=${String(vatReturn[field])}`).toBe(`${field}=${value}`);
    // The hand-checked figures, so the helper above cannot hide a mistake of its own.
    expect(want).toMatchObject({ vatDueSales: '1240.05', totalVatDue: '1280.05', vatReclaimedCurrPeriod: '820.10', netVatDue: '459.95', totalValueSalesExVAT: '6000', totalValuePurchasesExVAT: '4101' });

    // The preview workbook carries the boxes and no period key.
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(dir, readdirSync(dir).find((n) => n.endsWith('VAT statement.xlsx'))!));
    const cells: string[] = [];
    wb.worksheets[0].eachRow((row) => row.eachCell((cell) => cells.push(String(cell.value))));
    expect(cells).toContain('1240.05');
    for (const pk of env.periodKeys) expect(cells.join('|')).not.toContain(pk);

    const send = await em(['send-report', msg, '--yes', '--json']);
    expect(send.code, send.stderr).toBe(0);
    expect((JSON.parse(send.stdout) as Run).status).toBe('Completed VAT return');
    const done = JSON.parse((await em(['items', msg, '--json'])).stdout) as Item[];
    expect(done.map((i) => i.status)).toEqual([...Array(6).fill('Submitted'), 'Excluded']);

    // HMRC holds the figures of the six reported lines.
    const view = await runCli(env.t, ['vat', 'return', '--app', APP, '--vrn', VRN, '--period-key', String(vatReturn.periodKey), '--json']);
    expect(view.code, view.stderr).toBe(0);
    expect(JSON.parse(view.stdout)).toMatchObject({ vatDueSales: 1240.05, netVatDue: 459.95, totalValueSalesExVAT: 6000 });

    // The item changes are in the log with their numbers.
    const log = JSON.parse((await em(['log', msg, '--json'])).stdout) as { action: string; items: number[]; text: string }[];
    expect(log.filter((l) => l.action === 'Exclude from reporting').map((l) => l.items)).toEqual([[last], [last]]);
    expect(log.filter((l) => l.action === 'Update to initial status').map((l) => l.items)).toEqual([[last]]);
  });

  it('documents already collected are skipped and say where they are; --replace swaps the Populated items', async () => {
    const m = env.open[1];
    const msg = String(m.message);
    const first = env.open[0].message;
    const lines: Line[] = [
      ['SINV-1', 1, '130100', 'Already filed on the first message', '1.00', '', '', '5', '', '', ''],
      ['SINV-7', 1, '130100', 'Excluded on the first message', '2.00', '', '', '10', '', '', ''],
      ['NEW-1', 2, '130100', 'New', '3.00', '', '', '15', '', '', ''],
    ];
    const file = join(env.t.home, 'LINES2.csv');
    writeFileSync(file, csvOf(lines, m.fromDate));
    const r = await em(['collect-data', msg, '--file', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const log = (JSON.parse(r.stdout) as Run).steps[0].log;
    expect(log).toContain('Collected 1 item from 3 lines of LINES2.csv');
    expect(log).toContain(`SINV-1 (row 2): linked to message ${first} (status Completed VAT return)`);
    expect(log).toContain(`SINV-7 (row 3): linked to message ${first} (status Completed VAT return)`);

    // Again: the line is already on this message now.
    const again = JSON.parse((await em(['collect-data', msg, '--file', file, '--json'])).stdout) as Run;
    expect(again.steps[0].log).toContain(`NEW-1 (row 4): linked to message ${msg} (status New VAT return)`);
    expect((JSON.parse((await em(['items', msg, '--json'])).stdout) as Item[]).map((i) => i.document)).toEqual(['NEW-1']);

    // --replace: a corrected file replaces the Populated items collected before.
    writeFileSync(file, csvOf([['NEW-1', 2, '130100', 'Corrected', '4.00', '', '', '20', '', '', ''], ['NEW-2', 3, '130100', 'Added', '5.00', '', '', '25', '', '', '']], m.fromDate));
    const replaced = await em(['collect-data', msg, '--file', file, '--replace', '--json']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect((JSON.parse(replaced.stdout) as Run).steps[0].log).toMatch(/^Collected 2 items from 2 lines of LINES2\.csv; replaced 1 Populated item collected before$/);
    const items = JSON.parse((await em(['items', msg, '--json'])).stdout) as Item[];
    expect(items.map((i) => [i.document, i.description, i.boxes.vatDueSales])).toEqual([
      ['NEW-1', 'Corrected', '4.00'],
      ['NEW-2', 'Added', '5.00'],
    ]);
  });

  it('LINES.xlsx: one item per row of the "VAT lines" sheet', async () => {
    const m = env.open[2];
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Read me').addRow(['Exported from the ledger']);
    const ws = wb.addWorksheet('VAT lines');
    ws.addRow(['Document', 'Date', 'Account', 'vatDueSales', 'totalValueSalesExVAT']);
    ws.addRow(['X-1', new Date(`${m.fromDate}T00:00:00Z`), 130100, 0.1 + 0.2, 1.5]);
    ws.addRow(['X-2', m.toDate, '130100', '-0.10', '-1']);
    const file = join(env.t.home, 'LINES.xlsx');
    await wb.xlsx.writeFile(file);
    const r = await em(['collect-data', String(m.message), '--file', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Run).steps[0].log).toBe('Collected 2 items from 2 lines of LINES.xlsx');
    const items = JSON.parse((await em(['items', String(m.message), '--json'])).stdout) as Item[];
    expect(items.map((i) => [i.document, i.itemDate, i.account, i.boxes])).toEqual([
      ['X-1', m.fromDate, '130100', { vatDueSales: '0.3', totalValueSalesExVAT: '1.5' }],
      ['X-2', m.toDate, '130100', { vatDueSales: '-0.10', totalValueSalesExVAT: '-1' }],
    ]);
  });

  it('no em output holds a period key', () => {
    const all = output.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    for (const pk of env.periodKeys) expect(all).not.toContain(pk);
  });
});
