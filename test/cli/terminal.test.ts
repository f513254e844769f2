/**
 * Names from packages, the store and servers are data: through the BUILT CLI, every text printer
 * shows their control and bidi characters escaped, --json writes them as \u escapes, and every
 * "run: mtdvat …" suggestion quotes names so that pasting it runs nothing but mtdvat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeHome, runCli, setupWebApp, type TestHome } from '../helpers/setup-web-app.js';
import { buildPackage, webAppsEntity, WEB_APPS } from '../helpers/package-builder.js';
import { startSandbox, type RunningSandbox } from '../../src/emulator/server.js';

/** ESC colour, an OSC 8 hyperlink, BEL, a carriage-return overwrite, C1 CSI and a right-to-left override. */
const HOSTILE = 'Evil\x1b[2J\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07\rOK\u009b31m\u202eCMH £é';
/** Raw characters that must never reach the terminal from data. */
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
/** Pasted into a shell inside double quotes, this runs `touch`. */
const SHELL_NAME = "Evil $(touch pwned-dollar) `touch pwned-tick` it's \"q\"";

function expectEscaped(text: string): void {
  expect(text).not.toMatch(RAW);
  expect(text).toContain('Evil\\x1b[2J\\x1b]8;;https://evil.example/\\x07click');
  expect(text).toContain('\\x0dOK\\x9b31m\\u202eCMH £é');
}

let t: TestHome;
let sb: RunningSandbox;

beforeAll(async () => {
  sb = await startSandbox({ port: 0 });
  t = makeHome();
  await setupWebApp(t, { baseUrl: sb.url, clientId: 'client-id-terminal', clientSecret: 'client-secret-terminal', name: HOSTILE });
  // A base URL verify fails, so that its Fix: line quotes the name.
  await setupWebApp(t, { baseUrl: 'ftp://nowhere.example', clientId: 'client-id-terminal', clientSecret: 'client-secret-terminal', name: SHELL_NAME });
});

afterAll(async () => {
  await sb?.close();
});

describe('control characters in names reach the terminal escaped', () => {
  it('web-apps list (table) and web-apps show', async () => {
    const list = await runCli(t, ['web-apps', 'list']);
    expect(list.code).toBe(0);
    expectEscaped(list.stdout);
    const show = await runCli(t, ['web-apps', 'show', HOSTILE]);
    expect(show.code).toBe(0);
    expectEscaped(show.stdout);
  });

  it('auth status, verify, and an error message on stderr', async () => {
    const status = await runCli(t, ['auth', 'status']);
    expect(status.code).toBe(0);
    expectEscaped(status.stdout);
    const verify = await runCli(t, ['verify', '--verbose']);
    expectEscaped(verify.stdout + verify.stderr);
    const err = await runCli(t, ['web-apps', 'show', `${HOSTILE}x`]);
    expect(err.code).toBe(1);
    expectEscaped(err.stderr);
  });

  it('--json writes them as \\u escapes and keeps the value', async () => {
    const r = await runCli(t, ['web-apps', 'list', '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain('\\u009b31m\\u202eCMH £é');
    expect((JSON.parse(r.stdout) as { name: string }[]).map((a) => a.name)).toContain(HOSTILE);
    const err = await runCli(t, ['web-apps', 'show', `${HOSTILE}x`, '--json']);
    expect(err.code).toBe(1);
    expect(err.stdout + err.stderr).not.toMatch(RAW);
  });
});

describe('inspect-package: CSV cells, Excel _x001B_ escapes and zip entry names', () => {
  it('shows them escaped in text and as \\u escapes in --json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtdvat-term-'));
    const evil = { ...WEB_APPS[0], WEBAPPLICATIONNAME: `Csv\x1b]8;;https://evil.example/\x07name\u202e` };
    const csv = await buildPackage(dir, 'csv.zip', {
      entities: [webAppsEntity({ format: 'csv-utf8', records: [evil, evil] })],
      extraEntries: [['extra\x1b[31m\u202e.txt', 'x']],
    });
    const r = await runCli(t, ['inspect-package', csv]);
    expect(r.code).toBe(1); // the duplicate key is a problem, and its message quotes the name
    expect(r.stdout + r.stderr).not.toMatch(RAW);
    expect(r.stdout).toContain('Csv\\x1b]8;;https://evil.example/\\x07name\\u202e');
    const json = await runCli(t, ['inspect-package', csv, '--json']);
    expect(json.stdout).not.toMatch(RAW);
    expect(json.stdout).toContain('\\u001b]8;;https://evil.example/\\u0007name\\u202e');

    // Excel writes a control character in a cell as _x001B_ (ECMA-376 ST_Xstring); the reader decodes it.
    const xl = { ...evil, WEBAPPLICATIONNAME: 'Csv_x001B_]8;;https://evil.example/_x0007_name\u202e' };
    const xlsx = await buildPackage(dir, 'xlsx.zip', { entities: [webAppsEntity({ format: 'excel', records: [xl, xl] })] });
    const x = await runCli(t, ['inspect-package', xlsx]);
    expect(x.stdout + x.stderr).not.toMatch(RAW);
    expect(x.stdout).toContain('Csv\\x1b]8;;https://evil.example/\\x07name\\u202e');
  });
});

describe('"run: mtdvat …" suggestions are safe to paste', () => {
  it('a name with $(…), backticks and quotes reaches mtdvat as one word and runs nothing', async () => {
    const r = await runCli(t, ['auth', 'status', '--app', SHELL_NAME]);
    expect(r.code).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes('run: mtdvat auth get-authorization-code'))!;
    const command = line.slice(line.indexOf('mtdvat '), line.lastIndexOf(')'));
    const cwd = mkdtempSync(join(tmpdir(), 'mtdvat-paste-'));
    // The pasted line, with `mtdvat` standing for a function that prints the words it receives.
    const words = execFileSync('sh', ['-c', `mtdvat() { printf '%s\\0' "$@"; }; ${command}`], { cwd, encoding: 'utf8' }).split('\0').slice(0, -1);
    expect(words).toEqual(['auth', 'get-authorization-code', '--app', SHELL_NAME]);
    expect(readdirSync(cwd)).toEqual([]);
    expect(existsSync(join(t.home, 'pwned-dollar'))).toBe(false);
  });

  it('the same in verify\'s Fix: lines', async () => {
    const r = await runCli(t, ['verify']);
    const fixes = r.stdout.split('\n').filter((l) => l.includes('Fix:') && l.includes('pwned'));
    expect(fixes.length).toBeGreaterThan(0);
    for (const fix of fixes) expect(fix).toContain("'Evil $(touch pwned-dollar) `touch pwned-tick` it'\\''s \"q\"'");
  });
});
