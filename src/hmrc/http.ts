/**
 * The one HTTP client for HMRC (auth and VAT): absolute URLs from the web application record, the
 * Accept header, a timeout, bounded retries with backoff, and an audit row for every attempt with
 * secrets redacted. Requests go only to the web application's base-URL origin, over https (plain
 * http only to a loopback host), and a redirect is an error, never followed: a 307 from a token
 * endpoint would re-send the client secret to wherever it points. Non-idempotent calls are never retried unless the request provably never
 * reached HMRC (connection refused) or HMRC refused it unprocessed (429) and the caller opts in.
 */
import type { Context } from '../context.js';
import { HmrcError } from '../errors.js';
import { audit } from '../store/audit.js';
import { HMRC_ERROR_CODE, collectHeaderSecrets, collectSecretValues, redactHeaders, redactRequestBody, redactResponseBody, redactUrl, scrub } from './redact.js';
import { appUrl, type WebApp } from '../setup/web-app.js';
import { checkServiceUrl, originOf } from '../setup/urls.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HmrcRequestOptions {
  app: WebApp;
  method: HttpMethod;
  /** Path on the web application's base URL (e.g. `/oauth/token`); never an absolute URL. */
  path: string;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  /** application/x-www-form-urlencoded body. */
  form?: Record<string, string>;
  /** JSON body: a value to stringify, or already-serialized text (to keep decimal scale). */
  json?: unknown;
  /** Safe to repeat (GET, or a PUT that sets state). Retries on refused/timeout/5xx/429. */
  idempotent: boolean;
  /** For non-idempotent calls: retry only when the request surely was not processed (refused, 429). */
  retryUnsent?: boolean;
  timeoutMs?: number;
  auditCategory: 'hmrc' | 'auth';
  /** Audit event name (default `METHOD path`). */
  auditEvent?: string;
  /** Extra values that must never appear in the audit row (e.g. a VRN-bound secret). */
  secrets?: string[];
  maxAttempts?: number;
  /** Cap on all waiting between attempts, in ms. */
  maxTotalDelayMs?: number;
  /** First backoff delay in ms (doubles each attempt, with jitter). */
  baseDelayMs?: number;
  /** Awaited just before every attempt is sent (HMRC's request limit: see rate-limit.ts). */
  beforeSend?: () => Promise<void>;
}

export interface HmrcResponse {
  status: number;
  headers: Record<string, string>;
  bodyText: string;
  /** Parsed body when it is JSON, else undefined. */
  json: unknown;
  url: string;
  attempts: number;
}

const DEFAULTS = { timeoutMs: 30_000, maxAttempts: 4, maxTotalDelayMs: 20_000, baseDelayMs: 250 };

function parseJson(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Retry-After as seconds or an HTTP date → ms (undefined when absent or unreadable). */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

type NetFault = { kind: 'refused' | 'timeout' | 'network'; detail: string };

function classifyFetchError(error: unknown): NetFault {
  const e = error as { name?: string; cause?: { code?: string; name?: string; message?: string }; code?: string };
  const code = e?.cause?.code ?? e?.code;
  if (e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { kind: 'timeout', detail: 'timed out' };
  }
  if (code === 'ECONNREFUSED') return { kind: 'refused', detail: 'connection refused' };
  const causeText = e?.cause?.message && e.cause.message.length < 80 ? e.cause.message : undefined;
  return { kind: 'network', detail: code ? String(code) : e?.name === 'AbortError' ? 'aborted' : (causeText ?? 'network error') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function buildUrl(opts: Pick<HmrcRequestOptions, 'app' | 'path' | 'query'>): string {
  const verdict = checkServiceUrl(opts.app.baseUrl);
  if (!verdict.ok) throw new HmrcError(`web application "${opts.app.name}": base URL ${verdict.problem}; nothing was sent`, undefined, 'BAD_BASE_URL');
  const url = new URL(appUrl(opts.app, opts.path));
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  // appUrl refuses anything but a path; this is the last line before a secret leaves the machine.
  if (url.origin !== originOf(opts.app.baseUrl)) throw new HmrcError(`refusing to send to ${url.origin}: not the origin of web application "${opts.app.name}"`, undefined, 'WRONG_ORIGIN');
  return url.toString();
}

/**
 * Sends one logical request (with retries) and returns the final response, whatever its status.
 * Throws HmrcError only when HMRC could not be reached at all. Use hmrcErrorFrom() for non-2xx.
 */
export async function hmrcRequest(ctx: Context, opts: HmrcRequestOptions): Promise<HmrcResponse> {
  const url = buildUrl(opts);
  const headers: Record<string, string> = { Accept: opts.app.accept, ...(opts.headers ?? {}) };
  let body: string | undefined;
  let auditBody: unknown;
  const secrets = new Set<string>((opts.secrets ?? []).filter((s) => s && s.length >= 4));
  if (opts.form) {
    body = new URLSearchParams(opts.form).toString();
    headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
    auditBody = redactRequestBody(opts.form);
    collectSecretValues('request', opts.form, secrets);
  } else if (opts.json !== undefined) {
    body = typeof opts.json === 'string' ? opts.json : JSON.stringify(opts.json);
    headers['Content-Type'] ??= opts.app.contentType || 'application/json';
    const parsed = typeof opts.json === 'string' ? parseJson(opts.json) : opts.json;
    auditBody = parsed === undefined ? '[unparsed body]' : redactRequestBody(parsed);
    collectSecretValues('request', parsed, secrets);
  }
  collectHeaderSecrets(headers, secrets);
  const timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? DEFAULTS.maxAttempts);
  const maxTotalDelay = opts.maxTotalDelayMs ?? DEFAULTS.maxTotalDelayMs;
  const baseDelay = opts.baseDelayMs ?? DEFAULTS.baseDelayMs;
  const event = opts.auditEvent ?? `${opts.method} ${new URL(url).pathname}`;
  const auditUrl = scrub(redactUrl(url), secrets);
  let waited = 0;

  const record = (detail: Record<string, unknown>) => {
    const text = scrub(JSON.stringify(detail), secrets);
    audit(ctx.db, { category: opts.auditCategory, company: ctx.company, app: opts.app.name, event, detail: JSON.parse(text) as Record<string, unknown> });
  };

  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    const requestDetail = { method: opts.method, url: auditUrl, headers: redactHeaders(headers), body: auditBody };
    let response: Response;
    await opts.beforeSend?.();
    try {
      response = await fetch(url, { method: opts.method, headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    } catch (error) {
      const fault = classifyFetchError(error);
      record({ attempt, request: requestDetail, error: fault.detail, durationMs: Date.now() - started });
      const retryable = opts.idempotent || (opts.retryUnsent && fault.kind === 'refused');
      const delay = backoff(baseDelay, attempt);
      if (retryable && attempt < maxAttempts && waited + delay <= maxTotalDelay) {
        waited += delay;
        await sleep(delay);
        continue;
      }
      const host = new URL(url).host;
      const tries = attempt > 1 ? ` after ${attempt} attempts` : '';
      throw new HmrcError(
        `could not reach HMRC at ${host} (${fault.detail}${fault.kind === 'timeout' ? ` after ${Math.round(timeoutMs / 1000)} s` : ''})${tries}; ${
          // A loopback web application is the local emulator: nothing listening means it is not started.
          fault.kind === 'refused' && opts.app.kind === 'local'
            ? `that is the local HMRC emulator's address: is \`mtdvat sandbox\` running? (start it with \`mtdvat sandbox --port ${new URL(url).port || '80'}\`)`
            : 'check the network and try again'
        }`,
        undefined,
        fault.kind === 'timeout' ? 'TIMEOUT' : fault.kind === 'refused' ? 'CONNECTION_REFUSED' : 'NETWORK_ERROR',
      );
    }
    let bodyText: string;
    try {
      bodyText = await response.text();
    } catch (error) {
      const fault = classifyFetchError(error);
      record({ attempt, request: requestDetail, status: response.status, error: `reading body: ${fault.detail}` });
      if (opts.idempotent && attempt < maxAttempts) {
        const delay = backoff(baseDelay, attempt);
        if (waited + delay <= maxTotalDelay) {
          waited += delay;
          await sleep(delay);
          continue;
        }
      }
      throw new HmrcError(`HMRC's answer from ${new URL(url).host} was cut off (${fault.detail})`, response.status, 'NETWORK_ERROR');
    }
    const respHeaders: Record<string, string> = {};
    response.headers.forEach((v, k) => (respHeaders[k] = v));
    if (response.status >= 300 && response.status < 400) {
      // Never followed: HMRC's APIs do not redirect, and following one would carry the form body
      // (client secret, code, refresh token) or the bearer token and fraud headers to another host.
      record({ attempt, request: requestDetail, status: response.status, error: 'redirect refused (not followed)', durationMs: Date.now() - started });
      const target = originOf(respHeaders.location ? new URL(respHeaders.location, url).toString() : '') ?? 'elsewhere';
      throw new HmrcError(
        `${new URL(url).host} answered HTTP ${response.status} (a redirect to ${target}); mtdvat never follows redirects, so nothing more was sent. Check the web application's base URL and paths`,
        response.status,
        'REDIRECT_REFUSED',
      );
    }
    const json = parseJson(bodyText);
    if (json !== undefined) collectSecretValues('response', json, secrets);
    record({
      attempt,
      request: requestDetail,
      status: response.status,
      responseHeaders: redactHeaders(respHeaders),
      response: json !== undefined ? redactResponseBody(json) : bodyText ? `[${bodyText.length} chars, not JSON]` : '',
      durationMs: Date.now() - started,
    });
    const status = response.status;
    const retryableStatus = opts.idempotent ? status === 429 || status >= 500 : !!opts.retryUnsent && status === 429;
    if (retryableStatus && attempt < maxAttempts) {
      const hinted = retryAfterMs(respHeaders['retry-after']);
      // HMRC throttles per second: without a Retry-After hint, a 429 waits out at least one window.
      const delay = hinted !== undefined ? Math.max(hinted, 50) : Math.max(backoff(baseDelay, attempt), status === 429 ? 1000 : 0);
      if (waited + delay <= maxTotalDelay) {
        waited += delay;
        await sleep(delay);
        continue;
      }
    }
    return { status, headers: respHeaders, bodyText, json, url, attempts: attempt };
  }
}

function backoff(base: number, attempt: number): number {
  const exp = base * 2 ** (attempt - 1);
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

export function isOk(response: HmrcResponse): boolean {
  return response.status >= 200 && response.status < 300;
}

export interface ParsedHmrcError {
  code?: string;
  message: string;
  errors: { code?: string; message?: string; path?: string }[];
}

/** Reads every shape HMRC uses: {code,message[,errors]}, {statusCode,message}, {error,error_description}, empty. */
export function parseHmrcError(status: number, json: unknown, bodyText = ''): ParsedHmrcError {
  const o = json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  if (o) {
    const errors = Array.isArray(o.errors)
      ? (o.errors as unknown[]).map((e) => {
          const eo = (e && typeof e === 'object' ? e : {}) as Record<string, unknown>;
          return { code: str(eo.code), message: str(eo.message), path: str(eo.path) };
        })
      : [];
    if (str(o.code)) return { code: str(o.code), message: str(o.message) ?? str(o.code)!, errors };
    if (str(o.error)) return { code: str(o.error), message: str(o.error_description) ?? str(o.error)!, errors };
    if (o.statusCode !== undefined && str(o.message)) {
      // Legacy shape: the message *is* the code (e.g. {"statusCode":400,"message":"INVALID_REQUEST"}).
      const m = str(o.message)!;
      return { code: HMRC_ERROR_CODE.test(m) ? m : undefined, message: m, errors };
    }
    if (str(o.message)) return { message: str(o.message)!, errors };
  }
  const reason = STATUS_TEXT[status] ?? 'error';
  return { message: bodyText.trim() && !o ? `${reason} (non-JSON body)` : reason, errors: [] };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** HmrcError for a non-2xx answer: "HMRC refused the request (HTTP 403 INVALID_SCOPE): …". */
export function hmrcErrorFrom(response: Pick<HmrcResponse, 'status' | 'json' | 'bodyText'>, what = 'HMRC refused the request'): HmrcError {
  const parsed = parseHmrcError(response.status, response.json, response.bodyText);
  const code = parsed.code;
  const details = parsed.errors
    .map((e) => [e.code, e.message].filter(Boolean).join(': ') + (e.path ? ` (${e.path})` : ''))
    .filter(Boolean);
  const head = `${what} (HTTP ${response.status}${code ? ` ${code}` : ''})`;
  const message = parsed.message && parsed.message !== code ? `${head}: ${parsed.message}` : head;
  return new HmrcError(details.length ? `${message}; ${details.join('; ')}` : message, response.status, code);
}
