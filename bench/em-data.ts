/**
 * Data for the Electronic messages benchmarks, generated in code (never committed): a VAT lines CSV of
 * any size for `em collect-data` + `em generate-report`, and the expected box totals so the bench
 * can check that what it timed is also right.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export interface LinesPeriod {
  /** YYYY-MM-DD, inclusive. */
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;

/** Pence as exact 2-dp text (no floats): 12345n → "123.45", -5n → "-0.05". */
function penceText(p: bigint): string {
  const neg = p < 0n;
  const a = (neg ? -p : p).toString().padStart(3, '0');
  return `${neg ? '-' : ''}${a.slice(0, -2)}.${a.slice(-2)}`;
}

/**
 * The i-th line: sales with output VAT, purchases with input VAT, every 50th a credit note, every 97th
 * a Northern Ireland–EU movement (boxes 2, 8, 9). Amounts are deterministic and exact.
 */
export function vatLine(i: number, period: LinesPeriod): { cells: string[]; pence: bigint[] } {
  const start = Date.parse(`${period.from}T00:00:00Z`);
  const days = Math.max(1, Math.round((Date.parse(`${period.to}T00:00:00Z`) - start) / DAY_MS) + 1);
  const date = new Date(start + (i % days) * DAY_MS).toISOString().slice(0, 10);
  const net = BigInt(1000 + ((i * 7919) % 250_000)); // pence, 10.00 … 2509.99
  const vat = net / 5n; // 20 %
  const sign = i % 50 === 49 ? -1n : 1n;
  // [box1, box2, box4, box6, box7, box8, box9] in pence
  const pence = [0n, 0n, 0n, 0n, 0n, 0n, 0n];
  if (i % 97 === 96) {
    pence[1] = vat; // VAT on an acquisition from the EU, reclaimed in the same period
    pence[2] = vat;
    pence[6] = net;
    pence[5] = net / 2n;
  } else if (i % 3 === 2) {
    pence[2] = sign * vat;
    pence[4] = sign * net;
  } else {
    pence[0] = sign * vat;
    pence[3] = sign * net;
  }
  const kind = i % 3 === 2 ? 'PINV' : 'SINV';
  const cells = [
    `${kind}-${String(i + 1).padStart(7, '0')}`,
    date,
    kind === 'PINV' ? '200100' : '130100',
    sign < 0n ? 'Credit note' : kind === 'PINV' ? 'Purchase invoice' : 'Sales invoice',
    ...pence.map((p) => (p === 0n ? '' : penceText(p))),
  ];
  return { cells, pence };
}

export const LINES_HEADER = ['Document', 'Date', 'Account', 'Description', 'Box 1', 'Box 2', 'Box 4', 'Box 6', 'Box 7', 'Box 8', 'Box 9'];

/**
 * Writes `n` VAT lines to `path` as CSV, streaming (memory stays flat at any size). Returns the nine
 * boxes the lines must generate: 1–5 at 2 dp, 6–9 truncated toward zero to whole pounds.
 */
export async function writeVatLinesCsv(path: string, n: number, period: LinesPeriod): Promise<Record<string, string>> {
  const out = createWriteStream(path);
  const sums = [0n, 0n, 0n, 0n, 0n, 0n, 0n];
  let chunk = `${LINES_HEADER.join(',')}\n`;
  for (let i = 0; i < n; i++) {
    const { cells, pence } = vatLine(i, period);
    pence.forEach((p, k) => (sums[k] += p));
    chunk += `${cells.join(',')}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  const [b1, b2, b4, b6, b7, b8, b9] = sums;
  const whole = (p: bigint) => (p / 100n).toString(); // BigInt division truncates toward zero
  const b3 = b1 + b2;
  const b5 = b3 - b4 < 0n ? b4 - b3 : b3 - b4;
  return {
    vatDueSales: penceText(b1),
    vatDueAcquisitions: penceText(b2),
    totalVatDue: penceText(b3),
    vatReclaimedCurrPeriod: penceText(b4),
    netVatDue: penceText(b5),
    totalValueSalesExVAT: whole(b6),
    totalValuePurchasesExVAT: whole(b7),
    totalValueGoodsSuppliedExVAT: whole(b8),
    totalAcquisitionsExVAT: whole(b9),
  };
}
