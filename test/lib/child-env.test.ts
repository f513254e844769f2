/**
 * Children get an environment without MTDVAT_MASTER_KEY and MTDVAT_PASSPHRASE (issue 10): the browser
 * opener and `xrandr` are replaced by scripts on PATH that record the environment they were given.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { childEnv } from '../../src/lib/child-env.js';
import { APP, makeHome, runCli, setupWebApp } from '../helpers/setup-web-app.js';

function fakeBin(names: string[]): { dir: string; dump: (name: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'mtdvat-fakebin-'));
  for (const name of names) {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\nenv > "${dir}/${name}.tmp" && mv "${dir}/${name}.tmp" "${dir}/${name}.env"\n`);
    chmodSync(file, 0o755);
  }
  return { dir, dump: (name) => join(dir, `${name}.env`) };
}

async function waitFor(file: string): Promise<string> {
  for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
  return readFileSync(file, 'utf8');
}

describe('child processes never see the data key or the passphrase', () => {
  it('childEnv drops exactly the two variables', () => {
    expect(childEnv({ PATH: '/bin', MTDVAT_MASTER_KEY: 'k', MTDVAT_PASSPHRASE: 'p', MTDVAT_HOME: '/h' })).toEqual({ PATH: '/bin', MTDVAT_HOME: '/h' });
  });

  it('the browser opener (xdg-open) and xrandr run without MTDVAT_MASTER_KEY / MTDVAT_PASSPHRASE', async () => {
    const t = makeHome();
    await setupWebApp(t, { baseUrl: 'http://127.0.0.1:9', ...DEFAULT_SANDBOX_CLIENT });
    const bin = fakeBin(['xdg-open', 'xrandr']);
    const env = { PATH: `${bin.dir}:${process.env.PATH}`, DISPLAY: ':99', MTDVAT_PASSPHRASE: 'not-for-children-passphrase' };
    const get = await runCli(t, ['auth', 'get-authorization-code', '--app', APP, '--yes', '--redirect', 'oob'], { env });
    expect(get.code, get.stderr).toBe(0);
    const opener = await waitFor(bin.dump('xdg-open'));
    expect(opener).toContain(`DISPLAY=:99`);
    expect(opener).not.toContain('MTDVAT_MASTER_KEY');
    expect(opener).not.toContain(t.env.MTDVAT_MASTER_KEY!);
    expect(opener).not.toContain('MTDVAT_PASSPHRASE');

    const fph = await runCli(t, ['fph', 'show', '--json'], { env });
    expect(fph.code, fph.stderr).toBe(0);
    const xrandr = await waitFor(bin.dump('xrandr'));
    expect(xrandr).toContain('DISPLAY=:99');
    expect(xrandr).not.toContain('MTDVAT_MASTER_KEY');
    expect(xrandr).not.toContain('MTDVAT_PASSPHRASE');
  });
});
