import type { CommandModule } from 'yargs';
import { withContext, type GlobalArgs } from '../global.js';
import { colors, infoFitted, print, printFitted, printJson, table } from '../output.js';

interface Args extends GlobalArgs {
  file: string;
  format: 'xml-element' | 'xml-attribute' | 'excel';
}

export const exportPackageCommand: CommandModule<GlobalArgs, Args> = {
  command: 'export-package <file>',
  describe: "Write the company's setup as a D365 data package (secret fields are left empty)",
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'The package to write (.zip)' })
      .option('format', {
        type: 'string',
        choices: ['xml-element', 'xml-attribute', 'excel'],
        default: 'xml-element',
        describe: 'Data file format of every entity',
      })
      .example('$0 export-package setup.zip', 'Export the setup of company DAT')
      .example('$0 export-package setup.zip --format excel', 'Excel workbooks instead of XML') as never,
  handler: async (argv) => {
    const { exportSetup } = await import('../../importer/export.js');
    const result = await withContext(argv, (ctx) => exportSetup(ctx, argv.file, { format: argv.format }));
    if (argv.json) {
      printJson(result);
      return;
    }
    const c = colors();
    print(
      table(
        ['Entity', 'File', 'Records'],
        result.entities.map((e) => [e.entity, e.file, e.records]),
        { align: ['left', 'left', 'right'] },
      ),
    );
    const total = result.entities.reduce((n, e) => n + e.records, 0);
    printFitted(c.green(`Exported ${total} records of company ${result.company} to ${result.file} (${result.format}).`), 2);
    if (result.secretsOmitted.length > 0) {
      const fields = result.secretsOmitted.map((s) => `${s.entity} "${s.key}" ${s.field}`).join(', ');
      printFitted(c.yellow(`Secret fields were left empty (never exported in plaintext): ${fields}. Enter them again after importing.`), 2);
    } else {
      print('No secret fields were set; secret fields are always left empty.');
    }
    for (const warning of result.warnings) infoFitted(c.yellow(`mtdvat: warning: ${warning}`), 17);
  },
};
