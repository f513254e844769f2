/**
 * `npm ci` runs the build through `prepare`; its bundle step prints nothing (rolldown's command line
 * listed every chunk with its size). Bundles the already compiled dist/src into a temporary folder.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../helpers/cli.js';

describe('the build is quiet', () => {
  it('package.json bundles through scripts/bundle.mjs, which writes the bundle and prints nothing', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toContain('node scripts/bundle.mjs');
    expect(pkg.scripts.build).not.toMatch(/\brolldown -c\b/);
    const dir = tempDir();
    try {
      const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs')], { cwd: ROOT, env: { ...process.env, MTDVAT_BUNDLE_DIR: dir }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('');
      expect(existsSync(join(dir, 'mtdvat.mjs'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
