/**
 * Credentials and their origin through the built CLI (issue 10): an import never silently replaces
 * a stored credential, never carries one to another origin, and says what it changed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openContext } from '../../src/open-context.js';
import { writePackage } from '../../src/package/writer.js';
import { loadSchemas } from '../../src/schema/registry.js';
import { readSecret } from '../../src/vault/secrets.js';
import { insertToken, newKey } from '../helpers/mtd-setup.js';
import { loadSource } from '../../packages-data/build.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { snapshotSetup } from '../helpers/store-snapshot.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SHIPPED = join(ROOT, 'packages-data', 'mtd-vat.zip');
const work = mkdtempSync(join(tmpdir(), 'mtdvat-creds-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const registry = loadSchemas();

const USER_ID = 'user-entered-client-id-0001';
const USER_SECRET = 'user-entered-client-secret-7c1e9a';
const PACKAGE_SECRET = 'package-client-secret-3f0b21';
const outputs: CliResult[] = [];
afterAll(() => {
  const all = outputs.map((o) => o.stdout + o.stderr).join('\n');
  // The client ID is public in HMRC's authorization URL; secrets appear nowhere.
  for (const s of [USER_SECRET, PACKAGE_SECRET]) expect(all).not.toContain(s);
});

let homes = 0;
function newHome(): { home: string; key: string; cli: (args: string[], input?: string) => Promise<CliResult> } {
  const home = join(work, `home-${++homes}`);
  const key = newKey();
  return {
    home,
    key,
    cli: async (args, input) => {
      const r = await runCli([...args, '--home', home], { input, env: { MTDVAT_MASTER_KEY: key } });
      outputs.push(r);
      return r;
    },
  };
}

function sandboxApp(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    WEBAPPLICATIONNAME: 'Sandbox HMRC',
    DESCRIPTION: 'HMRC sandbox',
    BASEURL: 'https://test-api.service.hmrc.gov.uk',
    AUTHORIZATIONURLPATH: '/oauth/authorize',
    TOKENURLPATH: '/oauth/token',
    REDIRECTURL: 'urn:ietf:wg:oauth:2.0:oob',
    ACCEPT: 'application/vnd.hmrc.1.0+json',
    CONTENTTYPE: 'application/json',
    AUTHORIZATIONFORMATMAPPING: 'MTD VAT authorization format (UK)',
    IMPORTTOKENMODELMAPPING: 'MTD VAT token response format to model mapping',
    ...overrides,
  };
}

let packages = 0;
async function webAppPackage(records: Record<string, string>[], services: Record<string, string>[] = []): Promise<string> {
  const out = join(work, `pkg-${++packages}.zip`);
  const entities = [{ schema: registry.byId('WebApplication'), format: 'xml-element' as const, records }];
  if (services.length) entities.push({ schema: registry.byId('WebService'), format: 'xml-element' as const, records: services });
  await writePackage(out, { definitionGroupName: 'test', entities }, { mtime: new Date(2024, 0, 1) });
  return out;
}

/** The shipped sandbox web services, moved to another address (a package must move them with their application). */
function sandboxServices(address: string): Record<string, string>[] {
  const source = loadSource().find((f) => f.entity === 'WebService')!;
  return source.records.filter((r) => r.WEBAPPLICATIONNAME === 'Sandbox HMRC').map((r) => ({ ...r, INTERNETADDRESS: address }));
}

function storedSecret(home: string, key: string, field: string): string | undefined {
  const ctx = openContext({ home, env: { MTDVAT_MASTER_KEY: key } });
  return ctx
    .vault()
    .then((v) => readSecret(ctx.db, v, ctx.company, 'WebApplication', ['Sandbox HMRC'], field))
    .finally(() => ctx.close()) as unknown as string | undefined;
}

/** A home with the shipped package imported and the user's own credentials entered for "Sandbox HMRC". */
async function withUserCredentials() {
  const h = newHome();
  expect((await h.cli(['import-package', SHIPPED])).code).toBe(0);
  const set = (await h.cli(['web-apps', 'set-credentials', 'Sandbox HMRC', '--client-id-stdin', '--secret-stdin'], `${USER_ID}\n${USER_SECRET}`));
  expect(set.code, set.stderr).toBe(0);
  return h;
}

describe('an import keeps the credentials the user entered', () => {
  it('re-importing the shipped mtd-vat.zip leaves them alone (it carries none)', async () => {
    const h = await withUserCredentials();
    const r = (await h.cli(['import-package', SHIPPED, '--json']));
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ changes: [], changesOmitted: 0 });
    expect(j.credentials).toEqual([
      { entity: 'Web applications', key: 'Sandbox HMRC', field: 'CLIENTID', action: 'kept', because: 'package-empty' },
      { entity: 'Web applications', key: 'Sandbox HMRC', field: 'CLIENTSECRET', action: 'kept', because: 'package-empty' },
    ]);
    expect((await h.cli(['import-package', SHIPPED])).stdout).toContain('Kept the client secret of "Sandbox HMRC": the package has none.');
    expect(await storedSecret(h.home, h.key, 'CLIENTID')).toBe(USER_ID);
    expect(await storedSecret(h.home, h.key, 'CLIENTSECRET')).toBe(USER_SECRET);
  });

  it('a package with a different secret: kept and named, unless --replace-credentials', async () => {
    const h = await withUserCredentials();
    const pkg = await webAppPackage([sandboxApp({ CLIENTID: USER_ID, CLIENTSECRET: PACKAGE_SECRET })]);
    const text = (await h.cli(['import-package', pkg]));
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Kept the client secret of "Sandbox HMRC": the package has a different one (--replace-credentials takes the package\'s).');
    expect(await storedSecret(h.home, h.key, 'CLIENTSECRET')).toBe(USER_SECRET);
    const json = JSON.parse((await h.cli(['import-package', pkg, '--json'])).stdout);
    expect(json.credentials).toEqual([{ entity: 'Web applications', key: 'Sandbox HMRC', field: 'CLIENTSECRET', action: 'kept', because: 'package-differs' }]);

    const replaced = (await h.cli(['import-package', pkg, '--replace-credentials', '--json']));
    expect(replaced.code, replaced.stderr).toBe(0);
    const j = JSON.parse(replaced.stdout);
    expect(j.credentials).toEqual([{ entity: 'Web applications', key: 'Sandbox HMRC', field: 'CLIENTSECRET', action: 'replaced' }]);
    expect(j.changes).toEqual([{ entity: 'Web applications', key: 'Sandbox HMRC', field: 'CLIENTSECRET', old: 'changed', new: 'changed' }]);
    expect(await storedSecret(h.home, h.key, 'CLIENTSECRET')).toBe(PACKAGE_SECRET);
  });

  it('a stored placeholder counts as absent: the package value heals it', async () => {
    const h = newHome();
    expect((await h.cli(['import-package', await webAppPackage([sandboxApp({ CLIENTID: 'DEMO-CLIENT-ID-replace-me', CLIENTSECRET: 'DEMO-CLIENT-SECRET-replace-me' })])])).code).toBe(0);
    const r = (await h.cli(['import-package', await webAppPackage([sandboxApp({ CLIENTID: USER_ID, CLIENTSECRET: USER_SECRET })]), '--json']));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).credentials.map((c: { action: string }) => c.action)).toEqual(['set', 'set']);
    expect(await storedSecret(h.home, h.key, 'CLIENTSECRET')).toBe(USER_SECRET);
  });
});

describe('credentials and tokens belong to one origin', () => {
  it('an import that moves an application holding credentials to another origin fails, naming it; --replace-credentials drops them and its tokens', async () => {
    const h = await withUserCredentials();
    const ctx = openContext({ home: h.home, env: { MTDVAT_MASTER_KEY: h.key } });
    insertToken(ctx, 'Sandbox HMRC', new Date(Date.now() + 3600_000), new Date());
    ctx.close();
    const before = snapshotSetup(join(h.home, 'mtdvat.db'));
    const moved = await webAppPackage([sandboxApp({ BASEURL: 'http://127.0.0.1:9797' })], sandboxServices('http://127.0.0.1:9797'));
    const r = (await h.cli(['import-package', moved]));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/BASEURL moves web application "Sandbox HMRC" from https:\/\/test-api\.service\.hmrc\.gov\.uk to http:\/\/127\.0\.0\.1:9797.*--replace-credentials.*record 1.*key "Sandbox HMRC", field BASEURL/);
    expect(snapshotSetup(join(h.home, 'mtdvat.db'))).toEqual(before);

    const ok = (await h.cli(['import-package', moved, '--replace-credentials', '--json']));
    expect(ok.code, ok.stdout).toBe(0);
    const j = JSON.parse(ok.stdout);
    expect(j.credentials).toEqual([
      { entity: 'Web applications', key: 'Sandbox HMRC', field: 'CLIENTID', action: 'dropped' },
      { entity: 'Web applications', key: 'Sandbox HMRC', field: 'CLIENTSECRET', action: 'dropped' },
    ]);
    expect(j.changes).toContainEqual({ entity: 'Web applications', key: 'Sandbox HMRC', field: 'BASEURL', old: 'https://test-api.service.hmrc.gov.uk', new: 'http://127.0.0.1:9797' });
    const status = JSON.parse((await h.cli(['auth', 'status', '--app', 'Sandbox HMRC', '--json'])).stdout);
    expect(status[0]).toMatchObject({ state: 'none', accessTokenExpiresAt: null });
    expect(await storedSecret(h.home, h.key, 'CLIENTSECRET')).toBeUndefined();
  });

  it('web-apps set --base-url to another origin asks for --yes, then drops the tokens and moves the web services along', async () => {
    const h = await withUserCredentials();
    const ctx = openContext({ home: h.home, env: { MTDVAT_MASTER_KEY: h.key } });
    insertToken(ctx, 'Sandbox HMRC', new Date(Date.now() + 3600_000), new Date());
    ctx.close();
    const refused = (await h.cli(['web-apps', 'set', 'Sandbox HMRC', '--base-url', 'http://127.0.0.1:9797']));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/confirmation needed: Move "Sandbox HMRC" from https:\/\/test-api\.service\.hmrc\.gov\.uk to http:\/\/127\.0\.0\.1:9797 \(its tokens are dropped and its client ID and secret will be sent to http:\/\/127\.0\.0\.1:9797\)\? — re-run with --yes/);
    expect(JSON.parse((await h.cli(['web-apps', 'list', '--json'])).stdout).find((a: { name: string }) => a.name === 'Sandbox HMRC')).toMatchObject({ baseUrl: 'https://test-api.service.hmrc.gov.uk', state: 'valid' });

    const ok = (await h.cli(['web-apps', 'set', 'Sandbox HMRC', '--base-url', 'http://127.0.0.1:9797', '--yes']));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('Dropped the tokens of "Sandbox HMRC"');
    expect(ok.stdout).toContain('Web service "HMRC sandbox GET" follows it to http://127.0.0.1:9797.');
    expect(JSON.parse((await h.cli(['web-apps', 'list', '--json'])).stdout).find((a: { name: string }) => a.name === 'Sandbox HMRC')).toMatchObject({ state: 'none', tokenExpiresAt: null });
    // The user confirmed: the credentials now belong to the new origin, so authorization can start there.
    const get = (await h.cli(['auth', 'get-authorization-code', '--app', 'Sandbox HMRC', '--yes', '--no-browser', '--redirect', 'oob', '--json']));
    expect(get.code, get.stderr).toBe(0);
    expect(JSON.parse(get.stdout).authorizationUrl).toMatch(/^http:\/\/127\.0\.0\.1:9797\/oauth\/authorize\?/);
    const verify = JSON.parse((await h.cli(['verify', '--processing', 'UK MTD VAT TEST', '--json'])).stdout);
    expect(verify.checks.filter((c: { id: string; status: string }) => c.id.endsWith('internet-address') && c.status !== 'pass')).toEqual([]);
  });

  it('credentials entered for one origin are not sent to another the record was changed to behind mtdvat\'s back', async () => {
    const h = await withUserCredentials();
    const ctx = openContext({ home: h.home, env: { MTDVAT_MASTER_KEY: h.key } });
    const row = ctx.db.prepare(`SELECT data FROM records WHERE entity = 'WebApplication' AND natural_key = '["Sandbox HMRC"]'`).get() as { data: string };
    ctx.db.prepare(`UPDATE records SET data = ? WHERE entity = 'WebApplication' AND natural_key = '["Sandbox HMRC"]'`).run(JSON.stringify({ ...JSON.parse(row.data), BASEURL: 'http://127.0.0.1:9' }));
    ctx.close();
    const r = (await h.cli(['auth', 'get-authorization-code', '--app', 'Sandbox HMRC', '--yes', '--no-browser', '--redirect', 'oob']));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('were entered for https://test-api.service.hmrc.gov.uk, but its base URL is now http://127.0.0.1:9');
    expect(r.stdout).toBe('');
  });

  it('missing or placeholder credentials: get-authorization-code refuses with the fix', async () => {
    const h = newHome();
    expect((await h.cli(['import-package', SHIPPED])).code).toBe(0);
    const missing = (await h.cli(['auth', 'get-authorization-code', '--app', 'Sandbox HMRC', '--yes', '--no-browser', '--redirect', 'oob']));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("has no client ID and client secret: enter the ones from the HMRC Developer Hub with `mtdvat web-apps set-credentials 'Sandbox HMRC'`");
    expect((await h.cli(['import-package', await webAppPackage([sandboxApp({ CLIENTID: 'DEMO-CLIENT-ID-replace-me', CLIENTSECRET: 'DEMO-CLIENT-SECRET-replace-me' })])])).code).toBe(0);
    const placeholder = (await h.cli(['auth', 'get-authorization-code', '--app', 'Sandbox HMRC', '--yes', '--no-browser', '--redirect', 'oob']));
    expect(placeholder.code).toBe(1);
    expect(placeholder.stderr).toContain('(only a placeholder from the package)');
    expect(placeholder.stdout).toBe('');
    const verify = (await h.cli(['verify', '--processing', 'UK MTD VAT TEST', '--json']));
    expect(verify.code).toBe(1);
    const failed = JSON.parse(verify.stdout).checks.filter((c: { status: string }) => c.status === 'fail').map((c: { id: string }) => c.id);
    expect(failed).toEqual(['credentials.sandbox-hmrc.client-id', 'credentials.sandbox-hmrc.client-secret']);
  });
});

describe('every import result lists what changed', () => {
  it('text shows the changed fields per entity; --json lists them; --dry-run shows the same and writes nothing', async () => {
    const h = newHome();
    expect((await h.cli(['import-package', SHIPPED])).code).toBe(0);
    const pkg = await webAppPackage([sandboxApp({ DESCRIPTION: 'Changed by the package' })]);
    const before = snapshotSetup(join(h.home, 'mtdvat.db'));
    const dry = (await h.cli(['import-package', pkg, '--dry-run']));
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/Would change in Web applications \(1 field\):\n {2}Sandbox HMRC: DESCRIPTION ".*" → "Changed by the package"/);
    expect(snapshotSetup(join(h.home, 'mtdvat.db'))).toEqual(before);
    const dryJson = JSON.parse((await h.cli(['import-package', pkg, '--dry-run', '--json'])).stdout);
    const r = (await h.cli(['import-package', pkg, '--json']));
    const j = JSON.parse(r.stdout);
    expect(j.changes).toEqual([{ entity: 'Web applications', key: 'Sandbox HMRC', field: 'DESCRIPTION', old: expect.any(String), new: 'Changed by the package' }]);
    expect(dryJson.changes).toEqual(j.changes);
    expect(j.changesOmitted).toBe(0);
  });

  it('at most 1,000 changes in --json, then changesOmitted; text shows 20 per entity and a count', async () => {
    const h = newHome();
    const schema = registry.byId('MessageItemType');
    const many = (description: string) => Array.from({ length: 1050 }, (_, i) => ({ MESSAGEITEMTYPE: `Type ${String(i).padStart(4, '0')}`, DESCRIPTION: description }));
    const write = async (description: string) => {
      const out = join(work, `many-${++packages}.zip`);
      await writePackage(out, { definitionGroupName: 'test', entities: [{ schema, format: 'xml-element', records: many(description) }] }, { mtime: new Date(2024, 0, 1) });
      return out;
    };
    expect((await h.cli(['import-package', await write('first')])).code).toBe(0);
    const second = await write('second');
    const j = JSON.parse((await h.cli(['import-package', second, '--dry-run', '--json'])).stdout);
    expect(j.changes).toHaveLength(1000);
    expect(j.changesOmitted).toBe(50);
    expect(j.changes[0]).toEqual({ entity: 'Message item types', key: 'Type 0000', field: 'DESCRIPTION', old: 'first', new: 'second' });
    const text = (await h.cli(['import-package', second]));
    expect(text.stdout).toContain('Changed in Message item types (1050 fields):');
    expect(text.stdout.split('\n').filter((l: string) => /^ {2}Type \d{4}: DESCRIPTION "first" → "second"$/.test(l))).toHaveLength(20);
    expect(text.stdout).toContain('  … and 1030 more (--json lists up to 1,000)');
  });
});
