import type { Sodium } from './sodium.js';
import { VaultError } from '../errors.js';

import type { SecretAddress } from '../store/secrets.js';

export type { SecretAddress };

export type KeySource = 'env' | 'file' | 'passphrase';

const BLOB_VERSION = 1;

export function describeAddress(a: SecretAddress): string {
  return `${a.entity} ${a.naturalKey} field ${a.field} (company ${a.company})`;
}

/**
 * Encrypts and decrypts secrets with one 32-byte data key (XChaCha20-Poly1305 IETF).
 * Blob layout: version (1 byte) || nonce (24) || ciphertext+tag. Never exposes the key.
 */
export class Vault {
  constructor(
    private readonly sodium: Sodium,
    private readonly key: Uint8Array,
    readonly keyId: string,
    readonly source: KeySource,
    readonly location: string,
  ) {}

  encrypt(plaintext: string, address: SecretAddress): Uint8Array {
    const s = this.sodium;
    const nonce = s.randombytes_buf(s.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    const cipher = s.crypto_aead_xchacha20poly1305_ietf_encrypt(
      s.from_string(plaintext),
      associatedData(address, this.keyId),
      null,
      nonce,
      this.key,
    );
    const blob = new Uint8Array(1 + nonce.length + cipher.length);
    blob[0] = BLOB_VERSION;
    blob.set(nonce, 1);
    blob.set(cipher, 1 + nonce.length);
    return blob;
  }

  /** Throws VaultError naming the record (never the value) when the key is wrong or the blob was altered. */
  decrypt(blob: Uint8Array, keyId: string, address: SecretAddress): string {
    const s = this.sodium;
    if (keyId !== this.keyId) {
      throw new VaultError(
        `cannot decrypt ${describeAddress(address)}: it was encrypted with key ${keyId}, but the current key is ${this.keyId} (wrong MTDVAT_MASTER_KEY, passphrase or key file?)`,
      );
    }
    const nonceBytes = s.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    if (blob.length < 1 + nonceBytes + s.crypto_aead_xchacha20poly1305_ietf_ABYTES || blob[0] !== BLOB_VERSION) {
      throw new VaultError(`cannot decrypt ${describeAddress(address)}: the stored value is damaged`);
    }
    try {
      const plain = s.crypto_aead_xchacha20poly1305_ietf_decrypt(
        null,
        blob.subarray(1 + nonceBytes),
        associatedData(address, keyId),
        blob.subarray(1, 1 + nonceBytes),
        this.key,
      );
      const text = s.to_string(plain);
      s.memzero(plain);
      return text;
    } catch {
      throw new VaultError(
        `cannot decrypt ${describeAddress(address)}: the value was tampered with, moved, or the key is wrong`,
      );
    }
  }

  /** Re-encrypts under another vault (key rotation). */
  reencrypt(blob: Uint8Array, keyId: string, address: SecretAddress, target: Vault): Uint8Array {
    return target.encrypt(this.decrypt(blob, keyId, address), address);
  }
}

function associatedData(a: SecretAddress, keyId: string): string {
  return ['mtdvat/v1', a.table, a.company, a.entity, a.naturalKey, a.field, keyId].join('\u0000');
}
