import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openContext } from '../../src/open-context.js';
import { writeSecret } from '../../src/vault/secrets.js';
import { writeTokens } from '../../src/auth/tokens.js';
import { getSodium } from '../../src/vault/sodium.js';

const BIN = resolve(__dirname, '../../bin/mtdvat.js');
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mtdvat-'));
  dirs.push(d);
  return d;
}

function run(home: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--home', home], {
    cwd: home,
    env: { PATH: process.env.PATH, CI: 'true', NO_COLOR: '1', ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A store with 2 secrets and one token pair, written by the library (the importer is tested elsewhere). */
async function seededHome(env: NodeJS.ProcessEnv = {}): Promise<string> {
  const home = tempDir();
  const ctx = openContext({ home, env });
  try {
    const vault = await ctx.vault({ create: true });
    writeSecret(ctx.db, vault, 'DAT', 'WebApplication', ['Sandbox HMRC'], 'CLIENTID', 'the-client-id');
    writeSecret(ctx.db, vault, 'DAT', 'WebApplication', ['Sandbox HMRC'], 'CLIENTSECRET', 'the-client-secret');
    writeTokens(ctx.db, vault, 'DAT', 'Sandbox HMRC', {
      origin: 'https://test-api.service.hmrc.gov.uk',
      accessToken: 'the-access-token',
      refreshToken: 'the-refresh-token',
      accessExpiresAt: '2030-01-01T00:00:00Z',
      scope: 'read:vat',
      grantedAt: '2025-01-01T00:00:00Z',
      refreshedAt: null,
    });
  } finally {
    ctx.close();
  }
  return home;
}

function keyMaterial(home: string): string {
  return (JSON.parse(readFileSync(join(home, 'master.key'), 'utf8')) as { key: string }).key;
}

beforeAll(() => {
  if (!existsSync(resolve(__dirname, '../../dist/bundle/mtdvat.mjs'))) throw new Error('build first: npm run build');
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('mtdvat keys (built binary)', () => {
  it('status names the source and counts, rotate re-encrypts everything, verify decrypts it all', async () => {
    const home = await seededHome();
    const key = keyMaterial(home);
    const s = run(home, ['keys', 'status', '--json']);
    expect(s.code).toBe(0);
    const status = JSON.parse(s.stdout);
    expect(status).toMatchObject({ source: 'file', location: join(home, 'master.key'), protects: 4, otherKey: 0 });
    expect(s.stdout + s.stderr).not.toContain(key);

    const human = run(home, ['keys', 'status']);
    expect(human.stdout).toContain(`Key id:      ${status.keyId}`);
    expect(human.stdout).toMatch(/Protects: +4 values \(secrets 2, oauth_tokens 2, oauth_pending 0\)/);

    const r = run(home, ['keys', 'rotate', '--json']);
    expect(r.code).toBe(0);
    const rotated = JSON.parse(r.stdout);
    expect(rotated).toMatchObject({ ok: true, oldKeyId: status.keyId, reencrypted: 4, source: 'file' });
    expect(r.stdout + r.stderr).not.toContain(keyMaterial(home));
    expect(statSync(join(home, 'master.key')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(home, 'master.key.new'))).toBe(false);
    expect(JSON.parse(run(home, ['keys', 'status', '--json']).stdout)).toMatchObject({ keyId: rotated.newKeyId, protects: 4 });

    const v = run(home, ['keys', 'verify']);
    expect(v).toMatchObject({ code: 0 });
    expect(v.stdout).toContain('All 4 stored values decrypt');
    for (const out of [s, human, r, v]) expect(out.stdout + out.stderr).not.toMatch(/the-(client|access|refresh)/);
  });

  it('with MTDVAT_MASTER_KEY: rotate refuses without --new-key-file, writes the key there with it', async () => {
    const sodium = await getSodium();
    const oldKey = sodium.to_base64(sodium.crypto_aead_xchacha20poly1305_ietf_keygen(), sodium.base64_variants.ORIGINAL);
    const home = await seededHome({ MTDVAT_MASTER_KEY: oldKey });
    const refused = run(home, ['keys', 'rotate'], { MTDVAT_MASTER_KEY: oldKey });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/MTDVAT_MASTER_KEY.*--new-key-file FILE/);
    expect(JSON.parse(run(home, ['keys', 'status', '--json'], { MTDVAT_MASTER_KEY: oldKey }).stdout)).toMatchObject({
      source: 'env',
      location: 'MTDVAT_MASTER_KEY',
      protects: 4,
    });

    const file = join(home, 'next.key');
    const r = run(home, ['keys', 'rotate', '--new-key-file', file], { MTDVAT_MASTER_KEY: oldKey });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`The new key is in ${file}`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const newKey = readFileSync(file, 'utf8').trim();
    expect(r.stdout + r.stderr).not.toContain(newKey);
    expect(run(home, ['keys', 'verify'], { MTDVAT_MASTER_KEY: newKey }).code).toBe(0);

    const old = run(home, ['keys', 'verify'], { MTDVAT_MASTER_KEY: oldKey });
    expect(old.code).toBe(1);
    expect(old.stderr.trim().split('\n')).toHaveLength(1);
    expect(old.stderr).toMatch(/MTDVAT_MASTER_KEY is key [0-9a-f]{16}, but this store's secrets and tokens were encrypted with key [0-9a-f]{16}; nothing was read or written/);
  });

  it('passphrase mode: protect (Argon2id MODERATE), open only with the passphrase, rotate keeps it, unprotect', async () => {
    const home = await seededHome();
    const pass = { MTDVAT_PASSPHRASE: 'a long enough passphrase' };
    const tooShort = run(home, ['keys', 'protect'], { MTDVAT_PASSPHRASE: 'short' });
    expect(tooShort.code).toBe(2);
    expect(tooShort.stderr).toMatch(/at least 8 characters/);

    const p = run(home, ['keys', 'protect'], pass);
    expect(p.code).toBe(0);
    const file = JSON.parse(readFileSync(join(home, 'master.key'), 'utf8'));
    expect(file).toMatchObject({ protection: 'argon2id', kdf: { alg: 'argon2id13', opslimit: 3, memlimit: 256 * 1024 * 1024 } });
    expect(file.key).toBeUndefined();

    // status needs no passphrase: the key id is stored beside the wrapped key.
    expect(JSON.parse(run(home, ['keys', 'status', '--json']).stdout)).toMatchObject({ source: 'passphrase', keyId: file.keyId, protects: 4 });
    const noPass = run(home, ['keys', 'verify']);
    expect(noPass.code).toBe(1);
    expect(noPass.stderr).toMatch(/protected by a passphrase: set MTDVAT_PASSPHRASE/);
    const wrong = run(home, ['keys', 'verify'], { MTDVAT_PASSPHRASE: 'not the passphrase' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/wrong passphrase for the key file/);

    const r = run(home, ['keys', 'rotate', '--json'], pass);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ source: 'passphrase', reencrypted: 4 });
    expect(JSON.parse(readFileSync(join(home, 'master.key'), 'utf8')).protection).toBe('argon2id');

    const u = run(home, ['keys', 'unprotect'], pass);
    expect(u.code).toBe(0);
    expect(JSON.parse(readFileSync(join(home, 'master.key'), 'utf8')).protection).toBe('none');
    expect(run(home, ['keys', 'verify']).code).toBe(0);
  }, 60_000);

  it('tampered ciphertext and a missing key file: exit 1, one clear line naming the record', async () => {
    const home = await seededHome();
    const ctx = openContext({ home, env: {} });
    const row = ctx.db.prepare("SELECT value FROM secrets WHERE field = 'CLIENTSECRET'").get() as { value: Buffer };
    row.value[30] ^= 0x40;
    ctx.db.prepare("UPDATE secrets SET value = ? WHERE field = 'CLIENTSECRET'").run(row.value);
    ctx.close();
    const t = run(home, ['keys', 'verify']);
    expect(t.code).toBe(1);
    expect(t.stderr).toBe(
      'mtdvat: cannot decrypt WebApplication ["Sandbox HMRC"] field CLIENTSECRET (company DAT): the value was tampered with, moved, or the key is wrong\n',
    );
    const rot = run(home, ['keys', 'rotate']);
    expect(rot.code).toBe(1);
    expect(rot.stderr).toMatch(/field CLIENTSECRET/);
    expect(existsSync(join(home, 'master.key.new'))).toBe(false);

    rmSync(join(home, 'master.key'));
    const m = run(home, ['keys', 'verify']);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/^mtdvat: no key: the key file .*master\.key is missing and MTDVAT_MASTER_KEY is not set/);
    expect(JSON.parse(run(home, ['keys', 'status', '--json']).stdout)).toMatchObject({ source: 'none', keyId: null, protects: 0, otherKey: 4 });
  });
});
