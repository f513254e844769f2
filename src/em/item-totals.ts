/**
 * The nine boxes of a message's reportable (non-excluded) items, fast enough for 100,000 VAT lines:
 * amounts of at most 2 decimal places (every VAT line and RETURN item) are summed as whole pence in
 * BigInt straight from their text, with the rules of boxes.ts (box 3 = 1 + 2, box 5 = |3 − 4|, boxes
 * 6–9 summed then truncated toward zero to whole pounds). Any other amount falls back to boxes.ts.
 */
import type { Context } from '../context.js';
import { Decimal } from '../lib/decimal.js';
import { itemBoxTexts, moveMessageItems } from '../store/em-lines.js';
import type { NineBoxes } from '../vat/nine-box.js';
import { totalBoxes } from './boxes.js';
import { EXCLUDED_ITEM_STATUS } from './engine.js';

const SUMMED = ['vatDueSales', 'vatDueAcquisitions', 'vatReclaimedCurrPeriod'] as const;
const WHOLE = ['totalValueSalesExVAT', 'totalValuePurchasesExVAT', 'totalValueGoodsSuppliedExVAT', 'totalAcquisitionsExVAT'] as const;
const FIELDS = [...SUMMED, ...WHOLE];
const PLAIN = /^(-?)(\d+)(?:\.(\d{1,2}))?$/;

function pence(text: string): bigint | undefined {
  const m = PLAIN.exec(text);
  if (!m) return undefined;
  const p = BigInt(m[2] + (m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -p : p;
}

export interface ReportableTotals {
  items: number[];
  boxes: NineBoxes;
}

/** The reportable items of a message and their nine boxes. */
export function reportableTotals(ctx: Context, message: number): ReportableTotals {
  const { items, boxes: texts } = itemBoxTexts(ctx.db, ctx.company, message, [EXCLUDED_ITEM_STATUS]);
  const sums = new Map<string, bigint>(FIELDS.map((f) => [f, 0n]));
  const parsed: { boxes: Record<string, string> }[] = [];
  let exact = true;
  for (const json of texts) {
    const boxes = JSON.parse(json) as Record<string, string>;
    parsed.push({ boxes });
    if (!exact) continue;
    for (const f of FIELDS) {
      const t = boxes[f];
      if (t === undefined || t === '') continue;
      const p = pence(t);
      if (p === undefined) {
        exact = false;
        break;
      }
      sums.set(f, sums.get(f)! + p);
    }
  }
  if (!exact) return { items, boxes: totalBoxes(parsed) };
  const out = {} as NineBoxes;
  for (const f of SUMMED) out[f] = Decimal.fromPence(sums.get(f)!);
  out.totalVatDue = out.vatDueSales.add(out.vatDueAcquisitions).rescale(2);
  out.netVatDue = out.totalVatDue.subtract(out.vatReclaimedCurrPeriod).abs().rescale(2);
  // BigInt division truncates toward zero, as HMRC's whole-pound boxes need.
  for (const f of WHOLE) out[f] = new Decimal(sums.get(f)! / 100n, 0);
  return { items, boxes: out };
}

/** Moves every non-excluded item of the message to `status` in one statement; returns the moved numbers. */
export function moveItemsWithMessage(ctx: Context, message: number, status: string): number[] {
  return moveMessageItems(ctx.db, ctx.company, message, status, [EXCLUDED_ITEM_STATUS]);
}

/** Item numbers as ranges for log text: [1,2,3,5] → "1–3, 5". */
export function describeItemNumbers(numbers: number[]): string {
  const sorted = [...numbers].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i ? `${sorted[i]}–${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return parts.join(', ');
}
