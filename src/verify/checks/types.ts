import type { Context } from '../../context.js';
import type { StoredRecord } from '../../store/records.js';
import type { SchemaRegistry } from '../../schema/registry.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

/** One line of the verification report. `fix` says what to do, for warn and fail. */
export interface Check {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

/** What a check module sees: the stored setup (loaded once), the narrowing scope and the clock. */
export interface VerifyInput {
  ctx: Context;
  schemas: SchemaRegistry;
  company: string;
  now: Date;
  /** entity id → records by their display key (single-field keys: the value itself). */
  records: Map<string, Map<string, StoredRecord>>;
  scope: Scope;
  /** Web applications a verified processing uses (through its actions' web services). */
  usedWebApps?: Set<string>;
}

/** Which named things the report covers; `undefined` members mean "all". */
export interface Scope {
  processings?: Set<string>;
  actions?: Set<string>;
  webServices?: Set<string>;
  webApps?: Set<string>;
}

export function inScope(set: Set<string> | undefined, name: string): boolean {
  return !set || set.has(name);
}

/** "Sandbox HMRC" → "sandbox-hmrc": stable kebab-case parts of check ids. */
export function slug(name: string): string {
  return (
    name
      .normalize('NFKD')
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-+|-+$/g, '')
      .toLowerCase() || 'blank'
  );
}

export function pass(id: string, title: string, detail: string): Check {
  return { id, title, status: 'pass', detail };
}
export function warn(id: string, title: string, detail: string, fix: string): Check {
  return { id, title, status: 'warn', detail, fix };
}
export function fail(id: string, title: string, detail: string, fix: string): Check {
  return { id, title, status: 'fail', detail, fix };
}

export function recordsOf(input: VerifyInput, entity: string): Map<string, StoredRecord> {
  return input.records.get(entity) ?? new Map();
}

export function get(input: VerifyInput, entity: string, name: string): StoredRecord | undefined {
  return recordsOf(input, entity).get(name);
}

export function quote(values: string[]): string {
  return values.map((v) => `"${v}"`).join(', ');
}

export const REIMPORT_FIX = 'Re-import the UK MTD VAT setup package: mtdvat import-package <package.zip>';
