import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';
import { globalOptions } from './global.js';
import { mtdvatVersion } from '../version.js';
import { ExitError, MtdvatError, UsageError, describeLocation } from '../errors.js';
import { info, jsonText } from './output.js';
import { translateSqliteError } from '../store/sqlite-errors.js';

/** Whether yargs will print help: only when asked for. */
function wantsHelp(args: string[]): boolean {
  return args.some((a) => a === '--help' || a === '-h' || a === 'help');
}

/** The one place that turns outcomes into exit codes: 0 ok, 1 failed, 2 usage. */
export async function main(args: string[]): Promise<number> {
  const wantsJson = args.includes('--json');
  const cli = yargs(args)
    .scriptName('mtdvat')
    .usage('$0 <command> [options]\n\nUK Making Tax Digital VAT: import the D365 Electronic messages setup, verify it, authorize with HMRC, file VAT returns.')
    .options(globalOptions)
    .command(commands)
    .demandCommand(1, 'Name a command.')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(mtdvatVersion()) // given, or yargs searches the folders above for package.json on every run
    // yargs renders the help text on every command run (to cache it); only wrap it when it is shown.
    .wrap(wantsHelp(args) ? Math.min(110, process.stdout.columns || 100) : null)
    .fail((message, error) => {
      if (error) throw error;
      throw new UsageError(message);
    });
  try {
    await cli.parseAsync();
    return 0;
  } catch (caught) {
    // SQLite's own errors (a damaged or locked store) in words, wherever in a command they surfaced.
    const code = (caught as { code?: unknown } | null)?.code;
    const error = typeof code === 'string' && code.startsWith('SQLITE_') ? (translateSqliteError(code, (caught as Error).message) ?? caught) : caught;
    if (error instanceof ExitError) return error.exitCode;
    if (error instanceof MtdvatError) {
      const where = describeLocation(error.location);
      // Messages quote names and server text: info() escapes their control characters.
      info(`mtdvat: ${error.message}${where}`);
      if (error instanceof UsageError) info('Run `mtdvat --help` for usage.');
      if (wantsJson) {
        process.stdout.write(jsonText({ ok: false, error: { type: error.name, message: error.message, ...error.location } }) + '\n');
      }
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    info(`mtdvat: internal error: ${message}`);
    if (process.env.MTDVAT_DEBUG && error instanceof Error) info(`${error.stack}`);
    return 1;
  }
}

process.umask(0o077); // every file we create (db, WAL, key, reports) is private to the user
// `mtdvat … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
process.exitCode = await main(hideBin(process.argv));
