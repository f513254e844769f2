import type { Argv, CommandModule } from 'yargs';
import { withContext, type GlobalArgs } from '../global.js';
import { print, printJson } from '../output.js';
import { UsageError } from '../../errors.js';
import { dateOption } from '../options.js';

/** `mtdvat vat100`: the VAT 100 report (nine boxes, period, VRN, company) as Excel or JSON. */
interface Vat100Args extends GlobalArgs {
  file: string;
  output: string;
  'period-key'?: string;
  vrn?: string;
  'period-start'?: string;
  'period-end'?: string;
  due?: string;
  'company-name'?: string;
}

export const vat100Command: CommandModule<GlobalArgs, Vat100Args> = {
  command: 'vat100',
  describe: 'Write the VAT 100 report of a return (RETURN.json or RETURN.xlsx) to VAT100.xlsx or VAT100.json',
  builder: (y) =>
    y
      .option('file', { type: 'string', demandOption: true, describe: 'RETURN.json or RETURN.xlsx' })
      .option('output', { type: 'string', demandOption: true, describe: 'VAT100.xlsx or VAT100.json' })
      .option('period-key', { type: 'string', describe: 'Period key, when the file has none (must match the file\'s when it has one)' })
      .option('vrn', { type: 'string', describe: 'VAT registration number shown on the report (adds the filing receipt if one is stored)' })
      .option('period-start', dateOption('period-start', 'Period start date (YYYY-MM-DD, from the obligation)'))
      .option('period-end', dateOption('period-end', 'Period end date (YYYY-MM-DD)'))
      .option('due', dateOption('due', 'Due date (YYYY-MM-DD)'))
      .option('company-name', { type: 'string', describe: 'Company name shown next to the company ID' }) as unknown as Argv<Vat100Args>,
  handler: async (argv) => {
    const { readReturnFile } = await import('../../vat/return-file.js');
    const { writeVat100 } = await import('../../vat/vat100.js');
    const { getReceipt } = await import('../../store/vat-receipts.js');
    const { isVrnFormat } = await import('../../lib/vrn.js');
    if (argv.vrn !== undefined && !isVrnFormat(String(argv.vrn))) throw new UsageError(`--vrn must be 9 digits, got "${argv.vrn}"`);
    for (const k of ['period-start', 'period-end', 'due'] as const) {
      const v = argv[k];
      if (v !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new UsageError(`--${k} must be a date YYYY-MM-DD, got "${v}"`);
    }
    // A draft (finalised false) may still be printed; submit is where finalised must be true.
    const periodKey = argv['period-key'] === undefined ? undefined : String(argv['period-key']);
    const ret = await readReturnFile(argv.file, { requireFinalised: false, periodKey });
    if (periodKey !== undefined && ret.periodKey !== periodKey) {
      throw new UsageError(`--period-key ${periodKey} does not match periodKey "${ret.periodKey}" in ${argv.file}`);
    }
    await withContext(argv, async (ctx) => {
      const vrn = argv.vrn === undefined ? undefined : String(argv.vrn);
      const receipt = vrn ? getReceipt(ctx.db, ctx.company, vrn, ret.periodKey) : undefined;
      const data = await writeVat100(
        ret,
        {
          company: ctx.company,
          companyName: argv['company-name'],
          vrn,
          periodStart: argv['period-start'],
          periodEnd: argv['period-end'],
          due: argv.due,
          receipt: receipt?.status === 'filed' ? receipt : undefined,
        },
        argv.output,
      );
      if (argv.json) printJson({ output: argv.output, ...data });
      else print(`VAT 100 for period ${ret.periodKey} written to ${argv.output}`);
    });
  },
};
