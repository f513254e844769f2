import type { Argv, CommandModule } from 'yargs';
import { resolve } from 'node:path';
import { ExitError } from '../../errors.js';
import type { GlobalArgs } from '../global.js';
import { colors, print, printJson, table } from '../output.js';

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
    if (argv.json) {
      printJson({ header: result.header, entities: result.entities });
    } else {
      const c = colors();
      const h = result.header;
      print(c.bold(`Package ${h.package}`));
      print(`Definition group: ${h.definitionGroupName}`);
      if (h.description) print(`Description:      ${h.description}`);
      print(`Package type:     ${h.packageType ?? '(no PackageHeader.xml)'}${h.packageVersion ? `, version ${h.packageVersion}` : ''}`);
      for (const w of h.warnings) print(c.yellow(`warning: ${w}`));
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
        print(c.bold(`${e.entity}`) + ` (${e.file}, ${e.format}${e.schemaId ? `, schema ${e.schemaId}` : ', no schema'})`);
        print(`  Columns (${e.columns.length}): ${e.mappedColumns.join(', ') || '—'}`);
        if (e.unmappedColumns.length) print(`  Unmapped columns: ${e.unmappedColumns.join(', ')}`);
        for (const w of e.warnings) print(c.yellow(`  warning: ${w}`));
        for (const p of e.problems.slice(0, SHOWN_PROBLEMS)) {
          const where = [p.record !== undefined ? `record ${p.record}` : '', p.key ? `key "${p.key}"` : ''].filter(Boolean).join(', ');
          print(c.red(`  problem${where ? ` (${where})` : ''}: ${p.message}`));
        }
        if (e.problemCount > SHOWN_PROBLEMS) print(c.red(`  … and ${e.problemCount - SHOWN_PROBLEMS} more problems (see --json)`));
      }
      print('');
      const problems = result.entities.reduce((n, e) => n + e.problemCount, 0);
      print(result.ok ? c.green('No problem would fail the import.') : c.red(`${problems} problem${problems === 1 ? '' : 's'} would fail the import.`));
    }
    if (!result.ok) throw new ExitError(1);
  },
};
