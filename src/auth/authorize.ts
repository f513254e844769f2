/**
 * `get-authorization-code` as one flow (D365's "Get authorization code" dialog): system administrator
 * consent, the redirect choice (out-of-band or a loopback listener), the PKCE code request and, with a
 * loopback redirect, the wait for HMRC's redirect and the token exchange. The caller (the CLI) only
 * asks and shows, through the callbacks; HMRC's flow: https://developer.service.hmrc.gov.uk/api-documentation/docs/authorisation/user-restricted-endpoints
 */
import type { Context } from '../context.js';
import { AuthError } from '../errors.js';
import { loadWebApp, OOB_REDIRECT } from '../setup/web-app.js';
import { CONSENT_QUESTION, getConsent, recordConsent } from './consent.js';
import { CODE_LIFETIME_MS, checkScope, isLoopbackRedirect, requestAuthorizationCode, type AuthorizationRequest } from './get-authorization-code.js';
import type { TokenResult } from './obtain-access-token.js';

export type RedirectMode = 'oob' | 'loopback';

export interface AuthorizeOptions {
  scope: string;
  /** Default: loopback when the web application's redirect URL is a loopback URL, else out-of-band. */
  redirect?: RedirectMode;
  /** System administrator consent is given without asking (--yes). */
  yes?: boolean;
}

export interface AuthorizeIo {
  /** Asks the consent question; false stops the flow before anything is sent. */
  confirm(question: string): Promise<boolean>;
  /** A warning about the request (e.g. a scope beyond HMRC's VAT scopes). */
  warn(text: string): void;
  /**
   * The sign-in URL is ready. With `loopback`, the listener is up and the flow now waits for HMRC's
   * redirect to `redirectUri`; with `oob`, the flow ends and the user brings the code back later.
   */
  showUrl(request: AuthorizationRequest, how: { mode: RedirectMode; redirectUri: string }): void;
  /** Opens the URL in a browser, when wanted; never fails the flow. */
  openBrowser?(url: string): Promise<unknown>;
}

export type AuthorizeOutcome =
  | { mode: 'oob'; request: AuthorizationRequest; redirectUri: string }
  | { mode: 'loopback'; request: AuthorizationRequest; redirectUri: string; token: TokenResult };

export async function authorize(ctx: Context, appName: string, options: AuthorizeOptions, io: AuthorizeIo): Promise<AuthorizeOutcome> {
  const app = loadWebApp(ctx, appName);
  checkScope(options.scope); // a bad scope fails before any question is asked
  if (!getConsent(ctx.db)) {
    if (options.yes) recordConsent(ctx.db, ctx.company, '--yes');
    else {
      if (!(await io.confirm(CONSENT_QUESTION))) throw new AuthError('system administrator consent was not given; nothing was sent to HMRC');
      recordConsent(ctx.db, ctx.company, 'prompt');
    }
  }
  const mode = options.redirect ?? (isLoopbackRedirect(app.redirectUrl) ? 'loopback' : 'oob');
  if (mode === 'oob') {
    const redirectUri = isLoopbackRedirect(app.redirectUrl) || !app.redirectUrl ? OOB_REDIRECT : app.redirectUrl;
    const request = await requestAuthorizationCode(ctx, app.name, { scope: options.scope, redirectUri });
    for (const w of request.warnings) io.warn(w);
    io.showUrl(request, { mode, redirectUri });
    await io.openBrowser?.(request.authorizationUrl);
    return { mode, request, redirectUri };
  }
  // Loaded only on this path: the listener and the token exchange (HTTP client, vault).
  const { startLoopback } = await import('./loopback.js');
  const { obtainAccessToken } = await import('./obtain-access-token.js');
  const listener = await startLoopback(app.redirectUrl);
  try {
    const request = await requestAuthorizationCode(ctx, app.name, { scope: options.scope, redirectUri: listener.redirectUri });
    for (const w of request.warnings) io.warn(w);
    io.showUrl(request, { mode, redirectUri: listener.redirectUri });
    await io.openBrowser?.(request.authorizationUrl);
    const code = await listener.waitForCode(request.state, CODE_LIFETIME_MS);
    const token = await obtainAccessToken(ctx, app.name, code, { state: request.state });
    return { mode, request, redirectUri: listener.redirectUri, token };
  } finally {
    await listener.close();
  }
}
