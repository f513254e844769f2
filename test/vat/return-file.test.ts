import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { cellToRaw, readReturnFile } from '../../src/vat/return-file.js';
import { vat100Json, vat100Workbook } from '../../src/vat/vat100.js';
import { Decimal } from '../../src/lib/decimal.js';

const dir = mkdtempSync(join(tmpdir(), 'mtdvat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIELDS: [string, unknown][] = [
  ['periodKey', '#001'],
  ['vatDueSales', 0.1],
  ['vatDueAcquisitions', 0.2],
  ['totalVatDue', { formula: 'B2+B3', result: 0.1 + 0.2 }], // 0.30000000000000004 in a double
  ['vatReclaimedCurrPeriod', { richText: [{ text: '1,000' }, { text: '.30' }] }],
  ['netVatDue', '£1,000.00'],
  ['totalValueSalesExVAT', -42],
  ['totalValuePurchasesExVAT', '7.00'],
  ['totalValueGoodsSuppliedExVAT', 0],
  ['totalAcquisitionsExVAT', 0],
  ['finalised', 'TRUE'],
];

async function xlsx(name: string, rows: [string, unknown][], sheet = 'VAT return'): Promise<string> {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('Notes').addRow(['ignored']);
  const ws = wb.addWorksheet(sheet);
  ws.addRow(['Field', 'Value']);
  ws.addRow([]);
  for (const [k, v] of rows) ws.addRow([k, v as ExcelJS.CellValue]);
  const path = join(dir, name);
  await wb.xlsx.writeFile(path);
  return path;
}

describe('RETURN.xlsx', () => {
  it('reads numbers at Excel precision, text with its scale, formulas, rich text, £ and commas', async () => {
    const r = await readReturnFile(await xlsx('ok.xlsx', FIELDS));
    expect(r.periodKey).toBe('#001');
    expect(r.totalVatDue.toString()).toBe('0.30');
    expect(r.vatReclaimedCurrPeriod.toString()).toBe('1000.30');
    expect(r.netVatDue.toString()).toBe('1000.00');
    expect(r.totalValueSalesExVAT.toString()).toBe('-42');
    expect(r.totalValuePurchasesExVAT.toString()).toBe('7');
    expect(r.finalised).toBe(true);
  });
  it('text "1.000" fails the 2-dp rule while the number 1.000 (= 1) passes', async () => {
    const bad = FIELDS.map(([k, v]) => [k, k === 'vatDueSales' ? '0.100' : v] as [string, unknown]);
    await expect(readReturnFile(await xlsx('bad.xlsx', bad))).rejects.toThrow(/box 1 \(vatDueSales\) must have at most 2 decimal places, found 0\.100/);
  });
  it('unknown names and duplicates are errors naming the row', async () => {
    await expect(readReturnFile(await xlsx('typo.xlsx', [...FIELDS, ['vatDueSale', 1]]))).rejects.toThrow(/row 14: "vatDueSale"/);
    await expect(readReturnFile(await xlsx('dup.xlsx', [...FIELDS, ['netVatDue', 1]]))).rejects.toThrow(/netVatDue appears twice/);
  });
  it('falls back to the first sheet when "VAT return" is missing', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Sheet1');
    for (const [k, v] of FIELDS) ws.addRow([k, v as ExcelJS.CellValue]);
    const p = join(dir, 'first.xlsx');
    await wb.xlsx.writeFile(p);
    expect((await readReturnFile(p)).periodKey).toBe('#001');
  });
  it('rejects a file that is not a zip', async () => {
    const p = join(dir, 'fake.xlsx');
    writeFileSync(p, 'not a zip');
    await expect(readReturnFile(p)).rejects.toThrow(/not a valid \.xlsx/);
  });
  it('cellToRaw handles every exceljs cell shape', () => {
    expect(cellToRaw(null)).toBeUndefined();
    expect(cellToRaw({ sharedFormula: 'A1', result: 5 })).toBe(5);
    expect(cellToRaw({ text: '12.50', hyperlink: 'x' })).toBe('12.50');
    expect(cellToRaw({ error: '#DIV/0!' })).toBe('#ERROR #DIV/0!');
    expect(cellToRaw(new Date(Date.UTC(2024, 0, 31)))).toBe('2024-01-31');
  });
});

describe('RETURN.json', () => {
  it('keeps the written scale and rejects unknown fields', async () => {
    const p = join(dir, 'r.json');
    writeFileSync(p, '\ufeff{"periodKey":"18A1","vatDueSales":1.000,"vatDueAcquisitions":0,"totalVatDue":1,"vatReclaimedCurrPeriod":0,"netVatDue":1,"totalValueSalesExVAT":0,"totalValuePurchasesExVAT":0,"totalValueGoodsSuppliedExVAT":0,"totalAcquisitionsExVAT":0,"finalised":true}');
    await expect(readReturnFile(p)).rejects.toThrow(/found 1\.000 \(3 places\)/);
    writeFileSync(p, '{"periodKey":"18A1","extra":1}');
    await expect(readReturnFile(p)).rejects.toThrow(/unknown field\(s\) "extra"/);
    writeFileSync(p, '{"periodKey":');
    await expect(readReturnFile(p)).rejects.toThrow(/not valid JSON/);
  });
});

describe('VAT 100', () => {
  it('JSON carries exact text and the workbook formats amounts #,##0.00', async () => {
    const r = await readReturnFile(await xlsx('v.xlsx', FIELDS));
    const j = vat100Json(r, { company: 'DAT', vrn: '123456789', generatedAt: '2025-01-01T00:00:00.000Z' });
    expect(j.boxes[3]).toMatchObject({ box: 4, exact: '1000.30', amount: 1000.3 });
    const { workbook, firstBoxRow } = await vat100Workbook(r, { company: 'DAT', vrn: '123456789' });
    const ws = workbook.getWorksheet('VAT 100')!;
    expect(ws.getCell(firstBoxRow, 1).value).toBe(1);
    expect(ws.getCell(firstBoxRow + 4, 3).value).toBe(1000);
    expect(ws.getCell(firstBoxRow + 4, 3).numFmt).toBe('#,##0.00');
    expect(Decimal.parse(String(ws.getCell(firstBoxRow + 2, 3).value)).toString()).toBe('0.3');
  });
});
