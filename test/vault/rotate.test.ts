import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from '../../src/context.js';
import { openContext } from '../../src/open-context.js';
import { VaultError } from '../../src/errors.js';
import { readSecret, writeSecret } from '../../src/vault/secrets.js';
import { readPending, readTokenRow } from '../../src/store/tokens.js';
import { decryptRefresh, decryptVerifier, writePending, writeTokens } from '../../src/auth/tokens.js';
import { getSodium } from '../../src/vault/sodium.js';
import {
  loadKey,
  openVault,
  pendingKeyPath,
  plainKeyFile,
  readKeyFile,
  writeKeyFile,
} from '../../src/vault/key-store.js';
import { keyStatus, protectKey, rotateKey, unprotectKey, verifyAll } from '../../src/vault/rotate.js';
import { keyUsage } from '../../src/store/ciphertexts.js';

// Cheapest Argon2id parameters: the library tests check the wrapping, not the cost (the CLI uses MODERATE).
const CHEAP = { opslimit: 1, memlimit: 8192 };

let home: string;
let ctx: Context;
const env: NodeJS.ProcessEnv = {};

function open(e: NodeJS.ProcessEnv = env): Context {
  return openContext({ home, env: e });
}

async function seed(c: Context): Promise<void> {
  const vault = await c.vault({ create: true });
  writeSecret(c.db, vault, 'DAT', 'WebApplication', ['Sandbox HMRC'], 'CLIENTID', 'client-id-1');
  writeSecret(c.db, vault, 'DAT', 'WebApplication', ['Sandbox HMRC'], 'CLIENTSECRET', 'client-secret-1');
  writeSecret(c.db, vault, 'GBSI', 'WebApplication', ['Prod'], 'CLIENTSECRET', 'client-secret-2');
  writeTokens(c.db, vault, 'DAT', 'Sandbox HMRC', {
    origin: 'https://test-api.service.hmrc.gov.uk',
    accessToken: 'access-1',
    refreshToken: 'refresh-1',
    accessExpiresAt: '2030-01-01T00:00:00Z',
    scope: 'read:vat write:vat',
    grantedAt: '2025-01-01T00:00:00Z',
    refreshedAt: null,
  });
  writePending(c.db, vault, {
    company: 'DAT',
    app: 'Sandbox HMRC',
    state: 'st',
    verifier: 'verifier-1',
    redirectUri: 'urn:ietf:wg:oauth:2.0:oob',
    scope: 'read:vat',
    requestedAt: '2025-01-01T00:00:00Z',
  });
}

async function expectAllReadable(c: Context): Promise<void> {
  const vault = await c.vault();
  expect(readSecret(c.db, vault, 'DAT', 'WebApplication', ['Sandbox HMRC'], 'CLIENTSECRET')).toBe('client-secret-1');
  expect(readSecret(c.db, vault, 'GBSI', 'WebApplication', ['Prod'], 'CLIENTSECRET')).toBe('client-secret-2');
  expect(decryptRefresh(vault, readTokenRow(c.db, 'DAT', 'Sandbox HMRC')!)).toBe('refresh-1');
  expect(decryptVerifier(vault, readPending(c.db, 'DAT', 'Sandbox HMRC')!)).toBe('verifier-1');
}

function dump(c: Context): string {
  return JSON.stringify(
    ['secrets', 'oauth_tokens', 'oauth_pending'].map((t) =>
      (c.db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all() as Record<string, unknown>[]).map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('hex') : v])),
      ),
    ),
  );
}

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'mtdvat-'));
  ctx = open();
  await seed(ctx);
});

afterEach(() => {
  ctx.close();
  rmSync(home, { recursive: true, force: true });
});

describe('keys status', () => {
  it('counts values per key id across secrets and OAuth tables, never exposing the key', async () => {
    const s = await keyStatus(ctx.db, ctx.paths.keyFile, env);
    const keyId = readKeyFile(ctx.paths.keyFile).keyId;
    expect(s).toMatchObject({ source: 'file', keyId, protects: 6, otherKey: 0, pendingRotation: false });
    expect(s.byTable.oauth_tokens[keyId]).toBe(2);
    expect(JSON.stringify(s)).not.toContain(readKeyFile(ctx.paths.keyFile).key!);
  });
});

describe('rotate', () => {
  it('re-encrypts every ciphertext under a new key in one go and retires the old key file', async () => {
    const oldFile = readKeyFile(ctx.paths.keyFile);
    const r = await rotateKey(ctx.db, { keyFile: ctx.paths.keyFile, env, create: false });
    expect(r).toMatchObject({ oldKeyId: oldFile.keyId, reencrypted: 6, source: 'file' });
    expect(r.newKeyId).not.toBe(oldFile.keyId);
    expect(readKeyFile(ctx.paths.keyFile).keyId).toBe(r.newKeyId);
    expect(statSync(ctx.paths.keyFile).mode & 0o777).toBe(0o600);
    expect(existsSync(pendingKeyPath(ctx.paths.keyFile))).toBe(false);
    expect(keyUsage(ctx.db).byKeyId).toEqual({ [r.newKeyId]: 6 });
    ctx.close();
    ctx = open();
    await expectAllReadable(ctx);
    expect(verifyAll(ctx.db, await ctx.vault())).toBe(6);
  });

  it('rolls back completely when one value cannot be decrypted, naming the record', async () => {
    ctx.db.prepare("UPDATE secrets SET value = zeroblob(60) WHERE company = 'GBSI'").run();
    const before = dump(ctx);
    const keyBefore = readFileSync(ctx.paths.keyFile, 'utf8');
    const err = await rotateKey(ctx.db, { keyFile: ctx.paths.keyFile, env, create: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultError);
    expect((err as Error).message).toMatch(/WebApplication \["Prod"\] field CLIENTSECRET \(company GBSI\)/);
    expect(dump(ctx)).toBe(before);
    expect(readFileSync(ctx.paths.keyFile, 'utf8')).toBe(keyBefore);
    expect(existsSync(pendingKeyPath(ctx.paths.keyFile))).toBe(false);
  });

  it('recovers a crash between commit and rename: the new key (in master.key.new) matches the data', async () => {
    const saved = join(home, 'old.key');
    copyFileSync(ctx.paths.keyFile, saved);
    const r = await rotateKey(ctx.db, { keyFile: ctx.paths.keyFile, env, create: false });
    // Recreate the state of a process killed right after COMMIT: new key still in .new, old key in place.
    renameSync(ctx.paths.keyFile, pendingKeyPath(ctx.paths.keyFile));
    copyFileSync(saved, ctx.paths.keyFile);
    ctx.close();
    ctx = open();
    await expectAllReadable(ctx);
    expect(readKeyFile(ctx.paths.keyFile).keyId).toBe(r.newKeyId);
    expect(existsSync(pendingKeyPath(ctx.paths.keyFile))).toBe(false);
  });

  it('recovers a crash before commit: a stray master.key.new is discarded and the old key kept', async () => {
    const sodium = await getSodium();
    const oldId = readKeyFile(ctx.paths.keyFile).keyId;
    writeKeyFile(pendingKeyPath(ctx.paths.keyFile), plainKeyFile(sodium, sodium.crypto_aead_xchacha20poly1305_ietf_keygen()), true);
    ctx.close();
    ctx = open();
    expect((await keyStatus(ctx.db, ctx.paths.keyFile, env)).pendingRotation).toBe(true);
    await expectAllReadable(ctx);
    expect(readKeyFile(ctx.paths.keyFile).keyId).toBe(oldId);
    expect(existsSync(pendingKeyPath(ctx.paths.keyFile))).toBe(false);
  });

  it('with MTDVAT_MASTER_KEY refuses without --new-key-file, and writes the new key there (0600) with it', async () => {
    const sodium = await getSodium();
    const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
    const envKey = { MTDVAT_MASTER_KEY: sodium.to_base64(key, sodium.base64_variants.ORIGINAL) };
    // Move the seeded data to the env key first (a rotation from the file key cannot do that: use a fresh store).
    ctx.close();
    rmSync(home, { recursive: true, force: true });
    home = mkdtempSync(join(tmpdir(), 'mtdvat-'));
    ctx = open(envKey);
    await seed(ctx);
    expect(existsSync(ctx.paths.keyFile)).toBe(false);
    await expect(rotateKey(ctx.db, { keyFile: ctx.paths.keyFile, env: envKey, create: false })).rejects.toThrow(/--new-key-file/);
    const out = join(home, 'new-key.txt');
    const r = await rotateKey(ctx.db, { keyFile: ctx.paths.keyFile, env: envKey, create: false }, { newKeyFile: out });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(r.reencrypted).toBe(6);
    const newEnv = { MTDVAT_MASTER_KEY: readFileSync(out, 'utf8').trim() };
    ctx.close();
    ctx = open(newEnv);
    await expectAllReadable(ctx);
    ctx.close();
    ctx = open(envKey);
    // The old key is another store's key now: refused before anything is read or written, naming both ids.
    await expect(ctx.vault()).rejects.toThrow(/MTDVAT_MASTER_KEY is key [0-9a-f]{16}, but this store's secrets and tokens were encrypted with key [0-9a-f]{16}/);
  });
});

describe('passphrase mode', () => {
  it('protects, opens with the passphrase, refuses a wrong one, keeps protection through rotation, unprotects', async () => {
    const keyId = readKeyFile(ctx.paths.keyFile).keyId;
    await protectKey(ctx.db, { keyFile: ctx.paths.keyFile, env, create: false }, 'correct horse battery', CHEAP);
    const file = readKeyFile(ctx.paths.keyFile);
    expect(file).toMatchObject({ protection: 'argon2id', keyId, kdf: { alg: 'argon2id13', opslimit: 1, memlimit: 8192 } });
    expect(Buffer.from(file.kdf!.salt, 'base64')).toHaveLength(16);
    expect(file.key).toBeUndefined();
    expect(readFileSync(ctx.paths.keyFile, 'utf8')).not.toMatch(/"key"/);

    await expect(openVault({ keyFile: ctx.paths.keyFile, env: {}, create: false })).rejects.toThrow(/MTDVAT_PASSPHRASE/);
    await expect(openVault({ keyFile: ctx.paths.keyFile, env: { MTDVAT_PASSPHRASE: 'wrong one!' }, create: false })).rejects.toThrow(
      /wrong passphrase/,
    );
    const penv = { MTDVAT_PASSPHRASE: 'correct horse battery' };
    const asked = await loadKey({ keyFile: ctx.paths.keyFile, env: {}, create: false, askPassphrase: async () => 'correct horse battery' });
    expect(asked.keyId).toBe(keyId);
    ctx.close();
    ctx = open(penv);
    expect((await ctx.vault()).source).toBe('passphrase');
    await expectAllReadable(ctx);

    const r = await rotateKey(ctx.db, { keyFile: ctx.paths.keyFile, env: penv, create: false }, { kdfCost: CHEAP });
    expect(r.source).toBe('passphrase');
    expect(readKeyFile(ctx.paths.keyFile)).toMatchObject({ protection: 'argon2id', keyId: r.newKeyId });
    ctx.close();
    ctx = open(penv);
    await expectAllReadable(ctx);

    const u = await unprotectKey(ctx.db, { keyFile: ctx.paths.keyFile, env: penv, create: false });
    expect(u).toMatchObject({ wasProtected: true, keyId: r.newKeyId });
    expect(readKeyFile(ctx.paths.keyFile).protection).toBe('none');
    ctx.close();
    ctx = open({});
    await expectAllReadable(ctx);
  });

  it('rejects a key file whose Argon2id parameters ask for absurd memory', async () => {
    await protectKey(ctx.db, { keyFile: ctx.paths.keyFile, env, create: false }, 'correct horse battery', CHEAP);
    const file = readKeyFile(ctx.paths.keyFile);
    writeFileSync(ctx.paths.keyFile, JSON.stringify({ ...file, kdf: { ...file.kdf, memlimit: 2 ** 40 } }), { mode: 0o600 });
    await expect(openVault({ keyFile: ctx.paths.keyFile, env: { MTDVAT_PASSPHRASE: 'correct horse battery' }, create: false })).rejects.toThrow(
      /unsupported Argon2id parameters/,
    );
  });
});

describe('failures are clear VaultErrors naming the record', () => {
  it('wrong MTDVAT_MASTER_KEY', async () => {
    const sodium = await getSodium();
    ctx.close();
    ctx = open({ MTDVAT_MASTER_KEY: sodium.to_base64(sodium.crypto_aead_xchacha20poly1305_ietf_keygen(), sodium.base64_variants.ORIGINAL) });
    // Refused when the vault opens, before any value is read or written (not at the first decrypt).
    await expect(ctx.vault()).rejects.toBeInstanceOf(VaultError);
    await expect(ctx.vault()).rejects.toThrow(/MTDVAT_MASTER_KEY is key [0-9a-f]{16}, but this store's secrets and tokens were encrypted with key [0-9a-f]{16}; nothing was read or written/);
  });

  it('missing key file: no silent new key while values exist', async () => {
    rmSync(ctx.paths.keyFile);
    ctx.close();
    ctx = open();
    await expect(ctx.vault()).rejects.toThrow(/key file .* is missing and MTDVAT_MASTER_KEY is not set/);
    await expect(ctx.vault({ create: true })).rejects.toThrow(/store holds values encrypted with key/);
    expect(existsSync(ctx.paths.keyFile)).toBe(false);
  });

  it('tampered ciphertext (one flipped bit) and a ciphertext moved to another record', async () => {
    const row = ctx.db.prepare("SELECT value FROM secrets WHERE field = 'CLIENTSECRET' AND company = 'DAT'").get() as { value: Buffer };
    const flipped = Buffer.from(row.value);
    flipped[flipped.length - 1] ^= 1;
    ctx.db.prepare("UPDATE secrets SET value = ? WHERE field = 'CLIENTSECRET' AND company = 'DAT'").run(flipped);
    const vault = await ctx.vault();
    expect(() => readSecret(ctx.db, vault, 'DAT', 'WebApplication', ['Sandbox HMRC'], 'CLIENTSECRET')).toThrow(
      /cannot decrypt WebApplication \["Sandbox HMRC"\] field CLIENTSECRET \(company DAT\): the value was tampered with/,
    );
    ctx.db.prepare("UPDATE secrets SET value = ? WHERE field = 'CLIENTID'").run(row.value);
    expect(() => readSecret(ctx.db, vault, 'DAT', 'WebApplication', ['Sandbox HMRC'], 'CLIENTID')).toThrow(/tampered with, moved/);
    expect(() => verifyAll(ctx.db, vault)).toThrow(VaultError);
  });

  it('damaged or world-readable key file', async () => {
    const text = readFileSync(ctx.paths.keyFile, 'utf8');
    writeFileSync(ctx.paths.keyFile, text.replace(/"key": "./, '"key": "A'), { mode: 0o600 });
    await expect(openVault({ keyFile: ctx.paths.keyFile, env, create: false })).rejects.toThrow(/damaged/);
    writeFileSync(ctx.paths.keyFile, 'not json', { mode: 0o600 });
    await expect(openVault({ keyFile: ctx.paths.keyFile, env, create: false })).rejects.toThrow(/not a valid mtdvat key file/);
    writeFileSync(ctx.paths.keyFile, text);
    chmodSync(ctx.paths.keyFile, 0o644);
    await expect(openVault({ keyFile: ctx.paths.keyFile, env, create: false })).rejects.toThrow(/chmod 600/);
  });
});

describe('coverage of the store', () => {
  it('rotation and status know every table that holds ciphertexts (a key_id column)', async () => {
    const { CIPHERTEXT_TABLES } = await import('../../src/store/ciphertexts.js');
    const tables = (ctx.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    const found: Record<string, string[]> = {};
    for (const t of tables) {
      const cols = ctx.db.prepare(`PRAGMA table_info("${t}")`).all() as { name: string; type: string }[];
      if (!cols.some((c) => c.name === 'key_id')) continue;
      found[t] = cols.filter((c) => c.type === 'BLOB').map((c) => c.name).sort();
    }
    expect(found).toEqual(Object.fromEntries(CIPHERTEXT_TABLES.map((t) => [t.table, [...t.columns].sort()])));
  });
});
