import type { Argv, CommandModule } from 'yargs';
import { withContext, type GlobalArgs } from '../global.js';
import { print, printFitted, printJson, infoFitted, table } from '../output.js';
import { confirm } from '../prompt.js';
import { CheckFailedError, failedWithResult } from '../../errors.js';

/** `mtdvat fph …`: fraud prevention headers (HMRC spec v3.3). */
interface ValidateArgs extends GlobalArgs {
  app: string;
  yes: boolean;
}

const validate: CommandModule<GlobalArgs, ValidateArgs> = {
  command: 'validate',
  describe: "Send this machine's fraud prevention headers to HMRC's Test Fraud Prevention Headers API (sandbox) and print the verdict",
  builder: (y) =>
    y
      .option('app', { type: 'string', demandOption: true, describe: 'Web application name (a sandbox one)' })
      .option('yes', { type: 'boolean', default: false, describe: 'Give fraud-header consent without asking' }) as unknown as Argv<ValidateArgs>,
  handler: async (argv) => {
    const info = (text: string) => infoFitted(text, 4);
    const { validateFraudHeadersAtHmrc } = await import('../../vat/sandbox-apis.js');
    const outcome = await withContext(argv, async (ctx) => {
      const { result } = await validateFraudHeadersAtHmrc(ctx, argv.app, {
        consent: { yes: argv.yes, show: info, ask: (q) => confirm(q) },
        announce: info,
      });
      if (argv.json) {
        if (result.code !== 'INVALID_HEADERS') printJson(result);
      } else {
        print(`${result.code}: ${result.message}${result.specVersion ? ` (spec ${result.specVersion})` : ''}`);
        const issues = [
          ...(result.errors ?? []).map((e) => ['error', e.code, e.headers.join(', '), e.message]),
          ...(result.warnings ?? []).map((w) => ['warning', w.code, w.headers.join(', '), w.message]),
        ];
        if (issues.length) print(table(['Severity', 'Code', 'Headers', 'Message'], issues));
        if ((result.warnings ?? []).some((w) => w.headers.includes('gov-client-multi-factor'))) {
          infoFitted('Note: mtdvat has no sign-in of its own, so Gov-Client-Multi-Factor is sent empty; HMRC asks you to tell them why.', 6);
        }
      }
      return result;
    });
    // Invalid headers fail the command (exit 1) after the verdict is printed.
    if (outcome.code === 'INVALID_HEADERS') {
      const error = new CheckFailedError(`HMRC's validator found invalid fraud prevention headers: ${outcome.message}`);
      error.problems = (outcome.errors ?? []).map((e) => `${e.code} (${e.headers.join(', ')}): ${e.message}`);
      throw failedWithResult(error, outcome as unknown as Record<string, unknown>);
    }
  },
};

interface ShowArgs extends GlobalArgs {
  app?: string;
}

const show: CommandModule<GlobalArgs, ShowArgs> = {
  command: 'show',
  describe: 'Print the fraud prevention headers this machine would send now (nothing is sent)',
  // The headers are the same for every web application; --app (as in `fph validate`) names the one
  // they would go to, and checks that it exists.
  builder: (y) => y.option('app', { type: 'string', describe: 'Web application the headers would be sent to (optional: they are the same for all)' }) as unknown as Argv<ShowArgs>,
  handler: async (argv) => {
    const { collectFraudValues, encodeFraudHeaders, describeFraudHeaders } = await import('../../hmrc/fraud-headers.js');
    const { loadWebApp } = await import('../../setup/web-app.js');
    await withContext(argv, (ctx) => {
      const app = argv.app === undefined ? undefined : loadWebApp(ctx, argv.app);
      const values = collectFraudValues(ctx);
      const headers = encodeFraudHeaders(values);
      if (argv.json) printJson({ ...(app ? { app: app.name, baseUrl: app.baseUrl } : {}), headers, sources: values.sources });
      else {
        if (app) print(`Web application "${app.name}" (${app.baseUrl}):`);
        printFitted(describeFraudHeaders(headers, values), 4);
      }
    });
  },
};

export const fphCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'fph <command>',
  describe: 'Fraud prevention headers: show what is sent, validate with HMRC',
  builder: (y) => y.command(validate).command(show).demandCommand(1, 'Name an fph subcommand.') as unknown as Argv<GlobalArgs>,
  handler: () => {},
};
