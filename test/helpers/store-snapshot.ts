import Database from 'better-sqlite3';

/** Every row of every table except the journals a failed run may write to (import_jobs, audit_log). */
export function snapshotSetup(dbPath: string): Record<string, unknown[]> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[])
      .map((t) => t.name)
      .filter((t) => t !== 'import_jobs' && t !== 'audit_log');
    const out: Record<string, unknown[]> = {};
    for (const table of tables) {
      const columns = (db.prepare(`PRAGMA table_info("${table}")`).all() as unknown[]).length;
      const order = Array.from({ length: columns }, (_, i) => i + 1).join(', ');
      out[table] = db.prepare(`SELECT * FROM "${table}" ORDER BY ${order}`).all();
    }
    return out;
  } finally {
    db.close();
  }
}
