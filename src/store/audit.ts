import type { Db } from './db.js';

export interface AuditEntry {
  id: number;
  at: string;
  category: string;
  company: string | null;
  app: string | null;
  event: string;
  detail: Record<string, unknown>;
}

/**
 * Appends to the audit journal as given. Callers pass details already free of secrets: HTTP exchanges
 * go through hmrc/redact.ts, the one redaction policy.
 */
export function audit(
  db: Db,
  entry: { category: string; company?: string; app?: string; event: string; detail?: Record<string, unknown> },
): void {
  db.prepare('INSERT INTO audit_log (at, category, company, app, event, detail) VALUES (?, ?, ?, ?, ?, ?)').run(
    new Date().toISOString(),
    entry.category,
    entry.company ?? null,
    entry.app ?? null,
    entry.event,
    JSON.stringify(entry.detail ?? {}),
  );
}

/** The newest raw rows (detail as stored JSON text) of one category, for checks that search the text. */
export function recentAuditText(db: Db, company: string, category: string, limit: number): { app: string | null; at: string; detail: string }[] {
  return db
    .prepare('SELECT app, at, detail FROM audit_log WHERE category = ? AND company = ? ORDER BY id DESC LIMIT ?')
    .all(category, company, limit) as { app: string | null; at: string; detail: string }[];
}

export function listAudit(db: Db, filter: { category?: string; company?: string; app?: string; limit?: number }): AuditEntry[] {
  const rows = db
    .prepare(
      `SELECT id, at, category, company, app, event, detail FROM audit_log
       WHERE (@category IS NULL OR category = @category) AND (@company IS NULL OR company = @company)
         AND (@app IS NULL OR app = @app)
       ORDER BY id DESC LIMIT @limit`,
    )
    .all({ category: filter.category ?? null, company: filter.company ?? null, app: filter.app ?? null, limit: filter.limit ?? 100 }) as (Omit<
    AuditEntry,
    'detail'
  > & { detail: string })[];
  return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}
