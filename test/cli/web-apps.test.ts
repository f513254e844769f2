import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openContext } from '../../src/open-context.js';
import { listAudit } from '../../src/store/audit.js';
import { readSecret } from '../../src/vault/secrets.js';
import { SECRETS, insertToken, seedSetup } from '../helpers/mtd-setup.js';
import { runCli, type CliResult } from '../helpers/cli.js';

let home: string;
let key: string;
const outputs: CliResult[] = [];
const NEW_ID = 'NewSandboxClientId0000000001';
const NEW_SECRET = 'new-sandbox-secret-4b1f0c2e-9d8a-47e3-b6a5-0c1d2e3f4a5b';

async function cli(args: string[], input?: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const r = await runCli([...args, '--home', home], { input, env: { MTDVAT_MASTER_KEY: key, ...env } });
  outputs.push(r);
  return r;
}

function ctx() {
  return openContext({ home, env: { MTDVAT_MASTER_KEY: key } });
}

beforeAll(async () => {
  const seeded = await seedSetup();
  home = seeded.home;
  key = seeded.key;
  seeded.ctx.close();
});

afterAll(() => {
  // No command may ever print a secret, whatever it did.
  const all = outputs.map((o) => o.stdout + o.stderr).join('\n');
  for (const secret of [...Object.values(SECRETS), NEW_ID, NEW_SECRET]) expect(all).not.toContain(secret);
});

describe('web-apps list / show', () => {
  test('list --json gives the documented fields, credentials only as booleans', async () => {
    const r = await cli(['web-apps', 'list', '--json']);
    expect(r.code).toBe(0);
    const apps = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(apps.map((a) => a.name).sort()).toEqual(['Dynamics 365 Finance', 'Sandbox HMRC']);
    for (const a of apps) {
      expect(a).toMatchObject({ clientIdSet: true, clientSecretSet: true, tokenExpiresAt: null });
      expect(typeof a.baseUrl).toBe('string');
    }
  });

  test('list text shows set (encrypted)', async () => {
    const r = await cli(['web-apps', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('set (encrypted)');
    expect(r.stdout).toContain('https://test-api.service.hmrc.gov.uk');
  });

  test('show prints every field and the token line once tokens exist', async () => {
    let r = await cli(['web-apps', 'show', 'Sandbox HMRC']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Client ID\s+set \(encrypted\)/);
    expect(r.stdout).toMatch(/Client secret\s+set \(encrypted\)/);
    expect(r.stdout).toMatch(/Server token\s+not set/);
    expect(r.stdout).toMatch(/Token URL path\s+\/oauth\/token/);
    const c = ctx();
    insertToken(c, 'Sandbox HMRC', new Date(Date.now() + 4 * 3600_000 - 30_000), new Date());
    insertToken(c, 'Dynamics 365 Finance', new Date(Date.now() - 60_000), new Date());
    c.close();
    r = await cli(['web-apps', 'show', 'sandbox hmrc']);
    expect(r.stdout).toContain('Access token will expire in 3 h 59 min');
    r = await cli(['web-apps', 'show', 'Dynamics 365 Finance', '--json']);
    const app = JSON.parse(r.stdout);
    expect(app).toMatchObject({ name: 'Dynamics 365 Finance', clientIdSet: true, clientSecretSet: true, tokenStatus: 'Access token has expired' });
    expect(app.fields.BASEURL).toBe('https://api.service.hmrc.gov.uk');
    expect(app.fields).not.toHaveProperty('CLIENTSECRET');
    expect(JSON.parse((await cli(['web-apps', 'list', '--json'])).stdout).every((a: { tokenExpiresAt: string | null }) => a.tokenExpiresAt)).toBe(true);
  });

  test('unknown application → exit 1 naming the known ones', async () => {
    const r = await cli(['web-apps', 'show', 'Nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no web application "Nope"');
    expect(r.stderr).toContain('"Sandbox HMRC"');
  });
});

describe('web-apps set-credentials', () => {
  test('both from stdin: line 1 client ID, line 2 secret; encrypted; audited without values', async () => {
    const r = await cli(['web-apps', 'set-credentials', 'Sandbox HMRC', '--client-id-stdin', '--secret-stdin'], `${NEW_ID}\n${NEW_SECRET}\n`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Stored the client ID and client secret of "Sandbox HMRC" (encrypted)');
    const c = ctx();
    return c.vault().then((vault) => {
      expect(readSecret(c.db, vault, c.company, 'WebApplication', ['Sandbox HMRC'], 'CLIENTID')).toBe(NEW_ID);
      expect(readSecret(c.db, vault, c.company, 'WebApplication', ['Sandbox HMRC'], 'CLIENTSECRET')).toBe(NEW_SECRET);
      const events = listAudit(c.db, { app: 'Sandbox HMRC' });
      expect(events.find((e) => e.event === 'credentials-set')?.detail).toEqual({ fields: ['CLIENTID', 'CLIENTSECRET'] });
      expect(JSON.stringify(events)).not.toContain(NEW_SECRET);
      const raw = c.db.prepare('SELECT value FROM secrets').all() as { value: Buffer }[];
      for (const row of raw) expect(row.value.toString('latin1')).not.toContain(NEW_SECRET);
      c.close();
    });
  });

  test('--secret-stdin alone changes only the secret', async () => {
    const r = await cli(['web-apps', 'set-credentials', 'Dynamics 365 Finance', '--secret-stdin', '--json'], `${NEW_SECRET}\n`);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ name: 'Dynamics 365 Finance', changed: ['CLIENTSECRET'] });
    const c = ctx();
    const vault = await c.vault();
    expect(readSecret(c.db, vault, c.company, 'WebApplication', ['Dynamics 365 Finance'], 'CLIENTID')).toBe(SECRETS.prodClientId);
    c.close();
  });

  test.each([
    { name: 'no terminal and no stdin flag', args: [], input: '', code: 2, message: 'no terminal' },
    { name: 'only one line for two values', args: ['--client-id-stdin', '--secret-stdin'], input: 'only-one-line', code: 2, message: 'two lines' },
    { name: 'empty secret', args: ['--secret-stdin'], input: '\n', code: 1, message: 'client secret is empty' },
  ])('refuses: $name', async ({ args, input, code, message }) => {
    const r = await cli(['web-apps', 'set-credentials', 'Sandbox HMRC', ...args], input);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
  });

  test('the secret is never accepted from argv', async () => {
    const r = await cli(['web-apps', 'set-credentials', 'Sandbox HMRC', '--secret', 'x']);
    expect(r.code).toBe(2);
  });
});

describe('web-apps set', () => {
  test('points the sandbox app at a loopback emulator; verify accepts it', async () => {
    const r = await cli(['web-apps', 'set', 'Sandbox HMRC', '--base-url', 'http://127.0.0.1:9797/', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('BASEURL "https://test-api.service.hmrc.gov.uk" → "http://127.0.0.1:9797"');
    const v = JSON.parse((await cli(['verify', '--json', '--processing', 'UK MTD VAT TEST'])).stdout);
    expect(v.checks.find((c: { id: string }) => c.id === 'web-app.sandbox-hmrc.base-url').status).toBe('pass');
  });

  test.each([
    { args: ['--base-url', 'http://example.com'], message: 'only https' },
    { args: ['--base-url', 'not a url'], message: 'not an absolute URL' },
    { args: ['--redirect-url', 'https://example.com/cb'], message: 'Redirect URL' },
    { args: ['--token-path', 'oauth/token'], message: 'must start with "/"' },
  ])('rejects $args', async ({ args, message }) => {
    const r = await cli(['web-apps', 'set', 'Sandbox HMRC', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
  });

  test('production app pointed at the sandbox host fails verify', async () => {
    expect((await cli(['web-apps', 'set', 'Dynamics 365 Finance', '--base-url', 'https://test-api.service.hmrc.gov.uk', '--yes'])).code).toBe(0);
    const r = await cli(['verify', '--json']);
    expect(r.code).toBe(1);
    const check = JSON.parse(r.stdout).checks.find((c: { id: string }) => c.id === 'web-app.dynamics-365-finance.base-url');
    expect(check.status).toBe('fail');
    expect(check.fix).toContain('https://api.service.hmrc.gov.uk');
  });
});
