import { shellQuote } from '../../lib/shell-quote.js';
import { refreshHorizon } from '../../auth/status.js';
import { formatDuration } from '../../lib/duration.js';
import { listTokenMeta } from '../../store/tokens.js';
import { ACCESS_EXPIRING_SOON_MS, REFRESH_HORIZON_WARN_DAYS } from '../mtd-expectations.js';
import { fail, inScope, pass, slug, warn, type Check, type VerifyInput } from './types.js';

export function tokenChecks(input: VerifyInput): Check[] {
  const checks: Check[] = [];
  const now = input.now.getTime();
  for (const row of listTokenMeta(input.ctx.db, input.company)) {
    if (!inScope(input.scope.webApps, row.app)) continue;
    const id = `token.${slug(row.app)}`;
    const authFix = `mtdvat auth get-authorization-code --app ${shellQuote(row.app)}, then mtdvat auth obtain-access-token --app ${shellQuote(row.app)}`;
    const left = new Date(row.accessExpiresAt).getTime() - now;
    const title = `Access token of "${row.app}"`;
    if (row.revokedAt) {
      checks.push(fail(`${id}.access`, title, `HMRC refused the grant on ${row.revokedAt} (invalid_grant): the tokens are dead and cannot be refreshed.`, `Authorize again: ${authFix}`));
    } else if (Number.isNaN(left)) {
      checks.push(fail(`${id}.access`, title, `The stored expiry "${row.accessExpiresAt}" is not a date.`, authFix));
    } else if (left <= 0) {
      checks.push(warn(`${id}.access`, title, `Access token has expired (${formatDuration(-left)} ago).`, `Nothing to do if the refresh token is still valid: it refreshes automatically on the next call (or run: mtdvat auth refresh-access-token --app ${shellQuote(row.app)}).`));
    } else if (left < ACCESS_EXPIRING_SOON_MS) {
      checks.push(warn(`${id}.access`, title, `Access token will expire in ${formatDuration(left)}.`, `It refreshes automatically on the next call (or run: mtdvat auth refresh-access-token --app ${shellQuote(row.app)}).`));
    } else {
      checks.push(pass(`${id}.access`, title, `Access token will expire in ${formatDuration(left)}.`));
    }
    const horizon = new Date(refreshHorizon(row.grantedAt));
    const hleft = horizon.getTime() - now;
    const htitle = `Authority of "${row.app}" (18 months from the grant)`;
    if (Number.isNaN(hleft)) {
      checks.push(fail(`${id}.refresh-horizon`, htitle, `The stored grant time "${row.grantedAt}" is not a date.`, authFix));
    } else if (hleft <= 0) {
      checks.push(fail(`${id}.refresh-horizon`, htitle, `The authority granted on ${row.grantedAt.slice(0, 10)} ended on ${horizon.toISOString().slice(0, 10)}; refreshing will fail with invalid_grant.`, `Authorize again: ${authFix}`));
    } else if (hleft < REFRESH_HORIZON_WARN_DAYS * 86_400_000) {
      checks.push(warn(`${id}.refresh-horizon`, htitle, `The authority ends on ${horizon.toISOString().slice(0, 10)} (in ${formatDuration(hleft)}).`, `Authorize again before then: ${authFix}`));
    } else {
      checks.push(pass(`${id}.refresh-horizon`, htitle, `Valid until ${horizon.toISOString().slice(0, 10)}.`));
    }
  }
  return checks;
}
