/**
 * Electronic messages (D365: Tax > Inquiries and reports > Electronic messages): choose the processing;
 * the messages with status, dates and visible additional fields, a page at a time; for the selected
 * message only the actions its status offers, as D365's buttons (New, Collect data, Generate report,
 * Send report, Import response, Update status), the items, the action log and the attachments as sent
 * and received. Every action is em/'s runMessage, which takes the message lock shared with the CLI;
 * runs happen after the redirect (post-redirect-get) and the page shows them until they finish.
 */
import { osUser } from '../../auth/consent.js';
import { describeFraudHeaders, encodeFraudHeaders, collectFraudValues, hasFraudConsent } from '../../hmrc/fraud-headers.js';
import { Decimal } from '../../lib/decimal.js';
import { limitsFromEnv } from '../../package/limits.js';
import { attachmentContent, getFields, getMessage, messagesNewerThan, pageMessages } from '../../store/em.js';
import { canDelete, offeredActions } from '../../em/engine.js';
import { fileToSend, isClassAction } from '../../em/classes.js';
import { FORMAT } from '../../em/formats.js';
import { deleteMessageChecked, messageDetail, messageView, newMessage, parseMessageNumber, safeFileName, setProcessingField } from '../../em/messages.js';
import { isHiddenField, loadEmSetup, type ActionDef, type EmSetup } from '../../em/model.js';
import { kindOfAction, runMessage, type RunKind, type RunResult } from '../../em/run.js';
import { BOXES } from '../../vat/nine-box.js';
import { MtdvatError } from '../../errors.js';
import type { PageModule, UiKit } from '../app.js';
import { checkCsrf } from '../security.js';
import { receiveUpload, UploadError, type Upload } from '../uploads.js';
import { EM, FRAUD_CONSENT, SEND } from './em-templates.js';

/** Messages per page: the list stays quick with 10,000 messages. */
export const PAGE_SIZE = 50;

interface RunJob {
  state: 'running' | 'done' | 'failed';
  label: string;
  result?: RunResult;
  error?: string;
}

/** D365's button for an action: em/'s kind of the action, labelled as D365 labels it. */
export function buttonOf(setup: EmSetup, action: ActionDef): { kind: RunKind | 'run'; label: string } {
  const kind = kindOfAction(setup, action);
  switch (kind) {
    case 'collect':
      return { kind, label: 'Collect data' };
    case 'generate':
      return { kind, label: action.formatMapping === FORMAT.declarationJson ? 'Generate report' : `Generate report: ${action.name}` };
    case 'import':
      return { kind, label: 'Import response' };
    case 'update':
      return { kind, label: `Update status: ${action.name}` };
    case 'send':
      return { kind, label: 'Send report' };
    default:
      return { kind: 'run', label: `Run processing: ${action.name}` };
  }
}

/** An item's box amount as the VAT 100 shows it ("1,050.50"); text that is not a number is shown as it is. */
function money(value: string | undefined, dp: number): string {
  if (value === undefined || value === '') return '';
  try {
    return Decimal.parse(value).format(dp);
  } catch {
    return value;
  }
}

export const emPage: PageModule = {
  nav: { href: '/em', label: 'Electronic messages' },
  register(app, kit) {
    kit.views.add('em', EM);
    kit.views.add('em-send', SEND);
    kit.views.add('fraud-consent', FRAUD_CONSENT);
    const jobs = new Map<number, RunJob>();
    const listHref = (processing: string, message?: number, page?: number) => {
      const q = new URLSearchParams({ processing });
      if (page && page > 1) q.set('page', String(page));
      if (message !== undefined) q.set('message', String(message));
      return `/em?${q}${message !== undefined ? '#selected' : ''}`;
    };

    app.get('/em', (c) => {
      const ctx = kit.ctx;
      const setup = loadEmSetup(ctx.db, ctx.company);
      const processings = [...setup.processings.keys()];
      const selectedNo = Number(c.req.query('message') ?? NaN);
      const selectedRow = Number.isInteger(selectedNo) ? getMessage(ctx.db, ctx.company, selectedNo) : undefined;
      const asked = c.req.query('processing') ?? '';
      const processing = processings.includes(asked) ? asked : selectedRow && processings.includes(selectedRow.processing) ? selectedRow.processing : (processings[0] ?? '');
      // Newest first, as D365 lists them; the page of the selected message unless a page is asked for.
      let page = Number(c.req.query('page') ?? NaN);
      if (!Number.isInteger(page) || page < 1) {
        page = selectedRow && selectedRow.processing === processing ? Math.floor(messagesNewerThan(ctx.db, ctx.company, { processing }, selectedNo) / PAGE_SIZE) + 1 : 1;
      }
      let listed = processing ? pageMessages(ctx.db, ctx.company, { processing }, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }) : { rows: [], total: 0 };
      const pages = Math.max(1, Math.ceil(listed.total / PAGE_SIZE));
      if (page > pages) {
        page = pages;
        listed = pageMessages(ctx.db, ctx.company, { processing }, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
      }
      const views = listed.rows.map((r) => messageView(ctx, setup, r));
      const fieldNames = [...new Set(views.flatMap((v) => Object.keys(v.fields)))];
      const rows = views.map((v) => ({ ...v, fromDate: v.fromDate ?? '', toDate: v.toDate ?? '', href: listHref(processing, v.message, page), selected: v.message === selectedNo }));
      const creators = processing ? [...setup.processings.get(processing)!.links].map((l) => setup.actions.get(l.action)).filter((a): a is ActionDef => a?.type === 'CreateMessage').map((a) => a.name) : [];
      const selected = selectedRow ? selectedPanel(kit, setup, selectedNo, jobs.get(selectedNo)) : undefined;
      return kit.page(
        c,
        'Electronic messages',
        '/em',
        'em',
        {
          processings,
          processing,
          creators,
          // Liabilities and payments requests need From and To dates (HMRC's API).
          datesOnNew: creators.some((n) => /liabilit|payment/i.test(n)),
          total: listed.total,
          page,
          pages,
          prev: page > 1 ? listHref(processing, undefined, page - 1) : undefined,
          next: page < pages ? listHref(processing, undefined, page + 1) : undefined,
          rows,
          fieldNames,
          selected,
          // Hidden fields (the period key) are HMRC's: never shown, never typed.
          editable: processing ? Object.entries(setup.processings.get(processing)!.fields).filter(([n]) => !isHiddenField(setup, n)).map(([name, value]) => ({ name, value })) : [],
          fieldsOpen: c.req.query('fields') === 'open',
          boxHeads: BOXES.map((b) => `Box ${b.box}`),
        },
        // A refresh to a URL with a #fragment is a same-document navigation in browsers: reload without it.
        { refresh: selected?.job?.kind === 'info' ? 2 : undefined, refreshUrl: listHref(processing, selectedNo, page).replace(/#.*$/, '') },
      );
    });

    app.post('/em/new', (c) => {
      const f = kit.form(c);
      const processing = f.processing ?? '';
      return kit.act(c, listHref(processing), () => {
        const m = newMessage(kit.ctx, { processing, action: f.action || undefined, from: f.from || undefined, to: f.to || undefined, user: osUser() });
        kit.flash(c, 'ok', `Message ${m.message} created in status "${m.status}".`);
        return listHref(m.processing, m.message);
      });
    });

    app.post('/em/processing-fields', (c) => {
      const f = kit.form(c);
      const processing = f.processing ?? '';
      return kit.act(c, `${listHref(processing)}&fields=open`, () => {
        const pairs = Object.entries(f).filter(([k]) => k.startsWith('field:')).map(([k, v]) => [k.slice(6), v] as const);
        const setup = loadEmSetup(kit.ctx.db, kit.ctx.company);
        const current = setup.processings.get(processing)?.fields ?? {};
        const changed = pairs.filter(([n, v]) => (current[n] ?? '') !== v.trim());
        kit.ctx.db.transaction(() => {
          for (const [n, v] of changed) setProcessingField(kit.ctx, processing, n, v);
        })();
        kit.flash(c, 'ok', changed.length ? `Saved ${changed.map(([n]) => `"${n}"`).join(', ')} of "${processing}".` : 'Nothing changed.');
        return listHref(processing);
      });
    });

    app.post('/em/messages/:id/delete', (c) => {
      const id = parseMessageNumber(c.req.param('id'));
      const row = getMessage(kit.ctx.db, kit.ctx.company, id);
      const back = listHref(row?.processing ?? '', id);
      return kit.act(c, back, () => {
        if (jobs.get(id)?.state === 'running') throw new MtdvatError(`message ${id} is being processed; try again when it has finished`);
        deleteMessageChecked(kit.ctx, id);
        kit.flash(c, 'ok', `Message ${id} deleted.`);
        return listHref(row?.processing ?? '');
      });
    });

    // Send report: the nine boxes of the generated file and HMRC's declaration, confirmed in a real form.
    app.get('/em/messages/:id/send', (c) => {
      const id = parseMessageNumber(c.req.param('id'));
      const setup = loadEmSetup(kit.ctx.db, kit.ctx.company);
      const row = getMessage(kit.ctx.db, kit.ctx.company, id);
      const action = setup.actions.get(c.req.query('action') ?? '');
      if (!row || !action) return kit.seeOther(c, '/em');
      const back = listHref(row.processing, id);
      let file;
      try {
        file = fileToSend(kit.ctx, id, action, getFields(kit.ctx.db, kit.ctx.company, id));
      } catch (e) {
        if (!(e instanceof MtdvatError)) throw e;
        kit.flash(c, 'error', e.message);
        return kit.seeOther(c, back);
      }
      return kit.page(c, 'Send report', '/em', 'em-send', {
        message: id,
        status: row.status,
        back,
        action: `/em/messages/${id}/run`,
        actionName: action.name,
        sha: file.sha256,
        rows: file.rows,
        declaration: file.declaration,
      });
    });

    app.post('/em/messages/:id/run', async (c) => {
      const id = parseMessageNumber(c.req.param('id'));
      const row = getMessage(kit.ctx.db, kit.ctx.company, id);
      if (!row) return kit.seeOther(c, '/em');
      const back = listHref(row.processing, id);
      let form: Record<string, string>;
      let upload: Upload | undefined;
      if (/^multipart\/form-data/i.test(c.req.header('content-type') ?? '')) {
        const session = c.get('session');
        const csrfOk = (fields: Record<string, string>) => {
          const v = checkCsrf(kit.keys, session, fields._csrf);
          if (!v.ok) throw new UploadError(v.reason, 403);
        };
        try {
          upload = await receiveUpload(c.req.header('content-type'), c.req.raw.body, {
            home: kit.ctx.paths.home,
            maxBytes: limitsFromEnv(kit.ctx.env).maxWorkbookBytes,
            fileField: 'file',
            fallbackName: 'RETURN.json',
            beforeFile: csrfOk,
          });
          csrfOk(upload.fields);
        } catch (e) {
          if (e instanceof UploadError && e.status === 403) return c.text(e.message, 403);
          if (e instanceof UploadError) {
            kit.flash(c, 'error', e.message);
            return kit.seeOther(c, back);
          }
          throw e;
        }
        form = upload.fields;
      } else form = kit.form(c);
      const dispose = () => upload?.dispose();
      const kind = form.kind as RunKind | 'run';
      const setup = loadEmSetup(kit.ctx.db, kit.ctx.company);
      const action = setup.actions.get(form.action ?? '');
      if (!action || !['collect', 'generate', 'send', 'import', 'update', 'run'].includes(kind)) {
        dispose();
        kit.flash(c, 'error', 'Choose one of the actions the message offers.');
        return kit.seeOther(c, back);
      }
      if (jobs.get(id)?.state === 'running') {
        dispose();
        kit.flash(c, 'error', `Message ${id} is being processed; wait for it to finish.`);
        return kit.seeOther(c, back);
      }
      if (kind === 'collect' && !upload?.file) {
        dispose();
        kit.flash(c, 'error', 'Choose the RETURN file to collect the data from.');
        return kit.seeOther(c, back);
      }
      if (kind === 'send') {
        if (form.declaration !== 'yes') {
          kit.flash(c, 'error', 'Confirm the declaration to send the report; nothing was sent.');
          return kit.seeOther(c, `/em/messages/${id}/send?action=${encodeURIComponent(action.name)}`);
        }
      }
      // HMRC's fraud prevention data: shown and agreed to once, before the first call (as the CLI asks).
      if (isClassAction(action) && !hasFraudConsent(kit.ctx)) {
        if (form.fphConsent === 'no') {
          kit.flash(c, 'error', 'Fraud prevention data is required by law for HMRC VAT calls; nothing was sent.');
          return kit.seeOther(c, back);
        }
        if (form.fphConsent !== 'yes') {
          const values = collectFraudValues(kit.ctx);
          const fields = Object.entries(form).filter(([k]) => k !== '_csrf' && k !== 'fphConsent');
          return kit.page(c, 'Fraud prevention data', '/em', 'fraud-consent', { action: `/em/messages/${id}/run`, fields, text: describeFraudHeaders(encodeFraudHeaders(values), values) });
        }
      }
      const job: RunJob = { state: 'running', label: buttonOf(setup, action).label };
      jobs.set(id, job);
      const confirmedSha = form.file ?? '';
      const work = (async () => {
        try {
          job.result = await kit.serial(() => runMessage(
            kit.ctx,
            { message: id, action: action.name, kind: kind === 'run' ? undefined : kind, toStatus: form.toStatus || undefined, file: upload?.file?.path, user: osUser() },
            {
              consent: { yes: false, show: () => {}, ask: async () => form.fphConsent === 'yes' },
              announce: (line) => kit.log(`message ${id}: ${line}`),
              // The declaration was confirmed for exactly the file shown: a file generated since is not sent.
              confirmSend: async () => form.declaration === 'yes' && fileToSend(kit.ctx, id, action, getFields(kit.ctx.db, kit.ctx.company, id)).sha256 === confirmedSha,
            },
          ));
          job.state = 'done';
        } catch (e) {
          job.state = 'failed';
          job.error = e instanceof MtdvatError ? e.message : 'the action failed (see the terminal running mtdvat ui)';
          if (!(e instanceof MtdvatError)) kit.log(`run of message ${id} failed: ${e instanceof Error ? e.message : String(e)}`);
        } finally {
          dispose();
        }
      })();
      kit.track(work);
      return kit.seeOther(c, back);
    });

    app.get('/em/messages/:id/attachments/:att', (c) => {
      const id = parseMessageNumber(c.req.param('id'));
      const att = Number(c.req.param('att'));
      const a = messageDetail(kit.ctx, id).attachments.find((x) => x.attachment === att);
      if (!a) return c.text('no such attachment', 404);
      const bytes = attachmentContent(kit.ctx.db, kit.ctx.company, att);
      // The document as sent or received, as a download (never rendered in the workspace's origin).
      return c.body(Buffer.from(bytes) as unknown as ArrayBuffer, 200, {
        'Content-Type': 'application/octet-stream',
        'Content-Disposition': `attachment; filename="${safeFileName(`${a.attachment}-${a.name}`).replace(/["\\]/g, '_')}"`,
      });
    });
  },
};

function selectedPanel(kit: UiKit, setup: EmSetup, id: number, job: RunJob | undefined) {
  const ctx = kit.ctx;
  const d = messageDetail(ctx, id);
  const row = getMessage(ctx.db, ctx.company, id)!;
  const offered = setup.processings.has(d.processing) ? offeredActions(setup, d.processing, d.status) : [];
  const buttons = offered.map((a) => ({ action: a.name, ...buttonOf(setup, a) })).map((b, i) => ({ ...b, primary: i === 0 }));
  const base = `/em/messages/${id}`;
  const jobView = job && {
    kind: job.state === 'running' ? 'info' : job.state === 'failed' || job.result?.steps.some((s) => s.responseType !== 'Successfully executed') ? 'error' : 'ok',
    text:
      job.state === 'running'
        ? `${job.label}: running… (this page refreshes itself)`
        : job.state === 'failed'
          ? `${job.label}: ${job.error}`
          : `${job.label}: done; message ${id} is in "${job.result!.status}".`,
    steps: job.result?.steps ?? [],
  };
  return {
    message: id,
    base,
    processing: d.processing,
    description: d.description,
    fromDate: d.fromDate ?? '',
    toDate: d.toDate ?? '',
    status: d.status,
    fields: Object.entries(d.fields),
    runPid: row.runPid !== null && row.runPid !== process.pid ? row.runPid : null,
    job: jobView,
    buttons: job?.state === 'running' ? [] : buttons,
    canDelete: job?.state !== 'running' && canDelete(setup, d.status),
    items: d.items.map((i) => ({ ...i, itemDate: i.itemDate ?? '', boxes: BOXES.map((b) => money(i.boxes[b.field], b.kind === 'whole' ? 0 : 2)) })),
    log: d.log,
    attachments: d.attachments.map((a) => ({ ...a, sha: a.sha256.slice(0, 12), href: `${base}/attachments/${a.attachment}` })),
    vat100: d.attachments.some((a) => a.name === 'VAT_return.json') ? `/vat/vat100?message=${id}` : undefined,
  };
}

