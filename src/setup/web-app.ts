/**
 * The imported WebApplication record, read as the client needs it: where HMRC is, how to authorize,
 * and (only on demand, through the vault) the client credentials.
 */
import { shellQuote } from '../lib/shell-quote.js';
import type { Context } from '../context.js';
import { AuthError, NotFoundError, ValidationError } from '../errors.js';
import { companiesWithSetup, getRecord, listRecords, type StoredRecord } from '../store/records.js';
import { readSecret } from '../vault/secrets.js';
import { secretOrigins } from '../store/secrets.js';
import { isPlaceholder } from '../lib/placeholders.js';
import { urlPathProblem } from '../schema/normalize.js';

export const WEB_APP_ENTITY = 'WebApplication';

export type WebAppKind = 'production' | 'sandbox' | 'local';

/** The connection fields of a WebApplication record (names as the client uses them). */
export interface WebAppFields {
  name: string;
  baseUrl: string;
  authorizationPath: string;
  tokenPath: string;
  redirectUrl: string;
  accept: string;
  contentType: string;
}

/** Every non-secret field of the record, exactly as stored ('' when empty). */
export interface WebAppRecordFields extends WebAppFields {
  description: string;
  authorizationFormatMapping: string;
  importTokenModelMapping: string;
}

/**
 * The one place that maps the record's D365 field names (schemas/WebApplication) to ours; the client
 * (loadWebApp, with defaults) and the web-apps page (src/report/web-apps.ts, as stored) both read it.
 */
export function webAppRecordFields(record: { key: string[]; data: Record<string, string> }): WebAppRecordFields {
  const d = record.data;
  return {
    name: d.WEBAPPLICATIONNAME ?? record.key[0] ?? '',
    description: d.DESCRIPTION ?? '',
    baseUrl: d.BASEURL ?? '',
    authorizationPath: d.AUTHORIZATIONURLPATH ?? '',
    tokenPath: d.TOKENURLPATH ?? '',
    redirectUrl: d.REDIRECTURL ?? '',
    accept: d.ACCEPT ?? '',
    contentType: d.CONTENTTYPE ?? '',
    authorizationFormatMapping: d.AUTHORIZATIONFORMATMAPPING ?? '',
    importTokenModelMapping: d.IMPORTTOKENMODELMAPPING ?? '',
  };
}

/** A web application as the HMRC client uses it: trimmed, with HMRC's defaults for empty fields. */
export interface WebApp extends WebAppFields {
  kind: WebAppKind;
  /** Scheme, host and port of the base URL: the only place its credentials and tokens go. */
  origin: string;
}

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export const DEFAULT_ACCEPT = 'application/vnd.hmrc.1.0+json';
export const DEFAULT_CONTENT_TYPE = 'application/json';
export const OOB_REDIRECT = 'urn:ietf:wg:oauth:2.0:oob';

const PRODUCTION_HOSTS = new Set(['api.service.hmrc.gov.uk', 'www.tax.service.gov.uk']);
const SANDBOX_HOSTS = new Set(['test-api.service.hmrc.gov.uk', 'test-www.tax.service.gov.uk']);

/** Loopback hosts (the local emulator): the only hosts that may be reached over plain http. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Classifies a base URL; anything that is neither HMRC nor loopback is refused (tokens must not leak). */
export function kindOfBaseUrl(baseUrl: string, appName: string): WebAppKind {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ValidationError(`web application "${appName}": base URL "${baseUrl}" is not a valid URL`);
  }
  const host = url.hostname.toLowerCase();
  if (isLoopbackHost(host)) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ValidationError(`web application "${appName}": base URL must be http(s), not ${url.protocol}`);
    }
    return 'local';
  }
  if (url.protocol !== 'https:') {
    throw new ValidationError(`web application "${appName}": base URL ${url.origin} must use https`);
  }
  if (PRODUCTION_HOSTS.has(host)) return 'production';
  if (SANDBOX_HOSTS.has(host)) return 'sandbox';
  throw new ValidationError(
    `web application "${appName}": base URL host ${host} is not HMRC (api.service.hmrc.gov.uk, test-api.service.hmrc.gov.uk) or a loopback address`,
  );
}

/**
 * Finds the record by exact name, else by the one case-insensitive match; NotFoundError lists what
 * exists. Every command that names a web application (auth, vat, web-apps) looks it up here.
 */
export function findWebAppRecord(ctx: Context, name: string): StoredRecord {
  const exact = getRecord(ctx.db, ctx.company, WEB_APP_ENTITY, [name]);
  if (exact) return exact;
  const all = listRecords(ctx.db, ctx.company, WEB_APP_ENTITY);
  const matches = all.filter((r) => (r.key[0] ?? '').toLowerCase() === name.toLowerCase());
  if (matches.length === 1) return matches[0];
  const known = all.map((r) => `"${r.key[0]}"`).join(', ');
  const others = companiesWithSetup(ctx.db).filter((c) => c !== ctx.company);
  throw new NotFoundError(
    known
      ? `no web application "${name}" in company ${ctx.company}; known: ${known}`
      : `no web application "${name}" in company ${ctx.company}: none are imported yet (run \`mtdvat import-package\`)${others.length ? `; companies with a setup: ${others.join(', ')} (choose one with --company)` : ''}`,
  );
}

/**
 * The base URL with a path appended. Only ever a path: an absolute or scheme-relative value would
 * move the request (and the client secret) to another host, so it is refused, and the result is
 * checked to still be on the base URL's origin.
 */
function joinUrl(base: string, path: string, appName: string): string {
  const problem = urlPathProblem(path);
  if (problem) throw new ValidationError(`web application "${appName}": the path "${path}" ${problem}`);
  const joined = base.replace(/\/+$/, '') + path;
  if (new URL(joined).origin !== new URL(base).origin) throw new ValidationError(`web application "${appName}": the path "${path}" leaves the origin of ${base}`);
  return joined;
}

/** Stored paths from an older release were never checked: check them before they are used. */
function pathField(value: string, fallback: string, label: string, appName: string): string {
  const path = value.trim() || fallback;
  const problem = urlPathProblem(path);
  if (problem) {
    throw new ValidationError(
      `web application "${appName}": the ${label} "${path}" ${problem}: run \`mtdvat web-apps set ${shellQuote(appName)} --${label === 'token URL path' ? 'token-path' : 'authorization-path'} ${fallback}\``,
    );
  }
  return path;
}

export function loadWebApp(ctx: Context, name: string): WebApp {
  const record = findWebAppRecord(ctx, name);
  const f = webAppRecordFields(record);
  const appName = record.key[0] ?? name;
  const baseUrl = f.baseUrl.trim();
  if (!baseUrl) throw new ValidationError(`web application "${appName}" has no base URL`);
  const kind = kindOfBaseUrl(baseUrl, appName);
  return {
    name: appName,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    authorizationPath: pathField(f.authorizationPath, '/oauth/authorize', 'authorization URL path', appName),
    tokenPath: pathField(f.tokenPath, '/oauth/token', 'token URL path', appName),
    redirectUrl: f.redirectUrl.trim() || OOB_REDIRECT,
    accept: f.accept.trim() || DEFAULT_ACCEPT,
    contentType: f.contentType.trim() || DEFAULT_CONTENT_TYPE,
    kind,
    origin: new URL(baseUrl).origin,
  };
}

/** Absolute URL of a path on the web application's origin (never another host). */
export function appUrl(app: WebApp, path: string): string {
  return joinUrl(app.baseUrl, path, app.name);
}

export function listWebAppNames(ctx: Context): string[] {
  return listRecords(ctx.db, ctx.company, WEB_APP_ENTITY).map((r) => r.key[0] ?? '');
}

/** The fix for missing credentials, quoted for a shell. */
export function setCredentialsFix(appName: string): string {
  return `mtdvat web-apps set-credentials ${shellQuote(appName)}`;
}

/**
 * Decrypts the client ID and secret (opens the vault: libsodium loads here). Refuses when they are
 * missing or placeholders (a demo value would only earn an invalid_client from HMRC), and when they
 * were entered for another origin than the application's base URL has now.
 */
export async function loadClientCredentials(ctx: Context, app: WebApp): Promise<ClientCredentials> {
  const key = [app.name];
  const vault = await ctx.vault();
  const clientId = readSecret(ctx.db, vault, ctx.company, WEB_APP_ENTITY, key, 'CLIENTID');
  const clientSecret = readSecret(ctx.db, vault, ctx.company, WEB_APP_ENTITY, key, 'CLIENTSECRET');
  const usable = (v: string | undefined) => !!v && !isPlaceholder(v);
  const missing = [!usable(clientId) && 'client ID', !usable(clientSecret) && 'client secret'].filter(Boolean).join(' and ');
  if (missing) {
    const placeholder = (clientId && isPlaceholder(clientId)) || (clientSecret && isPlaceholder(clientSecret));
    throw new AuthError(
      `web application "${app.name}" has no ${missing}${placeholder ? ' (only a placeholder from the package)' : ''}: enter the ones from the HMRC Developer Hub with \`${setCredentialsFix(app.name)}\``,
    );
  }
  const origins = secretOrigins(ctx.db, ctx.company, WEB_APP_ENTITY, key);
  for (const field of ['CLIENTID', 'CLIENTSECRET']) {
    const bound = origins.get(field);
    if (bound && bound !== app.origin) {
      throw new AuthError(
        `the client ID and secret of web application "${app.name}" were entered for ${bound}, but its base URL is now ${app.origin}; they are not sent anywhere else: enter them again for ${app.origin} with \`${setCredentialsFix(app.name)}\``,
      );
    }
  }
  return { clientId: clientId!, clientSecret: clientSecret! };
}
