/**
 * `auth status`: expiry facts per web application from metadata only. Never opens the vault
 * (no libsodium) and never shows a token.
 */
import type { Db } from '../store/db.js';
import { listRecords } from '../store/records.js';
import { nowMs } from './clock.js';
import { CODE_LIFETIME_MS } from './get-authorization-code.js';
import { listPendingMeta, listTokenMeta } from '../store/tokens.js';

/** HMRC: a user's grant lasts 18 months from authorization; refreshing does not extend it. */
export const GRANT_MONTHS = 18;
export const HORIZON_WARNING_MS = 30 * 24 * 3_600_000;

/**
 * none: no tokens; valid: the access token is valid or can be refreshed; expired: the 18-month
 * authority has passed; revoked: HMRC refused the grant (invalid_grant).
 */
export type TokenState = 'none' | 'valid' | 'expired' | 'revoked';

export function tokenState(t: { grantedAt: string; revokedAt: string | null } | undefined, now: number): TokenState {
  if (!t) return 'none';
  if (t.revokedAt) return 'revoked';
  const horizon = Date.parse(refreshHorizon(t.grantedAt));
  return Number.isNaN(horizon) || horizon <= now ? 'expired' : 'valid';
}

export interface AuthStatus {
  app: string;
  state: TokenState;
  accessTokenExpiresAt: string | null;
  refreshHorizonAt: string | null;
  scope: string | null;
  pendingCodeExpiresAt: string | null;
}

export interface AuthStatusDetail extends AuthStatus {
  /** When HMRC refused the grant. */
  revokedAt: string | null;
  accessTokenExpired: boolean | null;
  accessTokenExpiresInMs: number | null;
  refreshHorizonInMs: number | null;
  horizonWarning: boolean;
  pendingCodeRequestedAt: string | null;
  pendingCodeAgeMs: number | null;
}

export function refreshHorizon(grantedAt: string): string {
  const d = new Date(grantedAt);
  d.setUTCMonth(d.getUTCMonth() + GRANT_MONTHS);
  return d.toISOString();
}

export function authStatus(db: Db, company: string, appName?: string, env?: NodeJS.ProcessEnv): AuthStatusDetail[] {
  const now = nowMs(env);
  const appNames = new Set(listRecords(db, company, 'WebApplication').map((r) => r.key[0] ?? ''));
  const tokens = new Map(listTokenMeta(db, company).map((t) => [t.app, t]));
  const pending = new Map(listPendingMeta(db, company).map((p) => [p.app, p]));
  for (const a of [...tokens.keys(), ...pending.keys()]) appNames.add(a);
  let names = [...appNames].filter(Boolean).sort();
  if (appName !== undefined) names = names.filter((n) => n.toLowerCase() === appName.toLowerCase());
  return names.map((app) => {
    const t = tokens.get(app);
    const p = pending.get(app);
    const horizon = t ? refreshHorizon(t.grantedAt) : null;
    const expiresIn = t ? Date.parse(t.accessExpiresAt) - now : null;
    const horizonIn = horizon ? Date.parse(horizon) - now : null;
    const pendingExpires = p ? new Date(Date.parse(p.requestedAt) + CODE_LIFETIME_MS).toISOString() : null;
    return {
      app,
      state: tokenState(t, now),
      revokedAt: t?.revokedAt ?? null,
      accessTokenExpiresAt: t?.accessExpiresAt ?? null,
      refreshHorizonAt: horizon,
      scope: t?.scope ?? null,
      pendingCodeExpiresAt: pendingExpires,
      accessTokenExpired: expiresIn === null ? null : expiresIn <= 0,
      accessTokenExpiresInMs: expiresIn,
      refreshHorizonInMs: horizonIn,
      horizonWarning: horizonIn !== null && horizonIn <= HORIZON_WARNING_MS,
      pendingCodeRequestedAt: p?.requestedAt ?? null,
      pendingCodeAgeMs: p ? now - Date.parse(p.requestedAt) : null,
    };
  });
}
