/**
 * Import package: upload a zip → what inspect-package says → Import → the result; the import jobs.
 * The spooled upload waits (at most 15 minutes) between inspection and import, then is deleted.
 */
import { randomBytes } from 'node:crypto';
import { describeLocation } from '../../errors.js';
import { inspectPackage, type InspectResult } from '../../importer/inspect.js';
import { importPackage, listImportJobs, type ImportResult } from '../../importer/import-package.js';
import { limitsFromEnv } from '../../package/limits.js';
import type { PageModule } from '../app.js';
import { checkCsrf } from '../security.js';
import { receiveUpload, UploadError, type Upload } from '../uploads.js';

const KEEP_MS = 15 * 60_000;

const sum = (r: ImportResult | undefined, k: 'created' | 'updated' | 'unchanged') => (r ? r.entities.reduce((n, e) => n + e[k], 0) : 0);

interface Held {
  upload: Upload;
  inspection: InspectResult;
  dryRun?: ImportResult;
  timer: NodeJS.Timeout;
}

export const importPage: PageModule = {
  nav: { href: '/import', label: 'Import package' },
  register(app, kit) {
    const held = new Map<string, Held>();
    const results = new Map<number, ImportResult>();
    const drop = (id: string) => {
      const h = held.get(id);
      if (!h) return;
      clearTimeout(h.timer);
      h.upload.dispose();
      held.delete(id);
    };
    kit.onClose(() => {
      for (const id of [...held.keys()]) drop(id);
    });

    app.get('/import', (c) => {
      const jobs = listImportJobs(kit.ctx, 20).map((j) => {
        const sum = (k: 'read' | 'created' | 'updated' | 'unchanged') => j.entities.reduce((n, e) => n + e[k], 0);
        return {
          id: j.id,
          startedAt: j.startedAt.replace('T', ' ').slice(0, 19),
          package: j.package,
          sha: (j.sha256 ?? '').slice(0, 12),
          status: j.status + (j.dryRun ? ' (dry run)' : ''),
          read: sum('read'),
          created: sum('created'),
          updated: sum('updated'),
          unchanged: sum('unchanged'),
          errors: j.errors.length,
        };
      });
      return kit.page(c, 'Import package', '/import', 'import', { jobs });
    });

    app.post('/import/inspect', async (c) => {
      const session = c.get('session');
      const csrfOk = (fields: Record<string, string>) => {
        const v = checkCsrf(kit.keys, session, fields._csrf);
        if (!v.ok) throw new UploadError(v.reason, 403);
      };
      let upload: Upload;
      try {
        upload = await receiveUpload(c.req.header('content-type'), c.req.raw.body, {
          home: kit.ctx.paths.home,
          maxBytes: limitsFromEnv(kit.ctx.env).maxTotalBytes,
          fileField: 'package',
          fallbackName: 'package.zip',
          beforeFile: csrfOk,
        });
        csrfOk(upload.fields);
      } catch (e) {
        if (e instanceof UploadError && e.status === 403) return c.text(e.message, 403);
        if (e instanceof UploadError) {
          kit.flash(c, 'error', e.message);
          return kit.seeOther(c, '/import');
        }
        throw e;
      }
      if (!upload.file) {
        upload.dispose();
        kit.flash(c, 'error', 'Choose a package file (.zip) first.');
        return kit.seeOther(c, '/import');
      }
      let inspection: InspectResult;
      try {
        inspection = await inspectPackage(upload.file.path);
      } catch (e) {
        upload.dispose();
        if (e instanceof Error && 'exitCode' in e) {
          kit.flash(c, 'error', `${upload.file.name}: ${e.message}`);
          return kit.seeOther(c, '/import');
        }
        throw e;
      }
      // What the import would change (a re-imported older package reverting action types shows here).
      const dryRun = inspection.ok ? await kit.exclusive(() => importPackage(kit.ctx, upload.file!.path, { dryRun: true })).catch(() => undefined) : undefined;
      const id = randomBytes(12).toString('base64url');
      held.set(id, { upload, inspection, dryRun, timer: setTimeout(() => drop(id), KEEP_MS).unref() });
      return kit.seeOther(c, `/import/uploads/${id}`);
    });

    app.get('/import/uploads/:id', (c) => {
      const id = c.req.param('id');
      const h = held.get(id);
      if (!h) {
        kit.flash(c, 'info', 'That upload is gone (imported, cancelled or older than 15 minutes): upload the package again.');
        return kit.seeOther(c, '/import');
      }
      const i = h.inspection;
      return kit.page(c, 'Import package', '/import', 'inspect', {
        upload: id,
        name: h.upload.file!.name,
        bytes: h.upload.file!.bytes.toLocaleString('en-GB'),
        header: i.header,
        entities: i.entities,
        ok: i.ok,
        problems: i.entities.reduce((n, e) => n + e.problemCount, 0),
        r: h.dryRun,
        created: sum(h.dryRun, 'created'),
        updated: sum(h.dryRun, 'updated'),
        unchanged: sum(h.dryRun, 'unchanged'),
      });
    });

    app.post('/import/discard', (c) => {
      drop(kit.form(c).upload ?? '');
      return kit.seeOther(c, '/import');
    });

    app.post('/import/run', async (c) => {
      const id = kit.form(c).upload ?? '';
      const h = held.get(id);
      if (!h) {
        kit.flash(c, 'info', 'That upload is gone (imported, cancelled or older than 15 minutes): upload the package again.');
        return kit.seeOther(c, '/import');
      }
      return kit.act(c, `/import/uploads/${id}`, async () => {
        try {
          // The import holds one SQLite transaction across its reads: nothing else runs meanwhile.
          const result = await kit.exclusive(() => importPackage(kit.ctx, h.upload.file!.path));
          results.set(result.jobId, result);
          return `/import/jobs/${result.jobId}`;
        } finally {
          drop(id);
        }
      });
    });

    app.get('/import/jobs/:id', (c) => {
      const r = results.get(Number(c.req.param('id')));
      if (!r) return kit.seeOther(c, '/import');
      const errors = r.errors.map((e) => ({ message: e.message, where: describeLocation(e) }));
      return kit.page(c, 'Import package', '/import', 'import-result', { r: { ...r, errors } });
    });
  },
};
