/**
 * Editing a web application as the D365 "Web applications" page does: its non-secret fields (with the
 * schema's validation and the URL rules) and its credentials (encrypted). The views with token state
 * are auth/web-app-views.ts.
 */
import type { Context } from '../context.js';
import { UsageError, ValidationError } from '../errors.js';
import { loadSchemas } from '../schema/registry.js';
import { normalizeValue } from '../schema/normalize.js';
import type { EntitySchema } from '../schema/types.js';
import { audit } from '../store/audit.js';
import { updateRecordData } from '../store/records.js';
import { writeSecret } from '../vault/secrets.js';
import { findWebAppRecord, WEB_APP_ENTITY as ENTITY } from './web-app.js';
import { checkRedirectUrl, checkServiceUrl } from './urls.js';
import { EDITABLE_FIELDS } from './web-app-fields.js';

function schema(): EntitySchema {
  return loadSchemas().byId(ENTITY);
}

/** Stores new credentials encrypted. Only the fields given change; values never reach the audit log. */
export async function setCredentials(ctx: Context, name: string, values: { clientId?: string; clientSecret?: string }): Promise<{ name: string; changed: string[] }> {
  const record = findWebAppRecord(ctx, name);
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

/** Changes non-secret fields after the schema's validation plus the URL rules `verify` applies. */
export function updateWebApp(ctx: Context, name: string, changes: Record<string, string>): { name: string; changed: Record<string, { from: string; to: string }> } {
  const record = findWebAppRecord(ctx, name);
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
