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
  const insert = db.prepare(
    `INSERT INTO em_items (company, item, message, item_type, status, item_date, document, account, description, boxes, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const numbers: number[] = new Array<number>(items.length);
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    const item = first + i;
    insert.run(company, item, common.message, common.itemType, common.status, it.itemDate, it.document, it.account, it.description, JSON.stringify(it.boxes), common.at);
    numbers[i] = item;
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
