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
import { listRecords, updateRecordData } from '../store/records.js';
import { writeSecret } from '../vault/secrets.js';
import { findWebAppRecord, WEB_APP_ENTITY as ENTITY } from './web-app.js';
import { checkRedirectUrl, checkServiceUrl, originOf } from './urls.js';
import { EDITABLE_FIELDS } from './web-app-fields.js';
import { hasSecret, rebindSecrets } from '../store/secrets.js';
import { deletePending, deleteTokens, hasTokenState } from '../store/tokens.js';

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
    // Bound to the origin they are entered for: they are sent nowhere else.
    const origin = originOf(record.data.BASEURL ?? '') ?? null;
    for (const [field, value] of changes) writeSecret(ctx.db, vault, ctx.company, ENTITY, record.key, field, value, origin);
    audit(ctx.db, { category: 'auth', company: ctx.company, app: record.data.WEBAPPLICATIONNAME, event: 'credentials-set', detail: { fields: changes.map(([f]) => f) } });
  })();
  return { name: record.data.WEBAPPLICATIONNAME, changed: changes.map(([f]) => f) };
}

/** A base-URL change to another origin: what it means for the stored credentials and tokens. */
export interface OriginChange {
  from: string | undefined;
  to: string | undefined;
  hasCredentials: boolean;
  hasTokens: boolean;
}

/** undefined when `baseUrl` keeps the application's origin (or is invalid: updateWebApp says why). */
export function originChange(ctx: Context, name: string, baseUrl: string): OriginChange | undefined {
  const record = findWebAppRecord(ctx, name);
  const from = originOf(record.data.BASEURL ?? '');
  const to = originOf(baseUrl.trim());
  if (!to || from === to || !checkServiceUrl(baseUrl.trim()).ok) return undefined;
  const app = record.data.WEBAPPLICATIONNAME;
  return {
    from,
    to,
    hasCredentials: ['CLIENTID', 'CLIENTSECRET', 'SERVERTOKEN'].some((f) => hasSecret(ctx.db, ctx.company, ENTITY, record.key, f)),
    hasTokens: hasTokenState(ctx.db, ctx.company, app),
  };
}

/**
 * Changes non-secret fields after the schema's validation plus the URL rules `verify` applies.
 * A base URL on another origin needs `confirmedOriginChange` (the user said yes): the tokens (obtained
 * from the old origin) are dropped, and the credentials are bound to the new origin from then on.
 */
export function updateWebApp(
  ctx: Context,
  name: string,
  changes: Record<string, string>,
  options: { confirmedOriginChange?: boolean } = {},
): { name: string; changed: Record<string, { from: string; to: string }>; tokensDropped: boolean; servicesMoved: string[] } {
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
  const move = changed.BASEURL ? originChange(ctx, name, changed.BASEURL.to) : undefined;
  if (move && !options.confirmedOriginChange) {
    throw new UsageError(`--base-url moves "${record.data.WEBAPPLICATIONNAME}" from ${move.from ?? 'no origin'} to ${move.to}: confirm with --yes (its tokens are dropped and its credentials will be sent to ${move.to})`);
  }
  let tokensDropped = false;
  const servicesMoved: string[] = [];
  if (Object.keys(changed).length) {
    ctx.db.transaction(() => {
      if (move) {
        const app = record.data.WEBAPPLICATIONNAME;
        tokensDropped = deleteTokens(ctx.db, ctx.company, app);
        tokensDropped = deletePending(ctx.db, ctx.company, app) || tokensDropped;
        rebindSecrets(ctx.db, ctx.company, ENTITY, record.key, move.to!);
        // D365's "Copy base URL": the application's web services on the old origin follow it, or
        // they would no longer be on its origin (and verify would fail them).
        for (const ws of listRecords(ctx.db, ctx.company, 'WebService')) {
          const address = ws.data.INTERNETADDRESS ?? '';
          if (ws.data.WEBAPPLICATIONNAME !== app || !address || originOf(address) !== move.from) continue;
          const moved = move.to! + address.trim().slice(move.from!.length);
          updateRecordData(ctx.db, ctx.company, 'WebService', ws.key, { ...ws.data, INTERNETADDRESS: moved });
          servicesMoved.push(ws.key[0] ?? '');
        }
        audit(ctx.db, { category: 'auth', company: ctx.company, app, event: 'origin changed', detail: { from: move.from ?? null, to: move.to!, tokensDropped, servicesMoved } });
      }
      updateRecordData(ctx.db, ctx.company, ENTITY, record.key, data);
      audit(ctx.db, { category: 'auth', company: ctx.company, app: record.data.WEBAPPLICATIONNAME, event: 'web-app-updated', detail: { changed } });
    })();
  }
  return { name: record.data.WEBAPPLICATIONNAME, changed, tokensDropped, servicesMoved };
}
