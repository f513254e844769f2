import type { Argv, CommandModule } from 'yargs';
import { resolve } from 'node:path';
import { ValidationError, failedWithResult } from '../../errors.js';
import type { GlobalArgs } from '../global.js';
import { colors, print, printFitted, printJson, table } from '../output.js';

interface InspectArgs extends GlobalArgs {
  file: string;
}

const SHOWN_PROBLEMS = 20;

export const inspectPackageCommand: CommandModule<GlobalArgs, InspectArgs> = {
  command: 'inspect-package <file>',
  describe: 'List what a D365 data package holds and what its import would fail on (does not touch the store)',
  builder: (y) => y.positional('file', { type: 'string', demandOption: true, describe: 'Data package (.zip)' }) as Argv<InspectArgs>,
  handler: async (argv) => {
    // Deliberately no Context: inspecting must work without (and never create) a store or key.
    const { inspectPackage } = await import('../../importer/inspect.js');
    const result = await inspectPackage(resolve(argv.file));
    const document = { header: result.header, entities: result.entities };
    if (argv.json) {
      if (result.ok) printJson(document);
    } else {
      const c = colors();
      const h = result.header;
      printFitted(c.bold(`Package ${h.package}`), 2);
      printFitted(`Definition group: ${h.definitionGroupName}`, 18);
      if (h.description) printFitted(`Description:      ${h.description}`, 18);
      printFitted(`Package type:     ${h.packageType ?? '(no PackageHeader.xml)'}${h.packageVersion ? `, version ${h.packageVersion}` : ''}`, 18);
      for (const w of h.warnings) printFitted(c.yellow(`warning: ${w}`), 9);
      print('');
      print(
        table(
          ['#', 'Entity', 'Order', 'Format', 'File', 'Records', 'Schema', 'Problems'],
          result.entities.map((e, i) => [i + 1, e.entity, `${e.order.unit}/${e.order.level}/${e.order.sequence}`, e.format, e.file, e.records, e.schema ? 'yes' : 'no', e.problemCount]),
          { align: ['right', 'left', 'left', 'left', 'left', 'right', 'left', 'right'] },
        ),
      );
      for (const e of result.entities) {
        print('');
        printFitted(c.bold(`${e.entity}`) + ` (${e.file}, ${e.format}${e.schemaId ? `, schema ${e.schemaId}` : ', no schema'})`, 2);
        printFitted(`  Columns (${e.columns.length}): ${e.mappedColumns.join(', ') || '—'}`, 4);
        if (e.unmappedColumns.length) printFitted(`  Unmapped columns: ${e.unmappedColumns.join(', ')}`, 4);
        for (const w of e.warnings) printFitted(c.yellow(`  warning: ${w}`), 4);
        for (const p of e.problems.slice(0, SHOWN_PROBLEMS)) {
          const where = [p.record !== undefined ? `record ${p.record}` : '', p.key ? `key "${p.key}"` : ''].filter(Boolean).join(', ');
          printFitted(c.red(`  problem${where ? ` (${where})` : ''}: ${p.message}`), 4);
        }
        if (e.problemCount > SHOWN_PROBLEMS) printFitted(c.red(`  … and ${e.problemCount - SHOWN_PROBLEMS} more problems (see --json)`));
      }
      print('');
      const problems = result.entities.reduce((n, e) => n + e.problemCount, 0);
      print(result.ok ? c.green('No problem would fail the import.') : c.red(`${problems} problem${problems === 1 ? '' : 's'} would fail the import.`));
    }
    if (!result.ok) {
      // Exit 1 when the package would fail to import into an empty store, so a pipeline can gate on it.
      const problems = result.entities.reduce((n, e) => n + e.problemCount, 0);
      const first = result.entities.find((e) => e.problems.length);
      const p = first?.problems[0];
      const error = new ValidationError(`${problems} problem${problems === 1 ? '' : 's'} would fail the import`, {
        ...(first ? { entity: first.entity, file: first.file } : {}),
        ...(p?.record !== undefined ? { record: p.record } : {}),
        ...(p?.key ? { key: p.key } : {}),
        ...(p?.field ? { field: p.field } : {}),
      });
      throw failedWithResult(error, document);
    }
  },
};
