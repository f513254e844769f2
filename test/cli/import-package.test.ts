import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { REAL_D365, ROOT, newMasterKey, runCli, tempDir } from '../helpers/cli.js';
import { buildPackage, webAppsEntity, WEB_APPS } from '../helpers/package-builder.js';

const MTD_VAT = join(ROOT, 'packages-data', 'mtd-vat.zip');

let dir: string;
beforeAll(() => {
  dir = tempDir();
});

describe('mtdvat import-package (built binary)', () => {
  it('imports the predefined package, then reports everything unchanged (the README command)', async () => {
    const home = join(dir, 'readme');
    const first = await runCli(['import-package', MTD_VAT, '--home', home]);
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Web applications/);
    expect(first.stdout).toMatch(/Import succeeded for company DAT/);
    // No MTDVAT_MASTER_KEY: the key file was created, private.
    expect(statSync(join(home, 'master.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'mtdvat.db')).mode & 0o777).toBe(0o600);

    const again = await runCli(['import-package', MTD_VAT, '--home', home, '--json']);
    expect(again.code).toBe(0);
    const json = JSON.parse(again.stdout);
    expect(json.status).toBe('Succeeded');
    expect(json.company).toBe('DAT');
    expect(json.errors).toEqual([]);
    expect(json.entities.length).toBeGreaterThanOrEqual(15);
    for (const e of json.entities) {
      expect(Object.keys(e).sort()).toEqual(['created', 'entity', 'failed', 'file', 'format', 'read', 'schema', 'unchanged', 'updated'].sort());
      expect(e).toMatchObject({ created: 0, updated: 0, failed: 0, schema: true });
      expect(e.unchanged).toBe(e.read);
    }
    expect(json.entities.some((e: { format: string }) => e.format === 'excel')).toBe(true);

    const jobs = await runCli(['import-jobs', '--home', home, '--json']);
    expect(JSON.parse(jobs.stdout).map((j: { status: string }) => j.status)).toEqual(['Succeeded', 'Succeeded']);
  });

  it('imports the real D365 export and reports its entity as "no schema"', async () => {
    const result = await runCli(['import-package', REAL_D365, '--home', join(dir, 'real'), '--json'], { env: { MTDVAT_MASTER_KEY: newMasterKey() } });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.entities).toEqual([
      { entity: 'Customer groups', file: 'Customer groups.xml', format: 'xml-element', read: 1, created: 1, updated: 0, unchanged: 0, failed: 0, schema: false },
    ]);
  });

  it('a failed import exits 1, says what and where, and never prints a secret', async () => {
    const home = join(dir, 'bad');
    const zip = await buildPackage(dir, 'dup.zip', { entities: [webAppsEntity({ records: [WEB_APPS[0], WEB_APPS[0]] })] });
    const result = await runCli(['import-package', zip, '--home', home], { env: { MTDVAT_MASTER_KEY: newMasterKey() } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/duplicate key.*entity "Web applications", file "Web applications.xml", record 2, key "Sandbox HMRC"/);
    expect(result.stdout).toMatch(/nothing was written/);
    for (const out of [result.stdout, result.stderr]) expect(out).not.toContain(WEB_APPS[0].CLIENTSECRET);
    const json = await runCli(['import-package', zip, '--home', home, '--json'], { env: { MTDVAT_MASTER_KEY: newMasterKey() } });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'Failed', errors: [{ entity: 'Web applications', record: 2, key: 'Sandbox HMRC' }] });
  });

  it.each<[string, string[], number, RegExp]>([
    ['missing file argument', ['import-package'], 2, /Not enough non-option arguments/],
    ['unknown flag', ['import-package', 'x.zip', '--frobnicate'], 2, /unknown option --frobnicate/],
    ['a file that does not exist', ['import-package', 'no-such.zip'], 1, /cannot read/],
    ['not a zip', ['import-package', join(ROOT, 'README.md')], 1, /not a readable zip/],
    ['unknown --truncate entity', ['import-package', REAL_D365, '--truncate', 'Nope'], 2, /--truncate "Nope"/],
    ['no command', [], 2, /Name a command\.\nRun `mtdvat --help` for usage/],
  ])('%s → exit %i', async (_n, args, code, message) => {
    const result = await runCli([...args, '--home', join(dir, 'usage')], { env: { MTDVAT_MASTER_KEY: newMasterKey() } });
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });

  it('--help lists every command, wrapped for reading; a command run does not need it', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['import-package', 'import-jobs', 'inspect-package', 'export-package', 'verify', 'web-apps', 'auth', 'vat', 'vat100', 'fph', 'sandbox', 'keys', 'config']) {
      expect(help.stdout).toMatch(new RegExp(`^  mtdvat ${command}\\b`, 'm'));
    }
    expect(Math.max(...help.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(110);
    const sub = await runCli(['vat', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/^  mtdvat vat submit\b/m);
  });

  it('--dry-run on a fresh home writes no records and creates no key file', async () => {
    const home = join(dir, 'dry');
    const result = await runCli(['import-package', MTD_VAT, '--home', home, '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Dry run succeeded/);
    expect(existsSync(join(home, 'master.key'))).toBe(false);
    expect(readdirSync(home)).toEqual(['mtdvat.db']);
  });

  it('an Excel entity spills nothing to TMPDIR, whatever the order of its workbook parts', async () => {
    // exceljs writes each sheet before sharedStrings.xml; its WorkbookReader would spool such a sheet to
    // TMPDIR. mtdvat reads the checked parts itself; this guards against going back to that reader.
    const zip = await buildPackage(dir, 'excel.zip', { entities: [webAppsEntity({ format: 'excel' })] });
    const tmp = tempDir('mtdvat-tmpdir-');
    // exceljs deletes its temp files afterwards, so watch the folder rather than list it at the end.
    const created: string[] = [];
    const watcher = watch(tmp, (_event, name) => created.push(String(name)));
    const result = await runCli(['import-package', zip, '--home', join(dir, 'excel'), '--json'], { env: { TMPDIR: tmp, MTDVAT_MASTER_KEY: newMasterKey() } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    watcher.close();
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).entities[0]).toMatchObject({ format: 'excel', created: 2 });
    expect(created).toEqual([]);
  });

  it('records belong to a company: --company, else the configured default, else DAT', async () => {
    const home = join(dir, 'company');
    const env = { MTDVAT_MASTER_KEY: newMasterKey() };
    const company = async (...extra: string[]) =>
      JSON.parse((await runCli(['import-package', REAL_D365, '--home', home, '--json', ...extra], { env })).stdout).company;
    expect(await company()).toBe('DAT');
    expect((await runCli(['config', 'set', 'default-company', 'gbsi', '--home', home])).code).toBe(0);
    expect(await company()).toBe('GBSI');
    expect(await company('--company', 'usmf')).toBe('USMF');
    expect((await runCli(['config', 'set', 'default-company', 'no spaces', '--home', home])).code).toBe(2);
  });
});
