import { describe, expect, it } from 'vitest';
import { boxTexts, totalBoxes } from '../../src/em/boxes.js';
import { Decimal } from '../../src/lib/decimal.js';

const item = (b: Record<string, string>) => ({ boxes: b });

describe('nine boxes from items (exact decimals)', () => {
  it('sums boxes 1, 2, 4 and derives 3 and 5', () => {
    const t = boxTexts(
      totalBoxes([
        item({ vatDueSales: '0.10', vatDueAcquisitions: '0.20', vatReclaimedCurrPeriod: '1.00' }),
        item({ vatDueSales: '0.20', vatDueAcquisitions: '0', vatReclaimedCurrPeriod: '0.05' }),
      ]),
    );
    // 0.1 + 0.2 in floats is 0.30000000000000004; here it is exactly 0.30.
    expect(t.vatDueSales).toBe('0.30');
    expect(t.totalVatDue).toBe('0.50');
    expect(t.vatReclaimedCurrPeriod).toBe('1.05');
    // |0.50 − 1.05| = 0.55 (a repayment is still positive in box 5).
    expect(t.netVatDue).toBe('0.55');
  });

  it('ignores boxes 3 and 5 written on the items (they are derived)', () => {
    const t = boxTexts(totalBoxes([item({ vatDueSales: '10.00', totalVatDue: '999.99', netVatDue: '1.00' })]));
    expect(t.totalVatDue).toBe('10.00');
    expect(t.netVatDue).toBe('10.00');
  });

  it.each([
    [['100.99', '0.99'], '101'],
    [['-100.99'], '-100'],
    [['-0.50', '0.20'], '0'],
    [['12345678901.999'], '12345678901'],
    [[], '0'],
  ])('boxes 6–9 are summed, then truncated toward zero: %j → %s', (values, expected) => {
    const t = boxTexts(totalBoxes(values.map((v) => item({ totalValueSalesExVAT: v, totalAcquisitionsExVAT: v }))));
    expect(t.totalValueSalesExVAT).toBe(expected);
    expect(t.totalAcquisitionsExVAT).toBe(expected);
  });

  it('large sums stay exact', () => {
    const many = Array.from({ length: 1000 }, () => item({ vatDueSales: '0.01' }));
    expect(totalBoxes(many).vatDueSales.equals(Decimal.parse('10.00'))).toBe(true);
  });
});

describe('Decimal.truncate', () => {
  it.each([
    ['1.99', 0, '1'],
    ['-1.99', 0, '-1'],
    ['1.999', 2, '1.99'],
    ['5', 2, '5.00'],
  ])('%s at %d → %s', (v, s, e) => {
    expect(Decimal.parse(v).truncate(s).toString()).toBe(e);
  });
});
