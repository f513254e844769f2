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
  /**
   * Each problem on its own (a message may sum several up); `--json` shows them as an array. A text
   * each, or an object with its own location (e.g. `{row, column, message}` of a VAT lines file).
   */
  problems?: readonly (string | object)[];
  /**
   * For commands whose result carries a status (import-package, verify, inspect-package, fph
   * validate): the result document. Under `--json` it is printed as it is, with `error` added.
   */
  result?: Record<string, unknown>;
  /** The command already told a person what failed (a table, a report): no second message on stderr. */
  reported = false;
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

/** The work is already done or under way elsewhere (a VAT return already filed, another process submitting). */
export class ConflictError extends MtdvatError {}

/** A check the command exists to run failed (`mtdvat verify`, HMRC's fraud-header validator). */
export class CheckFailedError extends MtdvatError {}

/** Anything else: a bug or an unexpected failure of the machine (disk, memory). Exit code 1. */
export class InternalError extends MtdvatError {}

/**
 * Every error type a script can see in `{"ok": false, "error": {"type": …}}` (README, "Errors in
 * --json"). Names are written out: a bundler may rename a class, the public name must not change.
 * A subclass defined elsewhere reports the nearest of these it extends.
 */
export const ERROR_TYPES: ReadonlyMap<Function, string> = new Map<Function, string>([
  [MtdvatError, 'MtdvatError'],
  [UsageError, 'UsageError'],
  [PackageError, 'PackageError'],
  [ValidationError, 'ValidationError'],
  [VaultError, 'VaultError'],
  [NotFoundError, 'NotFoundError'],
  [HmrcError, 'HmrcError'],
  [StoreError, 'StoreError'],
  [AuthError, 'AuthError'],
  [ConflictError, 'ConflictError'],
  [CheckFailedError, 'CheckFailedError'],
  [InternalError, 'InternalError'],
]);

/** The public type name of an error: its own class when listed in ERROR_TYPES, else the nearest listed ancestor. */
export function errorType(error: MtdvatError): string {
  for (let proto = Object.getPrototypeOf(error); proto; proto = Object.getPrototypeOf(proto)) {
    const name = ERROR_TYPES.get(proto.constructor);
    if (name) return name;
  }
  return 'MtdvatError';
}

/** Attaches a command's result document (see MtdvatError.result) and marks the failure as already shown. */
export function failedWithResult<E extends MtdvatError>(error: E, result: Record<string, unknown>): E {
  error.result = result;
  error.reported = true;
  return error;
}
/** HMRC refused the grant itself (invalid_grant on refresh): the stored tokens are dead until a new authorization. */
export class GrantRefusedError extends AuthError {}

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
