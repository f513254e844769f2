import type { CommandModule } from 'yargs';
import { MtdvatError, UsageError } from '../../errors.js';
import { createTestUserCommand } from './sandbox-create-test-user.js';
import { jsonText, print } from '../output.js';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureHome, resolveHome } from '../../home.js';
import { intOption } from '../options.js';

/**
 * `mtdvat sandbox`: runs the local HMRC emulator (src/sandbox) in the foreground until SIGINT/SIGTERM,
 * so users can try authorize → obligations → submit without HMRC credentials.
 * Never prints secrets: the client secret and passwords are pointed to, not shown.
 */
interface SandboxArgs {
  port?: number;
  config?: string;
  json?: boolean;
  home?: string;
  state?: string;
  fresh?: boolean;
  'test-routes'?: boolean;
}

/**
 * Where the emulator keeps its state: --state, else one file per port in the home folder (so two
 * emulators on two ports do not share tokens). Port 0 (any free port) is a throwaway run: memory only.
 */
function sandboxStateFile(argv: SandboxArgs, port: number): string | undefined {
  if (argv.state) return resolve(argv.state);
  if (port === 0) return undefined;
  const paths = resolveHome({ home: argv.home });
  ensureHome(paths);
  return join(paths.home, `sandbox-${port}.json`);
}

/** The default subcommand: `mtdvat sandbox [--port N]` serves until stopped. */
export const serveCommand: CommandModule<object, SandboxArgs> = {
  command: ['serve', '$0'],
  describe: 'Run a local HMRC emulator (OAuth, VAT API, test users) on 127.0.0.1',
  builder: (y) =>
    y
      .option('port', intOption('port', 'TCP port on 127.0.0.1 (0 = any free port; default 9797)', { min: 0, max: 65535 }))
      .option('config', { type: 'string', describe: 'JSON file with clients, testUsers, rateLimitPerSecond and payments' })
      .option('json', { type: 'boolean', describe: 'Print one JSON line with url, port, clientId and test users' })
      .option('state', { type: 'string', describe: 'Keep clients, test users, grants, tokens and filed returns in this file (default: <home>/sandbox-<port>.json)' })
      .option('fresh', { type: 'boolean', default: false, describe: 'Start with an empty state (the state file is overwritten)' })
      // Tests only: the sign-in shortcut and the clock/fault controls. Hidden from --help on purpose.
      .option('test-routes', { type: 'boolean', default: false, hidden: true }) as never,
  handler: async (argv) => {
    // Loaded here, not at module load, so `mtdvat --help` stays fast.
    const { startSandbox } = await import('../../emulator/server.js');
    const { DEFAULT_TEST_USER } = await import('../../emulator/defaults.js');
    const { DEFAULT_SANDBOX_CLIENT, DEFAULT_SANDBOX_PORT } = await import('../../lib/emulator-defaults.js');
    const { loadSandboxConfig } = await import('../../emulator/config.js');

    const port = argv.port ?? DEFAULT_SANDBOX_PORT;
    // Parsing already checked --port (options.ts); this guards callers that run the handler directly.
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got "${String(argv.port)}"`);
    const options = argv.config ? loadSandboxConfig(argv.config) : {};
    const clients = options.clients ?? [DEFAULT_SANDBOX_CLIENT];
    const testUsers = options.testUsers ?? [DEFAULT_TEST_USER];
    const stateFile = sandboxStateFile(argv, port);
    const resumed = !!stateFile && !argv.fresh && existsSync(stateFile);

    let sandbox;
    try {
      sandbox = await startSandbox({
        ...options,
        port,
        clients,
        testUsers,
        stateFile,
        freshState: argv.fresh,
        testRoutes: argv['test-routes'] === true,
        onStateError: (error) => process.stderr.write(`mtdvat: sandbox state ${stateFile} could not be saved: ${(error as NodeJS.ErrnoException).code ?? error.message}\n`),
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new MtdvatError(`port ${port} on 127.0.0.1 is already in use; choose another with --port`);
      if (code === 'EACCES') throw new MtdvatError(`not allowed to listen on port ${port}; choose a port above 1023 with --port`);
      throw e;
    }

    if (argv.json) {
      // One line: a script reads the first line while the emulator keeps running.
      process.stdout.write(
        jsonText(
          {
            url: sandbox.url,
            port: sandbox.port,
            clientId: clients[0].clientId,
            testUsers: testUsers.map((u) => ({ userId: u.userId, vrn: u.vrn })),
            stateFile: stateFile ?? null,
            resumed,
          },
          0,
        ) + '\n',
      );
    } else {
      // The default client and test user are public demo values (they work against this loopback
      // emulator only), so their password is shown; users from a config file are pointed to it.
      const password = (u: { userId: string; password: string }) =>
        u.userId === DEFAULT_TEST_USER.userId && u.password === DEFAULT_TEST_USER.password ? `password ${u.password}` : `password: see your config file (${argv.config})`;
      const lines = [
        `Local HMRC sandbox (emulator, not HMRC) listening on ${sandbox.url}`,
        `  client id:     ${clients[0].clientId}`,
        `  client secret: ${clients[0].clientId === DEFAULT_SANDBOX_CLIENT.clientId ? 'the public demo secret (already in packages-data/mtd-vat-local.zip)' : `see your config file (${argv.config})`}`,
        ...testUsers.map((u) => `  test user:     ${u.userId}, ${password(u)} (VRN ${u.vrn})`),
        `  authorize at:  ${sandbox.url}/oauth/authorize`,
        stateFile
          ? `  state:         ${stateFile} (${resumed ? 'resumed: earlier grants, tokens and returns still count' : 'new'}; --fresh starts empty)`
          : '  state:         in memory only (give --state FILE to keep it)',
        'Press Ctrl+C to stop.',
      ];
      print(lines.join('\n'));
    }

    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await sandbox.close();
    if (!argv.json) process.stderr.write('Sandbox stopped.\n');
  },
};

export const sandboxCommand: CommandModule<object, object> = {
  command: 'sandbox',
  describe: 'Local HMRC emulator (`mtdvat sandbox [--port N]`), and sandbox helpers (create-test-user)',
  builder: (y) => y.command(serveCommand).command(createTestUserCommand as CommandModule<object, never>),
  handler: () => {},
};
