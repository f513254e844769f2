/**
 * The CLI at a terminal, through the BUILT binary: bare `mtdvat` is help, a command group without its
 * subcommand shows that group's help, mistyped options get the closest one, `--truncate` with an
 * unknown name lists the valid ones, and the run that creates master.key says to back it up.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { newMasterKey, ROOT, runCli, tempDir } from '../helpers/cli.js';

const LOCAL_PACKAGE = join(ROOT, 'packages-data', 'mtd-vat-local.zip');

describe('help and usage errors', () => {
  it('bare `mtdvat` prints the help on stdout and exits 0', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('mtdvat <command> [options]');
    expect(r.stdout).toContain('mtdvat import-package <file>');
    expect(r.stderr).toBe('');
  });

  it('`mtdvat config` without its action prints config\'s help on stderr, exit 2', async () => {
    const r = await runCli(['config']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('mtdvat config <action>');
  });

  for (const group of ['auth', 'keys', 'vat', 'web-apps', 'fph']) {
    it(`\`mtdvat ${group}\` without a subcommand prints ${group}'s help on stderr, exit 2`, async () => {
      const r = await runCli([group]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`mtdvat ${group} <command>`);
      expect(r.stderr).toMatch(new RegExp(`^ {2}mtdvat ${group} \\S+`, 'm')); // its subcommands are listed
      expect(r.stderr).toContain(`mtdvat: \`mtdvat ${group}\` needs a subcommand (listed above)`);
    });
  }

  it('a mistyped option names the closest one, once (not its camelCase twin)', async () => {
    const r = await runCli(['import-package', 'x.zip', '--dry-rn']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option --dry-rn (did you mean --dry-run?)');
    expect(r.stderr).not.toContain('dryRn');
    const verify = await runCli(['verify', '--procesing', 'UK MTD VAT TEST']);
    expect(verify.code).toBe(2);
    expect(verify.stderr).toContain('did you mean --processing?');
  });

  it('a mistyped required option is pointed out next to "missing"', async () => {
    const r = await runCli(['vat', 'obligations', '--ap', 'Sandbox HMRC', '--vrn', '666555497']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Missing required argument: app');
    expect(r.stderr).toContain('unknown option --ap (did you mean --app?)');
  });

  it('an option far from every known one gets no guess; a stray positional is called what it is', async () => {
    const r = await runCli(['verify', '--zzzzzzzz']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option --zzzzzzzz');
    expect(r.stderr).not.toContain('did you mean');
    const extra = await runCli(['verify', 'extra']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('unexpected argument "extra"');
  });

  it('--truncate with an unknown entity lists the valid names, stores nothing', async () => {
    const home = tempDir();
    try {
      const r = await runCli(['--home', home, 'import-package', LOCAL_PACKAGE, '--truncate', 'Web aplications'], { env: { MTDVAT_MASTER_KEY: newMasterKey() } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--truncate "Web aplications": no such entity');
      expect(r.stderr).toContain('valid names: ');
      for (const name of ['"Web applications"', '"Web service settings"', '"Message processing actions"']) expect(r.stderr).toContain(name);
      const apps = await runCli(['--home', home, 'web-apps', 'list', '--json'], { env: { MTDVAT_MASTER_KEY: newMasterKey() } });
      expect(apps.code, apps.stderr).toBe(0);
      expect(JSON.parse(apps.stdout)).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('the first run that creates master.key', () => {
  it('says where it is, to back it up with the store, and how `keys protect` helps; later runs stay quiet', async () => {
    const home = tempDir();
    try {
      const first = await runCli(['--home', home, 'import-package', LOCAL_PACKAGE]);
      expect(first.code, first.stderr).toBe(0);
      const keyFile = join(home, 'master.key');
      expect(existsSync(keyFile)).toBe(true);
      expect(first.stderr).toContain(`created the data key ${keyFile}`);
      expect(first.stderr).toContain(`back it up together with the store (${join(home, 'mtdvat.db')})`);
      expect(first.stderr).toContain('mtdvat keys protect');
      expect(first.stdout).not.toContain('master.key'); // stdout stays data
      const again = await runCli(['--home', home, 'import-package', LOCAL_PACKAGE]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).not.toContain('created the data key');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('with MTDVAT_MASTER_KEY no key file is made and nothing is said', async () => {
    const home = tempDir();
    try {
      const r = await runCli(['--home', home, 'import-package', LOCAL_PACKAGE], { env: { MTDVAT_MASTER_KEY: newMasterKey() } });
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(home, 'master.key'))).toBe(false);
      expect(r.stderr).not.toContain('created the data key');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
