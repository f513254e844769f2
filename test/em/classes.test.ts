/**
 * Before anything is sent: every executable class, format mapping and web service an action names must be
 * one mtdvat runs, and a Test class never reaches HMRC production (nor a production class the sandbox).
 */
import { describe, expect, it } from 'vitest';
import { loadEmSetup } from '../../src/em/model.js';
import { checkRunnable } from '../../src/em/run.js';
import { ValidationError } from '../../src/errors.js';
import { shippedSetupDb, type SourceRecords } from '../helpers/em-setup.js';

function setupWith(mutate: (s: SourceRecords) => void) {
  return loadEmSetup(shippedSetupDb(mutate), 'DAT');
}
const rec = (s: SourceRecords, entity: string, field: string, value: string) => s[entity].find((r) => r[field] === value)!;

describe('checkRunnable', () => {
  it('the shipped setup: every linked action can run', () => {
    const setup = setupWith(() => {});
    for (const p of setup.processings.values()) for (const l of p.links) expect(() => checkRunnable(setup, setup.actions.get(l.action)!), l.action).not.toThrow();
  });

  it.each([
    [
      'a Test class pointed at HMRC production',
      (s: SourceRecords) => (rec(s, 'WebService', 'WEBSERVICE', 'HMRC sandbox POST').INTERNETADDRESS = 'https://api.service.hmrc.gov.uk'),
      'Test submits VAT return',
      /TestSubmitVATReturn is a test class but https:\/\/api.service.hmrc.gov.uk is HMRC production; a TEST run never files live/,
    ],
    [
      'a production class pointed at the sandbox',
      (s: SourceRecords) => (rec(s, 'WebService', 'WEBSERVICE', 'HMRC POST').INTERNETADDRESS = 'https://test-api.service.hmrc.gov.uk'),
      'Submit VAT return',
      /SubmitVATReturn files with HMRC production but .* is HMRC's sandbox; use the Test class/,
    ],
    [
      'an unknown executable class',
      (s: SourceRecords) => (rec(s, 'MessageProcessingAction', 'ACTION', 'Test submits VAT return').EXECUTABLECLASS = 'SubmitEverything'),
      'Test submits VAT return',
      /executable class "SubmitEverything" is not one mtdvat can run/,
    ],
    [
      'an unknown format mapping',
      (s: SourceRecords) => (rec(s, 'MessageProcessingAction', 'ACTION', 'Generate file for submission').FORMATMAPPING = 'VAT Declaration XML (NO)'),
      'Generate file for submission',
      /format mapping "VAT Declaration XML \(NO\)" is not one mtdvat can run/,
    ],
    [
      'a submit web service whose success code is not 201',
      (s: SourceRecords) => (rec(s, 'WebService', 'WEBSERVICE', 'HMRC sandbox POST').SUCCESSFULRESPONSECODE = '200'),
      'Test submits VAT return',
      /successful response code is 200; HMRC answers a submitted return with 201/,
    ],
    [
      'a GET class on a POST web service',
      (s: SourceRecords) => (rec(s, 'MessageProcessingAction', 'ACTION', 'Test retrieves VAT obligations').WEBSERVICE = 'HMRC sandbox POST'),
      'Test retrieves VAT obligations',
      /request method is "POST"; TestRetrieveVATObligations sends GET/,
    ],
    [
      'a web service that does not exist',
      (s: SourceRecords) => (rec(s, 'MessageProcessingAction', 'ACTION', 'Test retrieves VAT obligations').WEBSERVICE = 'Nope'),
      'Test retrieves VAT obligations',
      /web service "Nope" does not exist/,
    ],
  ])('%s is refused, naming the action and record', (_name, mutate, action, message) => {
    const setup = setupWith(mutate);
    const run = () => checkRunnable(setup, setup.actions.get(action)!);
    expect(run).toThrow(ValidationError);
    expect(run).toThrow(message);
    expect(run).toThrow(new RegExp(`action "${action}"`));
  });
});
