import type { CommandModule } from 'yargs';
import { writeFileAtomicSync } from '../../lib/atomic-file.js';
import { resolve } from 'node:path';
import { CheckFailedError, UsageError, failedWithResult } from '../../errors.js';
import { withContext, type GlobalArgs } from '../global.js';
import { colors, info, printFitted, printJson } from '../output.js';

interface VerifyArgs extends GlobalArgs {
  processing?: string;
  format: 'text' | 'html';
  output?: string;
  verbose?: boolean;
}

export const verifyCommand: CommandModule<GlobalArgs, VerifyArgs> = {
  command: 'verify',
  describe: 'Check the imported setup against what MTD VAT needs (exit 1 when a check fails)',
  builder: (y) =>
    y
      .option('processing', { type: 'string', describe: 'Only this processing and what it uses (e.g. "UK MTD VAT TEST")' })
      .option('format', { choices: ['text', 'html'] as const, default: 'text' as const, describe: 'Report format' })
      .option('output', { type: 'string', describe: 'Write the report to this file instead of stdout' })
      .option('verbose', { type: 'boolean', default: false, describe: 'Show detail for passed checks too' }) as never,
  handler: async (argv) => {
    if (argv.json && argv.format === 'html' && !argv.output) {
      throw new UsageError('--json and --format html both want stdout: add --output FILE for the HTML report');
    }
    const { verifySetup, renderVerifyText } = await import('../../verify/verify.js');
    const result = await withContext(argv, (ctx) => verifySetup(ctx, { processing: argv.processing }));
    if (argv.format === 'html') {
      const { renderVerifyHtml } = await import('../../verify/verify-html.js');
      const html = renderVerifyHtml(result);
      if (argv.output) {
        writeFileAtomicSync(resolve(argv.output), html, 0o644);
        info(`Report written to ${resolve(argv.output)}`);
      } else process.stdout.write(html);
    } else if (argv.output) {
      const plain = { green: String, yellow: String, red: String, bold: String, dim: String };
      writeFileAtomicSync(resolve(argv.output), renderVerifyText(result, plain, { verbose: argv.verbose }) + '\n', 0o644);
      info(`Report written to ${resolve(argv.output)}`);
    }
    const document = { ok: result.ok, company: result.company, checks: result.checks.map((c) => ({ id: c.id, title: c.title, status: c.status, detail: c.detail, fix: c.fix ?? null })) };
    const failed = result.checks.filter((c) => c.status === 'fail');
    if (argv.json) {
      if (result.ok) printJson(document);
    } else if (argv.format === 'text' && !argv.output) {
      // A check's title line continues under its title (after "  PASS  "), its detail under itself.
      const text = renderVerifyText(result, colors(), { verbose: argv.verbose });
      printFitted(text, (line) => (/^ {2}\S/.test(line) ? 8 : line.length - line.trimStart().length));
    } else {
      info(result.ok ? 'Setup verified: no check failed.' : `${failed.length} check${failed.length === 1 ? '' : 's'} failed.`);
    }
    if (!result.ok) {
      const error = new CheckFailedError(`${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.map((c) => c.id).join(', ')}`);
      error.problems = failed.map((c) => `${c.title}: ${c.detail}`);
      throw failedWithResult(error, document);
    }
  },
};
