/**
 * Tiny error classes. Library code throws these; only `src/cli/main.ts` turns them into exit codes.
 * Messages must never contain a secret (client secret, token, key): they are printed as they are.
 */

/** Where in a package (or the store) a problem was found. Every part is optional. */
export interface ErrorLocation {
  entity?: string;
  file?: string;
  /** 1-based record number inside the entity file (header rows not counted). */
  record?: number;
  key?: string;
  field?: string;
}

/** Base class: an operation failed for a reason the user can act on. Exit code 1. */
export class MtdvatError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string, readonly location: ErrorLocation = {}) {
    super(message);
    this.name = new.target.name;
  }
}

/** The command line was wrong (unknown flag, missing argument, conflicting options). Exit code 2. */
export class UsageError extends MtdvatError {
  override readonly exitCode = 2;
}

/** The package (zip, manifest, data file) is unreadable, unsafe or invalid. */
export class PackageError extends MtdvatError {}

/** A record broke its entity schema (type, length, enum, key, reference). */
export class ValidationError extends MtdvatError {}

/** A secret could not be encrypted or decrypted: wrong key, missing key, tampered value. */
export class VaultError extends MtdvatError {}

/** The stored setup lacks something the command needs (unknown web application, no tokens). */
export class NotFoundError extends MtdvatError {}

/** HMRC (or the emulator) refused a request or could not be reached. */
export class HmrcError extends MtdvatError {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The store (SQLite file) or home folder cannot be used: not an mtdvat store, too new, damaged, locked. */
export class StoreError extends MtdvatError {}

/** OAuth: authorization missing, expired or revoked; the user has to authorize again. */
export class AuthError extends MtdvatError {}

/** Formats a location as ` (entity "X", file "Y", record 3, key "K", field "F")`. */
export function describeLocation(location: ErrorLocation): string {
  const parts: string[] = [];
  if (location.entity) parts.push(`entity "${location.entity}"`);
  if (location.file) parts.push(`file "${location.file}"`);
  if (location.record !== undefined) parts.push(`record ${location.record}`);
  if (location.key) parts.push(`key "${location.key}"`);
  if (location.field) parts.push(`field "${location.field}"`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** The command already printed its outcome (e.g. a failed verification); exit with this code quietly. */
export class ExitError extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitError';
  }
}
