/**
 * HMRC VAT (MTD) API v1.0 calls: obligations, view return, submit, liabilities, payments
 * (https://developer.service.hmrc.gov.uk/api-documentation/docs/api/service/vat-api/1.0). Every call goes through one path (vatCall) that:
 *   - takes base URL, Accept and content type from the web application record;
 *   - refuses a mixed-up setup (see checkSetup);
 *   - asks for fraud-header consent the first time and sends fresh fraud-prevention headers;
 *   - says on stderr which target it hits (production/sandbox/local, host, company, app, VRN);
 *   - binds the token to the first VRN it was used with (`--allow-other-vrn` to override);
 *   - keeps to 3 requests per second per application (HMRC's limit; 429 is retried by the client).
 * Submit is "safe": a `sending` row before the POST, a look-up after a 5xx/timeout, never twice.
 */
import { shellQuote } from '../lib/shell-quote.js';
import { createHash } from 'node:crypto';
import type { Context } from '../context.js';
import { ConflictError, HmrcError, MtdvatError, UsageError, ValidationError } from '../errors.js';
import { getMeta, setMeta } from '../store/db.js';
import { readVrnBinding, setFirstVrn } from '../store/tokens.js';
import { hmrcErrorFrom, hmrcRequest, isOk, parseHmrcError, type HmrcResponse } from '../hmrc/http.js';
import { withAccessToken } from '../auth/access-token.js';
import { loadWebApp, type WebApp } from '../setup/web-app.js';
import { ensureFraudConsent, fraudHeadersFor, type ConsentIo } from '../hmrc/fraud-headers.js';
import { rateKey, takeRateSlot } from '../hmrc/rate-limit.js';
import { BOXES, PERIOD_KEY_PATTERN, toSubmitBody, type VatReturn } from './nine-box.js';
import { Decimal } from '../lib/decimal.js';
import { isVrnFormat } from '../lib/vrn.js';
import { isIsoDate, ukToday } from '../lib/dates.js';
import { parseJsonExact } from '../lib/exact-json.js';
import { claimForSending, getReceipt, recordFiled, updateReceipt, type Receipt } from '../store/vat-receipts.js';

export interface VatTarget {
  ctx: Context;
  appName: string;
  vrn: string;
  /** Gov-Test-Scenario (sandbox/local only). */
  scenario?: string;
  allowOtherVrn?: boolean;
  consent: ConsentIo;
  /** Where "which target" lines go (stderr in the CLI). */
  announce?: (line: string) => void;
  /**
   * An Electronic messages web service (D365 "Web service settings") the request goes to instead of the
   * web application's base URL: its internet address, Accept and content type. It must be on the web
   * application's own origin, because the application's token goes with it.
   */
  service?: { name: string; baseUrl: string; accept?: string; contentType?: string };
}

export function kindLabel(app: WebApp): string {
  return app.kind === 'production' ? 'PRODUCTION (live HMRC)' : app.kind === 'sandbox' ? 'HMRC sandbox' : 'local emulator';
}

/**
 * Setup rules (a production call from a sandbox setup, or the reverse, is refused):
 *   1. `--scenario` (Gov-Test-Scenario) is for the sandbox and the local emulator only.
 *   2. A web application whose name says sandbox/test must not point at HMRC production, and one whose
 *      name says production/live must not point at a sandbox or the emulator.
 *   3. A token stays with the kind and host it was first used against: if the record's base URL is later
 *      changed (say, sandbox → production), calls are refused until you authorize again.
 */
export function checkSetup(ctx: Context, app: WebApp, opts: { scenario?: string; sandboxOnly?: string }): void {
  if (opts.scenario !== undefined && app.kind === 'production') {
    throw new UsageError(`--scenario (Gov-Test-Scenario) is for the sandbox only; web application "${app.name}" points at HMRC production`);
  }
  if (opts.sandboxOnly && app.kind === 'production') {
    throw new UsageError(`${opts.sandboxOnly} exists in HMRC's sandbox only; web application "${app.name}" points at HMRC production`);
  }
  if (app.kind === 'production' && /sandbox|\btest\b/i.test(app.name)) {
    throw new UsageError(
      `web application "${app.name}" is named as a sandbox but its base URL ${app.baseUrl} is HMRC production; fix the base URL (refusing to file live)`,
    );
  }
  if (app.kind !== 'production' && /production|\blive\b/i.test(app.name)) {
    throw new UsageError(`web application "${app.name}" is named as production but its base URL ${app.baseUrl} is not HMRC production`);
  }
  const binding = readVrnBinding(ctx.db, ctx.company, app.name);
  if (!binding) return; // the auth module explains how to authorize
  const key = `vat.token_target:${ctx.company}:${app.name}`;
  const host = new URL(app.baseUrl).host;
  const current = `${binding.grantedAt}|${app.kind}|${host}`;
  const seen = getMeta(ctx.db, key);
  if (seen && seen.split('|')[0] === binding.grantedAt && seen !== current) {
    const [, kind, oldHost] = seen.split('|');
    throw new UsageError(
      `the token of web application "${app.name}" was used with ${kind} (${oldHost}), but the application now points at ${app.kind} (${host}); authorize again with \`mtdvat auth get-authorization-code --app ${shellQuote(app.name)}\``,
    );
  }
  if (seen !== current) setMeta(ctx.db, key, current);
}

// ---------- VRN binding ----------

function vrnBindingKey(ctx: Context, app: string) {
  return `vat.first_vrn_grant:${ctx.company}:${app}`;
}

function checkVrnBinding(ctx: Context, app: string, vrn: string, allowOther: boolean): void {
  const row = readVrnBinding(ctx.db, ctx.company, app);
  if (!row?.firstVrn) return;
  // A new authorization (new granted_at) may be for another business: the old binding no longer applies.
  if (getMeta(ctx.db, vrnBindingKey(ctx, app)) !== row.grantedAt) return;
  if (row.firstVrn !== vrn && !allowOther) {
    throw new UsageError(
      `the token of web application "${app}" was first used with VRN ${row.firstVrn}; HMRC grants tokens per business. ` +
        `Authorize again for VRN ${vrn}, or pass --allow-other-vrn if this token really covers it (e.g. an agent)`,
    );
  }
}

function recordVrn(ctx: Context, app: string, vrn: string): void {
  const row = readVrnBinding(ctx.db, ctx.company, app);
  if (!row) return;
  const key = vrnBindingKey(ctx, app);
  if (row.firstVrn && getMeta(ctx.db, key) === row.grantedAt) return;
  setFirstVrn(ctx.db, ctx.company, app, vrn);
  setMeta(ctx.db, key, row.grantedAt);
}

// ---------- the one call path ----------

export interface VatCall {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | undefined>;
  /** Exact JSON text (submit). */
  body?: string;
  /** What the call does, for the target line. */
  what: string;
  idempotent: boolean;
  timeoutMs?: number;
}

export function checkVrn(vrn: string): void {
  if (!isVrnFormat(vrn)) throw new UsageError(`--vrn must be 9 digits (HMRC's VAT registration number), got "${vrn}"`);
}

function checkScenario(scenario: string | undefined): void {
  if (scenario !== undefined && !/^[A-Z0-9_]{1,80}$/.test(scenario)) {
    throw new UsageError(`--scenario must be an HMRC Gov-Test-Scenario name such as QUARTERLY_ONE_MET, got "${scenario}"`);
  }
}

/** Prepares a target: VRN, app, setup rules, consent. Returns the app (for messages). */
export async function prepareTarget(t: VatTarget): Promise<WebApp> {
  checkVrn(t.vrn);
  checkScenario(t.scenario);
  const app = loadWebApp(t.ctx, t.appName);
  checkSetup(t.ctx, app, { scenario: t.scenario });
  checkVrnBinding(t.ctx, app.name, t.vrn, !!t.allowOtherVrn);
  await ensureFraudConsent(t.ctx, t.consent);
  return app;
}

/** The web application as a web service sees it: same origin (checked), the service's headers. */
function viaService(app: WebApp, service: VatTarget['service']): WebApp {
  if (!service) return app;
  let origin: string;
  try {
    origin = new URL(service.baseUrl).origin;
  } catch {
    throw new ValidationError(`web service "${service.name}": internet address "${service.baseUrl}" is not a valid URL`);
  }
  if (origin !== new URL(app.baseUrl).origin) {
    // The token is the web application's: it may only go to the application's own origin.
    throw new ValidationError(
      `web service "${service.name}": internet address ${service.baseUrl} is not on the origin of its web application "${app.name}" (${app.baseUrl}); the token would leave HMRC's host`,
    );
  }
  return { ...app, baseUrl: service.baseUrl.replace(/\/+$/, ''), accept: service.accept?.trim() || app.accept, contentType: service.contentType?.trim() || app.contentType };
}

export async function vatCall(t: VatTarget, call: VatCall): Promise<HmrcResponse> {
  const app = viaService(await prepareTarget(t), t.service);
  t.announce?.(
    `→ ${kindLabel(app)} ${new URL(app.baseUrl).host} · company ${t.ctx.company} · app "${app.name}" · VRN ${t.vrn}: ${call.what}` +
      (t.scenario ? ` [Gov-Test-Scenario ${t.scenario}]` : ''),
  );
  const response = await withAccessToken(t.ctx, app.name, async (accessToken, fresh) => {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${accessToken}`,
      ...fraudHeadersFor(t.ctx),
    };
    if (t.scenario) headers['Gov-Test-Scenario'] = t.scenario;
    return hmrcRequest(t.ctx, {
      app: viaService(fresh, t.service),
      method: call.method,
      path: call.path,
      query: call.query,
      headers,
      json: call.body,
      idempotent: call.idempotent,
      // A refused connection or a 429 means HMRC never processed the submit: safe to repeat.
      retryUnsent: !call.idempotent,
      timeoutMs: call.timeoutMs,
      auditCategory: 'hmrc',
      auditEvent: `${call.method} ${call.path.replace(t.vrn, '{vrn}')}`,
      beforeSend: () => takeRateSlot(t.ctx.db, rateKey(fresh)),
    });
  });
  if (response.status !== 401 && response.status !== 403) recordVrn(t.ctx, app.name, t.vrn);
  return response;
}

const vrnPath = (vrn: string, rest: string) => `/organisations/vat/${vrn}/${rest}`;

/** Throws one readable HmrcError for any non-2xx answer. */
function ensureOk(response: HmrcResponse, what: string): HmrcResponse {
  if (!isOk(response)) throw hmrcErrorFrom(response, `HMRC refused ${what}`);
  return response;
}

export interface Obligation {
  periodKey: string;
  start: string;
  end: string;
  due: string;
  status: 'O' | 'F';
  received?: string;
}

function checkDate(flag: string, v: string | undefined): void {
  if (v !== undefined && !isIsoDate(v)) throw new UsageError(`${flag} must be a date YYYY-MM-DD, got "${v}"`);
}

export async function getObligations(
  t: VatTarget,
  q: { from?: string; to?: string; status?: string },
): Promise<{ obligations: Obligation[] }> {
  checkDate('--from', q.from);
  checkDate('--to', q.to);
  if (q.status !== undefined && q.status !== 'O' && q.status !== 'F') throw new UsageError(`--status must be O (open) or F (fulfilled), got "${q.status}"`);
  if ((q.from === undefined) !== (q.to === undefined)) throw new UsageError('give both --from and --to, or neither (then --status O)');
  if (q.from === undefined && q.status !== 'O') throw new UsageError('--from and --to are required unless --status O');
  const answer = await vatCall(t, { method: 'GET', path: vrnPath(t.vrn, 'obligations'), query: q, what: 'retrieve obligations', idempotent: true });
  if (isNoData(answer)) return { obligations: [] };
  const r = ensureOk(answer, 'the obligations request');
  const j = (r.json ?? {}) as { obligations?: Obligation[] };
  return { obligations: Array.isArray(j.obligations) ? j.obligations : [] };
}

export interface ViewedReturn {
  /** HMRC's data as sent (numbers as JSON numbers). */
  data: Record<string, unknown>;
  /** The nine boxes as exact decimals (parsed from the raw text). */
  boxes: Record<string, Decimal>;
  periodKey: string;
  /** HMRC's answer exactly as received. */
  bodyText: string;
}

function parseViewed(r: HmrcResponse): ViewedReturn {
  let exact: Record<string, unknown> = {};
  try {
    exact = parseJsonExact(r.bodyText) as Record<string, unknown>;
  } catch {
    // fall back to the plain parse below
  }
  const boxes: Record<string, Decimal> = {};
  for (const b of BOXES) {
    const v = exact[b.field];
    if (v instanceof Decimal) boxes[b.field] = v;
  }
  const data = (r.json ?? {}) as Record<string, unknown>;
  return { data, boxes, periodKey: String(data.periodKey ?? ''), bodyText: r.bodyText };
}

function checkPeriodKey(periodKey: string): void {
  if (!PERIOD_KEY_PATTERN.test(periodKey)) {
    throw new UsageError(`--period-key must be 4 characters from 0-9, A-Z and # (take it from \`mtdvat vat obligations\`), got "${periodKey}"`);
  }
}

/** GET the return; undefined when HMRC has none (any 404: empty body or MATCHING_RESOURCE_NOT_FOUND). */
export async function findReturn(t: VatTarget, periodKey: string): Promise<ViewedReturn | undefined> {
  checkPeriodKey(periodKey);
  const r = await vatCall(t, {
    method: 'GET',
    path: vrnPath(t.vrn, `returns/${encodeURIComponent(periodKey)}`),
    what: `view return ${periodKey}`,
    idempotent: true,
  });
  if (r.status === 404) return undefined;
  ensureOk(r, `the view-return request for period ${periodKey}`);
  return parseViewed(r);
}

export async function viewReturn(t: VatTarget, periodKey: string): Promise<ViewedReturn> {
  const found = await findReturn(t, periodKey);
  if (!found) throw new HmrcError(`HMRC has no return for VRN ${t.vrn} and period ${periodKey} (HTTP 404)`, 404, 'NOT_FOUND');
  return found;
}

/**
 * HMRC answers 404 NOT_FOUND ("no data can be found") when a date range holds nothing: for a caller
 * that is an empty list, not a failure. Any other 404 (no code, another code) stays an error.
 */
function isNoData(response: HmrcResponse): boolean {
  return response.status === 404 && parseHmrcError(response.status, response.json, response.bodyText).code === 'NOT_FOUND';
}

/** A `to` date after today's UK date: HMRC answers a bare DATE_TO_INVALID, so refuse it before sending. */
function checkNotAfterToday(flag: string, date: string): void {
  const today = ukToday();
  if (date > today) throw new UsageError(`${flag} ${date} is after today (${today}, UK time): HMRC only answers for dates up to today`);
}

/** Liabilities and payments are the same call: a dated GET whose answer holds one list under its name. */
async function getDatedList<K extends 'liabilities' | 'payments'>(t: VatTarget, q: { from: string; to: string }, list: K): Promise<Record<K, unknown[]>> {
  checkDate('--from', q.from);
  checkDate('--to', q.to);
  checkNotAfterToday('--to', q.to);
  const r = await vatCall(t, { method: 'GET', path: vrnPath(t.vrn, list), query: q, what: `retrieve ${list}`, idempotent: true });
  if (isNoData(r)) return { [list]: [] } as unknown as Record<K, unknown[]>;
  ensureOk(r, `the ${list} request`);
  const items = ((r.json ?? {}) as Record<string, unknown>)[list];
  return { [list]: Array.isArray(items) ? items : [] } as Record<K, unknown[]>;
}

export function getLiabilities(t: VatTarget, q: { from: string; to: string }): Promise<{ liabilities: unknown[] }> {
  return getDatedList(t, q, 'liabilities');
}

export function getPayments(t: VatTarget, q: { from: string; to: string }): Promise<{ payments: unknown[] }> {
  return getDatedList(t, q, 'payments');
}

// ---------- submit ----------

export class AlreadyFiledError extends ConflictError {
  constructor(
    message: string,
    readonly receipt: Receipt | undefined,
  ) {
    super(message);
  }
}

export interface SubmitResult {
  outcome: 'filed' | 'filed-after-error';
  /** HMRC's answer body (201) when we have it. */
  response?: Record<string, unknown>;
  receipt: Receipt;
  /** For filed-after-error: what went wrong first. */
  note?: string;
  /** HMRC's 201 answer exactly as received. */
  bodyText?: string;
  /** For filed-after-error: HMRC's stored return as the look-up received it. */
  lookupText?: string;
}

export function describeReceipt(r: Receipt | undefined): string {
  if (!r) return 'no receipt is stored locally; `mtdvat vat return` shows what HMRC holds';
  const parts = [
    r.processingDate && `processed ${r.processingDate}`,
    r.formBundleNumber && `form bundle ${r.formBundleNumber}`,
    r.chargeRefNumber && `charge reference ${r.chargeRefNumber}`,
    r.paymentIndicator && `payment ${r.paymentIndicator}`,
    r.receiptId && `receipt ID ${r.receiptId}`,
    r.correlationId && `correlation ID ${r.correlationId}`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : `sent ${r.submittedAt}; HMRC's receipt details were not received`;
}

function isDuplicate(response: HmrcResponse): boolean {
  const p = parseHmrcError(response.status, response.json, response.bodyText);
  return p.code === 'DUPLICATE_SUBMISSION' || p.errors.some((e) => e.code === 'DUPLICATE_SUBMISSION');
}

function sameBoxes(viewed: ViewedReturn, ret: VatReturn): boolean {
  return BOXES.every((b) => viewed.boxes[b.field] && viewed.boxes[b.field].equals(ret[b.field]));
}

export interface SubmitOptions {
  /** Called after the pre-checks, before anything is sent; return false to stop. */
  confirm: () => Promise<boolean>;
  /** Submit timeout (default 30 s). */
  timeoutMs?: number;
  /**
   * The exact request body to send (a generated VAT_return.json). It must be the canonical body of
   * `ret`, so what HMRC receives is byte for byte the file the user generated and saw.
   */
  exactBody?: string;
  /**
   * Send report of an electronic message: when an earlier attempt with this very body (same SHA-256)
   * is filed, or had no known outcome and HMRC holds it, that attempt was this submission — a run
   * killed after sending. Its receipt (or HMRC's stored return) is returned so the message goes on,
   * instead of stopping at "already filed". A different body for the period is still refused.
   */
  resume?: boolean;
}

/**
 * Files a return once. Order: refuse if filed; resolve an earlier unknown outcome by looking it up;
 * confirm; claim the row (`sending`, with the body hash); POST; record the receipt. After a 5xx or a
 * timeout the return is looked up before anything else.
 */
export async function submitReturn(t: VatTarget, ret: VatReturn, options: SubmitOptions): Promise<SubmitResult> {
  const { ctx, vrn } = t;
  const periodKey = ret.periodKey;
  checkPeriodKey(periodKey);
  const app = await prepareTarget(t);
  const body = toSubmitBody(ret);
  if (options.exactBody !== undefined && options.exactBody !== body) {
    throw new ValidationError('the VAT return file to send is not in the form it was generated in; generate it again');
  }
  const bodySha256 = createHash('sha256').update(body).digest('hex');
  const key = { company: ctx.company, vrn, periodKey };

  const existing = getReceipt(ctx.db, ctx.company, vrn, periodKey);
  const sameBody = options.resume === true && existing?.bodySha256 === bodySha256;
  if (existing?.status === 'filed') {
    if (sameBody) {
      const note = 'an earlier run sent this same return and HMRC recorded it (the run ended before it could go on); nothing was sent again';
      if (existing.processingDate) return { outcome: 'filed-after-error', receipt: existing, note, bodyText: receiptBody(existing) };
      const found = await findReturn(t, periodKey);
      if (found) return { outcome: 'filed-after-error', receipt: existing, note, lookupText: found.bodyText };
    }
    throw new AlreadyFiled(vrn, periodKey, existing);
  }
  if (existing && (existing.status === 'sending' || existing.status === 'unknown')) {
    // An earlier attempt ended without a clear answer: ask HMRC before anything else.
    t.announce?.(`An earlier submission of period ${periodKey} (${existing.submittedAt}) has no known outcome; checking with HMRC first.`);
    const found = await findReturn(t, periodKey);
    if (found) {
      updateReceipt(ctx.db, key, { status: 'filed' });
      const receipt = getReceipt(ctx.db, ctx.company, vrn, periodKey)!;
      if (sameBody && sameBoxes(found, ret)) {
        const note = 'an earlier run sent this same return and ended before HMRC answered; HMRC recorded it, so nothing was sent again';
        return { outcome: 'filed-after-error', receipt, note, lookupText: found.bodyText };
      }
      throw new AlreadyFiled(vrn, periodKey, receipt);
    }
    updateReceipt(ctx.db, key, { status: 'failed' });
  }

  if (!(await options.confirm())) throw new UsageError('not submitted: the declaration was not confirmed');

  const claim = claimForSending(ctx.db, { company: ctx.company, app: app.name, vrn, periodKey, bodySha256, at: new Date().toISOString() });
  if (!claim.ok) {
    if (claim.existing.status === 'filed') throw new AlreadyFiled(vrn, periodKey, claim.existing);
    throw new ConflictError(`another mtdvat process is submitting VRN ${vrn} period ${periodKey} right now; wait and run \`mtdvat vat return\` to check`);
  }

  let response: HmrcResponse | undefined;
  let failure: HmrcError | undefined;
  try {
    response = await vatCall(t, {
      method: 'POST',
      path: vrnPath(vrn, 'returns'),
      body,
      what: `SUBMIT return ${periodKey}`,
      idempotent: false,
      timeoutMs: options.timeoutMs,
    });
  } catch (error) {
    if (!(error instanceof HmrcError) || error.status !== undefined) {
      // Not a transport failure (e.g. auth): nothing reached HMRC's VAT service.
      updateReceipt(ctx.db, key, { status: 'failed' });
      throw error;
    }
    failure = error; // timeout / network: outcome unknown
  }

  if (response && response.status === 201) {
    const j = (response.json ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : null);
    updateReceipt(ctx.db, key, {
      status: 'filed',
      processingDate: str(j.processingDate),
      formBundleNumber: str(j.formBundleNumber),
      chargeRefNumber: str(j.chargeRefNumber),
      paymentIndicator: str(j.paymentIndicator),
      correlationId: response.headers['x-correlationid'] ?? null,
      receiptId: response.headers['receipt-id'] ?? null,
    });
    return { outcome: 'filed', response: j, receipt: getReceipt(ctx.db, ctx.company, vrn, periodKey)!, bodyText: response.bodyText };
  }

  if (response && isDuplicate(response)) {
    if (t.scenario) {
      // A canned sandbox answer: nothing was stored, so do not remember the period as filed.
      updateReceipt(ctx.db, key, { status: 'failed' });
      throw new AlreadyFiled(vrn, periodKey, undefined, 'HMRC answered DUPLICATE_SUBMISSION (sandbox scenario)');
    }
    updateReceipt(ctx.db, key, { status: 'filed', correlationId: response.headers['x-correlationid'] ?? null });
    recordFiled(ctx.db, { company: ctx.company, app: app.name, vrn, periodKey, bodySha256, at: new Date().toISOString() });
    throw new AlreadyFiled(vrn, periodKey, getReceipt(ctx.db, ctx.company, vrn, periodKey), 'HMRC answered DUPLICATE_SUBMISSION');
  }

  if (response && response.status < 500) {
    updateReceipt(ctx.db, key, { status: 'failed' });
    throw hmrcErrorFrom(response, 'HMRC rejected the return');
  }

  // 5xx or timeout: HMRC may have stored it anyway (hmrc/vat-api#697). Look it up before anything else.
  const first = failure ? failure.message : hmrcErrorFrom(response!, 'HMRC answered the submit with an error').message;
  updateReceipt(ctx.db, key, { status: 'unknown', correlationId: response?.headers['x-correlationid'] ?? null });
  t.announce?.(`${first}. Checking with HMRC whether the return was recorded…`);
  let found: ViewedReturn | undefined;
  try {
    found = await findReturn(t, periodKey);
  } catch (error) {
    throw new HmrcError(
      `${first}; checking whether HMRC recorded the return also failed (${(error as Error).message}). The outcome is unknown: ` +
        `run the same \`mtdvat vat submit\` again later — it checks with HMRC first and never sends twice`,
      (error as HmrcError).status,
      'SUBMIT_OUTCOME_UNKNOWN',
    );
  }
  if (found) {
    updateReceipt(ctx.db, key, { status: 'filed' });
    const note = sameBoxes(found, ret)
      ? `${first}; HMRC did record the return (its figures match yours)`
      : `${first}; HMRC holds a return for this period, but its figures differ from this file — check with \`mtdvat vat return\``;
    return { outcome: 'filed-after-error', receipt: getReceipt(ctx.db, ctx.company, vrn, periodKey)!, note, lookupText: found.bodyText };
  }
  updateReceipt(ctx.db, key, { status: 'failed' });
  throw new HmrcError(`${first}; HMRC has not recorded the return, so it was NOT filed. It is safe to submit again.`, response?.status, 'SUBMIT_FAILED');
}

/** HMRC's submit answer rebuilt from a stored receipt (the run that received it ended before saving it elsewhere). */
function receiptBody(r: Receipt): string {
  const body: Record<string, string> = {};
  if (r.processingDate) body.processingDate = r.processingDate;
  if (r.formBundleNumber) body.formBundleNumber = r.formBundleNumber;
  if (r.paymentIndicator) body.paymentIndicator = r.paymentIndicator;
  if (r.chargeRefNumber) body.chargeRefNumber = r.chargeRefNumber;
  return JSON.stringify(body);
}

class AlreadyFiled extends AlreadyFiledError {
  constructor(vrn: string, periodKey: string, receipt: Receipt | undefined, why?: string) {
    super(`already filed: the VAT return for VRN ${vrn} period ${periodKey} is already at HMRC${why ? ` (${why})` : ''}; ${describeReceipt(receipt)}`, receipt);
  }
}
