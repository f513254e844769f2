import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync, renameSync, fsyncSync } from 'node:fs';
import { VaultError } from '../errors.js';
import { getSodium, type Sodium } from './sodium.js';
import { Vault, type KeySource } from './vault.js';

/**
 * The key file (mode 0600) holds the 32-byte data key, either as is or wrapped with a key derived
 * from a passphrase (Argon2id, crypto_pwhash). `MTDVAT_MASTER_KEY` (base64) overrides the file.
 */
export interface KeyFile {
  format: 'mtdvat-key/1';
  keyId: string;
  createdAt: string;
  protection: 'none' | 'argon2id';
  key?: string;
  kdf?: { salt: string; opslimit: number; memlimit: number };
  nonce?: string;
  wrappedKey?: string;
}

export interface KeyOptions {
  keyFile: string;
  env?: NodeJS.ProcessEnv;
  /** Create the key file when missing (importing needs it; reading commands do not). */
  create: boolean;
  /** Asked only when the key file is passphrase-protected and MTDVAT_PASSPHRASE is unset. */
  askPassphrase?: () => Promise<string>;
}

export function keyIdOf(sodium: Sodium, key: Uint8Array): string {
  return sodium.to_hex(sodium.crypto_generichash(8, key, sodium.from_string('mtdvat-key-id')));
}

export async function openVault(options: KeyOptions): Promise<Vault> {
  const sodium = await getSodium();
  const env = options.env ?? process.env;
  const fromEnv = env.MTDVAT_MASTER_KEY;
  if (fromEnv) {
    let key: Uint8Array;
    try {
      key = sodium.from_base64(fromEnv.trim(), sodium.base64_variants.ORIGINAL);
    } catch {
      throw new VaultError('MTDVAT_MASTER_KEY is not valid base64 (expected 32 random bytes, base64-encoded)');
    }
    if (key.length !== 32) {
      throw new VaultError(`MTDVAT_MASTER_KEY must decode to 32 bytes, not ${key.length}`);
    }
    return new Vault(sodium, key, keyIdOf(sodium, key), 'env', 'MTDVAT_MASTER_KEY');
  }
  if (!existsSync(options.keyFile)) {
    if (!options.create) {
      throw new VaultError(
        `no key: the key file ${options.keyFile} is missing and MTDVAT_MASTER_KEY is not set; secrets stored earlier cannot be decrypted without the original key`,
      );
    }
    const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
    writeKeyFile(options.keyFile, plainKeyFile(sodium, key), true);
    return new Vault(sodium, key, keyIdOf(sodium, key), 'file', options.keyFile);
  }
  const file = readKeyFile(options.keyFile);
  const key = await unwrapKey(sodium, file, options.keyFile, env, options.askPassphrase);
  const source: KeySource = file.protection === 'none' ? 'file' : 'passphrase';
  return new Vault(sodium, key, file.keyId, source, options.keyFile);
}

export function readKeyFile(path: string): KeyFile {
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    throw new VaultError(`the key file ${path} is readable by other users; run: chmod 600 "${path}"`);
  }
  let parsed: KeyFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  } catch {
    throw new VaultError(`the key file ${path} is not a valid mtdvat key file`);
  }
  if (parsed?.format !== 'mtdvat-key/1' || typeof parsed.keyId !== 'string') {
    throw new VaultError(`the key file ${path} is not a valid mtdvat key file`);
  }
  return parsed;
}

export function plainKeyFile(sodium: Sodium, key: Uint8Array): KeyFile {
  return {
    format: 'mtdvat-key/1',
    keyId: keyIdOf(sodium, key),
    createdAt: new Date().toISOString(),
    protection: 'none',
    key: sodium.to_base64(key, sodium.base64_variants.ORIGINAL),
  };
}

export async function unwrapKey(
  sodium: Sodium,
  file: KeyFile,
  path: string,
  env: NodeJS.ProcessEnv,
  askPassphrase?: () => Promise<string>,
): Promise<Uint8Array> {
  if (file.protection === 'none') {
    const key = file.key ? sodium.from_base64(file.key, sodium.base64_variants.ORIGINAL) : new Uint8Array();
    if (key.length !== 32 || keyIdOf(sodium, key) !== file.keyId) {
      throw new VaultError(`the key file ${path} is damaged (its key does not match its key id)`);
    }
    return key;
  }
  const passphrase = env.MTDVAT_PASSPHRASE ?? (askPassphrase ? await askPassphrase() : undefined);
  if (!passphrase) {
    throw new VaultError(`the key file ${path} is protected by a passphrase: set MTDVAT_PASSPHRASE or run in a terminal`);
  }
  const kdf = file.kdf!;
  const kek = sodium.crypto_pwhash(
    32,
    passphrase,
    sodium.from_base64(kdf.salt, sodium.base64_variants.ORIGINAL),
    kdf.opslimit,
    kdf.memlimit,
    sodium.crypto_pwhash_ALG_ARGON2ID13,
  );
  try {
    const key = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      sodium.from_base64(file.wrappedKey!, sodium.base64_variants.ORIGINAL),
      file.keyId,
      sodium.from_base64(file.nonce!, sodium.base64_variants.ORIGINAL),
      kek,
    );
    return key;
  } catch {
    throw new VaultError(`wrong passphrase for the key file ${path}`);
  } finally {
    sodium.memzero(kek);
  }
}

/** Writes the key file with mode 0600 through a temp file + rename, so a crash never leaves half a key. */
export function writeKeyFile(path: string, file: KeyFile, exclusive = false): void {
  const body = JSON.stringify(file, null, 2) + '\n';
  if (exclusive) {
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, body);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return;
  }
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
