import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from '../../src/context.js';
import { openContext } from '../../src/open-context.js';
import { importPackage } from '../../src/importer/import-package.js';
import { listRecords } from '../../src/store/records.js';
import { readSecret } from '../../src/vault/secrets.js';
import { buildPackage, webAppsEntity, webServicesEntity, WEB_APPS, type TestEntity } from '../helpers/package-builder.js';
import { newMasterKey, tempDir } from '../helpers/cli.js';
import { snapshotSetup } from '../helpers/store-snapshot.js';

let dir: string;
let ctx: Context;
const env = () => ({ MTDVAT_MASTER_KEY: key });
let key: string;

beforeEach(() => {
  dir = tempDir();
  key = newMasterKey();
  ctx = openContext({ home: join(dir, 'home'), env: env() });
});
afterEach(() => ctx.close());

const pkg = (name: string, entities: TestEntity[]) => buildPackage(dir, name, { entities });

describe('import semantics', () => {
  it('creates, then reports everything unchanged on a re-import (idempotent)', async () => {
    const zip = await pkg('a.zip', [webAppsEntity(), webServicesEntity()]);
    const first = await importPackage(ctx, zip);
    expect(first.status).toBe('Succeeded');
    expect(first.entities.map((e) => [e.entity, e.read, e.created])).toEqual([
      ['Web applications', 2, 2],
      ['Web service settings', 1, 1],
    ]);
    const again = await importPackage(ctx, zip);
    expect(again.entities.map((e) => [e.created, e.updated, e.unchanged])).toEqual([
      [0, 0, 2],
      [0, 0, 1],
    ]);
  });

  it('updates only what changed and leaves records that are not in the package alone', async () => {
    await importPackage(ctx, await pkg('a.zip', [webAppsEntity()]));
    const changed = [{ ...WEB_APPS[0], DESCRIPTION: 'changed' }];
    const result = await importPackage(ctx, await pkg('b.zip', [webAppsEntity({ records: changed })]));
    expect(result.entities[0]).toMatchObject({ read: 1, created: 0, updated: 1, unchanged: 0 });
    const apps = listRecords(ctx.db, 'DAT', 'WebApplication');
    expect(apps.map((a) => a.data.WEBAPPLICATIONNAME).sort()).toEqual(['Dynamics 365 Finance', 'Sandbox HMRC']);
    expect(apps.find((a) => a.key[0] === 'Sandbox HMRC')?.data.DESCRIPTION).toBe('changed');
  });

  it('--truncate deletes the entity first; --truncate-all every entity of the package', async () => {
    await importPackage(ctx, await pkg('a.zip', [webAppsEntity()]));
    const one = await pkg('b.zip', [webAppsEntity({ records: [WEB_APPS[0]] })]);
    const r = await importPackage(ctx, one, { truncate: ['Web applications'] });
    expect(r.entities[0]).toMatchObject({ created: 1 });
    expect(listRecords(ctx.db, 'DAT', 'WebApplication').map((a) => a.key[0])).toEqual(['Sandbox HMRC']);
    await importPackage(ctx, await pkg('c.zip', [webAppsEntity()]));
    await importPackage(ctx, one, { truncateAll: true });
    expect(listRecords(ctx.db, 'DAT', 'WebApplication')).toHaveLength(1);
  });

  it('--dry-run reports what would happen and writes nothing', async () => {
    const zip = await pkg('a.zip', [webAppsEntity(), webServicesEntity()]);
    const result = await importPackage(ctx, zip, { dryRun: true });
    expect(result.status).toBe('Succeeded');
    expect(result.entities[0].created).toBe(2);
    expect(listRecords(ctx.db, 'DAT', 'WebApplication')).toEqual([]);
    expect(ctx.db.prepare('SELECT COUNT(*) AS n FROM secrets').get()).toEqual({ n: 0 });
  });

  it('applies the manifest field map case-insensitively (file column → entity field)', async () => {
    const records = [{ appname: 'Mapped app', url: 'https://test-api.service.hmrc.gov.uk' }];
    const zip = await pkg('map.zip', [
      webAppsEntity({ records, maps: [['APPNAME', 'WEBAPPLICATIONNAME'], ['Url', 'baseurl']] }),
    ]);
    const result = await importPackage(ctx, zip);
    expect(result.errors).toEqual([]);
    const [app] = listRecords(ctx.db, 'DAT', 'WebApplication');
    expect(app.data).toMatchObject({ WEBAPPLICATIONNAME: 'Mapped app', BASEURL: 'https://test-api.service.hmrc.gov.uk' });
  });

  it('keeps an entity without a schema as raw records and says so', async () => {
    const zip = await pkg('raw.zip', [{ entityName: 'Customer groups', targetEntity: 'CustCustomerGroupEntity', records: [{ CUSTOMERGROUPID: '10' }] }]);
    const result = await importPackage(ctx, zip);
    expect(result.entities[0]).toMatchObject({ schema: false, created: 1 });
    expect(result.warnings.join('\n')).toMatch(/no schema/);
    const rows = ctx.db.prepare('SELECT entity, data FROM raw_records').all();
    expect(rows).toEqual([{ entity: 'Customer groups', data: '{"CUSTOMERGROUPID":"10"}' }]);
  });

  it('normalizes values: NoYes, enum labels, ints, GUIDs', async () => {
    const zip = await pkg('norm.zip', [
      webAppsEntity(),
      webServicesEntity({
        records: [{ ...webServicesEntity().records![0], REQUESTTYPEXML: 'false', SUCCESSFULRESPONSECODE: '0200', REQUESTHEADERSFORMATMAPPINGGUID: '00000000-0000-0000-0000-0000000000a1' }],
      }),
      { entityName: 'Message statuses', targetEntity: 'EMMessageStatusEntity', records: [{ MESSAGESTATUS: 'S', RESPONSETYPE: 'Successful', ALLOWDELETE: 'yes' }] },
    ]);
    const result = await importPackage(ctx, zip);
    expect(result.errors).toEqual([]);
    const [ws] = listRecords(ctx.db, 'DAT', 'WebService');
    expect(ws.data).toMatchObject({ REQUESTTYPEXML: 'No', SUCCESSFULRESPONSECODE: '200', REQUESTHEADERSFORMATMAPPINGGUID: '{00000000-0000-0000-0000-0000000000A1}' });
    const [status] = listRecords(ctx.db, 'DAT', 'MessageStatus');
    expect(status.data).toMatchObject({ RESPONSETYPE: 'Successfull', ALLOWDELETE: 'Yes' });
  });

  it('records each run as an import job with the package hash and counts', async () => {
    await importPackage(ctx, await pkg('a.zip', [webAppsEntity()]));
    const jobs = ctx.db.prepare('SELECT package_name, package_sha256, status, entities FROM import_jobs').all() as Record<string, string>[];
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ package_name: 'a.zip', status: 'Succeeded' });
    expect(jobs[0].package_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(jobs[0].entities)[0]).toMatchObject({ entity: 'Web applications', created: 2 });
  });
});

describe('references', () => {
  it('resolve against the whole package, whatever the import order', async () => {
    // Web services first (level 5), the web applications they point at later (level 10).
    const zip = await pkg('fwd.zip', [webServicesEntity({ level: 5 }), webAppsEntity({ level: 10 })]);
    const result = await importPackage(ctx, zip);
    expect(result.errors).toEqual([]);
    expect(result.entities.map((e) => e.entity)).toEqual(['Web service settings', 'Web applications']);
  });

  it('resolve against the stored setup of the company', async () => {
    await importPackage(ctx, await pkg('apps.zip', [webAppsEntity()]));
    const result = await importPackage(ctx, await pkg('ws.zip', [webServicesEntity()]));
    expect(result.status).toBe('Succeeded');
  });

  it('a dangling one names the record number, key and field', async () => {
    const services = [webServicesEntity().records![0], { ...webServicesEntity().records![0], WEBSERVICE: 'Second', WEBAPPLICATIONNAME: 'Nope' }];
    const result = await importPackage(ctx, await pkg('dangling.zip', [webAppsEntity(), webServicesEntity({ records: services })]));
    expect(result.errors).toEqual([
      expect.objectContaining({ entity: 'Web service settings', file: 'Web service settings.xml', record: 2, key: 'Second', field: 'WEBAPPLICATIONNAME' }),
    ]);
  });
});

describe('secrets', () => {
  it('encrypts client ID and secret; no plaintext anywhere in the database files', async () => {
    await importPackage(ctx, await pkg('a.zip', [webAppsEntity()]));
    ctx.close();
    const files = ['mtdvat.db', 'mtdvat.db-wal'].map((f) => join(dir, 'home', f)).filter((f) => existsSync(f));
    for (const file of files) {
      const bytes = readFileSync(file);
      expect(bytes.includes(Buffer.from(WEB_APPS[0].CLIENTSECRET))).toBe(false);
      expect(bytes.includes(Buffer.from(WEB_APPS[0].CLIENTID))).toBe(false);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    }
    ctx = openContext({ home: join(dir, 'home'), env: env() });
    const vault = await ctx.vault();
    expect(readSecret(ctx.db, vault, 'DAT', 'WebApplication', ['Sandbox HMRC'], 'CLIENTSECRET')).toBe(WEB_APPS[0].CLIENTSECRET);
    expect(readSecret(ctx.db, vault, 'DAT', 'WebApplication', ['Dynamics 365 Finance'], 'CLIENTSECRET')).toBeUndefined();
  });

  it('an empty secret in a later package keeps the stored one; a different value is kept too unless replaceCredentials', async () => {
    await importPackage(ctx, await pkg('a.zip', [webAppsEntity()]));
    const blank = await importPackage(ctx, await pkg('b.zip', [webAppsEntity({ records: [{ ...WEB_APPS[0], CLIENTSECRET: '' }] })]));
    expect(blank.entities[0]).toMatchObject({ unchanged: 1 });
    const vault = await ctx.vault();
    expect(readSecret(ctx.db, vault, 'DAT', 'WebApplication', ['Sandbox HMRC'], 'CLIENTSECRET')).toBe(WEB_APPS[0].CLIENTSECRET);
    const kept = await importPackage(ctx, await pkg('c.zip', [webAppsEntity({ records: [{ ...WEB_APPS[0], CLIENTSECRET: 'rotated-secret' }] })]));
    expect(kept.entities[0]).toMatchObject({ unchanged: 1 });
    expect(kept.credentials).toEqual([{ entity: 'Web applications', key: 'Sandbox HMRC', field: 'CLIENTSECRET', action: 'kept', because: 'package-differs' }]);
    expect(readSecret(ctx.db, vault, 'DAT', 'WebApplication', ['Sandbox HMRC'], 'CLIENTSECRET')).toBe(WEB_APPS[0].CLIENTSECRET);
    const replaced = await importPackage(ctx, await pkg('d.zip', [webAppsEntity({ records: [{ ...WEB_APPS[0], CLIENTSECRET: 'rotated-secret' }] })]), { replaceCredentials: true });
    expect(replaced.entities[0]).toMatchObject({ updated: 1 });
    expect(replaced.credentials).toEqual([{ entity: 'Web applications', key: 'Sandbox HMRC', field: 'CLIENTSECRET', action: 'replaced' }]);
    expect(replaced.changes).toEqual([{ entity: 'Web applications', key: 'Sandbox HMRC', field: 'CLIENTSECRET', old: 'changed', new: 'changed' }]);
    expect(readSecret(ctx.db, vault, 'DAT', 'WebApplication', ['Sandbox HMRC'], 'CLIENTSECRET')).toBe('rotated-secret');
  });
});

describe('bad packages leave the stored setup unchanged', () => {
  const cases: [string, () => TestEntity[], RegExp, Record<string, unknown>][] = [
    ['duplicate natural key', () => [webAppsEntity({ records: [WEB_APPS[0], WEB_APPS[0]] })], /duplicate key/, { record: 2, key: 'Sandbox HMRC' }],
    ['unknown enum value', () => [webAppsEntity(), webServicesEntity({ records: [{ ...webServicesEntity().records![0], REQUESTMETHOD: 'FETCH' }] })], /"FETCH" is not one of/, { field: 'REQUESTMETHOD', record: 1 }],
    ['field longer than the schema allows', () => [webAppsEntity({ records: [{ ...WEB_APPS[0], WEBAPPLICATIONNAME: 'x'.repeat(61) }] })], /at most 60/, { field: 'WEBAPPLICATIONNAME' }],
    ['reference to a web application that does not exist', () => [webServicesEntity({ records: [{ ...webServicesEntity().records![0], WEBAPPLICATIONNAME: 'Nope' }] })], /"Nope", which does not exist/, { field: 'WEBAPPLICATIONNAME', key: 'HMRC sandbox GET', record: 1 }],
    ['missing key field', () => [webAppsEntity({ records: [{ ...WEB_APPS[0], WEBAPPLICATIONNAME: '' }] })], /required/, { field: 'WEBAPPLICATIONNAME' }],
    ['not a whole number', () => [webAppsEntity(), webServicesEntity({ records: [{ ...webServicesEntity().records![0], SUCCESSFULRESPONSECODE: '2OO' }] })], /not a whole number/, { field: 'SUCCESSFULRESPONSECODE' }],
    ['malformed XML', () => [webAppsEntity({ content: Buffer.from('<Document><A><B></A>') })], /not well-formed/, { file: 'Web applications.xml' }],
  ];

  it.each(cases)('%s', async (_name, entities, message, location) => {
    await importPackage(ctx, await pkg('good.zip', [webAppsEntity({ records: [{ ...WEB_APPS[0], DESCRIPTION: 'stored' }] })]));
    const dbPath = join(dir, 'home', 'mtdvat.db');
    const before = snapshotSetup(dbPath);
    const result = await importPackage(ctx, await pkg('bad.zip', entities()));
    expect(result.status).toBe('Failed');
    expect(result.errors[0].message).toMatch(message);
    expect(result.errors[0]).toMatchObject(location);
    expect(snapshotSetup(dbPath)).toEqual(before);
    const job = ctx.db.prepare('SELECT status FROM import_jobs ORDER BY id DESC LIMIT 1').get();
    expect(job).toEqual({ status: 'Failed' });
  });
});

describe('import jobs', () => {
  it('a job left "Executing" by a process that no longer exists is listed as Interrupted', async () => {
    const { listImportJobs } = await import('../../src/importer/import-package.js');
    await importPackage(ctx, await pkg('a.zip', [webAppsEntity()]));
    // A pid far above pid_max on Linux: no such process.
    ctx.db.prepare(`INSERT INTO import_jobs (started_at, company, package_name, status, pid) VALUES ('2026-01-01T00:00:00Z', 'DAT', 'killed.zip', 'Executing', 99999999)`).run();
    ctx.db.prepare(`INSERT INTO import_jobs (started_at, company, package_name, status, pid) VALUES ('2026-01-01T00:00:01Z', 'DAT', 'running.zip', 'Executing', ?)`).run(process.pid);
    const statuses = Object.fromEntries(listImportJobs(ctx).map((j) => [j.package, j.status]));
    expect(statuses).toEqual({ 'a.zip': 'Succeeded', 'killed.zip': 'Interrupted', 'running.zip': 'Executing' });
  });
});
