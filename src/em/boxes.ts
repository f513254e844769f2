/**
 * The nine boxes of a VAT return from the message items, on exact decimals (never floats).
 * Boxes 1, 2 and 4 are summed; box 3 = box 1 + box 2; box 5 = |box 3 − box 4|; boxes 6–9 are summed and
 * then truncated toward zero to whole pounds (HMRC: "whole pounds only", VAT Notice 700/12 §3.6).
 */
import { Decimal } from '../lib/decimal.js';
import { BOXES, type BoxField, type NineBoxes } from '../vat/nine-box.js';

export interface BoxItem {
  item?: number;
  boxes: Record<string, string>;
}

const SUMMED: BoxField[] = ['vatDueSales', 'vatDueAcquisitions', 'vatReclaimedCurrPeriod'];
const WHOLE: BoxField[] = ['totalValueSalesExVAT', 'totalValuePurchasesExVAT', 'totalValueGoodsSuppliedExVAT', 'totalAcquisitionsExVAT'];

function amount(item: BoxItem, field: BoxField): Decimal {
  const text = item.boxes[field];
  if (text === undefined || text === '') return Decimal.ZERO;
  return Decimal.parse(text);
}

/** Totals the items into the nine boxes (boxes 1–5 at 2 decimal places, 6–9 whole pounds). */
export function totalBoxes(items: BoxItem[]): NineBoxes {
  const sum = (field: BoxField) => items.reduce((acc, i) => acc.add(amount(i, field)), Decimal.ZERO);
  const out = {} as NineBoxes;
  for (const f of SUMMED) out[f] = sum(f).rescale(2);
  out.totalVatDue = out.vatDueSales.add(out.vatDueAcquisitions).rescale(2);
  out.netVatDue = out.totalVatDue.subtract(out.vatReclaimedCurrPeriod).abs().rescale(2);
  for (const f of WHOLE) out[f] = sum(f).truncate(0);
  return out;
}

/** Box values of one item as exact decimal texts (what the store keeps). */
export function boxTexts(boxes: NineBoxes): Record<string, string> {
  const out: Record<string, string> = {};
  for (const b of BOXES) out[b.field] = boxes[b.field].toString();
  return out;
}
