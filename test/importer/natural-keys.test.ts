/**
 * Natural keys compare as D365 (SQL Server) compares them — case-insensitive, trailing spaces
 * ignored — after Unicode NFC, through the BUILT CLI: look-alikes in one package are duplicates, a
 * look-alike in a later package updates the first record (whose spelling stays, with its secrets),
 * references and look-ups resolve through the folded key, and a store that already holds look-alikes
 * is reported by verify, never merged.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { newMasterKey, runCli, tempDir } from '../helpers/cli.js';
import { buildPackage, webAppsEntity, webServicesEntity, WEB_APPS, WEB_SERVICES } from '../helpers/package-builder.js';
import { openContext } from '../../src/open-context.js';
import { loadClientCredentials, loadWebApp } from '../../src/setup/web-app.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { registerKeyFolding } from '../../src/store/db.js';
import { lookAlikeKeys } from '../../src/store/records.js';

const SANDBOX = WEB_APPS[0];
const ITEM_TYPES = (names: string[]) => ({ entityName: 'Message item types', targetEntity: 'EMMessageItemTypeEntity', level: 1, sequence: 10, records: names.map((n) => ({ MESSAGEITEMTYPE: n, DESCRIPTION: 'x' })) });

describe('natural keys as D365 compares them', () => {
  it('look-alikes in one package are duplicate keys (case and trailing spaces, NFC and NFD)', async () => {
    const dir = tempDir();
    const env = { MTDVAT_MASTER_KEY: newMasterKey() };
    const apps = await buildPackage(dir, 'apps.zip', { entities: [webAppsEntity({ records: [SANDBOX, { ...SANDBOX, WEBAPPLICATIONNAME: 'sandbox hmrc ' }] })] });
    let r = await runCli(['import-package', apps, '--home', join(dir, 'h1')], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('already has WEBAPPLICATIONNAME = "Sandbox HMRC", the same key as "sandbox hmrc " to D365');
    const inspect = await runCli(['inspect-package', apps, '--json']);
    expect(inspect.code).toBe(1);
    expect(JSON.parse(inspect.stdout).entities[0].problems[0].message).toMatch(/duplicate key.*"Sandbox HMRC", the same key as/);

    const cafe = await buildPackage(dir, 'cafe.zip', { entities: [ITEM_TYPES(['Caf\u00e9', 'Cafe\u0301'])] });
    r = await runCli(['import-package', cafe, '--home', join(dir, 'h2')], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/duplicate key.*record 2/);
    // Accents still count: "Cafe" and "Café" are two item types, as in D365.
    const two = await buildPackage(dir, 'two.zip', { entities: [ITEM_TYPES(['Cafe', 'Caf\u00e9'])] });
    expect((await runCli(['import-package', two, '--home', join(dir, 'h3')], { env })).code).toBe(0);
  });

  it('a later look-alike updates the first record, whose spelling and secrets stay; references and look-ups resolve', async () => {
    const dir = tempDir();
    const home = join(dir, 'home');
    const env = { MTDVAT_MASTER_KEY: newMasterKey() };
    const first = await buildPackage(dir, 'first.zip', { entities: [webAppsEntity({ records: [SANDBOX] })] });
    expect((await runCli(['import-package', first, '--home', home], { env })).code).toBe(0);

    // The same application spelled differently, with a new description and no credentials, and a web
    // service that refers to it in yet another spelling.
    const second = await buildPackage(dir, 'second.zip', {
      entities: [
        webAppsEntity({ records: [{ ...SANDBOX, WEBAPPLICATIONNAME: 'SANDBOX hmrc  ', DESCRIPTION: 'Updated', CLIENTID: '', CLIENTSECRET: '' }] }),
        webServicesEntity({ records: [{ ...WEB_SERVICES[0], WEBAPPLICATIONNAME: 'sandbox HMRC' }] }),
      ],
    });
    const r = await runCli(['import-package', second, '--home', home, '--json'], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).entities[0]).toMatchObject({ created: 0, updated: 1 });

    const list = await runCli(['web-apps', 'list', '--json', '--home', home], { env });
    const apps = JSON.parse(list.stdout) as { name: string; clientSecretSet: boolean }[];
    expect(apps.map((a) => a.name)).toEqual(['Sandbox HMRC']);
    expect(apps[0].clientSecretSet).toBe(true);

    const show = await runCli(['web-apps', 'show', 'sandbox hmrc ', '--json', '--home', home], { env });
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ name: 'Sandbox HMRC' });
    expect(JSON.parse(show.stdout).fields).toMatchObject({ WEBAPPLICATIONNAME: 'Sandbox HMRC', DESCRIPTION: 'Updated' });

    // The secrets were encrypted with "Sandbox HMRC" in their associated data, and still decrypt.
    const ctx = openContext({ home, env });
    try {
      expect(await loadClientCredentials(ctx, loadWebApp(ctx, 'SANDBOX HMRC'))).toEqual({ clientId: SANDBOX.CLIENTID, clientSecret: SANDBOX.CLIENTSECRET });
    } finally {
      ctx.close();
    }
  });

  it('a web service naming its application in another spelling is still held to that application\'s origin', async () => {
    const dir = tempDir();
    const pkg = await buildPackage(dir, 'ws.zip', {
      entities: [webAppsEntity({ records: [SANDBOX] }), webServicesEntity({ records: [{ ...WEB_SERVICES[0], WEBAPPLICATIONNAME: 'SANDBOX HMRC ', INTERNETADDRESS: 'https://evil.example' }] })],
    });
    const r = await runCli(['import-package', pkg, '--home', join(dir, 'h')], { env: { MTDVAT_MASTER_KEY: newMasterKey() } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/INTERNETADDRESS "https:\/\/evil\.example" is not on the origin of its web application/);
  });

  it('a store that already holds look-alikes keeps them all and verify reports them', async () => {
    const dir = tempDir();
    const home = join(dir, 'home');
    const env = { MTDVAT_MASTER_KEY: newMasterKey() };
    const pkg = await buildPackage(dir, 'apps.zip', { entities: [webAppsEntity({ records: [SANDBOX] })] });
    expect((await runCli(['import-package', pkg, '--home', home], { env })).code).toBe(0);
    // A look-alike an older mtdvat imported, as the folded-key migration leaves it (no folded key).
    const db = new Database(join(home, 'mtdvat.db'));
    const row = db.prepare("SELECT * FROM records WHERE entity = 'WebApplication'").get() as Record<string, unknown>;
    db.prepare('INSERT INTO records (company, entity, natural_key, folded_key, data, last_job, last_record, updated_at) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)').run(
      row.company,
      row.entity,
      JSON.stringify(['sandbox hmrc ']),
      JSON.stringify({ ...JSON.parse(row.data as string), WEBAPPLICATIONNAME: 'sandbox hmrc ' }),
      row.last_job,
      row.last_record,
      '2099-01-01T00:00:00.000Z',
    );
    const before = db.prepare('SELECT count(*) FROM records').pluck().get();
    db.close();

    const v = await runCli(['verify', '--json', '--home', home], { env });
    const checks = JSON.parse(v.stdout).checks as { id: string; status: string; detail: string }[];
    const lookAlike = checks.find((c) => c.id.startsWith('setup.look-alike-keys.webapplication'));
    expect(lookAlike, v.stdout).toMatchObject({ status: 'fail' });
    expect(lookAlike!.detail).toContain('"Sandbox HMRC" and "sandbox hmrc " are one key to D365');
    const text = await runCli(['verify', '--home', home], { env });
    expect(text.stdout).toMatch(/FAIL\s+One record per key in Web applications/);
    const after = new Database(join(home, 'mtdvat.db'), { readonly: true });
    expect(after.prepare('SELECT count(*) FROM records').pluck().get()).toBe(before);
    after.close();
  });

  it('the folded-key migration keeps look-alikes already stored: the earliest gets the key, the rest are kept unfolded', () => {
    const at = MIGRATIONS.findIndex((m) => m.includes('records_by_folded_key'));
    expect(at).toBeGreaterThan(0);
    const db = new Database(':memory:');
    registerKeyFolding(db);
    for (const m of MIGRATIONS.slice(0, at)) db.exec(m);
    const insert = db.prepare("INSERT INTO records (company, entity, natural_key, data, updated_at) VALUES ('DAT', 'WebApplication', ?, '{}', ?)");
    insert.run(JSON.stringify(['sandbox hmrc ']), '2024-02-01T00:00:00Z');
    insert.run(JSON.stringify(['Sandbox HMRC']), '2024-01-01T00:00:00Z');
    insert.run(JSON.stringify(['Caf\u00e9']), '2024-01-01T00:00:00Z');
    db.exec(MIGRATIONS[at]);
    const rows = db.prepare('SELECT natural_key, folded_key FROM records ORDER BY natural_key').all();
    expect(rows).toEqual([
      { natural_key: JSON.stringify(['Caf\u00e9']), folded_key: JSON.stringify(['caf\u00e9']) },
      { natural_key: JSON.stringify(['Sandbox HMRC']), folded_key: JSON.stringify(['sandbox hmrc']) },
      { natural_key: JSON.stringify(['sandbox hmrc ']), folded_key: null },
    ]);
    expect(lookAlikeKeys(db, 'DAT', 'WebApplication')).toEqual([[['Sandbox HMRC'], ['sandbox hmrc ']]]);
    db.close();
  });
});
