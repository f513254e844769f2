/**
 * Fraud-prevention headers (HMRC specification v3.3: https://developer.service.hmrc.gov.uk/guides/fraud-prevention/), legally required on every
 * VAT API call.
 *
 * Connection method: mtdvat is a program on the user's own machine that calls HMRC directly, so it
 * sends DESKTOP_APP_DIRECT. OTHER_DIRECT is the documented alternative for a run with no GUI at all
 * (it drops Screens and Window-Size); choose it with MTDVAT_FPH_CONNECTION_METHOD=OTHER_DIRECT.
 *
 * Values are collected fresh for every request (local IPs with their timestamp in particular).
 * Where a value cannot be read, mtdvat uses a documented fallback, never a placeholder like "null":
 *   - Screens: MTDVAT_FPH_SCREENS (the header's own format), else `xrandr` when $DISPLAY is set,
 *     else `width=1920&height=1080&scaling-factor=1&colour-depth=24` (a common desktop).
 *   - Window-Size: MTDVAT_FPH_WINDOW_SIZE (`width=W&height=H`), else the terminal's size at
 *     8×16 pixels per character cell, else the first screen's size.
 *   - User-Agent device manufacturer/model: DMI (/sys/class/dmi/id) or the device tree; else the CPU
 *     vendor and the machine architecture (e.g. GenuineIntel / x86_64), as containers and VMs have no DMI.
 *   - Multi-Factor: mtdvat has no sign-in of its own, so there is no factor to report; the header is
 *     sent empty, which HMRC's validator flags as a warning asking you to tell HMRC why.
 *   - License-IDs: mtdvat is free software with no licence key; it sends a SHA-256 of a random
 *     per-installation ID (kept in the store) so the value is stable and hashed, as the spec asks.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { childEnv } from '../lib/child-env.js';
import * as os from 'node:os';
import type { Context } from '../context.js';
import { getMeta, setMeta } from '../store/db.js';
import { audit } from '../store/audit.js';
import { hasConsent, writeConsent } from '../store/consents.js';
import { UsageError } from '../errors.js';
import { mtdvatVersion } from '../version.js';

export type FphConnectionMethod = 'DESKTOP_APP_DIRECT' | 'OTHER_DIRECT';
export const FPH_CONSENT_KIND = 'fraud-headers';
export const DEVICE_ID_META = 'fph.device_id';
export const LICENSE_ID_META = 'fph.license_id';
export const DEFAULT_SCREEN = { width: 1920, height: 1080, scalingFactor: 1, colourDepth: 24 };
export const PRODUCT_NAME = 'mtdvat';

export interface Screen {
  width: number;
  height: number;
  scalingFactor: number;
  colourDepth: number;
}

/** The raw (unencoded) values; encodeFraudHeaders turns them into wire headers. */
export interface FraudValues {
  connectionMethod: FphConnectionMethod;
  deviceId: string;
  userIds: Record<string, string>;
  /** UTC±hh:mm */
  timezone: string;
  localIps: string[];
  localIpsTimestamp: string;
  macAddresses: string[];
  /** Empty: mtdvat has no sign-in of its own (see file comment). */
  multiFactor: { type: string; timestamp: string; uniqueReference: string }[];
  screens: Screen[];
  windowSize: { width: number; height: number };
  userAgent: { osFamily: string; osVersion: string; deviceManufacturer: string; deviceModel: string };
  vendorVersion: Record<string, string>;
  vendorProductName: string;
  vendorLicenseIds: Record<string, string>;
  /** Where each fallback came from, for the consent screen and `fph show`. */
  sources: Record<string, string>;
}

// ---------- encoding (pure) ----------

/** RFC 3986 percent-encoding: everything but A-Z a-z 0-9 - . _ ~ (encodeURIComponent leaves !'()* alone). */
export function pct(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** `k1=v1&k2=v2`: keys and values encoded, separators not. */
export function kv(pairs: Record<string, string | number> | [string, string | number][]): string {
  const entries = Array.isArray(pairs) ? pairs : Object.entries(pairs);
  return entries.map(([k, v]) => `${pct(k)}=${pct(String(v))}`).join('&');
}

/** `v1,v2`: values encoded, commas not; empty values dropped (the spec forbids them). */
export function list(values: string[]): string {
  return values.filter((v) => v !== '').map(pct).join(',');
}

/** Number text without exponent or trailing noise (scaling factors like 1.25). */
function num(n: number): string {
  return String(Number(n.toPrecision(6)));
}

export function timezoneOf(offsetMinutesEastOfUtc: number): string {
  const sign = offsetMinutesEastOfUtc < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutesEastOfUtc);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The wire headers, encoded exactly as spec v3.3 says (https://developer.service.hmrc.gov.uk/guides/fraud-prevention/). Pure: same values → same headers. */
export function encodeFraudHeaders(v: FraudValues): Record<string, string> {
  const h: Record<string, string> = {
    'Gov-Client-Connection-Method': v.connectionMethod,
    'Gov-Client-Device-ID': v.deviceId,
    'Gov-Client-User-IDs': kv(v.userIds),
    'Gov-Client-Timezone': v.timezone,
    'Gov-Client-Local-IPs': list(v.localIps),
    'Gov-Client-Local-IPs-Timestamp': v.localIpsTimestamp,
    'Gov-Client-MAC-Addresses': list(v.macAddresses),
    'Gov-Client-Multi-Factor': v.multiFactor
      .map((m) => kv([['type', m.type], ['timestamp', m.timestamp], ['unique-reference', m.uniqueReference]]))
      .join(','),
    'Gov-Client-User-Agent': kv([
      ['os-family', v.userAgent.osFamily],
      ['os-version', v.userAgent.osVersion],
      ['device-manufacturer', v.userAgent.deviceManufacturer],
      ['device-model', v.userAgent.deviceModel],
    ]),
    'Gov-Vendor-Version': kv(v.vendorVersion),
    'Gov-Vendor-Product-Name': pct(v.vendorProductName),
    'Gov-Vendor-License-IDs': kv(v.vendorLicenseIds),
  };
  if (v.connectionMethod === 'DESKTOP_APP_DIRECT') {
    h['Gov-Client-Screens'] = v.screens
      .map((s) => kv([['width', s.width], ['height', s.height], ['scaling-factor', num(s.scalingFactor)], ['colour-depth', s.colourDepth]]))
      .join(',');
    h['Gov-Client-Window-Size'] = kv([['width', v.windowSize.width], ['height', v.windowSize.height]]);
  }
  return h;
}

// ---------- collection ----------

function readText(path: string): string | undefined {
  try {
    // Device-tree strings end with NUL.
    const s = readFileSync(path, 'utf8').replace(/\0/g, '').trim();
    return s || undefined;
  } catch {
    return undefined;
  }
}

function osFamily(): string {
  const t = os.type();
  if (t === 'Darwin') return 'macOS';
  if (t === 'Windows_NT') return 'Windows';
  return t; // Linux, FreeBSD, …
}

function deviceInfo(sources: Record<string, string>): { manufacturer: string; model: string } {
  let manufacturer = readText('/sys/class/dmi/id/sys_vendor');
  let model = readText('/sys/class/dmi/id/product_name');
  if (manufacturer && model) {
    sources.userAgent = 'DMI';
    return { manufacturer, model };
  }
  model ??= readText('/sys/firmware/devicetree/base/model');
  if (process.platform === 'darwin') {
    manufacturer ??= 'Apple Inc.';
    const r = spawnSync('sysctl', ['-n', 'hw.model'], { encoding: 'utf8', timeout: 1000 });
    if (r.status === 0 && r.stdout.trim()) model ??= r.stdout.trim();
  }
  if (!manufacturer) {
    const cpuinfo = readText('/proc/cpuinfo');
    manufacturer = cpuinfo ? /^vendor_id\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() : undefined;
    manufacturer ??= os.cpus()[0]?.model?.split(/\s+/)[0];
  }
  sources.userAgent = 'fallback: CPU vendor and machine architecture (no DMI)';
  return { manufacturer: manufacturer || os.arch(), model: model || os.machine() };
}

/** All local IPv4/IPv6 addresses (loopback only if there is nothing else) and MAC addresses. */
export function networkValues(): { ips: string[]; macs: string[] } {
  const ifaces = os.networkInterfaces();
  const ips: string[] = [];
  const loop: string[] = [];
  const macs: string[] = [];
  for (const list of Object.values(ifaces)) {
    for (const a of list ?? []) {
      (a.internal ? loop : ips).push(a.address);
      if (!a.internal && a.mac && a.mac !== '00:00:00:00:00:00' && !macs.includes(a.mac)) macs.push(a.mac);
    }
  }
  return { ips: [...new Set(ips.length ? ips : loop)], macs };
}

function parseScreensEnv(value: string): Screen[] | undefined {
  const screens: Screen[] = [];
  for (const item of value.split(',')) {
    const m = new Map(item.split('&').map((p) => p.split('=') as [string, string]));
    const w = Number(m.get('width'));
    const h = Number(m.get('height'));
    if (!(w > 0 && h > 0)) return undefined;
    screens.push({ width: w, height: h, scalingFactor: Number(m.get('scaling-factor')) || 1, colourDepth: Number(m.get('colour-depth')) || 24 });
  }
  return screens.length ? screens : undefined;
}

function xrandrScreens(env: NodeJS.ProcessEnv): Screen[] | undefined {
  if (!env.DISPLAY) return undefined;
  const r = spawnSync('xrandr', ['--query'], { encoding: 'utf8', timeout: 1500, env: childEnv(env) });
  if (r.status !== 0 || !r.stdout) return undefined;
  const scale = Number(env.GDK_SCALE) || 1;
  const screens: Screen[] = [];
  for (const m of r.stdout.matchAll(/ connected (?:primary )?(\d+)x(\d+)\+\d+\+\d+/g)) {
    screens.push({ width: Number(m[1]), height: Number(m[2]), scalingFactor: scale, colourDepth: 24 });
  }
  return screens.length ? screens : undefined;
}

export interface CollectOptions {
  connectionMethod?: FphConnectionMethod;
  /** Clock for the timestamp (tests). */
  now?: () => Date;
}

/** Collects every value fresh (call it once per request). Creates the device ID on first use. */
export function collectFraudValues(ctx: Context, options: CollectOptions = {}): FraudValues {
  const env = ctx.env;
  const method = options.connectionMethod ?? connectionMethodFromEnv(env);
  const sources: Record<string, string> = {};
  let deviceId = getMeta(ctx.db, DEVICE_ID_META);
  if (!deviceId || !/^[0-9a-f-]{36}$/i.test(deviceId)) {
    deviceId = randomUUID();
    setMeta(ctx.db, DEVICE_ID_META, deviceId);
  }
  let licenseSeed = getMeta(ctx.db, LICENSE_ID_META);
  if (!licenseSeed) {
    licenseSeed = randomUUID();
    setMeta(ctx.db, LICENSE_ID_META, licenseSeed);
  }
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = env.USER ?? env.USERNAME ?? '';
  }
  const now = options.now?.() ?? new Date();
  const net = networkValues();

  let screens = env.MTDVAT_FPH_SCREENS ? parseScreensEnv(env.MTDVAT_FPH_SCREENS) : undefined;
  if (screens) sources.screens = 'MTDVAT_FPH_SCREENS';
  else if ((screens = xrandrScreens(env))) sources.screens = 'xrandr';
  else {
    screens = [{ ...DEFAULT_SCREEN }];
    sources.screens = 'fallback: no display detected, a 1920×1080 desktop is assumed';
  }
  let windowSize: { width: number; height: number } | undefined;
  const ws = env.MTDVAT_FPH_WINDOW_SIZE ? /^width=(\d+)&height=(\d+)$/.exec(env.MTDVAT_FPH_WINDOW_SIZE) : null;
  if (ws && Number(ws[1]) > 0 && Number(ws[2]) > 0) {
    windowSize = { width: Number(ws[1]), height: Number(ws[2]) };
    sources.windowSize = 'MTDVAT_FPH_WINDOW_SIZE';
  } else if (process.stderr.isTTY && process.stderr.columns && process.stderr.rows) {
    windowSize = { width: process.stderr.columns * 8, height: process.stderr.rows * 16 };
    sources.windowSize = 'terminal size at 8×16 px per cell';
  } else {
    windowSize = { width: screens[0].width, height: screens[0].height };
    sources.windowSize = 'fallback: no terminal, the first screen size';
  }
  const device = deviceInfo(sources);
  return {
    connectionMethod: method,
    deviceId,
    userIds: user ? { os: user } : {},
    timezone: timezoneOf(-now.getTimezoneOffset()),
    localIps: net.ips,
    localIpsTimestamp: now.toISOString(),
    macAddresses: net.macs,
    multiFactor: [],
    screens,
    windowSize,
    userAgent: { osFamily: osFamily(), osVersion: os.release(), deviceManufacturer: device.manufacturer, deviceModel: device.model },
    vendorVersion: { mtdvat: mtdvatVersion() },
    vendorProductName: PRODUCT_NAME,
    vendorLicenseIds: { mtdvat: createHash('sha256').update(licenseSeed).digest('hex') },
    sources,
  };
}

export function connectionMethodFromEnv(env: NodeJS.ProcessEnv): FphConnectionMethod {
  const v = env.MTDVAT_FPH_CONNECTION_METHOD?.trim().toUpperCase();
  if (!v || v === 'DESKTOP_APP_DIRECT') return 'DESKTOP_APP_DIRECT';
  if (v === 'OTHER_DIRECT') return 'OTHER_DIRECT';
  throw new UsageError(`MTDVAT_FPH_CONNECTION_METHOD must be DESKTOP_APP_DIRECT or OTHER_DIRECT, got "${env.MTDVAT_FPH_CONNECTION_METHOD}"`);
}

/** Fresh headers for one request. */
export function fraudHeadersFor(ctx: Context, options: CollectOptions = {}): Record<string, string> {
  return encodeFraudHeaders(collectFraudValues(ctx, options));
}

// ---------- consent ----------

export function hasFraudConsent(ctx: Context): boolean {
  return hasConsent(ctx.db, FPH_CONSENT_KIND);
}

/** The text shown before the first HMRC call: what is sent and why. */
export function describeFraudHeaders(headers: Record<string, string>, values?: FraudValues): string {
  const lines = [
    'HMRC requires fraud prevention data with every VAT API call (HMRC fraud prevention specification v3.3).',
    'mtdvat will send these headers, collected fresh for each request:',
    ...Object.entries(headers).map(([k, v]) => `  ${k}: ${v === '' ? '(empty)' : v}`),
  ];
  if (values) for (const [k, s] of Object.entries(values.sources)) lines.push(`  note: ${k} from ${s}`);
  return lines.join('\n');
}

export interface ConsentIo {
  /** --yes was given. */
  yes?: boolean;
  /** Shows text (stderr). */
  show: (text: string) => void;
  /** Asks yes/no; throws when it cannot ask (no terminal). */
  ask: (question: string) => Promise<boolean>;
}

/** First use: show what is sent and ask (or take --yes); recorded in `consents` (kind 'fraud-headers'). */
export async function ensureFraudConsent(ctx: Context, io: ConsentIo): Promise<void> {
  if (hasFraudConsent(ctx)) return;
  const values = collectFraudValues(ctx);
  io.show(describeFraudHeaders(encodeFraudHeaders(values), values));
  let how: string;
  if (io.yes) how = '--yes';
  else {
    const ok = await io.ask('Send this fraud prevention data to HMRC with every request?');
    if (!ok) throw new UsageError('fraud prevention data is required by law for HMRC VAT calls; nothing was sent');
    how = 'prompt';
  }
  let by = '';
  try {
    by = os.userInfo().username;
  } catch {
    by = ctx.env.USER ?? 'unknown';
  }
  writeConsent(ctx.db, { kind: FPH_CONSENT_KIND, grantedBy: by, grantedAt: new Date().toISOString() }, { how, connectionMethod: values.connectionMethod });
  audit(ctx.db, { category: 'auth', company: ctx.company, event: 'consent granted', detail: { kind: FPH_CONSENT_KIND, grantedBy: by, how } });
}
