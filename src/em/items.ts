/**
 * Message items as users handle them (D365: Electronic message items): the list, and the setup's
 * item-level "User processing" actions — "Exclude from reporting" (Populated → Excluded) and "Update
 * to initial status" (Excluded → Populated). Each run writes one action-log row naming the item
 * numbers, so any change can be traced and undone (D365's bulk Update status is hard to reverse).
 * Generation reports non-excluded items only.
 */
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { itemDescriptions } from '../store/em-lines.js';
import { claimMessage, insertLog, listItems, releaseMessage, setItemStatus } from '../store/em.js';
import { EXCLUDED_ITEM_STATUS, linkedActions, processingOf, RefusedError } from './engine.js';
import { requireMessage } from './messages.js';
import { isAlive } from './interrupted.js';
import { loadEmSetup, RESPONSE_TYPE_LABEL, type ActionDef, type EmSetup } from './model.js';

export interface ItemView {
  item: number;
  itemType: string;
  status: string;
  itemDate: string | null;
  document: string;
  account: string;
  description: string;
  /** HMRC box field → exact decimal text (only the boxes the item has). */
  boxes: Record<string, string>;
  excluded: boolean;
}

export function itemViews(ctx: Context, message: number): ItemView[] {
  requireMessage(ctx, message);
  const descriptions = itemDescriptions(ctx.db, ctx.company, message);
  return listItems(ctx.db, ctx.company, message).map((i) => ({
    item: i.item,
    itemType: i.itemType,
    status: i.status,
    itemDate: i.itemDate,
    document: i.document,
    account: i.account,
    description: descriptions.get(i.item) ?? '',
    boxes: i.boxes,
    excluded: i.status === EXCLUDED_ITEM_STATUS,
  }));
}

export type ItemChange = 'exclude' | 'restore';

const itemInitial = (a: ActionDef) => a.initial.filter((s) => !s.messageStatus && s.itemStatus).map((s) => s.itemStatus);
const itemResult = (a: ActionDef) => a.results.find((r) => !r.messageStatus && r.itemStatus && (r.responseType ?? 'Successfull') === 'Successfull')?.itemStatus;

/**
 * The processing's item-level user action for the change: exclude = the one whose result is the
 * Excluded item status; restore = the one that starts from it. Found from the setup, not by name.
 */
export function itemAction(setup: EmSetup, processing: string, change: ItemChange): ActionDef {
  const candidates = linkedActions(setup, processingOf(setup, processing)).filter((a) => a.type === 'User' && itemResult(a));
  const found = candidates.filter((a) =>
    change === 'exclude' ? itemResult(a) === EXCLUDED_ITEM_STATUS : itemInitial(a).includes(EXCLUDED_ITEM_STATUS) && itemResult(a) !== EXCLUDED_ITEM_STATUS,
  );
  if (found.length !== 1) {
    throw new RefusedError(
      `processing "${processing}" has ${found.length ? 'several' : 'no'} User processing action${found.length ? 's' : ''} that ${change === 'exclude' ? `moves items to "${EXCLUDED_ITEM_STATUS}"` : `moves items out of "${EXCLUDED_ITEM_STATUS}"`}` +
        (found.length ? ` (${found.map((a) => `"${a.name}"`).join(', ')})` : '; import the setup package again'),
    );
  }
  return found[0];
}

export interface ItemChangeResult {
  message: number;
  action: string;
  items: number[];
  status: string;
  log: number;
}

/** Runs "Exclude from reporting" / "Update to initial status" on the given items of one message. */
export function changeItems(ctx: Context, message: number, items: number[], change: ItemChange, user: string): ItemChangeResult {
  if (!items.length) throw new UsageError('name at least one item number (see `mtdvat em items MSG`)');
  const setup = loadEmSetup(ctx.db, ctx.company);
  const row = requireMessage(ctx, message);
  const action = itemAction(setup, row.processing, change);
  const to = itemResult(action)!;
  const from = itemInitial(action);
  const claim = claimMessage(ctx.db, ctx.company, message, process.pid, new Date().toISOString(), isAlive);
  if (!claim.ok) throw new RefusedError(`message ${message} is being processed by process ${claim.pid} (since ${claim.since}); try again when it has finished`);
  try {
    return ctx.db
      .transaction((): ItemChangeResult => {
        const held = new Map(listItems(ctx.db, ctx.company, message).map((i) => [i.item, i]));
        const problems: string[] = [];
        const wanted = [...new Set(items)].sort((a, b) => a - b);
        for (const n of wanted) {
          const i = held.get(n);
          if (!i) problems.push(`item ${n} is not an item of message ${message}`);
          else if (!from.includes(i.status)) problems.push(`item ${n} is "${i.status}"; "${action.name}" runs on items in ${from.map((s) => `"${s}"`).join(' or ')}`);
        }
        if (problems.length) throw new RefusedError(`nothing changed: ${problems.join('; ')}`);
        setItemStatus(ctx.db, ctx.company, wanted, to);
        const at = new Date().toISOString();
        const log = insertLog(ctx.db, ctx.company, {
          message,
          action: action.name,
          statusFrom: row.status,
          statusTo: row.status,
          responseType: RESPONSE_TYPE_LABEL.Successfull,
          user,
          startedAt: at,
          endedAt: at,
          text: `Item${wanted.length === 1 ? '' : 's'} ${wanted.join(', ')}: ${from.join(', ')} → ${to}`,
          items: wanted,
        });
        return { message, action: action.name, items: wanted, status: to, log };
      })
      .immediate();
  } finally {
    releaseMessage(ctx.db, ctx.company, message, process.pid);
  }
}
