import { createHash } from 'node:crypto';
import { KeyMap } from '../lib/natural-key.js';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { Context } from '../context.js';
import { MtdvatError, UsageError, ValidationError, type ErrorLocation } from '../errors.js';
import { openPackage, type OpenedPackage, type PackageEntity } from '../package/reader.js';
import { loadSchemas, secretFields, type SchemaRegistry } from '../schema/registry.js';
import type { EntitySchema, FieldSpec } from '../schema/types.js';
import { beginImmediate, commit, rollback } from '../store/db.js';
import { finishImportJob, insertImportJob, listImportJobRows, type ImportJobRow } from '../store/import-jobs.js';
import { danglingReferences, importWrites, type ImportWrites } from '../store/import-writes.js';
import { displayKey, iterateRecordsWithJob } from '../store/records.js';
import { checkServiceOrigin, originOf } from '../setup/urls.js';
import { WEB_APP_ENTITY } from '../setup/web-app.js';
import { isPlaceholder } from '../lib/placeholders.js';
import { deletePending, deleteTokens, hasTokenState } from '../store/tokens.js';
import { secretAddress } from '../store/secrets.js';
import type { Vault } from '../vault/vault.js';
import { EntityValidation, refersTo } from './validate.js';
import { changedKinds, processingDependencies, type ProcessingDependencies } from '../setup/processing-dependencies.js';
import { listMessages } from '../store/em.js';

export interface ImportOptions {
  dryRun?: boolean;
  /** Entity names (label, target entity or schema id) whose stored records are deleted first. */
  truncate?: string[];
  /** Truncate every entity the package holds. */
  truncateAll?: boolean;
  /**
   * Let the package's credentials replace stored ones that differ, and let it move a web application
   * that holds credentials or tokens to another origin (its tokens and its credentials the package
   * does not supply are dropped).
   */
  replaceCredentials?: boolean;
  onProgress?: (progress: { entity: string; records: number; totalRecords: number }) => void;
}

export interface EntityResult {
  entity: string;
  file: string;
  format: string;
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  schema: boolean;
  /** Schema id the entity was matched to. */
  schemaId?: string;
}

export interface ImportProblem extends ErrorLocation {
  message: string;
}

/** One changed field of an updated record. Secret values are never shown: both sides read "changed". */
export interface FieldChange {
  entity: string;
  key: string;
  field: string;
  old: string;
  new: string;
}

/** What happened to a stored credential: kept, replaced, set (none or a placeholder before), dropped (origin changed). */
export interface CredentialOutcome {
  entity: string;
  key: string;
  field: string;
  action: 'kept' | 'replaced' | 'set' | 'dropped';
  /** For `kept`: the package left the field empty, or carried a different value. */
  because?: 'package-empty' | 'package-differs';
}

/** A stored credential the import kept (the ui's list; `credentials` has every outcome). */
export interface KeptSecret {
  entity: string;
  key: string;
  /** The field's label, e.g. "Client secret". */
  field: string;
}

/** At most 1,000 changes are listed in full; text shows at most 20 per entity. Memory stays bounded whatever the package size. */
export const MAX_CHANGES = 1000;
export const MAX_CHANGES_PER_ENTITY_SHOWN = 20;

export interface ImportResult {
  status: 'Succeeded' | 'Failed';
  company: string;
  jobId: number;
  package: string;
  sha256: string;
  dryRun: boolean;
  entities: EntityResult[];
  errors: ImportProblem[];
  warnings: string[];
  /** The first MAX_CHANGES changed fields of updated records, in import order: what a re-import reverts shows here. */
  changes: FieldChange[];
  /** Changes beyond MAX_CHANGES, counted only. */
  changesOmitted: number;
  /** All changed fields, listed or not (changes.length + changesOmitted). */
  changeCount: number;
  /** Per entity: how many fields changed and the first MAX_CHANGES_PER_ENTITY_SHOWN of them (for text output). */
  changesByEntity: { entity: string; count: number; shown: FieldChange[] }[];
  /** Each stored credential the package touched: kept, replaced, set or dropped (never a value). */
  credentials: CredentialOutcome[];
  /** The credentials kept, by field label. */
  keptSecrets: KeptSecret[];
  /** Why the import failed, as one error (the first problem's location); for the CLI's --json envelope. */
  failure?: MtdvatError;
}

const MAX_ERRORS = 100;

/** Collects changes with a fixed memory ceiling: a million updated records cost a counter, not a list. */
class ChangeLog {
  constructor(private readonly result: ImportResult) {}
  private readonly byEntity = new Map<string, { entity: string; count: number; shown: FieldChange[] }>();

  add(change: FieldChange): void {
    const r = this.result;
    r.changeCount++;
    if (r.changes.length < MAX_CHANGES) r.changes.push(change);
    else r.changesOmitted++;
    let e = this.byEntity.get(change.entity);
    if (!e) {
      e = { entity: change.entity, count: 0, shown: [] };
      this.byEntity.set(change.entity, e);
      r.changesByEntity.push(e);
    }
    e.count++;
    if (e.shown.length < MAX_CHANGES_PER_ENTITY_SHOWN) e.shown.push(change);
  }
}

/** Thrown inside the transaction to roll it back once validation errors were collected. */
class ValidationFailed extends Error {}

/**
 * Past the error cap the import has failed already: reading on would only cost time (a few MB of
 * package can inflate to a GiB of duplicate records), so reading stops there.
 */
class TooManyProblems extends ValidationFailed {}

/**
 * Imports a D365 data package into the company's setup, all or nothing: every record is parsed,
 * validated and written inside one SQLite transaction that commits only if nothing failed (a dry run
 * always rolls back). Upsert by natural key; records absent from the package stay unless truncated.
 */
export async function importPackage(ctx: Context, zipPath: string, options: ImportOptions = {}): Promise<ImportResult> {
  const registry = loadSchemas();
  const db = ctx.db;
  const result: ImportResult = {
    status: 'Failed',
    company: ctx.company,
    jobId: 0,
    package: basename(zipPath),
    sha256: '',
    dryRun: !!options.dryRun,
    entities: [],
    errors: [],
    warnings: [],
    changes: [],
    changesOmitted: 0,
    changeCount: 0,
    changesByEntity: [],
    credentials: [],
    keptSecrets: [],
  };
  result.sha256 = await sha256File(zipPath).catch((error: Error) => {
    throw new MtdvatError(`cannot read ${zipPath}: ${error.message}`, { file: result.package });
  });
  result.jobId = insertImportJob(db, {
    startedAt: new Date().toISOString(),
    company: ctx.company,
    packageName: result.package,
    packageSha256: result.sha256,
    dryRun: !!options.dryRun,
    pid: process.pid,
  });

  let pkg: OpenedPackage | undefined;
  let inTransaction = false;
  try {
    pkg = await openPackage(zipPath);
    const truncated = resolveTruncation(registry, pkg, options);
    const needsVault = pkg.entities.some((e) => {
      const schema = registry.resolve(e.targetEntity, e.entityName);
      return schema && secretFields(schema).length > 0;
    });
    const vault = needsVault ? await ctx.vault({ create: !options.dryRun }).catch((e) => (options.dryRun ? undefined : Promise.reject(e))) : undefined;

    beginImmediate(db);
    inTransaction = true;
    const runtimeBefore = processingDependencies(db, ctx.company);
    const writer = new RecordWriter(ctx, vault, result.jobId, new ChangeLog(result), result, !!options.replaceCredentials);
    for (const name of truncated) writer.truncate(name);
    const totalRecords = { value: 0 };
    for (const entity of pkg.entities) {
      const schema = registry.resolve(entity.targetEntity, entity.entityName);
      await importEntity(pkg, entity, schema, writer, result, options, totalRecords);
    }
    checkReferences(ctx, registry, result);
    checkServiceOrigins(ctx, registry, result);
    if (result.errors.length) throw new ValidationFailed();
    result.warnings.push(...runtimeChangeWarnings(ctx, runtimeBefore));
    if (options.dryRun) {
      rollback(db);
    } else {
      finishJob(ctx, result, 'Succeeded');
      commit(db);
    }
    inTransaction = false;
    result.status = 'Succeeded';
    result.warnings.push(...pkg.warnings);
    if (options.dryRun) finishJob(ctx, result, 'Succeeded');
    return result;
  } catch (error) {
    if (inTransaction && db.inTransaction) rollback(db);
    if (!(error instanceof ValidationFailed)) {
      if (!(error instanceof MtdvatError) || error instanceof UsageError) throw markFailed(ctx, result, error);
      result.errors.push({ ...error.location, message: error.message });
      result.failure = error;
    } else {
      const { message: _m, ...first } = result.errors[0];
      const n = result.errors.length;
      result.failure = new ValidationError(`the import failed on ${n}${n > MAX_ERRORS ? '+' : ''} problem${n === 1 ? '' : 's'}; nothing was written`, first);
    }
    if (pkg) result.warnings.push(...pkg.warnings);
    finishJob(ctx, result, 'Failed');
    return result;
  } finally {
    pkg?.close();
  }
}

async function importEntity(
  pkg: OpenedPackage,
  entity: PackageEntity,
  schema: EntitySchema | undefined,
  writer: RecordWriter,
  result: ImportResult,
  options: ImportOptions,
  total: { value: number },
): Promise<EntityResult> {
  const counts: EntityResult = {
    entity: entity.entityName,
    file: entity.file,
    format: entity.format,
    read: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    failed: 0,
    schema: !!schema,
    schemaId: schema?.id,
  };
  result.entities.push(counts); // counted as it goes, so a stop at the error cap still reports it
  const validation = new EntityValidation(entity, schema);
  if (validation.noSchemaWarning) result.warnings.push(validation.noSchemaWarning);
  for await (const batch of pkg.readBatches(entity)) for (const record of batch) {
    counts.read++;
    total.value++;
    if (total.value % 5000 === 0) options.onProgress?.({ entity: entity.entityName, records: counts.read, totalRecords: total.value });
    const checked = validation.check(record);
    let outcome: 'created' | 'updated' | 'unchanged';
    if (checked.kind === 'raw') {
      outcome = writer.writeRaw(entity.entityName, record.no, checked.mapped);
    } else if (checked.kind === 'invalid') {
      counts.failed++;
      for (const p of checked.problems) addError(result, p);
      continue;
    } else {
      // Duplicates are found by the store (a key this job already wrote), not by a set in memory.
      const written = writer.write(schema!, checked, record.no, entity.entityName);
      if ('refused' in written) {
        counts.failed++;
        addError(result, { entity: entity.entityName, file: entity.file, record: record.no, key: checked.keyText(), field: written.field, message: written.refused });
        continue;
      }
      if ('duplicate' in written) {
        counts.failed++;
        addError(result, validation.duplicate(record.no, checked.keyText(), displayKey(written.duplicate)));
        continue;
      }
      outcome = written.outcome;
    }
    counts[outcome]++;
  }
  result.warnings.push(...validation.warnings(counts.read));
  return counts;
}

function addError(result: ImportResult, problem: ImportProblem): void {
  if (result.errors.length < MAX_ERRORS) {
    result.errors.push(problem);
    return;
  }
  result.errors.push({
    entity: problem.entity,
    file: problem.file,
    message: `at least ${MAX_ERRORS + 1} problems: the import stopped reading the package there (the first ${MAX_ERRORS} are listed)`,
  });
  throw new TooManyProblems();
}

function resolveTruncation(registry: SchemaRegistry, pkg: OpenedPackage, options: ImportOptions): string[] {
  const names = new Set<string>();
  if (options.truncateAll) {
    for (const e of pkg.entities) names.add(registry.resolve(e.targetEntity, e.entityName)?.id ?? `raw:${e.entityName}`);
  }
  for (const name of options.truncate ?? []) {
    const schema = registry.resolve(name);
    if (schema) {
      names.add(schema.id);
      continue;
    }
    const raw = pkg.entities.find((e) => e.entityName.toLowerCase() === name.toLowerCase());
    if (!raw) {
      // Say what would have worked: the entity labels mtdvat knows and any other entity of this package.
      const valid = [...new Set([...registry.all.map((s) => s.label), ...pkg.entities.map((e) => e.entityName)])].sort();
      throw new UsageError(`--truncate "${name}": no such entity (not a known entity and not in the package); valid names: ${valid.map((v) => `"${v}"`).join(', ')}`);
    }
    names.add(`raw:${raw.entityName}`);
  }
  return [...names];
}

/** One import run's writes (store/import-writes.ts); all inside the caller's transaction. */
class RecordWriter {
  private readonly store: ImportWrites;

  constructor(
    private readonly ctx: Context,
    private readonly vault: Vault | undefined,
    private readonly jobId: number,
    private readonly changes: ChangeLog,
    private readonly result: Pick<ImportResult, 'credentials' | 'keptSecrets'>,
    private readonly replaceCredentials: boolean,
  ) {
    this.store = importWrites(ctx.db, ctx.company, jobId, new Date().toISOString());
  }

  truncate(name: string): void {
    if (name.startsWith('raw:')) this.store.truncateRaw(name.slice(4));
    else this.store.truncateEntity(name);
  }

  /**
   * Keys are matched as D365 matches them (lib/natural-key.ts): a record whose key differs from a
   * stored one only in case, trailing spaces or Unicode form updates that record, and the first
   * spelling stays — in the key, in the data and in the secrets' associated data.
   */
  /**
   * Keys are matched as D365 matches them (lib/natural-key.ts): a record whose key differs from a
   * stored one only in case, trailing spaces or Unicode form updates that record, and the first
   * spelling stays — in the key, in the data and in the secrets' associated data.
   */
  write(
    schema: EntitySchema,
    { values, keyValues: newKeyValues, key: newKey, folded }: { values: Record<string, string>; keyValues: string[]; key: string; folded: string },
    recordNo: number,
    entityName: string,
  ): { outcome: 'created' | 'updated' | 'unchanged' } | { duplicate: string[] } | { refused: string; field: string } {
    // Insert first: on a fresh store (the common, large case) that is one statement per record.
    const fresh = this.buildData(schema, values, {});
    if (this.store.insertRecord(schema.id, newKey, folded, JSON.stringify(fresh), recordNo)) {
      this.writeSecrets(schema, newKey, newKeyValues, values, fresh, { entity: entityName, key: displayKey(newKeyValues) }, false);
      return { outcome: 'created' };
    }
    const existing = this.store.selectRecord(schema.id, folded, newKey);
    const key = existing.naturalKey;
    const keyValues = JSON.parse(key) as string[];
    if (existing.lastJob === this.jobId) return { duplicate: keyValues };
    const where = { entity: entityName, key: displayKey(keyValues) };
    // Fields the file does not carry keep their stored value; key fields keep the stored spelling.
    const previous = JSON.parse(existing.data) as Record<string, string>;
    const next = this.buildData(schema, values, previous);
    schema.key.forEach((k, i) => {
      if (k in next) next[k] = keyValues[i];
    });
    let originMoved = false;
    if (schema.id === WEB_APP_ENTITY) {
      const from = originOf(previous.BASEURL ?? '');
      const to = originOf(next.BASEURL ?? '');
      if (from !== to && this.holdsCredentials(key, keyValues)) {
        if (!this.replaceCredentials) {
          return {
            refused: `BASEURL moves web application "${keyValues[0]}" from ${from ?? 'no origin'} to ${to ?? 'no origin'}, but it holds credentials or tokens entered for ${from ?? 'its old base URL'}; they are never sent to another origin. Re-run with --replace-credentials to drop them (and its tokens) and take the package's, or keep the base URL`,
            field: 'BASEURL',
          };
        }
        originMoved = true;
        deleteTokens(this.ctx.db, this.ctx.company, keyValues[0]);
        deletePending(this.ctx.db, this.ctx.company, keyValues[0]);
      }
    }
    const json = JSON.stringify(next);
    const secretsChanged = this.writeSecrets(schema, key, keyValues, values, next, where, originMoved);
    if (existing.data !== json) {
      for (const [field, to] of Object.entries(next)) {
        const from = previous[field] ?? '';
        if (from !== to) this.changes.add({ ...where, field, old: from, new: to });
      }
      this.store.updateRecord(schema.id, key, json, recordNo);
      return { outcome: 'updated' };
    }
    this.store.touchRecord(schema.id, key, recordNo);
    return { outcome: secretsChanged ? 'updated' : 'unchanged' };
  }

  /** Real credentials (a placeholder counts as absent) or tokens: what must not follow a package to another origin. */
  private holdsCredentials(key: string, keyValues: string[]): boolean {
    if (hasTokenState(this.ctx.db, this.ctx.company, keyValues[0])) return true;
    for (const field of ['CLIENTID', 'CLIENTSECRET', 'SERVERTOKEN']) {
      const stored = this.store.selectSecret(WEB_APP_ENTITY, key, field);
      if (!stored) continue;
      const value = this.decryptStored(stored, secretAddress(this.ctx.company, WEB_APP_ENTITY, keyValues, field));
      if (value === undefined || !isPlaceholder(value)) return true;
    }
    return false;
  }

  private decryptStored(stored: { keyId: string; value: Buffer }, address: ReturnType<typeof secretAddress>): string | undefined {
    if (!this.vault) return undefined;
    try {
      return this.vault.decrypt(new Uint8Array(stored.value), stored.keyId, address);
    } catch {
      return undefined; // undecryptable: treated as a real value that must not be overwritten silently
    }
  }

  /** Non-secret fields in schema order; absent ones keep `previous`, else take the schema default. */
  private buildData(schema: EntitySchema, values: Record<string, string>, previous: Record<string, string>): Record<string, string> {
    const data: Record<string, string> = {};
    for (const spec of schema.fields) {
      if (spec.secret) continue;
      // A value the user set (e.g. a processing's VRN) survives a package that leaves the field empty,
      // as credentials do.
      if (spec.keepWhenEmpty && values[spec.name] === '' && previous[spec.name]) data[spec.name] = previous[spec.name];
      else data[spec.name] = values[spec.name] ?? previous[spec.name] ?? (spec.type === 'noyes' ? 'No' : (spec.default ?? ''));
    }
    return data;
  }

  /**
   * Secrets from a package never silently replace stored ones:
   * - an empty value keeps the stored one (packages ship without credentials, and a re-import must
   *   not wipe what the user entered with `web-apps set-credentials`);
   * - a different value replaces a stored one only with --replace-credentials; a stored placeholder
   *   ("…replace-me") counts as absent, so stores that took the old demo values heal;
   * - when the application moved to another origin (with --replace-credentials), stored values the
   *   package does not supply are dropped: they were entered for the old origin.
   * Web-application secrets are bound to the origin of the record's base URL.
   */
  private writeSecrets(
    schema: EntitySchema,
    key: string,
    keyValues: string[],
    values: Record<string, string>,
    data: Record<string, string>,
    where: { entity: string; key: string },
    originMoved: boolean,
  ): boolean {
    let changed = false;
    const origin = schema.id === WEB_APP_ENTITY ? (originOf(data.BASEURL ?? '') ?? null) : null;
    for (const spec of schema.fields) {
      if (!spec.secret) continue;
      const plaintext = values[spec.name];
      const stored = this.store.selectSecret(schema.id, key, spec.name);
      if (plaintext === undefined || plaintext === '') {
        if (stored && !originMoved) this.keep(where, spec, 'package-empty');
        if (stored && originMoved) {
          this.store.deleteSecret(schema.id, key, spec.name);
          this.result.credentials.push({ ...where, field: spec.name, action: 'dropped' });
          this.changes.add({ ...where, field: spec.name, old: 'changed', new: 'changed' });
          changed = true;
        }
        continue;
      }
      const address = secretAddress(this.ctx.company, schema.id, keyValues, spec.name);
      let action: CredentialOutcome['action'] = 'set';
      if (stored) {
        const current = this.decryptStored(stored, address);
        if (current === plaintext && !originMoved) continue;
        if (current !== undefined && (current === '' || isPlaceholder(current))) action = 'set';
        else if (this.replaceCredentials) action = 'replaced';
        else {
          this.keep(where, spec, 'package-differs');
          continue;
        }
      }
      changed = true;
      this.result.credentials.push({ ...where, field: spec.name, action });
      if (stored) this.changes.add({ ...where, field: spec.name, old: 'changed', new: 'changed' });
      if (!this.vault) continue; // dry run without a key yet: nothing is written anyway
      const blob = this.vault.encrypt(plaintext, address);
      this.store.upsertSecret(schema.id, key, spec.name, this.vault.keyId, Buffer.from(blob), origin);
    }
    return changed;
  }

  private keep(where: { entity: string; key: string }, spec: FieldSpec, because: 'package-empty' | 'package-differs'): void {
    this.result.credentials.push({ ...where, field: spec.name, action: 'kept', because });
    this.result.keptSecrets.push({ ...where, field: spec.label ?? spec.name });
  }

  writeRaw(entity: string, recordNo: number, values: Record<string, string>): 'created' | 'updated' | 'unchanged' {
    const json = JSON.stringify(values);
    const existing = this.store.selectRaw(entity, recordNo);
    this.store.upsertRaw(entity, recordNo, json);
    if (!existing) return 'created';
    if (existing.data === json) return 'unchanged';
    const before = JSON.parse(existing.data) as Record<string, string>;
    for (const field of new Set([...Object.keys(before), ...Object.keys(values)])) {
      if ((before[field] ?? '') !== (values[field] ?? '')) this.changes.add({ entity, key: `record ${recordNo}`, field, old: before[field] ?? '', new: values[field] ?? '' });
    }
    return 'updated';
  }
}

/** After all entities are written: every reference of this package's records must resolve. */
function checkReferences(ctx: Context, registry: SchemaRegistry, result: ImportResult): void {
  for (const entityResult of result.entities) {
    if (!entityResult.schemaId) continue;
    const schema = registry.byId(entityResult.schemaId);
    for (const ref of schema.references) {
      const target = registry.byId(ref.entity);
      const rows = danglingReferences(ctx.db, ctx.company, schema.id, result.jobId, ref.fields, target.id);
      for (const row of rows) {
        const values = JSON.parse(row.target) as string[];
        addError(result, {
          entity: entityResult.entity,
          file: entityResult.file,
          record: row.record ?? undefined,
          key: displayKey(JSON.parse(row.key) as string[]),
          field: ref.fields.join(', '),
          message: `${refersTo(ref.fields, target.label, values)}, which does not exist (in the package or the stored setup of company ${ctx.company})`,
        });
        entityResult.failed++;
      }
    }
  }
}

/**
 * A web service's internet address must be on its web application's origin (the application's token
 * goes with every call): checked for every service this package wrote and every stored service of an
 * application whose base URL this package wrote.
 */
function checkServiceOrigins(ctx: Context, registry: SchemaRegistry, result: ImportResult): void {
  const ids = new Set(result.entities.map((e) => e.schemaId));
  if (!ids.has('WebService') && !ids.has('WebApplication')) return;
  // Keyed as D365 keys them: a service naming "sandbox hmrc" belongs to "Sandbox HMRC" and is checked.
  const apps = new KeyMap<{ baseUrl: string; written: boolean }>();
  for (const app of iterateRecordsWithJob(ctx.db, ctx.company, 'WebApplication')) {
    apps.set(app.key[0] ?? '', { baseUrl: app.data.BASEURL ?? '', written: app.lastJob === result.jobId });
  }
  const services = registry.byId('WebService');
  const entity = result.entities.find((e) => e.schemaId === 'WebService');
  for (const ws of iterateRecordsWithJob(ctx.db, ctx.company, 'WebService')) {
    if (result.errors.length > MAX_ERRORS) return;
    const app = apps.get(ws.data.WEBAPPLICATIONNAME ?? '');
    const written = ws.lastJob === result.jobId;
    if (!app || (!written && !app.written)) continue;
    const verdict = checkServiceOrigin(ws.data.INTERNETADDRESS ?? '', app.baseUrl);
    if (verdict.ok) continue;
    addError(result, {
      entity: written ? entity?.entity : services.label,
      file: written ? entity?.file : undefined,
      record: written ? (ws.lastRecord ?? undefined) : undefined,
      key: displayKey(ws.key),
      field: 'INTERNETADDRESS',
      message: `INTERNETADDRESS ${verdict.problem}${written ? '' : ` (web application "${ws.data.WEBAPPLICATIONNAME}" gets a new base URL from this package; this stored web service still points elsewhere)`}`,
    });
    if (written && entity) entity.failed++;
  }
}

function finishJob(ctx: Context, result: ImportResult, status: 'Succeeded' | 'Failed'): void {
  finishImportJob(ctx.db, result.jobId, {
    finishedAt: new Date().toISOString(),
    status,
    entitiesJson: JSON.stringify(result.entities),
    errorsJson: JSON.stringify(result.errors),
  });
}

function markFailed(ctx: Context, result: ImportResult, error: unknown): unknown {
  result.errors.push({ message: error instanceof Error ? error.message : String(error) });
  try {
    finishJob(ctx, result, 'Failed');
  } catch {
    // The job row is best effort; the original error matters more.
  }
  return error;
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

export interface ImportJob {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  company: string;
  package: string;
  sha256: string | null;
  status: string;
  dryRun: boolean;
  entities: EntityResult[];
  errors: ImportProblem[];
}

/** A job still "Executing" whose process is gone was killed mid-import (its transaction rolled back). */
function isInterrupted(row: ImportJobRow): boolean {
  if (row.status !== 'Executing' || row.pid === null) return false;
  try {
    process.kill(row.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export function listImportJobs(ctx: Context, limit = 50): ImportJob[] {
  return listImportJobRows(ctx.db, ctx.company, limit).map((r) => ({
    id: r.id,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    company: r.company,
    package: r.packageName,
    sha256: r.packageSha256,
    status: isInterrupted(r) ? 'Interrupted' : r.status,
    dryRun: r.dryRun,
    entities: JSON.parse(r.entitiesJson) as EntityResult[],
    errors: JSON.parse(r.errorsJson) as ImportProblem[],
  }));
}


/**
 * Electronic messages mid-way through a processing whose runtime setup (actions, statuses, web
 * services, executable classes) this import changed: Microsoft's FAQ ("404 after re-importing the
 * package") is this case done silently. Named in the import result so the user checks them first.
 */
function runtimeChangeWarnings(ctx: Context, before: Map<string, ProcessingDependencies>): string[] {
  const after = processingDependencies(ctx.db, ctx.company);
  const warnings: string[] = [];
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    const kinds = changedKinds(before.get(name), after.get(name));
    if (!kinds.length) continue;
    const final = before.get(name)?.finalStatuses ?? new Set<string>();
    const open = listMessages(ctx.db, ctx.company, { processing: name }).filter((m) => !final.has(m.status));
    if (!open.length) continue;
    const shown = open.slice(0, 20).map((m) => `${m.message} ("${m.status}")`);
    warnings.push(
      `processing "${name}": this import changed its ${kinds.join(', ')} while electronic message${open.length === 1 ? '' : 's'} ` +
        `${shown.join(', ')}${open.length > shown.length ? ` and ${open.length - shown.length} more` : ''} ${open.length === 1 ? 'is' : 'are'} not in a final status; ` +
        'check them with `mtdvat em show MSG` and `mtdvat verify` before running their next action',
    );
  }
  return warnings;
}
