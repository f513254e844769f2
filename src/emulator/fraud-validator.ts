/**
 * Fraud-prevention header checks (spec v3.3: https://developer.service.hmrc.gov.uk/guides/fraud-prevention/), shaped like HMRC's
 * Test Fraud Prevention Headers API. A pure function so client tests can call it without a server.
 * HMRC's real validator does more (and sees every request); this is the documented minimal set.
 */
import { isIP } from 'node:net';

export type FraudCode = 'VALID_HEADERS' | 'INVALID_HEADERS' | 'POTENTIALLY_INVALID_HEADERS';

export interface FraudIssue {
  code: string;
  message: string;
  headers: string[];
}

export interface FraudValidationResult {
  specVersion: string;
  code: FraudCode;
  message: string;
  errors: FraudIssue[];
  warnings: FraudIssue[];
}

export const FRAUD_SPEC_VERSION = '3.3';

export const CONNECTION_METHODS = [
  'DESKTOP_APP_DIRECT',
  'DESKTOP_APP_VIA_SERVER',
  'WEB_APP_VIA_SERVER',
  'MOBILE_APP_DIRECT',
  'MOBILE_APP_VIA_SERVER',
  'BATCH_PROCESS_DIRECT',
  'OTHER_DIRECT',
  'OTHER_VIA_SERVER',
] as const;
export type ConnectionMethod = (typeof CONNECTION_METHODS)[number];

const H = {
  method: 'gov-client-connection-method',
  deviceId: 'gov-client-device-id',
  userIds: 'gov-client-user-ids',
  timezone: 'gov-client-timezone',
  localIps: 'gov-client-local-ips',
  localIpsTs: 'gov-client-local-ips-timestamp',
  mac: 'gov-client-mac-addresses',
  mfa: 'gov-client-multi-factor',
  screens: 'gov-client-screens',
  window: 'gov-client-window-size',
  userAgent: 'gov-client-user-agent',
  jsUserAgent: 'gov-client-browser-js-user-agent',
  publicIp: 'gov-client-public-ip',
  publicIpTs: 'gov-client-public-ip-timestamp',
  publicPort: 'gov-client-public-port',
  vendorIp: 'gov-vendor-public-ip',
  forwarded: 'gov-vendor-forwarded',
  license: 'gov-vendor-license-ids',
  product: 'gov-vendor-product-name',
  version: 'gov-vendor-version',
} as const;

/** Retired headers: sending them "is not an issue" (change log v3.1/v3.2), so they are not UNEXPECTED. */
const RETIRED = ['gov-client-browser-plugins', 'gov-client-browser-do-not-track'];
export const TEST_SCENARIO_HEADER = 'gov-test-scenario';
const KNOWN = new Set<string>([...Object.values(H), ...RETIRED, TEST_SCENARIO_HEADER]);

const VIA_SERVER = new Set<ConnectionMethod>(['DESKTOP_APP_VIA_SERVER', 'MOBILE_APP_VIA_SERVER', 'WEB_APP_VIA_SERVER', 'OTHER_VIA_SERVER']);
/** Methods where Gov-Client-User-IDs must carry `os=` (https://developer.service.hmrc.gov.uk/guides/fraud-prevention/connection-method/). */
const NEEDS_OS = new Set<ConnectionMethod>(['DESKTOP_APP_DIRECT', 'OTHER_DIRECT', 'BATCH_PROCESS_DIRECT', 'DESKTOP_APP_VIA_SERVER', 'OTHER_VIA_SERVER']);

/** Required headers per connection method (https://developer.service.hmrc.gov.uk/guides/fraud-prevention/connection-method/). */
export function requiredHeaders(method: ConnectionMethod): string[] {
  const r: string[] = [H.method, H.deviceId, H.userIds, H.timezone, H.license, H.product, H.version];
  const web = method === 'WEB_APP_VIA_SERVER';
  const mobile = method === 'MOBILE_APP_DIRECT' || method === 'MOBILE_APP_VIA_SERVER';
  if (!web) r.push(H.localIps, H.localIpsTs, H.userAgent);
  if (!web && !mobile) r.push(H.mac);
  if (method !== 'BATCH_PROCESS_DIRECT') r.push(H.mfa);
  if (method === 'DESKTOP_APP_DIRECT' || mobile || method === 'DESKTOP_APP_VIA_SERVER' || web) r.push(H.screens, H.window);
  if (web) r.push(H.jsUserAgent);
  if (VIA_SERVER.has(method)) r.push(H.publicIp, H.publicIpTs, H.publicPort, H.vendorIp, H.forwarded);
  return r;
}

const MSG = {
  required: 'Header required',
  empty: 'Value is empty',
  format: 'Invalid format. Check the specification.',
  separator: 'At least 1 separator is percent encoded. Check forward slashes, spaces and round brackets.',
  notIp: 'Value is not an IP address',
  notPublicIp: 'Value is not a public IP address',
  unexpected: 'Unrecognised header. Check format and spelling',
  mfaEmpty:
    'Value is empty. This may be correct for single factor authentication, for example username and password. If this is the case, you must contact us explaining why you cannot submit this header.',
  versions:
    'For client server architectures, submit a version for the client and the server. For all other architectures, submit at least 1 version.',
  timezone: 'Value must be a recognised timezone in UTC format, submitted as UTC±<hh>:<mm>',
  timestamp: 'Value must be a UTC timestamp in the format yyyy-MM-ddThh:mm:ss.sssZ',
  uuid: 'Value must be a UUID',
  placeholder: 'Value must not be a placeholder such as null or undefined. Leave the value out if it cannot be collected.',
  forwarded:
    "At least 1 pair of IPs in Gov-Vendor-Forwarded must include Gov-Client-Public-IP in the 'for' field and Gov-Vendor-Public-IP in the 'by' field. Check all 3 headers are consistent.",
};

interface Finding {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  headers: string[];
}

/** Per-header outcome, the shape validation-feedback reports. */
export interface HeaderFeedback {
  header: string;
  value?: string;
  code: 'VALID_HEADER' | 'INVALID_HEADER' | 'POTENTIALLY_INVALID_HEADER' | 'MISSING_HEADER' | 'UNEXPECTED_HEADER' | 'TEST_SCENARIO_HEADER';
  errors: string[];
  warnings: string[];
}

export interface FraudAnalysis {
  result: FraudValidationResult;
  /** NO_HEADERS when no Gov-* header came at all (feedback API code). */
  requestCode: FraudCode | 'NO_HEADERS';
  connectionMethod?: string;
  headers: HeaderFeedback[];
  crossValidation: { headers: string[]; code: 'VALID_HEADERS' | 'INVALID_HEADERS'; errors: string[] }[];
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

const PLACEHOLDERS = new Set(['null', 'undefined', 'nan', 'none', 'unknown']);

/** `k1=v1&k2=v2` → map of decoded pairs, or an error message. */
function parseKv(raw: string): Map<string, string> | string {
  if (!raw.includes('=') && /%3D/i.test(raw)) return MSG.separator;
  const out = new Map<string, string>();
  for (const part of raw.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return MSG.format;
    const k = decode(part.slice(0, eq));
    const v = decode(part.slice(eq + 1));
    if (k === undefined || v === undefined || /[\s]/.test(part)) return MSG.format;
    if (PLACEHOLDERS.has(v.toLowerCase())) return MSG.placeholder;
    out.set(k, v);
  }
  return out;
}

/** `v1,v2` → decoded values (none empty), or an error message. */
function parseList(raw: string): string[] | string {
  const out: string[] = [];
  for (const part of raw.split(',')) {
    const v = decode(part.trim());
    if (!part.trim() || v === undefined) return MSG.format;
    if (PLACEHOLDERS.has(v.toLowerCase())) return MSG.placeholder;
    out.push(v);
  }
  return out;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MFA_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{3})?)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;
const posInt = (v: string | undefined) => v !== undefined && /^\d+$/.test(v) && Number(v) > 0;

function validTimestamp(v: string, re: RegExp): boolean {
  return re.test(v) && !Number.isNaN(Date.parse(v));
}

export function isPublicIp(ip: string): boolean {
  const kind = isIP(ip);
  if (kind === 4) {
    const [a, b] = ip.split('.').map(Number);
    if (a === 10 || a === 127 || a === 0 || a >= 224) return false;
    if (a === 172 && b >= 16 && b <= 31) return false;
    if (a === 192 && b === 168) return false;
    if (a === 169 && b === 254) return false;
    if (a === 100 && b >= 64 && b <= 127) return false;
    return true;
  }
  if (kind === 6) {
    const l = ip.toLowerCase();
    if (l === '::1' || l === '::') return false;
    if (/^f[cd]/.test(l) || /^fe[89ab]/.test(l)) return false;
    return true;
  }
  return false;
}

/** Format check of one present, non-empty header; returns findings about it. */
function checkValue(name: string, raw: string, method: ConnectionMethod | undefined): Finding[] {
  const errors: string[] = [];
  const warnings: string[] = [];
  const kv = () => {
    const r = parseKv(raw);
    if (typeof r === 'string') errors.push(r);
    return typeof r === 'string' ? undefined : r;
  };
  const list = () => {
    const r = parseList(raw);
    if (typeof r === 'string') errors.push(r);
    return typeof r === 'string' ? undefined : r;
  };
  // eslint-disable-next-line no-control-regex
  if (!/^[\x20-\x7e]*$/.test(raw)) errors.push('Value must be US-ASCII; percent encode other characters');
  else
    switch (name) {
      case H.deviceId:
        if (!UUID.test(raw)) errors.push(MSG.uuid);
        break;
      case H.timezone: {
        const m = /^UTC([+-])(\d{2}):(\d{2})$/.exec(raw);
        if (!m || Number(m[2]) > 14 || Number(m[3]) > 59) errors.push(MSG.timezone);
        break;
      }
      case H.localIpsTs:
      case H.publicIpTs:
        if (!validTimestamp(raw, TIMESTAMP)) errors.push(MSG.timestamp);
        break;
      case H.localIps: {
        if (/:/.test(raw)) errors.push('IPv6 addresses must be percent encoded');
        const ips = list();
        if (ips && ips.some((ip) => isIP(ip) === 0)) errors.push(MSG.notIp);
        break;
      }
      case H.mac: {
        if (/:/.test(raw)) errors.push('MAC addresses must be percent encoded');
        const macs = list();
        if (macs && macs.some((m) => !MAC.test(m))) errors.push(MSG.format);
        break;
      }
      case H.mfa:
        for (const item of raw.split(',')) {
          const r = parseKv(item);
          if (typeof r === 'string') {
            errors.push(r);
            break;
          }
          if (!['TOTP', 'AUTH_CODE', 'OTHER'].includes(r.get('type') ?? '')) errors.push('At least 1 value for type is missing or invalid');
          const ts = r.get('timestamp');
          if (!ts || !validTimestamp(ts, MFA_TIMESTAMP)) errors.push('At least 1 timestamp is missing or invalid');
          if (!r.get('unique-reference')) errors.push('At least 1 value for unique reference is missing');
        }
        break;
      case H.screens:
        for (const item of raw.split(',')) {
          const r = parseKv(item);
          if (typeof r === 'string') {
            errors.push(r);
            break;
          }
          if (!posInt(r.get('width')) || !posInt(r.get('height'))) errors.push('At least 1 screen is missing a valid width or height');
          const sf = r.get('scaling-factor');
          if (!sf || !/^\d+(\.\d+)?$/.test(sf) || Number(sf) <= 0) errors.push('At least 1 screen is missing a value for scaling factor');
          if (!posInt(r.get('colour-depth'))) errors.push('At least 1 screen is missing a value for colour depth');
        }
        break;
      case H.window: {
        const r = kv();
        if (r && (!posInt(r.get('width')) || !posInt(r.get('height')))) errors.push('Width and height must be positive integers');
        break;
      }
      case H.userAgent: {
        const r = kv();
        if (r) {
          const need: [string, string][] = [
            ['os-family', 'OS family'],
            ['os-version', 'OS version'],
            ['device-manufacturer', 'device manufacturer'],
            ['device-model', 'device model'],
          ];
          for (const [k, label] of need) if (!r.get(k)) errors.push(`At least 1 value for ${label} is missing`);
        }
        break;
      }
      case H.userIds: {
        const r = kv();
        if (r && method) {
          if (NEEDS_OS.has(method) && !r.get('os')) errors.push('Value for os is missing. It is required for your connection method.');
          if (!NEEDS_OS.has(method) && r.has('os')) {
            warnings.push(
              method === 'WEB_APP_VIA_SERVER'
                ? 'Check you are using the correct Gov-Client-Connection-Method. Web applications do not usually provide the os field as browsers do not expose this information.'
                : 'Check you are using the correct Gov-Client-Connection-Method. Mobile applications do not usually provide the os field.',
            );
          }
        }
        break;
      }
      case H.publicIp:
      case H.vendorIp:
        if (isIP(raw) === 0) errors.push(MSG.notIp);
        else if (!isPublicIp(raw)) errors.push(MSG.notPublicIp);
        break;
      case H.publicPort:
        if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535 || raw === '80' || raw === '443')
          errors.push('Value must be a port number between 1 and 65535, but not 80 or 443');
        break;
      case H.forwarded:
        for (const item of raw.split(',')) {
          const r = parseKv(item);
          if (typeof r === 'string') {
            errors.push(r);
            break;
          }
          if (!r.get('by')) errors.push("At least 1 value for 'by' is missing");
          if (!r.get('for')) errors.push("At least 1 value for 'for' is missing");
          for (const ip of [r.get('by'), r.get('for')]) if (ip && isIP(ip) === 0) errors.push(MSG.notIp);
        }
        break;
      case H.license: {
        const r = kv();
        if (r && [...r.values()].some((v) => !v)) errors.push(MSG.format);
        break;
      }
      case H.product: {
        const v = decode(raw);
        if (v === undefined || /\s/.test(raw)) errors.push('Value must be percent encoded');
        else if (PLACEHOLDERS.has(v.toLowerCase())) errors.push(MSG.placeholder);
        break;
      }
      case H.version: {
        const r = kv();
        if (r) {
          if ([...r.values()].some((v) => !v)) errors.push(MSG.format);
          else if (method && VIA_SERVER.has(method) && r.size < 2) warnings.push(MSG.versions);
        }
        break;
      }
      default:
        if (PLACEHOLDERS.has(raw.toLowerCase())) errors.push(MSG.placeholder);
    }
  const dedupe = (a: string[]) => [...new Set(a)];
  return [
    ...dedupe(errors).map((message): Finding => ({ severity: 'error', code: 'INVALID_HEADER', message, headers: [name] })),
    ...dedupe(warnings).map((message): Finding => ({ severity: 'warning', code: 'POTENTIALLY_INVALID_HEADER', message, headers: [name] })),
  ];
}

/** Lower-cases names and drops undefined values. Array values (repeated headers) are joined HTTP-style. */
function normalise(headers: Record<string, string | string[] | undefined>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out.set(k.toLowerCase(), Array.isArray(v) ? v.join(',') : v);
  }
  return out;
}

/** Full analysis: the validate-API result plus the per-header breakdown validation-feedback needs. */
export function analyseFraudHeaders(input: Record<string, string | string[] | undefined>): FraudAnalysis {
  const all = normalise(input);
  const gov = new Map([...all].filter(([k]) => k.startsWith('gov-') && k !== TEST_SCENARIO_HEADER));
  const findings: Finding[] = [];
  const methodRaw = gov.get(H.method)?.trim();
  const method = CONNECTION_METHODS.find((m) => m === methodRaw);

  if (gov.size === 0) {
    return {
      result: {
        specVersion: FRAUD_SPEC_VERSION,
        code: 'INVALID_HEADERS',
        message: 'No fraud prevention headers submitted. These are required by law. Check the specification.',
        errors: [],
        warnings: [],
      },
      requestCode: 'NO_HEADERS',
      headers: [],
      crossValidation: [],
    };
  }

  if (methodRaw === undefined) findings.push({ severity: 'error', code: 'MISSING_HEADER', message: MSG.required, headers: [H.method] });
  else if (methodRaw === '') findings.push({ severity: 'error', code: 'EMPTY_HEADER', message: MSG.empty, headers: [H.method] });
  else if (!method)
    findings.push({
      severity: 'error',
      code: 'INVALID_HEADER',
      message: `Value must be one of: ${CONNECTION_METHODS.join(', ')}`,
      headers: [H.method],
    });

  const required = method ? requiredHeaders(method) : [];
  for (const name of required) {
    if (name === H.method) continue;
    const v = gov.get(name);
    if (v === undefined) findings.push({ severity: 'error', code: 'MISSING_HEADER', message: MSG.required, headers: [name] });
    else if (v.trim() === '') {
      // An empty Multi-Factor is a warning: it can be right for password-only sign-in (I36).
      if (name === H.mfa) findings.push({ severity: 'warning', code: 'EMPTY_HEADER', message: MSG.mfaEmpty, headers: [name] });
      else findings.push({ severity: 'error', code: 'EMPTY_HEADER', message: MSG.empty, headers: [name] });
    }
  }
  for (const [name, value] of gov) {
    if (name === H.method) continue;
    if (!KNOWN.has(name)) {
      findings.push({ severity: 'warning', code: 'UNEXPECTED_HEADER', message: MSG.unexpected, headers: [name] });
      continue;
    }
    if (value.trim() === '') continue; // reported above when required; optional empties are allowed
    findings.push(...checkValue(name, value.trim(), method));
  }

  // Cross-header check: the first hop must be (by=Vendor-Public-IP, for=Client-Public-IP).
  const crossValidation: FraudAnalysis['crossValidation'] = [];
  const fwd = gov.get(H.forwarded);
  const cip = gov.get(H.publicIp);
  const vip = gov.get(H.vendorIp);
  if (fwd && cip && vip) {
    const hops = fwd.split(',').map((h) => parseKv(h));
    const ok = hops.some((h) => typeof h !== 'string' && h.get('by') === vip.trim() && h.get('for') === cip.trim());
    const headers = [H.forwarded, H.vendorIp, H.publicIp];
    if (!ok) findings.push({ severity: 'error', code: 'INVALID_HEADERS', message: MSG.forwarded, headers });
    crossValidation.push({ headers, code: ok ? 'VALID_HEADERS' : 'INVALID_HEADERS', errors: ok ? [] : [MSG.forwarded] });
  }

  const issue = (f: Finding): FraudIssue => ({ code: f.code, message: f.message, headers: f.headers });
  const errors = findings.filter((f) => f.severity === 'error').map(issue);
  const warnings = findings.filter((f) => f.severity === 'warning').map(issue);
  const code: FraudCode = errors.length ? 'INVALID_HEADERS' : warnings.length ? 'POTENTIALLY_INVALID_HEADERS' : 'VALID_HEADERS';
  const message =
    code === 'VALID_HEADERS'
      ? 'All headers required for your connection method have been supplied and all appear to be valid. Validation is based on a single request. We have access to all requests and can draw additional conclusions.'
      : code === 'INVALID_HEADERS'
        ? 'At least 1 header is invalid'
        : 'At least 1 header is potentially invalid';

  // Per-header breakdown for validation-feedback.
  const names = new Set<string>([...required, ...gov.keys()]);
  if (methodRaw === undefined) names.add(H.method);
  const perHeader: HeaderFeedback[] = [];
  for (const name of names) {
    const single = findings.filter((f) => f.headers.length === 1 && f.headers[0] === name);
    const errs = single.filter((f) => f.severity === 'error');
    const warns = single.filter((f) => f.severity === 'warning');
    let hcode: HeaderFeedback['code'] = 'VALID_HEADER';
    if (errs.some((f) => f.code === 'MISSING_HEADER')) hcode = 'MISSING_HEADER';
    else if (errs.length) hcode = 'INVALID_HEADER';
    else if (warns.some((f) => f.code === 'UNEXPECTED_HEADER')) hcode = 'UNEXPECTED_HEADER';
    else if (warns.length) hcode = 'POTENTIALLY_INVALID_HEADER';
    const fb: HeaderFeedback = { header: name, code: hcode, errors: errs.map((f) => f.message), warnings: warns.map((f) => f.message) };
    const value = gov.get(name);
    if (value !== undefined) fb.value = value;
    perHeader.push(fb);
  }
  const scenario = all.get(TEST_SCENARIO_HEADER);
  if (scenario !== undefined) perHeader.push({ header: TEST_SCENARIO_HEADER, value: scenario, code: 'TEST_SCENARIO_HEADER', errors: [], warnings: [] });

  return {
    result: { specVersion: FRAUD_SPEC_VERSION, code, message, errors, warnings },
    requestCode: code,
    connectionMethod: methodRaw,
    headers: perHeader,
    crossValidation,
  };
}

/** The Test Fraud Prevention Headers API's `validate` answer for a set of request headers. */
export function validateFraudHeaders(headers: Record<string, string | undefined>): FraudValidationResult {
  return analyseFraudHeaders(headers).result;
}
