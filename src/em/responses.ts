/**
 * HMRC's answer to a liabilities or payments request, read from the message's attachment as a table
 * for `em show` (Microsoft: for these requests D365 only attaches the response; mtdvat also shows it).
 * Amounts keep HMRC's exact decimals (never a float); anything HMRC did not send stays empty.
 * Fields: VAT (MTD) API, "Retrieve VAT liabilities" / "Retrieve VAT payments".
 */
import type { Context } from '../context.js';
import { Decimal } from '../lib/decimal.js';
import { parseJsonExact, type JsonValue } from '../lib/exact-json.js';
import { attachmentContent, listAttachments, listLog } from '../store/em.js';
import { EXECUTABLE_CLASSES } from './classes.js';
import type { EmSetup } from './model.js';

export interface HmrcTable {
  kind: 'liabilities' | 'payments';
  /** The attachment the table was read from. */
  attachment: number;
  columns: string[];
  rows: string[][];
  /** Why no rows could be read, when the attachment is not HMRC's list. */
  problem?: string;
}

const text = (v: JsonValue | undefined): string => (v === undefined || v === null ? '' : v instanceof Decimal ? v.toString() : typeof v === 'object' ? '' : String(v));
const obj = (v: JsonValue | undefined): Record<string, JsonValue> => (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Decimal) ? (v as Record<string, JsonValue>) : {});

/** Rows of a liabilities or payments answer (empty for an empty answer: HMRC found nothing). */
export function hmrcTable(kind: 'liabilities' | 'payments', body: string, attachment: number): HmrcTable {
  const columns = kind === 'liabilities' ? ['From', 'To', 'Type', 'Original amount', 'Outstanding amount', 'Due'] : ['Amount', 'Received'];
  if (body.trim() === '') return { kind, attachment, columns, rows: [] };
  let parsed: JsonValue;
  try {
    parsed = parseJsonExact(body);
  } catch (error) {
    return { kind, attachment, columns, rows: [], problem: `the attachment is not JSON (${(error as Error).message})` };
  }
  const list = obj(parsed)[kind];
  if (!Array.isArray(list)) return { kind, attachment, columns, rows: [], problem: `HMRC's answer has no "${kind}" list` };
  const rows = list.map((entry) => {
    const e = obj(entry);
    if (kind === 'payments') return [text(e.amount), text(e.received)];
    const period = obj(e.taxPeriod);
    return [text(period.from), text(period.to), text(e.type), text(e.originalAmount), text(e.outstandingAmount), text(e.due)];
  });
  return { kind, attachment, columns, rows };
}

/** The table of the latest liabilities or payments answer attached to the message, if any. */
export function latestHmrcTable(ctx: Context, setup: EmSetup, message: number): HmrcTable | undefined {
  const kindOfAction = new Map<string, 'liabilities' | 'payments'>();
  for (const a of setup.actions.values()) {
    const kind = EXECUTABLE_CLASSES[a.executableClass]?.kind;
    if (kind === 'liabilities' || kind === 'payments') kindOfAction.set(a.name, kind);
  }
  if (!kindOfAction.size) return undefined;
  const actionOfLog = new Map(listLog(ctx.db, ctx.company, message).map((l) => [l.id, l.action]));
  const attachments = listAttachments(ctx.db, ctx.company, message);
  for (let i = attachments.length - 1; i >= 0; i--) {
    const a = attachments[i];
    const kind = a.logId === null ? undefined : kindOfAction.get(actionOfLog.get(a.logId) ?? '');
    if (!kind) continue;
    return hmrcTable(kind, new TextDecoder().decode(attachmentContent(ctx.db, ctx.company, a.id)), a.id);
  }
  return undefined;
}
