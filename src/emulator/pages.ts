/**
 * HTML for the emulated HMRC authorisation journey. Plain forms, no JavaScript, so tests can drive
 * it with fetch and users with any browser. Element ids/texts follow what HMRC's live sandbox shows
 * (https://developer.service.hmrc.gov.uk/api-documentation/docs/authorisation/user-restricted-endpoints,
 * and the live sandbox's pages): #appNameParagraph + "Continue", #userId/#password + "Sign in",
 * #givePermission "Grant authority" and a "Do not grant authority" option.
 */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<header><p>HM Revenue &amp; Customs (local mtdvat emulator, not HMRC)</p></header>
<main>
${body}
</main>
</body>
</html>
`;
}

const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;

const SCOPE_TEXT: Record<string, string> = {
  'read:vat': 'view your VAT information',
  'write:vat': 'change your VAT information',
  hello: 'say hello',
};

function scopeList(scopes: string[]): string {
  return `<ul id="scopes">${scopes.map((s) => `<li>${escapeHtml(SCOPE_TEXT[s] ?? s)}</li>`).join('')}</ul>`;
}

export function startPage(appName: string, sessionId: string, scopes: string[]): string {
  return layout(
    'Authorise software',
    `<h1>Authorise software</h1>
<p id="appNameParagraph">${escapeHtml(appName)} wants to connect to your HMRC account.</p>
<p>You will sign in with your test user ID and password, then choose whether to let it:</p>
${scopeList(scopes)}
<form method="post" action="/oauth/start">
${hidden('session', sessionId)}
<button type="submit" id="continue">Continue</button>
</form>`,
  );
}

export function signInPage(sessionId: string, error?: string): string {
  return layout(
    'Sign in',
    `<h1>Sign in</h1>
${error ? `<div class="error-summary" id="error-summary" role="alert"><p>${escapeHtml(error)}</p></div>` : ''}
<form method="post" action="/api-test-login/sign-in">
${hidden('session', sessionId)}
<label for="userId">User ID</label>
<input type="text" id="userId" name="userId" autocomplete="username">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password">
<button type="submit" id="submit">Sign in</button>
</form>`,
  );
}

export function grantPage(appName: string, sessionId: string, scopes: string[]): string {
  return layout(
    'Grant authority',
    `<h1>Grant authority</h1>
<p>Allow <strong id="appName">${escapeHtml(appName)}</strong> to:</p>
${scopeList(scopes)}
<p>You can take this authority away at any time.</p>
<form method="post" action="/oauth/grantscope">
${hidden('session', sessionId)}
<button type="submit" id="givePermission" name="decision" value="grant">Grant authority</button>
<button type="submit" id="denyPermission" name="decision" value="deny">Do not grant authority</button>
</form>`,
  );
}

/**
 * Out-of-band success page. Clients read the code from `<title>Success code=CODE</title>`
 * or from the element `#authorisation-code` (selector: `#authorisation-code`).
 */
export function oobSuccessPage(code: string, auto: boolean): string {
  return layout(
    `Success code=${code}`,
    `<h1>Authorisation granted</h1>
${
  auto
    ? '<p>You can now close this window.</p>'
    : '<p>Copy this code and paste it into your software:</p>'
}
<p><code id="authorisation-code">${escapeHtml(code)}</code></p>`,
  );
}

/** Out-of-band page after "Do not grant authority". */
export function oobDeniedPage(state: string | undefined): string {
  return layout(
    'Denied error=access_denied',
    `<h1>Authority not granted</h1>
<p id="error" data-error="access_denied" data-error-code="USER_DENIED_AUTHORIZATION">You did not grant authority (access_denied: user denied the authorization).</p>
${state !== undefined ? `<p>state: <code id="state">${escapeHtml(state)}</code></p>` : ''}`,
  );
}

export function sessionErrorPage(): string {
  return layout(
    'Sorry, there is a problem',
    `<h1>Sorry, there is a problem</h1>
<p id="session-error">Your sign-in session has expired or is unknown. Go back to your software and start again.</p>`,
  );
}
