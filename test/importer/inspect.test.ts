import { describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inspectPackage } from '../../src/importer/inspect.js';
import { importPackage } from '../../src/importer/import-package.js';
import { openContext } from '../../src/open-context.js';
import { buildPackage, webAppsEntity, webServicesEntity, WEB_APPS, WEB_SERVICES } from '../helpers/package-builder.js';
import { runCli } from '../helpers/cli.js';
import { REAL_D365 } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MTD_ZIP = join(ROOT, 'packages-data', 'mtd-vat.zip');
const dir = () => mkdtempSync(join(tmpdir(), 'mtdvat-'));

/** A package with deliberate problems: bad int, missing required value, duplicate key, unmapped column, dangling reference. */
async function brokenPackage(d: string): Promise<string> {
  return buildPackage(d, 'broken.zip', {
    entities: [
      webAppsEntity(),
      webServicesEntity({
        records: [
          { ...WEB_SERVICES[0], SUCCESSFULRESPONSECODE: 'two hundred' },
          { ...WEB_SERVICES[0], WEBSERVICE: 'HMRC sandbox POST', REQUESTMETHOD: '' },
          { ...WEB_SERVICES[0], WEBSERVICE: 'Dup' },
          { ...WEB_SERVICES[0], WEBSERVICE: 'Dup' },
          { ...WEB_SERVICES[0], WEBSERVICE: 'Elsewhere', WEBAPPLICATIONNAME: 'No such app', EXTRACOLUMN: 'x' },
        ],
        maps: Object.keys(WEB_SERVICES[0]).map((k) => [k, k] as [string, string]),
      }),
      { entityName: 'Customer groups', targetEntity: 'CustCustomerGroupEntity', records: [{ CUSTOMERGROUPID: '10', DESCRIPTION: 'Retail' }], format: 'csv-utf8', level: 1, sequence: 1 },
    ],
  });
}

describe('inspectPackage', () => {
  test('the predefined MTD package: every entity with a schema, in import order, no problems', async () => {
    const r = await inspectPackage(MTD_ZIP);
    expect(r.ok).toBe(true);
    expect(r.header).toMatchObject({ package: 'mtd-vat.zip', packageType: 'DefinitionGroup' });
    expect(r.entities.length).toBe(15);
    expect(r.entities.every((e) => e.schema && e.problems.length === 0)).toBe(true);
    const order = r.entities.map((e) => e.order.unit * 1e6 + e.order.level * 1e3 + e.order.sequence);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const webApps = r.entities.find((e) => e.schemaId === 'WebApplication')!;
    expect(webApps.records).toBe(2);
    expect(webApps.columns).toContain('BASEURL');
    expect(r.entities.find((e) => e.schemaId === 'MessageStatus')).toMatchObject({ format: 'excel', records: 19 });
  });

  test('a real D365 export of an entity mtdvat does not know: listed, schema false, no problem', async () => {
    const r = await inspectPackage(REAL_D365);
    expect(r.ok).toBe(true);
    expect(r.entities[0]).toMatchObject({ entity: 'Customer groups', schema: false, records: 1, problems: [] });
    expect(r.entities[0].columns).toContain('CUSTOMERGROUPID');
  });

  test('reports exactly the per-record problems the importer fails on', async () => {
    const d = dir();
    const zip = await brokenPackage(d);
    const r = await inspectPackage(zip);
    expect(r.ok).toBe(false);
    const ws = r.entities.find((e) => e.schemaId === 'WebService')!;
    expect(ws.problemCount).toBe(4);
    expect(ws.problems.map((p) => [p.record, p.field ?? null])).toEqual([
      [1, 'SUCCESSFULRESPONSECODE'],
      [2, 'REQUESTMETHOD'],
      [4, null],
      [5, 'WEBAPPLICATIONNAME'],
    ]);
    expect(ws.problems[2].message).toContain('duplicate key');
    expect(ws.unmappedColumns).toEqual(['EXTRACOLUMN']);
    // A reference the package cannot resolve fails the import into an empty store: a problem, not a warning.
    expect(ws.problems[3].message).toContain('refers to Web applications "No such app", which is not in the package');
    expect(r.entities.find((e) => e.entity === 'Customer groups')).toMatchObject({ schema: false, format: 'csv', records: 1, problems: [] });

    // Same problems as the importer: the validation is shared, not re-implemented.
    const ctx = openContext({ home: dir(), env: { MTDVAT_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') } });
    const imported = await importPackage(ctx, zip, { dryRun: true });
    ctx.close();
    // Inspect answers for an empty store, like this dry run: the same records fail, references included.
    const isReference = (message: string) => message.includes('which does not exist');
    const importerRecordErrors = imported.errors
      .filter((e) => e.entity === 'Web service settings' && e.record !== undefined)
      .map((e) => [e.record, isReference(e.message) ? 'WEBAPPLICATIONNAME' : (e.field ?? null)]);
    expect(imported.errors.filter((e) => isReference(e.message)).map((e) => e.record)).toEqual([5]);
    expect(importerRecordErrors).toEqual(ws.problems.map((p) => [p.record, p.field ?? null]));
    // One pass, one wording: the same messages, and the import's warnings are inspect's warnings.
    const importerMessages = imported.errors.filter((e) => e.entity === 'Web service settings' && !isReference(e.message)).map((e) => e.message);
    expect(importerMessages).toEqual(ws.problems.slice(0, 3).map((p) => p.message));
    const inspectWarnings = r.entities.flatMap((e) => e.warnings);
    expect(inspectWarnings.sort()).toEqual([...imported.warnings].sort());
    // The reference: the same words up to what differs (inspect has no store to look in).
    expect(ws.problems[3].message).toMatch(/^WEBAPPLICATIONNAME refers to Web applications "No such app", which is not in the package/);
    const reference = imported.errors.find((e) => isReference(e.message))!;
    expect(reference.message).toMatch(/^WEBAPPLICATIONNAME refers to Web applications "No such app", which does not exist/);
  });

  test('a zip that is not a package → PackageError', async () => {
    const d = dir();
    const zip = await buildPackage(d, 'nomanifest.zip', { entities: [webAppsEntity()], omitManifest: true });
    await expect(inspectPackage(zip)).rejects.toThrow(/no Manifest.xml/);
  });
});

describe('mtdvat inspect-package (built binary)', () => {
  test('clean package: exit 0, --json shape, never opens a store', async () => {
    const home = join(dir(), 'never-created');
    const r = await runCli(['inspect-package', MTD_ZIP, '--json', '--home', home], { env: { MTDVAT_HOME: home } });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['header', 'entities']);
    for (const e of doc.entities) {
      for (const k of ['entity', 'file', 'format', 'records', 'columns', 'schema', 'problems']) expect(e).toHaveProperty(k);
    }
    expect(existsSync(home)).toBe(false);
    const text = await runCli(['inspect-package', MTD_ZIP, '--home', home]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('No problem would fail the import.');
    expect(text.stdout).toContain('Web service settings');
    expect(existsSync(home)).toBe(false);
  });

  test('broken package: exit 1, problems listed, no secret value printed', async () => {
    const d = dir();
    const zip = await brokenPackage(d);
    const outputs: string[] = [];
    for (const args of [[], ['--json']]) {
      const r = await runCli(['inspect-package', zip, ...args, '--home', join(d, 'home')]);
      outputs.push(r.stdout, r.stderr);
      expect(r.code).toBe(1);
    }
    expect(outputs[0]).toContain('problem (record 1, key "HMRC sandbox GET"): SUCCESSFULRESPONSECODE "two hundred" is not a whole number');
    expect(outputs[0]).toContain('4 problems would fail the import.');
    expect(JSON.parse(outputs[2]).entities.find((e: { entity: string }) => e.entity === 'Web service settings').problems).toHaveLength(4);
    for (const secret of WEB_APPS.flatMap((a) => [a.CLIENTID, a.CLIENTSECRET]).filter(Boolean)) {
      expect(outputs.join('\n')).not.toContain(secret);
    }
    expect(existsSync(join(d, 'home'))).toBe(false);
  });

  test('not a zip → exit 1 with a message', async () => {
    const d = dir();
    const f = join(d, 'x.zip');
    writeFileSync(f, 'not a zip');
    const r = await runCli(['inspect-package', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^mtdvat: /);
  });
});
