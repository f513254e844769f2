/**
 * VAT (MTD) API v1.0 routes (https://developer.service.hmrc.gov.uk/api-documentation/docs/api/service/vat-api/1.0). Validation order and error bodies follow
 * HMRC's service *code* (https://github.com/hmrc/vat-api), not the OpenAPI examples: legacy `{statusCode,message}` bodies for date
 * errors, `INVALID_REQUEST` envelopes for body errors, `BUSINESS_ERROR` for NOT_FINALISED/duplicates.
 * Order inside each handler: (body parse) → VRN format → enrolment → parameters/body → scenario → data.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { addDays, addMonths, addYears, isoDate, isoMillis, isoSeconds, parseIsoDate, utcMidnight } from './dates.js';
import { type Ctx, header, sendEmpty, sendJson } from './http.js';
import { Decimal } from '../lib/decimal.js';
import { isJsonObject, type JsonValue, parseJsonExact } from '../lib/exact-json.js';
import type { AccessTokenRecord, SandboxState } from './state.js';
import { isVrnFormat } from '../lib/vrn.js';

const VRN_INVALID = { code: 'VRN_INVALID', message: 'The provided VRN is invalid' };
const NOT_AUTHORISED = { code: 'CLIENT_OR_AGENT_NOT_AUTHORISED', message: 'The client and/or agent is not authorised.' };
const INSOLVENT = { code: 'RULE_INSOLVENT_TRADER', message: 'The remote endpoint has indicated that the Trader is insolvent' };
const NOT_FOUND = { code: 'NOT_FOUND', message: 'The remote endpoint has indicated that no data can be found' };
const BAD_SCENARIO = { code: 'RULE_INCORRECT_GOV_TEST_SCENARIO', message: 'The Gov-Test-Scenario was not found' };
const INTERNAL = { code: 'INTERNAL_SERVER_ERROR', message: 'An internal server error occurred' };
const PERIOD_KEY = /^[#0-9A-Z]{4}$/;

const legacy = (message: string) => ({ statusCode: 400, message });

/** Known Gov-Test-Scenario values per endpoint (https://developer.service.hmrc.gov.uk/api-documentation/docs/api/service/vat-api/1.0). "DEFAULT" is accepted everywhere. */
const OBLIGATION_SCENARIOS = new Set([
  'DEFAULT',
  'QUARTERLY_NONE_MET',
  'QUARTERLY_ONE_MET',
  'QUARTERLY_TWO_MET',
  'QUARTERLY_THREE_MET',
  'QUARTERLY_FOUR_MET',
  'MONTHLY_NONE_MET',
  'MONTHLY_ONE_MET',
  'MONTHLY_TWO_MET',
  'MONTHLY_THREE_MET',
  ...Array.from({ length: 12 }, (_, i) => `MONTHLY_OBS_${String(i + 1).padStart(2, '0')}_OPEN`),
  'MONTHLY_OBS_12_FULFILLED',
  ...Array.from({ length: 4 }, (_, i) => `QUARTERLY_OBS_0${i + 1}_OPEN`),
  'QUARTERLY_OBS_04_FULFILLED',
  'MULTIPLE_OPEN_MONTHLY',
  'MULTIPLE_OPEN_QUARTERLY',
  'OBS_SPANS_MULTIPLE_YEARS',
  'INSOLVENT_TRADER',
  'NOT_FOUND',
]);
const SUBMIT_SCENARIOS = new Set([
  'DEFAULT',
  'INVALID_VRN',
  'INVALID_PERIODKEY',
  'INVALID_PAYLOAD',
  'DUPLICATE_SUBMISSION',
  'TAX_PERIOD_NOT_ENDED',
  'INSOLVENT_TRADER',
]);
const VIEW_SCENARIOS = new Set(['DEFAULT', 'DATE_RANGE_TOO_LARGE', 'INSOLVENT_TRADER']);
const LIABILITY_SCENARIOS = new Set([
  'DEFAULT',
  'SINGLE_LIABILITY',
  'MULTIPLE_LIABILITIES',
  'SINGLE_LIABILITY_2018_19',
  'MULTIPLE_LIABILITIES_2018_19',
  'INSOLVENT_TRADER',
]);
const PAYMENT_SCENARIOS = new Set([
  'DEFAULT',
  'SINGLE_PAYMENT',
  'MULTIPLE_PAYMENTS',
  'SINGLE_PAYMENT_2018_19',
  'MULTIPLE_PAYMENTS_2018_19',
  'INSOLVENT_TRADER',
]);

/** Reads Gov-Test-Scenario; sends 400 and returns null when it is unknown for this endpoint. */
function scenario(ctx: Ctx, known: Set<string>, headers: Record<string, string> = {}): string | undefined | null {
  const value = header(ctx, 'gov-test-scenario')?.trim();
  if (!value) return undefined;
  if (!known.has(value)) {
    sendJson(ctx, 400, BAD_SCENARIO, headers);
    return null;
  }
  return value === 'DEFAULT' ? undefined : value;
}

/** VRN format, then the token user's enrolment (HMRC-MTD-VAT with this VRN). Sends the error and returns false. */
function vrnAndEnrolment(ctx: Ctx, token: AccessTokenRecord, vrn: string, headers: Record<string, string> = {}): boolean {
  if (!isVrnFormat(vrn)) {
    sendJson(ctx, 400, VRN_INVALID, headers);
    return false;
  }
  const user = token.userId ? ctx.state.users.get(token.userId) : undefined;
  if (!user || user.vrn !== vrn) {
    sendJson(ctx, 403, NOT_AUTHORISED, headers);
    return false;
  }
  return true;
}

// ---------- obligations ----------

interface Obligation {
  periodKey: string;
  start: string;
  end: string;
  due: string;
  status: 'O' | 'F';
  received?: string;
}

/**
 * One month and seven days after the period end (HMRC's obligations). For a month-end period the month step lands on
 * the next month's end (30 June → 31 July → 7 August), which is what HMRC's data shows.
 */
function dueDate(endMs: number): number {
  const d = new Date(endMs);
  const monthEnd = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate() === d.getUTCDate();
  const plusMonth = monthEnd ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 2, 0) : addMonths(endMs, 1);
  return addDays(plusMonth, 7);
}

function obligation(periodKey: string, startMs: number, endMs: number, received?: number): Obligation {
  const o: Obligation = {
    periodKey,
    start: isoDate(startMs),
    end: isoDate(endMs),
    due: isoDate(dueDate(endMs)),
    status: received === undefined ? 'O' : 'F',
  };
  if (received !== undefined) o.received = isoDate(received);
  return o;
}

/**
 * Default data: calendar quarters, the four that ended most recently plus the current one (software
 * "only sees the next one ahead"). Keys are `YY` + `A` + quarter (e.g. 25A3). A period is fulfilled once
 * a return with its key is stored here — unlike HMRC's stateless stub, so the local flow is coherent.
 */
export function defaultObligations(state: SandboxState, vrn: string): Obligation[] {
  const today = new Date(state.clock.now());
  const year = today.getUTCFullYear();
  const q = Math.floor(today.getUTCMonth() / 3);
  const out: Obligation[] = [];
  for (let back = 4; back >= 0; back--) {
    const idx = year * 4 + q - back;
    const y = Math.floor(idx / 4);
    const qi = idx % 4;
    const start = Date.UTC(y, qi * 3, 1);
    const end = Date.UTC(y, qi * 3 + 3, 0);
    const key = `${String(y % 100).padStart(2, '0')}A${qi + 1}`;
    const stored = state.returns.get(`${vrn}|${key}`);
    out.push(obligation(key, start, end, stored?.receivedAt));
  }
  return out;
}

const MONTH_KEYS = 'ABCDEFGHIJKL';

function quarters2018(n: number, met: number): Obligation[] {
  return Array.from({ length: n }, (_, i) => {
    const start = Date.UTC(2018, i * 3, 1);
    const end = Date.UTC(2018, i * 3 + 3, 0);
    return obligation(`18A${i + 1}`, start, end, i < met ? addDays(dueDate(end), -1) : undefined);
  });
}

function months2018(n: number, met: number): Obligation[] {
  return Array.from({ length: n }, (_, i) => {
    const start = Date.UTC(2018, i, 1);
    const end = Date.UTC(2018, i + 1, 0);
    return obligation(`18A${MONTH_KEYS[i]}`, start, end, i < met ? addDays(dueDate(end), -1) : undefined);
  });
}

/** Canned obligations per scenario (HMRC does not publish its data; these are plausible 2018 sets). */
function scenarioObligations(s: string): Obligation[] {
  const count: Record<string, number> = { NONE: 0, ONE: 1, TWO: 2, THREE: 3, FOUR: 4 };
  let m: RegExpExecArray | null;
  if ((m = /^QUARTERLY_(NONE|ONE|TWO|THREE|FOUR)_MET$/.exec(s))) return quarters2018(4, count[m[1]]);
  if ((m = /^MONTHLY_(NONE|ONE|TWO|THREE)_MET$/.exec(s))) return months2018(3, count[m[1]]);
  if ((m = /^MONTHLY_OBS_(\d\d)_OPEN$/.exec(s))) return months2018(Number(m[1]), Number(m[1]) - 1);
  if (s === 'MONTHLY_OBS_12_FULFILLED') return months2018(12, 12);
  if ((m = /^QUARTERLY_OBS_(\d\d)_OPEN$/.exec(s))) return quarters2018(Number(m[1]), Number(m[1]) - 1);
  if (s === 'QUARTERLY_OBS_04_FULFILLED') return quarters2018(4, 4);
  if (s === 'MULTIPLE_OPEN_MONTHLY') return months2018(2, 0);
  if (s === 'MULTIPLE_OPEN_QUARTERLY') return quarters2018(2, 0);
  // OBS_SPANS_MULTIPLE_YEARS
  return [
    obligation('18A4', Date.UTC(2018, 9, 1), Date.UTC(2018, 11, 31), Date.UTC(2019, 1, 6)),
    obligation('19A1', Date.UTC(2019, 0, 1), Date.UTC(2019, 2, 31)),
  ];
}

/** Parameter checks in ObligationsValidator order; returns the legacy error message or undefined. */
function obligationParamError(q: URLSearchParams): string | undefined {
  const from = q.get('from');
  const to = q.get('to');
  const status = q.get('status');
  if (from === null && to === null) {
    if (status === null) return 'INVALID_DATE_FROM';
    if (status === 'O') return undefined;
    if (status === 'F') return 'MISSING_DATE_RANGE';
    return 'INVALID_STATUS';
  }
  if (to === null) return 'INVALID_DATE_TO';
  if (from === null) return 'INVALID_DATE_FROM';
  const f = parseIsoDate(from);
  if (f === undefined) return 'INVALID_DATE_FROM';
  const t = parseIsoDate(to);
  if (t === undefined) return 'INVALID_DATE_TO';
  if (status !== null && status !== 'O' && status !== 'F') return 'INVALID_STATUS';
  if (f >= t || t > addYears(f, 1)) return 'INVALID_DATE_RANGE';
  return undefined;
}

export function handleObligations(ctx: Ctx, token: AccessTokenRecord, vrn: string): void {
  if (!vrnAndEnrolment(ctx, token, vrn)) return;
  const q = ctx.url.searchParams;
  const paramError = obligationParamError(q);
  if (paramError) return sendJson(ctx, 400, legacy(paramError));
  const s = scenario(ctx, OBLIGATION_SCENARIOS);
  if (s === null) return;
  if (s === 'INSOLVENT_TRADER') return sendJson(ctx, 403, INSOLVENT);
  if (s === 'NOT_FOUND') return sendJson(ctx, 404, NOT_FOUND);
  const status = q.get('status');
  let list: Obligation[];
  if (s) list = scenarioObligations(s); // canned data ignores the dates, like HMRC's stub
  else {
    list = defaultObligations(ctx.state, vrn);
    const from = q.get('from');
    const to = q.get('to');
    if (from !== null && to !== null) list = list.filter((o) => o.start <= to && o.end >= from);
  }
  if (status) list = list.filter((o) => o.status === status);
  if (list.length === 0) return sendJson(ctx, 404, NOT_FOUND);
  sendJson(ctx, 200, { obligations: list });
}

// ---------- submit return ----------

type FieldKind = 'periodKey' | 'money' | 'net' | 'whole' | 'bool';

/** The 11 fields in HMRC's declaration order. */
export const RETURN_FIELDS: [string, FieldKind][] = [
  ['periodKey', 'periodKey'],
  ['vatDueSales', 'money'],
  ['vatDueAcquisitions', 'money'],
  ['totalVatDue', 'money'],
  ['vatReclaimedCurrPeriod', 'money'],
  ['netVatDue', 'net'],
  ['totalValueSalesExVAT', 'whole'],
  ['totalValuePurchasesExVAT', 'whole'],
  ['totalValueGoodsSuppliedExVAT', 'whole'],
  ['totalAcquisitionsExVAT', 'whole'],
  ['finalised', 'bool'],
];

/**
 * The emulator's request-body limits (its own, looser than the CLI's file reader): the exponent bound
 * keeps a hostile `1e999999999` from stalling scale alignment; no BOM, as Play's parser refuses one.
 */
export const EMULATOR_JSON_LIMITS = { maxDepth: 200, maxExponent: 10_000, allowBom: false };

const D = (s: string) => Decimal.parse(s);
const MONEY_MIN = D('-9999999999999.99');
const MONEY_MAX = D('9999999999999.99');
const NET_MIN = D('0');
const NET_MAX = D('99999999999.99');
const WHOLE_MIN = D('-9999999999999');
const WHOLE_MAX = D('9999999999999');
const MSG_MONEY =
  'amount should be a monetary value (to 2 decimal places), between -9,999,999,999,999.99 and 9,999,999,999,999.99';
const MSG_NET = 'amount should be a monetary value (to 2 decimal places), between 0 and 99,999,999,999.99';
const MSG_WHOLE = 'The value must be between -9999999999999 and 9999999999999';

interface FieldError {
  code: string;
  message: string;
  path: string;
}

const inRange = (v: Decimal, min: Decimal, max: Decimal) => v.compare(min) >= 0 && v.compare(max) <= 0;

/** Level 2 of SubmitReturnValidator: per-field type, format and range checks, all collected. */
export function fieldErrors(body: JsonValue): FieldError[] {
  const obj = isJsonObject(body) ? body : {};
  const errors: FieldError[] = [];
  for (const [name, kind] of RETURN_FIELDS) {
    const path = `/${name}`;
    const v = obj[name];
    const add = (code: string, message: string) => {
      if (!errors.some((e) => e.code === code && e.path === path)) errors.push({ code, message, path });
    };
    if (v === undefined) {
      add('MANDATORY_FIELD_MISSING', 'a mandatory field is missing');
      continue;
    }
    if (kind === 'periodKey') {
      if (typeof v !== 'string') add('INVALID_STRING_VALUE', 'please provide a string field');
      else if (!PERIOD_KEY.test(v)) add('PERIOD_KEY_INVALID', 'period key should be a 4 character string');
      continue;
    }
    if (kind === 'bool') {
      if (typeof v !== 'boolean') add('UNMAPPED_PLAY_ERROR', 'error.expected.jsboolean');
      continue;
    }
    if (!(v instanceof Decimal)) {
      add('INVALID_NUMERIC_VALUE', 'please provide a numeric field');
      continue;
    }
    if (kind === 'money') {
      // Scale as written: 1.000 has scale 3 and fails, 1.00 passes (BigDecimal.scale > 2).
      if (v.decimalPlaces > 2 || !inRange(v, MONEY_MIN, MONEY_MAX)) add('INVALID_MONETARY_AMOUNT', MSG_MONEY);
    } else if (kind === 'net') {
      if (v.decimalPlaces > 2 || !inRange(v, NET_MIN, NET_MAX)) add('INVALID_MONETARY_AMOUNT', MSG_NET);
    } else if (!v.isWhole || !inRange(v, WHOLE_MIN, WHOLE_MAX)) add('INVALID_MONETARY_AMOUNT', MSG_WHOLE);
  }
  return errors;
}

/** Level 3: exact decimal arithmetic on boxes 3 and 5. */
export function arithmeticErrors(boxes: Record<string, Decimal>): FieldError[] {
  const errors: FieldError[] = [];
  if (boxes.totalVatDue.compare(boxes.vatDueSales.add(boxes.vatDueAcquisitions)) !== 0) {
    errors.push({
      code: 'VAT_TOTAL_VALUE',
      message: 'totalVatDue should be equal to vatDueSales + vatDueAcquisitions',
      path: '/totalVatDue',
    });
  }
  if (boxes.netVatDue.compare(boxes.totalVatDue.subtract(boxes.vatReclaimedCurrPeriod).abs()) !== 0) {
    errors.push({
      code: 'VAT_NET_VALUE',
      message:
        'netVatDue should be the difference between the largest and the smallest values among totalVatDue and vatReclaimedCurrPeriod',
      path: '/netVatDue',
    });
  }
  return errors;
}

const invalidRequest = (errors: FieldError[]) => ({ code: 'INVALID_REQUEST', message: 'Invalid request', errors });
const businessError = (errors: { code: string; message: string; path?: string }[]) => ({
  code: 'BUSINESS_ERROR',
  message: 'Business validation error',
  errors,
});

function randomDigits(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(randomInt(0, 10));
  return s;
}

function chargeRef(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 16; i++) s += alphabet[randomInt(0, alphabet.length)];
  return s;
}

export async function handleSubmitReturn(ctx: Ctx, token: AccessTokenRecord, vrn: string): Promise<void> {
  const state = ctx.state;
  state.counters.submitAttempts++;
  const now = state.clock.now();
  // HMRC sends Receipt-ID/Receipt-Timestamp on this endpoint's error responses too.
  const receipt: Record<string, string> = { 'Receipt-ID': randomUUID(), 'Receipt-Timestamp': isoSeconds(now) };

  // Level 0: Play's JSON body parser runs before anything else.
  const ct = (header(ctx, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (ct !== 'application/json' && ct !== 'text/json') {
    return sendJson(ctx, 415, { code: 'INVALID_BODY_TYPE', message: 'Expecting text/json or application/json body' }, receipt);
  }
  let body: JsonValue;
  try {
    body = parseJsonExact(ctx.body, EMULATOR_JSON_LIMITS);
  } catch {
    return sendJson(ctx, 400, legacy('Invalid Json'), receipt);
  }
  if (!vrnAndEnrolment(ctx, token, vrn, receipt)) return;

  const fErrors = fieldErrors(body);
  if (fErrors.length) return sendJson(ctx, 400, invalidRequest(fErrors), receipt);
  const obj = body as Record<string, JsonValue>;
  const boxes: Record<string, Decimal> = {};
  for (const [name, kind] of RETURN_FIELDS) if (kind !== 'periodKey' && kind !== 'bool') boxes[name] = obj[name] as Decimal;
  const aErrors = arithmeticErrors(boxes);
  if (aErrors.length) return sendJson(ctx, 400, invalidRequest(aErrors), receipt);
  if (obj.finalised !== true) {
    return sendJson(
      ctx,
      403,
      businessError([
        { code: 'NOT_FINALISED', message: 'The return cannot be accepted without a declaration it is finalised.', path: '/finalised' },
      ]),
      receipt,
    );
  }

  const s = scenario(ctx, SUBMIT_SCENARIOS, receipt);
  if (s === null) return;
  const periodKey = obj.periodKey as string;
  const duplicate = businessError([
    { code: 'DUPLICATE_SUBMISSION', message: 'The VAT return was already submitted for the given period.' },
  ]);
  switch (s) {
    case 'INVALID_VRN':
      return sendJson(ctx, 400, VRN_INVALID, receipt);
    case 'INVALID_PERIODKEY':
      return sendJson(ctx, 400, { code: 'PERIOD_KEY_INVALID', message: 'Invalid period key' }, receipt);
    case 'INVALID_PAYLOAD':
      return sendJson(ctx, 400, { code: 'INVALID_REQUEST', message: 'Invalid request' }, receipt);
    case 'DUPLICATE_SUBMISSION':
      return sendJson(ctx, 403, duplicate, receipt);
    case 'TAX_PERIOD_NOT_ENDED':
      return sendJson(
        ctx,
        403,
        {
          code: 'TAX_PERIOD_NOT_ENDED',
          message: 'The remote endpoint has indicated that the submission is for a tax period that has not ended',
        },
        receipt,
      );
    case 'INSOLVENT_TRADER':
      return sendJson(ctx, 403, INSOLVENT, receipt);
  }

  const delay = state.takeFault('submit-delay');
  const hold = async () => {
    state.counters.submitsHeld++;
    try {
      // unref: a pending delay must not keep the process (or a test run) alive after close().
      await new Promise((resolve) => setTimeout(resolve, delay!.delayMs).unref());
    } finally {
      state.counters.submitsHeld--;
    }
  };
  if (delay && delay.stage !== 'after-store') await hold();

  const key = `${vrn}|${periodKey}`;
  if (state.returns.has(key)) return sendJson(ctx, 403, duplicate, receipt);
  state.returns.set(key, { periodKey, boxes, receivedAt: now });
  if (delay?.stage === 'after-store') await hold();

  // Faults fire after the store, like HMRC incident I32 (a retry then sees DUPLICATE_SUBMISSION).
  if (state.takeFault('submit-500-after-store')) return sendJson(ctx, 500, INTERNAL, receipt);
  const timeout = state.takeFault('submit-timeout-after-store');
  if (timeout) {
    // unref: a pending fault must not keep the process (or a test run) alive after close().
    await new Promise((resolve) => setTimeout(resolve, timeout.delayMs).unref());
    if (ctx.res.destroyed || ctx.res.writableEnded) return;
    return sendJson(ctx, 504, { code: 'GATEWAY_TIMEOUT', message: 'Gateway Timeout' }, receipt);
  }

  const debit = boxes.totalVatDue.compare(boxes.vatReclaimedCurrPeriod) > 0;
  const response: Record<string, string> = {
    processingDate: isoMillis(now),
    formBundleNumber: randomDigits(12),
    paymentIndicator: debit ? 'DD' : 'BANK',
  };
  if (debit) response.chargeRefNumber = chargeRef();
  sendJson(ctx, 201, response, { ...receipt, 'Receipt-Signature': 'This has been deprecated - DO NOT USE' });
}

// ---------- view return ----------

export function handleViewReturn(ctx: Ctx, token: AccessTokenRecord, vrn: string, rawPeriodKey: string): void {
  if (!vrnAndEnrolment(ctx, token, vrn)) return;
  let periodKey: string;
  try {
    periodKey = decodeURIComponent(rawPeriodKey);
  } catch {
    periodKey = rawPeriodKey;
  }
  if (!PERIOD_KEY.test(periodKey)) {
    return sendJson(ctx, 400, { code: 'INVALID_REQUEST', message: 'Invalid request', errors: [{ code: 'PERIOD_KEY_INVALID', message: 'Invalid period key' }] });
  }
  const s = scenario(ctx, VIEW_SCENARIOS);
  if (s === null) return;
  if (s === 'DATE_RANGE_TOO_LARGE') {
    return sendJson(
      ctx,
      403,
      businessError([
        {
          code: 'DATE_RANGE_TOO_LARGE',
          message: 'The date of the requested return cannot be further than four years from the current date.',
        },
      ]),
    );
  }
  if (s === 'INSOLVENT_TRADER') return sendJson(ctx, 403, INSOLVENT);
  const stored = ctx.state.returns.get(`${vrn}|${periodKey}`);
  // HMRC's code answers "not found" with an empty 404 and no Content-Type (https://github.com/hmrc/vat-api).
  if (!stored) return sendEmpty(ctx, 404);
  sendJson(ctx, 200, { periodKey, ...stored.boxes });
}

// ---------- liabilities and payments ----------

const MTD_START = Date.UTC(2016, 3, 6); // mtd-date in vat-api's application.conf

function financialDateError(ctx: Ctx): string | undefined {
  const q = ctx.url.searchParams;
  const from = parseIsoDate(q.get('from'));
  if (from === undefined || from < MTD_START) return 'DATE_FROM_INVALID';
  const to = parseIsoDate(q.get('to'));
  if (to === undefined || to > utcMidnight(ctx.state.clock.now())) return 'DATE_TO_INVALID';
  if (from >= to || to > addDays(addYears(from, 1), -1)) return 'DATE_RANGE_INVALID';
  return undefined;
}

const LIABILITY_DATA: Record<string, unknown[]> = {
  SINGLE_LIABILITY: [
    { taxPeriod: { from: '2017-01-01', to: '2017-02-01' }, type: 'VAT Return Debit Charge', originalAmount: 463872, outstandingAmount: 463872, due: '2017-03-08' },
  ],
  MULTIPLE_LIABILITIES: [
    { taxPeriod: { from: '2017-04-01', to: '2017-06-30' }, type: 'VAT Return Debit Charge', originalAmount: 463872, outstandingAmount: 463872, due: '2017-08-07' },
    { taxPeriod: { from: '2017-07-01', to: '2017-09-30' }, type: 'VAT Return Debit Charge', originalAmount: 15, outstandingAmount: 15, due: '2017-11-07' },
    { taxPeriod: { from: '2017-10-01', to: '2017-12-20' }, type: 'VAT Officer Assessment', originalAmount: 8493.38, outstandingAmount: 7493.38, due: '2018-02-07' },
  ],
  SINGLE_LIABILITY_2018_19: [
    { taxPeriod: { from: '2018-01-01', to: '2018-02-01' }, type: 'VAT Return Debit Charge', originalAmount: 463872, outstandingAmount: 463872, due: '2018-03-08' },
  ],
  MULTIPLE_LIABILITIES_2018_19: [
    { taxPeriod: { from: '2018-04-01', to: '2018-06-30' }, type: 'VAT Return Debit Charge', originalAmount: 463872, outstandingAmount: 463872, due: '2018-08-07' },
    { taxPeriod: { from: '2018-07-01', to: '2018-09-30' }, type: 'VAT Return Debit Charge', originalAmount: 15, outstandingAmount: 0, due: '2018-11-07' },
    { taxPeriod: { from: '2018-10-01', to: '2018-12-20' }, type: 'VAT Central Assessment', originalAmount: 8493.38, outstandingAmount: 8493.38, due: '2019-02-07' },
  ],
};

const PAYMENT_DATA: Record<string, unknown[]> = {
  SINGLE_PAYMENT: [{ amount: 100.2, received: '2017-02-01' }],
  MULTIPLE_PAYMENTS: [
    { amount: 5, received: '2017-02-28' },
    { amount: 50, received: '2017-03-25' },
    { amount: 1000, received: '2017-11-11' },
  ],
  SINGLE_PAYMENT_2018_19: [{ amount: 100.2, received: '2018-02-01' }],
  MULTIPLE_PAYMENTS_2018_19: [
    { amount: 5, received: '2018-02-28' },
    { amount: 50, received: '2018-03-25' },
    { amount: 1000, received: '2018-11-11' },
  ],
};

function financial(ctx: Ctx, token: AccessTokenRecord, vrn: string, kind: 'liabilities' | 'payments'): void {
  if (!vrnAndEnrolment(ctx, token, vrn)) return;
  const dateError = financialDateError(ctx);
  if (dateError) return sendJson(ctx, 400, legacy(dateError));
  const s = scenario(ctx, kind === 'liabilities' ? LIABILITY_SCENARIOS : PAYMENT_SCENARIOS);
  if (s === null) return;
  if (s === 'INSOLVENT_TRADER') return sendJson(ctx, 403, INSOLVENT);
  let data: unknown[];
  if (s) data = (kind === 'liabilities' ? LIABILITY_DATA : PAYMENT_DATA)[s]; // canned data ignores the dates
  else {
    // No scenario: what was filed here (and the configured payments), inside the asked range.
    const from = ctx.url.searchParams.get('from')!;
    const to = ctx.url.searchParams.get('to')!;
    data =
      kind === 'liabilities'
        ? liabilitiesOf(ctx.state, vrn).filter((l) => l.taxPeriod.to >= from && l.taxPeriod.to <= to)
        : paymentsOf(ctx.state, vrn).filter((p) => p.received >= from && p.received <= to);
  }
  // HMRC answers an empty range with 404 NOT_FOUND.
  if (!data.length) return sendJson(ctx, 404, NOT_FOUND);
  sendJson(ctx, 200, { [kind]: data });
}

interface Liability {
  taxPeriod: { from: string; to: string };
  type: string;
  originalAmount: number;
  outstandingAmount: number;
  due: string;
}

/**
 * The period a key stands for: `YYA1`–`YYA4` are calendar quarters (defaultObligations), `YYAA`–`YYAL`
 * months; any other key is taken as the quarter before the return was received.
 */
function periodOf(periodKey: string, receivedAt: number): { start: number; end: number } {
  let m = /^(\d\d)A([1-4])$/.exec(periodKey);
  if (m) {
    const y = 2000 + Number(m[1]);
    const q = Number(m[2]) - 1;
    return { start: Date.UTC(y, q * 3, 1), end: Date.UTC(y, q * 3 + 3, 0) };
  }
  m = /^(\d\d)A([A-L])$/.exec(periodKey);
  if (m) {
    const y = 2000 + Number(m[1]);
    const mo = MONTH_KEYS.indexOf(m[2]);
    return { start: Date.UTC(y, mo, 1), end: Date.UTC(y, mo + 1, 0) };
  }
  const d = new Date(receivedAt);
  const q = Math.floor(d.getUTCMonth() / 3) - 1;
  return { start: Date.UTC(d.getUTCFullYear(), q * 3, 1), end: Date.UTC(d.getUTCFullYear(), q * 3 + 3, 0) };
}

/** Configured payments for a VRN, received up to the emulator's today. */
function paymentsOf(state: SandboxState, vrn: string): { amount: number; received: string }[] {
  const today = isoDate(state.clock.now());
  return state.payments
    .filter((p) => p.vrn === vrn && p.received <= today)
    .map((p) => ({ amount: p.amount, received: p.received }))
    .sort((a, b) => a.received.localeCompare(b.received));
}

/**
 * One "VAT Return Debit Charge" per filed return with VAT to pay (box 3 above box 4), outstanding until
 * paid: the configured payments settle the oldest charge first.
 */
export function liabilitiesOf(state: SandboxState, vrn: string): Liability[] {
  const charges = state
    .storedReturnsFor(vrn)
    .filter((r) => r.boxes.totalVatDue.compare(r.boxes.vatReclaimedCurrPeriod) > 0)
    .map((r) => {
      const { start, end } = periodOf(r.periodKey, r.receivedAt);
      return { start, end, pence: r.boxes.netVatDue.toPence() };
    })
    .sort((a, b) => a.end - b.end);
  let paid = paymentsOf(state, vrn).reduce((n, p) => n + Decimal.parse(String(p.amount)).toPence(), 0n);
  return charges.map((c) => {
    const settled = paid < c.pence ? paid : c.pence;
    paid -= settled;
    return {
      taxPeriod: { from: isoDate(c.start), to: isoDate(c.end) },
      type: 'VAT Return Debit Charge',
      originalAmount: Decimal.fromPence(c.pence).toNumber(),
      outstandingAmount: Decimal.fromPence(c.pence - settled).toNumber(),
      due: isoDate(dueDate(c.end)),
    };
  });
}

export function handleLiabilities(ctx: Ctx, token: AccessTokenRecord, vrn: string): void {
  financial(ctx, token, vrn, 'liabilities');
}

export function handlePayments(ctx: Ctx, token: AccessTokenRecord, vrn: string): void {
  financial(ctx, token, vrn, 'payments');
}
