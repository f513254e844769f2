/**
 * SQLite's failures in words. No better-sqlite3 import here: src/cli/main.ts maps errors that escape a
 * command with it, and must not load the native module for `--help`.
 */
import { StoreError } from '../errors.js';

/** SQLite's failures in words: a damaged file, a file that is no database, a lock held too long. */
export function storeError(error: unknown, path: string): unknown {
  if (error instanceof StoreError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return error;
  return translateSqliteError(code, (error as Error).message, path) ?? error;
}

export function translateSqliteError(code: string, message: string, path?: string): StoreError | undefined {
  const store = path ? `the store ${path}` : 'the store';
  if (code === 'SQLITE_NOTADB') return new StoreError(`${path ?? 'the store'} is not an mtdvat store (not a SQLite database); it was left untouched: choose another --db or --home`);
  if (code.startsWith('SQLITE_CORRUPT')) return new StoreError(`${store} is damaged (SQLite: ${message}); restore it from a backup or run "sqlite3 FILE .recover"`);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreError(`${store} is locked by another process (another mtdvat command is still writing); try again when it has finished`);
  }
  if (code.startsWith('SQLITE_CANTOPEN')) return new StoreError(`cannot open ${store} (SQLite: ${message})`);
  if (code.startsWith('SQLITE_READONLY')) return new StoreError(`${store} is read-only (SQLite: ${message})`);
  if (code === 'SQLITE_FULL') return new StoreError(`the disk holding ${store} is full`);
  if (code.startsWith('SQLITE_IOERR')) return new StoreError(`${store} could not be read or written (SQLite: ${message})`);
  return undefined;
}
