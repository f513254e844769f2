import type { CommandModule } from 'yargs';
import { MtdvatError, failedWithResult } from '../../errors.js';
import { withContext, type GlobalArgs } from '../global.js';
import { colors, info, print, printJson, table, infoFitted } from '../output.js';
import { escapeControls } from '../../lib/terminal-text.js';
import type { ImportResult } from '../../importer/import-package.js';

interface Args extends GlobalArgs {
  file: string;
  'dry-run': boolean;
  truncate?: string[];
  'truncate-all': boolean;
  'replace-credentials': boolean;
}

export const importPackageCommand: CommandModule<GlobalArgs, Args> = {
  command: 'import-package <file>',
  describe: 'Import a D365 data package (zip) into the setup of a company',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'The data package (.zip)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Validate and report what would change; write nothing' })
      .option('truncate', { type: 'string', array: true, describe: 'Delete the stored records of ENTITY before importing (repeatable)' })
      .option('truncate-all', { type: 'boolean', default: false, describe: 'Delete the stored records of every entity in the package first' })
      .option('replace-credentials', {
        type: 'boolean',
        default: false,
        describe: "Let the package's client IDs and secrets replace stored ones that differ, and let it move an application that holds credentials or tokens to another origin (its tokens are dropped)",
      })
      .example('$0 import-package packages-data/mtd-vat.zip', 'Import the predefined UK MTD VAT setup') as never,
  handler: async (argv) => {
    const { importPackage } = await import('../../importer/import-package.js');
    const { companiesWithSetup } = await import('../../store/records.js');
    const result = await withContext(argv, (ctx) => {
      // Say so when the records go to a company that has none yet: a typo in --company shows here.
      if (!companiesWithSetup(ctx.db).includes(ctx.company)) info(`mtdvat: new company ${ctx.company} (no setup yet)`);
      return importPackage(ctx, argv.file, {
        dryRun: argv['dry-run'],
        truncate: argv.truncate,
        truncateAll: argv['truncate-all'],
        replaceCredentials: argv['replace-credentials'],
        onProgress: progressPrinter(),
      });
    });
    const { status, company, entities, errors, warnings, jobId, dryRun, changes, changesOmitted, credentials } = result;
    // changeCount and keptSecrets stay internal (the ui's); --json has the issue's changes/changesOmitted/credentials.
    const document = {
      status,
      company,
      jobId,
      dryRun,
      entities: entities.map(({ schemaId: _id, ...e }) => e),
      changes,
      changesOmitted,
      credentials,
      errors,
      warnings,
    };
    if (!argv.json) printResult(result);
    if (result.status !== 'Succeeded') {
      // main.ts prints the document with `error` added (--json); the table above already told a person.
      throw failedWithResult(result.failure ?? new MtdvatError('the import failed; nothing was written'), document);
    }
    if (argv.json) printJson(document);
  },
};

/** A one-line progress counter on stderr, only for a terminal and only once the package is large. */
function progressPrinter() {
  if (!process.stderr.isTTY) return undefined;
  return (p: { entity: string; totalRecords: number }) => {
    process.stderr.write(`\r  reading ${escapeControls(p.entity)}: ${p.totalRecords.toLocaleString('en-GB')} records…`.padEnd(70));
  };
}

function printResult(result: ImportResult): void {
  if (process.stderr.isTTY) process.stderr.write('\r'.padEnd(71) + '\r');
  const c = colors();
  const rows = result.entities.map((e) => [
    e.entity + (e.schema ? '' : ' (no schema)'),
    e.file,
    e.format,
    e.read,
    e.created,
    e.updated,
    e.unchanged,
    e.failed,
  ]);
  print(table(['Entity', 'File', 'Format', 'Read', 'Created', 'Updated', 'Unchanged', 'Failed'], rows, {
    align: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right'],
  }));
  if (result.status === 'Succeeded') {
    for (const e of result.changesByEntity) {
      print(`${result.dryRun ? 'Would change' : 'Changed'} in ${e.entity} (${e.count} field${e.count === 1 ? '' : 's'}):`);
      for (const ch of e.shown) print(`  ${ch.key}: ${ch.field} ${shown(ch.old)} → ${shown(ch.new)}`);
      if (e.count > e.shown.length) print(`  … and ${e.count - e.shown.length} more (--json lists up to 1,000)`);
    }
    for (const cr of result.credentials) print(credentialLine(cr, result.dryRun));
  }
  for (const warning of result.warnings) infoFitted(c.yellow(`mtdvat: warning: ${warning}`), 2);
  for (const error of result.errors) {
    const where = [error.entity && `entity "${error.entity}"`, error.file && `file "${error.file}"`, error.record && `record ${error.record}`, error.key && `key "${error.key}"`, error.field && `field ${error.field}`]
      .filter(Boolean)
      .join(', ');
    infoFitted(c.red(`mtdvat: error: ${error.message}${where ? ` (${where})` : ''}`), 2);
  }
  const verb = result.dryRun ? 'Dry run' : 'Import';
  if (result.status === 'Succeeded') {
    print(c.green(`${verb} succeeded for company ${result.company} (job ${result.jobId})${result.dryRun ? ': nothing was written' : ''}.`));
  } else {
    print(c.red(`${verb} failed for company ${result.company} (job ${result.jobId}): nothing was written.`));
  }
}

/** A changed value for a terminal: quoted with JSON's escapes (control characters stay visible), cut at 80 characters. */
function shown(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 79)}…` : value);
}

const CREDENTIAL_LABEL: Record<string, string> = { CLIENTID: 'client ID', CLIENTSECRET: 'client secret', SERVERTOKEN: 'server token' };

/** One line per credential the package touched; never a value. */
function credentialLine(cr: ImportResult['credentials'][number], dryRun: boolean): string {
  const what = `the ${CREDENTIAL_LABEL[cr.field] ?? cr.field} of "${cr.key}"`;
  const would = dryRun ? 'would be ' : '';
  switch (cr.action) {
    case 'kept':
      return cr.because === 'package-empty'
        ? `Kept ${what}: the package has none.`
        : `Kept ${what}: the package has a different one (--replace-credentials takes the package's).`;
    case 'replaced':
      return `Replaced ${what} with the package's${dryRun ? ' (dry run: not written)' : ''}.`;
    case 'set':
      return `Set ${what} from the package${dryRun ? ' (dry run: not written)' : ''}.`;
    case 'dropped':
      return `Dropped ${what}: ${would}it was entered for the application's old origin.`;
  }
}
