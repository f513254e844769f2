/**
 * Electronic messages as users see them (D365: Tax > Inquiries and reports > Electronic messages):
 * the list and detail views, "New" (Create message), delete, and the processing's additional field
 * defaults. The period key is a Hidden additional field: no view here ever contains it.
 */
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from '../context.js';
import { NotFoundError, UsageError, ValidationError } from '../errors.js';
import {
  attachmentContent,
  deleteMessage,
  getFields,
  getMessage,
  insertLog,
  insertMessage,
  listAttachments,
  listItems,
  listLog,
  listMessages,
  setField,
  type MessageRow,
} from '../store/em.js';
import { getRecord, updateRecordData } from '../store/records.js';
import { isVrnFormat } from '../lib/vrn.js';
import { fieldsOfMessages } from '../store/em-lines.js';
import { settleInterrupted } from './interrupted.js';
import { canDelete, createActions, offeredActions, processingOf, chooseResult, RefusedError } from './engine.js';
import { ACTION_TYPE_LABEL, isHiddenField, loadEmSetup, RESPONSE_TYPE_LABEL, VRN_FIELD, type EmSetup } from './model.js';

export interface MessageView {
  message: number;
  processing: string;
  description: string;
  fromDate: string | null;
  toDate: string | null;
  status: string;
  /** Visible additional fields only (Hidden ones, periodKey above all, are left out). */
  fields: Record<string, string>;
  nextActions: string[];
}

export interface MessageDetail extends MessageView {
  items: { item: number; itemType: string; status: string; itemDate: string | null; document: string; account: string; boxes: Record<string, string> }[];
  log: LogView[];
  attachments: { attachment: number; name: string; mediaType: string; sha256: string; bytes: number; log: number | null; createdAt: string }[];
}

export interface LogView {
  log: number;
  message: number;
  action: string;
  from: string;
  to: string;
  responseType: string;
  user: string;
  start: string;
  end: string;
  text: string;
  items: number[];
}

export function visibleFields(setup: EmSetup, fields: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (!isHiddenField(setup, k)) out[k] = v;
  return out;
}

/** Every hidden value of a message (to scrub from any text shown with it). */
export function hiddenValues(setup: EmSetup, fields: Record<string, string>): string[] {
  return Object.entries(fields)
    .filter(([k, v]) => isHiddenField(setup, k) && v !== '')
    .map(([, v]) => v);
}

/** Replaces every hidden value in `text` (HMRC's messages can quote the period key). */
export function conceal(text: string, hidden: Iterable<string>): string {
  let out = text;
  for (const h of hidden) if (h) out = out.split(h).join('[hidden]');
  return out;
}

export function messageView(ctx: Context, setup: EmSetup, row: MessageRow): MessageView {
  return viewOf(setup, row, getFields(ctx.db, ctx.company, row.message));
}

function viewOf(setup: EmSetup, row: MessageRow, fields: Record<string, string>, offered?: Map<string, string[]>): MessageView {
  const key = `${row.processing}\u0000${row.status}`;
  let next = offered?.get(key);
  if (!next) {
    next = setup.processings.has(row.processing) ? offeredActions(setup, row.processing, row.status).map((a) => a.name) : [];
    offered?.set(key, next);
  }
  return {
    message: row.message,
    processing: row.processing,
    description: row.description,
    fromDate: row.fromDate,
    toDate: row.toDate,
    status: row.status,
    fields: visibleFields(setup, fields),
    nextActions: [...next],
  };
}

export function requireMessage(ctx: Context, message: number): MessageRow {
  const row = getMessage(ctx.db, ctx.company, message);
  if (!row) throw new NotFoundError(`there is no electronic message ${message} in company ${ctx.company}; \`mtdvat em list\` shows them`);
  return row;
}

export function parseMessageNumber(text: string | number): number {
  const s = String(text).trim();
  if (!/^\d{1,12}$/.test(s)) throw new UsageError(`a message number is a whole number (see \`mtdvat em list\`), got "${s}"`);
  return Number(s);
}

export function listMessageViews(ctx: Context, filter: { processing?: string; status?: string } = {}): MessageView[] {
  const setup = loadEmSetup(ctx.db, ctx.company);
  if (filter.processing !== undefined) processingOf(setup, filter.processing);
  // One query for every message's fields, and the offered actions once per processing and status:
  // `em list` over 10,000 messages stays a fraction of a second.
  const fields = fieldsOfMessages(ctx.db, ctx.company, filter);
  const offered = new Map<string, string[]>();
  return listMessages(ctx.db, ctx.company, filter).map((r) => viewOf(setup, r, fields.get(r.message) ?? {}, offered));
}

function logViews(setup: EmSetup, ctx: Context, message?: number): LogView[] {
  const hiddenByMessage = new Map<number, string[]>();
  const hidden = (m: number) => {
    if (!hiddenByMessage.has(m)) hiddenByMessage.set(m, hiddenValues(setup, getFields(ctx.db, ctx.company, m)));
    return hiddenByMessage.get(m)!;
  };
  return listLog(ctx.db, ctx.company, message).map((l) => ({
    log: l.id,
    message: l.message,
    action: l.action,
    from: l.statusFrom,
    to: l.statusTo,
    responseType: l.responseType,
    user: l.user,
    start: l.startedAt,
    end: l.endedAt,
    text: conceal(l.text, hidden(l.message)),
    items: l.items,
  }));
}

export function listLogViews(ctx: Context, message?: number): LogView[] {
  const setup = loadEmSetup(ctx.db, ctx.company);
  if (message !== undefined) requireMessage(ctx, message);
  settleInterrupted(ctx, message);
  return logViews(setup, ctx, message);
}

export function messageDetail(ctx: Context, message: number): MessageDetail {
  const setup = loadEmSetup(ctx.db, ctx.company);
  const row = requireMessage(ctx, message);
  settleInterrupted(ctx, message);
  return {
    ...messageView(ctx, setup, row),
    items: listItems(ctx.db, ctx.company, message).map((i) => ({
      item: i.item,
      itemType: i.itemType,
      status: i.status,
      itemDate: i.itemDate,
      document: i.document,
      account: i.account,
      boxes: i.boxes,
    })),
    log: logViews(setup, ctx, message),
    attachments: listAttachments(ctx.db, ctx.company, message).map((a) => ({
      attachment: a.id,
      name: a.name,
      mediaType: a.mediaType,
      sha256: a.sha256,
      bytes: a.bytes,
      log: a.logId,
      createdAt: a.createdAt,
    })),
  };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
function checkDate(flag: string, v: string | undefined): void {
  if (v !== undefined && (!DATE.test(v) || Number.isNaN(Date.parse(v)))) throw new UsageError(`${flag} must be a date YYYY-MM-DD, got "${v}"`);
}

/** "New": runs a Create message action of the processing; the message takes the processing's field defaults. */
export function newMessage(ctx: Context, opts: { processing: string; action?: string; from?: string; to?: string; user: string }): MessageView {
  const setup = loadEmSetup(ctx.db, ctx.company);
  const processing = processingOf(setup, opts.processing);
  checkDate('--from', opts.from);
  checkDate('--to', opts.to);
  if ((opts.from === undefined) !== (opts.to === undefined)) throw new UsageError('give both --from and --to, or neither');
  if (opts.from && opts.to && opts.from > opts.to) throw new UsageError(`--from ${opts.from} is after --to ${opts.to}`);
  const creators = createActions(setup, processing.name);
  let action = creators[0];
  if (opts.action !== undefined) {
    action = creators.find((a) => a.name === opts.action)!;
    if (!action) {
      throw new UsageError(
        `"${opts.action}" is not a Create message action of "${processing.name}"; it has ${creators.map((a) => `"${a.name}"`).join(', ') || 'none'}`,
      );
    }
  } else if (creators.length > 1) {
    throw new UsageError(`processing "${processing.name}" creates several kinds of message; choose one with --action: ${creators.map((a) => `"${a.name}"`).join(', ')}`);
  }
  if (!action) throw new RefusedError(`processing "${processing.name}" has no Create message action`);
  const result = chooseResult(action, 'Successfull', '');
  if (!result.messageStatus) throw new ValidationError(`Create message action "${action.name}" has no Successfully executed result status (record "Message processing action statuses")`);
  if (!setup.messageStatuses.has(result.messageStatus)) {
    throw new ValidationError(`result status "${result.messageStatus}" of "${action.name}" is not a message status (entity "Message statuses")`);
  }
  const at = new Date().toISOString();
  const message = ctx.db
    .transaction(() => {
      const m = insertMessage(ctx.db, ctx.company, {
        processing: processing.name,
        description: action.description || action.name,
        fromDate: opts.from ?? null,
        toDate: opts.to ?? null,
        status: result.messageStatus!,
        at,
      });
      for (const [field, value] of Object.entries(processing.fields)) if (value !== '') setField(ctx.db, ctx.company, m, field, value);
      insertLog(ctx.db, ctx.company, {
        message: m,
        action: action.name,
        statusFrom: '',
        statusTo: result.messageStatus!,
        responseType: RESPONSE_TYPE_LABEL.Successfull,
        user: opts.user,
        startedAt: at,
        endedAt: at,
        text: `${ACTION_TYPE_LABEL.CreateMessage}: message created`,
        items: [],
      });
      return m;
    })
    .immediate();
  return messageView(ctx, setup, requireMessage(ctx, message));
}

/** Deletes a message, only where its status (and its items' statuses) allow delete. */
export function deleteMessageChecked(ctx: Context, message: number): void {
  const setup = loadEmSetup(ctx.db, ctx.company);
  const row = requireMessage(ctx, message);
  if (!canDelete(setup, row.status)) {
    throw new RefusedError(`message ${message} is in status "${row.status}", which does not allow delete (message status "Allow delete" = No)`);
  }
  const locked = listItems(ctx.db, ctx.company, message).filter((i) => setup.itemStatuses.get(i.status)?.allowDelete === false);
  if (locked.length) {
    throw new RefusedError(`message ${message} has items whose status does not allow delete: ${locked.map((i) => `${i.item} ("${i.status}")`).join(', ')}`);
  }
  if (row.runPid !== null) throw new RefusedError(`message ${message} is being processed by process ${row.runPid}; try again when it has finished`);
  deleteMessage(ctx.db, ctx.company, message);
}

// ---------- processings ----------

export interface ProcessingView {
  processing: string;
  description: string;
  actions: { action: string; type: string; initialStatuses: string[]; resultStatuses: string[]; runSeparately: boolean }[];
  /** Message additional fields with their default values (Hidden ones listed with an empty value). */
  fields: Record<string, string>;
}

export function processingViews(ctx: Context): ProcessingView[] {
  const setup = loadEmSetup(ctx.db, ctx.company);
  return [...setup.processings.values()].map((p) => ({
    processing: p.name,
    description: p.description,
    actions: p.links.map((l) => {
      const a = setup.actions.get(l.action);
      const statusName = (s: { messageStatus: string; itemStatus: string }) => s.messageStatus || (s.itemStatus ? `item: ${s.itemStatus}` : '');
      return {
        action: l.action,
        type: a ? (ACTION_TYPE_LABEL[a.type] ?? a.type) : '',
        initialStatuses: (a?.initial ?? []).map(statusName).filter(Boolean),
        resultStatuses: (a?.results ?? []).map(statusName).filter(Boolean),
        runSeparately: l.runSeparately,
      };
    }),
    fields: Object.fromEntries(Object.entries(p.fields).map(([k, v]) => [k, isHiddenField(setup, k) ? '' : v])),
  }));
}

/** A VRN as HMRC takes it: 9 digits (a "GB" prefix and spaces are dropped). */
export function normaliseVrn(value: string): string {
  return value.replace(/^GB/i, '').replace(/\s+/g, '');
}

/** `em processings set P --field NAME=VALUE`: the default value of a message additional field. */
export function setProcessingField(ctx: Context, processingName: string, name: string, value: string): ProcessingView {
  const setup = loadEmSetup(ctx.db, ctx.company);
  const p = processingOf(setup, processingName);
  if (!(name in p.fields)) {
    throw new UsageError(`processing "${p.name}" has no message additional field "${name}"; it has ${Object.keys(p.fields).map((f) => `"${f}"`).join(', ')}`);
  }
  if (isHiddenField(setup, name)) throw new UsageError(`"${name}" is a hidden field; HMRC sets it, and it is never shown or typed`);
  let stored = value.trim();
  if (name === VRN_FIELD && stored !== '') {
    stored = normaliseVrn(stored);
    if (!isVrnFormat(stored)) throw new UsageError(`"${VRN_FIELD}" must be a VAT registration number (9 digits), got "${value}"`);
  }
  const key = [p.name, name];
  const rec = getRecord(ctx.db, ctx.company, 'MessageProcessingAdditionalField', key);
  if (!rec) throw new NotFoundError(`processing "${p.name}" has no message additional field record "${name}"`);
  updateRecordData(ctx.db, ctx.company, 'MessageProcessingAdditionalField', key, { ...rec.data, FIELDVALUE: stored });
  return processingViews(ctx).find((v) => v.processing === p.name)!;
}

// ---------- attachments ----------

/** A file name from the setup or a server, made safe for one folder: no path, no control characters. */
export function safeFileName(name: string): string {
  const base = name.replace(/[\\/]/g, '_').replace(/[\u0000-\u001f\u007f-\u009f]/g, '_').replace(/^\.+/, '_').slice(0, 120);
  return base || 'attachment';
}

/**
 * `em attachments MSG --save DIR`: writes every attachment as it was sent or received (these files are
 * HMRC's documents and may contain the period key). Names are `<attachment number>-<file name>` so two
 * generations of VAT_return.json never overwrite each other; an existing file is never replaced.
 */
export function saveAttachments(ctx: Context, message: number, dir: string): { attachment: number; path: string }[] {
  requireMessage(ctx, message);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new UsageError(`--save ${dir}: not an existing folder`);
  const out: { attachment: number; path: string }[] = [];
  for (const a of listAttachments(ctx.db, ctx.company, message)) {
    const path = join(dir, `${a.id}-${safeFileName(a.name)}`);
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (error) {
      throw new ValidationError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code === 'EEXIST' ? 'the file exists (it is never overwritten)' : (error as Error).message}`);
    }
    try {
      writeSync(fd, attachmentContent(ctx.db, ctx.company, a.id));
    } finally {
      closeSync(fd);
    }
    out.push({ attachment: a.id, path });
  }
  return out;
}
