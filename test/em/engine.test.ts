import { describe, expect, it } from 'vitest';
import { loadEmSetup } from '../../src/em/model.js';
import {
  canDelete,
  chainedAction,
  chooseResult,
  createActions,
  itemStatusOf,
  movingItems,
  offeredActions,
  outcomeOfHttp,
  refusal,
} from '../../src/em/engine.js';
import { UsageError } from '../../src/errors.js';
import { shippedSetupDb } from '../helpers/em-setup.js';

const TEST = 'UK MTD VAT TEST';
const LIVE = 'UK MTD VAT returns';
const setup = loadEmSetup(shippedSetupDb(), 'DAT');
const action = (name: string) => {
  const a = setup.actions.get(name);
  if (!a) throw new Error(`no action ${name}`);
  return a;
};

describe('actions offered by initial status (shipped setup)', () => {
  it.each([
    [TEST, 'New obligation request', ['Test retrieves VAT obligations']],
    [TEST, 'Error VAT obligations retrieving', ['Test retrieves VAT obligations']],
    [LIVE, 'New obligation request', ['Retrieve VAT obligations']],
    // Import VAT obligations has Run separately = No: offered only where an interrupted chain left the message.
    [TEST, 'Retrieved VAT obligation', ['Import VAT obligations']],
    [TEST, 'New VAT return', ['Populate VAT return records', 'Ready to generate VAT return']],
    [TEST, 'Ready to generate VAT return', ['Update to initial status VAT return', 'Preview VAT return', 'Generate file for submission']],
    [TEST, 'Error VAT return submission', ['Preview VAT return', 'Generate file for submission', 'Test submits VAT return']],
    [TEST, 'Generated VAT return', ['Update to initial status VAT return', 'Test submits VAT return']],
    [LIVE, 'Generated VAT return', ['Update to initial status VAT return', 'Submit VAT return']],
    [TEST, 'Sent VAT return', ['Import response for VAT return']],
    [TEST, 'Completed VAT return', []],
    [LIVE, 'New liabilities request', ['Request VAT liabilities']],
    // Our extension: the TEST processing requests liabilities and payments too (with the Test classes).
    [TEST, 'New liabilities request', ['Test requests VAT liabilities']],
  ])('%s in "%s" offers %j', (processing, status, expected) => {
    expect(offeredActions(setup, processing, status).map((a) => a.name)).toEqual(expected);
  });

  it('create message actions per processing', () => {
    expect(createActions(setup, TEST).map((a) => a.name)).toEqual(['Create VAT obligation request', 'Create VAT liabilities request', 'Create VAT payments request']);
    expect(createActions(setup, LIVE).map((a) => a.name)).toEqual(['Create VAT obligation request', 'Create VAT liabilities request', 'Create VAT payments request']);
  });

  it('an unknown processing is a usage error naming the known ones', () => {
    expect(() => offeredActions(setup, 'Nope', 'x')).toThrow(/no electronic message processing "Nope".*"UK MTD VAT TEST"/);
  });

  it.each([
    ['Test submits VAT return', 'Ready to generate VAT return', /runs only on a message in status "Error VAT return submission" or "Generated VAT return"; the message is in "Ready to generate VAT return"/],
    ['Submit VAT return', 'Generated VAT return', /not linked to processing "UK MTD VAT TEST"/],
    ['Exclude from reporting', 'New VAT return', /runs on message items/],
    ['Create VAT obligation request', 'New VAT return', /creates a new message/],
    ['Generate file for submission', 'Error VAT return submission', undefined],
  ])('refusal of "%s" in "%s"', (name, status, expected) => {
    const r = refusal(setup, TEST, action(name), status);
    if (expected) expect(r).toMatch(expected);
    else expect(r).toBeUndefined();
  });
});

describe('result status by response type', () => {
  it.each([
    ['Test retrieves VAT obligations', 'Successfull', 'New obligation request', 'Retrieved VAT obligation', 'Successfull'],
    ['Test retrieves VAT obligations', 'TechnicalError', 'New obligation request', 'Error VAT obligations retrieving', 'TechnicalError'],
    // No Business error result: falls back to Technical error.
    ['Test submits VAT return', 'BusinessError', 'Generated VAT return', 'Error VAT return submission', 'TechnicalError'],
    ['Generate file for submission', 'Successfull', 'Error VAT return submission', 'Generated VAT return', 'Successfull'],
    ['Import response for VAT return', 'Successfull', 'Sent VAT return', 'Completed VAT return', 'Successfull'],
    ['Ready to generate VAT return', 'Successfull', 'New VAT return', 'Ready to generate VAT return', 'Successfull'],
  ] as const)('"%s" %s from "%s" → "%s"', (name, outcome, from, to, type) => {
    const r = chooseResult(action(name), outcome, from);
    expect(r.messageStatus).toBe(to);
    expect(r.responseType).toBe(type);
  });

  it('Populate records leaves the message status and sets the item status', () => {
    expect(chooseResult(action('Populate VAT return records'), 'Successfull', 'New VAT return')).toEqual({ responseType: 'Successfull', itemStatus: 'Populated', messageStatus: undefined });
  });

  it('a preview whose results include the current status leaves it', () => {
    expect(chooseResult(action('Preview VAT return'), 'Successfull', 'Ready to generate VAT return', { keepsStatus: true }).messageStatus).toBeUndefined();
    expect(chooseResult(action('Preview VAT return'), 'Successfull', 'Error VAT return generation', { keepsStatus: true }).messageStatus).toBeUndefined();
    // From a status it cannot end in, the preview moves the message on.
    expect(chooseResult(action('Preview VAT return'), 'Successfull', 'Error VAT return submission', { keepsStatus: true }).messageStatus).toBe('Ready to generate VAT return');
    // Its failure still ends in the error status.
    expect(chooseResult(action('Preview VAT return'), 'TechnicalError', 'Ready to generate VAT return', { keepsStatus: true }).messageStatus).toBe('Error VAT return generation');
  });

  it('several results of one response type need --to-status', () => {
    const a = action('Update to initial status VAT return');
    expect(() => chooseResult(a, 'Successfull', 'Generated VAT return')).toThrow(UsageError);
    expect(() => chooseResult(a, 'Successfull', 'Generated VAT return')).toThrow(/"New VAT return" or "Ready to generate VAT return"; choose one with --to-status/);
    expect(chooseResult(a, 'Successfull', 'Generated VAT return', { toStatus: 'New VAT return' }).messageStatus).toBe('New VAT return');
    expect(() => chooseResult(a, 'Successfull', 'Generated VAT return', { toStatus: 'Completed VAT return' })).toThrow(/not a Successfully executed result/);
  });
});

describe('chained actions (Run separately = No)', () => {
  it.each([
    [TEST, 'Test retrieves VAT obligations', 'Retrieved VAT obligation', 'Import VAT obligations'],
    [LIVE, 'Retrieve VAT obligations', 'Retrieved VAT obligation', 'Import VAT obligations'],
    [TEST, 'Test submits VAT return', 'Sent VAT return', 'Import response for VAT return'],
    [TEST, 'Test retrieves VAT obligations', 'Error VAT obligations retrieving', undefined],
    [TEST, 'Test submits VAT return', 'Error VAT return submission', undefined],
    [TEST, 'Generate file for submission', 'Generated VAT return', undefined],
  ])('%s: after "%s" in "%s" runs %s', (processing, after, status, next) => {
    expect(chainedAction(setup, processing, after, status)?.name).toBe(next);
  });
});

describe('item statuses carried by message statuses', () => {
  it.each([
    ['New VAT return', 'Populated'],
    ['Ready to generate VAT return', 'To be reported'],
    ['Generated VAT return', 'Reported'],
    ['Completed VAT return', 'Submitted'],
    ['Sent VAT return', undefined],
    ['New obligation request', undefined],
  ])('"%s" → items %s', (status, item) => {
    expect(itemStatusOf(setup, status)).toBe(item);
  });

  it('excluded items stay behind', () => {
    expect(movingItems([{ item: 1, status: 'Populated' }, { item: 2, status: 'Excluded' }]).map((i) => i.item)).toEqual([1]);
  });

  it.each([
    ['New VAT return', true],
    ['Generated VAT return', false],
    ['Completed VAT return', false],
    ['Error VAT return submission', true],
    ['No such status', false],
  ])('delete allowed in "%s": %s', (status, ok) => {
    expect(canDelete(setup, status)).toBe(ok);
  });
});

describe('outcome of an HMRC answer', () => {
  it.each([
    [200, 200, {}, { responseType: 'Successfull' }],
    [201, 201, {}, { responseType: 'Successfull' }],
    // The success code comes from the web service: a 200 to a POST service expecting 201 is not success.
    [200, 201, {}, { responseType: 'TechnicalError' }],
    [404, 200, { listRequest: true, code: 'NOT_FOUND' }, { responseType: 'Successfull', nothingFound: true }],
    [404, 200, { listRequest: true, code: 'MATCHING_RESOURCE_NOT_FOUND' }, { responseType: 'Successfull', nothingFound: true }],
    [404, 201, { listRequest: false, code: 'NOT_FOUND' }, { responseType: 'BusinessError' }],
    [400, 200, { listRequest: true, code: 'INVALID_DATE_RANGE' }, { responseType: 'BusinessError' }],
    [403, 201, {}, { responseType: 'BusinessError' }],
    [500, 201, {}, { responseType: 'TechnicalError' }],
    [503, 200, {}, { responseType: 'TechnicalError' }],
    [undefined, 201, {}, { responseType: 'TechnicalError' }],
  ] as const)('HTTP %s with success code %s (%j)', (status, code, opts, expected) => {
    expect(outcomeOfHttp(status, code, opts)).toEqual(expected);
  });
});
