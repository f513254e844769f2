import { shellQuote } from '../../lib/shell-quote.js';
import type { Argv, CommandModule } from 'yargs';
import { withContext, type GlobalArgs } from '../global.js';
import { auditLogCommand } from '../audit-log-command.js';
import { print, printFitted, printJson, info, infoFitted, colors } from '../output.js';
import { askHidden, confirm, readStdin } from '../prompt.js';
import { NotFoundError } from '../../errors.js';
import { openBrowser } from '../browser.js';

/**
 * `mtdvat auth …`: HMRC authorization for an imported web application (the D365 seed flow).
 * Parsing and printing only; the work is in src/auth/. Library modules are imported inside the
 * handlers so `mtdvat auth status` never loads libsodium or the HTTP client.
 */

interface AppArgs extends GlobalArgs {
  app: string;
}

interface GetCodeArgs extends AppArgs {
  scope: string;
  yes: boolean;
  redirect?: 'oob' | 'loopback';
  browser: boolean;
}

interface ObtainArgs extends AppArgs {
  code?: string;
  'code-stdin'?: boolean;
  force: boolean;
}

interface StatusArgs extends GlobalArgs {
  app?: string;
}

const appOption = { type: 'string', demandOption: true, describe: 'Web application name (as imported, e.g. "Sandbox HMRC")' } as const;

/** "4 h 0 min": rounded to the minute, so a token obtained a second ago reads as HMRC's 4 hours. */
async function expiresInText(ms: number): Promise<string> {
  const { formatDuration } = await import('../../lib/duration.js');
  return formatDuration(Math.round(ms / 60_000) * 60_000);
}

const getAuthorizationCode: CommandModule<GlobalArgs, GetCodeArgs> = {
  command: 'get-authorization-code',
  describe: 'Start authorization: print (and open) HMRC\'s sign-in URL for the web application',
  builder: (y) =>
    y
      .option('app', appOption)
      .option('scope', { type: 'string', default: 'read:vat write:vat', describe: 'Space-separated scopes (must include read:vat write:vat)' })
      .option('yes', { type: 'boolean', default: false, describe: 'Give the system administrator consent without asking' })
      .option('redirect', { choices: ['oob', 'loopback'] as const, describe: 'oob: copy the code from HMRC\'s page; loopback: receive it on 127.0.0.1 and obtain the token at once' })
      .option('browser', { type: 'boolean', default: true, describe: 'Open the URL in a browser (--no-browser to only print it)' }) as unknown as Argv<GetCodeArgs>,
  handler: async (argv) => {
    await withContext(argv, async (ctx) => {
      const { authorize } = await import('../../auth/authorize.js');
      const { isOobRedirect } = await import('../../auth/get-authorization-code.js');
      const outcome = await authorize(
        ctx,
        argv.app,
        { scope: argv.scope, redirect: argv.redirect, yes: argv.yes },
        {
          confirm: (question) => confirm(question),
          warn: (text) => infoFitted(`mtdvat: warning: ${text}`, 17),
          showUrl: (req, { mode, redirectUri }) => {
            if (mode === 'loopback') {
              // stdout is kept for the result; the URL goes to stderr while we wait.
              info('Open this URL in a browser, sign in to HMRC and select "Grant authority":');
              info(req.authorizationUrl);
              info(`Waiting for HMRC's redirect to ${redirectUri} (up to 10 minutes)…`);
              return;
            }
            // pendingCodeExpiresAt: the canonical name (auth status); expiresAt stays for scripts that use it.
            if (argv.json) return printJson({ authorizationUrl: req.authorizationUrl, state: req.state, expiresAt: req.expiresAt, pendingCodeExpiresAt: req.expiresAt });
            print('Open this URL in a browser, sign in to HMRC and select "Grant authority":');
            print(req.authorizationUrl);
            print('');
            print(
              isOobRedirect(redirectUri)
                ? `Then, within 10 minutes, copy the code HMRC shows and run: mtdvat auth obtain-access-token --app ${shellQuote(req.app.name)}`
                : `Then, within 10 minutes, copy the code from the redirect and run: mtdvat auth obtain-access-token --app ${shellQuote(req.app.name)}`,
            );
          },
          openBrowser: argv.browser ? openBrowser : undefined,
        },
      );
      if (outcome.mode === 'oob') return;
      const { request: req, token: result } = outcome;
      if (argv.json) {
        printJson({
          authorizationUrl: req.authorizationUrl,
          state: req.state,
          expiresAt: req.expiresAt,
          pendingCodeExpiresAt: req.expiresAt,
          app: result.app,
          accessTokenExpiresAt: result.expiresAt,
          scope: result.scope,
        });
      } else print(`Access token will expire in ${await expiresInText(result.expiresInMs)}`);
    });
  },
};

const obtainAccessTokenCmd: CommandModule<GlobalArgs, ObtainArgs> = {
  command: 'obtain-access-token',
  describe: 'Exchange the authorization code from HMRC\'s page for an access token (within 10 minutes)',
  builder: (y) =>
    y
      .option('app', appOption)
      .option('code', { type: 'string', describe: 'The code (prefer --code-stdin or the prompt: argv is visible to other users)' })
      // No default: yargs counts a defaulted flag as given, and `.conflicts` then refused every --code.
      .option('code-stdin', { type: 'boolean', describe: 'Read the code from stdin' })
      .option('force', { type: 'boolean', default: false, describe: 'Try even if the code request is older than 10 minutes' })
      .conflicts('code', 'code-stdin') as unknown as Argv<ObtainArgs>,
  handler: async (argv) => {
    const code = argv.code !== undefined ? argv.code : argv['code-stdin'] ? await readStdin() : await askHidden('Authorization code from HMRC: ');
    await withContext(argv, async (ctx) => {
      const { obtainAccessToken } = await import('../../auth/obtain-access-token.js');
      const result = await obtainAccessToken(ctx, argv.app, code, { force: argv.force });
      if (argv.json) printJson({ app: result.app, expiresAt: result.expiresAt, accessTokenExpiresAt: result.expiresAt, scope: result.scope });
      else print(`Access token will expire in ${await expiresInText(result.expiresInMs)}`);
    });
  },
};

const refreshAccessTokenCmd: CommandModule<GlobalArgs, AppArgs> = {
  command: 'refresh-access-token',
  describe: 'Refresh the access token now (normally automatic)',
  builder: (y) => y.option('app', appOption) as unknown as Argv<AppArgs>,
  handler: async (argv) => {
    await withContext(argv, async (ctx) => {
      const { refreshAccessToken } = await import('../../auth/refresh.js');
      const result = await refreshAccessToken(ctx, argv.app);
      if (argv.json) printJson({ app: result.app, expiresAt: result.expiresAt, accessTokenExpiresAt: result.expiresAt, scope: result.scope });
      else print(`Access token will expire in ${await expiresInText(result.expiresInMs)}`);
    });
  },
};

const statusCmd: CommandModule<GlobalArgs, StatusArgs> = {
  command: 'status',
  describe: 'Token expiry, refresh horizon, scope and pending code per web application (never the tokens)',
  builder: (y) => y.option('app', { type: 'string', describe: 'Only this web application' }) as unknown as Argv<StatusArgs>,
  handler: async (argv) => {
    await withContext(argv, async (ctx) => {
      const { authStatus } = await import('../../auth/status.js');
      const rows = authStatus(ctx.db, ctx.company, argv.app, ctx.env);
      if (argv.app !== undefined && rows.length === 0) {
        throw new NotFoundError(`no web application "${argv.app}" in company ${ctx.company}`);
      }
      if (argv.json) {
        printJson(
          rows.map((r) => ({
            app: r.app,
            state: r.state,
            accessTokenExpiresAt: r.accessTokenExpiresAt,
            refreshHorizonAt: r.refreshHorizonAt,
            scope: r.scope,
            pendingCodeExpiresAt: r.pendingCodeExpiresAt,
          })),
        );
        return;
      }
      if (!rows.length) {
        print(`No web applications in company ${ctx.company}: import the MTD VAT package first.`);
        return;
      }
      const c = colors();
      for (const r of rows) {
        print(c.bold(r.app));
        if (r.state === 'revoked') printFitted(`  Authorization:   ${c.red(`revoked by HMRC (invalid_grant) on ${r.revokedAt}`)}: run mtdvat auth get-authorization-code --app ${shellQuote(r.app)}`, 17);
        if (r.accessTokenExpiresAt === null) printFitted(`  Access token:    none (run: mtdvat auth get-authorization-code --app ${shellQuote(r.app)})`, 17);
        else if (r.state === 'revoked') printFitted(`  Access token:    ${c.red('dead')} (the grant was refused)`, 17);
        else if (r.accessTokenExpired) printFitted(`  Access token:    ${c.yellow('expired')} at ${r.accessTokenExpiresAt} (refreshed automatically on the next HMRC call)`, 17);
        else printFitted(`  Access token:    will expire in ${await expiresInText(r.accessTokenExpiresInMs!)} (${r.accessTokenExpiresAt})`, 17);
        if (r.refreshHorizonAt !== null) {
          const left = r.refreshHorizonInMs!;
          const text =
            left <= 0
              ? c.red(`authorization ended ${r.refreshHorizonAt}: run mtdvat auth get-authorization-code --app ${shellQuote(r.app)}`)
              : r.horizonWarning
                ? c.yellow(`${r.refreshHorizonAt} — ends in ${Math.ceil(left / 86_400_000)} days: authorize again before then`)
                : `${r.refreshHorizonAt} (grant time + 18 months)`;
          printFitted(`  Refresh horizon: ${text}`, 17);
          printFitted(`  Scope:           ${r.scope}`, 17);
        }
        if (r.pendingCodeRequestedAt !== null) {
          const age = Math.floor(r.pendingCodeAgeMs! / 60_000);
          const expired = Date.parse(r.pendingCodeExpiresAt!) <= Date.parse(r.pendingCodeRequestedAt) + r.pendingCodeAgeMs!;
          printFitted(`  Pending code:    requested ${age} min ago${expired ? ' — expired, request a new one' : `, obtain the token before ${r.pendingCodeExpiresAt}`}`, 17);
        }
      }
    });
  },
};

const forgetCmd: CommandModule<GlobalArgs, AppArgs> = {
  command: 'forget',
  describe: 'Delete the stored tokens (and pending request) of a web application',
  builder: (y) => y.option('app', appOption) as unknown as Argv<AppArgs>,
  handler: async (argv) => {
    await withContext(argv, async (ctx) => {
      const { forgetTokens } = await import('../../auth/forget.js');
      const r = forgetTokens(ctx, argv.app);
      if (argv.json) printJson(r);
      else print(r.tokensDeleted || r.pendingDeleted ? `Forgot the stored tokens of "${r.app}".` : `No stored tokens for "${r.app}".`);
    });
  },
};

const logCmd = auditLogCommand({
  category: 'auth',
  describe: 'Auth events (code requested, token obtained, refreshed, failed), newest first, without secrets',
  empty: 'No auth events yet.',
  columns: ['At', 'App', 'Event', 'Detail'],
  row: (r) => [r.at, r.app ?? '', r.event, summary(r.detail)],
});

function summary(d: Record<string, unknown>): string {
  if (typeof d.status === 'number') return `HTTP ${d.status}`;
  if (typeof d.error === 'string') return d.error;
  return Object.entries(d)
    .filter(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

export const authCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'auth <command>',
  describe: 'Authorize with HMRC: get an authorization code, obtain and refresh access tokens',
  builder: (y) =>
    y
      .command(getAuthorizationCode)
      .command(obtainAccessTokenCmd)
      .command(refreshAccessTokenCmd)
      .command(statusCmd)
      .command(forgetCmd)
      .command(logCmd)
      .demandCommand(1, 'Name an auth subcommand.') as unknown as Argv<GlobalArgs>,
  handler: () => {},
};

export default authCommand;
