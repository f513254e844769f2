/**
 * The D365 "Web applications" page as views: every field, the secret fields only as "set (encrypted)" /
 * "not set", and the token state ("Access token will expire in 3 h 59 min").
 */
import type { Context } from '../context.js';
import { formatDuration } from '../lib/duration.js';
import { loadSchemas } from '../schema/registry.js';
import type { StoredRecord } from '../store/records.js';
import { listRecords } from '../store/records.js';
import { hasSecret } from '../store/secrets.js';
import { listTokenMeta, type TokenMeta } from '../store/tokens.js';
import { findWebAppRecord, WEB_APP_ENTITY as ENTITY, webAppRecordFields, type WebAppRecordFields } from '../setup/web-app.js';
import { refreshHorizon, tokenState, type TokenState } from './status.js';

/** The web-apps page: the record's fields as stored (webAppRecordFields) plus secret and token status. */
export interface WebAppView extends WebAppRecordFields {
  clientIdSet: boolean;
  clientSecretSet: boolean;
  serverTokenSet: boolean;
  tokenExpiresAt: string | null;
  /** none | valid | expired (the 18-month authority passed) | revoked (HMRC refused the grant). */
  state: TokenState;
  /** "Access token will expire in 3 h 59 min" / "Access token has expired" / null without tokens. */
  tokenStatus: string | null;
  grantedAt: string | null;
  refreshHorizonAt: string | null;
  scope: string | null;
  /** Every non-secret field by its entity field name (what D365 shows on the page). */
  fields: Record<string, string>;
}

export function tokenStatusLine(expiresAt: string, now: Date = new Date(), state: TokenState = 'valid'): string {
  if (state === 'revoked') return 'Authorization revoked by HMRC (invalid_grant): authorize again';
  if (state === 'expired') return 'Authority expired (18 months): authorize again';
  const left = new Date(expiresAt).getTime() - now.getTime();
  return left > 0 ? `Access token will expire in ${formatDuration(left)}` : 'Access token has expired';
}

function schema() {
  return loadSchemas().byId(ENTITY);
}

function view(ctx: Context, record: StoredRecord, tokens: TokenMeta[], now: Date): WebAppView {
  const s = schema();
  const mapped = webAppRecordFields(record);
  const fields: Record<string, string> = {};
  for (const f of s.fields) if (!f.secret) fields[f.name] = record.data[f.name] ?? '';
  const secretSet = (field: string) => hasSecret(ctx.db, ctx.company, ENTITY, record.key, field);
  const token = tokens.find((t) => t.app === mapped.name);
  const state = tokenState(token, now.getTime());
  return {
    ...mapped,
    clientIdSet: secretSet('CLIENTID'),
    clientSecretSet: secretSet('CLIENTSECRET'),
    serverTokenSet: secretSet('SERVERTOKEN'),
    tokenExpiresAt: token?.accessExpiresAt ?? null,
    state,
    tokenStatus: token ? tokenStatusLine(token.accessExpiresAt, now, state) : null,
    grantedAt: token?.grantedAt ?? null,
    refreshHorizonAt: token ? refreshHorizon(token.grantedAt) : null,
    scope: token?.scope ?? null,
    fields,
  };
}

export function listWebApps(ctx: Context, now: Date = new Date()): WebAppView[] {
  const tokens = listTokenMeta(ctx.db, ctx.company);
  return listRecords(ctx.db, ctx.company, ENTITY).map((r) => view(ctx, r, tokens, now));
}


export function showWebApp(ctx: Context, name: string, now: Date = new Date()): WebAppView {
  return view(ctx, findWebAppRecord(ctx, name), listTokenMeta(ctx.db, ctx.company), now);
}

