import type { Argv, CommandModule } from 'yargs';
import { withContext, type GlobalArgs } from './global.js';
import { intOption } from './options.js';
import type { AuditEntry } from '../store/audit.js';
import { print, printJson, table } from './output.js';

/**
 * One builder for the `… log` commands that list one category of the audit journal (`auth log`,
 * `vat log`): same flags (--app, --limit), newest first, --json prints the rows as they are, a table
 * otherwise. Each caller says only what differs: the category, the texts and how a row is shown.
 */

export interface AuditLogArgs extends GlobalArgs {
  app?: string;
  limit: number;
}

export interface AuditLogCommandOptions {
  category: string;
  describe: string;
  /** Printed instead of a table when there is no row. */
  empty: string;
  columns: string[];
  row: (entry: AuditEntry) => string[];
}

export function auditLogCommand(options: AuditLogCommandOptions): CommandModule<GlobalArgs, AuditLogArgs> {
  return {
    command: 'log',
    describe: options.describe,
    builder: (y) =>
      y
        .option('app', { type: 'string', describe: 'Only this web application' })
        .option('limit', intOption('limit', 'How many entries', { min: 1, max: 100_000, default: 50 })) as unknown as Argv<AuditLogArgs>,
    handler: async (argv) => {
      await withContext(argv, async (ctx) => {
        const { listAudit } = await import('../store/audit.js');
        const { redactAuditDetail } = await import('../hmrc/redact.js');
        // Callers redact details before writing; redact again so an older row can never leak through here.
        const rows = listAudit(ctx.db, { category: options.category, company: ctx.company, app: argv.app, limit: argv.limit }).map((r) => ({
          ...r,
          detail: redactAuditDetail(r.detail),
        }));
        if (argv.json) return printJson(rows);
        if (!rows.length) return print(options.empty);
        print(table(options.columns, rows.map(options.row)));
      });
    },
  };
}
