import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { shellQuote } from '../../lib/shell-quote.js';
import { withContext, type GlobalArgs } from '../global.js';
import { info, print, printFitted, printJson, table } from '../output.js';
import { escapeControls } from '../../lib/terminal-text.js';
import { ask, askHidden, isInteractive, readStdin } from '../prompt.js';
import { EDITABLE_FIELDS } from '../../setup/web-app-fields.js';

interface NameArgs extends GlobalArgs {
  name: string;
}
interface CredentialArgs extends NameArgs {
  clientIdStdin?: boolean;
  secretStdin?: boolean;
}


/**
 * The names other commands use for the same things (auth status, vat, auth log: `app`,
 * `accessTokenExpiresAt`), beside the ones web-apps has always printed (`name`, `tokenExpiresAt`).
 */
function withCanonicalNames<T extends { name: string; tokenExpiresAt: string | null }>(a: T): T & { app: string; accessTokenExpiresAt: string | null } {
  return { ...a, app: a.name, accessTokenExpiresAt: a.tokenExpiresAt };
}

const setOrNot = (b: boolean) => (b ? 'set (encrypted)' : 'not set');

const list: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'list',
  describe: 'List the web applications (credentials only as set / not set)',
  handler: async (argv) => {
    const { listWebApps } = await import('../../auth/web-app-views.js');
    const apps = await withContext(argv, (ctx) => listWebApps(ctx));
    if (argv.json) {
      printJson(apps.map(({ fields: _f, ...a }) => withCanonicalNames(a)));
      return;
    }
    if (!apps.length) {
      info('No web applications: import the setup package first (mtdvat import-package FILE).');
      return;
    }
    print(table(['Name', 'Base URL', 'Client ID', 'Client secret', 'Token'], apps.map((a) => [a.name, a.baseUrl, setOrNot(a.clientIdSet), setOrNot(a.clientSecretSet), a.tokenStatus ?? 'no tokens'])));
  },
};

const show: CommandModule<GlobalArgs, NameArgs> = {
  command: 'show <name>',
  describe: 'Show every field of one web application',
  builder: (y) => y.positional('name', { type: 'string', demandOption: true, describe: 'Application name, e.g. "Sandbox HMRC"' }) as Argv<NameArgs>,
  handler: async (argv) => {
    const { showWebApp } = await import('../../auth/web-app-views.js');
    const { loadSchemas } = await import('../../schema/registry.js');
    const app = await withContext(argv, (ctx) => showWebApp(ctx, argv.name));
    if (argv.json) {
      printJson(withCanonicalNames(app));
      return;
    }
    const schema = loadSchemas().byId('WebApplication');
    const set: Record<string, boolean> = { CLIENTID: app.clientIdSet, CLIENTSECRET: app.clientSecretSet, SERVERTOKEN: app.serverTokenSet };
    const rows = schema.fields.map((f) => [f.label ?? f.name, f.secret ? setOrNot(set[f.name] ?? false) : (app.fields[f.name] ?? '')]);
    const width = Math.max(...rows.map((r) => r[0].length));
    // One line per field: a value's own line breaks are shown escaped, not broken.
    for (const [label, value] of rows) printFitted(`${label.padEnd(width)}  ${escapeControls(value)}`, width + 2);
    if (app.tokenStatus) {
      printFitted(`${'Access token'.padEnd(width)}  ${app.tokenStatus}`, width + 2);
      printFitted(`${'Granted scope'.padEnd(width)}  ${app.scope}`, width + 2);
      printFitted(`${'Authority ends'.padEnd(width)}  ${app.refreshHorizonAt?.slice(0, 10)}`, width + 2);
    } else {
      printFitted(`${'Access token'.padEnd(width)}  none (not authorized yet)`, width + 2);
    }
  },
};

const setCredentials: CommandModule<GlobalArgs, CredentialArgs> = {
  command: 'set-credentials <name>',
  describe:
    'Store the client ID and client secret (encrypted). The secret comes from a hidden prompt or stdin, never from arguments. With both --client-id-stdin and --secret-stdin, stdin line 1 is the client ID and line 2 the secret.',
  builder: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'Application name, e.g. "Sandbox HMRC"' })
      .option('client-id-stdin', { type: 'boolean', default: false, describe: 'Read the client ID from stdin (line 1 when --secret-stdin is also given)' })
      .option('secret-stdin', { type: 'boolean', default: false, describe: 'Read the client secret from stdin (line 2 when --client-id-stdin is also given)' }) as Argv<CredentialArgs>,
  handler: async (argv) => {
    let clientId: string | undefined;
    let clientSecret: string | undefined;
    if (argv.clientIdStdin || argv.secretStdin) {
      const input = await readStdin();
      if (argv.clientIdStdin && argv.secretStdin) {
        const lines = input.split(/\r?\n/);
        if (lines.length < 2) throw new UsageError('stdin must hold two lines: the client ID, then the client secret');
        [clientId, clientSecret] = lines;
      } else if (argv.clientIdStdin) clientId = input.split(/\r?\n/)[0];
      else clientSecret = input;
    } else if (!isInteractive()) {
      throw new UsageError('no terminal to ask on: pipe the values with --client-id-stdin and/or --secret-stdin');
    } else {
      clientId = (await ask(`Client ID for "${argv.name}" (Enter keeps the current one): `)).trim() || undefined;
      clientSecret = (await askHidden(`Client secret for "${argv.name}" (hidden; Enter keeps the current one): `)) || undefined;
    }
    const { setCredentials } = await import('../../setup/web-app-edits.js');
    const result = await withContext(argv, (ctx) => setCredentials(ctx, argv.name, { clientId, clientSecret }));
    if (argv.json) printJson(result);
    else {
      const what = result.changed.map((f) => (f === 'CLIENTID' ? 'client ID' : 'client secret')).join(' and ');
      print(`Stored the ${what} of "${result.name}" (encrypted).`);
    }
  },
};

const set: CommandModule<GlobalArgs, NameArgs & Record<string, unknown>> = {
  command: 'set <name>',
  describe: 'Change non-secret fields (e.g. point "Sandbox HMRC" at the local emulator with --base-url http://127.0.0.1:9797)',
  builder: (y) => {
    let b = y.positional('name', { type: 'string', demandOption: true, describe: 'Application name' });
    for (const spec of EDITABLE_FIELDS) b = b.option(spec.option, { type: 'string', describe: spec.describe });
    b = b.option('yes', { type: 'boolean', default: false, describe: 'Confirm a --base-url on another origin (its tokens are dropped; its credentials go to the new origin)' });
    return b as unknown as Argv<NameArgs & Record<string, unknown>>;
  },
  handler: async (argv) => {
    const changes: Record<string, string> = {};
    for (const spec of EDITABLE_FIELDS) {
      const v = argv[spec.option];
      if (typeof v === 'string') changes[spec.field] = v;
    }
    const { updateWebApp, originChange } = await import('../../setup/web-app-edits.js');
    const result = await withContext(argv, async (ctx) => {
      let confirmed = argv.yes === true;
      const move = changes.BASEURL !== undefined ? originChange(ctx, argv.name, changes.BASEURL) : undefined;
      if (move && !confirmed) {
        const { confirm } = await import('../prompt.js');
        const what = [move.hasTokens && 'its tokens are dropped', move.hasCredentials && `its client ID and secret will be sent to ${move.to}`].filter(Boolean).join(' and ');
        confirmed = await confirm(`Move "${argv.name}" from ${move.from ?? 'no origin'} to ${move.to}${what ? ` (${what})` : ''}?`);
        if (!confirmed) throw new UsageError('nothing changed');
      }
      return updateWebApp(ctx, argv.name, changes, { confirmedOriginChange: confirmed });
    });
    if (argv.json) {
      printJson(result);
      return;
    }
    const entries = Object.entries(result.changed);
    if (!entries.length) print(`"${result.name}" already has these values; nothing changed.`);
    for (const [field, { from, to }] of entries) print(`${result.name}: ${field} "${from}" → "${to}"`);
    for (const ws of result.servicesMoved) print(`Web service "${ws}" follows it to ${new URL(result.changed.BASEURL!.to).origin}.`);
    if (result.tokensDropped) print(`Dropped the tokens of "${result.name}" (they belong to the old origin): authorize again with mtdvat auth get-authorization-code --app ${shellQuote(result.name)}`);
    if (entries.length) info('Run `mtdvat verify` to check the setup.');
  },
};

export const webAppsCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'web-apps <command>',
  describe: 'Web applications: list, show, set, set-credentials',
  builder: (y) => y.command([list, show, set, setCredentials] as CommandModule<GlobalArgs, any>[]).demandCommand(1, 'Name a web-apps command: list, show, set or set-credentials'),
  handler: () => {},
};
