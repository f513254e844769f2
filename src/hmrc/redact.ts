/**
 * The one redaction policy: which values in what we send to or receive from HMRC are secrets, and
 * how they are kept out of the audit journal. store/audit.ts stores what it is given; every caller
 * that records an HTTP exchange (hmrc/http.ts) or shows stored rows (cli/audit-log-command.ts)
 * redacts through here.
 *
 * OAuth 2.0 names its secrets in the token request and answer (https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3,
 * https://www.rfc-editor.org/rfc/rfc7636#section-4.5); HMRC's flow is described at
 * https://developer.service.hmrc.gov.uk/api-documentation/docs/authorisation/user-restricted-endpoints.
 */

export const REDACTED = '[redacted]';

/**
 * Keys in request and response bodies whose values are secrets. The client ID counts: it is sent to
 * HMRC in the authorize URL and token request but has no business in a journal someone may share.
 */
const SECRET_KEYS = new Set([
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'client_id',
  'code',
  'code_verifier',
  'password',
  'token',
  'secret',
  'key',
  'authorization',
]);

/** Header names whose values are credentials (in either direction). */
const SECRET_HEADERS = /^(authorization|cookie|set-cookie|proxy-authorization|x-api-key)$|token|secret/i;

/** Query parameters of the authorize and token URLs that carry secrets or the CSRF state. */
const SECRET_QUERY = /^(code|client_id|client_secret|code_verifier|access_token|refresh_token|state)$/i;

/**
 * HMRC's error answers carry `code` as an UPPER_SNAKE error name (`INVALID_CREDENTIALS`,
 * `DUPLICATE_SUBMISSION`: https://developer.service.hmrc.gov.uk/api-documentation/docs/reference-guide#errors),
 * worth keeping. This exception applies to responses only: in a request, `code` is always the
 * authorization code, and an authorization code may well be upper-case.
 */
export const HMRC_ERROR_CODE = /^(?=.*[A-Z])[A-Z0-9_]+$/;

type Direction = 'request' | 'response';

function isSecretEntry(direction: Direction, key: string, value: unknown): boolean {
  const lower = key.toLowerCase();
  if (!SECRET_KEYS.has(lower)) return false;
  if (direction === 'response' && lower === 'code' && typeof value === 'string' && HMRC_ERROR_CODE.test(value)) return false;
  return true;
}

function redactBody(direction: Direction, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => redactBody(direction, v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = isSecretEntry(direction, k, v) ? REDACTED : redactBody(direction, v);
    return out;
  }
  return value;
}

/** Deep copy of a body we send (form or JSON) with every secret value replaced; `code` always goes. */
export function redactRequestBody<T>(value: T): T {
  return redactBody('request', value) as T;
}

/** Deep copy of a body HMRC sent with every secret value replaced; HMRC's error `code` stays. */
export function redactResponseBody<T>(value: T): T {
  return redactBody('response', value) as T;
}

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = SECRET_HEADERS.test(k) ? REDACTED : v;
  return out;
}

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADERS.test(name);
}

export function redactUrl(url: string): string {
  const u = new URL(url);
  for (const k of [...u.searchParams.keys()]) if (SECRET_QUERY.test(k)) u.searchParams.set(k, REDACTED);
  return u.toString();
}

/**
 * Adds the secret string values of a body to `into`, so that they can be scrubbed from anything else
 * in an audit row (a URL, an echoed error message). Values under 4 characters are left: scrubbing
 * them would mangle ordinary text.
 */
export function collectSecretValues(direction: Direction, value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) value.forEach((v) => collectSecretValues(direction, v, into));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'string' && isSecretEntry(direction, k, v)) {
        if (v.length >= 4) into.add(v);
      } else collectSecretValues(direction, v, into);
    }
  }
}

/** Adds the values of credential headers (and the token inside `Bearer …`) to `into`. */
export function collectHeaderSecrets(headers: Record<string, string>, into: Set<string>): void {
  for (const [k, v] of Object.entries(headers)) {
    if (!isSecretHeader(k)) continue;
    into.add(v);
    const bearer = /^Bearer\s+(.+)$/i.exec(v);
    if (bearer) into.add(bearer[1]);
  }
}

/** Replaces every occurrence of each secret (as is, and URL-encoded) in a text. */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) {
    if (!s) continue;
    out = out.split(s).join(REDACTED);
    const enc = encodeURIComponent(s);
    if (enc !== s) out = out.split(enc).join(REDACTED);
  }
  return out;
}

/**
 * A stored audit detail as shown again: the HTTP client writes `{ request: { body, headers, url }, response,
 * responseHeaders }`; the request part is redacted by the request rules, everything else by the
 * response rules. Applied on reading so that a row written by an older version can never leak.
 */
export function redactAuditDetail(detail: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(detail)) {
    if (k === 'request' && v && typeof v === 'object' && !Array.isArray(v)) {
      const req = { ...(v as Record<string, unknown>) };
      if (req.headers && typeof req.headers === 'object') req.headers = redactHeaders(req.headers as Record<string, string>);
      if (typeof req.url === 'string') req.url = safeRedactUrl(req.url);
      out[k] = redactRequestBody(req);
    } else if (k === 'responseHeaders' && v && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = redactHeaders(v as Record<string, string>);
    } else {
      out[k] = isSecretEntry('response', k, v) ? REDACTED : redactResponseBody(v);
    }
  }
  return out;
}

function safeRedactUrl(url: string): string {
  try {
    return redactUrl(url);
  } catch {
    return url;
  }
}
