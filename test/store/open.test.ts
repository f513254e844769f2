/**
 * Opening the store through the BUILT CLI: existing files and folders keep their permissions, a file
 * that is not an mtdvat store is refused untouched, first runs race safely, and a store that is too
 * new, damaged or locked says so in words.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempHome } from '../helpers/mtd-setup.js';
import { BIN, runCli } from '../helpers/cli.js';

const MTD_VAT = join(import.meta.dirname, '..', '..', 'packages-data', 'mtd-vat.zip');
const mode = (p: string) => statSync(p).mode & 0o777;

function runAsync(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CI: 'true', NO_COLOR: '1', MTDVAT_MASTER_KEY: '' } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

describe('existing files and folders', () => {
  it('--home at an existing folder keeps its mode; what mtdvat creates is private', async () => {
    const home = join(tempHome(), 'shared');
    mkdirSync(home);
    chmodSync(home, 0o755);
    const r = await runCli(['import-package', MTD_VAT, '--home', home]);
    expect(r.code).toBe(0);
    expect(mode(home)).toBe(0o755);
    expect(mode(join(home, 'mtdvat.db'))).toBe(0o600);
    expect(mode(join(home, 'master.key'))).toBe(0o600);
  });

  it('a new --home is created 0700, with its missing parents', async () => {
    const home = join(tempHome(), 'a', 'b', 'home');
    expect((await runCli(['web-apps', 'list', '--home', home])).code).toBe(0);
    expect(mode(home)).toBe(0o700);
  });

  it('a group/world-readable existing store is used as it is, with a warning', async () => {
    const home = tempHome();
    expect((await runCli(['import-package', MTD_VAT, '--home', home])).code).toBe(0);
    const db = join(home, 'mtdvat.db');
    chmodSync(db, 0o644);
    const r = await runCli(['web-apps', 'list', '--home', home]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: the store .*mtdvat\.db can be read by other users \(mode 644\)/);
    expect(mode(db)).toBe(0o644);
  });

  it('a file that is not an mtdvat store is refused before it is touched', async () => {
    const dir = tempHome();
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'my notes\n');
    chmodSync(text, 0o644);
    let r = await runCli(['web-apps', 'list', '--home', join(dir, 'h'), '--db', text]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/notes\.txt is not an mtdvat store \(not a SQLite database\)/);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(readFileSync(text, 'utf8')).toBe('my notes\n');
    expect(mode(text)).toBe(0o644);

    const other = join(dir, 'other.db');
    const o = new Database(other);
    o.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES (\'Ada\')');
    o.close();
    chmodSync(other, 0o644);
    const before = readFileSync(other);
    r = await runCli(['web-apps', 'list', '--home', join(dir, 'h'), '--db', other]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/other\.db is not an mtdvat store \(a SQLite database of another application\)/);
    expect(readFileSync(other).equals(before)).toBe(true);
    expect(mode(other)).toBe(0o644);
    expect(readdirSync(dir).sort()).toEqual(['h', 'notes.txt', 'other.db']);
  });

  it('a store is stamped with mtdvat\'s application id; an older unstamped store is recognised by its meta table', async () => {
    const home = tempHome();
    expect((await runCli(['web-apps', 'list', '--home', home])).code).toBe(0);
    const db = new Database(join(home, 'mtdvat.db'));
    expect(db.pragma('application_id', { simple: true })).toBe(0x4d544456);
    db.pragma('application_id = 0');
    db.close();
    expect((await runCli(['web-apps', 'list', '--home', home])).code).toBe(0);
    const again = new Database(join(home, 'mtdvat.db'), { readonly: true });
    expect(again.pragma('application_id', { simple: true })).toBe(0x4d544456);
    again.close();
  });

  it('--home under /proc is a clear error, not an endless loop', async () => {
    const r = await runCli(['web-apps', 'list', '--home', '/proc/mtdvat-no-such/home']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot create the mtdvat home folder \/proc\/mtdvat-no-such\/home/);
  });
});

describe('first runs, versions, damage and locks', () => {
  it('four first runs at once on a fresh home all succeed', async () => {
    const home = join(tempHome(), 'fresh');
    const runs = await Promise.all([1, 2, 3, 4].map(() => runAsync(['import-package', MTD_VAT, '--home', home])));
    for (const r of runs) {
      expect(r.stderr).not.toMatch(/already exists|internal error/);
      expect(r.code).toBe(0);
    }
  });

  it('a store from a newer release is refused, naming both schema versions', async () => {
    const home = tempHome();
    expect((await runCli(['web-apps', 'list', '--home', home])).code).toBe(0);
    const db = new Database(join(home, 'mtdvat.db'));
    const known = db.pragma('user_version', { simple: true }) as number;
    db.pragma(`user_version = ${known + 7}`);
    db.close();
    const r = await runCli(['web-apps', 'list', '--home', home]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`has schema version ${known + 7}, newer than this release of mtdvat knows (${known})`);
  });

  it('a damaged store says so in words', async () => {
    const home = tempHome();
    expect((await runCli(['import-package', MTD_VAT, '--home', home])).code).toBe(0);
    const copy = join(home, 'damaged.db');
    copyFileSync(join(home, 'mtdvat.db'), copy);
    const bytes = readFileSync(copy);
    bytes.fill(0xff, 4096 * 3, 4096 * 5);
    writeFileSync(copy, bytes);
    const r = await runCli(['web-apps', 'list', '--home', home, '--db', copy]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the store.* is damaged \(SQLite: database disk image is malformed\)/);
    expect(r.stderr).not.toMatch(/internal error/);
  });

  it('a store locked by another writer for too long says so in words', async () => {
    const home = tempHome();
    expect((await runCli(['import-package', MTD_VAT, '--home', home])).code).toBe(0);
    const holder = new Database(join(home, 'mtdvat.db'));
    holder.prepare('BEGIN IMMEDIATE').run();
    try {
      const r = await runCli(['web-apps', 'set', 'Sandbox HMRC', '--description', 'x', '--home', home], { env: { MTDVAT_LOCK_TIMEOUT_MS: '300' } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/the store.* is locked by another process/);
      expect(r.stderr).not.toMatch(/internal error/);
    } finally {
      holder.prepare('ROLLBACK').run();
      holder.close();
    }
  });
});
