/**
 * Executable classes of the UK MTD VAT setup, as built-in handlers keyed by the imported class name
 * (Microsoft Learn, emea-gbr-mtd-vat-frequently-asked-questions, "404"). The request's URL, method,
 * Accept, content type and successful response code come from the action's web service; the token from
 * that web service's web application. Every call goes through vat/'s one HMRC call path (fraud headers,
 * rate limit, token refresh, safe submit).
 */
import { shellQuote } from '../lib/shell-quote.js';
import { HmrcError, ValidationError } from '../errors.js';
import { kindOfBaseUrl, type WebAppKind } from '../setup/web-app.js';
import { parseHmrcError } from '../hmrc/http.js';
import { AlreadyFiledError, submitReturn, vatCall, type VatTarget } from '../vat/vat.js';
import type { ConsentIo } from '../hmrc/fraud-headers.js';
import { buildReturn, boxRows, LEGAL_DECLARATION } from '../vat/nine-box.js';
import { parseJsonExact } from '../lib/exact-json.js';
import { attachmentContent, lastAttachment } from '../store/em.js';
import { createHash } from 'node:crypto';
import { RefusedError, outcomeOfHttp } from './engine.js';
import { FORMAT, interoperationPath } from './formats.js';
import { normaliseVrn } from './messages.js';
import { PERIOD_KEY_FIELD, VRN_FIELD, type ActionDef, type EmSetup, type WebServiceDef } from './model.js';
import type { ActionResult, StepContext } from './run.js';

type ClassKind = 'obligations' | 'submit' | 'liabilities' | 'payments';

interface ClassSpec {
  kind: ClassKind;
  /** Test classes call the HMRC sandbox or the local emulator only, never production. */
  test: boolean;
  method: 'GET' | 'POST';
}

export const EXECUTABLE_CLASSES: Record<string, ClassSpec> = {
  RetrieveVATObligations: { kind: 'obligations', test: false, method: 'GET' },
  TestRetrieveVATObligations: { kind: 'obligations', test: true, method: 'GET' },
  SubmitVATReturn: { kind: 'submit', test: false, method: 'POST' },
  TestSubmitVATReturn: { kind: 'submit', test: true, method: 'POST' },
  RequestVATLiabilities: { kind: 'liabilities', test: false, method: 'GET' },
  RequestVATPayments: { kind: 'payments', test: false, method: 'GET' },
  // mtdvat's extension: D365 requests liabilities and payments in the production processing only; the
  // predefined TEST processing has these so the sandbox and the emulator can exercise them.
  TestRequestVATLiabilities: { kind: 'liabilities', test: true, method: 'GET' },
  TestRequestVATPayments: { kind: 'payments', test: true, method: 'GET' },
};

/** What the CLI provides: the consent prompt for fraud headers, the declaration prompt, stderr lines. */
export interface ClassIo {
  consent: ConsentIo;
  /** Shows HMRC's legal declaration and the nine boxes; true to send. */
  confirmSend?: (view: { declaration: string; rows: { box: number; description: string; amount: string }[]; message: number }) => Promise<boolean>;
  announce?: (line: string) => void;
}

export function isClassAction(action: ActionDef): boolean {
  return action.executableClass !== '' && (action.type === 'ExecutableCode' || action.type === 'WEBService');
}

const ACTIONS_ENTITY = 'Message processing actions';

/** Checks, before anything is sent, that mtdvat can run the action's class with its web service. */
export function checkClassRunnable(setup: EmSetup, action: ActionDef): void {
  const where = `action "${action.name}" (entity "${ACTIONS_ENTITY}")`;
  const loc = (field: string) => ({ entity: ACTIONS_ENTITY, key: action.name, field });
  const spec = EXECUTABLE_CLASSES[action.executableClass];
  if (!spec) {
    throw new ValidationError(
      `${where}: executable class "${action.executableClass}" is not one mtdvat can run; it runs ${Object.keys(EXECUTABLE_CLASSES).join(', ')}`,
      loc('EXECUTABLECLASS'),
    );
  }
  if (action.formatMapping !== FORMAT.interoperation) {
    throw new ValidationError(`${where}: format mapping "${action.formatMapping}" is not "${FORMAT.interoperation}", which builds HMRC's URL path`, loc('FORMATMAPPING'));
  }
  const ws = setup.webServices.get(action.webService);
  if (!ws) throw new ValidationError(`${where}: web service "${action.webService}" does not exist (entity "Web service settings")`, loc('WEBSERVICE'));
  webServiceTarget(action, ws, spec);
}

function webServiceTarget(action: ActionDef, ws: WebServiceDef, spec: ClassSpec): { baseUrl: string; kind: WebAppKind } {
  const where = `web service "${ws.name}" (entity "Web service settings") of action "${action.name}"`;
  if (ws.method !== spec.method) throw new ValidationError(`${where}: request method is "${ws.method}"; ${action.executableClass} sends ${spec.method}`);
  if (spec.kind === 'submit' && ws.successCode !== 201) {
    // HMRC answers a stored return with 201; any other success code would misread a filed return.
    throw new ValidationError(`${where}: successful response code is ${ws.successCode}; HMRC answers a submitted return with 201`);
  }
  if (!ws.internetAddress.trim()) throw new ValidationError(`${where}: no internet address`);
  const kind = kindOfBaseUrl(ws.internetAddress.trim(), ws.webApplication);
  if (spec.test && kind === 'production') {
    throw new ValidationError(`${where}: ${action.executableClass} is a test class but ${ws.internetAddress} is HMRC production; a TEST run never files live`);
  }
  if (!spec.test && kind !== 'production') {
    throw new ValidationError(`${where}: ${action.executableClass} files with HMRC production but ${ws.internetAddress} is ${kind === 'sandbox' ? "HMRC's sandbox" : 'the local emulator'}; use the Test class`);
  }
  return { baseUrl: ws.internetAddress.trim().replace(/\/+$/, ''), kind };
}

function vrnOf(sc: StepContext): string {
  const raw = sc.fields[VRN_FIELD] || sc.setup.processings.get(sc.message.processing)?.fields[VRN_FIELD] || '';
  const vrn = normaliseVrn(raw);
  if (!vrn) {
    throw new RefusedError(
      `message ${sc.message.message} has no "${VRN_FIELD}"; set it on the processing: \`mtdvat em processings set ${shellQuote(sc.message.processing)} --field ${shellQuote(`${VRN_FIELD}=VRN`)}\``,
    );
  }
  return vrn;
}

function target(sc: StepContext, ws: WebServiceDef, baseUrl: string): VatTarget {
  return {
    ctx: sc.ctx,
    appName: ws.webApplication,
    vrn: vrnOf(sc),
    consent: sc.io.consent,
    announce: sc.io.announce,
    service: { name: ws.name, baseUrl, accept: ws.accept, contentType: ws.contentType },
  };
}

export async function runClass(sc: StepContext): Promise<ActionResult> {
  const { action, setup } = sc;
  const spec = EXECUTABLE_CLASSES[action.executableClass];
  const ws = setup.webServices.get(action.webService)!;
  const { baseUrl } = webServiceTarget(action, ws, spec);
  if (spec.kind === 'obligations') return retrieveObligations(sc, ws, baseUrl);
  if (spec.kind === 'submit') return submit(sc, ws, baseUrl);
  return requestList(sc, ws, baseUrl, spec.kind);
}

/** RequestVATLiabilities / RequestVATPayments: a dated GET; HMRC's answer is attached (Microsoft: "response attached only"). */
async function requestList(sc: StepContext, ws: WebServiceDef, baseUrl: string, kind: 'liabilities' | 'payments'): Promise<ActionResult> {
  const { fromDate, toDate } = sc.message;
  if (!fromDate || !toDate) {
    throw new RefusedError(`message ${sc.message.message} has no From and To dates; HMRC's ${kind} request needs them (\`mtdvat em new … --from YYYY-MM-DD --to YYYY-MM-DD\`)`);
  }
  const t = target(sc, ws, baseUrl);
  const response = await vatCall(t, { method: 'GET', path: interoperationPath(t.vrn, kind), query: { from: fromDate, to: toDate }, what: `retrieve ${kind}`, idempotent: true });
  const parsed = parseHmrcError(response.status, response.json, response.bodyText);
  const outcome = outcomeOfHttp(response.status, ws.successCode, { listRequest: true, code: parsed.code });
  const attachments = [{ name: sc.action.fileName || 'response.json.txt', mediaType: 'application/json', content: new TextEncoder().encode(outcome.nothingFound ? '' : response.bodyText) }];
  if (outcome.responseType !== 'Successfull') return { outcome: outcome.responseType, text: `HMRC answered HTTP ${response.status}${parsed.code ? ` ${parsed.code}` : ''}: ${parsed.message}`, attachments };
  if (outcome.nothingFound) return { outcome: 'Successfull', text: `HMRC found no ${kind} from ${fromDate} to ${toDate}`, attachments };
  const list = ((response.json ?? {}) as Record<string, unknown>)[kind];
  const n = Array.isArray(list) ? list.length : 0;
  return { outcome: 'Successfull', text: `HMRC returned ${n} ${kind === 'liabilities' ? (n === 1 ? 'liability' : 'liabilities') : n === 1 ? 'payment' : 'payments'} from ${fromDate} to ${toDate}`, attachments };
}

async function retrieveObligations(sc: StepContext, ws: WebServiceDef, baseUrl: string): Promise<ActionResult> {
  const t = target(sc, ws, baseUrl);
  const { fromDate, toDate } = sc.message;
  const query: Record<string, string> = fromDate && toDate ? { from: fromDate, to: toDate } : { status: 'O' };
  const response = await vatCall(t, { method: 'GET', path: interoperationPath(t.vrn, 'obligations'), query, what: 'retrieve obligations', idempotent: true });
  const parsed = parseHmrcError(response.status, response.json, response.bodyText);
  const outcome = outcomeOfHttp(response.status, ws.successCode, { listRequest: true, code: parsed.code });
  const name = sc.action.fileName || 'response.json.txt';
  const attachments = [{ name, mediaType: 'application/json', content: new TextEncoder().encode(response.bodyText) }];
  const period = fromDate && toDate ? `${fromDate} to ${toDate}` : 'open obligations';
  if (outcome.responseType !== 'Successfull') {
    return { outcome: outcome.responseType, text: `HMRC answered HTTP ${response.status}${parsed.code ? ` ${parsed.code}` : ''}: ${parsed.message}`, attachments };
  }
  if (outcome.nothingFound) {
    // HMRC's 404 means "no obligations": the import then finds none (an empty answer is attached).
    return { outcome: 'Successfull', text: `HMRC found no obligations (${period})`, attachments: [{ ...attachments[0], content: new Uint8Array() }] };
  }
  return { outcome: 'Successfull', text: `HMRC answered HTTP ${response.status} (${period})`, attachments };
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * The file Send report sends: the last attachment named as the action's "file name to process", unchanged
 * since it was generated, a valid VAT return for this message's period. What the declaration is shown for.
 */
export function fileToSend(
  ctx: StepContext['ctx'],
  message: number,
  action: ActionDef,
  fields: Record<string, string>,
): { text: string; ret: ReturnType<typeof buildReturn>; sha256: string; rows: ReturnType<typeof boxRows>; declaration: string } {
  const fileName = action.fileNameToProcess || 'VAT_return.json';
  const file = lastAttachment(ctx.db, ctx.company, message, fileName);
  if (!file) throw new RefusedError(`message ${message} has no "${fileName}" to send; run Generate report first`);
  const content = attachmentContent(ctx.db, ctx.company, file.id);
  if (sha256(content) !== file.sha256) {
    throw new RefusedError(`attachment "${fileName}" of message ${message} changed after it was generated (SHA-256 differs); generate it again`);
  }
  const text = new TextDecoder().decode(content);
  const periodKey = fields[PERIOD_KEY_FIELD] ?? '';
  let ret;
  try {
    const raw = parseJsonExact(text) as Record<string, unknown>;
    ret = buildReturn(raw);
  } catch (error) {
    throw new RefusedError(`attachment "${fileName}" of message ${message} is not a valid VAT return: ${(error as Error).message}`);
  }
  if (ret.periodKey !== periodKey) throw new RefusedError(`attachment "${fileName}" was generated for another period than message ${message}; generate it again`);
  return { text, ret, sha256: file.sha256, rows: boxRows(ret), declaration: LEGAL_DECLARATION };
}

async function submit(sc: StepContext, ws: WebServiceDef, baseUrl: string): Promise<ActionResult> {
  const { ctx, message, action } = sc;
  const { text, ret } = fileToSend(ctx, message.message, action, sc.fields);
  const t = target(sc, ws, baseUrl);
  const confirm = async () => (sc.io.confirmSend ? sc.io.confirmSend({ declaration: LEGAL_DECLARATION, rows: boxRows(ret), message: message.message }) : false);
  const responseName = action.fileName || 'response.json';
  try {
    // resume: a run killed after sending left this same file filed (or in doubt); going on is safe.
    const result = await submitReturn(t, ret, { confirm, exactBody: text, resume: true });
    const received = result.bodyText ?? result.lookupText ?? '';
    return {
      outcome: 'Successfull',
      text: result.outcome === 'filed' ? 'HMRC accepted the VAT return' : `${result.note ?? 'HMRC recorded the VAT return'}`,
      attachments: received ? [{ name: responseName, mediaType: 'application/json', content: new TextEncoder().encode(received) }] : [],
    };
  } catch (error) {
    if (error instanceof AlreadyFiledError) return { outcome: 'BusinessError', text: error.message };
    if (error instanceof HmrcError) {
      const status = error.status;
      const outcome = status !== undefined && status >= 400 && status < 500 ? 'BusinessError' : 'TechnicalError';
      return { outcome, text: error.message };
    }
    throw error;
  }
}
