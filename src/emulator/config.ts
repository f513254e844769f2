/**
 * Reads a sandbox config file for `mtdvat sandbox --config FILE`:
 *   { "clients": [{clientId, clientSecret, applicationName?, redirectUris?}],
 *     "testUsers": [{userId, password, vrn, organisationName?}],
 *     "rateLimitPerSecond": 3,
 *     "payments": [{vrn, amount, received}] }
 * Every key is optional; missing ones fall back to the emulator defaults.
 * Error messages name the file and the offending key but never echo secret values.
 */
import { readFileSync } from 'node:fs';
import { MtdvatError } from '../errors.js';
import type { SandboxClient, SandboxOptions, SandboxPayment, SandboxTestUser } from './server.js';
import { isIsoDate } from '../lib/dates.js';
import { isVrnFormat } from '../lib/vrn.js';

function fail(file: string, message: string): never {
  throw new MtdvatError(`sandbox config ${file}: ${message}`, { file });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

export function loadSandboxConfig(file: string): SandboxOptions {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(file, code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? 'unknown error'})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail(file, `not valid JSON (${(e as Error).message})`);
  }
  if (!isObj(raw)) fail(file, 'the top level must be a JSON object');
  const known = new Set(['clients', 'testUsers', 'rateLimitPerSecond', 'payments']);
  for (const k of Object.keys(raw)) if (!known.has(k)) fail(file, `unknown key "${k}" (allowed: ${[...known].join(', ')})`);

  const opts: SandboxOptions = {};
  if (raw.clients !== undefined) {
    if (!Array.isArray(raw.clients) || raw.clients.length === 0) fail(file, '"clients" must be a non-empty array');
    const seen = new Set<string>();
    opts.clients = raw.clients.map((c, i): SandboxClient => {
      const where = `clients[${i}]`;
      if (!isObj(c)) fail(file, `${where} must be an object`);
      if (!nonEmpty(c.clientId)) fail(file, `${where}.clientId must be a non-empty string`);
      if (!nonEmpty(c.clientSecret)) fail(file, `${where}.clientSecret must be a non-empty string`);
      if (seen.has(c.clientId)) fail(file, `${where}.clientId "${c.clientId}" is listed twice`);
      seen.add(c.clientId);
      if (c.applicationName !== undefined && !nonEmpty(c.applicationName)) fail(file, `${where}.applicationName must be a non-empty string`);
      if (c.redirectUris !== undefined && (!Array.isArray(c.redirectUris) || !c.redirectUris.every(nonEmpty))) {
        fail(file, `${where}.redirectUris must be an array of non-empty strings`);
      }
      const client: SandboxClient = { clientId: c.clientId, clientSecret: c.clientSecret };
      if (c.applicationName !== undefined) client.applicationName = c.applicationName as string;
      if (c.redirectUris !== undefined) client.redirectUris = c.redirectUris as string[];
      return client;
    });
  }
  if (raw.testUsers !== undefined) {
    if (!Array.isArray(raw.testUsers)) fail(file, '"testUsers" must be an array');
    const seen = new Set<string>();
    opts.testUsers = raw.testUsers.map((u, i): SandboxTestUser => {
      const where = `testUsers[${i}]`;
      if (!isObj(u)) fail(file, `${where} must be an object`);
      if (!nonEmpty(u.userId)) fail(file, `${where}.userId must be a non-empty string`);
      if (!nonEmpty(u.password)) fail(file, `${where}.password must be a non-empty string`);
      if (typeof u.vrn !== 'string' || !isVrnFormat(u.vrn)) fail(file, `${where}.vrn must be a string of exactly 9 digits`);
      if (seen.has(u.userId)) fail(file, `${where}.userId "${u.userId}" is listed twice`);
      seen.add(u.userId);
      if (u.organisationName !== undefined && !nonEmpty(u.organisationName)) fail(file, `${where}.organisationName must be a non-empty string`);
      const user: SandboxTestUser = { userId: u.userId, password: u.password, vrn: u.vrn };
      if (u.organisationName !== undefined) user.organisationName = u.organisationName as string;
      return user;
    });
  }
  if (raw.rateLimitPerSecond !== undefined) {
    const r = raw.rateLimitPerSecond;
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 1) fail(file, '"rateLimitPerSecond" must be a whole number of at least 1');
    opts.rateLimitPerSecond = r;
  }
  if (raw.payments !== undefined) {
    if (!Array.isArray(raw.payments)) fail(file, '"payments" must be an array');
    opts.payments = raw.payments.map((p, i): SandboxPayment => {
      const where = `payments[${i}]`;
      if (!isObj(p)) fail(file, `${where} must be an object`);
      if (typeof p.vrn !== 'string' || !isVrnFormat(p.vrn)) fail(file, `${where}.vrn must be a string of exactly 9 digits`);
      if (typeof p.amount !== 'number' || !(p.amount > 0) || Math.round(p.amount * 100) / 100 !== p.amount) {
        fail(file, `${where}.amount must be a positive number of pounds with at most 2 decimal places`);
      }
      if (typeof p.received !== 'string' || !isIsoDate(p.received)) fail(file, `${where}.received must be a date YYYY-MM-DD`);
      return { vrn: p.vrn, amount: p.amount, received: p.received };
    });
  }
  return opts;
}
