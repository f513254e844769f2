import type { Argv, CommandModule } from 'yargs';
import { withContext, type GlobalArgs } from '../global.js';
import { auditLogCommand } from '../audit-log-command.js';
import { dateOption } from '../options.js';
import type { Context } from '../../context.js';
import type { VatTarget } from '../../vat/vat.js';
import { infoFitted, print, printJson, table, printFitted, info, fitLines, terminalWidth, terminalSafe } from '../output.js';
import { confirm } from '../prompt.js';
import { UsageError } from '../../errors.js';

/**
 * `mtdvat vat …`: HMRC's VAT (MTD) API. Parsing and printing only; the work is in src/hmrc/vat.ts.
 * Human text and the "which target" line go to stderr; tables and --json to stdout.
 */

interface TargetArgs extends GlobalArgs {
  app: string;
  vrn: string;
  scenario?: string;
  'allow-other-vrn': boolean;
  yes: boolean;
}
interface ObligationsArgs extends TargetArgs {
  from?: string;
  to?: string;
  status?: string;
}
interface ReturnArgs extends TargetArgs {
  'period-key': string;
}
interface SubmitArgs extends Omit<ReturnArgs, 'period-key'> {
  'period-key'?: string;
  file: string;
}
interface RangeArgs extends TargetArgs {
  from: string;
  to: string;
}

function targetOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('app', { type: 'string', demandOption: true, describe: 'Web application name (as imported, e.g. "Sandbox HMRC")' })
    .option('vrn', { type: 'string', demandOption: true, describe: 'VAT registration number (9 digits)' })
    .option('scenario', { type: 'string', describe: 'Sandbox only: Gov-Test-Scenario value (e.g. QUARTERLY_ONE_MET)' })
    .option('allow-other-vrn', { type: 'boolean', default: false, describe: 'Use the token with a VRN other than the one it was first used with' })
    .option('yes', { type: 'boolean', default: false, describe: 'Answer yes: fraud-header consent (and, for submit, the declaration)' }) as Argv<T>;
}

async function target(ctx: Context, argv: TargetArgs): Promise<VatTarget> {
  const info = (text: string) => infoFitted(text, 4);
  return {
    ctx,
    appName: argv.app,
    vrn: String(argv.vrn).trim(),
    scenario: argv.scenario,
    allowOtherVrn: argv['allow-other-vrn'],
    consent: { yes: argv.yes, show: info, ask: (q) => confirm(q) },
    announce: info,
  };
}

const obligations: CommandModule<GlobalArgs, ObligationsArgs> = {
  command: 'obligations',
  describe: 'VAT obligations (periods to file) for a VRN',
  builder: (y) =>
    targetOptions(y)
      .option('from', dateOption('from', 'From date YYYY-MM-DD (needed unless --status O)'))
      .option('to', dateOption('to', 'To date YYYY-MM-DD (at most 366 days after --from)'))
      .option('status', { choices: ['O', 'F'], describe: 'O = open, F = fulfilled; both when omitted' }) as unknown as Argv<ObligationsArgs>,
  handler: async (argv) => {
    const { getObligations } = await import('../../vat/vat.js');
    await withContext(argv, async (ctx) => {
      const result = await getObligations(await target(ctx, argv), { from: argv.from, to: argv.to, status: argv.status });
      if (argv.json) return printJson(result);
      if (!result.obligations.length) {
        const which = argv.status === 'O' ? 'open obligations' : argv.status === 'F' ? 'fulfilled obligations' : 'obligations';
        return print(argv.from ? `No ${which} between ${argv.from} and ${argv.to}.` : `No ${which}.`);
      }
      print(
        table(
          ['Period key', 'Start', 'End', 'Due', 'Status', 'Received'],
          result.obligations.map((o) => [o.periodKey, o.start, o.end, o.due, o.status === 'O' ? 'Open' : o.status === 'F' ? 'Fulfilled' : String(o.status), o.received ?? '']),
        ),
      );
    });
  },
};

const viewReturnCmd: CommandModule<GlobalArgs, ReturnArgs> = {
  command: 'return',
  describe: 'View a submitted VAT return',
  builder: (y) =>
    targetOptions(y).option('period-key', { type: 'string', demandOption: true, describe: 'Period key from `mtdvat vat obligations`' }) as unknown as Argv<ReturnArgs>,
  handler: async (argv) => {
    const { viewReturn } = await import('../../vat/vat.js');
    const { BOXES } = await import('../../vat/nine-box.js');
    await withContext(argv, async (ctx) => {
      const r = await viewReturn(await target(ctx, argv), String(argv['period-key']));
      if (argv.json) return printJson(r.data);
      print(`VAT return ${r.periodKey} for VRN ${argv.vrn}`);
      print(
        table(
          ['Box', 'Description', 'Amount'],
          BOXES.map((b) => [b.box, b.description, r.boxes[b.field]?.format(b.kind === 'whole' ? 0 : 2) ?? String(r.data[b.field] ?? '')]),
          { align: ['right', 'left', 'right'] },
        ),
      );
    });
  },
};

const submit: CommandModule<GlobalArgs, SubmitArgs> = {
  command: 'submit',
  describe: 'Submit a VAT return from RETURN.json or RETURN.xlsx (asks for the legal declaration)',
  builder: (y) =>
    targetOptions(y)
      .option('period-key', { type: 'string', describe: 'Period key from `mtdvat vat obligations` (needed when the file has no periodKey; must match it when it has one)' })
      .option('file', { type: 'string', demandOption: true, describe: 'RETURN.json (HMRC\'s body) or RETURN.xlsx (sheet "VAT return": A = field, B = value)' }) as unknown as Argv<SubmitArgs>,
  handler: async (argv) => {
    const { submitReturn, describeReceipt } = await import('../../vat/vat.js');
    const { readReturnFile } = await import('../../vat/return-file.js');
    const { boxRows, LEGAL_DECLARATION } = await import('../../vat/nine-box.js');
    const periodKey = argv['period-key'] === undefined ? undefined : String(argv['period-key']);
    const ret = await readReturnFile(argv.file, { periodKey });
    if (periodKey !== undefined && ret.periodKey !== periodKey) {
      throw new UsageError(`--period-key ${periodKey} does not match periodKey "${ret.periodKey}" in ${argv.file}`);
    }
    await withContext(argv, async (ctx) => {
      const t = await target(ctx, argv);
      const result = await submitReturn(t, ret, {
        confirm: async () => {
          const w = process.stderr;
          w.write(`\nVAT return to submit: VRN ${t.vrn}, period ${ret.periodKey}, company ${ctx.company}\n`);
          // table() marks its own colours; terminalSafe turns them back into colour codes (info() would too).
          w.write(terminalSafe(table(['Box', 'Description', 'Amount'], boxRows(ret).map((r) => [r.box, r.description, r.amount]), { align: ['right', 'left', 'right'], stream: process.stderr })) + '\n');
          w.write(`\n${fitLines(LEGAL_DECLARATION, terminalWidth(w))}\n\n`);
          if (argv.yes) {
            info('Declaration confirmed with --yes.');
            return true;
          }
          return confirm('Do you confirm the declaration and submit this return to HMRC?');
        },
      });
      if (argv.json) {
        return printJson({ outcome: result.outcome, ...(result.response ?? {}), receipt: result.receipt, ...(result.note ? { note: result.note } : {}) });
      }
      if (result.outcome === 'filed-after-error') print(`Filed: ${result.note}.`);
      else print(`Filed: VAT return ${ret.periodKey} for VRN ${t.vrn} was accepted by HMRC.`);
      printFitted(`Receipt: ${describeReceipt(result.receipt)}`, 2);
    });
  },
};

function rangeCommand(name: 'liabilities' | 'payments'): CommandModule<GlobalArgs, RangeArgs> {
  return {
    command: name,
    describe: name === 'liabilities' ? 'VAT liabilities whose period ends in a date range' : 'VAT payments received in a date range',
    builder: (y) =>
      targetOptions(y)
        .option('from', dateOption('from', 'From date YYYY-MM-DD', { demandOption: true }))
        .option('to', dateOption('to', 'To date YYYY-MM-DD (not after today, UK time)', { demandOption: true, notAfterToday: true })) as unknown as Argv<RangeArgs>,
    handler: async (argv) => {
      const vat = await import('../../vat/vat.js');
      await withContext(argv, async (ctx) => {
        const t = await target(ctx, argv);
        const q = { from: argv.from, to: argv.to };
        if (name === 'liabilities') {
          const r = await vat.getLiabilities(t, q);
          if (argv.json) return printJson(r);
          if (!r.liabilities.length) return print(`No liabilities between ${argv.from} and ${argv.to}.`);
          const rows = r.liabilities.map((l) => {
            const x = l as { taxPeriod?: { from?: string; to?: string }; type?: string; originalAmount?: number; outstandingAmount?: number; due?: string };
            return [x.taxPeriod?.from ?? '', x.taxPeriod?.to ?? '', x.type ?? '', money(x.originalAmount), money(x.outstandingAmount), x.due ?? ''];
          });
          print(table(['From', 'To', 'Type', 'Original', 'Outstanding', 'Due'], rows, { align: ['left', 'left', 'left', 'right', 'right', 'left'] }));
        } else {
          const r = await vat.getPayments(t, q);
          if (argv.json) return printJson(r);
          if (!r.payments.length) return print(`No payments between ${argv.from} and ${argv.to}.`);
          const rows = r.payments.map((p) => {
            const x = p as { amount?: number; received?: string };
            return [money(x.amount), x.received ?? ''];
          });
          print(table(['Amount', 'Received'], rows, { align: ['right', 'left'] }));
        }
      });
    },
  };
}

function money(n: number | undefined): string {
  if (typeof n !== 'number') return '';
  return n.toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

const log = auditLogCommand({
  category: 'hmrc',
  describe: 'HMRC requests and responses kept in the audit table (tokens and secrets redacted), newest first',
  empty: 'No HMRC requests recorded yet.',
  columns: ['At', 'App', 'Request', 'Result', 'Correlation ID'],
  row: (r) => {
    const d = r.detail as { status?: number; error?: string; attempt?: number; responseHeaders?: Record<string, string>; response?: unknown };
    const code = d.response && typeof d.response === 'object' ? ((d.response as { code?: string }).code ?? '') : '';
    const result = d.status !== undefined ? `HTTP ${d.status}${code ? ` ${code}` : ''}` : (d.error ?? '');
    return [r.at, r.app ?? '', r.event + (d.attempt && d.attempt > 1 ? ` (attempt ${d.attempt})` : ''), result, d.responseHeaders?.['x-correlationid'] ?? ''];
  },
});

export const vatCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'vat <command>',
  describe: 'HMRC VAT (MTD): obligations, view/submit returns, liabilities, payments, request log',
  builder: (y) =>
    y
      .command(obligations)
      .command(viewReturnCmd)
      .command(submit)
      .command(rangeCommand('liabilities'))
      .command(rangeCommand('payments'))
      .command(log)
      .demandCommand(1, 'Name a vat subcommand.') as unknown as Argv<GlobalArgs>,
  handler: () => {},
};
