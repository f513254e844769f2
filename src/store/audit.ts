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

/** Appends to the audit journal. Callers must pass details already free of secrets (see redact()). */
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

const SECRET_KEYS = /^(access_token|refresh_token|client_secret|code|code_verifier|authorization|password|token|secret|key)$/i;

/**
 * `code` is an OAuth authorization code in a token request but HMRC's error code (`INVALID_CREDENTIALS`,
 * `DUPLICATE_SUBMISSION`) in a response; the latter is upper-case snake and worth keeping.
 */
function isErrorCode(key: string, value: unknown): boolean {
  return key.toLowerCase() === 'code' && typeof value === 'string' && /^[A-Z][A-Z0-9_]{2,}$/.test(value);
}

/** Deep copy with every secret-looking value replaced by "[redacted]". */
export function redact<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redact(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) && !isErrorCode(k, v) ? '[redacted]' : redact(v);
    return out as T;
  }
  return value;
}
