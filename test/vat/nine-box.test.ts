import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/lib/decimal.js';
import { parseJsonExact } from '../../src/lib/exact-json.js';
import { buildReturn, checkReturn, toSubmitBody } from '../../src/vat/nine-box.js';
import { ValidationError } from '../../src/errors.js';
import { readJsonFields } from '../../src/vat/return-file.js';

const good = {
  periodKey: '18A1',
  vatDueSales: '105.50',
  vatDueAcquisitions: '-100.45',
  totalVatDue: '5.05',
  vatReclaimedCurrPeriod: '105.15',
  netVatDue: '100.10',
  totalValueSalesExVAT: '300',
  totalValuePurchasesExVAT: '300',
  totalValueGoodsSuppliedExVAT: '3000',
  totalAcquisitionsExVAT: '3000',
  finalised: true,
};

function fromJson(text: string) {
  return checkReturn(readJsonFields(text));
}

describe('Decimal', () => {
  it.each([
    ['1.00', 100n, 2, '1.00'],
    ['1.000', 1000n, 3, '1.000'],
    ['-0.5', -5n, 1, '-0.5'],
    ['1e2', 1n, -2, '100'],
    ['1.5E-1', 15n, 2, '0.15'],
    ['+7', 7n, 0, '7'],
  ])('parse %s', (text, unscaled, scale, str) => {
    const d = Decimal.parse(text);
    expect(d.unscaled).toBe(unscaled);
    expect(d.scale).toBe(scale);
    expect(d.toString()).toBe(str);
  });
  it('spreadsheet numbers lose float noise at 15 significant digits', () => {
    expect(Decimal.fromSpreadsheetNumber(0.1 + 0.2).toString()).toBe('0.3');
    expect(Decimal.fromSpreadsheetNumber(9999999999999.99).toString()).toBe('9999999999999.99');
    expect(Decimal.fromSpreadsheetNumber(1e21).toString()).toBe('1000000000000000000000');
  });
  it('exact arithmetic and formatting', () => {
    expect(Decimal.parse('0.1').add(Decimal.parse('0.2')).equals(Decimal.parse('0.3'))).toBe(true);
    expect(Decimal.parse('-1234567.5').format()).toBe('-1,234,567.50');
    expect(Decimal.parse('12.30').toPence()).toBe(1230n);
  });
  it('parseJsonExact keeps scale and rejects bad JSON', () => {
    const v = parseJsonExact('{"a":1.000,"b":[1.00,true,null,"x"]}') as Record<string, unknown>;
    expect((v.a as Decimal).scale).toBe(3);
    expect(() => parseJsonExact('{"a":1,}')).toThrow(SyntaxError);
    expect(() => parseJsonExact('{"a":01}')).toThrow(SyntaxError);
  });
});

describe('nine-box rules', () => {
  it('accepts a valid return with negatives and builds an exact body', () => {
    const r = buildReturn(good);
    expect(r.totalVatDue.toString()).toBe('5.05');
    expect(toSubmitBody(r)).toBe(
      '{"periodKey":"18A1","vatDueSales":105.50,"vatDueAcquisitions":-100.45,"totalVatDue":5.05,"vatReclaimedCurrPeriod":105.15,"netVatDue":100.10,"totalValueSalesExVAT":300,"totalValuePurchasesExVAT":300,"totalValueGoodsSuppliedExVAT":3000,"totalAcquisitionsExVAT":3000,"finalised":true}',
    );
  });

  const cases: [string, string, string | null][] = [
    // [json snippet replacing a field, field, expected rule or null for OK]
    ['"vatDueSales":1.00,"totalVatDue":-99.45,"netVatDue":204.60', 'vatDueSales', null],
    ['"vatDueSales":1.000,"totalVatDue":-99.45,"netVatDue":204.60', 'vatDueSales', 'max-2dp'],
    ['"totalVatDue":5.06', 'totalVatDue', 'box3=box1+box2'],
    ['"netVatDue":-100.10', 'netVatDue', 'range'],
    ['"netVatDue":100.11', 'netVatDue', 'box5=|box3-box4|'],
    ['"totalValueSalesExVAT":300.50', 'totalValueSalesExVAT', 'whole-pounds'],
    ['"totalValueSalesExVAT":300.00', 'totalValueSalesExVAT', null],
    ['"totalValueSalesExVAT":-300', 'totalValueSalesExVAT', null],
    ['"totalValueSalesExVAT":10000000000000', 'totalValueSalesExVAT', 'range'],
    ['"vatDueSales":"abc"', 'vatDueSales', 'numeric'],
    ['"periodKey":"18a1"', 'periodKey', 'format'],
    ['"periodKey":"#001"', 'periodKey', null],
    ['"finalised":false', 'finalised', 'finalised-true'],
    ['"finalised":"yes"', 'finalised', 'boolean'],
  ];
  it.each(cases)('%s → %s %s', (snippet, field, rule) => {
    const base = JSON.stringify(good).replace(/"(\d+(\.\d+)?|-[\d.]+)"/g, '$1');
    const obj = JSON.parse(base) as Record<string, unknown>;
    for (const k of Object.keys(JSON.parse(`{${snippet.replace(/(\d)\.(\d+)(?=[,}]|$)/g, '$1.$2')}}`))) delete obj[k];
    const text = `{${JSON.stringify(obj).slice(1, -1)},${snippet}}`;
    const { problems } = fromJson(text);
    if (rule === null) expect(problems).toEqual([]);
    else {
      const p = problems.find((x) => x.field === field);
      expect(p?.rule).toBe(rule);
      expect(p?.message).toContain(field);
    }
  });

  it('missing boxes are all reported, naming each box', () => {
    try {
      buildReturn({ periodKey: '18A1', finalised: true });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      for (let b = 1; b <= 9; b++) expect((e as Error).message).toContain(`box ${b} (`);
    }
  });

  it('spreadsheet text with £ and commas', () => {
    const r = buildReturn({ ...good, vatDueSales: '£1,105.50', totalVatDue: '1,005.05', netVatDue: 899.9 });
    expect(r.vatDueSales.toString()).toBe('1105.50');
    expect(r.netVatDue.toString()).toBe('899.90');
  });
});
