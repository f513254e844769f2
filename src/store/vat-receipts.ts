/** vat_receipts rows: one per (company, VRN, period key); the guard against sending a return twice. */
import type { Db } from './db.js';

export type ReceiptStatus = 'sending' | 'filed' | 'failed' | 'unknown';

export interface Receipt {
  company: string;
  app: string;
  vrn: string;
  periodKey: string;
  submittedAt: string;
  status: ReceiptStatus;
  bodySha256: string;
  processingDate: string | null;
  formBundleNumber: string | null;
  chargeRefNumber: string | null;
  paymentIndicator: string | null;
  correlationId: string | null;
  receiptId: string | null;
}

interface Row {
  company: string;
  app: string;
  vrn: string;
  period_key: string;
  submitted_at: string;
  status: ReceiptStatus;
  body_sha256: string;
  processing_date: string | null;
  form_bundle_number: string | null;
  charge_ref_number: string | null;
  payment_indicator: string | null;
  correlation_id: string | null;
  receipt_id: string | null;
}

const fromRow = (r: Row): Receipt => ({
  company: r.company,
  app: r.app,
  vrn: r.vrn,
  periodKey: r.period_key,
  submittedAt: r.submitted_at,
  status: r.status,
  bodySha256: r.body_sha256,
  processingDate: r.processing_date,
  formBundleNumber: r.form_bundle_number,
  chargeRefNumber: r.charge_ref_number,
  paymentIndicator: r.payment_indicator,
  correlationId: r.correlation_id,
  receiptId: r.receipt_id,
});

export function getReceipt(db: Db, company: string, vrn: string, periodKey: string): Receipt | undefined {
  const r = db.prepare('SELECT * FROM vat_receipts WHERE company = ? AND vrn = ? AND period_key = ?').get(company, vrn, periodKey) as Row | undefined;
  return r ? fromRow(r) : undefined;
}

export function listReceipts(db: Db, company: string, vrn?: string): Receipt[] {
  const rows = db
    .prepare('SELECT * FROM vat_receipts WHERE company = ? AND (? IS NULL OR vrn = ?) ORDER BY submitted_at DESC')
    .all(company, vrn ?? null, vrn ?? null) as Row[];
  return rows.map(fromRow);
}

/**
 * Claims the (VRN, period) slot for a send: inserts a `sending` row, or takes over a `failed` one.
 * Returns false when another row is already there in a state that forbids sending (filed, or an
 * unresolved sending/unknown the caller must look up first). One IMMEDIATE transaction, so two
 * processes cannot both claim it.
 */
export function claimForSending(
  db: Db,
  r: { company: string; app: string; vrn: string; periodKey: string; bodySha256: string; at: string },
  allowFrom: ReceiptStatus[] = ['failed'],
): { ok: true } | { ok: false; existing: Receipt } {
  return db
    .transaction(() => {
      const existing = getReceipt(db, r.company, r.vrn, r.periodKey);
      if (existing && !allowFrom.includes(existing.status)) return { ok: false as const, existing };
      db.prepare(
        `INSERT INTO vat_receipts (company, app, vrn, period_key, submitted_at, status, body_sha256)
         VALUES (?, ?, ?, ?, ?, 'sending', ?)
         ON CONFLICT (company, vrn, period_key) DO UPDATE SET app = excluded.app, submitted_at = excluded.submitted_at,
           status = 'sending', body_sha256 = excluded.body_sha256, processing_date = NULL, form_bundle_number = NULL,
           charge_ref_number = NULL, payment_indicator = NULL, correlation_id = NULL, receipt_id = NULL`,
      ).run(r.company, r.app, r.vrn, r.periodKey, r.at, r.bodySha256);
      return { ok: true as const };
    })
    .immediate();
}

export function updateReceipt(
  db: Db,
  key: { company: string; vrn: string; periodKey: string },
  fields: Partial<Pick<Receipt, 'status' | 'processingDate' | 'formBundleNumber' | 'chargeRefNumber' | 'paymentIndicator' | 'correlationId' | 'receiptId'>>,
): void {
  const cols: Record<string, string> = {
    status: 'status',
    processingDate: 'processing_date',
    formBundleNumber: 'form_bundle_number',
    chargeRefNumber: 'charge_ref_number',
    paymentIndicator: 'payment_indicator',
    correlationId: 'correlation_id',
    receiptId: 'receipt_id',
  };
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || !(k in cols)) continue;
    sets.push(`${cols[k]} = ?`);
    values.push(v);
  }
  if (!sets.length) return;
  db.prepare(`UPDATE vat_receipts SET ${sets.join(', ')} WHERE company = ? AND vrn = ? AND period_key = ?`).run(
    ...values,
    key.company,
    key.vrn,
    key.periodKey,
  );
}

/** Records a return known to be at HMRC when there was no row (e.g. DUPLICATE_SUBMISSION from another tool). */
export function recordFiled(db: Db, r: { company: string; app: string; vrn: string; periodKey: string; bodySha256: string; at: string }): void {
  db.prepare(
    `INSERT INTO vat_receipts (company, app, vrn, period_key, submitted_at, status, body_sha256) VALUES (?, ?, ?, ?, ?, 'filed', ?)
     ON CONFLICT (company, vrn, period_key) DO UPDATE SET status = 'filed'`,
  ).run(r.company, r.app, r.vrn, r.periodKey, r.at, r.bodySha256);
}
