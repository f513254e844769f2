/**
 * Writes a complete UK MTD VAT setup straight into a store (no importer needed), so verify and
 * web-apps tests can start from a known-good state and break one thing at a time.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Context } from '../../src/context.js';
import { openContext } from '../../src/open-context.js';
import { loadSchemas } from '../../src/schema/registry.js';
import { encodeKey, keyValues } from '../../src/store/records.js';
import { writeSecret } from '../../src/vault/secrets.js';
import {
  ACTIONS,
  ADDITIONAL_FIELDS,
  EXECUTABLE_CLASSES,
  ITEM_STATUSES,
  ITEM_TYPES,
  MESSAGE_STATUSES,
  POPULATE_ACTION,
  PROCESSINGS,
  WEB_APPS,
  WEB_SERVICES,
} from '../../src/verify/mtd-expectations.js';

export const SECRETS = {
  prodClientId: 'Hf8sfkiUkYp9I3_R10qSnZ2ZUvoa',
  prodSecret: 'prod-secret-9f3c1e7a-5b2d-4e8f-a1c0-77d2b4e6f001',
  sandboxClientId: 'Zq1sandboxClientIdValue00001',
  sandboxSecret: 'sandbox-secret-3a9e5c1d-0f2b-4d6e-8c7a-19b3e5d7f002',
};

export function newKey(): string {
  return randomBytes(32).toString('base64');
}

export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'mtdvat-'));
}

export type SetupRecords = Record<string, Record<string, string>[]>;

const SOURCE = join(import.meta.dirname, '..', '..', 'packages-data', 'source');
function shipped(file: string): Record<string, string>[] {
  return (JSON.parse(readFileSync(join(SOURCE, file), 'utf8')) as { records: Record<string, string>[] }).records.map((r) => ({ ...r }));
}
const SHIPPED_ACTIONS = new Map(shipped('message-processing-actions.json').map((r) => [r.ACTION, r]));
const ITEM_STATUS_OF: Record<string, string> = Object.fromEntries(shipped('message-statuses.json').map((r) => [r.MESSAGESTATUS, r.MESSAGEITEMSTATUS]));
function pick(r: Record<string, string> | undefined, fields: string[]): Record<string, string> {
  return Object.fromEntries(fields.map((f) => [f, r?.[f] ?? '']));
}

/** The complete setup as plain records per entity id (fields upper case, canonical values). */
export function completeSetup(): SetupRecords {
  const yn = (b: boolean) => (b ? 'Yes' : 'No');
  const seq = (p: string, s: string | undefined) => (s ? `${p === 'UK MTD VAT TEST' ? 'Test ' : ''}${s[0].toUpperCase()}${s.slice(1)}` : '');
  return {
    MessageItemType: ITEM_TYPES.map((t) => ({ MESSAGEITEMTYPE: t, DESCRIPTION: t })),
    MessageItemStatus: ITEM_STATUSES.map((s) => ({ MESSAGEITEMSTATUS: s.name, DESCRIPTION: s.name, ALLOWDELETE: yn(s.allowDelete) })),
    MessageStatus: MESSAGE_STATUSES.map((s) => ({ MESSAGESTATUS: s.name, DESCRIPTION: s.name, MESSAGEITEMSTATUS: ITEM_STATUS_OF[s.name] ?? '', ALLOWDELETE: yn(s.allowDelete), RESPONSETYPE: s.name.startsWith('Error') ? 'TechnicalError' : 'Successfull' })),
    AdditionalField: ADDITIONAL_FIELDS.map((f) => ({ FIELDNAME: f.name, DESCRIPTION: f.name, USEREDIT: 'No', COUNTER: 'No', HIDDEN: yn(f.hidden) })),
    ExecutableClass: EXECUTABLE_CLASSES.map((c) => ({ EXECUTABLECLASS: c.name, DESCRIPTION: c.name, CLASSNAME: `EMMTD${c.name}Controller`, ACTIONTYPE: c.actionType })),
    PopulateRecordsAction: [{ NAME: POPULATE_ACTION.name, DESCRIPTION: POPULATE_ACTION.name }],
    PopulateRecordsDataSource: [{ POPULATERECORDSACTION: POPULATE_ACTION.name, COMPANY: '', ...POPULATE_ACTION.dataSource }],
    WebApplication: WEB_APPS.map((a) => ({
      WEBAPPLICATIONNAME: a.name,
      DESCRIPTION: `${a.name} <HMRC> & "friends"`,
      BASEURL: `https://${a.host}`,
      REDIRECTURL: 'urn:ietf:wg:oauth:2.0:oob',
      ...a.fields,
      ...Object.fromEntries(Object.entries(a.erMappings).map(([f, v]) => [f, v[0]])),
    })),
    WebService: WEB_SERVICES.map((s) => ({
      WEBSERVICE: s.name,
      DESCRIPTION: s.name,
      INTERNETADDRESS: `https://${WEB_APPS.find((a) => a.name === s.webApp)!.host}`,
      WEBAPPLICATIONNAME: s.webApp,
      REQUESTMETHOD: s.method,
      SUCCESSFULRESPONSECODE: s.successCode,
      USEADVANCEDPARAMETERS: 'No',
      ...s.fields,
    })),
    MessageProcessingAction: ACTIONS.map((a) => ({
      ACTION: a.name,
      DESCRIPTION: a.name,
      ACTIONTYPE: a.types[0],
      EXECUTABLECLASS: a.executableClass ?? '',
      WEBSERVICE: a.webService ?? '',
      MESSAGEITEMTYPE: a.itemType ?? '',
      ACTIONPOPULATERECORD: a.populateAction ?? '',
      // What the Electronic messages runtime needs to run them: the shipped package's formats and files.
      ...pick(SHIPPED_ACTIONS.get(a.name), ['FORMATMAPPING', 'FILENAME', 'FILENAMETOPROCESS', 'CONFIRMATIONTEXT']),
    })),
    // The initial and result statuses as the shipped package has them (Microsoft's checklist).
    MessageProcessingActionStatus: shipped('message-processing-action-statuses.json'),
    MessageProcessing: PROCESSINGS.map((p) => ({ PROCESSING: p.name, DESCRIPTION: p.name })),
    MessageProcessingActionLink: PROCESSINGS.flatMap((p) =>
      p.links.map((l, i) => ({ PROCESSING: p.name, ACTION: l.action, LINENUM: String(i + 1), RUNSEPARATELY: yn(l.runSeparately), INSEPARABLESEQUENCE: seq(p.name, l.sequence) })),
    ),
    MessageProcessingAdditionalField: [
      { PROCESSING: 'UK MTD VAT TEST', FIELDNAME: 'Tax registration number', FIELDVALUE: '666555497' },
      { PROCESSING: 'UK MTD VAT returns', FIELDNAME: 'Tax registration number', FIELDVALUE: '123456782' },
    ],
  };
}

export function insertRecord(ctx: Context, entity: string, data: Record<string, string>): void {
  const schema = loadSchemas().byId(entity);
  const clean = Object.fromEntries(Object.entries(data).filter(([f]) => !schema.fields.find((x) => x.name === f)?.secret));
  ctx.db
    .prepare(
      `INSERT INTO records (company, entity, natural_key, data, last_job, updated_at) VALUES (?, ?, ?, ?, NULL, ?)
       ON CONFLICT (company, entity, natural_key) DO UPDATE SET data = excluded.data`,
    )
    .run(ctx.company, entity, encodeKey(keyValues(schema, data)), JSON.stringify(clean), new Date().toISOString());
}

export interface SeedOptions {
  home?: string;
  key?: string;
  company?: string;
  /** Change the records before they are written. */
  mutate?: (setup: SetupRecords) => void;
  /** Credentials to store (defaults to SECRETS); null skips one. */
  credentials?: Partial<Record<'prodClientId' | 'prodSecret' | 'sandboxClientId' | 'sandboxSecret', string | null>>;
}

/** Creates a home with a complete setup; returns the open context (caller closes) and its env. */
export async function seedSetup(options: SeedOptions = {}): Promise<{ ctx: Context; home: string; env: NodeJS.ProcessEnv; key: string }> {
  const home = options.home ?? tempHome();
  const key = options.key ?? newKey();
  const env: NodeJS.ProcessEnv = { ...process.env, MTDVAT_MASTER_KEY: key };
  const ctx = openContext({ home, env, company: options.company });
  const setup = completeSetup();
  options.mutate?.(setup);
  for (const [entity, records] of Object.entries(setup)) for (const r of records) insertRecord(ctx, entity, r);
  const creds = { ...SECRETS, ...options.credentials };
  const vault = await ctx.vault({ create: true });
  const write = (app: string, field: string, value: string | null | undefined) => {
    if (value) writeSecret(ctx.db, vault, ctx.company, 'WebApplication', [app], field, value);
  };
  if (setup.WebApplication.some((a) => a.WEBAPPLICATIONNAME === 'Dynamics 365 Finance')) {
    write('Dynamics 365 Finance', 'CLIENTID', creds.prodClientId);
    write('Dynamics 365 Finance', 'CLIENTSECRET', creds.prodSecret);
  }
  if (setup.WebApplication.some((a) => a.WEBAPPLICATIONNAME === 'Sandbox HMRC')) {
    write('Sandbox HMRC', 'CLIENTID', creds.sandboxClientId);
    write('Sandbox HMRC', 'CLIENTSECRET', creds.sandboxSecret);
  }
  return { ctx, home, env, key };
}

/** Stores a token row for an app (ciphertexts are dummies: verify only reads the times). */
export function insertToken(ctx: Context, app: string, accessExpiresAt: Date, grantedAt: Date, firstVrn: string | null = null): void {
  ctx.db
    .prepare(
      `INSERT INTO oauth_tokens (company, app, key_id, access_token, refresh_token, access_expires_at, scope, granted_at, refreshed_at, first_vrn)
       VALUES (?, ?, 'k', ?, ?, ?, 'read:vat write:vat', ?, NULL, ?)
       ON CONFLICT (company, app) DO UPDATE SET access_expires_at = excluded.access_expires_at, granted_at = excluded.granted_at, first_vrn = excluded.first_vrn`,
    )
    .run(ctx.company, app, Buffer.from([1]), Buffer.from([2]), accessExpiresAt.toISOString(), grantedAt.toISOString(), firstVrn);
}
