import Database from 'better-sqlite3';
import { closeSync, openSync, chmodSync, existsSync } from 'node:fs';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/**
 * Opens (creating with mode 0600 if needed) the store and brings its schema up to date.
 * WAL + synchronous=FULL: readers never block the importer and a commit survives power loss.
 */
export function openDb(path: string): Db {
  if (path !== ':memory:' && !existsSync(path)) {
    // Create the file ourselves so it is 0600 from its first byte, not after a chmod.
    closeSync(openSync(path, 'a', 0o600));
  }
  const db = new Database(path);
  if (path !== ':memory:') {
    chmodSync(path, 0o600);
    db.pragma('journal_mode = WAL');
  }
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 30000');
  migrate(db);
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current >= MIGRATIONS.length) return;
  db.transaction(() => {
    for (let i = current; i < MIGRATIONS.length; i++) db.exec(MIGRATIONS[i]);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
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
