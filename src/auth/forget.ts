/** `auth forget`: delete an app's stored tokens and pending request (HMRC-side authority is untouched). */
import type { Context } from '../context.js';
import { audit } from '../store/audit.js';
import { deletePending, deleteTokens } from '../store/tokens.js';

export function forgetTokens(ctx: Context, appName: string): { app: string; tokensDeleted: boolean; pendingDeleted: boolean } {
  return ctx.db
    .transaction(() => {
      // Stored rows may use a different letter case than typed; match the stored name.
      const row = ctx.db
        .prepare(
          `SELECT app FROM oauth_tokens WHERE company = ? AND lower(app) = lower(?)
           UNION SELECT app FROM oauth_pending WHERE company = ? AND lower(app) = lower(?)`,
        )
        .get(ctx.company, appName, ctx.company, appName) as { app: string } | undefined;
      const app = row?.app ?? appName;
      const tokensDeleted = deleteTokens(ctx.db, ctx.company, app);
      const pendingDeleted = deletePending(ctx.db, ctx.company, app);
      audit(ctx.db, { category: 'auth', company: ctx.company, app, event: 'tokens forgotten', detail: { tokensDeleted, pendingDeleted } });
      return { app, tokensDeleted, pendingDeleted };
    })
    .immediate();
}
