import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { contextFrom, type GlobalArgs } from '../global.js';
import { info } from '../output.js';
import { intOption } from '../options.js';

/**
 * `mtdvat ui [--port N] [--no-open]`: the Electronic messages workspace in the browser (src/ui), on
 * 127.0.0.1 only, until Ctrl-C / SIGTERM. This module prints the address, opens the browser and
 * handles the signals; the server is src/ui/server.ts.
 */
interface UiArgs extends GlobalArgs {
  port?: number;
  open: boolean;
}

/** Mirrors DEFAULT_UI_PORT in src/ui/server.ts; kept here so `--help` loads no server code. */
const DEFAULT_PORT = 9798;
/** The launch file only has to live until the browser has read it. */
const LAUNCH_FILE_MS = 60_000;

export const uiCommand: CommandModule<GlobalArgs, UiArgs> = {
  command: 'ui',
  describe: 'The Electronic messages workspace in your browser, on 127.0.0.1 (Ctrl-C stops it)',
  builder: (y) =>
    y
      .option('port', intOption('port', `TCP port on 127.0.0.1 (default ${DEFAULT_PORT}; 0 = any free port)`, { min: 0, max: 65535 }))
      .option('open', { type: 'boolean', default: true, describe: 'Open the browser (--no-open to only print the address)' }) as unknown as Argv<UiArgs>,
  handler: async (argv) => {
    const port = argv.port ?? DEFAULT_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535 (got ${argv.port})`);
    const { startUi, writeLaunchFile } = await import('../../ui/server.js');
    const ctx = await contextFrom(argv);
    let ui;
    try {
      ui = await startUi(ctx, { port, log: (line) => info(`mtdvat ui: ${line}`) });
    } catch (e) {
      ctx.close();
      throw e;
    }
    // Listening for the signals before the address is out: a script may stop us as soon as it reads it.
    const stopped = new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    if (argv.json) process.stdout.write(JSON.stringify({ url: ui.url }) + '\n');
    else {
      process.stdout.write(`${ui.url}\n`);
      info(`mtdvat ui: the workspace for company ${ctx.company} is on ${ui.origin} (the address above carries this run's session token). Ctrl-C stops it.`);
    }
    let launch: { remove(): void } | undefined;
    let launchTimer: NodeJS.Timeout | undefined;
    if (argv.open) {
      const { openBrowser } = await import('../browser.js');
      // The token goes through a 0600 file, not the opener's argv (visible to everyone in `ps`).
      const file = writeLaunchFile(ctx.paths.home, ui.url);
      launch = file;
      if (await openBrowser(file.path)) launchTimer = setTimeout(() => file.remove(), LAUNCH_FILE_MS);
      else {
        file.remove();
        info('mtdvat ui: no browser could be opened here; open the address above yourself.');
      }
    }
    await stopped;
    if (launchTimer) clearTimeout(launchTimer);
    launch?.remove();
    await ui.close();
    ctx.close();
    if (!argv.json) info('mtdvat ui: stopped.');
  },
};
