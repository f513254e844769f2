import Database from 'better-sqlite3';
import { closeSync, openSync, statSync } from 'node:fs';
import { StoreError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';
import { storeError } from './sqlite-errors.js';
import { foldKey } from '../lib/natural-key.js';

export type Db = Database.Database;

/**
 * SQLite's application id (https://www.sqlite.org/pragma.html#pragma_application_id) marks a file as
 * an mtdvat store: "MTDV" in ASCII. Stores made before the stamp are recognised by their `meta` table.
 */
export const APPLICATION_ID = 0x4d544456;

/** Natural keys compare as D365 compares them; SQL (migrations, reference checks) folds with mtdvat_fold_key. */
export function registerKeyFolding(db: Db): void {
  db.function('mtdvat_fold_key', { deterministic: true }, (key: unknown) => (typeof key === 'string' ? foldKey(JSON.parse(key) as string[]) : null));
}

/** How long a command waits for another process's write lock before saying so (ms). */
const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

export interface OpenDbOptions {
  /** Something the user should know but that does not stop the command (e.g. a readable store). */
  onWarning?: (message: string) => void;
  /** Overrides the lock wait (tests; MTDVAT_LOCK_TIMEOUT_MS). */
  lockTimeoutMs?: number;
}

/**
 * Opens (creating with mode 0600 if needed) the store and brings its schema up to date.
 * WAL + synchronous=FULL: readers never block the importer and a commit survives power loss.
 * A file that is not an mtdvat store is refused before anything is written to it, and only a file
 * mtdvat creates gets its permissions set: an existing one is the user's (a warning if others can read it).
 */
export function openDb(path: string, options: OpenDbOptions = {}): Db {
  const memory = path === ':memory:';
  let created = false;
  if (!memory) {
    try {
      // Create the file ourselves so it is 0600 from its first byte, not after a chmod; 'wx' never
      // follows a planted symlink and tells us whether the file is ours.
      closeSync(openSync(path, 'wx', 0o600));
      created = true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new StoreError(`cannot create the store ${path}: ${(error as Error).message}`);
    }
    const st = statSync(path);
    if (!st.isFile()) throw new StoreError(`the store ${path} is not a file`);
    if (!created && (st.mode & 0o077) !== 0) {
      options.onWarning?.(
        `the store ${path} can be read by other users (mode ${(st.mode & 0o777).toString(8)}); it holds your setup and encrypted credentials: run chmod 600 on it`,
      );
    }
  }
  let db: Db;
  try {
    db = new Database(path);
  } catch (error) {
    throw storeError(error, path);
  }
  try {
    db.pragma(`busy_timeout = ${options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS}`);
    registerKeyFolding(db);
    if (!memory) checkIsMtdvatStore(db, path);
    if (!memory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, path);
    return db;
  } catch (error) {
    db.close();
    throw storeError(error, path);
  }
}

/** An mtdvat store, an empty database (a new store), or refused — read-only checks, nothing written. */
function checkIsMtdvatStore(db: Db, path: string): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (appId === APPLICATION_ID) return;
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  if (appId === 0 && (tables.length === 0 || tables.includes('meta'))) return;
  throw new StoreError(
    `${path} is not an mtdvat store (a SQLite database of another application${appId ? `, application id ${appId}` : ''}); it was left untouched: choose another --db or --home`,
  );
}

/** The newest schema this release knows: the number of migrations. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Db, path = 'the store'): void {
  const current = () => db.pragma('user_version', { simple: true }) as number;
  const refuseNewer = (version: number) => {
    if (version > SCHEMA_VERSION) {
      throw new StoreError(
        `${path} has schema version ${version}, newer than this release of mtdvat knows (${SCHEMA_VERSION}): it was written by a newer mtdvat; upgrade mtdvat to use it`,
      );
    }
  };
  const seen = current();
  refuseNewer(seen);
  if (seen === SCHEMA_VERSION && (db.pragma('application_id', { simple: true }) as number) === APPLICATION_ID) return;
  db.transaction(() => {
    // Re-read under the write lock: another process may have migrated while we waited for it
    // (four first runs at once on a fresh home).
    const version = current();
    refuseNewer(version);
    for (let i = version; i < SCHEMA_VERSION; i++) db.exec(MIGRATIONS[i]);
    if (version !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
    db.pragma(`application_id = ${APPLICATION_ID}`);
  }).immediate();
}

export function getMeta(db: Db, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function setMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(
    key,
    value,
  );
}

/*
 * Hand-run transactions, for work that awaits between statements (better-sqlite3's db.transaction()
 * takes only synchronous functions). IMMEDIATE takes the write lock at once, so a second writer waits
 * at BEGIN (busy_timeout) instead of failing mid-way: https://www.sqlite.org/lang_transaction.html
 */
export function beginImmediate(db: Db): void {
  db.exec('BEGIN IMMEDIATE');
}

export function commit(db: Db): void {
  db.exec('COMMIT');
}

export function rollback(db: Db): void {
  db.exec('ROLLBACK');
}
