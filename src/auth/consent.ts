/** System administrator consent to talk to HMRC's API (D365's "System administrator consent" dialog). */
import { userInfo } from 'node:os';
import type { Db } from '../store/db.js';
import { audit } from '../store/audit.js';
import { nowIsoString } from './clock.js';

export const HMRC_CONSENT = 'hmrc-api';

export interface Consent {
  kind: string;
  grantedBy: string;
  grantedAt: string;
}

export function getConsent(db: Db, kind = HMRC_CONSENT): Consent | undefined {
  const r = db.prepare('SELECT kind, granted_by, granted_at FROM consents WHERE kind = ?').get(kind) as
    | { kind: string; granted_by: string; granted_at: string }
    | undefined;
  return r ? { kind: r.kind, grantedBy: r.granted_by, grantedAt: r.granted_at } : undefined;
}

export function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

export function recordConsent(db: Db, company: string, how: 'prompt' | '--yes' | 'ui', kind = HMRC_CONSENT): Consent {
  const consent = { kind, grantedBy: osUser(), grantedAt: nowIsoString() };
  db.prepare(
    `INSERT INTO consents (kind, granted_by, granted_at, detail) VALUES (?, ?, ?, ?)
     ON CONFLICT (kind) DO UPDATE SET granted_by = excluded.granted_by, granted_at = excluded.granted_at, detail = excluded.detail`,
  ).run(kind, consent.grantedBy, consent.grantedAt, JSON.stringify({ how }));
  audit(db, { category: 'auth', company, event: 'consent granted', detail: { kind, grantedBy: consent.grantedBy, how } });
  return consent;
}

export const CONSENT_QUESTION =
  'System administrator consent: allow mtdvat to interoperate with HMRC\'s Making Tax Digital API and use external web services?';
