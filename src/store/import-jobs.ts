/** import_jobs rows: one per `import-package` run (dry runs too), with its outcome as JSON. */
import type { Db } from './db.js';

export interface ImportJobRow {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  company: string;
  packageName: string;
  packageSha256: string | null;
  status: string;
  dryRun: boolean;
  /** The process that ran the job (to tell a killed run from a running one). */
  pid: number | null;
  entitiesJson: string;
  errorsJson: string;
}

/** Opens a job as 'Executing' and returns its id. */
export function insertImportJob(db: Db, job: { startedAt: string; company: string; packageName: string; packageSha256: string; dryRun: boolean; pid: number }): number {
  return Number(
    db
      .prepare(
        `INSERT INTO import_jobs (started_at, company, package_name, package_sha256, status, dry_run, pid) VALUES (?, ?, ?, ?, 'Executing', ?, ?)`,
      )
      .run(job.startedAt, job.company, job.packageName, job.packageSha256, job.dryRun ? 1 : 0, job.pid).lastInsertRowid,
  );
}

export function finishImportJob(db: Db, id: number, outcome: { finishedAt: string; status: string; entitiesJson: string; errorsJson: string }): void {
  db.prepare('UPDATE import_jobs SET finished_at = ?, status = ?, entities = ?, errors = ? WHERE id = ?').run(
    outcome.finishedAt,
    outcome.status,
    outcome.entitiesJson,
    outcome.errorsJson,
    id,
  );
}

/** The newest jobs of a company first. */
export function listImportJobRows(db: Db, company: string, limit: number): ImportJobRow[] {
  const rows = db.prepare('SELECT * FROM import_jobs WHERE company = ? ORDER BY id DESC LIMIT ?').all(company, limit) as Record<string, unknown>[];
  return rows.map((r) => ({
    id: r.id as number,
    startedAt: r.started_at as string,
    finishedAt: (r.finished_at as string) ?? null,
    company: r.company as string,
    packageName: r.package_name as string,
    packageSha256: (r.package_sha256 as string) ?? null,
    status: r.status as string,
    dryRun: r.dry_run === 1,
    pid: typeof r.pid === 'number' ? r.pid : null,
    entitiesJson: r.entities as string,
    errorsJson: r.errors as string,
  }));
}
