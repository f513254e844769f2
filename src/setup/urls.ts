/**
 * URL rules (https://developer.service.hmrc.gov.uk/api-documentation/docs/reference-guide, https://developer.service.hmrc.gov.uk/api-documentation/docs/authorisation/user-restricted-endpoints): HTTPS everywhere except a loopback host (the local emulator);
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

/**
 * The origin (scheme, host, port) of an absolute URL, lower-cased as the URL standard serialises it;
 * undefined when the value is not one. Credentials and tokens are bound to an origin, never a path.
 */
export function originOf(value: string): string | undefined {
  try {
    const url = new URL(value.trim());
    return url.origin === 'null' ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

/** A web service's internet address must be on its web application's origin: the application's token goes with it. */
export function checkServiceOrigin(address: string, appBaseUrl: string): UrlVerdict {
  if (!address.trim()) return { ok: true };
  const own = originOf(address);
  const app = originOf(appBaseUrl);
  if (!own) return { ok: false, problem: `"${address}" is not an absolute URL` };
  if (!app) return { ok: true }; // the application's own base URL is reported where it is checked
  if (own !== app) return { ok: false, problem: `"${address}" is not on the origin of its web application (${app}); the application's token would go to ${own}` };
  return { ok: true };
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
