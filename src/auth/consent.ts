/** System administrator consent to talk to HMRC's API (D365's "System administrator consent" dialog). */
import { userInfo } from 'node:os';
import type { Db } from '../store/db.js';
import { audit } from '../store/audit.js';
import { readConsent, writeConsent, type ConsentRow } from '../store/consents.js';
import { nowIsoString } from './clock.js';

export const HMRC_CONSENT = 'hmrc-api';

export type Consent = ConsentRow;

export function getConsent(db: Db, kind = HMRC_CONSENT): Consent | undefined {
  return readConsent(db, kind);
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
  writeConsent(db, consent, { how });
  audit(db, { category: 'auth', company, event: 'consent granted', detail: { kind, grantedBy: consent.grantedBy, how } });
  return consent;
}

export const CONSENT_QUESTION =
  'System administrator consent: allow mtdvat to interoperate with HMRC\'s Making Tax Digital API and use external web services?';
