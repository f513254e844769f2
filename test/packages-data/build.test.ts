import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOCAL_SANDBOX_URL,
  buildPackages,
  loadSource,
  predefinedPackage,
  productionCredentials,
  projectRoot,
} from '../../packages-data/build.js';
import { openPackage, type OpenedPackage } from '../../src/package/reader.js';
import { loadSchemas } from '../../src/schema/registry.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';

const root = projectRoot();
const dir = mkdtempSync(join(tmpdir(), 'mtdvat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every record of every entity, keyed by entity label, read back with the package reader. */
async function readAll(zip: string): Promise<{ pkg: OpenedPackage; records: Map<string, Record<string, string>[]> }> {
  const pkg = await openPackage(zip);
  const records = new Map<string, Record<string, string>[]>();
  try {
    for (const entity of pkg.entities) {
      const rows: Record<string, string>[] = [];
      for await (const row of pkg.readRecords(entity)) rows.push({ ...row.values });
      records.set(entity.entityName, rows);
    }
  } finally {
    pkg.close();
  }
  return { pkg, records };
}

const byName = (rows: Record<string, string>[], field: string, name: string) => rows.find((r) => r[field] === name)!;

describe('predefined MTD VAT package', () => {
  let committed: Awaited<ReturnType<typeof readAll>>;
  beforeAll(async () => {
    committed = await readAll(join(root, 'packages-data', 'mtd-vat.zip'));
  });

  it('source files validate against the schemas', () => {
    expect(loadSource(root)).toHaveLength(15);
  });

  it('rebuilding gives the committed bytes (no credentials injected)', async () => {
    const { files, injectedCredentials } = await buildPackages({ outDir: dir, env: {} });
    expect(injectedCredentials).toBe(false);
    for (const name of ['mtd-vat.zip', 'mtd-vat-local.zip']) {
      const rebuilt = readFileSync(join(dir, name));
      expect(rebuilt.equals(readFileSync(join(root, 'packages-data', name))), `${name} is stale: run npm run build-package`).toBe(true);
    }
    expect(Object.keys(files).sort()).toEqual(['hmrc', 'local']);
  });

  it('holds all 15 entities, at least one as Excel, in schema import order', () => {
    const schemas = loadSchemas();
    expect(committed.pkg.entities).toHaveLength(15);
    expect(new Set(committed.pkg.entities.map((e) => e.entityName))).toEqual(new Set(schemas.all.map((s) => s.label)));
    expect(committed.pkg.entities.some((e) => e.format === 'excel')).toBe(true);
    expect(committed.pkg.entities.find((e) => e.entityName === 'Message statuses')!.format).toBe('excel');
    expect(committed.pkg.definitionGroupName).toBe('UK MTD VAT setup');
  });

  it.each([
    ['Message statuses', 19],
    ['Message item statuses', 6],
    ['Web applications', 2],
    ['Web service settings', 4],
    ['Message item types', 1],
    ['Message additional fields', 6],
    ['Message additional field values', 2],
    ['Executable class settings', 8],
    ['Populate records actions', 1],
    ['Populate records data sources', 1],
    ['Electronic message processing', 2],
    ['Message processing actions', 20],
    ['Electronic message processing actions', 32],
    ['Electronic message processing additional fields', 12],
  ])('%s has %i records', (entity, count) => {
    expect(committed.records.get(entity)).toHaveLength(count);
  });

  it('links 16 actions to the TEST processing (lines 13–16 our extension: liabilities and payments) and 16 to the returns processing, in LINENUM order', () => {
    const links = committed.records.get('Electronic message processing actions')!;
    const of = (p: string) => links.filter((l) => l.PROCESSING === p).sort((a, b) => Number(a.LINENUM) - Number(b.LINENUM));
    const test = of('UK MTD VAT TEST');
    const prod = of('UK MTD VAT returns');
    expect(test).toHaveLength(16);
    expect(prod).toHaveLength(16);
    expect(test.map((l) => l.LINENUM)).toEqual(test.map((_, i) => String(i + 1)));
    expect(byName(test, 'ACTION', 'Test retrieves VAT obligations')).toMatchObject({ RUNSEPARATELY: 'Yes', INSEPARABLESEQUENCE: 'Obligation' });
    expect(byName(test, 'ACTION', 'Import VAT obligations')).toMatchObject({ RUNSEPARATELY: 'No', INSEPARABLESEQUENCE: 'Obligation' });
    expect(byName(test, 'ACTION', 'Test submits VAT return')).toMatchObject({ RUNSEPARATELY: 'Yes', INSEPARABLESEQUENCE: 'Submission' });
    expect(byName(prod, 'ACTION', 'Import response for VAT return')).toMatchObject({ RUNSEPARATELY: 'No', INSEPARABLESEQUENCE: 'Submission' });
    expect(prod.map((l) => l.ACTION)).toContain('Request VAT payments');
    expect(test.map((l) => l.ACTION)).not.toContain('Submit VAT return');
    // The TEST processing requests liabilities and payments with the Test classes (never production).
    expect(test.slice(12).map((l) => l.ACTION)).toEqual(['Create VAT liabilities request', 'Test requests VAT liabilities', 'Create VAT payments request', 'Test requests VAT payments']);
    const actions = committed.records.get('Message processing actions')!;
    expect(byName(actions, 'ACTION', 'Test requests VAT payments')).toMatchObject({ EXECUTABLECLASS: 'TestRequestVATPayments', WEBSERVICE: 'HMRC sandbox GET' });
  });

  it('wires actions to classes, web services and statuses', () => {
    const actions = committed.records.get('Message processing actions')!;
    expect(byName(actions, 'ACTION', 'Submit VAT return')).toMatchObject({
      ACTIONTYPE: 'ExecutableCode',
      EXECUTABLECLASS: 'SubmitVATReturn',
      WEBSERVICE: 'HMRC POST',
      MESSAGEITEMTYPE: 'VAT return',
      FILENAME: 'response.json',
    });
    expect(byName(actions, 'ACTION', 'Test retrieves VAT obligations')).toMatchObject({ WEBSERVICE: 'HMRC sandbox GET', FILENAME: 'response.json.txt' });
    expect(byName(actions, 'ACTION', 'Populate VAT return records')).toMatchObject({ ACTIONTYPE: 'PopulateRecords', ACTIONPOPULATERECORD: 'Populate VAT return records' });
    expect(new Set(actions.map((a) => a.ACTIONTYPE))).toEqual(
      new Set(['CreateMessage', 'ExecutableCode', 'GERImport', 'PopulateRecords', 'User', 'UserMessageLevel', 'GERExportMessage']),
    );
    const statuses = committed.records.get('Message processing action statuses')!;
    const submitResults = statuses.filter((s) => s.ACTION === 'Submit VAT return' && s.STATUSKIND === 'Result');
    expect(submitResults.map((s) => [s.MESSAGESTATUS, s.RESPONSETYPE]).sort()).toEqual([
      ['Error VAT return submission', 'TechnicalError'],
      ['Sent VAT return', 'Successfull'],
    ]);
    const messageStatuses = committed.records.get('Message statuses')!;
    for (const s of messageStatuses) expect(s.RESPONSETYPE).toBe(s.MESSAGESTATUS.startsWith('Error') ? 'TechnicalError' : 'Successfull');
    const fields = committed.records.get('Message additional fields')!;
    expect(byName(fields, 'FIELDNAME', 'periodKey').HIDDEN).toBe('Yes');
    expect(fields.every((f) => f.USEREDIT === 'No')).toBe(true);
  });

  it('web applications: HMRC URLs, OOB redirect, and no credentials at all in mtd-vat.zip', () => {
    const apps = committed.records.get('Web applications')!;
    const prod = byName(apps, 'WEBAPPLICATIONNAME', 'Dynamics 365 Finance');
    const sandbox = byName(apps, 'WEBAPPLICATIONNAME', 'Sandbox HMRC');
    expect(prod).toMatchObject({
      BASEURL: 'https://api.service.hmrc.gov.uk',
      AUTHORIZATIONURLPATH: '/oauth/authorize',
      TOKENURLPATH: '/oauth/token',
      REDIRECTURL: 'urn:ietf:wg:oauth:2.0:oob',
      ACCEPT: 'application/vnd.hmrc.1.0+json',
      CONTENTTYPE: 'application/json',
      CLIENTID: '',
      CLIENTSECRET: '',
      SERVERTOKEN: '',
    });
    expect(sandbox).toMatchObject({ BASEURL: 'https://test-api.service.hmrc.gov.uk', CLIENTID: '', CLIENTSECRET: '', SERVERTOKEN: '' });
    const services = committed.records.get('Web service settings')!;
    expect(services.map((s) => [s.WEBSERVICE, s.INTERNETADDRESS, s.REQUESTMETHOD, s.SUCCESSFULRESPONSECODE, s.REQUESTTYPEXML])).toEqual([
      ['HMRC GET', 'https://api.service.hmrc.gov.uk', 'GET', '200', 'No'],
      ['HMRC POST', 'https://api.service.hmrc.gov.uk', 'POST', '201', 'No'],
      ['HMRC sandbox GET', 'https://test-api.service.hmrc.gov.uk', 'GET', '200', 'No'],
      ['HMRC sandbox POST', 'https://test-api.service.hmrc.gov.uk', 'POST', '201', 'No'],
    ]);
  });

  it('the local variant points Sandbox HMRC and its services at the emulator and nothing else', async () => {
    const local = await readAll(join(root, 'packages-data', 'mtd-vat-local.zip'));
    const apps = local.records.get('Web applications')!;
    expect(byName(apps, 'WEBAPPLICATIONNAME', 'Sandbox HMRC')).toMatchObject({
      BASEURL: LOCAL_SANDBOX_URL,
      REDIRECTURL: 'urn:ietf:wg:oauth:2.0:oob',
      CLIENTID: DEFAULT_SANDBOX_CLIENT.clientId,
      CLIENTSECRET: DEFAULT_SANDBOX_CLIENT.clientSecret,
    });
    expect(byName(apps, 'WEBAPPLICATIONNAME', 'Dynamics 365 Finance')).toMatchObject({ CLIENTID: '', CLIENTSECRET: '' });
    expect(LOCAL_SANDBOX_URL).toBe('http://127.0.0.1:9797');
    expect(byName(apps, 'WEBAPPLICATIONNAME', 'Dynamics 365 Finance').BASEURL).toBe('https://api.service.hmrc.gov.uk');
    const services = local.records.get('Web service settings')!;
    expect(byName(services, 'WEBSERVICE', 'HMRC sandbox POST').INTERNETADDRESS).toBe(LOCAL_SANDBOX_URL);
    expect(byName(services, 'WEBSERVICE', 'HMRC POST').INTERNETADDRESS).toBe('https://api.service.hmrc.gov.uk');
    for (const [entity, rows] of committed.records) {
      if (entity === 'Web applications' || entity === 'Web service settings') continue;
      expect(local.records.get(entity)).toEqual(rows);
    }
  });

  it('an organisation can inject its own production client at build time, never into the shipped zips', async () => {
    for (const name of ['mtd-vat.zip', 'mtd-vat-local.zip']) {
      const raw = readFileSync(join(root, 'packages-data', name));
      expect(raw.includes('prod-secret-from-env')).toBe(false);
      expect(raw.includes('replace-me')).toBe(false);
    }
    const withEnv = { MTDVAT_PROD_CLIENT_ID: 'prod-id-from-env', MTDVAT_PROD_CLIENT_SECRET: 'prod-secret-from-env' };
    const pkg = predefinedPackage('hmrc', { root, env: withEnv });
    const apps = pkg.entities.find((e) => e.schema.id === 'WebApplication')!.records;
    expect(byName(apps, 'WEBAPPLICATIONNAME', 'Dynamics 365 Finance')).toMatchObject({ CLIENTID: 'prod-id-from-env', CLIENTSECRET: 'prod-secret-from-env' });
    const none = predefinedPackage('hmrc', { root, env: {} }).entities.find((e) => e.schema.id === 'WebApplication')!.records;
    expect(byName(none, 'WEBAPPLICATIONNAME', 'Dynamics 365 Finance').CLIENTSECRET ?? '').toBe('');
    expect(() => productionCredentials({ MTDVAT_PROD_CLIENT_ID: 'only-id' })).toThrow(/both/);
    await expect(buildPackages({ env: withEnv })).rejects.toThrow(/never go into the shipped zips/);
    const own = mkdtempSync(join(tmpdir(), 'mtdvat-org-'));
    const built = await buildPackages({ outDir: own, env: withEnv });
    expect(built.injectedCredentials).toBe(true);
    expect(readFileSync(built.files.hmrc).length).toBeGreaterThan(1000);
    rmSync(own, { recursive: true, force: true });
  });
});
