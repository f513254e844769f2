import { afterEach, describe, expect, test } from 'vitest';
import type { Context } from '../../src/context.js';
import { openContext } from '../../src/open-context.js';
import { verifySetup, renderVerifyText, type VerifyResult } from '../../src/verify/verify.js';
import { NotFoundError } from '../../src/errors.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { SECRETS, insertToken, newKey, seedSetup, tempHome, type SeedOptions, type SetupRecords } from '../helpers/mtd-setup.js';
import { runCli } from '../helpers/cli.js';
import { importPackage } from '../../src/importer/import-package.js';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

const open: Context[] = [];
afterEach(() => {
  while (open.length) open.pop()!.close();
});

function rec(setup: SetupRecords, entity: string, field: string, value: string): Record<string, string> {
  const r = setup[entity].find((x) => x[field] === value);
  if (!r) throw new Error(`fixture has no ${entity} ${value}`);
  return r;
}
function drop(setup: SetupRecords, entity: string, field: string, value: string): void {
  setup[entity] = setup[entity].filter((x) => x[field] !== value);
}
function link(setup: SetupRecords, processing: string, action: string): Record<string, string> {
  return setup.MessageProcessingActionLink.find((l) => l.PROCESSING === processing && l.ACTION === action)!;
}

const ids = (r: VerifyResult, status: string) => r.checks.filter((c) => c.status === status).map((c) => c.id).sort();

async function run(seed: SeedOptions = {}, after?: (ctx: Context, key: string) => Promise<void> | void, env?: (key: string) => NodeJS.ProcessEnv) {
  const s = await seedSetup(seed);
  open.push(s.ctx);
  await after?.(s.ctx, s.key);
  let ctx = s.ctx;
  if (env) {
    ctx = openContext({ home: s.home, env: env(s.key) });
    open.push(ctx);
  }
  return verifySetup(ctx);
}

const DAY = 86_400_000;
const NO_VRN = ['faq.uk-mtd-vat-returns.tax-registration-number', 'faq.uk-mtd-vat-test.tax-registration-number'];

interface Case {
  name: string;
  seed?: SeedOptions;
  after?: (ctx: Context, key: string) => Promise<void> | void;
  env?: (key: string) => NodeJS.ProcessEnv;
  fails?: string[];
  warns?: string[];
  detail?: RegExp;
}

const cases: Case[] = [
  { name: 'complete setup', fails: [], warns: [] },
  {
    name: 'missing web service',
    seed: { mutate: (s) => drop(s, 'WebService', 'WEBSERVICE', 'HMRC sandbox POST') },
    fails: ['action.test-submits-vat-return.web-service', 'reference.messageprocessingaction', 'runnable.uk-mtd-vat-test.handlers', 'web-service.hmrc-sandbox-post.exists'],
  },
  {
    name: 'dangling reference (message status → item status)',
    seed: { mutate: (s) => (rec(s, 'MessageStatus', 'MESSAGESTATUS', 'Sent VAT return').MESSAGEITEMSTATUS = 'Gone') },
    fails: ['reference.messagestatus'],
    detail: /Sent VAT return: MESSAGEITEMSTATUS "Gone"/,
  },
  {
    name: 'web service pointing at a missing web application',
    seed: { mutate: (s) => drop(s, 'WebApplication', 'WEBAPPLICATIONNAME', 'Sandbox HMRC'), credentials: { sandboxClientId: null, sandboxSecret: null } },
    fails: ['reference.webservice', 'web-app.sandbox-hmrc.exists', 'web-service.hmrc-sandbox-get.web-application', 'web-service.hmrc-sandbox-post.web-application'],
  },
  { name: 'wrong success code', seed: { mutate: (s) => (rec(s, 'WebService', 'WEBSERVICE', 'HMRC POST').SUCCESSFULRESPONSECODE = '200') }, fails: ['runnable.uk-mtd-vat-returns.handlers', 'web-service.hmrc-post.success-code'] },
  { name: 'wrong method', seed: { mutate: (s) => (rec(s, 'WebService', 'WEBSERVICE', 'HMRC sandbox GET').REQUESTMETHOD = 'POST') }, fails: ['runnable.uk-mtd-vat-test.handlers', 'web-service.hmrc-sandbox-get.method'] },
  {
    name: 'web service attached to the wrong application',
    seed: { mutate: (s) => (rec(s, 'WebService', 'WEBSERVICE', 'HMRC GET').WEBAPPLICATIONNAME = 'Sandbox HMRC') },
    fails: ['web-service.hmrc-get.internet-address', 'web-service.hmrc-get.web-application'],
    warns: [],
  },
  {
    name: 'http URL',
    seed: { mutate: (s) => (rec(s, 'WebApplication', 'WEBAPPLICATIONNAME', 'Sandbox HMRC').BASEURL = 'http://test-api.service.hmrc.gov.uk') },
    // The web services stay on https: no longer the application's origin either.
    fails: ['web-app.sandbox-hmrc.base-url', 'web-service.hmrc-sandbox-get.internet-address', 'web-service.hmrc-sandbox-post.internet-address'],
    warns: [],
  },
  {
    name: 'production app on the sandbox host',
    seed: { mutate: (s) => (rec(s, 'WebApplication', 'WEBAPPLICATIONNAME', 'Dynamics 365 Finance').BASEURL = 'https://test-api.service.hmrc.gov.uk') },
    fails: ['web-app.dynamics-365-finance.base-url', 'web-service.hmrc-get.internet-address', 'web-service.hmrc-post.internet-address'],
    warns: [],
  },
  {
    name: 'production app on a loopback emulator',
    seed: { mutate: (s) => (rec(s, 'WebApplication', 'WEBAPPLICATIONNAME', 'Dynamics 365 Finance').BASEURL = 'http://127.0.0.1:9797') },
    fails: ['web-app.dynamics-365-finance.base-url', 'web-service.hmrc-get.internet-address', 'web-service.hmrc-post.internet-address'],
    warns: [],
  },
  {
    name: 'sandbox app on a loopback emulator is fine',
    seed: {
      mutate: (s) => {
        rec(s, 'WebApplication', 'WEBAPPLICATIONNAME', 'Sandbox HMRC').BASEURL = 'http://127.0.0.1:9797';
        for (const ws of ['HMRC sandbox GET', 'HMRC sandbox POST']) rec(s, 'WebService', 'WEBSERVICE', ws).INTERNETADDRESS = 'http://127.0.0.1:9797';
      },
      credentials: { sandboxClientId: DEFAULT_SANDBOX_CLIENT.clientId, sandboxSecret: DEFAULT_SANDBOX_CLIENT.clientSecret },
    },
    fails: [],
    warns: [],
  },
  {
    name: "emulator credentials against HMRC's real sandbox",
    seed: { credentials: { sandboxClientId: DEFAULT_SANDBOX_CLIENT.clientId, sandboxSecret: DEFAULT_SANDBOX_CLIENT.clientSecret } },
    fails: [],
    warns: ['credentials.sandbox-hmrc.client-id', 'credentials.sandbox-hmrc.client-secret'],
  },
  {
    name: 'redirect URL not OOB or loopback',
    seed: { mutate: (s) => (rec(s, 'WebApplication', 'WEBAPPLICATIONNAME', 'Sandbox HMRC').REDIRECTURL = 'https://example.com/callback') },
    fails: ['web-app.sandbox-hmrc.redirect-url'],
  },
  { name: 'loopback redirect URL is fine', seed: { mutate: (s) => (rec(s, 'WebApplication', 'WEBAPPLICATIONNAME', 'Sandbox HMRC').REDIRECTURL = 'http://localhost:8085/callback') }, fails: [], warns: [] },
  {
    name: 'token path on another host (stored by an older release)',
    seed: { mutate: (s) => (rec(s, 'WebApplication', 'WEBAPPLICATIONNAME', 'Sandbox HMRC').TOKENURLPATH = 'http://other.host/steal') },
    fails: ['web-app.sandbox-hmrc.token-url-path'],
    detail: /"http:\/\/other\.host\/steal" is an absolute URL/,
  },
  {
    name: 'authorization path on another host, for an application not named like the predefined two',
    seed: { mutate: (s) => s.WebApplication.push({ ...rec(s, 'WebApplication', 'WEBAPPLICATIONNAME', 'Sandbox HMRC'), WEBAPPLICATIONNAME: 'My app', AUTHORIZATIONURLPATH: '//other.host/x' }) },
    fails: ['web-app.my-app.authorization-url-path'],
    // No processing uses "My app": its missing credentials are only a warning.
    warns: ['credentials.my-app.client-id', 'credentials.my-app.client-secret'],
  },
  { name: 'wrong Accept', seed: { mutate: (s) => (rec(s, 'WebApplication', 'WEBAPPLICATIONNAME', 'Sandbox HMRC').ACCEPT = 'application/json') }, fails: ['web-app.sandbox-hmrc.accept'] },
  { name: 'empty secret', seed: { credentials: { sandboxSecret: null } }, fails: ['credentials.sandbox-hmrc.client-secret'] },
  { name: 'empty client ID', seed: { credentials: { prodClientId: null } }, fails: ['credentials.dynamics-365-finance.client-id'] },
  {
    name: 'placeholder credentials',
    seed: { credentials: { prodClientId: 'DEMO-client-id-replace-me', prodSecret: 'FAKE-secret' } },
    // "UK MTD VAT returns" uses the production application: placeholders there fail.
    fails: ['credentials.dynamics-365-finance.client-id', 'credentials.dynamics-365-finance.client-secret'],
    warns: [],
  },
  {
    name: 'tampered ciphertext',
    after: (ctx) => {
      const row = ctx.db.prepare(`SELECT value FROM secrets WHERE natural_key = '["Sandbox HMRC"]' AND field = 'CLIENTSECRET'`).get() as { value: Buffer };
      const v = Buffer.from(row.value);
      v[v.length - 5] ^= 0x01;
      ctx.db.prepare(`UPDATE secrets SET value = ? WHERE natural_key = '["Sandbox HMRC"]' AND field = 'CLIENTSECRET'`).run(v);
    },
    fails: ['credentials.sandbox-hmrc.client-secret'],
    detail: /WebApplication \["Sandbox HMRC"\] field CLIENTSECRET.*tampered/,
  },
  {
    // Another store's MTDVAT_MASTER_KEY is refused when the vault opens, naming both key ids.
    name: 'wrong key',
    env: () => ({ MTDVAT_MASTER_KEY: newKey() }),
    fails: ['credentials.key'],
    warns: ['credentials.dynamics-365-finance.client-id', 'credentials.dynamics-365-finance.client-secret', 'credentials.sandbox-hmrc.client-id', 'credentials.sandbox-hmrc.client-secret'],
    detail: /MTDVAT_MASTER_KEY is key [0-9a-f]+, but this store's secrets and tokens were encrypted with key [0-9a-f]+/,
  },
  {
    name: 'no key at all',
    env: () => ({}),
    fails: ['credentials.key'],
    warns: ['credentials.dynamics-365-finance.client-id', 'credentials.dynamics-365-finance.client-secret', 'credentials.sandbox-hmrc.client-id', 'credentials.sandbox-hmrc.client-secret'],
  },
  {
    name: 'missing status',
    seed: { mutate: (s) => drop(s, 'MessageStatus', 'MESSAGESTATUS', 'Sent VAT return') },
    fails: ['reference.messageprocessingactionstatus', 'runnable.uk-mtd-vat-returns.statuses', 'runnable.uk-mtd-vat-test.statuses', 'status.message-statuses.complete'],
  },
  { name: 'missing item status', seed: { mutate: (s) => drop(s, 'MessageItemStatus', 'MESSAGEITEMSTATUS', 'Submitted') }, fails: ['reference.messagestatus', 'status.item-statuses.complete'] },
  { name: 'allow delete wrong', seed: { mutate: (s) => (rec(s, 'MessageStatus', 'MESSAGESTATUS', 'Completed VAT return').ALLOWDELETE = 'Yes') }, fails: [], warns: ['status.message-statuses.allow-delete'] },
  { name: 'periodKey not hidden', seed: { mutate: (s) => (rec(s, 'AdditionalField', 'FIELDNAME', 'periodKey').HIDDEN = 'No') }, fails: ['additional-field.periodkey.hidden'] },
  { name: 'additional field missing', seed: { mutate: (s) => drop(s, 'AdditionalField', 'FIELDNAME', 'Due date') }, fails: ['additional-field.complete'] },
  {
    name: 'missing processing',
    seed: { mutate: (s) => drop(s, 'MessageProcessing', 'PROCESSING', 'UK MTD VAT TEST') },
    fails: ['processing.uk-mtd-vat-test.exists', 'reference.messageprocessingactionlink', 'reference.messageprocessingadditionalfield'],
  },
  {
    name: 'action not linked to the processing',
    seed: { mutate: (s) => (s.MessageProcessingActionLink = s.MessageProcessingActionLink.filter((l) => !(l.PROCESSING === 'UK MTD VAT returns' && l.ACTION === 'Request VAT payments'))) },
    fails: ['processing.uk-mtd-vat-returns.actions'],
  },
  { name: 'run separately wrong', seed: { mutate: (s) => (link(s, 'UK MTD VAT TEST', 'Import VAT obligations').RUNSEPARATELY = 'Yes') }, fails: ['processing.uk-mtd-vat-test.run-separately'] },
  {
    name: 'inseparable sequence broken',
    seed: { mutate: (s) => (link(s, 'UK MTD VAT returns', 'Import response for VAT return').INSEPARABLESEQUENCE = '') },
    fails: ['processing.uk-mtd-vat-returns.inseparable-sequences'],
  },
  {
    name: 'inseparable sequence in the wrong order',
    seed: { mutate: (s) => (link(s, 'UK MTD VAT TEST', 'Import VAT obligations').LINENUM = '1') },
    fails: ['processing.uk-mtd-vat-test.inseparable-sequences'],
  },
  { name: 'missing action', seed: { mutate: (s) => drop(s, 'MessageProcessingAction', 'ACTION', 'Preview VAT return') }, fails: ['action.preview-vat-return.exists', 'reference.messageprocessingactionlink', 'reference.messageprocessingactionstatus'] },
  { name: 'wrong action type', seed: { mutate: (s) => (rec(s, 'MessageProcessingAction', 'ACTION', 'Import VAT obligations').ACTIONTYPE = 'GERExport') }, fails: ['action.import-vat-obligations.type', 'runnable.uk-mtd-vat-returns.handlers', 'runnable.uk-mtd-vat-test.handlers'] },
  {
    name: 'FAQ 24: action type reverted but executable class not',
    seed: { mutate: (s) => (rec(s, 'MessageProcessingAction', 'ACTION', 'Submit VAT return').ACTIONTYPE = 'WEBService') },
    fails: ['faq.action-types'],
  },
  {
    // The package before the security feature: classes of type Message execution level → 404 everywhere.
    name: 'FAQ 24: store imported from the old package (classes not Web service, populate without an initial status)',
    seed: {
      mutate: (s) => {
        for (const c of s.ExecutableClass) c.ACTIONTYPE = 'ExecutableCode';
        s.MessageProcessingActionStatus = s.MessageProcessingActionStatus.filter((r) => !(r.ACTION === 'Populate VAT return records' && r.STATUSKIND === 'Initial'));
      },
    },
    fails: ['faq.action-types', 'runnable.package-version', 'runnable.uk-mtd-vat-returns.statuses', 'runnable.uk-mtd-vat-test.statuses'],
    detail: /imported from an older setup package/,
  },
  {
    name: 'an error status with no way on',
    seed: { mutate: (s) => (s.MessageProcessingActionStatus = s.MessageProcessingActionStatus.filter((r) => !(r.STATUSKIND === 'Initial' && r.MESSAGESTATUS === 'Error VAT return import response'))) },
    fails: ['runnable.uk-mtd-vat-returns.way-on', 'runnable.uk-mtd-vat-test.way-on'],
  },
  {
    name: 'submit declaration differs from HMRC\'s',
    seed: { mutate: (s) => (rec(s, 'MessageProcessingAction', 'ACTION', 'Test submits VAT return').CONFIRMATIONTEXT = 'Click OK to send.') },
    fails: [],
    warns: ['runnable.uk-mtd-vat-test.declaration'],
  },
  {
    name: 'no VRN on a processing',
    seed: { mutate: (s) => (rec(s, 'MessageProcessingAdditionalField', 'PROCESSING', 'UK MTD VAT returns').FIELDVALUE = '') },
    fails: [],
    warns: ['faq.uk-mtd-vat-returns.tax-registration-number'],
    detail: /HMRC actions refuse to run without a VRN/,
  },
  { name: 'missing executable class', seed: { mutate: (s) => drop(s, 'ExecutableClass', 'EXECUTABLECLASS', 'RequestVATPayments') }, fails: ['action.request-vat-payments.executable-class', 'executable-class.complete', 'reference.messageprocessingaction'] },
  { name: 'FAQ 26: wrong ER configuration', seed: { mutate: (s) => (rec(s, 'WebApplication', 'WEBAPPLICATIONNAME', 'Sandbox HMRC').AUTHORIZATIONFORMATMAPPING = 'Old format') }, fails: [], warns: ['faq.er-configurations'] },
  {
    name: 'FAQ 27: sandbox answered 403',
    after: (ctx) => {
      ctx.db
        .prepare(`INSERT INTO audit_log (at, category, company, app, event, detail) VALUES (?, 'hmrc', 'DAT', 'Sandbox HMRC', 'response', ?)`)
        .run(new Date().toISOString(), JSON.stringify({ method: 'GET', status: 403, code: 'RESOURCE_FORBIDDEN' }));
    },
    fails: [],
    warns: ['faq.sandbox-subscription'],
  },
  { name: 'FAQ 28: VRN malformed', seed: { mutate: (s) => (rec(s, 'MessageProcessingAdditionalField', 'PROCESSING', 'UK MTD VAT TEST').FIELDVALUE = '12345') }, fails: ['faq.uk-mtd-vat-test.tax-registration-number'] },
  {
    name: 'FAQ 28: VRN differs from the authorized one',
    after: (ctx) => insertToken(ctx, 'Sandbox HMRC', new Date(Date.now() + 3 * 3600_000), new Date(), '123456782'),
    fails: [],
    warns: ['faq.uk-mtd-vat-test.tax-registration-number'],
  },
  { name: 'FAQ 29: populate data source wrong', seed: { mutate: (s) => (s.PopulateRecordsDataSource[0].MASTERTABLENAME = 'TaxTrans') }, fails: [], warns: ['faq.populate-records'] },
  { name: 'token valid', after: (ctx) => insertToken(ctx, 'Sandbox HMRC', new Date(Date.now() + 3 * 3600_000), new Date()), fails: [], warns: [] },
  { name: 'access token expired', after: (ctx) => insertToken(ctx, 'Sandbox HMRC', new Date(Date.now() - 60_000), new Date(Date.now() - DAY)), fails: [], warns: ['token.sandbox-hmrc.access'], detail: /Access token has expired/ },
  { name: 'access token expiring soon', after: (ctx) => insertToken(ctx, 'Sandbox HMRC', new Date(Date.now() + 5 * 60_000), new Date()), fails: [], warns: ['token.sandbox-hmrc.access'] },
  {
    name: 'refresh horizon within 30 days',
    after: (ctx) => insertToken(ctx, 'Dynamics 365 Finance', new Date(Date.now() + 3600_000), new Date(Date.now() - 530 * DAY)),
    fails: [],
    warns: ['token.dynamics-365-finance.refresh-horizon'],
  },
  {
    name: 'refresh horizon past',
    after: (ctx) => insertToken(ctx, 'Dynamics 365 Finance', new Date(Date.now() + 3600_000), new Date(Date.now() - 600 * DAY)),
    fails: ['token.dynamics-365-finance.refresh-horizon'],
  },
];

describe('verifySetup', () => {
  test.each(cases)('$name', async (c) => {
    const result = await run(c.seed, c.after, c.env);
    expect(ids(result, 'fail')).toEqual([...(c.fails ?? [])].sort());
    if (c.warns) expect(ids(result, 'warn')).toEqual([...c.warns].sort());
    expect(result.ok).toBe((c.fails ?? []).length === 0);
    for (const check of result.checks) {
      expect(check.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+$/);
      if (check.status !== 'pass') expect(check.fix, check.id).toBeTruthy();
    }
    if (c.detail) expect(result.checks.filter((x) => x.status !== 'pass').map((x) => x.detail).join('\n')).toMatch(c.detail);
    const text = JSON.stringify(result) + renderVerifyText(result, { green: String, yellow: String, red: String, bold: String, dim: String }, { verbose: true });
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
  });

  test('--processing narrows to the processing and what it uses', async () => {
    const s = await seedSetup({ mutate: (x) => (rec(x, 'WebApplication', 'WEBAPPLICATIONNAME', 'Dynamics 365 Finance').BASEURL = 'http://api.service.hmrc.gov.uk') });
    open.push(s.ctx);
    const all = await verifySetup(s.ctx);
    expect(all.ok).toBe(false);
    const test = await verifySetup(s.ctx, { processing: 'uk mtd vat test' });
    expect(test.ok).toBe(true);
    const checkIds = test.checks.map((c) => c.id);
    expect(checkIds).toContain('web-app.sandbox-hmrc.base-url');
    expect(checkIds).toContain('web-service.hmrc-sandbox-post.success-code');
    expect(checkIds.filter((i) => /dynamics-365-finance|uk-mtd-vat-returns|hmrc-get|hmrc-post|request-vat-payments/.test(i))).toEqual([]);
    const prod = await verifySetup(s.ctx, { processing: 'UK MTD VAT returns' });
    expect(ids(prod, 'fail')).toEqual(['web-app.dynamics-365-finance.base-url', 'web-service.hmrc-get.internet-address', 'web-service.hmrc-post.internet-address']);
    await expect(verifySetup(s.ctx, { processing: 'Nope' })).rejects.toBeInstanceOf(NotFoundError);
  });

  test.each([
    // The shipped package carries no credentials (as D365's): every processing lacks them until they are entered.
    {
      zip: 'mtd-vat.zip',
      processing: undefined,
      fails: ['credentials.dynamics-365-finance.client-id', 'credentials.dynamics-365-finance.client-secret', 'credentials.sandbox-hmrc.client-id', 'credentials.sandbox-hmrc.client-secret'],
    },
    // The local variant gives "Sandbox HMRC" the emulator's demo client: the TEST processing verifies clean.
    { zip: 'mtd-vat-local.zip', processing: 'UK MTD VAT TEST', fails: [] },
    { zip: 'mtd-vat-local.zip', processing: undefined, fails: ['credentials.dynamics-365-finance.client-id', 'credentials.dynamics-365-finance.client-secret'] },
  ])('the predefined package $zip, imported with the importer, verifies (--processing $processing) with exactly the missing credentials failing', async ({ zip, processing, fails }) => {
    const ctx = openContext({ home: tempHome(), env: { MTDVAT_MASTER_KEY: newKey() } });
    open.push(ctx);
    const imported = await importPackage(ctx, join(ROOT, 'packages-data', zip));
    expect(imported.status).toBe('Succeeded');
    const r = await verifySetup(ctx, { processing });
    expect(ids(r, 'fail')).toEqual(fails);
    expect(r.ok).toBe(fails.length === 0);
    // The package ships no VRN: the verified processings warn until `em processings set` gives them one.
    expect(ids(r, 'warn')).toEqual(processing ? ['faq.uk-mtd-vat-test.tax-registration-number'] : NO_VRN);
    expect(r.checks.length).toBeGreaterThan(processing ? 40 : 100);
  });

  test('an empty store fails with one check that says to import', async () => {
    const ctx = openContext({ home: tempHome(), env: {} });
    open.push(ctx);
    const r = await verifySetup(ctx);
    expect(r).toMatchObject({ ok: false, company: 'DAT' });
    expect(r.checks.map((c) => c.id)).toEqual(['setup.imported']);
  });
});

describe('mtdvat verify (built binary)', () => {
  test('exit codes, exact --json shape, plain text when piped, HTML file, no secrets', async () => {
    const s = await seedSetup();
    s.ctx.close();
    const env = { MTDVAT_MASTER_KEY: s.key };
    const outputs: string[] = [];
    const cli = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
      const r = await runCli([...args, '--home', s.home], { env: { ...env, ...extra } });
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    let r = await cli(['verify', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['ok', 'company', 'checks']);
    expect(doc.ok).toBe(true);
    expect(doc.company).toBe('DAT');
    for (const c of doc.checks) expect(Object.keys(c)).toEqual(['id', 'title', 'status', 'detail', 'fix']);

    r = await cli(['verify'], { NO_COLOR: '' });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/\x1b\[/);
    expect(r.stdout).toContain('OK — ');

    r = await cli(['verify'], { NO_COLOR: '', FORCE_COLOR: '1' });
    expect(r.stdout).toMatch(/\x1b\[/);

    const html = `${s.home}/report.html`;
    r = await cli(['verify', '--format', 'html', '--output', html]);
    expect(r.code).toBe(0);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(html, 'utf8')).toMatch(/^<!DOCTYPE html>/);

    // Break it: a wrong key makes verify fail with exit 1, JSON still complete.
    r = await cli(['verify', '--json'], { MTDVAT_MASTER_KEY: newKey() });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).ok).toBe(false);
    r = await cli(['verify', '--processing', 'UK MTD VAT TEST'], { MTDVAT_MASTER_KEY: newKey() });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL +Encryption key/);
    expect(r.stdout).toMatch(/MTDVAT_MASTER_KEY is key [0-9a-f]+, but this store's/);
    expect(r.stdout).not.toContain('Dynamics 365 Finance');

    r = await cli(['verify', '--processing', 'Nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no processing "Nope"');
    r = await cli(['verify', '--format', 'html', '--json']);
    expect(r.code).toBe(2);

    const all = outputs.join('\n') + readFileSync(html, 'utf8');
    for (const secret of Object.values(SECRETS)) expect(all).not.toContain(secret);
  });
});
