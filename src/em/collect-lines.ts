/**
 * "Collect data" (Populate records) from a VAT lines file: one message item per line, as D365's
 * "Populate VAT return records" makes one item per tax transaction. Lines dated outside the message's
 * From/To dates make the file fail; a document already held by this message or another message of the
 * processing is skipped and reported with where it is — D365's FAQ case of collection finding nothing
 * because the payment is linked to another message.
 * Source: Microsoft Learn, UK MTD VAT "Frequently asked questions" and "Submit VAT return".
 */
import { basename } from 'node:path';
import { ValidationError } from '../errors.js';
import { deleteItemsInStatus, documentsInProcessing, insertItemsBulk, type NewItem } from '../store/em-lines.js';
import { lineBoxTexts, readVatLines } from '../vat/vat-lines.js';
import type { ActionResult, StepContext } from './run.js';

/** The item status Populate records gives (and `--replace` removes). */
export const POPULATED_ITEM_STATUS = 'Populated';

/** How many skipped documents the log text names one by one. */
const SKIPS_NAMED = 50;

export interface CollectLinesOptions {
  /** Remove this message's Populated items first (a corrected file replaces the earlier one). */
  replace?: boolean;
}

export async function collectFromLines(sc: StepContext, file: string, options: CollectLinesOptions = {}): Promise<ActionResult> {
  const { ctx, message, action } = sc;
  const name = basename(file);
  const itemType = action.itemType;
  if (!itemType) throw new ValidationError(`"${action.name}" has no message item type (entity "Message processing actions", field MESSAGEITEMTYPE)`);
  // All or nothing: any bad line fails the file before a single item is written.
  const lines = await readVatLines(file, { from: message.fromDate ?? undefined, to: message.toDate ?? undefined });
  return {
    outcome: 'Successfull',
    text: '',
    apply: (tx) => {
      const status = tx.itemStatus ?? POPULATED_ITEM_STATUS;
      const removed = options.replace ? deleteItemsInStatus(ctx.db, ctx.company, message.message, status) : [];
      const held = documentsInProcessing(ctx.db, ctx.company, message.processing);
      const fresh: NewItem[] = [];
      const skipped: string[] = [];
      for (const line of lines) {
        const where = held.get(line.document);
        if (where) {
          skipped.push(`${line.document} (row ${line.row}): linked to message ${where.message} (status ${where.status})`);
          continue;
        }
        fresh.push({ itemDate: line.date, document: line.document, account: line.account, description: line.description, boxes: lineBoxTexts(line) });
      }
      const created = insertItemsBulk(ctx.db, ctx.company, { message: message.message, itemType, status, at: tx.at }, fresh);
      const parts = [`Collected ${created.length} item${created.length === 1 ? '' : 's'} from ${lines.length} line${lines.length === 1 ? '' : 's'} of ${name}`];
      if (removed.length) parts.push(`replaced ${removed.length} ${status} item${removed.length === 1 ? '' : 's'} collected before`);
      if (skipped.length) {
        const named = skipped.slice(0, SKIPS_NAMED).join('; ');
        parts.push(`skipped ${skipped.length} document${skipped.length === 1 ? '' : 's'} already collected: ${named}${skipped.length > SKIPS_NAMED ? `; … and ${skipped.length - SKIPS_NAMED} more` : ''}`);
      }
      return { items: [...removed, ...created], text: parts.join('; ') };
    },
  };
}
