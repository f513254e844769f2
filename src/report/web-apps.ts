/**
 * The D365 "Web applications" page as functions: list/show every field, with the secret fields only
 * as "set (encrypted)" / "not set", the token status line, and editing (credentials encrypted).
 */
import type { Context } from '../context.js';
import { UsageError, ValidationError } from '../errors.js';
import { formatDuration } from '../cli/output.js';
import { loadSchemas } from '../schema/registry.js';
import { normalizeValue } from '../schema/normalize.js';
import type { EntitySchema } from '../schema/types.js';
import { audit } from '../store/audit.js';
import { hasSecret, listRecords, updateRecordData, writeSecret, type StoredRecord } from '../store/records.js';
import { findWebAppRecord, WEB_APP_ENTITY as ENTITY, webAppRecordFields, type WebAppRecordFields } from '../auth/web-app.js';
import { checkRedirectUrl, checkServiceUrl } from './checks/urls.js';
import { refreshHorizon, tokenRows } from './checks/tokens.js';

/** The web-apps page: the record's fields as stored (webAppRecordFields) plus secret and token status. */
export interface WebAppView extends WebAppRecordFields {
  clientIdSet: boolean;
  clientSecretSet: boolean;
  serverTokenSet: boolean;
  tokenExpiresAt: string | null;
  /** "Access token will expire in 3 h 59 min" / "Access token has expired" / null without tokens. */
  tokenStatus: string | null;
  grantedAt: string | null;
  refreshHorizonAt: string | null;
  scope: string | null;
  /** Every non-secret field by its entity field name (what D365 shows on the page). */
  fields: Record<string, string>;
}

function schema(): EntitySchema {
  return loadSchemas().byId(ENTITY);
}

export function tokenStatusLine(expiresAt: string, now: Date = new Date()): string {
  const left = new Date(expiresAt).getTime() - now.getTime();
  return left > 0 ? `Access token will expire in ${formatDuration(left)}` : 'Access token has expired';
}

function view(ctx: Context, record: StoredRecord, tokens: ReturnType<typeof tokenRows>, now: Date): WebAppView {
  const s = schema();
  const mapped = webAppRecordFields(record);
  const fields: Record<string, string> = {};
  for (const f of s.fields) if (!f.secret) fields[f.name] = record.data[f.name] ?? '';
  const secretSet = (field: string) => hasSecret(ctx.db, ctx.company, ENTITY, record.key, field);
  const token = tokens.find((t) => t.app === mapped.name);
  return {
    ...mapped,
    clientIdSet: secretSet('CLIENTID'),
    clientSecretSet: secretSet('CLIENTSECRET'),
    serverTokenSet: secretSet('SERVERTOKEN'),
    tokenExpiresAt: token?.access_expires_at ?? null,
    tokenStatus: token ? tokenStatusLine(token.access_expires_at, now) : null,
    grantedAt: token?.granted_at ?? null,
    refreshHorizonAt: token ? refreshHorizon(token.granted_at).toISOString() : null,
    scope: token?.scope ?? null,
    fields,
  };
}

export function listWebApps(ctx: Context, now: Date = new Date()): WebAppView[] {
  const tokens = tokenRows({ ctx, company: ctx.company });
  return listRecords(ctx.db, ctx.company, ENTITY).map((r) => view(ctx, r, tokens, now));
}

/** The shared lookup (exact name, then the one case-insensitive match). */
export const findWebApp = findWebAppRecord;

export function showWebApp(ctx: Context, name: string, now: Date = new Date()): WebAppView {
  return view(ctx, findWebApp(ctx, name), tokenRows({ ctx, company: ctx.company }), now);
}

/** Stores new credentials encrypted. Only the fields given change; values never reach the audit log. */
export async function setCredentials(ctx: Context, name: string, values: { clientId?: string; clientSecret?: string }): Promise<{ name: string; changed: string[] }> {
  const record = findWebApp(ctx, name);
  const changes: [string, string][] = [];
  if (values.clientId !== undefined) changes.push(['CLIENTID', values.clientId.trim()]);
  if (values.clientSecret !== undefined) changes.push(['CLIENTSECRET', values.clientSecret.trim()]);
  if (!changes.length) throw new UsageError('nothing to set: give a client ID and/or a client secret');
  const s = schema();
  for (const [field, value] of changes) {
    if (value === '') throw new ValidationError(`the ${s.fields.find((f) => f.name === field)?.label?.toLowerCase() ?? field} is empty`, { entity: s.label, field });
    if (/[\r\n]/.test(value)) throw new ValidationError(`the ${field === 'CLIENTID' ? 'client ID' : 'client secret'} contains a line break`, { entity: s.label, field });
    const spec = s.fields.find((f) => f.name === field)!;
    const result = normalizeValue(spec, value);
    // normalizeValue's messages quote values; for secrets say only what is wrong.
    if ('error' in result) throw new ValidationError(`the ${spec.label ?? field} is too long or invalid`, { entity: s.label, field });
  }
  const vault = await ctx.vault({ create: true });
  ctx.db.transaction(() => {
    for (const [field, value] of changes) writeSecret(ctx.db, vault, ctx.company, ENTITY, record.key, field, value);
    audit(ctx.db, { category: 'auth', company: ctx.company, app: record.data.WEBAPPLICATIONNAME, event: 'credentials-set', detail: { fields: changes.map(([f]) => f) } });
  })();
  return { name: record.data.WEBAPPLICATIONNAME, changed: changes.map(([f]) => f) };
}

/** Editable non-secret fields and their CLI option names. */
export const EDITABLE_FIELDS: { option: string; field: string }[] = [
  { option: 'description', field: 'DESCRIPTION' },
  { option: 'base-url', field: 'BASEURL' },
  { option: 'authorization-path', field: 'AUTHORIZATIONURLPATH' },
  { option: 'token-path', field: 'TOKENURLPATH' },
  { option: 'redirect-url', field: 'REDIRECTURL' },
  { option: 'accept', field: 'ACCEPT' },
  { option: 'content-type', field: 'CONTENTTYPE' },
  { option: 'authorization-format-mapping', field: 'AUTHORIZATIONFORMATMAPPING' },
  { option: 'import-token-model-mapping', field: 'IMPORTTOKENMODELMAPPING' },
];

/** Changes non-secret fields after the schema's validation plus the URL rules `verify` applies. */
export function updateWebApp(ctx: Context, name: string, changes: Record<string, string>): { name: string; changed: Record<string, { from: string; to: string }> } {
  const record = findWebApp(ctx, name);
  const s = schema();
  if (!Object.keys(changes).length) throw new UsageError(`nothing to change: give at least one of ${EDITABLE_FIELDS.map((f) => `--${f.option}`).join(', ')}`);
  const data = { ...record.data };
  const changed: Record<string, { from: string; to: string }> = {};
  for (const [field, raw] of Object.entries(changes)) {
    const spec = s.fields.find((f) => f.name === field);
    if (!spec || spec.secret || s.key.includes(field)) throw new UsageError(`field ${field} cannot be changed with web-apps set`);
    const result = normalizeValue(spec, raw);
    if ('error' in result) throw new ValidationError(`${spec.label ?? field} ${result.error}`, { entity: s.label, key: record.data.WEBAPPLICATIONNAME, field });
    let value = result.value;
    if (field === 'BASEURL') {
      value = value.replace(/\/+$/, '');
      const v = checkServiceUrl(value);
      if (!v.ok) throw new ValidationError(`Base URL ${v.problem}`, { entity: s.label, key: record.data.WEBAPPLICATIONNAME, field });
    }
    if (field === 'REDIRECTURL') {
      const v = checkRedirectUrl(value);
      if (!v.ok) throw new ValidationError(`Redirect URL ${v.problem}`, { entity: s.label, key: record.data.WEBAPPLICATIONNAME, field });
    }
    if ((field === 'AUTHORIZATIONURLPATH' || field === 'TOKENURLPATH') && !value.startsWith('/')) {
      throw new ValidationError(`${spec.label} must start with "/"`, { entity: s.label, key: record.data.WEBAPPLICATIONNAME, field });
    }
    if ((data[field] ?? '') !== value) changed[field] = { from: data[field] ?? '', to: value };
    data[field] = value;
  }
  if (Object.keys(changed).length) {
    ctx.db.transaction(() => {
      updateRecordData(ctx.db, ctx.company, ENTITY, record.key, data);
      audit(ctx.db, { category: 'auth', company: ctx.company, app: record.data.WEBAPPLICATIONNAME, event: 'web-app-updated', detail: { changed } });
    })();
  }
  return { name: record.data.WEBAPPLICATIONNAME, changed };
}
