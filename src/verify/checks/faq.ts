/**
 * The failure modes of Microsoft's MTD VAT FAQ (https://learn.microsoft.com/en-us/dynamics365/finance/localizations/united-kingdom/emea-gbr-mtd-vat-frequently-asked-questions)
 * that show in the stored data. The ER application parameters of the fraud-header confirmation and
 * the "Collect data" link state live outside the setup package, so only their data-side part is checked.
 */
import { shellQuote } from '../../lib/shell-quote.js';
import { listTokenMeta } from '../../store/tokens.js';
import { recentAuditText } from '../../store/audit.js';
import { isVrnFormat, isValidVrn } from '../../lib/vrn.js';
import { POPULATE_ACTION, PROCESSINGS, VRN_FIELD, WEB_APPS } from '../mtd-expectations.js';
import { linksOf } from './processings.js';
import { REIMPORT_FIX, fail, get, inScope, pass, recordsOf, slug, warn, type Check, type VerifyInput } from './types.js';

const CLASS_TYPES = new Set(['ExecutableCode', 'ExecutableCodeMessageItemLevel']);

export function faqChecks(input: VerifyInput): Check[] {
  return [actionTypes(input), erConfigurations(input), ...sandboxSubscription(input), ...taxRegistrationNumbers(input), populateRecords(input)];
}

/**
 * FAQ ("404 after re-import"): after the security feature, the executable classes have action type
 * Web service while the actions that use them have type Message execution level. Re-importing an older
 * package reverts this and every HMRC call answers 404.
 */
function actionTypes(input: VerifyInput): Check {
  const problems: string[] = [];
  for (const a of recordsOf(input, 'MessageProcessingAction').values()) {
    if (!inScope(input.scope.actions, a.data.ACTION)) continue;
    const type = a.data.ACTIONTYPE ?? '';
    const cls = a.data.EXECUTABLECLASS ?? '';
    if (CLASS_TYPES.has(type) && !cls) problems.push(`"${a.data.ACTION}" is a ${type} action without an executable class`);
    if (type === 'WEBService' && !a.data.WEBSERVICE) problems.push(`"${a.data.ACTION}" is a web service action without a web service`);
    if (!cls) continue;
    if (!CLASS_TYPES.has(type)) problems.push(`"${a.data.ACTION}" uses executable class "${cls}" but has type ${type} instead of ExecutableCode (Message execution level)`);
    const clsRecord = get(input, 'ExecutableClass', cls);
    if (clsRecord && clsRecord.data.ACTIONTYPE !== 'WEBService') {
      problems.push(`executable class "${cls}" has type ${clsRecord.data.ACTIONTYPE} instead of WEBService (Web service)`);
    }
  }
  const title = 'Action types of executable classes and their actions (FAQ: HTTP 404 on every request)';
  return problems.length
    ? fail(
        'faq.action-types',
        title,
        `${[...new Set(problems)].join('; ')}. D365 then calls the wrong endpoint and HMRC answers 404.`,
        'This happens when an older setup package is re-imported after enabling "Security enhancements in UK MTD VAT integration": the executable classes must have action type Web service and the actions that use them Message execution level. Re-import the current package (mtdvat import-package packages-data/mtd-vat.zip) or correct the types.',
      )
    : pass('faq.action-types', title, 'Executable classes are Web service; the actions that use them are Message execution level.');
}

/** FAQ: wrong ER configuration versions → the "Get authorization code" dialog is missing. */
function erConfigurations(input: VerifyInput): Check {
  const problems: string[] = [];
  for (const expected of WEB_APPS) {
    if (!inScope(input.scope.webApps, expected.name)) continue;
    const r = get(input, 'WebApplication', expected.name);
    if (!r) continue;
    for (const [field, want] of Object.entries(expected.erMappings)) {
      const have = r.data[field] ?? '';
      if (!want.includes(have)) problems.push(`"${expected.name}" ${field === 'AUTHORIZATIONFORMATMAPPING' ? 'authorization format mapping' : 'import token model mapping'} is "${have}" instead of "${want[0]}"`);
    }
  }
  const title = 'ER configurations for authorization (FAQ: "Get authorization code" dialog missing)';
  return problems.length
    ? warn('faq.er-configurations', title, problems.join('; ') + '.', 'Import the ER configurations the package was made for (MTD VAT authorization format (UK), MTD VAT import token format (UK)) before the package, then re-import the package.')
    : pass('faq.er-configurations', title, 'The web applications use the MTD VAT authorization and token ER configurations.');
}

/** FAQ: 403 in sandbox → the user's own sandbox application is not subscribed to the VAT (MTD) API. */
function sandboxSubscription(input: VerifyInput): Check[] {
  const sandboxApps = WEB_APPS.filter((a) => a.kind === 'sandbox' && inScope(input.scope.webApps, a.name)).map((a) => a.name);
  if (!sandboxApps.length) return [];
  const rows = recentAuditText(input.ctx.db, input.company, 'hmrc', 500);
  const hit = rows.find((r) => r.app && sandboxApps.includes(r.app) && /"(status|httpStatus)"\s*:\s*403\b/.test(r.detail) && !/INVALID_|CLIENT_OR_AGENT/.test(r.detail));
  const title = 'Sandbox application is subscribed to the VAT (MTD) API (FAQ: 403 in sandbox)';
  return [
    hit
      ? warn('faq.sandbox-subscription', title, `HMRC answered 403 to "${hit.app}" on ${hit.at.slice(0, 10)}.`, 'On the HMRC Developer Hub, subscribe your sandbox application to the "VAT (MTD)" API (and "Create Test User" for test users), then try again.')
      : pass('faq.sandbox-subscription', title, 'No 403 answer from HMRC\'s sandbox is recorded.'),
  ];
}

/** FAQ: 500 in sandbox → the test user and the VRN in "Tax registration number" do not belong together. */
function taxRegistrationNumbers(input: VerifyInput): Check[] {
  const checks: Check[] = [];
  const tokens = listTokenMeta(input.ctx.db, input.company);
  for (const p of PROCESSINGS) {
    if (!inScope(input.scope.processings, p.name) || !get(input, 'MessageProcessing', p.name)) continue;
    const id = `faq.${slug(p.name)}.tax-registration-number`;
    const title = `Tax registration number of "${p.name}" (FAQ: 500 in sandbox)`;
    const field = [...recordsOf(input, 'MessageProcessingAdditionalField').values()].find((r) => r.data.PROCESSING === p.name && r.data.FIELDNAME === VRN_FIELD);
    const vrn = (field?.data.FIELDVALUE ?? '').replace(/^GB/i, '').replace(/\s+/g, '');
    if (!vrn) {
      checks.push(
        warn(id, title, 'Not set on the processing: its HMRC actions refuse to run without a VRN.', `Set it: mtdvat em processings set ${shellQuote(p.name)} --field ${shellQuote(`${VRN_FIELD}=<9-digit VRN>`)}`),
      );
      continue;
    }
    if (!isVrnFormat(vrn)) {
      checks.push(fail(id, title, `"${field!.data.FIELDVALUE}" is not a VAT registration number (9 digits).`, `Set the "${VRN_FIELD}" message additional field of "${p.name}" to the 9-digit VRN.`));
      continue;
    }
    const apps = appsOfProcessing(input, p.name);
    const mismatch = tokens.find((t) => apps.has(t.app) && t.firstVrn && t.firstVrn !== vrn);
    if (mismatch) {
      checks.push(
        warn(id, title, `The processing uses VRN ${vrn}, but the authorization of "${mismatch.app}" was first used for VRN ${mismatch.firstVrn}.`, `Use the VRN that belongs to the user who granted authority (sandbox: the test user's VRN), or authorize again as the right user.`),
      );
    } else if (!isValidVrn(vrn)) {
      checks.push(warn(id, title, `${vrn} fails the VAT registration number check digits.`, `Check the "${VRN_FIELD}" of "${p.name}"; in the sandbox use the VRN of your test user.`));
    } else {
      checks.push(pass(id, title, `VRN ${vrn}.`));
    }
  }
  return checks;
}

function appsOfProcessing(input: VerifyInput, processing: string): Set<string> {
  const apps = new Set<string>();
  for (const link of linksOf(input, processing).values()) {
    const ws = get(input, 'MessageProcessingAction', link.data.ACTION)?.data.WEBSERVICE;
    const app = ws ? get(input, 'WebService', ws)?.data.WEBAPPLICATIONNAME : undefined;
    if (app) apps.add(app);
  }
  return apps;
}

/** FAQ (data side): "Collect data" finds nothing when the populate-records data source is wrong. */
function populateRecords(input: VerifyInput): Check {
  const title = 'Populate records data source (FAQ: "Collect data" finds nothing)';
  const id = 'faq.populate-records';
  if (!get(input, 'PopulateRecordsAction', POPULATE_ACTION.name)) {
    return fail(id, title, `The populate records action "${POPULATE_ACTION.name}" does not exist.`, REIMPORT_FIX);
  }
  const ds = [...recordsOf(input, 'PopulateRecordsDataSource').values()].find(
    (r) => r.data.POPULATERECORDSACTION === POPULATE_ACTION.name && r.data.NAME === POPULATE_ACTION.dataSource.NAME,
  );
  if (!ds) return fail(id, title, `"${POPULATE_ACTION.name}" has no data source "${POPULATE_ACTION.dataSource.NAME}".`, REIMPORT_FIX);
  const diffs = Object.entries(POPULATE_ACTION.dataSource)
    .filter(([f, v]) => (ds.data[f] ?? '') !== v)
    .map(([f, v]) => `${f} is "${ds.data[f] ?? ''}" instead of "${v}"`);
  return diffs.length
    ? warn(id, title, diffs.join('; ') + '.', `Correct the data source of "${POPULATE_ACTION.name}" (or re-import the package). Also set the settlement-period query after import; a sales tax payment already linked to another message is not collected again.`)
    : pass(id, title, `"${POPULATE_ACTION.dataSource.NAME}" reads ${POPULATE_ACTION.dataSource.MASTERTABLENAME}. Remember to set the settlement-period query after import.`);
}
