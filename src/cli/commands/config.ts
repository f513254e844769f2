import type { CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { withContext, type GlobalArgs } from '../global.js';
import { print, printJson } from '../output.js';

/** Settings a user may change; each maps to a key of the store's meta table. */
const SETTINGS: Record<string, { key: string; describe: string; validate: (v: string) => string }> = {
  'default-company': {
    key: 'default_company',
    describe: 'Company (legal entity) used when --company is not given',
    validate: (v) => {
      if (!/^[A-Za-z0-9_-]{1,10}$/.test(v)) throw new UsageError(`"${v}" is not a company ID (1–10 letters, digits, _ or -)`);
      return v.toUpperCase();
    },
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
    await withContext(argv, (ctx) => {
      if (argv.action === 'set') {
        if (!argv.name || argv.value === undefined) throw new UsageError('usage: mtdvat config set NAME VALUE');
        const setting = SETTINGS[argv.name];
        setMeta(ctx.db, setting.key, setting.validate(argv.value));
      }
      const names = argv.name ? [argv.name] : Object.keys(SETTINGS);
      const values = Object.fromEntries(names.map((n) => [n, getMeta(ctx.db, SETTINGS[n].key) ?? null]));
      if (argv.json) printJson(values);
      else for (const [n, v] of Object.entries(values)) print(`${n} = ${v ?? '(not set)'}`);
    });
  },
};
