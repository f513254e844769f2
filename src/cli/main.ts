import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';
import { globalOptions } from './global.js';
import { mtdvatVersion } from '../version.js';
import { ExitError, HmrcError, InternalError, MtdvatError, UsageError, describeLocation, errorType } from '../errors.js';
import { STDERR_PREFIX, heldJson, holdJson, writeJson } from './json-out.js';
import { info } from './output.js';
import { translateSqliteError } from '../store/sqlite-errors.js';
import { closest } from './suggest.js';

/** Whether yargs will print help: only when asked for. */
function wantsHelp(args: string[]): boolean {
  return args.some((a) => a === '--help' || a === '-h' || a === 'help');
}

/** `--json` anywhere before a `--` (yargs reads it there too). */
function jsonWanted(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--json' || a === '--json=true');
}

/**
 * The `error` object of the `--json` failure envelope: type (a class of src/errors.ts), message, the
 * location fields, `problems` as an array, and `http` for an HMRC answer.
 */
export function errorJson(error: MtdvatError): Record<string, unknown> {
  const problems = error.problems?.length ? error.problems : undefined;
  // A message that sums problems up over several lines keeps its first line; the list is `problems`.
  const message = problems ? error.message.split('\n')[0].replace(/:$/, '') : error.message;
  const out: Record<string, unknown> = { type: errorType(error), message, ...error.location };
  if (problems) out.problems = problems;
  if (error instanceof HmrcError && error.status !== undefined) out.http = { status: error.status, code: error.code ?? null };
  return out;
}

/** The one place that turns outcomes into exit codes (0 ok, 1 failed, 2 usage) and failures into the --json envelope. */
export async function main(args: string[]): Promise<number> {
  // Bare `mtdvat` is a request for help, not a usage error.
  if (args.length === 0) args = ['--help'];
  const wantsJson = jsonWanted(args);
  holdJson(wantsJson);
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
    .fail((message, error, usage) => {
      if (error) throw error;
      // A command group named without its subcommand (`mtdvat auth`): that group's help, on stderr.
      if (/^Name an? .*command|^Not enough non-option arguments: got 0/.test(message) && !wantsJson) {
        cli.wrap(Math.min(110, process.stderr.columns || 100));
        (usage as unknown as { showHelp(out: (text: string) => void): void }).showHelp((text) => process.stderr.write(`${text}\n\n`));
      }
      const known = Object.keys((cli as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key);
      const group = missingSubcommand(message, args);
      throw new UsageError(group ? `\`mtdvat ${group}\` needs a subcommand${wantsJson ? '' : ' (listed above)'}` : withOptionSuggestions(message, args, known));
    });
  let failure: MtdvatError | undefined;
  try {
    await cli.parseAsync();
  } catch (caught) {
    // SQLite's own errors (a damaged or locked store) in words, wherever in a command they surfaced.
    const code = (caught as { code?: unknown } | null)?.code;
    const error = typeof code === 'string' && code.startsWith('SQLITE_') ? (translateSqliteError(code, (caught as Error).message) ?? caught) : caught;
    if (error instanceof ExitError) {
      // A command that printed its own outcome. Under --json it must have printed a document too.
      if (!wantsJson || heldJson()) {
        flushHeld();
        return error.exitCode;
      }
      failure = new MtdvatError(`the command failed (exit ${error.exitCode})`);
      return finish(failure, wantsJson, error.exitCode);
    }
    if (error instanceof MtdvatError) failure = error;
    // yargs' own error class: a coerce check (options.ts) or another command-line fault it throws directly.
    else if (error instanceof Error && error.name === 'YError') failure = new UsageError(error.message);
    else {
      const message = error instanceof Error ? error.message : String(error);
      failure = new InternalError(`internal error: ${message}`);
      if (process.env.MTDVAT_DEBUG && error instanceof Error) info(`${error.stack}`);
    }
    return finish(failure, wantsJson, failure.exitCode);
  }
  flushHeld();
  return 0;
}

function flushHeld(): void {
  const held = heldJson();
  holdJson(false);
  if (held) writeJson(held.value);
}

function finish(error: MtdvatError, wantsJson: boolean, exitCode: number): number {
  holdJson(false); // a document the command held before failing is dropped: the envelope replaces it
  if (!error.reported) {
    // Messages quote names and server text: info() escapes their control characters.
    info(`${STDERR_PREFIX} ${error.message}${describeLocation(error.location)}`);
    if (error instanceof UsageError) info('Run `mtdvat --help` for usage.');
  }
  if (wantsJson) {
    writeJson(error.result ? { ...error.result, error: errorJson(error) } : { ok: false, error: errorJson(error) });
  }
  return exitCode;
}

/**
 * Usage messages that help with typos: yargs' "Unknown arguments: dry-rn, dryRn" becomes each mistyped
 * option once (not its camelCase twin) with the closest option of the command, and a mistyped option
 * that made a required one go missing ("Missing required argument: app" after `--ap`) is pointed out.
 */
function withOptionSuggestions(message: string, args: string[], knownKeys: string[]): string {
  const known = new Set(knownKeys);
  const options = knownKeys.filter((k) => k !== '$0' && k !== '_' && !/[A-Z]/.test(k));
  const typed = args
    .filter((a) => /^--?[^-]/.test(a))
    .map((a) => a.replace(/^--?/, '').split('=')[0])
    .filter((name) => !known.has(name) && !known.has(name.replace(/^no-/, '')));
  const describe = (name: string) => {
    const flag = name.length === 1 ? `-${name}` : `--${name}`;
    const near = closest(name, options);
    return `unknown option ${flag}${near ? ` (did you mean --${near}?)` : ''}`;
  };
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (unknown) {
    const given = unknown[1].split(', ');
    return given
      .filter((name) => !given.some((other) => other !== name && other.includes('-') && camel(other) === name))
      .map((name) => (typed.includes(name) ? describe(name) : `unexpected argument "${name}"`))
      .join('; ');
  }
  return typed.length ? `${message}; ${typed.map(describe).join('; ')}` : message;
}

/** The command group (`auth`, `keys`, …) named without its subcommand, when that is what yargs reports. */
function missingSubcommand(message: string, args: string[]): string | undefined {
  if (!/^Name an? .*command|^Not enough non-option arguments: got 0/.test(message)) return undefined;
  const groups = commands.map((c) => String(c.command)).filter((c) => /<command>/.test(c)).map((c) => c.split(' ')[0]);
  const words = args.filter((a) => !a.startsWith('-'));
  const group = words.find((w) => groups.includes(w));
  return group && words.indexOf(group) === words.length - 1 ? group : undefined;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

process.umask(0o077); // every file we create (db, WAL, key, reports) is private to the user
// `mtdvat … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
process.exitCode = await main(hideBin(process.argv));
