/**
 * The state machine of Electronic messages, as pure functions over the imported setup:
 *   - an action is offered for a message while the message is in one of its initial statuses;
 *   - it ends in the result status whose response type matches the outcome;
 *   - a message status that names a message item status moves the message's non-excluded items with it;
 *   - after an action, the next linked action with "Run separately" = No whose initial status now
 *     matches runs at once.
 * Source: Microsoft Learn, "Electronic messaging setup" (general-ledger/electronic-messaging-setup) and
 * "Work with electronic messaging" (general-ledger/electronic-messaging-work-with-em).
 */
import { shellQuote } from '../lib/shell-quote.js';
import { UsageError, MtdvatError } from '../errors.js';
import { RESPONSE_TYPE_LABEL, type ActionDef, type EmSetup, type ProcessingDef, type ResponseTypeSymbol } from './model.js';

/** The item status a message item has once excluded from reporting; excluded items do not move. */
export const EXCLUDED_ITEM_STATUS = 'Excluded';

/** Action types a user runs by hand (Update status); `em run` without --action never picks them. */
export const USER_ACTION_TYPES = new Set(['User', 'UserMessageLevel']);

/** An action was asked for that the message cannot run now. Exit code 1, naming what it needs. */
export class RefusedError extends MtdvatError {}

export function processingOf(setup: EmSetup, name: string): ProcessingDef {
  const p = setup.processings.get(name);
  if (!p) {
    const known = [...setup.processings.keys()].map((n) => `"${n}"`).join(', ');
    throw new UsageError(`there is no electronic message processing "${name}"${known ? `; the store has ${known}` : '; import the setup package first'}`);
  }
  return p;
}

/** The actions linked to the processing, in line order, that exist in the setup. */
export function linkedActions(setup: EmSetup, processing: ProcessingDef): ActionDef[] {
  return processing.links.map((l) => setup.actions.get(l.action)).filter((a): a is ActionDef => !!a);
}

function initialMessageStatuses(action: ActionDef): string[] {
  return action.initial.filter((s) => s.messageStatus).map((s) => s.messageStatus);
}

/**
 * Message-level actions offered for a message in `status`: linked to the processing, with that status
 * among their initial statuses. Item-level actions (initial statuses are item statuses) are not offered
 * on the message. A "Run separately = No" action normally runs as part of its chain; it is still offered
 * when the message waits in its initial status (the chain was interrupted), so the import can be resumed.
 */
export function offeredActions(setup: EmSetup, processingName: string, status: string): ActionDef[] {
  const p = processingOf(setup, processingName);
  const out: ActionDef[] = [];
  for (const link of p.links) {
    const a = setup.actions.get(link.action);
    if (a && initialMessageStatuses(a).includes(status)) out.push(a);
  }
  return out;
}

/** Create message actions of the processing (they have no initial status). */
export function createActions(setup: EmSetup, processingName: string): ActionDef[] {
  return linkedActions(setup, processingOf(setup, processingName)).filter((a) => a.type === 'CreateMessage');
}

/** Why `action` cannot run on a message in `status` (undefined when it can). */
export function refusal(setup: EmSetup, processingName: string, action: ActionDef, status: string): string | undefined {
  const p = processingOf(setup, processingName);
  const link = p.links.find((l) => l.action === action.name);
  if (!link) return `action "${action.name}" is not linked to processing "${p.name}"`;
  const needs = initialMessageStatuses(action);
  if (action.type === 'CreateMessage') return `"${action.name}" creates a new message; use \`mtdvat em new --processing ${shellQuote(p.name)} --action ${shellQuote(action.name)}\``;
  if (!needs.length) return `"${action.name}" runs on message items, not on the message`;
  if (!needs.includes(status)) {
    return `"${action.name}" runs only on a message in status ${needs.map((s) => `"${s}"`).join(' or ')}; the message is in "${status}"`;
  }
  return undefined;
}

export interface ResultChoice {
  /** The message status to move to, or undefined when the action leaves the message status alone. */
  messageStatus?: string;
  /** An item status the action sets directly (Populate records, item-level actions). */
  itemStatus?: string;
  responseType: ResponseTypeSymbol;
}

/**
 * The result status for an outcome. Rules the data cannot express (mtdvat's, from the issue):
 *   - a Business error with no Business error result falls back to Technical error;
 *   - several results of one response type: `toStatus` chooses, else a usage error lists them;
 *   - an action D365 documents as not changing the status (a preview) whose results include the current
 *     status leaves it there;
 *   - an action with no message-status result of that type leaves the message status alone.
 */
export function chooseResult(
  action: ActionDef,
  outcome: ResponseTypeSymbol,
  current: string,
  options: { toStatus?: string; keepsStatus?: boolean } = {},
): ResultChoice {
  let type = outcome;
  const ofType = (t: ResponseTypeSymbol) => action.results.filter((r) => (r.responseType ?? 'Successfull') === t);
  if (type === 'BusinessError' && !ofType('BusinessError').length) type = 'TechnicalError';
  const candidates = ofType(type);
  const messageResults = candidates.filter((r) => r.messageStatus);
  const itemResult = candidates.find((r) => !r.messageStatus && r.itemStatus)?.itemStatus;
  if (options.keepsStatus && action.results.some((r) => r.messageStatus === current) && type === 'Successfull') {
    return { responseType: type, itemStatus: itemResult };
  }
  if (options.toStatus !== undefined) {
    const all = action.results.filter((r) => r.messageStatus).map((r) => r.messageStatus);
    if (!messageResults.some((r) => r.messageStatus === options.toStatus)) {
      throw new UsageError(
        `--to-status "${options.toStatus}" is not a ${RESPONSE_TYPE_LABEL[type]} result of "${action.name}"; its results are ${all.map((s) => `"${s}"`).join(', ') || 'none'}`,
      );
    }
    return { responseType: type, messageStatus: options.toStatus, itemStatus: itemResult };
  }
  const distinct = [...new Set(messageResults.map((r) => r.messageStatus))];
  if (distinct.length > 1) {
    throw new UsageError(
      `"${action.name}" can end in ${distinct.map((s) => `"${s}"`).join(' or ')}; choose one with --to-status`,
    );
  }
  return { responseType: type, messageStatus: distinct[0], itemStatus: itemResult };
}

/** The result statuses a user may pick for an action, to check `--to-status` before anything runs. */
export function resultStatuses(action: ActionDef): string[] {
  return [...new Set(action.results.filter((r) => r.messageStatus).map((r) => r.messageStatus))];
}

/**
 * The action that runs at once after `after` left the message in `status`: the next linked action (in
 * line order, after `after`) with Run separately = No whose initial statuses include `status`.
 */
export function chainedAction(setup: EmSetup, processingName: string, after: string, status: string): ActionDef | undefined {
  const p = processingOf(setup, processingName);
  const from = p.links.findIndex((l) => l.action === after);
  for (const link of p.links.slice(from + 1)) {
    if (link.runSeparately) continue;
    const a = setup.actions.get(link.action);
    if (a && initialMessageStatuses(a).includes(status)) return a;
  }
  return undefined;
}

/** The item status that message status `status` carries, if any. */
export function itemStatusOf(setup: EmSetup, status: string): string | undefined {
  return setup.messageStatuses.get(status)?.itemStatus || undefined;
}

/** Items (number + status) that move with the message: every item that is not excluded. */
export function movingItems<T extends { status: string }>(items: T[]): T[] {
  return items.filter((i) => i.status !== EXCLUDED_ITEM_STATUS);
}

/** Whether a message in `status` may be deleted (the status's "Allow delete"). */
export function canDelete(setup: EmSetup, status: string): boolean {
  return setup.messageStatuses.get(status)?.allowDelete === true;
}

// ---------- outcomes of HMRC calls ----------

export interface HttpOutcome {
  responseType: ResponseTypeSymbol;
  /** A list request that found nothing (HMRC 404 NOT_FOUND / MATCHING_RESOURCE_NOT_FOUND). */
  nothingFound?: boolean;
}

/**
 * Maps HMRC's answer to a response type: the web service's successful response code → Successfully
 * executed; 404 NOT_FOUND on a list request → Successfully executed with nothing found; another 4xx →
 * Business error (the caller falls back to Technical error when the action has no such result); 5xx,
 * timeouts and anything else → Technical error.
 */
export function outcomeOfHttp(status: number | undefined, successCode: number, options: { listRequest?: boolean; code?: string } = {}): HttpOutcome {
  if (status !== undefined && status === successCode) return { responseType: 'Successfull' };
  if (status === 404 && options.listRequest && (options.code === undefined || /NOT_FOUND/.test(options.code))) {
    return { responseType: 'Successfull', nothingFound: true };
  }
  if (status !== undefined && status >= 400 && status < 500) return { responseType: 'BusinessError' };
  return { responseType: 'TechnicalError' };
}
