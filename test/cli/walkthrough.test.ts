/**
 * The README's local walkthrough, through the BUILT binary with `mtdvat sandbox` as a real child
 * process: its banner, its state file across a restart (and --fresh), "is `mtdvat sandbox` running?"
 * when nothing listens, the sample returns submitted with --period-key, and `fph show --app`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_TEST_USER } from '../../src/emulator/defaults.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { APP, BIN, makeHome, runCli, setupWebApp, type TestHome } from '../helpers/setup-web-app.js';
import { ROOT } from '../helpers/cli.js';

const VRN = DEFAULT_TEST_USER.vrn;
const EXAMPLES = join(ROOT, 'packages-data', 'examples');
const target = ['--app', APP, '--vrn', VRN];
let t: TestHome;
let port: number;
let running: ChildProcess | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port: p } = server.address() as { port: number };
      server.close(() => resolve(p));
    });
    server.on('error', reject);
  });
}

/** Starts `mtdvat sandbox` and resolves with everything it printed up to "Press Ctrl+C" (or its JSON line). */
async function startSandboxCli(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [BIN, '--home', t.home, 'sandbox', '--port', String(port), '--test-routes', ...args], { env: t.env, stdio: ['ignore', 'pipe', 'pipe'] });
  running = child;
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('Press Ctrl+C') || (args.includes('--json') && out.includes('\n'))) resolve(out);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('close', (code) => reject(new Error(`sandbox exited ${code}: ${out}`)));
    child.on('error', reject);
  });
}

async function stopSandboxCli(): Promise<void> {
  const child = running;
  running = undefined;
  if (!child || child.exitCode !== null) return;
  await new Promise((resolve) => {
    child.removeAllListeners('close');
    child.on('close', resolve);
    child.kill('SIGINT');
  });
}

async function authorize(): Promise<void> {
  const get = await runCli(t, ['auth', 'get-authorization-code', '--app', APP, '--json', '--no-browser', '--yes']);
  expect(get.code, get.stderr).toBe(0);
  const url = new URL((JSON.parse(get.stdout) as { authorizationUrl: string }).authorizationUrl);
  const form: Record<string, string> = { userId: DEFAULT_TEST_USER.userId, password: DEFAULT_TEST_USER.password };
  for (const k of ['client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method']) {
    const v = url.searchParams.get(k);
    if (v !== null) form[k] = v;
  }
  const res = await fetch(`http://127.0.0.1:${port}/__test/authorize`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const { code } = (await res.json()) as { code: string };
  const obtain = await runCli(t, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin'], { stdin: `${code}\n` });
  expect(obtain.code, obtain.stderr).toBe(0);
}

beforeAll(async () => {
  port = await freePort();
  t = makeHome();
  await setupWebApp(t, { baseUrl: `http://127.0.0.1:${port}`, clientId: DEFAULT_SANDBOX_CLIENT.clientId, clientSecret: DEFAULT_SANDBOX_CLIENT.clientSecret });
});

afterAll(async () => {
  await stopSandboxCli();
  if (t) rmSync(t.home, { recursive: true, force: true });
});

describe('the local walkthrough', () => {
  it('the banner shows the test user and password as the README says, and the state file in the home folder', async () => {
    const banner = await startSandboxCli([]);
    expect(banner).toContain(`test user:     ${DEFAULT_TEST_USER.userId}, password ${DEFAULT_TEST_USER.password} (VRN ${VRN})`);
    expect(banner).not.toContain(DEFAULT_SANDBOX_CLIENT.clientSecret);
    const stateFile = join(t.home, `sandbox-${port}.json`);
    expect(banner).toContain(`state:         ${stateFile} (new;`);
    expect(existsSync(stateFile)).toBe(true);
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
  });

  it('authorize, then a restart keeps the grant: the same token still works, the filed return is still there', async () => {
    await authorize();
    const filedPeriod = await openPeriod(0);
    const filed = await runCli(t, ['vat', 'submit', ...target, '--period-key', filedPeriod, '--file', join(EXAMPLES, 'RETURN.json'), '--yes', '--json']);
    expect(filed.code, filed.stderr).toBe(0);
    await stopSandboxCli();
    const banner = await startSandboxCli([]);
    expect(banner).toContain('resumed');
    // The same token (no new authorization) reads the return filed before the restart.
    const view = await runCli(t, ['vat', 'return', ...target, '--period-key', filedPeriod, '--yes', '--json']);
    expect(view.code, view.stderr).toBe(0);
    expect(JSON.parse(view.stdout)).toMatchObject({ periodKey: filedPeriod, netVatDue: 850.25 });
    // No temporary file is left behind by the atomic writes.
    expect(readdirSync(t.home).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('RETURN.xlsx with --period-key files too; a file periodKey that differs from --period-key is a usage error', async () => {
    const pk = await openPeriod(0);
    const xlsx = await runCli(t, ['vat', 'submit', ...target, '--period-key', pk, '--file', join(EXAMPLES, 'RETURN.xlsx'), '--yes']);
    expect(xlsx.code, xlsx.stderr).toBe(0);
    const other = join(t.home, 'RETURN-with-key.json');
    writeFileSync(other, JSON.stringify({ periodKey: '18A1', vatDueSales: 1, vatDueAcquisitions: 0, totalVatDue: 1, vatReclaimedCurrPeriod: 0, netVatDue: 1, totalValueSalesExVAT: 0, totalValuePurchasesExVAT: 0, totalValueGoodsSuppliedExVAT: 0, totalAcquisitionsExVAT: 0, finalised: true }));
    const mismatch = await runCli(t, ['vat', 'submit', ...target, '--period-key', pk, '--file', other, '--yes']);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain(`--period-key ${pk} does not match periodKey "18A1"`);
    const neither = await runCli(t, ['vat', 'submit', ...target, '--file', join(EXAMPLES, 'RETURN.json'), '--yes']);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toContain('periodKey is missing: put it in the file or give --period-key');
  });

  it('--fresh starts empty: the old token is no longer known', async () => {
    await stopSandboxCli();
    const banner = await startSandboxCli(['--fresh']);
    expect(banner).toContain('(new;');
    const r = await runCli(t, ['vat', 'obligations', ...target, '--status', 'O', '--yes']);
    expect(r.code).toBe(1);
  });

  it('with nothing listening, the local web application asks whether `mtdvat sandbox` is running', async () => {
    // --fresh forgot the grant (HMRC answered invalid_grant, now recorded): authorize again first.
    await authorize();
    await stopSandboxCli();
    const r = await runCli(t, ['vat', 'obligations', ...target, '--status', 'O', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`could not reach HMRC at 127\\.0\\.0\\.1:${port} \\(connection refused\\) after \\d attempts; that is the local HMRC emulator's address: is \`mtdvat sandbox\` running\\? \\(start it with \`mtdvat sandbox --port ${port}\`\\)`));
  });

  it('a state file that is not the emulator\'s is refused with its name and the way out', async () => {
    const bad = join(t.home, 'bad-state.json');
    writeFileSync(bad, '{"not": "state"');
    const r = await runCli(t, ['sandbox', '--port', String(port), '--state', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`sandbox state ${bad}: not readable as JSON`);
    expect(r.stderr).toContain('--fresh');
  });

  it('fph show takes --app as the README writes it, and names a missing application', async () => {
    const ok = await runCli(t, ['fph', 'show', '--app', APP]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`Web application "${APP}" (http://127.0.0.1:${port})`);
    expect(ok.stdout).toContain('Gov-Client-Connection-Method');
    const json = await runCli(t, ['fph', 'show', '--json']);
    expect(JSON.parse(json.stdout)).toHaveProperty('headers');
    const missing = await runCli(t, ['fph', 'show', '--app', 'Nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no web application "Nope"');
  });
});

/** The n-th open period on the running emulator. */
async function openPeriod(n: number): Promise<string> {
  const r = await runCli(t, ['vat', 'obligations', ...target, '--status', 'O', '--yes', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { obligations: { periodKey: string }[] }).obligations[n].periodKey;
}
