import { fsyncDirOf, writeFileAtomicSync } from '../lib/atomic-file.js';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, linkSync, openSync, readFileSync, statSync, writeSync, renameSync, fsyncSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { VaultError } from '../errors.js';
import type { Db } from '../store/db.js';
import { getMeta } from '../store/db.js';
import { getSodium, type Sodium } from './sodium.js';
import { keyIdsInUse } from '../store/ciphertexts.js';
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
  kdf?: KdfParams;
  nonce?: string;
  wrappedKey?: string;
}

export interface KdfParams {
  alg?: 'argon2id13';
  salt: string;
  opslimit: number;
  memlimit: number;
}

export interface KeyOptions {
  keyFile: string;
  env?: NodeJS.ProcessEnv;
  /** Create the key file when missing (importing needs it; reading commands do not). */
  create: boolean;
  /** Asked only when the key file is passphrase-protected and MTDVAT_PASSPHRASE is unset. */
  askPassphrase?: () => Promise<string>;
  /**
   * The store the key protects. With it, opening finishes a rotation interrupted between the
   * database commit and the key-file rename, and refuses to mint a new key while the store still
   * holds values encrypted with a lost one.
   */
  db?: Db;
  /** Told once, right after a new key file was written (the user must learn to back it up). */
  onKeyCreated?: (keyFile: string) => void;
}

/** The data key as loaded, with what is needed to write it back (rotation, protect, unprotect). */
export interface LoadedKey {
  key: Uint8Array;
  keyId: string;
  source: KeySource;
  /** Key file path, or `MTDVAT_MASTER_KEY`. */
  location: string;
  file?: KeyFile;
  /** The passphrase that unlocked a protected key file (kept only to re-wrap a rotated key). */
  passphrase?: string;
}

/** Meta entry holding the key id the last rotation committed to (tie-breaker when no ciphertext exists). */
export const META_KEY_ID = 'vault_key_id';

/** Upper bounds for parameters read from a key file, so a hostile file cannot demand gigabytes. */
const MAX_OPSLIMIT = 16;
const MAX_MEMLIMIT = 1024 * 1024 * 1024;

export function keyIdOf(sodium: Sodium, key: Uint8Array): string {
  return sodium.to_hex(sodium.crypto_generichash(8, key, sodium.from_string('mtdvat-key-id')));
}

/** Where a rotation writes the new key before its database transaction commits. */
export function pendingKeyPath(keyFile: string): string {
  return `${keyFile}.new`;
}

export async function openVault(options: KeyOptions): Promise<Vault> {
  const sodium = await getSodium();
  const loaded = await loadKey(options);
  return new Vault(sodium, loaded.key, loaded.keyId, loaded.source, loaded.location);
}

/** Reads MTDVAT_MASTER_KEY; undefined when it is not set. */
export function keyFromEnv(sodium: Sodium, env: NodeJS.ProcessEnv): Uint8Array | undefined {
  const fromEnv = env.MTDVAT_MASTER_KEY;
  if (!fromEnv) return undefined;
  let key: Uint8Array;
  try {
    key = sodium.from_base64(fromEnv.trim(), sodium.base64_variants.ORIGINAL);
  } catch {
    throw new VaultError('MTDVAT_MASTER_KEY is not valid base64 (expected 32 random bytes, base64-encoded)');
  }
  if (key.length !== 32) {
    throw new VaultError(`MTDVAT_MASTER_KEY must decode to 32 bytes, not ${key.length}`);
  }
  return key;
}

/**
 * MTDVAT_MASTER_KEY belongs to another store: the values here were encrypted with a different key.
 * Refused before anything is written, or new secrets would be encrypted under the wrong key next to
 * the old ones (a store nobody can fully open again).
 */
function refuseForeignKey(db: Db, keyId: string): void {
  const inUse = keyIdsInUse(db);
  const expected = inUse.length ? inUse : [getMeta(db, META_KEY_ID)].filter((v): v is string => !!v);
  if (expected.length && !expected.includes(keyId)) {
    throw new VaultError(
      `MTDVAT_MASTER_KEY is key ${keyId}, but this store's secrets and tokens were encrypted with key ${expected.join(', ')}; nothing was read or written. Set MTDVAT_MASTER_KEY to the key this store was made with (\`mtdvat keys status\` with the right key shows its id)`,
    );
  }
}

export async function loadKey(options: KeyOptions): Promise<LoadedKey> {
  const sodium = await getSodium();
  const env = options.env ?? process.env;
  const fromEnv = keyFromEnv(sodium, env);
  if (fromEnv) {
    const keyId = keyIdOf(sodium, fromEnv);
    if (options.db) refuseForeignKey(options.db, keyId);
    return { key: fromEnv, keyId, source: 'env', location: 'MTDVAT_MASTER_KEY' };
  }
  if (options.db) recoverPendingKey(options.db, options.keyFile);
  if (!existsSync(options.keyFile)) {
    if (!options.create) {
      throw new VaultError(
        `no key: the key file ${options.keyFile} is missing and MTDVAT_MASTER_KEY is not set; secrets stored earlier cannot be decrypted without the original key`,
      );
    }
    const orphaned = options.db ? keyIdsInUse(options.db) : [];
    if (orphaned.length) {
      // A fresh key would silently strand the stored values and mix two keys in one store.
      throw new VaultError(
        `the key file ${options.keyFile} is missing, but the store holds values encrypted with key ${orphaned.join(', ')}; restore the key file or set MTDVAT_MASTER_KEY`,
      );
    }
    const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
    const file = plainKeyFile(sodium, key);
    if (publishKeyFile(options.keyFile, file)) {
      options.onKeyCreated?.(options.keyFile);
      return { key, keyId: file.keyId, source: 'file', location: options.keyFile, file };
    }
    // Another first run published its key a moment ago: use that one, so the store gets one key.
  }
  const file = readKeyFile(options.keyFile);
  if (file.protection === 'none') {
    const key = await unwrapKey(sodium, file, options.keyFile, env);
    return { key, keyId: file.keyId, source: 'file', location: options.keyFile, file };
  }
  const passphrase = await passphraseFor(options.keyFile, env, options.askPassphrase);
  const key = unwrapWithPassphrase(sodium, file, options.keyFile, passphrase);
  return { key, keyId: file.keyId, source: 'passphrase', location: options.keyFile, file, passphrase };
}

async function passphraseFor(path: string, env: NodeJS.ProcessEnv, ask?: () => Promise<string>): Promise<string> {
  const passphrase = env.MTDVAT_PASSPHRASE ?? (ask ? await ask() : undefined);
  if (!passphrase) {
    throw new VaultError(`the key file ${path} is protected by a passphrase: set MTDVAT_PASSPHRASE or run in a terminal`);
  }
  return passphrase;
}

/**
 * A rotation writes `master.key.new`, commits the re-encrypted store, then renames the new file over
 * `master.key`. If the process died in between, keep whichever key the stored ciphertexts use. Runs
 * under the database write lock, so it never races a rotation that is still inside its transaction.
 * Returns what it did.
 */
export function recoverPendingKey(db: Db, keyFile: string): 'none' | 'completed' | 'discarded' {
  const pending = pendingKeyPath(keyFile);
  if (!existsSync(pending)) return 'none';
  return db
    .transaction((): 'none' | 'completed' | 'discarded' => {
      if (!existsSync(pending)) return 'none'; // another process finished it while we waited
      let pendingId: string | undefined;
      try {
        pendingId = readKeyFile(pending).keyId;
      } catch {
        pendingId = undefined;
      }
      const inUse = keyIdsInUse(db);
      const committed = inUse.length ? inUse : [getMeta(db, META_KEY_ID)].filter((v): v is string => !!v);
      if (pendingId && committed.includes(pendingId)) {
        renameSync(pending, keyFile);
        fsyncDir(keyFile);
        return 'completed';
      }
      let currentId: string | undefined;
      try {
        currentId = existsSync(keyFile) ? readKeyFile(keyFile).keyId : undefined;
      } catch {
        currentId = undefined;
      }
      if (committed.length === 0 || (currentId && committed.includes(currentId))) {
        unlinkSync(pending); // the rotation never committed: the old key is still the right one
        return 'discarded';
      }
      throw new VaultError(
        `neither ${keyFile} nor ${pending} holds key ${committed.join(', ')} that the store was encrypted with; restore the key file`,
      );
    })
    .immediate();
}

export function readKeyFile(path: string): KeyFile {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    throw new VaultError(`the key file ${path} is missing`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new VaultError(`the key file ${path} is readable by other users; run: chmod 600 "${path}"`);
  }
  let parsed: KeyFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  } catch {
    throw new VaultError(`the key file ${path} is not a valid mtdvat key file`);
  }
  if (
    parsed?.format !== 'mtdvat-key/1' ||
    typeof parsed.keyId !== 'string' ||
    (parsed.protection !== 'none' && parsed.protection !== 'argon2id')
  ) {
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

/** Argon2id cost used for new passphrase-protected key files (libsodium MODERATE: 3 passes, 256 MiB). */
export function moderateKdf(sodium: Sodium): { opslimit: number; memlimit: number } {
  return { opslimit: sodium.crypto_pwhash_OPSLIMIT_MODERATE, memlimit: sodium.crypto_pwhash_MEMLIMIT_MODERATE };
}

/**
 * Wraps the data key with a key-encryption key from Argon2id(passphrase, random 16-byte salt). The
 * parameters go into the file so they can change later; the key id is the associated data.
 */
export function protectedKeyFile(
  sodium: Sodium,
  key: Uint8Array,
  passphrase: string,
  cost: { opslimit: number; memlimit: number } = moderateKdf(sodium),
): KeyFile {
  const keyId = keyIdOf(sodium, key);
  const salt = sodium.randombytes_buf(sodium.crypto_pwhash_SALTBYTES);
  const kek = sodium.crypto_pwhash(32, passphrase, salt, cost.opslimit, cost.memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13);
  try {
    const nonce = sodium.randombytes_buf(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    const wrapped = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(key, keyId, null, nonce, kek);
    const b64 = (u: Uint8Array) => sodium.to_base64(u, sodium.base64_variants.ORIGINAL);
    return {
      format: 'mtdvat-key/1',
      keyId,
      createdAt: new Date().toISOString(),
      protection: 'argon2id',
      kdf: { alg: 'argon2id13', salt: b64(salt), opslimit: cost.opslimit, memlimit: cost.memlimit },
      nonce: b64(nonce),
      wrappedKey: b64(wrapped),
    };
  } finally {
    sodium.memzero(kek);
  }
}

export async function unwrapKey(
  sodium: Sodium,
  file: KeyFile,
  path: string,
  env: NodeJS.ProcessEnv,
  askPassphrase?: () => Promise<string>,
): Promise<Uint8Array> {
  if (file.protection === 'none') {
    let key: Uint8Array;
    try {
      key = file.key ? sodium.from_base64(file.key, sodium.base64_variants.ORIGINAL) : new Uint8Array();
    } catch {
      key = new Uint8Array();
    }
    if (key.length !== 32 || keyIdOf(sodium, key) !== file.keyId) {
      throw new VaultError(`the key file ${path} is damaged (its key does not match its key id)`);
    }
    return key;
  }
  return unwrapWithPassphrase(sodium, file, path, await passphraseFor(path, env, askPassphrase));
}

export function unwrapWithPassphrase(sodium: Sodium, file: KeyFile, path: string, passphrase: string): Uint8Array {
  const kdf = file.kdf;
  let salt: Uint8Array, nonce: Uint8Array, wrapped: Uint8Array;
  try {
    if (!kdf || !file.nonce || !file.wrappedKey) throw new Error('incomplete');
    salt = sodium.from_base64(kdf.salt, sodium.base64_variants.ORIGINAL);
    nonce = sodium.from_base64(file.nonce, sodium.base64_variants.ORIGINAL);
    wrapped = sodium.from_base64(file.wrappedKey, sodium.base64_variants.ORIGINAL);
  } catch {
    throw new VaultError(`the key file ${path} is damaged (its passphrase wrapping is incomplete)`);
  }
  if (
    salt.length !== sodium.crypto_pwhash_SALTBYTES ||
    nonce.length !== sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ||
    !Number.isInteger(kdf.opslimit) ||
    !Number.isInteger(kdf.memlimit) ||
    kdf.opslimit < sodium.crypto_pwhash_OPSLIMIT_MIN ||
    kdf.opslimit > MAX_OPSLIMIT ||
    kdf.memlimit < sodium.crypto_pwhash_MEMLIMIT_MIN ||
    kdf.memlimit > MAX_MEMLIMIT
  ) {
    throw new VaultError(`the key file ${path} is damaged (unsupported Argon2id parameters)`);
  }
  const kek = sodium.crypto_pwhash(32, passphrase, salt, kdf.opslimit, kdf.memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13);
  let key: Uint8Array;
  try {
    key = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, wrapped, file.keyId, nonce, kek);
  } catch {
    throw new VaultError(`wrong passphrase for the key file ${path}`);
  } finally {
    sodium.memzero(kek);
  }
  if (key.length !== 32 || keyIdOf(sodium, key) !== file.keyId) {
    throw new VaultError(`the key file ${path} is damaged (its key does not match its key id)`);
  }
  return key;
}

/** Writes the key file with mode 0600 through an exclusive random temp file + rename, so a crash never leaves half a key. */
export function writeKeyFile(path: string, file: KeyFile, exclusive = false): void {
  const body = JSON.stringify(file, null, 2) + '\n';
  if (exclusive) {
    writePrivateFile(path, body, true);
    return;
  }
  writeFileAtomicSync(path, body, 0o600);
}

/**
 * Publishes a new key file only if none exists: written whole to a random temp file, then hard-linked
 * into place (link fails when the name exists), so concurrent first runs agree on one key and no
 * reader ever sees half a file. False when another process won.
 */
function publishKeyFile(path: string, file: KeyFile): boolean {
  const temp = `${path}.${randomBytes(8).toString('hex')}.new`;
  writePrivateFile(temp, JSON.stringify(file, null, 2) + '\n', true);
  try {
    linkSync(temp, path);
    fsyncDir(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temp);
  }
}

/** Creates (or truncates) a 0600 file and flushes it to disk. */
export function writePrivateFile(path: string, body: string, exclusive: boolean): void {
  const fd = openSync(path, exclusive ? 'wx' : 'w', 0o600);
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A rename is durable only once its directory is flushed. */
export const fsyncDir = fsyncDirOf;
