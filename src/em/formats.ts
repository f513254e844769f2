/**
 * Electronic reporting (ER) formats of the UK MTD VAT setup, as built-in generators and readers keyed by
 * the format mapping name the action names (Microsoft Learn, emea-gbr-mtd-vat-integration-em-setup-checklist):
 *   - MTD VAT interoperation (UK): the URL path of each HMRC request;
 *   - VAT Declaration JSON (UK): VAT_return.json, HMRC's submit body;
 *   - VAT Declaration Excel (UK): the preview workbook;
 *   - MTD VAT obligations importing JSON (UK): HMRC's obligations answer → one message per obligation;
 *   - MTD VAT return response importing JSON (UK): HMRC's submit answer → processing date.
 * Every reader treats its input as hostile: bounded, exact-number JSON, fields checked by shape.
 */
import { ValidationError } from '../errors.js';
import { Decimal } from '../lib/decimal.js';
import { parseJsonExact, type JsonValue } from '../lib/exact-json.js';
import { checkReturn, toSubmitBody, PERIOD_KEY_PATTERN, type NineBoxes, type VatReturn } from '../vat/nine-box.js';

export const FORMAT = {
  interoperation: 'MTD VAT interoperation (UK)',
  declarationJson: 'VAT Declaration JSON (UK)',
  declarationExcel: 'VAT Declaration Excel (UK)',
  obligationsImport: 'MTD VAT obligations importing JSON (UK)',
  responseImport: 'MTD VAT return response importing JSON (UK)',
} as const;

export const EXPORT_FORMATS = new Set<string>([FORMAT.declarationJson, FORMAT.declarationExcel]);
export const IMPORT_FORMATS = new Set<string>([FORMAT.obligationsImport, FORMAT.responseImport]);

/** MTD VAT interoperation (UK): HMRC's resource paths (https://developer.service.hmrc.gov.uk/api-documentation/docs/api/service/vat-api/1.0). */
export function interoperationPath(vrn: string, resource: 'obligations' | 'returns' | 'liabilities' | 'payments'): string {
  return `/organisations/vat/${encodeURIComponent(vrn)}/${resource}`;
}

// ---------- VAT Declaration JSON (UK) ----------

/**
 * The submit body from the totals and the hidden period key. The result is validated with HMRC's own
 * rules (ranges, box 3 and box 5 arithmetic) so a file HMRC would reject is never attached.
 */
export function generateDeclarationJson(boxes: NineBoxes, periodKey: string): { text: string; ret: VatReturn } {
  const raw: Record<string, unknown> = { periodKey, finalised: true };
  for (const [k, v] of Object.entries(boxes)) raw[k] = v;
  const { value, problems } = checkReturn(raw);
  if (!value) throw new ValidationError(`the VAT return cannot be generated: ${problems.map((p) => p.message).join('; ')}`);
  return { text: toSubmitBody(value), ret: value };
}

// ---------- MTD VAT obligations importing JSON (UK) ----------

export interface ImportedObligation {
  periodKey: string;
  start: string;
  end: string;
  due: string;
  status: 'O' | 'F';
  received?: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_OBLIGATIONS = 1000;

function parseObject(text: string, file: string): Record<string, JsonValue> {
  let j: JsonValue;
  try {
    j = parseJsonExact(text);
  } catch (error) {
    throw new ValidationError(`${file} is not valid JSON: ${(error as Error).message}`, { file });
  }
  if (!j || typeof j !== 'object' || Array.isArray(j) || j instanceof Decimal) throw new ValidationError(`${file} must hold one JSON object`, { file });
  return j as Record<string, JsonValue>;
}

/** Reads HMRC's obligations answer. An empty text is "nothing found" (HMRC's 404 has no obligations). */
export function readObligations(text: string, file = 'response.json.txt'): ImportedObligation[] {
  if (text.trim() === '') return [];
  const j = parseObject(text, file);
  const list = j.obligations;
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new ValidationError(`${file}: "obligations" must be a list`, { file });
  if (list.length > MAX_OBLIGATIONS) throw new ValidationError(`${file}: ${list.length} obligations is more than mtdvat accepts (${MAX_OBLIGATIONS})`, { file });
  return list.map((o, i) => {
    const where = `${file}: obligation ${i + 1}`;
    if (!o || typeof o !== 'object' || Array.isArray(o) || o instanceof Decimal) throw new ValidationError(`${where} is not an object`, { file, record: i + 1 });
    const r = o as Record<string, JsonValue>;
    const str = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : undefined);
    // The period key is never quoted in messages: HMRC requires that users do not see it.
    const periodKey = str('periodKey');
    if (!periodKey || !PERIOD_KEY_PATTERN.test(periodKey)) throw new ValidationError(`${where} has no valid period key`, { file, record: i + 1, field: 'periodKey' });
    for (const k of ['start', 'end', 'due']) {
      const v = str(k);
      if (!v || !DATE.test(v)) throw new ValidationError(`${where}: "${k}" must be a date YYYY-MM-DD`, { file, record: i + 1, field: k });
    }
    const status = str('status');
    if (status !== 'O' && status !== 'F') throw new ValidationError(`${where}: "status" must be O or F`, { file, record: i + 1, field: 'status' });
    const received = str('received');
    if (received !== undefined && !DATE.test(received)) throw new ValidationError(`${where}: "received" must be a date YYYY-MM-DD`, { file, record: i + 1, field: 'received' });
    return { periodKey, start: str('start')!, end: str('end')!, due: str('due')!, status, ...(received ? { received } : {}) };
  });
}

// ---------- MTD VAT return response importing JSON (UK) ----------

export interface ImportedResponse {
  processingDate?: string;
  formBundleNumber?: string;
  chargeRefNumber?: string;
  paymentIndicator?: string;
  /** The answer is HMRC's stored return (a look-up after a 5xx), not the submit receipt. */
  fromLookup: boolean;
}

/**
 * Reads the submit answer (201: processingDate, formBundleNumber, paymentIndicator, chargeRefNumber).
 * After a 5xx that HMRC nevertheless stored, the attachment is HMRC's view of the stored return, which
 * has no receipt fields: that still proves the return was filed.
 */
export function readSubmitResponse(text: string, file = 'response.json'): ImportedResponse {
  const j = parseObject(text, file);
  const str = (k: string) => (typeof j[k] === 'string' ? (j[k] as string) : j[k] instanceof Decimal ? (j[k] as Decimal).toString() : undefined);
  const processingDate = str('processingDate');
  if (processingDate !== undefined) {
    if (Number.isNaN(Date.parse(processingDate))) throw new ValidationError(`${file}: "processingDate" is not a date-time`, { file, field: 'processingDate' });
    return {
      processingDate,
      formBundleNumber: str('formBundleNumber'),
      chargeRefNumber: str('chargeRefNumber'),
      paymentIndicator: str('paymentIndicator'),
      fromLookup: false,
    };
  }
  if (typeof j.periodKey === 'string' && j.vatDueSales instanceof Decimal) return { fromLookup: true };
  throw new ValidationError(`${file} is neither HMRC's submit receipt (no "processingDate") nor a stored return`, { file });
}
