/**
 * Runs actions on an electronic message, as D365's "Run processing" does: the chosen action, then every
 * chained action with Run separately = No whose initial status the message has reached. Each action run
 * writes one action log row, its attachments and the new statuses in one transaction; HMRC is called
 * before that transaction, never inside it.
 */
import { basename } from 'node:path';
import type { Context } from '../context.js';
import { MtdvatError, UsageError, ValidationError } from '../errors.js';
import {
  attachmentContent,
  claimMessage,
  deleteItems,
  findMessagesByField,
  getFields,
  insertAttachment,
  insertItem,
  insertLog,
  insertMessage,
  lastAttachment,
  listItems,
  releaseMessage,
  setField,
  setLogItems,
  setLogText,
  updateMessage,
  type MessageRow,
} from '../store/em.js';
import { readReturnFields } from '../vat/return-file.js';
import { isVatLinesFile } from '../vat/vat-lines.js';
import { collectFromLines } from './collect-lines.js';
import { describeItemNumbers, moveItemsWithMessage, reportableTotals } from './item-totals.js';
import { deleteLog, finishLog, markInterrupted, startLog } from '../store/em-lines.js';
import { BOXES, checkReturn, type RawField } from '../vat/nine-box.js';
import { vat100Workbook } from '../vat/vat100.js';
import {
  chainedAction,
  chooseResult,
  EXCLUDED_ITEM_STATUS,
  itemStatusOf,
  offeredActions,
  processingOf,
  refusal,
  RefusedError,
  resultStatuses,
  USER_ACTION_TYPES,
} from './engine.js';
import { FORMAT, generateDeclarationJson, readObligations, readSubmitResponse } from './formats.js';
import { conceal, hiddenValues, requireMessage } from './messages.js';
import { loadEmSetup, PERIOD_KEY_FIELD, RESPONSE_TYPE_LABEL, VRN_FIELD, type ActionDef, type EmSetup, type ResponseTypeSymbol } from './model.js';
import { checkClassRunnable, isClassAction, runClass, type ClassIo } from './classes.js';

/** Which button was pressed (D365: Collect data, Generate report, Send report, Import response, Update status). */
export type RunKind = 'collect' | 'generate' | 'send' | 'import' | 'update';

export interface RunRequest {
  message: number;
  action?: string;
  kind?: RunKind;
  toStatus?: string;
  /** Collect data: RETURN.json / RETURN.xlsx (the nine boxes) or LINES.csv / LINES.xlsx (VAT lines). */
  file?: string;
  /** Collect data from VAT lines: first remove this message's Populated items. */
  replace?: boolean;
  user: string;
}

export interface RunIo extends ClassIo {}

export interface Step {
  action: string;
  from: string;
  to: string;
  responseType: string;
  /** What the action did, or HMRC's message (as written to the action log). */
  log: string;
  logId: number;
  attachments: string[];
  created: number[];
}

export interface RunResult {
  message: number;
  status: string;
  steps: Step[];
}

/** What one action produced; `apply` writes its records inside the step's transaction. */
export interface ActionResult {
  outcome: ResponseTypeSymbol;
  text: string;
  attachments?: { name: string; mediaType: string; content: Uint8Array }[];
  /** A preview: leaves the message status where its results include it. */
  keepsStatus?: boolean;
  /** Hidden values learned by the action (period keys from HMRC) that must not show in text. */
  hidden?: string[];
  /** `text` replaces the log text when the summary is only known once the records are written. */
  apply?: (tx: ApplyContext) => { created?: number[]; items?: number[]; text?: string } | void;
}

export interface ApplyContext {
  logId: number;
  at: string;
  /** The item status the action's result sets (Populate records). */
  itemStatus?: string;
}

export interface StepContext {
  ctx: Context;
  setup: EmSetup;
  message: MessageRow;
  fields: Record<string, string>;
  action: ActionDef;
  request: RunRequest;
  io: RunIo;
}

const LOCAL_FORMAT_TYPES = new Set(['GERExport', 'GERExportMessage', 'GERImport']);

/** Everything an action needs from the setup, checked before anything runs or is sent. */
export function checkRunnable(setup: EmSetup, action: ActionDef): void {
  const where = `action "${action.name}" (entity "Message processing actions")`;
  if (isClassAction(action)) return checkClassRunnable(setup, action);
  if (LOCAL_FORMAT_TYPES.has(action.type)) {
    const known = action.type === 'GERImport' ? [FORMAT.obligationsImport, FORMAT.responseImport] : [FORMAT.declarationJson, FORMAT.declarationExcel];
    if (!known.includes(action.formatMapping as never)) {
      throw new ValidationError(
        `${where}: format mapping "${action.formatMapping}" is not one mtdvat can run; it runs ${known.map((f) => `"${f}"`).join(', ')}`,
        { entity: 'Message processing actions', key: action.name, field: 'FORMATMAPPING' },
      );
    }
    return;
  }
  if (action.type === 'PopulateRecords' || action.type === 'CreateMessage' || USER_ACTION_TYPES.has(action.type)) return;
  throw new ValidationError(`${where}: action type "${action.type}" is not one mtdvat can run on a message`, {
    entity: 'Message processing actions',
    key: action.name,
    field: 'ACTIONTYPE',
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describeActions(actions: ActionDef[]): string {
  return actions.map((a) => `"${a.name}"`).join(', ');
}

/** Which of D365's buttons runs an action (Collect data, Generate report, Send report, Import response, Update status). */
function kindTests(setup: EmSetup): Record<RunKind, (a: ActionDef) => boolean> {
  return {
    collect: (a) => a.type === 'PopulateRecords',
    generate: (a) => a.type === 'GERExport' || a.type === 'GERExportMessage',
    send: (a) => a.type === 'WEBService' || (isClassAction(a) && setup.webServices.get(a.webService)?.method === 'POST'),
    import: (a) => a.type === 'GERImport',
    update: (a) => USER_ACTION_TYPES.has(a.type),
  };
}

/** The button (RunKind) of an action, or undefined for one only Run processing starts (an HMRC GET class). */
export function kindOfAction(setup: EmSetup, action: ActionDef): RunKind | undefined {
  const tests = kindTests(setup);
  return (Object.keys(tests) as RunKind[]).find((k) => tests[k](action));
}

/** The action a request names or implies, refused with the statuses it needs. */
export function pickAction(setup: EmSetup, message: MessageRow, request: RunRequest): ActionDef {
  const p = processingOf(setup, message.processing);
  const linked = p.links.map((l) => setup.actions.get(l.action)).filter((a): a is ActionDef => !!a);
  if (request.action !== undefined) {
    const a = setup.actions.get(request.action);
    if (!a || !linked.includes(a)) {
      throw new UsageError(`processing "${p.name}" has no action "${request.action}"; its actions are ${describeActions(linked)}`);
    }
    if (request.kind === 'update' && !USER_ACTION_TYPES.has(a.type)) {
      throw new UsageError(`"${a.name}" is not a user processing action; Update status runs ${describeActions(linked.filter((x) => USER_ACTION_TYPES.has(x.type)))}`);
    }
    const why = refusal(setup, p.name, a, message.status);
    if (why) throw new RefusedError(`message ${message.message}: ${why}`);
    return a;
  }
  const offered = offeredActions(setup, p.name, message.status);
  const byKind = kindTests(setup);
  const kind = request.kind;
  let candidates = kind ? offered.filter(byKind[kind]) : offered.filter((a) => !USER_ACTION_TYPES.has(a.type));
  if (kind === 'generate' && candidates.length > 1) {
    // "Generate report" means the file for submission; the preview is asked for by name.
    const forSubmission = candidates.filter((a) => a.formatMapping === FORMAT.declarationJson);
    if (forSubmission.length === 1) candidates = forSubmission;
  }
  if (candidates.length === 1) return candidates[0];
  if (candidates.length > 1) {
    throw new UsageError(`message ${message.message} ("${message.status}") offers several actions; choose one with --action: ${describeActions(candidates)}`);
  }
  const all = linked.filter(kind ? byKind[kind] : (a) => !USER_ACTION_TYPES.has(a.type) && a.type !== 'CreateMessage');
  const needs = [...new Set(all.flatMap((a) => a.initial.map((s) => s.messageStatus).filter(Boolean)))];
  throw new RefusedError(
    `message ${message.message} is in "${message.status}", where no ${kind ? kindLabel(kind) : 'action'} is offered` +
      (needs.length ? `; ${describeActions(all)} need${all.length === 1 ? 's' : ''} status ${needs.map((s) => `"${s}"`).join(' or ')}` : ''),
  );
}

function kindLabel(kind: RunKind): string {
  return { collect: '"Collect data" action', generate: '"Generate report" action', send: '"Send report" action', import: '"Import response" action', update: 'user action' }[kind];
}

/** Runs the requested action and its chain on one message. */
export async function runMessage(ctx: Context, request: RunRequest, io: RunIo): Promise<RunResult> {
  const setup = loadEmSetup(ctx.db, ctx.company);
  let message = requireMessage(ctx, request.message);
  let action = pickAction(setup, message, request);
  checkRunnable(setup, action);
  if (request.toStatus !== undefined && !resultStatuses(action).includes(request.toStatus)) {
    throw new UsageError(`--to-status "${request.toStatus}" is not a result status of "${action.name}"; its results are ${resultStatuses(action).map((s) => `"${s}"`).join(', ')}`);
  }
  const claim = claimMessage(ctx.db, ctx.company, message.message, process.pid, new Date().toISOString(), isAlive);
  if (!claim.ok) {
    throw new MtdvatError(`message ${message.message} is being processed by process ${claim.pid} (since ${claim.since}); wait for it to finish, then look at \`mtdvat em show ${message.message}\``);
  }
  // Rows left "Running" by a process that died (kill -9, power cut) are shown as Interrupted.
  markInterrupted(ctx.db, ctx.company, message.message, new Date().toISOString());
  const steps: Step[] = [];
  try {
    let first = true;
    for (;;) {
      const step = await runStep(ctx, setup, message, action, first ? request : { ...request, toStatus: undefined, file: undefined, replace: undefined }, io);
      steps.push(step);
      first = false;
      message = requireMessage(ctx, message.message);
      if (step.responseType !== RESPONSE_TYPE_LABEL.Successfull) break;
      const next = chainedAction(setup, message.processing, action.name, message.status);
      if (!next) break;
      checkRunnable(setup, next);
      action = next;
    }
  } finally {
    releaseMessage(ctx.db, ctx.company, message.message, process.pid);
  }
  return { message: message.message, status: message.status, steps };
}

async function runStep(ctx: Context, setup: EmSetup, message: MessageRow, action: ActionDef, request: RunRequest, io: RunIo): Promise<Step> {
  const startedAt = new Date().toISOString();
  const fields = getFields(ctx.db, ctx.company, message.message);
  const hidden = new Set(hiddenValues(setup, fields));
  const sc: StepContext = {
    ctx,
    setup,
    message,
    fields,
    action,
    request,
    io: { ...io, announce: io.announce ? (line) => io.announce!(conceal(line, hidden)) : undefined },
  };
  // The row exists while the action runs: if this process is killed, the next run marks it Interrupted.
  const logId = startLog(ctx.db, ctx.company, { message: message.message, action: action.name, statusFrom: message.status, user: request.user, startedAt, pid: process.pid });
  let result: ActionResult;
  try {
    result = await perform(sc);
  } catch (error) {
    // Refusals and usage errors change nothing: the message stays where it is.
    if (error instanceof UsageError || error instanceof RefusedError || !(error instanceof MtdvatError)) {
      deleteLog(ctx.db, logId);
      if (error instanceof Error) error.message = conceal(error.message, hidden);
      throw error;
    }
    const status = (error as { status?: number }).status;
    result = { outcome: status !== undefined && status >= 400 && status < 500 ? 'BusinessError' : 'TechnicalError', text: error.message };
  }
  for (const h of result.hidden ?? []) hidden.add(h);
  const choice = chooseResult(action, result.outcome, message.status, { toStatus: request.toStatus, keepsStatus: result.keepsStatus });
  const endedAt = new Date().toISOString();
  const to = choice.messageStatus ?? message.status;
  const text = conceal(result.text, hidden);
  return ctx.db
    .transaction((): Step => {
      finishLog(ctx.db, logId, { statusTo: to, responseType: RESPONSE_TYPE_LABEL[choice.responseType], endedAt, text });
      const names: string[] = [];
      for (const a of result.attachments ?? []) {
        insertAttachment(ctx.db, ctx.company, { message: message.message, logId, name: a.name, mediaType: a.mediaType, content: a.content, at: endedAt });
        names.push(a.name);
      }
      const applied = result.apply?.({ logId, at: endedAt, itemStatus: choice.itemStatus }) ?? {};
      const logText = applied.text !== undefined ? conceal(applied.text, hidden) : text;
      if (logText !== text) setLogText(ctx.db, logId, logText);
      const changedItems = new Set(applied.items ?? []);
      if (to !== message.status) {
        updateMessage(ctx.db, ctx.company, message.message, { status: to, at: endedAt });
        const itemStatus = itemStatusOf(setup, to);
        if (itemStatus) {
          for (const item of moveItemsWithMessage(ctx, message.message, itemStatus)) changedItems.add(item);
        }
      }
      // Every item change is logged by number, so a bulk change can be traced and reversed.
      if (changedItems.size) setLogItems(ctx.db, logId, [...changedItems].sort((a, b) => a - b));
      return {
        action: action.name,
        from: message.status,
        to,
        responseType: RESPONSE_TYPE_LABEL[choice.responseType],
        log: logText,
        logId,
        attachments: names,
        created: applied.created ?? [],
      };
    })
    .immediate();
}

async function perform(sc: StepContext): Promise<ActionResult> {
  const { action } = sc;
  if (isClassAction(action)) return runClass(sc);
  switch (action.type) {
    case 'PopulateRecords':
      return collectFromFile(sc);
    case 'UserMessageLevel':
    case 'User':
      return { outcome: 'Successfull', text: 'Status updated by the user' };
    case 'GERExport':
    case 'GERExportMessage':
      return action.formatMapping === FORMAT.declarationExcel ? preview(sc) : generate(sc);
    case 'GERImport':
      return action.formatMapping === FORMAT.obligationsImport ? importObligations(sc) : importResponse(sc);
    default:
      throw new ValidationError(`action "${action.name}": action type "${action.type}" is not one mtdvat can run`);
  }
}

// ---------- Collect data (Populate records) from a RETURN file ----------

async function collectFromFile(sc: StepContext): Promise<ActionResult> {
  const { ctx, message, action, request, fields } = sc;
  if (!request.file) {
    throw new UsageError(
      `"${action.name}" collects from a file: \`mtdvat em collect-data ${message.message} --file LINES.csv\` (VAT lines, or LINES.xlsx) or \`--file RETURN.json\` (the nine boxes, or RETURN.xlsx)`,
    );
  }
  if (await isVatLinesFile(request.file)) return collectFromLines(sc, request.file, { replace: request.replace });
  const file = basename(request.file);
  const raw: Record<string, RawField> = await readReturnFields(request.file);
  const periodKey = fields[PERIOD_KEY_FIELD] ?? '';
  const inFile = raw.periodKey;
  if (inFile !== undefined && inFile !== null && inFile !== '') {
    // Compared silently: neither value is ever printed.
    if (inFile !== periodKey) throw new RefusedError(`${file} is for another period than message ${message.message}; remove its periodKey or use the file for this period`);
  }
  const { value, problems } = checkReturn({ ...raw, periodKey: periodKey || 'XXXX' }, { requireFinalised: false });
  if (!value) throw new ValidationError(`${file}: ${problems.map((p) => p.message).join('; ')}`, { file });
  const boxes: Record<string, string> = {};
  for (const b of BOXES) boxes[b.field] = value[b.field].toString();
  const itemType = action.itemType;
  if (!itemType) throw new ValidationError(`"${action.name}" has no message item type (entity "Message processing actions", field MESSAGEITEMTYPE)`);
  return {
    outcome: 'Successfull',
    text: `Collected the nine boxes from ${file}`,
    apply: (tx) => {
      // A file is the whole return: it replaces the items collected before (excluded ones stay excluded).
      const previous = listItems(ctx.db, ctx.company, message.message).filter((i) => i.status !== EXCLUDED_ITEM_STATUS);
      deleteItems(
        ctx.db,
        ctx.company,
        previous.map((i) => i.item),
      );
      const item = insertItem(ctx.db, ctx.company, {
        message: message.message,
        itemType,
        status: tx.itemStatus ?? 'Populated',
        itemDate: message.toDate ?? tx.at.slice(0, 10),
        document: file,
        account: fields[VRN_FIELD] ?? '',
        boxes,
        at: tx.at,
      });
      return { items: [...previous.map((i) => i.item), item] };
    },
  };
}

// ---------- Generate report ----------


function generate(sc: StepContext): ActionResult {
  const periodKey = sc.fields[PERIOD_KEY_FIELD] ?? '';
  if (!periodKey) {
    return { outcome: 'TechnicalError', text: `message ${sc.message.message} has no period (it was not created by the obligations import)` };
  }
  const { items, boxes } = reportableTotals(sc.ctx, sc.message.message);
  if (!items.length) return { outcome: 'TechnicalError', text: 'there are no message items to report: run Collect data first' };
  const { text } = generateDeclarationJson(boxes, periodKey);
  const name = sc.action.fileName || 'VAT_return.json';
  return {
    outcome: 'Successfull',
    text: `Generated ${name} from ${items.length} item${items.length === 1 ? '' : 's'} (${describeItemNumbers(items)})`,
    attachments: [{ name, mediaType: 'application/json', content: new TextEncoder().encode(text) }],
  };
}

async function preview(sc: StepContext): Promise<ActionResult> {
  const { items, boxes } = reportableTotals(sc.ctx, sc.message.message);
  if (!items.length) return { outcome: 'TechnicalError', text: 'there are no message items to preview: run Collect data first' };
  // The preview is for people: it carries no period key.
  const { workbook } = await vat100Workbook(
    { ...boxes, periodKey: '', finalised: false },
    { company: sc.ctx.company, vrn: sc.fields[VRN_FIELD], periodStart: sc.message.fromDate ?? undefined, periodEnd: sc.message.toDate ?? undefined, due: sc.fields['Due date'] },
  );
  const buf = new Uint8Array((await workbook.xlsx.writeBuffer()) as ArrayBuffer);
  const name = sc.action.fileName || 'VAT statement.xlsx';
  return {
    outcome: 'Successfull',
    text: `Generated ${name}`,
    keepsStatus: true,
    attachments: [{ name, mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', content: buf }],
  };
}

// ---------- Import (ER import) ----------

function fileToProcess(sc: StepContext, fallback: string): { name: string; text: string } {
  const name = sc.action.fileNameToProcess || fallback;
  const a = lastAttachment(sc.ctx.db, sc.ctx.company, sc.message.message, name);
  if (!a) throw new ValidationError(`message ${sc.message.message} has no attachment "${name}" to import`);
  return { name, text: new TextDecoder().decode(attachmentContent(sc.ctx.db, sc.ctx.company, a.id)) };
}

export const OPEN_OBLIGATION_STATUS = 'New VAT return';
export const FULFILLED_OBLIGATION_STATUS = 'Completed VAT return';

function importObligations(sc: StepContext): ActionResult {
  const { ctx, setup, message, fields } = sc;
  const { name, text } = fileToProcess(sc, 'response.json.txt');
  const obligations = readObligations(text, name);
  for (const s of [OPEN_OBLIGATION_STATUS, FULFILLED_OBLIGATION_STATUS]) {
    if (!setup.messageStatuses.has(s)) throw new ValidationError(`the setup has no message status "${s}", which the obligations import needs (entity "Message statuses")`);
  }
  const hidden = obligations.map((o) => o.periodKey);
  const vrn = fields[VRN_FIELD] ?? '';
  return {
    outcome: 'Successfull',
    hidden,
    text: '',
    apply: (tx) => {
      const created: number[] = [];
      let updated = 0;
      for (const o of obligations) {
        const held = findMessagesByField(ctx.db, ctx.company, message.processing, PERIOD_KEY_FIELD, o.periodKey).filter(
          (m) => (getFields(ctx.db, ctx.company, m)[VRN_FIELD] ?? '') === vrn,
        );
        const values: Record<string, string> = { 'Due date': o.due, 'HMRC status': o.status, ...(o.received ? { 'Received date': o.received } : {}) };
        if (held.length) {
          for (const m of held) {
            for (const [k, v] of Object.entries(values)) setField(ctx.db, ctx.company, m, k, v);
            // Filed elsewhere (or by an earlier run whose response import was lost): nothing is left to do.
            const row = requireMessage(ctx, m);
            if (o.status === 'F' && row.status === OPEN_OBLIGATION_STATUS) {
              updateMessage(ctx.db, ctx.company, m, { status: FULFILLED_OBLIGATION_STATUS, at: tx.at });
              insertLog(ctx.db, ctx.company, { message: m, action: sc.action.name, statusFrom: row.status, statusTo: FULFILLED_OBLIGATION_STATUS, responseType: RESPONSE_TYPE_LABEL.Successfull, user: sc.request.user, startedAt: tx.at, endedAt: tx.at, text: `HMRC reports the period as fulfilled (from message ${message.message})`, items: [] });
            }
          }
          updated += held.length;
          continue;
        }
        const status = o.status === 'O' ? OPEN_OBLIGATION_STATUS : FULFILLED_OBLIGATION_STATUS;
        const m = insertMessage(ctx.db, ctx.company, { processing: message.processing, description: `VAT return ${o.start} to ${o.end}`, fromDate: o.start, toDate: o.end, status, at: tx.at });
        const p = setup.processings.get(message.processing);
        for (const [k, v] of Object.entries(p?.fields ?? {})) if (v !== '') setField(ctx.db, ctx.company, m, k, v);
        if (vrn) setField(ctx.db, ctx.company, m, VRN_FIELD, vrn);
        setField(ctx.db, ctx.company, m, PERIOD_KEY_FIELD, o.periodKey);
        for (const [k, v] of Object.entries(values)) setField(ctx.db, ctx.company, m, k, v);
        insertLog(ctx.db, ctx.company, { message: m, action: sc.action.name, statusFrom: '', statusTo: status, responseType: RESPONSE_TYPE_LABEL.Successfull, user: sc.request.user, startedAt: tx.at, endedAt: tx.at, text: `Created from the obligations of message ${message.message}`, items: [] });
        created.push(m);
      }
      const summary = obligations.length
        ? `${obligations.length} obligation${obligations.length === 1 ? '' : 's'}: ${created.length} new message${created.length === 1 ? '' : 's'}${created.length ? ` (${created.join(', ')})` : ''}, ${updated} updated`
        : 'HMRC has no obligations for this request';
      return { created, text: summary };
    },
  };
}

function importResponse(sc: StepContext): ActionResult {
  const { ctx, message } = sc;
  const { name, text } = fileToProcess(sc, 'response.json');
  const r = readSubmitResponse(text, name);
  return {
    outcome: 'Successfull',
    text: r.fromLookup
      ? 'HMRC confirmed the return is recorded (looked up after an error); HMRC sent no receipt, so the processing date is unknown'
      : `HMRC processed the return on ${r.processingDate}${r.formBundleNumber ? `, form bundle ${r.formBundleNumber}` : ''}${r.chargeRefNumber ? `, charge reference ${r.chargeRefNumber}` : ''}`,
    apply: () => {
      if (r.processingDate) setField(ctx.db, ctx.company, message.message, 'Processing date', r.processingDate);
    },
  };
}
