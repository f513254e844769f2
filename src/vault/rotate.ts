/**
 * Key rotation, protection and status. Rotation re-encrypts every ciphertext in the store in one
 * SQLite transaction; the old key stays on disk until that transaction has committed.
 */
import { existsSync, renameSync, unlinkSync } from 'node:fs';
import { VaultError, UsageError } from '../errors.js';
import { audit } from '../store/audit.js';
import { setMeta, type Db } from '../store/db.js';
import {
  META_KEY_ID,
  fsyncDir,
  keyFromEnv,
  keyIdOf,
  loadKey,
  pendingKeyPath,
  plainKeyFile,
  protectedKeyFile,
  readKeyFile,
  recoverPendingKey,
  writeKeyFile,
  writePrivateFile,
  type KeyFile,
  type KeyOptions,
} from './key-store.js';
import { getSodium } from './sodium.js';
import { allCiphertexts, ciphertextRewriter, keyUsage } from '../store/ciphertexts.js';
import { Vault } from './vault.js';

export interface KeyStatus {
  /** `none` when there is no key yet (nothing has been encrypted). */
  source: 'env' | 'file' | 'passphrase' | 'none';
  /** The key file path, or `MTDVAT_MASTER_KEY`. */
  location: string;
  keyId: string | null;
  protection?: { alg: string; opslimit: number; memlimit: number };
  /** Ciphertexts encrypted with the current key. */
  protects: number;
  /** Ciphertexts under any other key id (they cannot be decrypted with the current key). */
  otherKey: number;
  byKeyId: Record<string, number>;
  byTable: Record<string, Record<string, number>>;
  /** A `master.key.new` from an interrupted rotation is waiting to be resolved on the next open. */
  pendingRotation: boolean;
}

/** Where the key comes from and what it protects; never reads the key material of a protected file. */
export async function keyStatus(db: Db, keyFile: string, env: NodeJS.ProcessEnv): Promise<KeyStatus> {
  const usage = keyUsage(db);
  let source: KeyStatus['source'] = 'none';
  let location = keyFile;
  let keyId: string | null = null;
  let protection: KeyStatus['protection'];
  if (env.MTDVAT_MASTER_KEY) {
    const sodium = await getSodium();
    keyId = keyIdOf(sodium, keyFromEnv(sodium, env)!);
    source = 'env';
    location = 'MTDVAT_MASTER_KEY';
  } else if (existsSync(keyFile)) {
    const file = readKeyFile(keyFile);
    keyId = file.keyId;
    source = file.protection === 'none' ? 'file' : 'passphrase';
    if (file.kdf) protection = { alg: 'argon2id13', opslimit: file.kdf.opslimit, memlimit: file.kdf.memlimit };
  }
  const protects = keyId ? (usage.byKeyId[keyId] ?? 0) : 0;
  return {
    source,
    location,
    keyId,
    ...(protection ? { protection } : {}),
    protects,
    otherKey: usage.total - protects,
    byKeyId: usage.byKeyId,
    byTable: usage.byTable,
    pendingRotation: existsSync(pendingKeyPath(keyFile)),
  };
}

/** Decrypts every ciphertext with the current key: proves the key and the stored values are intact. */
export function verifyAll(db: Db, vault: Vault): number {
  let n = 0;
  for (const c of allCiphertexts(db)) {
    vault.decrypt(c.blob, c.keyId, c.address);
    n++;
  }
  return n;
}

/** Re-encrypts every ciphertext from `from` to `to`; call inside a transaction. */
function reencryptAll(db: Db, from: Vault, to: Vault): number {
  // Collect first: updating rows while iterating the same table is not allowed by better-sqlite3.
  const items = [...allCiphertexts(db)];
  const rewrite = ciphertextRewriter(db);
  for (const c of items) rewrite(c, from.reencrypt(c.blob, c.keyId, c.address, to), to.keyId);
  return items.length;
}

export interface RotateOptions {
  /** Protect the new key file with this passphrase (default: keep the current protection). */
  newPassphrase?: string;
  /** With MTDVAT_MASTER_KEY: write the new key (base64) to this file, created 0600. Required then. */
  newKeyFile?: string;
  /** Argon2id cost for a protected key file (tests pass a cheaper one). */
  kdfCost?: { opslimit: number; memlimit: number };
}

export interface RotateResult {
  oldKeyId: string;
  newKeyId: string;
  reencrypted: number;
  source: 'env' | 'file' | 'passphrase';
  /** The key file now in use, or the file holding the new MTDVAT_MASTER_KEY value. */
  location: string;
}

/**
 * New data key, every ciphertext re-encrypted in ONE transaction. Key file mode: the new key goes
 * to `master.key.new` inside the transaction (under the write lock), and is renamed over
 * `master.key` only after commit; `recoverPendingKey` finishes or discards it after a crash.
 */
export async function rotateKey(db: Db, keyOptions: KeyOptions, options: RotateOptions = {}): Promise<RotateResult> {
  const sodium = await getSodium();
  const env = keyOptions.env ?? process.env;
  const envMode = !!env.MTDVAT_MASTER_KEY;
  if (envMode && !options.newKeyFile) {
    throw new UsageError(
      'the key comes from MTDVAT_MASTER_KEY, which mtdvat cannot change: re-run with --new-key-file FILE to receive the new key, then set MTDVAT_MASTER_KEY to its contents',
    );
  }
  if (!envMode && options.newKeyFile) {
    throw new UsageError('--new-key-file is only for a key given in MTDVAT_MASTER_KEY; the key file is rotated in place');
  }
  if (options.newKeyFile && existsSync(options.newKeyFile)) {
    throw new UsageError(`${options.newKeyFile} already exists; name a new file for the new key`);
  }
  const old = await loadKey({ ...keyOptions, db, create: false });
  const oldVault = new Vault(sodium, old.key, old.keyId, old.source, old.location);
  const newKey = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
  const newKeyId = keyIdOf(sodium, newKey);
  const passphrase = options.newPassphrase ?? old.passphrase;
  // Argon2id takes a second or more: do it before taking the write lock.
  const newFile: KeyFile | undefined = envMode
    ? undefined
    : passphrase
      ? protectedKeyFile(sodium, newKey, passphrase, options.kdfCost)
      : plainKeyFile(sodium, newKey);
  const source = envMode ? 'env' : passphrase ? 'passphrase' : 'file';
  const newVault = new Vault(sodium, newKey, newKeyId, source, envMode ? options.newKeyFile! : keyOptions.keyFile);
  const pending = pendingKeyPath(keyOptions.keyFile);
  const target = envMode ? options.newKeyFile! : pending;
  let wroteTarget = false;
  let reencrypted = 0;
  try {
    db.transaction(() => {
      if (!envMode) {
        // A leftover from an earlier crash is resolved under this lock, then the key must still be ours.
        recoverPendingKey(db, keyOptions.keyFile);
        const current = readKeyFile(keyOptions.keyFile);
        if (current.keyId !== old.keyId) {
          throw new VaultError(`the key changed while rotating (now ${current.keyId}); run the rotation again`);
        }
      }
      if (newFile) writeKeyFile(target, newFile, true);
      else writePrivateFile(target, sodium.to_base64(newKey, sodium.base64_variants.ORIGINAL) + '\n', true);
      wroteTarget = true;
      reencrypted = reencryptAll(db, oldVault, newVault);
      setMeta(db, META_KEY_ID, newKeyId);
      audit(db, { category: 'keys', event: 'rotate', detail: { oldKeyId: old.keyId, newKeyId, reencrypted, source } });
    }).immediate();
  } catch (error) {
    // Rolled back: the old key is still the one the store uses; drop the unused new key.
    if (wroteTarget) {
      try {
        unlinkSync(target);
      } catch {
        // already gone
      }
    }
    throw error;
  } finally {
    sodium.memzero(old.key);
  }
  if (!envMode) finishRotation(db, keyOptions.keyFile, newKeyId);
  sodium.memzero(newKey);
  return { oldKeyId: old.keyId, newKeyId, reencrypted, source, location: target === pending ? keyOptions.keyFile : target };
}

/** After commit: move `master.key.new` into place under the write lock (another opener may have done it). */
function finishRotation(db: Db, keyFile: string, newKeyId: string): void {
  const pending = pendingKeyPath(keyFile);
  db.transaction(() => {
    if (existsSync(pending) && readKeyFile(pending).keyId === newKeyId) {
      renameSync(pending, keyFile);
      fsyncDir(keyFile);
    }
  }).immediate();
  if (readKeyFile(keyFile).keyId !== newKeyId) {
    throw new VaultError(`rotation committed, but ${keyFile} does not hold the new key ${newKeyId}; keep ${pending} if it exists`);
  }
}

/** Wraps the current data key with a passphrase (or changes the passphrase). The key id stays. */
export async function protectKey(
  db: Db,
  keyOptions: KeyOptions,
  newPassphrase: string,
  kdfCost?: { opslimit: number; memlimit: number },
): Promise<{ keyId: string; location: string }> {
  const env = keyOptions.env ?? process.env;
  if (env.MTDVAT_MASTER_KEY) {
    throw new UsageError('the key comes from MTDVAT_MASTER_KEY, not from a key file; protect it where it is kept');
  }
  checkPassphrase(newPassphrase);
  const sodium = await getSodium();
  const current = await loadKey({ ...keyOptions, db, create: false });
  try {
    writeKeyFile(keyOptions.keyFile, protectedKeyFile(sodium, current.key, newPassphrase, kdfCost));
  } finally {
    sodium.memzero(current.key);
  }
  audit(db, { category: 'keys', event: 'protect', detail: { keyId: current.keyId } });
  return { keyId: current.keyId, location: keyOptions.keyFile };
}

/** Stores the data key unwrapped again (needs the current passphrase). */
export async function unprotectKey(db: Db, keyOptions: KeyOptions): Promise<{ keyId: string; location: string; wasProtected: boolean }> {
  const env = keyOptions.env ?? process.env;
  if (env.MTDVAT_MASTER_KEY) {
    throw new UsageError('the key comes from MTDVAT_MASTER_KEY, not from a key file; there is nothing to unprotect');
  }
  const sodium = await getSodium();
  const current = await loadKey({ ...keyOptions, db, create: false });
  try {
    if (current.source === 'passphrase') writeKeyFile(keyOptions.keyFile, plainKeyFile(sodium, current.key));
  } finally {
    sodium.memzero(current.key);
  }
  if (current.source === 'passphrase') audit(db, { category: 'keys', event: 'unprotect', detail: { keyId: current.keyId } });
  return { keyId: current.keyId, location: keyOptions.keyFile, wasProtected: current.source === 'passphrase' };
}

export const MIN_PASSPHRASE_LENGTH = 8;

export function checkPassphrase(passphrase: string): void {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new UsageError(`the passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters long`);
  }
}
