/** consents rows: one per kind of consent (HMRC API use, fraud prevention data), who gave it and when. */
import type { Db } from './db.js';

export interface ConsentRow {
  kind: string;
  grantedBy: string;
  grantedAt: string;
}

export function readConsent(db: Db, kind: string): ConsentRow | undefined {
  const r = db.prepare('SELECT kind, granted_by, granted_at FROM consents WHERE kind = ?').get(kind) as
    | { kind: string; granted_by: string; granted_at: string }
    | undefined;
  return r ? { kind: r.kind, grantedBy: r.granted_by, grantedAt: r.granted_at } : undefined;
}

export function hasConsent(db: Db, kind: string): boolean {
  return !!db.prepare('SELECT 1 FROM consents WHERE kind = ?').get(kind);
}

/** Records (or renews) a consent; `detail` is stored as JSON. */
export function writeConsent(db: Db, consent: ConsentRow, detail: Record<string, unknown>): void {
  db.prepare(
    `INSERT INTO consents (kind, granted_by, granted_at, detail) VALUES (?, ?, ?, ?)
     ON CONFLICT (kind) DO UPDATE SET granted_by = excluded.granted_by, granted_at = excluded.granted_at, detail = excluded.detail`,
  ).run(consent.kind, consent.grantedBy, consent.grantedAt, JSON.stringify(detail));
}
