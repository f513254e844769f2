/**
 * Tables and reports fit an 80-column terminal: the wide commands run from the BUILT binary in a
 * pseudo-terminal (`script`, `stty cols 80`) and no line they show is wider than 80. Piped (no
 * terminal), the same tables keep every character on one line: nothing is cut.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, type RunningSandbox } from '../../src/emulator/server.js';
import { DEFAULT_TEST_USER } from '../../src/emulator/defaults.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { APP, makeHome, runCli, setupWebApp, type TestHome } from '../helpers/setup-web-app.js';
import { haveScript, linesWiderThan, runInTerminal } from '../helpers/terminal.js';
import { ROOT } from '../helpers/cli.js';

const COLS = 80;
const VRN = DEFAULT_TEST_USER.vrn;
const LOCAL_PACKAGE = join(ROOT, 'packages-data', 'mtd-vat-local.zip');
let sb: RunningSandbox;
let t: TestHome; // authorized against the emulator, one return filed
let imported: TestHome; // the shipped local package imported
let periods: string[] = [];

if (!haveScript) console.warn('NOTICE: util-linux `script` not found: the 80-column terminal tests are skipped');

async function authorize(home: TestHome): Promise<void> {
  const get = await runCli(home, ['auth', 'get-authorization-code', '--app', APP, '--json', '--no-browser', '--yes']);
  expect(get.code, get.stderr).toBe(0);
  const url = new URL((JSON.parse(get.stdout) as { authorizationUrl: string }).authorizationUrl);
  const form: Record<string, string> = { userId: DEFAULT_TEST_USER.userId, password: DEFAULT_TEST_USER.password };
  for (const k of ['client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method']) {
    const v = url.searchParams.get(k);
    if (v !== null) form[k] = v;
  }
  const res = await fetch(`${sb.url}/__test/authorize`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const { code } = (await res.json()) as { code: string };
  const obtain = await runCli(home, ['auth', 'obtain-access-token', '--app', APP, '--code-stdin'], { stdin: `${code}\n` });
  expect(obtain.code, obtain.stderr).toBe(0);
}

function returnJson(periodKey: string): string {
  const file = join(t.home, `RETURN-${periodKey.replace(/\W/g, '_')}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      periodKey,
      vatDueSales: 1050.5,
      vatDueAcquisitions: 0,
      totalVatDue: 1050.5,
      vatReclaimedCurrPeriod: 200.25,
      netVatDue: 850.25,
      totalValueSalesExVAT: 5253,
      totalValuePurchasesExVAT: 1001,
      totalValueGoodsSuppliedExVAT: 0,
      totalAcquisitionsExVAT: 0,
      finalised: true,
    }),
  );
  return file;
}

const target = () => ['--app', APP, '--vrn', VRN];
/**
 * A person's terminal with colour on: no NO_COLOR, and no CI (the table library turns its colours off
 * under CI). Colour codes must not count towards the width, and no stand-in for them may show.
 */
const terminalEnv = (home: TestHome) => ({ ...home.env, NO_COLOR: undefined, CI: undefined, TERM: 'xterm-256color' });
const inTerminal = (home: TestHome, args: string[]) => runInTerminal(['--home', home.home, ...args], { cols: COLS, env: terminalEnv(home), cwd: home.home });

beforeAll(async () => {
  sb = await startSandbox({ port: 0, clients: [DEFAULT_SANDBOX_CLIENT], testUsers: [DEFAULT_TEST_USER], rateLimitPerSecond: 10_000, testRoutes: true });
  t = makeHome();
  await setupWebApp(t, { baseUrl: sb.url, clientId: DEFAULT_SANDBOX_CLIENT.clientId, clientSecret: DEFAULT_SANDBOX_CLIENT.clientSecret });
  await authorize(t);
  const obligations = await runCli(t, ['vat', 'obligations', ...target(), '--status', 'O', '--yes', '--json']);
  expect(obligations.code, obligations.stderr).toBe(0);
  periods = (JSON.parse(obligations.stdout) as { obligations: { periodKey: string }[] }).obligations.map((o) => o.periodKey);
  const filed = await runCli(t, ['vat', 'submit', ...target(), '--period-key', periods[0], '--file', returnJson(periods[0]), '--yes']);
  expect(filed.code, filed.stderr).toBe(0);
  imported = makeHome();
  const imp = await runCli(imported, ['import-package', LOCAL_PACKAGE]);
  expect(imp.code, imp.stderr).toBe(0);
}, 90_000);

afterAll(async () => {
  await sb?.close();
  for (const home of [t, imported]) if (home) rmSync(home.home, { recursive: true, force: true });
});

describe.skipIf(!haveScript)(`wide commands at ${COLS} columns`, () => {
  const cases: [string, () => [TestHome, string[]], number, RegExp][] = [
    ['import-package (result table)', () => [imported, ['import-package', LOCAL_PACKAGE]], 0, /Message additional field values/],
    ['import-jobs', () => [imported, ['import-jobs']], 0, /mtd-vat-local\.zip/],
    ['inspect-package', () => [imported, ['inspect-package', LOCAL_PACKAGE]], 0, /Electronic message processing actions/],
    // The local package has no production credentials: a full verify fails on them (exit 1) and says how to enter them.
    ['verify', () => [imported, ['verify']], 1, /Fix: mtdvat web-apps set-credentials/],
    ['web-apps list', () => [imported, ['web-apps', 'list']], 0, /Dynamics 365/],
    ['vat obligations', () => [t, ['vat', 'obligations', ...target(), '--status', 'O', '--yes']], 0, /Period key/],
    ['vat return (box table)', () => [t, ['vat', 'return', ...target(), '--period-key', periods[0], '--yes']], 0, /Total value of purchases/],
    ['vat submit (box table before the declaration)', () => [t, ['vat', 'submit', ...target(), '--period-key', periods[1], '--file', returnJson(periods[1]), '--yes']], 0, /legal declaration/],
    ['vat log', () => [t, ['vat', 'log']], 0, /HTTP 201/],
    ['auth log', () => [t, ['auth', 'log']], 0, /token/i],
    ['auth status', () => [imported, ['auth', 'status']], 0, /Access token: +none \(run: mtdvat auth get-authorization-code --app 'Dynamics 365 Finance'\)/],
    ['web-apps show', () => [imported, ['web-apps', 'show', 'Sandbox HMRC']], 0, /Description/],
    ['export-package', () => [imported, ['export-package', join(imported.home, 'exported.zip')]], 0, /Secret fields were left empty/],
    ['fph show --app', () => [t, ['fph', 'show', '--app', APP]], 0, /Gov-Client-User-Agent/],
    ['keys status', () => [t, ['keys', 'status']], 0, /Key source/],
  ];
  for (const [name, setup, exit, shows] of cases) {
    it(`${name}: no line wider than ${COLS}`, async () => {
      const [home, args] = setup();
      const r = await inTerminal(home, args);
      expect(r.code, r.text).toBe(exit);
      expect(r.text.replace(/\s+/g, ' ')).toMatch(shows);
      expect(linesWiderThan(r.text, COLS), r.text).toEqual([]);
      expect(r.text).not.toMatch(/\u{F8FF}/u); // the printers' private stand-in for ESC never reaches the screen
    }, 30_000);
  }
});

describe('without a terminal nothing is cut', () => {
  it('auth log and vat log piped: one line per row, every field whole', async () => {
    for (const args of [['auth', 'log'], ['vat', 'log']]) {
      const r = await runCli(t, args);
      expect(r.code, r.stderr).toBe(0);
      const json = await runCli(t, [...args, '--json']);
      const rows = JSON.parse(json.stdout) as { at: string; event: string }[];
      for (const row of rows) expect(r.stdout.split('\n').some((line) => line.includes(row.at) && line.includes(row.event))).toBe(true);
    }
  });

  it('inspect-package piped keeps the table at its full width', async () => {
    const r = await runCli(imported, ['inspect-package', LOCAL_PACKAGE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').some((line) => line.includes('Electronic message processing actions') && line.includes('.xml') && line.length > COLS)).toBe(true);
  });
});
