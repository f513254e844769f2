/**
 * SQL of the Electronic messages runtime: messages, their additional field values, message items, the
 * action log and attachments (D365: Tax > Inquiries and reports > Electronic messages). The rules live in
 * src/em/; this module only reads and writes rows.
 */
import { createHash } from 'node:crypto';
import type { Db } from './db.js';

export interface MessageRow {
  message: number;
  processing: string;
  description: string;
  fromDate: string | null;
  toDate: string | null;
  status: string;
  createdAt: string;
  updatedAt: string;
  runPid: number | null;
  runStartedAt: string | null;
}

export interface ItemRow {
  item: number;
  message: number;
  itemType: string;
  status: string;
  itemDate: string | null;
  document: string;
  account: string;
  /** HMRC box field → exact decimal text. */
  boxes: Record<string, string>;
  createdAt: string;
}

export interface LogRow {
  id: number;
  message: number;
  action: string;
  statusFrom: string;
  statusTo: string;
  responseType: string;
  user: string;
  startedAt: string;
  endedAt: string;
  text: string;
  items: number[];
}

export interface AttachmentRow {
  id: number;
  message: number;
  logId: number | null;
  name: string;
  mediaType: string;
  sha256: string;
  bytes: number;
  createdAt: string;
}

/** Next number of a number sequence ("Message", "Message item"); call inside a write transaction. */
export function nextNumber(db: Db, company: string, sequence: string): number {
  const row = db
    .prepare(
      `INSERT INTO em_sequences (company, sequence, next) VALUES (?, ?, 2)
       ON CONFLICT (company, sequence) DO UPDATE SET next = next + 1 RETURNING next - 1 AS n`,
    )
    .get(company, sequence) as { n: number };
  return row.n;
}

const MESSAGE_COLUMNS = `message, processing, description, from_date AS fromDate, to_date AS toDate, status,
  created_at AS createdAt, updated_at AS updatedAt, run_pid AS runPid, run_started_at AS runStartedAt`;

export function insertMessage(
  db: Db,
  company: string,
  m: { processing: string; description: string; fromDate?: string | null; toDate?: string | null; status: string; at: string },
): number {
  const message = nextNumber(db, company, 'Message');
  db.prepare(
    `INSERT INTO em_messages (company, message, processing, description, from_date, to_date, status, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(company, message, m.processing, m.description, m.fromDate ?? null, m.toDate ?? null, m.status, m.at, m.at);
  return message;
}

export function getMessage(db: Db, company: string, message: number): MessageRow | undefined {
  return db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM em_messages WHERE company = ? AND message = ?`).get(company, message) as MessageRow | undefined;
}

export function listMessages(db: Db, company: string, filter: { processing?: string; status?: string } = {}): MessageRow[] {
  return db
    .prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM em_messages WHERE company = @company
       AND (@processing IS NULL OR processing = @processing) AND (@status IS NULL OR status = @status) ORDER BY message`,
    )
    .all({ company, processing: filter.processing ?? null, status: filter.status ?? null }) as MessageRow[];
}

export function updateMessage(
  db: Db,
  company: string,
  message: number,
  changes: { status?: string; description?: string; fromDate?: string | null; toDate?: string | null; at: string },
): void {
  db.prepare(
    `UPDATE em_messages SET status = COALESCE(@status, status), description = COALESCE(@description, description),
       from_date = CASE WHEN @setFrom THEN @fromDate ELSE from_date END, to_date = CASE WHEN @setTo THEN @toDate ELSE to_date END,
       updated_at = @at WHERE company = @company AND message = @message`,
  ).run({
    company,
    message,
    status: changes.status ?? null,
    description: changes.description ?? null,
    setFrom: changes.fromDate !== undefined ? 1 : 0,
    fromDate: changes.fromDate ?? null,
    setTo: changes.toDate !== undefined ? 1 : 0,
    toDate: changes.toDate ?? null,
    at: changes.at,
  });
}

export function deleteMessage(db: Db, company: string, message: number): void {
  db.prepare('DELETE FROM em_messages WHERE company = ? AND message = ?').run(company, message);
}

/**
 * Marks the message as being run by `pid`. Returns the holder when another live process has it.
 * `isAlive` decides whether a recorded holder still runs (a killed run must not lock the message forever).
 */
export function claimMessage(
  db: Db,
  company: string,
  message: number,
  pid: number,
  at: string,
  isAlive: (pid: number) => boolean,
): { ok: true } | { ok: false; pid: number; since: string } {
  return db
    .transaction(() => {
      const row = db.prepare('SELECT run_pid, run_started_at FROM em_messages WHERE company = ? AND message = ?').get(company, message) as
        | { run_pid: number | null; run_started_at: string | null }
        | undefined;
      if (row && row.run_pid !== null && row.run_pid !== pid && isAlive(row.run_pid)) {
        return { ok: false as const, pid: row.run_pid, since: row.run_started_at ?? '' };
      }
      db.prepare('UPDATE em_messages SET run_pid = ?, run_started_at = ? WHERE company = ? AND message = ?').run(pid, at, company, message);
      return { ok: true as const };
    })
    .immediate();
}

export function releaseMessage(db: Db, company: string, message: number, pid: number): void {
  db.prepare('UPDATE em_messages SET run_pid = NULL, run_started_at = NULL WHERE company = ? AND message = ? AND run_pid = ?').run(company, message, pid);
}

// ---------- additional field values ----------

export function getFields(db: Db, company: string, message: number): Record<string, string> {
  const rows = db.prepare('SELECT field, value FROM em_message_fields WHERE company = ? AND message = ? ORDER BY field').all(company, message) as {
    field: string;
    value: string;
  }[];
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const r of rows) out[r.field] = r.value;
  return out;
}

export function setField(db: Db, company: string, message: number, field: string, value: string): void {
  db.prepare(
    `INSERT INTO em_message_fields (company, message, field, value) VALUES (?, ?, ?, ?)
     ON CONFLICT (company, message, field) DO UPDATE SET value = excluded.value`,
  ).run(company, message, field, value);
}

/** The message of `processing` whose field `field` has `value` (e.g. the one holding a period). */
export function findMessagesByField(db: Db, company: string, processing: string, field: string, value: string): number[] {
  const rows = db
    .prepare(
      `SELECT m.message FROM em_messages m JOIN em_message_fields f ON f.company = m.company AND f.message = m.message
       WHERE m.company = ? AND m.processing = ? AND f.field = ? AND f.value = ? ORDER BY m.message`,
    )
    .all(company, processing, field, value) as { message: number }[];
  return rows.map((r) => r.message);
}

// ---------- items ----------

const ITEM_COLUMNS = `item, message, item_type AS itemType, status, item_date AS itemDate, document, account, boxes, created_at AS createdAt`;

export function insertItem(
  db: Db,
  company: string,
  i: { message: number; itemType: string; status: string; itemDate?: string | null; document?: string; account?: string; boxes: Record<string, string>; at: string },
): number {
  const item = nextNumber(db, company, 'Message item');
  db.prepare(
    `INSERT INTO em_items (company, item, message, item_type, status, item_date, document, account, boxes, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(company, item, i.message, i.itemType, i.status, i.itemDate ?? null, i.document ?? '', i.account ?? '', JSON.stringify(i.boxes), i.at);
  return item;
}

export function listItems(db: Db, company: string, message: number): ItemRow[] {
  const rows = db.prepare(`SELECT ${ITEM_COLUMNS} FROM em_items WHERE company = ? AND message = ? ORDER BY item`).all(company, message) as (Omit<
    ItemRow,
    'boxes'
  > & { boxes: string })[];
  return rows.map((r) => ({ ...r, boxes: JSON.parse(r.boxes) as Record<string, string> }));
}

export function setItemStatus(db: Db, company: string, items: number[], status: string): void {
  const stmt = db.prepare('UPDATE em_items SET status = ? WHERE company = ? AND item = ?');
  for (const item of items) stmt.run(status, company, item);
}

export function deleteItems(db: Db, company: string, items: number[]): void {
  const stmt = db.prepare('DELETE FROM em_items WHERE company = ? AND item = ?');
  for (const item of items) stmt.run(company, item);
}

// ---------- action log ----------

const LOG_COLUMNS = `id, message, action, status_from AS statusFrom, status_to AS statusTo, response_type AS responseType,
  user_name AS user, started_at AS startedAt, ended_at AS endedAt, text, items`;

export function insertLog(db: Db, company: string, l: Omit<LogRow, 'id'>): number {
  const r = db
    .prepare(
      `INSERT INTO em_log (company, message, action, status_from, status_to, response_type, user_name, started_at, ended_at, text, items)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(company, l.message, l.action, l.statusFrom, l.statusTo, l.responseType, l.user, l.startedAt, l.endedAt, l.text, JSON.stringify(l.items));
  return Number(r.lastInsertRowid);
}

/** Replaces a log row's text (after an action's result rewrote it). */
export function setLogText(db: Db, id: number, text: string): void {
  db.prepare('UPDATE em_log SET text = ? WHERE id = ?').run(text, id);
}

/** Records which items a logged action changed, by number. */
export function setLogItems(db: Db, id: number, items: number[]): void {
  db.prepare('UPDATE em_log SET items = ? WHERE id = ?').run(JSON.stringify(items), id);
}

export function listLog(db: Db, company: string, message?: number): LogRow[] {
  const rows = db
    .prepare(`SELECT ${LOG_COLUMNS} FROM em_log WHERE company = @company AND (@message IS NULL OR message = @message) ORDER BY id`)
    .all({ company, message: message ?? null }) as (Omit<LogRow, 'items'> & { items: string })[];
  return rows.map((r) => ({ ...r, items: JSON.parse(r.items) as number[] }));
}

// ---------- attachments ----------

const ATTACHMENT_COLUMNS = `id, message, log_id AS logId, name, media_type AS mediaType, sha256, bytes, created_at AS createdAt`;

export function insertAttachment(
  db: Db,
  company: string,
  a: { message: number; logId: number | null; name: string; mediaType: string; content: Uint8Array; at: string },
): AttachmentRow {
  const sha256 = createHash('sha256').update(a.content).digest('hex');
  const r = db
    .prepare(
      `INSERT INTO em_attachments (company, message, log_id, name, media_type, sha256, bytes, content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(company, a.message, a.logId, a.name, a.mediaType, sha256, a.content.byteLength, Buffer.from(a.content), a.at);
  return { id: Number(r.lastInsertRowid), message: a.message, logId: a.logId, name: a.name, mediaType: a.mediaType, sha256, bytes: a.content.byteLength, createdAt: a.at };
}

export function linkAttachment(db: Db, company: string, id: number, logId: number): void {
  db.prepare('UPDATE em_attachments SET log_id = ? WHERE company = ? AND id = ?').run(logId, company, id);
}

export function listAttachments(db: Db, company: string, message: number): AttachmentRow[] {
  return db.prepare(`SELECT ${ATTACHMENT_COLUMNS} FROM em_attachments WHERE company = ? AND message = ? ORDER BY id`).all(company, message) as AttachmentRow[];
}

/** The last attachment of the message with that file name ("the last JSON file that was attached"). */
export function lastAttachment(db: Db, company: string, message: number, name: string): AttachmentRow | undefined {
  return db
    .prepare(`SELECT ${ATTACHMENT_COLUMNS} FROM em_attachments WHERE company = ? AND message = ? AND name = ? ORDER BY id DESC LIMIT 1`)
    .get(company, message, name) as AttachmentRow | undefined;
}

export function attachmentContent(db: Db, company: string, id: number): Uint8Array {
  const row = db.prepare('SELECT content FROM em_attachments WHERE company = ? AND id = ?').get(company, id) as { content: Buffer } | undefined;
  return row ? new Uint8Array(row.content) : new Uint8Array();
}

/** One page of the messages (newest first) and how many there are in all: the workspace's list. */
export function pageMessages(
  db: Db,
  company: string,
  filter: { processing?: string },
  page: { limit: number; offset: number },
): { rows: MessageRow[]; total: number } {
  const args = { company, processing: filter.processing ?? null };
  const where = 'company = @company AND (@processing IS NULL OR processing = @processing)';
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM em_messages WHERE ${where}`).get(args) as { n: number }).n;
  const rows = db
    .prepare(`SELECT ${MESSAGE_COLUMNS} FROM em_messages WHERE ${where} ORDER BY message DESC LIMIT @limit OFFSET @offset`)
    .all({ ...args, limit: page.limit, offset: page.offset }) as MessageRow[];
  return { rows, total };
}

/** How many messages (of the processing) are newer than `message`: its position in the list. */
export function messagesNewerThan(db: Db, company: string, filter: { processing?: string }, message: number): number {
  return (
    db
      .prepare('SELECT COUNT(*) AS n FROM em_messages WHERE company = @company AND (@processing IS NULL OR processing = @processing) AND message > @message')
      .get({ company, processing: filter.processing ?? null, message }) as { n: number }
  ).n;
}
