import type { CommandModule } from 'yargs';
import { withContext, type GlobalArgs } from '../global.js';
import { print, printJson, table } from '../output.js';
import { intOption } from '../options.js';

interface Args extends GlobalArgs {
  limit: number;
}

export const importJobsCommand: CommandModule<GlobalArgs, Args> = {
  command: 'import-jobs',
  describe: 'List import jobs (time, package, hash, status, counts)',
  builder: (y) => y.option('limit', intOption('limit', 'How many recent jobs', { min: 1, max: 100_000, default: 20 })) as never,
  handler: async (argv) => {
    const { listImportJobs } = await import('../../importer/import-package.js');
    const jobs = await withContext(argv, (ctx) => listImportJobs(ctx, argv.limit));
    if (argv.json) {
      // jobId: the name import-package --json uses for the same number, beside `id`.
      printJson(jobs.map((j) => ({ ...j, jobId: j.id })));
      return;
    }
    if (!jobs.length) {
      print('No import jobs yet. Run `mtdvat import-package FILE`.');
      return;
    }
    const sum = (job: (typeof jobs)[number], k: 'read' | 'created' | 'updated' | 'unchanged' | 'failed') =>
      job.entities.reduce((n, e) => n + e[k], 0);
    print(
      table(
        ['Job', 'Started', 'Package', 'SHA-256', 'Status', 'Read', 'Created', 'Updated', 'Unchanged', 'Errors'],
        jobs.map((j) => [
          j.id,
          j.startedAt.replace('T', ' ').slice(0, 19),
          j.package,
          (j.sha256 ?? '').slice(0, 12),
          j.status + (j.dryRun ? ' (dry run)' : ''),
          sum(j, 'read'),
          sum(j, 'created'),
          sum(j, 'updated'),
          sum(j, 'unchanged'),
          j.errors.length,
        ]),
      ),
    );
  },
};
