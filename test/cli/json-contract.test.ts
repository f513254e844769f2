/**
 * The contract for scripts, through the BUILT binary: with --json, stdout holds exactly one JSON
 * document on every path — usage errors, internal errors and failed results included — and every
 * failure has the envelope {"ok": false, "error": {"type", "message", …}}. Commands and subcommands
 * are discovered from the help text, so a command added later is covered without editing this test.
 * Numeric and date flags are refused while parsing (exit 2), before a store is even created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, makeHome, runCli, type TestHome } from '../helpers/setup-web-app.js';
import { buildPackage, webAppsEntity, webServicesEntity, WEB_SERVICES } from '../helpers/package-builder.js';

/** The class names of src/errors.ts that the README lists for `error.type`. */
const ERROR_TYPES = [
  'MtdvatError',
  'UsageError',
  'PackageError',
  'ValidationError',
  'VaultError',
  'NotFoundError',
  'HmrcError',
  'StoreError',
  'AuthError',
  'ConflictError',
  'CheckFailedError',
  'InternalError',
];

let t: TestHome;

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error('build first: npm run build');
  t = makeHome();
});

afterAll(() => {
  if (t) rmSync(t.home, { recursive: true, force: true });
});

/** Parses stdout as exactly one JSON document (JSON.parse refuses a second one or trailing text). */
function oneDocument(stdout: string): Record<string, unknown> {
  expect(stdout.trim(), 'stdout must hold a JSON document').not.toBe('');
  return JSON.parse(stdout) as Record<string, unknown>;
}

function expectEnvelope(stdout: string, type?: string): { type: string; message: string } & Record<string, unknown> {
  const doc = oneDocument(stdout);
  expect(doc.ok).toBe(false);
  const error = doc.error as { type: string; message: string };
  expect(ERROR_TYPES).toContain(error.type);
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
  if (type) expect(error.type).toBe(type);
  return error as { type: string; message: string } & Record<string, unknown>;
}

/** `mtdvat [path] --help` → the names listed under "Commands:". */
async function subcommands(path: string[]): Promise<string[]> {
  const r = await runCli(t, [...path, '--help']);
  expect(r.code, r.stderr).toBe(0);
  const section = r.stdout.split(/\n(?=\S)/).find((s) => s.startsWith('Commands:'));
  if (!section) return [];
  const prefix = ['mtdvat', ...path].join(' ') + ' ';
  return section
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length).split(/\s+/)[0])
    .filter((name) => name && !name.startsWith('<') && !name.startsWith('['));
}

async function allCommands(): Promise<string[][]> {
  const out: string[][] = [];
  for (const top of await subcommands([])) {
    const subs = await subcommands([top]);
    if (!subs.length) out.push([top]);
    for (const sub of subs) out.push([top, sub]);
  }
  return out;
}

describe('--json: one document with the error envelope on every failure path', () => {
  it('every command and subcommand with an unknown option: exit 2, envelope type UsageError', async () => {
    const commands = await allCommands();
    // The ones known today must all be found (the discovery itself must not silently shrink).
    const names = commands.map((c) => c.join(' '));
    for (const known of ['import-package', 'import-jobs', 'inspect-package', 'export-package', 'verify', 'web-apps set-credentials', 'auth obtain-access-token', 'auth log', 'vat liabilities', 'vat log', 'vat100', 'fph validate', 'sandbox serve', 'sandbox create-test-user', 'keys rotate', 'config']) {
      expect(names).toContain(known);
    }
    for (const command of commands) {
      const r = await runCli(t, [...command, '--json', '--bogus-flag-xyz']);
      expect(r.code, `${command.join(' ')}: ${r.stderr}`).toBe(2);
      const error = expectEnvelope(r.stdout, 'UsageError');
      expect(error.message, command.join(' ')).toMatch(/bogus-flag-xyz|Not enough|Missing required/);
      expect(r.stderr).toMatch(/^mtdvat: /);
    }
  }, 120_000);

  it('every command without its required arguments: exit 2 and the envelope', async () => {
    const missing = [
      ['import-package'],
      ['inspect-package'],
      ['export-package'],
      ['web-apps', 'show'],
      ['web-apps', 'set'],
      ['auth', 'obtain-access-token'],
      ['auth', 'get-authorization-code'],
      ['vat', 'obligations'],
      ['vat', 'submit', '--app', 'A', '--vrn', '123456789'],
      ['vat', 'liabilities', '--app', 'A', '--vrn', '123456789', '--from', '2024-01-01'],
      ['vat100'],
      ['fph', 'validate'],
      ['config'],
      ['auth'],
      ['vat'],
      [],
    ];
    for (const args of missing) {
      const r = await runCli(t, [...args, '--json']);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expectEnvelope(r.stdout, 'UsageError');
    }
  }, 60_000);

  it('numeric and date flags are checked up front: exit 2 with the flag named, nothing created', async () => {
    const fresh = makeHome();
    try {
      const cases: [string[], RegExp][] = [
        [['import-jobs', '--limit', 'abc'], /--limit must be a whole number/],
        [['import-jobs', '--limit', '0'], /--limit must be a whole number from 1/],
        [['import-jobs', '--limit', '3', '--limit', '4'], /--limit was given 2 times/],
        [['vat', 'log', '--limit', 'abc'], /--limit must be a whole number/],
        [['auth', 'log', '--limit', '2.5'], /--limit must be a whole number/],
        [['sandbox', '--port', '70000'], /--port must be a whole number from 0 to 65535, got "70000"/],
        [['sandbox', 'serve', '--port', 'abc'], /--port must be a whole number/],
        [['ui', '--port', 'abc', '--no-open'], /--port must be a whole number/],
        [['vat', 'obligations', '--app', 'A', '--vrn', '123456789', '--from', '2024-13-01', '--to', '2024-12-31'], /--from must be a date YYYY-MM-DD, got "2024-13-01"/],
        [['vat', 'obligations', '--app', 'A', '--vrn', '123456789', '--from', '2024-01-01', '--to', 'soon'], /--to must be a date/],
        [['vat', 'liabilities', '--app', 'A', '--vrn', '123456789', '--from', '2024-02-30', '--to', '2024-03-01'], /--from must be a date/],
        [['vat', 'payments', '--app', 'A', '--vrn', '123456789', '--from', '2024-01-01', '--to', '2999-01-01'], /--to 2999-01-01 is after today \(\d{4}-\d\d-\d\d, UK time\)/],
        [['vat100', '--file', 'R.json', '--output', 'V.json', '--period-end', '2024-02-30'], /--period-end must be a date/],
        [['vat100', '--file', 'R.json', '--output', 'V.json', '--due', '7 May'], /--due must be a date/],
        [['em', 'new', '--processing', 'P', '--from', '2024-04-31', '--to', '2024-06-30'], /--from must be a date/],
      ];
      for (const [args, message] of cases) {
        const json = await runCli(fresh, [...args, '--json']);
        expect(json.code, `${args.join(' ')}: ${json.stderr}`).toBe(2);
        expect(expectEnvelope(json.stdout, 'UsageError').message).toMatch(message);
        const human = await runCli(fresh, args);
        expect(human.code).toBe(2);
        expect(human.stdout).toBe('');
        expect(human.stderr).toMatch(new RegExp(`^mtdvat: ${message.source}`));
        expect(human.stderr).not.toContain('internal error');
      }
      // Parsing failed before a store was opened: the home folder holds no database.
      expect(existsSync(join(fresh.home, 'mtdvat.db'))).toBe(false);
    } finally {
      rmSync(fresh.home, { recursive: true, force: true });
    }
  }, 120_000);

  it('good numbers still work (defaults and given values)', async () => {
    for (const args of [['import-jobs'], ['import-jobs', '--limit', '5'], ['vat', 'log', '--limit', '1'], ['auth', 'log']]) {
      const r = await runCli(t, [...args, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(Array.isArray(oneDocument(r.stdout))).toBe(true);
    }
  });

  it('an internal error is one document too: type InternalError, exit 1', async () => {
    // A folder where the return file should be: today nothing turns Node's EISDIR into words, so it
    // surfaces as an internal error (if that gets its own message, pick another unexpected failure).
    const { mkdirSync } = await import('node:fs');
    const folder = join(t.home, 'folder.json');
    mkdirSync(folder, { recursive: true });
    const r = await runCli(t, ['vat100', '--file', folder, '--output', join(t.home, 'V100.json'), '--json']);
    expect(r.code).toBe(1);
    const error = expectEnvelope(r.stdout, 'InternalError');
    expect(error.message).toMatch(/^internal error: /);
    expect(r.stderr).toMatch(/^mtdvat: internal error: /);
  });

  it('errors keep their location fields; a not-found is NotFoundError', async () => {
    const r = await runCli(t, ['import-package', join(t.home, 'missing.zip'), '--json']);
    expect(r.code).toBe(1);
    const error = expectEnvelope(r.stdout);
    expect(error.file).toBe('missing.zip');
    const nf = await runCli(t, ['web-apps', 'show', 'Nope', '--json']);
    expect(nf.code).toBe(1);
    expectEnvelope(nf.stdout, 'NotFoundError');
  });

  it('a failed VAT return check lists its problems as an array', async () => {
    const file = join(t.home, 'bad-return.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify({ periodKey: '24A1', vatDueSales: 100.001, vatDueAcquisitions: 0, totalVatDue: 99, vatReclaimedCurrPeriod: 0, netVatDue: 99, totalValueSalesExVAT: 1.5, totalValuePurchasesExVAT: 0, totalValueGoodsSuppliedExVAT: 0, totalAcquisitionsExVAT: 0, finalised: true }));
    const r = await runCli(t, ['vat100', '--file', file, '--output', join(t.home, 'V.json'), '--json']);
    expect(r.code).toBe(1);
    const error = expectEnvelope(r.stdout, 'ValidationError');
    expect(error.message).not.toContain('\n');
    expect(Array.isArray(error.problems)).toBe(true);
    expect((error.problems as string[]).length).toBeGreaterThanOrEqual(2);
    expect((error.problems as string[]).some((p) => p.includes('box 1 (vatDueSales)'))).toBe(true);
  });
});

describe('commands whose result carries a status keep their shape and add `error`', () => {
  it('import-package: a failed import is the usual document plus error; success has no error', async () => {
    const dir = t.home;
    // A web service that refers to a web application the package does not hold: fails into an empty store.
    const orphan = await buildPackage(dir, 'orphan.zip', { entities: [webServicesEntity()] });
    const r = await runCli(t, ['import-package', orphan, '--json']);
    expect(r.code).toBe(1);
    const doc = oneDocument(r.stdout) as { status: string; errors: unknown[]; entities: unknown[]; error: { type: string; message: string; entity?: string } };
    expect(doc.status).toBe('Failed');
    expect(doc.errors.length).toBeGreaterThan(0);
    expect(Array.isArray(doc.entities)).toBe(true);
    expect(doc.error.type).toBe('ValidationError');
    expect(doc.error.message).toMatch(/nothing was written/);
    expect(doc.error.entity).toBe('Web service settings');

    const good = await buildPackage(dir, 'good.zip', { entities: [webAppsEntity(), webServicesEntity()] });
    const ok = await runCli(t, ['import-package', good, '--json', '--company', 'JSN']);
    expect(ok.code, ok.stderr).toBe(0);
    const okDoc = oneDocument(ok.stdout);
    expect(okDoc.status).toBe('Succeeded');
    expect(okDoc).not.toHaveProperty('error');
  });

  it('inspect-package: exit 1 when the package would fail to import into an empty store (store-free), with error', async () => {
    const dir = t.home;
    const orphan = await buildPackage(dir, 'orphan-inspect.zip', { entities: [webServicesEntity()] });
    const noHome = join(dir, 'never-created');
    const r = await runCli(t, ['inspect-package', orphan, '--json', '--home', noHome]);
    expect(r.code).toBe(1);
    const doc = oneDocument(r.stdout) as { header: unknown; entities: { problems: { message: string }[] }[]; error: { type: string; entity: string; record: number } };
    expect(doc.header).toBeTruthy();
    expect(doc.entities[0].problems[0].message).toContain(`refers to Web applications "${WEB_SERVICES[0].WEBAPPLICATIONNAME}", which is not in the package`);
    expect(doc.error.type).toBe('ValidationError');
    expect(doc.error.entity).toBe('Web service settings');
    expect(doc.error.record).toBe(1);
    expect(existsSync(noHome)).toBe(false);
    // The same package into a store that holds the web application: the store-aware check passes.
    const dry = await runCli(t, ['import-package', orphan, '--dry-run', '--json', '--company', 'JSN']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(oneDocument(dry.stdout).status).toBe('Succeeded');
  });

  it('verify: a failing check keeps {ok, company, checks} and adds error (CheckFailedError) with the failures as an array', async () => {
    const r = await runCli(t, ['verify', '--json', '--company', 'JSN']);
    expect(r.code).toBe(1);
    const doc = oneDocument(r.stdout) as { ok: boolean; company: string; checks: { status: string }[]; error: { type: string; problems: string[] } };
    expect(doc.ok).toBe(false);
    expect(doc.company).toBe('JSN');
    expect(doc.checks.length).toBeGreaterThan(0);
    expect(doc.error.type).toBe('CheckFailedError');
    expect(doc.error.problems.length).toBe(doc.checks.filter((c) => c.status === 'fail').length);
  });
});

describe('the README lists every error type', () => {
  it('names each class of src/errors.ts', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const errorsTs = readFileSync(join(import.meta.dirname, '..', '..', 'src', 'errors.ts'), 'utf8');
    const classes = [...errorsTs.matchAll(/export class (\w+) extends MtdvatError|export class (MtdvatError) /g)].map((m) => m[1] ?? m[2]);
    expect(classes.sort()).toEqual([...ERROR_TYPES].sort());
    for (const c of classes) expect(readme).toContain(`\`${c}\``);
  });
});
