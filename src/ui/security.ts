/**
 * The browser workspace is a local web server holding the keys to a company's HMRC account, so every
 * request proves three things before a page runs (OWASP's CSRF and DNS-rebinding advice):
 * - the Host header is the loopback address and port we serve (a DNS-rebinding page sends its own name);
 * - the session: the per-run token from the printed URL, then an HttpOnly SameSite=Strict cookie whose
 *   name includes the port (cookies are shared by every port of 127.0.0.1);
 * - for every state-changing request: a POST from our own origin carrying the session's CSRF token.
 * Answers carry a strict Content-Security-Policy and are never cached.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const LOOPBACK = '127.0.0.1';

/** No scripts at all, styles only from our own stylesheet, forms only to ourselves, never framed. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on our own POSTs.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** One run's secrets: the URL token, the key that makes session ids and their CSRF tokens. */
export class SessionKeys {
  /** The token printed in the URL (and handed to the browser through the 0600 launch file). */
  readonly token = randomBytes(32).toString('base64url');
  private readonly key = randomBytes(32);

  /** Set once the server listens (port 0 picks a free one). */
  constructor(public port: number) {}

  get origin(): string {
    return `http://${LOOPBACK}:${this.port}`;
  }

  get host(): string {
    return `${LOOPBACK}:${this.port}`;
  }

  get cookieName(): string {
    return `mtdvat_session_${this.port}`;
  }

  isToken(value: string): boolean {
    return safeEqual(value, this.token);
  }

  /** A new session id: random, with a MAC so the server keeps no list of them. */
  newSession(): string {
    const id = randomBytes(24).toString('base64url');
    return `${id}.${this.mac('session', id)}`;
  }

  isSession(value: string | undefined): boolean {
    if (!value) return false;
    const dot = value.indexOf('.');
    if (dot <= 0) return false;
    return safeEqual(value.slice(dot + 1), this.mac('session', value.slice(0, dot)));
  }

  /** The CSRF token of a session (synchronizer token derived from it, so forms need no server state). */
  csrfFor(session: string): string {
    return this.mac('csrf', session);
  }

  private mac(purpose: string, value: string): string {
    return createHmac('sha256', this.key).update(`${purpose}\n${value}`).digest('base64url');
  }
}

export type Verdict = { ok: true } | { ok: false; status: 401 | 403; reason: string };

export function checkHost(keys: SessionKeys, host: string | undefined): Verdict {
  return host === keys.host ? { ok: true } : { ok: false, status: 403, reason: `this server answers only at ${keys.origin}` };
}

/**
 * A state-changing request must come from our own pages: Origin (or, where a browser leaves it out,
 * Referer) is our origin, Sec-Fetch-Site (where sent) says same-origin.
 */
export function checkSameOrigin(keys: SessionKeys, headers: { origin?: string; referer?: string; fetchSite?: string }): Verdict {
  const refused: Verdict = { ok: false, status: 403, reason: 'refused: the request did not come from this workspace' };
  if (headers.fetchSite !== undefined && headers.fetchSite !== 'same-origin') return refused;
  if (headers.origin !== undefined) return headers.origin === keys.origin ? { ok: true } : refused;
  if (headers.referer !== undefined) {
    try {
      return new URL(headers.referer).origin === keys.origin ? { ok: true } : refused;
    } catch {
      return refused;
    }
  }
  return refused;
}

export function checkCsrf(keys: SessionKeys, session: string, token: string | undefined): Verdict {
  return token && safeEqual(token, keys.csrfFor(session)) ? { ok: true } : { ok: false, status: 403, reason: 'refused: the form is stale or not ours (CSRF token); reload the page' };
}
