/**
 * The VAT return ("nine boxes") as exact decimals, with HMRC's submit rules
 * (https://developer.service.hmrc.gov.uk/api-documentation/docs/api/service/vat-api/1.0, "Submit VAT return for period")
 * enforced on the client so a return that HMRC would reject never leaves the machine.
 */
import { ValidationError } from '../errors.js';
import { Decimal } from '../lib/decimal.js';
import { stringifyExact } from '../lib/exact-json.js';

export type BoxKind = 'money' | 'net' | 'whole';

export interface BoxSpec {
  box: number;
  /** HMRC's JSON field name. */
  field: BoxField;
  kind: BoxKind;
  /** The official VAT 100 wording. */
  description: string;
}

export type BoxField =
  | 'vatDueSales'
  | 'vatDueAcquisitions'
  | 'totalVatDue'
  | 'vatReclaimedCurrPeriod'
  | 'netVatDue'
  | 'totalValueSalesExVAT'
  | 'totalValuePurchasesExVAT'
  | 'totalValueGoodsSuppliedExVAT'
  | 'totalAcquisitionsExVAT';

export const BOXES: readonly BoxSpec[] = [
  { box: 1, field: 'vatDueSales', kind: 'money', description: 'VAT due in the period on sales and other outputs' },
  {
    box: 2,
    field: 'vatDueAcquisitions',
    kind: 'money',
    description: 'VAT due in the period on acquisitions of goods made in Northern Ireland from EU Member States',
  },
  { box: 3, field: 'totalVatDue', kind: 'money', description: 'Total VAT due (the sum of boxes 1 and 2)' },
  {
    box: 4,
    field: 'vatReclaimedCurrPeriod',
    kind: 'money',
    description:
      'VAT reclaimed in the period on purchases and other inputs (including acquisitions in Northern Ireland from EU Member States)',
  },
  { box: 5, field: 'netVatDue', kind: 'net', description: 'Net VAT to pay to HMRC or reclaim (difference between boxes 3 and 4)' },
  { box: 6, field: 'totalValueSalesExVAT', kind: 'whole', description: 'Total value of sales and all other outputs excluding any VAT' },
  {
    box: 7,
    field: 'totalValuePurchasesExVAT',
    kind: 'whole',
    description: 'Total value of purchases and all other inputs excluding any VAT',
  },
  {
    box: 8,
    field: 'totalValueGoodsSuppliedExVAT',
    kind: 'whole',
    description: 'Total value of dispatches of goods and related costs (excluding VAT) from Northern Ireland to EU Member States',
  },
  {
    box: 9,
    field: 'totalAcquisitionsExVAT',
    kind: 'whole',
    description: 'Total value of acquisitions of goods and related costs (excluding VAT) made in Northern Ireland from EU Member States',
  },
];

/** The 11 fields of HMRC's submit body, in HMRC's order. */
export const RETURN_FIELD_NAMES = ['periodKey', ...BOXES.map((b) => b.field), 'finalised'] as const;

export const PERIOD_KEY_PATTERN = /^[#0-9A-Z]{4}$/;

/** HMRC's legal declaration for a business (the VAT API's submit endpoint: https://developer.service.hmrc.gov.uk/api-documentation/docs/api/service/vat-api/1.0); shown before every submit. */
export const LEGAL_DECLARATION =
  'When you submit this VAT information you are making a legal declaration that the information is true and complete. A false declaration can result in prosecution.';

export type NineBoxes = Record<BoxField, Decimal>;

export interface VatReturn extends NineBoxes {
  periodKey: string;
  finalised: boolean;
}

/** A field value before checking: a Decimal (exact JSON number), text (spreadsheet), boolean, or anything else. */
export type RawField = Decimal | string | boolean | number | null | undefined | unknown;

export interface ReturnProblem {
  /** Box number 1–9, or undefined for periodKey/finalised. */
  box?: number;
  field: string;
  rule: string;
  message: string;
}

const D = (s: string) => Decimal.parse(s);
const RANGES: Record<BoxKind, [Decimal, Decimal, string]> = {
  money: [D('-9999999999999.99'), D('9999999999999.99'), 'between -9,999,999,999,999.99 and 9,999,999,999,999.99'],
  net: [D('0'), D('99999999999.99'), 'between 0 and 99,999,999,999.99'],
  whole: [D('-9999999999999'), D('9999999999999'), 'between -9,999,999,999,999 and 9,999,999,999,999'],
};

function label(spec: BoxSpec): string {
  return `box ${spec.box} (${spec.field})`;
}

/** Converts one raw value to an exact Decimal; text may carry spaces, a leading £ and thousands commas. */
function toDecimal(raw: RawField): Decimal | undefined {
  if (raw instanceof Decimal) return raw;
  if (typeof raw === 'number') return Decimal.fromSpreadsheetNumber(raw);
  if (typeof raw === 'string') {
    const t = raw.trim().replace(/^(-?)£/, '$1').replace(/,(?=\d{3}(\D|$))/g, '');
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(t)) return undefined;
    return Decimal.parse(t);
  }
  return undefined;
}

export interface BuildOptions {
  /** `finalised` must be true (submit). A VAT 100 draft report may pass false. Default true. */
  requireFinalised?: boolean;
  /**
   * The period key given apart from the file (`--period-key`): it fills a file without one, so one
   * RETURN file can serve any period. Whether the two agree when both are given is the caller's check.
   */
  periodKey?: string;
}

/**
 * Checks raw fields against HMRC's rules and builds the exact model. Collects every problem (like HMRC's
 * validator does within a level) and throws one ValidationError that lists them all, each naming the box
 * and the rule.
 */
export function buildReturn(raw: Record<string, RawField>, options: BuildOptions = {}): VatReturn {
  const { value, problems } = checkReturn(raw, options);
  if (problems.length || !value) {
    const error = new ValidationError(formatProblems(problems));
    error.problems = problems.map((p) => p.message);
    throw error;
  }
  return value;
}

export function formatProblems(problems: ReturnProblem[]): string {
  if (problems.length === 1) return `VAT return is invalid: ${problems[0].message}`;
  return `VAT return is invalid (${problems.length} problems):\n${problems.map((p) => `  - ${p.message}`).join('\n')}`;
}

export function checkReturn(
  raw: Record<string, RawField>,
  options: BuildOptions = {},
): { value?: VatReturn; problems: ReturnProblem[] } {
  const problems: ReturnProblem[] = [];
  const add = (p: ReturnProblem) => problems.push(p);

  // periodKey
  const inFile = raw.periodKey;
  const pk = (inFile === undefined || inFile === null || inFile === '') && options.periodKey !== undefined ? options.periodKey : inFile;
  if (pk === undefined || pk === null || pk === '') add({ field: 'periodKey', rule: 'required', message: 'periodKey is missing: put it in the file or give --period-key (from `mtdvat vat obligations`)' });
  else if (typeof pk !== 'string')
    add({ field: 'periodKey', rule: 'string', message: 'periodKey must be text (e.g. "18A1" or "#001")' });
  else if (!PERIOD_KEY_PATTERN.test(pk))
    add({ field: 'periodKey', rule: 'format', message: `periodKey "${pk}" must be 4 characters from 0-9, A-Z and # (upper case)` });

  // the nine boxes: type, scale, range
  const boxes: Partial<NineBoxes> = {};
  for (const spec of BOXES) {
    const v = raw[spec.field];
    if (v === undefined || v === null || v === '') {
      add({ box: spec.box, field: spec.field, rule: 'required', message: `${label(spec)} is missing` });
      continue;
    }
    let d: Decimal | undefined;
    try {
      d = toDecimal(v);
    } catch {
      d = undefined;
    }
    if (!d) {
      add({ box: spec.box, field: spec.field, rule: 'numeric', message: `${label(spec)} must be a number, found ${JSON.stringify(String(v))}` });
      continue;
    }
    const [min, max, rangeText] = RANGES[spec.kind];
    if (spec.kind === 'whole') {
      if (!d.isWhole) {
        add({
          box: spec.box,
          field: spec.field,
          rule: 'whole-pounds',
          message: `${label(spec)} must be whole pounds (no pence), found ${d.toString()}`,
        });
        continue;
      }
      d = d.rescale(0);
    } else if (d.decimalPlaces > 2) {
      add({
        box: spec.box,
        field: spec.field,
        rule: 'max-2dp',
        message: `${label(spec)} must have at most 2 decimal places, found ${d.toString()} (${d.decimalPlaces} places)`,
      });
      continue;
    } else d = d.rescale(2);
    if (d.compare(min) < 0 || d.compare(max) > 0) {
      add({ box: spec.box, field: spec.field, rule: 'range', message: `${label(spec)} must be ${rangeText}, found ${d.format(spec.kind === 'whole' ? 0 : 2)}` });
      continue;
    }
    boxes[spec.field] = d;
  }

  // finalised
  let finalised = false;
  const f = raw.finalised;
  if (f === true || f === false) finalised = f;
  else if (typeof f === 'string' && /^(true|false)$/i.test(f.trim())) finalised = f.trim().toLowerCase() === 'true';
  else if (f === undefined || f === null || f === '') {
    if (options.requireFinalised ?? true) add({ field: 'finalised', rule: 'required', message: 'finalised is missing (it must be true)' });
  }
  else add({ field: 'finalised', rule: 'boolean', message: `finalised must be true or false, found ${JSON.stringify(String(f))}` });

  // Arithmetic only once every box is individually fine (HMRC runs it as a later level too).
  if (problems.some((p) => p.box !== undefined)) return { problems };
  const b = boxes as NineBoxes;
  const sum = b.vatDueSales.add(b.vatDueAcquisitions);
  if (!b.totalVatDue.equals(sum)) {
    add({
      box: 3,
      field: 'totalVatDue',
      rule: 'box3=box1+box2',
      message: `box 3 (totalVatDue) must equal box 1 + box 2 = ${sum.format()}, found ${b.totalVatDue.format()}`,
    });
  }
  const net = b.totalVatDue.subtract(b.vatReclaimedCurrPeriod).abs();
  if (!b.netVatDue.equals(net)) {
    add({
      box: 5,
      field: 'netVatDue',
      rule: 'box5=|box3-box4|',
      message: `box 5 (netVatDue) must equal |box 3 − box 4| = ${net.format()}, found ${b.netVatDue.format()}`,
    });
  }
  if ((options.requireFinalised ?? true) && f !== undefined && !finalised && !problems.some((p) => p.field === 'finalised')) {
    add({
      field: 'finalised',
      rule: 'finalised-true',
      message: 'finalised must be true: HMRC accepts a return only once the legal declaration is confirmed',
    });
  }
  if (problems.length) return { problems };
  return { value: { periodKey: pk as string, ...b, finalised }, problems };
}

/**
 * HMRC's request body as exact JSON text: boxes 1–5 with 2 dp, 6–9 as whole numbers. Built by hand so
 * no amount ever passes through a double.
 */
export function toSubmitBody(ret: VatReturn): string {
  const body: Record<string, unknown> = { periodKey: ret.periodKey };
  for (const spec of BOXES) body[spec.field] = ret[spec.field];
  body.finalised = true;
  return stringifyExact(body);
}

/** Plain JSON-friendly view (amounts as numbers for the API-style output, with text twins for exactness). */
export function toPlain(ret: VatReturn): Record<string, unknown> {
  const out: Record<string, unknown> = { periodKey: ret.periodKey };
  for (const spec of BOXES) out[spec.field] = ret[spec.field].toNumber();
  out.finalised = ret.finalised;
  return out;
}

/** Rows for a human table: box, description, amount. */
export function boxRows(ret: NineBoxes): { box: number; field: BoxField; description: string; amount: string }[] {
  return BOXES.map((spec) => ({
    box: spec.box,
    field: spec.field,
    description: spec.description,
    amount: ret[spec.field].format(spec.kind === 'whole' ? 0 : 2),
  }));
}
