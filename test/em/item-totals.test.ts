import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { insertItem, insertMessage, listItems } from '../../src/store/em.js';
import { totalBoxes, boxTexts } from '../../src/em/boxes.js';
import { describeItemNumbers, moveItemsWithMessage, reportableTotals } from '../../src/em/item-totals.js';
import type { Context } from '../../src/context.js';

function store(items: { status: string; boxes: Record<string, string> }[]) {
  const db = openDb(':memory:');
  const at = '2026-01-01T00:00:00.000Z';
  const message = insertMessage(db, 'DAT', { processing: 'P', description: '', status: 'New VAT return', at });
  for (const i of items) insertItem(db, 'DAT', { message, itemType: 'VAT return', status: i.status, boxes: i.boxes, at });
  const ctx = { db, company: 'DAT' } as unknown as Context;
  return { ctx, message };
}

describe('reportable totals (the fast path of 100,000 VAT lines) agree with boxes.ts', () => {
  const cases: { name: string; items: { status: string; boxes: Record<string, string> }[] }[] = [
    {
      name: 'credit notes, pence, whole-pound truncation toward zero',
      items: [
        { status: 'Populated', boxes: { vatDueSales: '10.05', totalValueSalesExVAT: '50.99' } },
        { status: 'Populated', boxes: { vatDueSales: '-20.10', totalValueSalesExVAT: '-100.98', vatReclaimedCurrPeriod: '0.5' } },
        { status: 'Populated', boxes: { vatDueAcquisitions: '3', totalAcquisitionsExVAT: '7.5', totalValuePurchasesExVAT: '1' } },
      ],
    },
    {
      name: 'excluded items are left out',
      items: [
        { status: 'Populated', boxes: { vatDueSales: '1.00' } },
        { status: 'Excluded', boxes: { vatDueSales: '999.99', totalValueSalesExVAT: '5000' } },
      ],
    },
    {
      name: 'a RETURN item with every box (3 and 5 recomputed)',
      items: [{ status: 'To be reported', boxes: { vatDueSales: '100.00', vatDueAcquisitions: '0.00', totalVatDue: '100.00', vatReclaimedCurrPeriod: '150.00', netVatDue: '50.00', totalValueSalesExVAT: '500', totalValuePurchasesExVAT: '750', totalValueGoodsSuppliedExVAT: '0', totalAcquisitionsExVAT: '0' } }],
    },
    { name: 'an amount written in another form falls back to exact Decimal sums', items: [{ status: 'Populated', boxes: { vatDueSales: '1.5e1', totalValueSalesExVAT: '+2' } }] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { ctx, message } = store(c.items);
      const got = reportableTotals(ctx, message);
      const want = totalBoxes(c.items.filter((i) => i.status !== 'Excluded'));
      expect(boxTexts(got.boxes)).toEqual(boxTexts(want));
      expect(got.items).toHaveLength(c.items.filter((i) => i.status !== 'Excluded').length);
    });
  }

  it('hand-checked: -0.99 of sales is 0 whole pounds, not -1', () => {
    const { ctx, message } = store([{ status: 'Populated', boxes: { totalValueSalesExVAT: '-0.99', vatDueSales: '-0.19' } }]);
    const b = boxTexts(reportableTotals(ctx, message).boxes);
    expect(b).toMatchObject({ vatDueSales: '-0.19', totalVatDue: '-0.19', netVatDue: '0.19', totalValueSalesExVAT: '0' });
  });

  it('items move with the message in one statement; excluded ones stay', () => {
    const { ctx, message } = store([
      { status: 'Populated', boxes: {} },
      { status: 'Excluded', boxes: {} },
      { status: 'Populated', boxes: {} },
    ]);
    const items = listItems(ctx.db, 'DAT', message).map((i) => i.item);
    expect(moveItemsWithMessage(ctx, message, 'To be reported')).toEqual([items[0], items[2]]);
    expect(listItems(ctx.db, 'DAT', message).map((i) => i.status)).toEqual(['To be reported', 'Excluded', 'To be reported']);
    expect(moveItemsWithMessage(ctx, message, 'To be reported')).toEqual([]);
  });

  it('item numbers as ranges', () => {
    expect(describeItemNumbers([5, 1, 2, 3, 9, 10])).toBe('1–3, 5, 9–10');
    expect(describeItemNumbers([7])).toBe('7');
    expect(describeItemNumbers([])).toBe('');
  });
});
