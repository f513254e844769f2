/**
 * URL rules (hmrc-protocol.md §1, §2.1): HTTPS everywhere except a loopback host (the local emulator);
 * redirect URIs are the out-of-band URN or a loopback URL.
 */
import { isLoopbackHost, OOB_REDIRECT } from './web-app.js';

// One loopback rule for the client (setup/web-app.ts) and verify: what verify accepts, the client uses.
export { isLoopbackHost };

export interface UrlVerdict {
  ok: boolean;
  /** Why not, in plain words. */
  problem?: string;
  host?: string;
  loopback?: boolean;
}

/** An absolute base URL we may send credentials to: https, or http/https on a loopback host. */
export function checkServiceUrl(value: string): UrlVerdict {
  if (!value) return { ok: false, problem: 'is empty' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, problem: `"${value}" is not an absolute URL` };
  }
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return { ok: false, problem: `"${value}" uses ${url.protocol.replace(':', '')}; only https is allowed (plain http only for a loopback emulator)`, host: url.hostname, loopback };
  }
  if (url.username || url.password) return { ok: false, problem: `"${value}" contains user information`, host: url.hostname, loopback };
  return { ok: true, host: url.hostname.toLowerCase(), loopback };
}

/** Redirect URL: HMRC's out-of-band URN (optionally `:auto`) or a loopback URL. */
export function checkRedirectUrl(value: string): UrlVerdict {
  if (!value) return { ok: false, problem: 'is empty' };
  if (value === OOB_REDIRECT || value === `${OOB_REDIRECT}:auto`) return { ok: true };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, problem: `"${value}" is neither the out-of-band URN nor a URL` };
  }
  if (!isLoopbackHost(url.hostname) || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return { ok: false, problem: `"${value}" is not ${OOB_REDIRECT} or a loopback URL (http://localhost:PORT/…)` };
  }
  if (url.hash) return { ok: false, problem: `"${value}" has a fragment, which HMRC rejects` };
  return { ok: true, host: url.hostname, loopback: true };
}
