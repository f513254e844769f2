/** `auth forget`: delete an app's stored tokens and pending request (HMRC-side authority is untouched). */
import type { Context } from '../context.js';
import { audit } from '../store/audit.js';
import { deletePending, deleteTokens, findStoredAppName } from '../store/tokens.js';

export function forgetTokens(ctx: Context, appName: string): { app: string; tokensDeleted: boolean; pendingDeleted: boolean } {
  return ctx.db
    .transaction(() => {
      // Stored rows may use a different letter case than typed; match the stored name.
      const app = findStoredAppName(ctx.db, ctx.company, appName) ?? appName;
      const tokensDeleted = deleteTokens(ctx.db, ctx.company, app);
      const pendingDeleted = deletePending(ctx.db, ctx.company, app);
      audit(ctx.db, { category: 'auth', company: ctx.company, app, event: 'tokens forgotten', detail: { tokensDeleted, pendingDeleted } });
      return { app, tokensDeleted, pendingDeleted };
    })
    .immediate();
}
