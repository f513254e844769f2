import type { CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { withContext, type GlobalArgs } from '../global.js';
import { print, printJson, warn } from '../output.js';
import { COMPANY_ID_RULE, isCompanyId } from '../../lib/company.js';

/** Settings a user may change; each maps to a key of the store's meta table. */
const SETTINGS: Record<string, { key: string; describe: string; validate: (v: string, known: string[]) => string; warn?: (v: string, known: string[]) => string | undefined }> = {
  'default-company': {
    key: 'default_company',
    describe: 'Company (legal entity) used when --company is not given',
    // A D365 legal entity ID, or an ID the store already holds (set before this rule).
    validate: (v, known) => {
      if (!isCompanyId(v) && !known.includes(v) && !known.includes(v.toUpperCase())) {
        throw new UsageError(`"${v}" is not a D365 legal entity ID (${COMPANY_ID_RULE})`);
      }
      return v.toUpperCase();
    },
    warn: (v, known) =>
      known.includes(v)
        ? undefined
        : `company ${v} has no setup yet${known.length ? ` (companies with a setup: ${known.join(', ')})` : ''}: import a package into it, e.g. mtdvat import-package packages-data/mtd-vat.zip --company ${v}`,
  },
};

interface Args extends GlobalArgs {
  action: 'get' | 'set';
  name?: string;
  value?: string;
}

export const configCommand: CommandModule<GlobalArgs, Args> = {
  command: 'config <action> [name] [value]',
  describe: 'Show or change settings (default-company)',
  builder: (y) =>
    y
      .positional('action', { choices: ['get', 'set'] as const, demandOption: true })
      .positional('name', { type: 'string', choices: Object.keys(SETTINGS) })
      .positional('value', { type: 'string' })
      .example('$0 config set default-company GBSI', 'Import and verify company GBSI unless --company says otherwise') as never,
  handler: async (argv) => {
    const { getMeta, setMeta } = await import('../../store/db.js');
    const { companiesWithSetup } = await import('../../store/records.js');
    await withContext(argv, (ctx) => {
      if (argv.action === 'set') {
        if (!argv.name || argv.value === undefined) throw new UsageError('usage: mtdvat config set NAME VALUE');
        const setting = SETTINGS[argv.name];
        const known = companiesWithSetup(ctx.db);
        const value = setting.validate(argv.value, known);
        setMeta(ctx.db, setting.key, value);
        const warning = setting.warn?.(value, known);
        if (warning) warn(warning);
      }
      const names = argv.name ? [argv.name] : Object.keys(SETTINGS);
      const values = Object.fromEntries(names.map((n) => [n, getMeta(ctx.db, SETTINGS[n].key) ?? null]));
      if (argv.json) printJson(values);
      else for (const [n, v] of Object.entries(values)) print(`${n} = ${v ?? '(not set)'}`);
    });
  },
};
