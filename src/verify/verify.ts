/**
 * `mtdvat verify`: compares the stored setup of a company with what the MTD VAT processing needs
 * (mtd-expectations.ts) and reports one check per thing that can be wrong. Never shows a secret.
 */
import { shellQuote } from '../lib/shell-quote.js';
import type { Context } from '../context.js';
import { NotFoundError } from '../errors.js';
import { loadSchemas } from '../schema/registry.js';
import { displayKey, listRecords, type StoredRecord } from '../store/records.js';
import { escapeControls } from '../lib/terminal-text.js';
import { KeyMap } from '../lib/natural-key.js';
import { lookAlikeKeyChecks } from './checks/keys.js';
import { ACTIONS, PROCESSINGS, WEB_SERVICES } from './mtd-expectations.js';
import { actionChecks } from './checks/actions.js';
import { credentialChecks } from './checks/credentials.js';
import { faqChecks } from './checks/faq.js';
import { processingChecks, linksOf } from './checks/processings.js';
import { referenceChecks } from './checks/references.js';
import { runnableChecks } from './checks/runnable.js';
import { additionalFieldChecks, statusesChecks } from './checks/statuses.js';
import { tokenChecks } from './checks/tokens.js';
import { fail, type Check, type CheckStatus, type Scope, type VerifyInput } from './checks/types.js';
import { webAppChecks } from './checks/web-apps.js';
import { webServiceChecks } from './checks/web-services.js';

export type { Check, CheckStatus } from './checks/types.js';

export interface VerifyOptions {
  processing?: string;
  now?: Date;
}

export interface VerifyResult {
  ok: boolean;
  company: string;
  checks: Check[];
}

/** Report areas in display order: the first segment of a check id. */
export const AREAS: { id: string; title: string }[] = [
  { id: 'setup', title: 'Setup' },
  { id: 'processing', title: 'Processings' },
  { id: 'action', title: 'Message processing actions' },
  { id: 'executable-class', title: 'Executable classes' },
  { id: 'web-app', title: 'Web applications' },
  { id: 'credentials', title: 'Credentials' },
  { id: 'web-service', title: 'Web services' },
  { id: 'status', title: 'Statuses and item types' },
  { id: 'additional-field', title: 'Additional fields' },
  { id: 'reference', title: 'References' },
  { id: 'faq', title: 'Known D365 failure modes' },
  { id: 'runnable', title: 'Electronic messages can run' },
  { id: 'token', title: 'Tokens' },
];

export function areaOf(check: Pick<Check, 'id'>): string {
  return check.id.split('.')[0];
}

export async function verifySetup(ctx: Context, options: VerifyOptions = {}): Promise<VerifyResult> {
  const schemas = loadSchemas();
  const records = new Map<string, Map<string, StoredRecord>>();
  for (const schema of schemas.all) {
    // Looked up as D365 looks keys up: a reference "sandbox hmrc" finds "Sandbox HMRC".
    records.set(schema.id, KeyMap.of(listRecords(ctx.db, ctx.company, schema.id).map((r) => [displayKey(r.key), r] as const)));
  }
  if (![...records.values()].some((m) => m.size > 0)) {
    // Nothing imported: one clear failure instead of a hundred "missing" lines.
    return {
      ok: false,
      company: ctx.company,
      checks: [fail('setup.imported', `Setup imported for company ${ctx.company}`, `Company ${ctx.company} has no Electronic messages setup in ${ctx.paths.dbPath}.`, `Import the UK MTD VAT setup package: mtdvat import-package <package.zip> --company ${shellQuote(ctx.company)} (or pick the company that holds it with --company).`)],
    };
  }
  const input: VerifyInput = { ctx, schemas, company: ctx.company, now: options.now ?? new Date(), records, scope: {} };
  if (options.processing !== undefined) input.scope = scopeFor(input, options.processing);
  // Credentials matter for the applications the verified processings use: all processings unless --processing.
  input.usedWebApps =
    input.scope.webApps ??
    new Set(
      [...new Set([...PROCESSINGS.map((p) => p.name), ...(input.records.get('MessageProcessing')?.keys() ?? [])])].flatMap((p) => [...(scopeFor(input, p).webApps ?? [])]),
    );

  const checks: Check[] = [
    ...lookAlikeKeyChecks(input),
    ...processingChecks(input),
    ...actionChecks(input),
    ...webAppChecks(input),
    ...(await credentialChecks(input)),
    ...webServiceChecks(input),
    ...statusesChecks(input),
    ...additionalFieldChecks(input),
    ...referenceChecks(input),
    ...faqChecks(input),
    ...runnableChecks(input),
    ...tokenChecks(input),
  ];
  const order = new Map(AREAS.map((a, i) => [a.id, i]));
  // Stable sort: by area, keeping each module's own order inside an area.
  checks.sort((a, b) => (order.get(areaOf(a)) ?? 99) - (order.get(areaOf(b)) ?? 99));
  return { ok: !checks.some((c) => c.status === 'fail'), company: ctx.company, checks };
}

/** `--processing NAME`: that processing, its actions, the web services they call and those services' applications. */
function scopeFor(input: VerifyInput, name: string): Scope {
  const expected = PROCESSINGS.find((p) => p.name.toLowerCase() === name.toLowerCase());
  const stored = [...(input.records.get('MessageProcessing')?.keys() ?? [])].find((p) => p.toLowerCase() === name.toLowerCase());
  if (!expected && !stored) {
    const known = [...new Set([...PROCESSINGS.map((p) => p.name), ...(input.records.get('MessageProcessing')?.keys() ?? [])])];
    throw new NotFoundError(`no processing "${name}" (known: ${known.map((k) => `"${k}"`).join(', ')})`);
  }
  const processing = expected?.name ?? stored!;
  const actions = new Set([...(expected?.links.map((l) => l.action) ?? []), ...linksOf(input, processing).keys()]);
  const webServices = new Set<string>();
  for (const a of actions) {
    const ws = input.records.get('MessageProcessingAction')?.get(a)?.data.WEBSERVICE;
    if (ws) webServices.add(ws);
  }
  // Expected web services of the expected actions, even if the stored action lost its reference.
  for (const l of expected?.links ?? []) {
    const ws = ACTION_WS.get(l.action);
    if (ws) webServices.add(ws);
  }
  const webApps = new Set<string>();
  for (const ws of webServices) {
    const app = input.records.get('WebService')?.get(ws)?.data.WEBAPPLICATIONNAME;
    if (app) webApps.add(app);
    const exp = WS_APP.get(ws);
    if (exp) webApps.add(exp);
  }
  return { processings: new Set([processing]), actions, webServices, webApps };
}

const ACTION_WS = new Map(ACTIONS.filter((a) => a.webService).map((a) => [a.name, a.webService!]));
const WS_APP = new Map(WEB_SERVICES.map((s) => [s.name, s.webApp]));

export function summarize(checks: Check[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0 };
  for (const c of checks) counts[c.status]++;
  return counts;
}

/** Plain or coloured text for a terminal. `paint` is picocolors' colours (or identity functions). */
export function renderVerifyText(result: VerifyResult, paint: { green(s: string): string; yellow(s: string): string; red(s: string): string; bold(s: string): string; dim(s: string): string }, options: { verbose?: boolean } = {}): string {
  const lines: string[] = [paint.bold(`Setup verification for company ${result.company}`), ''];
  const badge: Record<CheckStatus, string> = { pass: paint.green('PASS'), warn: paint.yellow('WARN'), fail: paint.red('FAIL') };
  for (const area of AREAS) {
    const checks = result.checks.filter((c) => areaOf(c) === area.id);
    if (!checks.length) continue;
    const counts = summarize(checks);
    lines.push(paint.bold(`${area.title}`) + paint.dim(`  (${counts.pass} pass, ${counts.warn} warn, ${counts.fail} fail)`));
    for (const c of checks) {
      if (c.status === 'pass' && !options.verbose) {
        lines.push(`  ${badge.pass}  ${escapeControls(c.title)}`);
        continue;
      }
      // Titles and details quote names from the package: one line each, whatever they hold.
      lines.push(`  ${badge[c.status]}  ${escapeControls(c.title)}  ${paint.dim(`[${escapeControls(c.id)}]`)}`);
      lines.push(`        ${escapeControls(c.detail)}`);
      if (c.fix) lines.push(`        Fix: ${escapeControls(c.fix)}`);
    }
    lines.push('');
  }
  const counts = summarize(result.checks);
  const summary = `${result.checks.length} checks: ${counts.pass} passed, ${counts.warn} warnings, ${counts.fail} failed`;
  lines.push(result.ok ? paint.green(`OK — ${summary}`) : paint.red(`NOT READY — ${summary}`));
  return lines.join('\n');
}
