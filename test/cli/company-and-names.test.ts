/**
 * Through the BUILT binary: `--company` takes a D365 legal entity ID (1–4 letters or digits) for a new
 * company, an ID already in the store keeps working; importing into a company with no setup says so;
 * `config set default-company` warns for one with no setup; a missing web application names the
 * companies that do have a setup. And one name per concept in --json (canonical names beside old ones,
 * times in ISO 8601 UTC).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, makeHome, runCli, setupWebApp, type TestHome } from '../helpers/setup-web-app.js';

const ROOT = join(import.meta.dirname, '..', '..');
const LOCAL_ZIP = join(ROOT, 'packages-data', 'mtd-vat-local.zip');
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/;

let t: TestHome;

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error('build first: npm run build');
  t = makeHome();
});

afterAll(() => {
  if (t) rmSync(t.home, { recursive: true, force: true });
});

describe('--company is a D365 legal entity ID', () => {
  it('anything but 1–4 letters or digits is a usage error (exit 2, envelope), before a store is created', async () => {
    const fresh = makeHome();
    try {
      for (const bad of ['TOOLONG', 'A B', 'GB_S', '', 'ÄBC']) {
        const r = await runCli(fresh, ['import-jobs', '--company', bad, '--json']);
        expect(r.code, `${bad}: ${r.stderr}`).toBe(2);
        const error = JSON.parse(r.stdout).error as { type: string; message: string };
        expect(error.type).toBe('UsageError');
        expect(error.message).toContain('--company must be a D365 legal entity ID (1–4 letters or digits');
      }
      expect(existsSync(join(fresh.home, 'mtdvat.db'))).toBe(false);
      const env = await runCli(fresh, ['import-jobs', '--json'], { env: { MTDVAT_COMPANY: 'much-too-long' } });
      expect(env.code).toBe(2);
      expect(JSON.parse(env.stdout).error.message).toContain('MTDVAT_COMPANY must be a D365 legal entity ID');
    } finally {
      rmSync(fresh.home, { recursive: true, force: true });
    }
  });

  it('importing into a company with no setup says "new company X"; lower case is upper-cased', async () => {
    const first = await runCli(t, ['import-package', LOCAL_ZIP, '--company', 'gbsi', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).company).toBe('GBSI');
    expect(first.stderr).toContain('mtdvat: new company GBSI (no setup yet)');
    const again = await runCli(t, ['import-package', LOCAL_ZIP, '--company', 'GBSI']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('new company');
  });

  it('an ID already in the store keeps working, even when it breaks the rule', async () => {
    // A company written before the rule existed (e.g. by an older config set default-company).
    await setupWebApp(t, { company: 'GB_SI1', baseUrl: 'http://127.0.0.1:9', clientId: 'legacy-client', clientSecret: 'legacy-secret-value' });
    const r = await runCli(t, ['web-apps', 'list', '--company', 'gb_si1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { name: string }[]).map((a) => a.name)).toEqual(['Sandbox HMRC']);
  });

  it('config set default-company: the same rule, and a warning for a company with no setup', async () => {
    const bad = await runCli(t, ['config', 'set', 'default-company', 'TOO-LONG', '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error.type).toBe('UsageError');
    const empty = await runCli(t, ['config', 'set', 'default-company', 'zz9']);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout.trim()).toBe('default-company = ZZ9');
    expect(empty.stderr).toMatch(/^mtdvat: warning: company ZZ9 has no setup yet \(companies with a setup: GBSI, GB_SI1\)/);
    const json = await runCli(t, ['config', 'set', 'default-company', 'ZZ9', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ 'default-company': 'ZZ9' });
    const known = await runCli(t, ['config', 'set', 'default-company', 'GBSI']);
    expect(known.code).toBe(0);
    expect(known.stderr).not.toContain('warning');
  });

  it('"none are imported yet" names the companies that have a setup', async () => {
    const r = await runCli(t, ['web-apps', 'show', 'Sandbox HMRC', '--company', 'NEW1', '--json']);
    expect(r.code).toBe(1);
    const error = JSON.parse(r.stdout).error as { type: string; message: string };
    expect(error.type).toBe('NotFoundError');
    expect(error.message).toContain('none are imported yet');
    expect(error.message).toContain('companies with a setup: GBSI, GB_SI1');
  });
});

describe('one name per concept in --json', () => {
  it('web-apps: app and accessTokenExpiresAt beside name and tokenExpiresAt; import-jobs: jobId beside id; times ISO 8601 UTC', async () => {
    const ctx = t.open();
    try {
      // A token for the legacy company's app, so the expiry is a time, not null.
      const { insertToken } = await import('../helpers/mtd-setup.js');
      const withCompany = { ...ctx, company: 'GB_SI1' };
      insertToken(withCompany, 'Sandbox HMRC', new Date(Date.now() + 3_600_000), new Date());
    } finally {
      ctx.close();
    }
    const list = await runCli(t, ['web-apps', 'list', '--company', 'GB_SI1', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const [app] = JSON.parse(list.stdout) as { name: string; app: string; tokenExpiresAt: string; accessTokenExpiresAt: string; grantedAt: string }[];
    expect(app.app).toBe(app.name);
    expect(app.accessTokenExpiresAt).toBe(app.tokenExpiresAt);
    expect(app.accessTokenExpiresAt).toMatch(ISO_UTC);
    expect(app.grantedAt).toMatch(ISO_UTC);
    const show = JSON.parse((await runCli(t, ['web-apps', 'show', 'Sandbox HMRC', '--company', 'GB_SI1', '--json'])).stdout) as { app: string; accessTokenExpiresAt: string };
    expect(show.app).toBe('Sandbox HMRC');
    expect(show.accessTokenExpiresAt).toMatch(ISO_UTC);
    const status = JSON.parse((await runCli(t, ['auth', 'status', '--company', 'GB_SI1', '--json'])).stdout) as { app: string; accessTokenExpiresAt: string }[];
    expect(status[0].accessTokenExpiresAt).toBe(app.accessTokenExpiresAt);

    const jobs = JSON.parse((await runCli(t, ['import-jobs', '--company', 'GBSI', '--json'])).stdout) as { id: number; jobId: number; startedAt: string; finishedAt: string }[];
    expect(jobs.length).toBe(2);
    for (const j of jobs) {
      expect(j.jobId).toBe(j.id);
      expect(j.startedAt).toMatch(ISO_UTC);
      expect(j.finishedAt).toMatch(ISO_UTC);
    }
  });
});
