/**
 * SQL for message items collected from VAT lines: many items at once (one number block, one prepared
 * statement), the documents a processing already holds, and removing a message's items by status.
 * The rules live in src/em/collect-lines.ts; this module only reads and writes rows.
 */
import type { Db } from './db.js';

/**
 * Reserves `count` consecutive numbers of a number sequence and returns the first; call inside a write
 * transaction. Same table and meaning as nextNumber() in store/em.ts, one statement for the block.
 */
export function reserveNumbers(db: Db, company: string, sequence: string, count: number): number {
  const row = db
    .prepare(
      `INSERT INTO em_sequences (company, sequence, next) VALUES (@company, @sequence, @count + 1)
       ON CONFLICT (company, sequence) DO UPDATE SET next = next + @count RETURNING next - @count AS first`,
    )
    .get({ company, sequence, count }) as { first: number };
  return row.first;
}

export interface NewItem {
  itemDate: string | null;
  document: string;
  account: string;
  description: string;
  /** HMRC box field → exact decimal text. */
  boxes: Record<string, string>;
}

/** Inserts items numbered from the "Message item" sequence; returns their numbers in order. */
export function insertItemsBulk(
  db: Db,
  company: string,
  common: { message: number; itemType: string; status: string; at: string },
  items: NewItem[],
): number[] {
  if (items.length === 0) return [];
  const first = reserveNumbers(db, company, 'Message item', items.length);
  // Many rows per statement: one JS→SQLite call per batch instead of per row (100,000 VAT lines).
  const BATCH = 64;
  const sql = (n: number) =>
    `INSERT INTO em_items (company, item, message, item_type, status, item_date, document, account, description, boxes, created_at) VALUES ${Array(n).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
  const full = db.prepare(sql(BATCH));
  const numbers: number[] = new Array<number>(items.length);
  const params: unknown[] = [];
  for (let start = 0; start < items.length; start += BATCH) {
    const end = Math.min(start + BATCH, items.length);
    params.length = 0;
    for (let i = start; i < end; i++) {
      const it = items[i];
      numbers[i] = first + i;
      params.push(company, first + i, common.message, common.itemType, common.status, it.itemDate, it.document, it.account, it.description, JSON.stringify(it.boxes), common.at);
    }
    (end - start === BATCH ? full : db.prepare(sql(end - start))).run(...params);
  }
  return numbers;
}

export interface HeldDocument {
  message: number;
  /** The message's status. */
  status: string;
  item: number;
}

/** Every document held by an item of a message of `processing`: document → where it is. */
export function documentsInProcessing(db: Db, company: string, processing: string): Map<string, HeldDocument> {
  const rows = db
    .prepare(
      `SELECT i.document AS document, i.message AS message, m.status AS status, i.item AS item
       FROM em_items i JOIN em_messages m ON m.company = i.company AND m.message = i.message
       WHERE i.company = ? AND m.processing = ? AND i.document <> '' ORDER BY i.item`,
    )
    .raw()
    .all(company, processing) as [string, number, string, number][];
  const out = new Map<string, HeldDocument>();
  for (const [document, message, status, item] of rows) if (!out.has(document)) out.set(document, { message, status, item });
  return out;
}

/** Deletes the message's items in `status`; returns their numbers. */
export function deleteItemsInStatus(db: Db, company: string, message: number, status: string): number[] {
  const rows = db
    .prepare('DELETE FROM em_items WHERE company = ? AND message = ? AND status = ? RETURNING item')
    .raw()
    .all(company, message, status) as [number][];
  return rows.map((r) => r[0]).sort((a, b) => a - b);
}

/** Item descriptions by item number (the column this file's migration adds). */
export function itemDescriptions(db: Db, company: string, message: number): Map<number, string> {
  const rows = db.prepare(`SELECT item, description FROM em_items WHERE company = ? AND message = ? AND description <> ''`).raw().all(company, message) as [number, string][];
  return new Map(rows);
}

/**
 * Moves the message's items to `status` except those in `keep` (excluded items stay excluded) and
 * those already there, in one statement; returns the moved item numbers.
 */
export function moveMessageItems(db: Db, company: string, message: number, status: string, keep: string[]): number[] {
  const placeholders = keep.map(() => '?').join(', ');
  const rows = db
    .prepare(
      `UPDATE em_items SET status = ? WHERE company = ? AND message = ? AND status <> ?${keep.length ? ` AND status NOT IN (${placeholders})` : ''} RETURNING item`,
    )
    .raw()
    .all(status, company, message, status, ...keep) as [number][];
  return rows.map((r) => r[0]).sort((a, b) => a - b);
}

/** Item numbers and box JSON texts of the message's items not in `skip` (the excluded ones), in item order. */
export function itemBoxTexts(db: Db, company: string, message: number, skip: string[]): { items: number[]; boxes: string[] } {
  const placeholders = skip.map(() => '?').join(', ');
  const items: number[] = [];
  const boxes: string[] = [];
  const stmt = db
    .prepare(`SELECT item, boxes FROM em_items WHERE company = ? AND message = ?${skip.length ? ` AND status NOT IN (${placeholders})` : ''} ORDER BY item`)
    .raw();
  for (const [item, json] of stmt.iterate(company, message, ...skip) as IterableIterator<[number, string]>) {
    items.push(item);
    boxes.push(json);
  }
  return { items, boxes };
}

/** The additional field values of every message matching the filter, in one query: message → field → value. */
export function fieldsOfMessages(db: Db, company: string, filter: { processing?: string; status?: string } = {}): Map<number, Record<string, string>> {
  const rows = db
    .prepare(
      `SELECT f.message, f.field, f.value FROM em_message_fields f JOIN em_messages m ON m.company = f.company AND m.message = f.message
       WHERE f.company = @company AND (@processing IS NULL OR m.processing = @processing) AND (@status IS NULL OR m.status = @status)`,
    )
    .raw()
    .all({ company, processing: filter.processing ?? null, status: filter.status ?? null }) as [number, string, string][];
  const out = new Map<number, Record<string, string>>();
  for (const [message, field, value] of rows) {
    let fields = out.get(message);
    if (!fields) out.set(message, (fields = Object.create(null) as Record<string, string>));
    fields[field] = value;
  }
  return out;
}

/** The response type of an action log row while its action runs. */
export const RUNNING = 'Running';
/** The response type of a row whose process ended (killed, crashed) before its action finished. */
export const INTERRUPTED = 'Interrupted';

/** Writes the row of an action that starts now (committed at once, so a killed run leaves a trace). */
export function startLog(db: Db, company: string, l: { message: number; action: string; statusFrom: string; user: string; startedAt: string; pid: number }): number {
  const r = db
    .prepare(
      `INSERT INTO em_log (company, message, action, status_from, status_to, response_type, user_name, started_at, ended_at, text, items)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?, '[]')`,
    )
    .run(company, l.message, l.action, l.statusFrom, l.statusFrom, RUNNING, l.user, l.startedAt, `running in process ${l.pid}`);
  return Number(r.lastInsertRowid);
}

/** Completes a started row. */
export function finishLog(db: Db, id: number, l: { statusTo: string; responseType: string; endedAt: string; text: string }): void {
  db.prepare('UPDATE em_log SET status_to = ?, response_type = ?, ended_at = ?, text = ? WHERE id = ?').run(l.statusTo, l.responseType, l.endedAt, l.text, id);
}

export function deleteLog(db: Db, id: number): void {
  db.prepare('DELETE FROM em_log WHERE id = ?').run(id);
}

/**
 * Marks the message's rows still "Running" as Interrupted; call once the message is claimed, when no
 * live process can own them. Returns their ids.
 */
export function markInterrupted(db: Db, company: string, message: number, at: string): number[] {
  const rows = db
    .prepare(
      `UPDATE em_log SET response_type = ?, ended_at = ?,
         text = 'the process running this action ended before it finished (' || text || '); nothing after its last saved step happened here — run the action again'
       WHERE company = ? AND message = ? AND response_type = ? RETURNING id`,
    )
    .raw()
    .all(INTERRUPTED, at, company, message, RUNNING) as [number][];
  return rows.map((r) => r[0]);
}

/** Messages (of one, or all) with action-log rows still "Running", and the process recorded as running them. */
export function messagesWithRunningRows(db: Db, company: string, message?: number): { message: number; runPid: number | null }[] {
  const rows = db
    .prepare(
      `SELECT DISTINCT l.message, m.run_pid FROM em_log l JOIN em_messages m ON m.company = l.company AND m.message = l.message
       WHERE l.company = @company AND l.response_type = @running AND (@message IS NULL OR l.message = @message)`,
    )
    .raw()
    .all({ company, running: RUNNING, message: message ?? null }) as [number, number | null][];
  return rows.map(([m, pid]) => ({ message: m, runPid: pid }));
}
