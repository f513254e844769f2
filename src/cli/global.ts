import type { Options } from 'yargs';
import type { Context } from '../context.js';
import { dirname, join, resolve } from 'node:path';
import { askHidden } from './prompt.js';
import { info } from './output.js';

/** Options every command accepts. */
export interface GlobalArgs {
  home?: string;
  db?: string;
  company?: string;
  json?: boolean;
}

export const globalOptions: Record<keyof GlobalArgs, Options> = {
  home: { type: 'string', describe: 'State folder (default: $MTDVAT_HOME or $XDG_DATA_HOME/mtdvat)', global: true },
  db: { type: 'string', describe: 'Database file (default: <home>/mtdvat.db)', global: true },
  company: { type: 'string', describe: 'Legal entity (company) the setup belongs to (default: DAT)', global: true },
  json: { type: 'boolean', describe: 'Machine-readable result on stdout', default: false, global: true },
};

/**
 * Opens the store for a command; the passphrase prompt is only offered on a terminal. Imported lazily:
 * SQLite and libsodium load only when a command runs, so `--help` starts like plain node.
 */
export async function contextFrom(argv: GlobalArgs): Promise<Context> {
  const { openContext } = await import('../open-context.js');
  const ctx = openContext({
    home: argv.home,
    db: argv.db,
    company: argv.company,
    askPassphrase: process.stdin.isTTY ? () => askHidden('Passphrase for the mtdvat key: ') : undefined,
    onKeyCreated: (keyFile) => process.stderr.write(keyCreatedNotice(keyFile, argv.db)),
  });
  for (const warning of ctx.warnings ?? []) info(`warning: ${warning}`);
  return ctx;
}

/** What the first run that makes the data key tells the user (stderr): where it is and why it must be kept. */
export function keyCreatedNotice(keyFile: string, db: string | undefined): string {
  const store = db ? resolve(db) : join(dirname(keyFile), 'mtdvat.db');
  return (
    `mtdvat: created the data key ${keyFile} (mode 0600). It encrypts the stored client secrets and tokens:\n` +
    `  back it up together with the store (${store}); a copy of the store without this key cannot be decrypted.\n` +
    `  \`mtdvat keys protect\` puts a passphrase on the key file, so the backup of the key alone does not open the store.\n`
  );
}

/** Runs `fn` with an open context and always closes it. */
export async function withContext<T>(argv: GlobalArgs, fn: (ctx: Context) => Promise<T> | T): Promise<T> {
  const ctx = await contextFrom(argv);
  try {
    return await fn(ctx);
  } finally {
    ctx.close();
  }
}
