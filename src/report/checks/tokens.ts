import { formatDuration } from '../../cli/output.js';
import { ACCESS_EXPIRING_SOON_MS, REFRESH_HORIZON_MONTHS, REFRESH_HORIZON_WARN_DAYS } from '../mtd-expectations.js';
import { fail, inScope, pass, slug, warn, type Check, type VerifyInput } from './types.js';

export interface TokenRow {
  app: string;
  access_expires_at: string;
  granted_at: string;
  refreshed_at: string | null;
  scope: string;
  first_vrn: string | null;
}

export function tokenRows(input: Pick<VerifyInput, 'ctx' | 'company'>): TokenRow[] {
  return input.ctx.db
    .prepare('SELECT app, access_expires_at, granted_at, refreshed_at, scope, first_vrn FROM oauth_tokens WHERE company = ? ORDER BY app')
    .all(input.company) as TokenRow[];
}

/** The end of the 18-month authority, counted from the user's grant (refreshes do not extend it). */
export function refreshHorizon(grantedAt: string): Date {
  const d = new Date(grantedAt);
  d.setUTCMonth(d.getUTCMonth() + REFRESH_HORIZON_MONTHS);
  return d;
}

export function tokenChecks(input: VerifyInput): Check[] {
  const checks: Check[] = [];
  const now = input.now.getTime();
  for (const row of tokenRows(input)) {
    if (!inScope(input.scope.webApps, row.app)) continue;
    const id = `token.${slug(row.app)}`;
    const authFix = `mtdvat auth get-authorization-code --app "${row.app}", then mtdvat auth obtain-access-token --app "${row.app}"`;
    const left = new Date(row.access_expires_at).getTime() - now;
    const title = `Access token of "${row.app}"`;
    if (Number.isNaN(left)) {
      checks.push(fail(`${id}.access`, title, `The stored expiry "${row.access_expires_at}" is not a date.`, authFix));
    } else if (left <= 0) {
      checks.push(warn(`${id}.access`, title, `Access token has expired (${formatDuration(-left)} ago).`, `Nothing to do if the refresh token is still valid: it refreshes automatically on the next call (or run: mtdvat auth refresh-access-token --app "${row.app}").`));
    } else if (left < ACCESS_EXPIRING_SOON_MS) {
      checks.push(warn(`${id}.access`, title, `Access token will expire in ${formatDuration(left)}.`, `It refreshes automatically on the next call (or run: mtdvat auth refresh-access-token --app "${row.app}").`));
    } else {
      checks.push(pass(`${id}.access`, title, `Access token will expire in ${formatDuration(left)}.`));
    }
    const horizon = refreshHorizon(row.granted_at);
    const hleft = horizon.getTime() - now;
    const htitle = `Authority of "${row.app}" (18 months from the grant)`;
    if (Number.isNaN(hleft)) {
      checks.push(fail(`${id}.refresh-horizon`, htitle, `The stored grant time "${row.granted_at}" is not a date.`, authFix));
    } else if (hleft <= 0) {
      checks.push(fail(`${id}.refresh-horizon`, htitle, `The authority granted on ${row.granted_at.slice(0, 10)} ended on ${horizon.toISOString().slice(0, 10)}; refreshing will fail with invalid_grant.`, `Authorize again: ${authFix}`));
    } else if (hleft < REFRESH_HORIZON_WARN_DAYS * 86_400_000) {
      checks.push(warn(`${id}.refresh-horizon`, htitle, `The authority ends on ${horizon.toISOString().slice(0, 10)} (in ${formatDuration(hleft)}).`, `Authorize again before then: ${authFix}`));
    } else {
      checks.push(pass(`${id}.refresh-horizon`, htitle, `Valid until ${horizon.toISOString().slice(0, 10)}.`));
    }
  }
  return checks;
}
