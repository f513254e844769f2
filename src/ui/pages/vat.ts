/**
 * VAT: obligations, liabilities and payments from HMRC (vat/'s calls: fraud headers, rate limit,
 * token refresh), and the VAT 100 report of a message's generated return. HMRC's period key is never
 * shown: it is HMRC's handle, not the user's (Microsoft Learn, UK MTD VAT submission).
 */
import { listWebApps } from '../../auth/web-app-views.js';
import { collectFraudValues, describeFraudHeaders, encodeFraudHeaders, hasFraudConsent } from '../../hmrc/fraud-headers.js';
import { parseJsonExact } from '../../lib/exact-json.js';
import { MtdvatError } from '../../errors.js';
import { loadEmSetup, VRN_FIELD } from '../../em/model.js';
import { normaliseVrn, parseMessageNumber, requireMessage } from '../../em/messages.js';
import { attachmentContent, getFields, lastAttachment } from '../../store/em.js';
import { buildReturn } from '../../vat/nine-box.js';
import { getLiabilities, getObligations, getPayments, type VatTarget } from '../../vat/vat.js';
import { vat100Workbook } from '../../vat/vat100.js';
import type { PageModule } from '../app.js';
import { VAT } from './em-templates.js';

interface Query {
  app: string;
  vrn: string;
  what: 'obligations' | 'liabilities' | 'payments';
  from: string;
  to: string;
}

interface Result {
  title: string;
  head: string[];
  rows: string[][];
}

/** A flat row of an HMRC list entry, without the period key at any depth. */
function flatten(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) if (k !== 'periodKey') flatten(v, prefix ? `${prefix} ${k}` : k, out);
  } else out[prefix] = value === null || value === undefined ? '' : String(value);
  return out;
}

function table(title: string, list: unknown[]): Result {
  const flat = list.map((x) => flatten(x));
  const head = [...new Set(flat.flatMap((r) => Object.keys(r)))];
  return { title, head, rows: flat.map((r) => head.map((h) => r[h] ?? '')) };
}

export const vatPage: PageModule = {
  nav: { href: '/vat', label: 'VAT' },
  register(app, kit) {
    kit.views.add('vat', VAT);
    const last = new Map<string, { q: Query; result?: Result }>();

    const defaults = (): Query => {
      const apps = listWebApps(kit.ctx).map((a) => a.name);
      let vrn = '';
      try {
        for (const p of loadEmSetup(kit.ctx.db, kit.ctx.company).processings.values()) {
          if (p.fields[VRN_FIELD]) {
            vrn = p.fields[VRN_FIELD];
            break;
          }
        }
      } catch {
        // no Electronic messages setup: the VRN is typed
      }
      return { app: apps.find((a) => /sandbox/i.test(a)) ?? apps[0] ?? '', vrn, what: 'obligations', from: '', to: '' };
    };

    app.get('/vat', (c) => {
      const held = last.get(c.get('session'));
      return kit.page(c, 'VAT', '/vat', 'vat', { apps: listWebApps(kit.ctx).map((a) => a.name), q: held?.q ?? defaults(), result: held?.result });
    });

    app.post('/vat/query', async (c) => {
      const f = kit.form(c);
      const what = f.what === 'liabilities' || f.what === 'payments' ? f.what : 'obligations';
      const q: Query = { app: f.app ?? '', vrn: normaliseVrn(f.vrn ?? ''), what, from: f.from ?? '', to: f.to ?? '' };
      const session = c.get('session');
      last.set(session, { q });
      if (!hasFraudConsent(kit.ctx)) {
        if (f.fphConsent === 'no') {
          kit.flash(c, 'error', 'Fraud prevention data is required by law for HMRC VAT calls; nothing was sent.');
          return kit.seeOther(c, '/vat');
        }
        if (f.fphConsent !== 'yes') {
          const values = collectFraudValues(kit.ctx);
          const fields = Object.entries(f).filter(([k]) => k !== '_csrf' && k !== 'fphConsent');
          return kit.page(c, 'Fraud prevention data', '/vat', 'fraud-consent', { action: '/vat/query', fields, text: describeFraudHeaders(encodeFraudHeaders(values), values) });
        }
      }
      return kit.act(c, '/vat', async () => {
        const t: VatTarget = { ctx: kit.ctx, appName: q.app, vrn: q.vrn, consent: { yes: false, show: () => {}, ask: async () => f.fphConsent === 'yes' } };
        let result: Result;
        if (what === 'obligations') {
          const r = await getObligations(t, q.from || q.to ? { from: q.from || undefined, to: q.to || undefined } : { status: 'O' });
          result = {
            title: q.from ? `Obligations ${q.from} to ${q.to}` : 'Open obligations',
            head: ['From date', 'To date', 'Due date', 'Status', 'Received'],
            rows: r.obligations.map((o) => [o.start, o.end, o.due, o.status === 'O' ? 'Open' : o.status === 'F' ? 'Fulfilled' : String(o.status), o.received ?? '']),
          };
        } else if (what === 'liabilities') {
          result = table(`Liabilities ${q.from} to ${q.to}`, (await getLiabilities(t, { from: q.from, to: q.to })).liabilities);
        } else {
          result = table(`Payments ${q.from} to ${q.to}`, (await getPayments(t, { from: q.from, to: q.to })).payments);
        }
        last.set(session, { q, result });
      });
    });

    app.get('/vat/vat100', async (c) => {
      const back = '/vat';
      try {
        const id = parseMessageNumber(c.req.query('message') ?? '');
        const row = requireMessage(kit.ctx, id);
        const file = lastAttachment(kit.ctx.db, kit.ctx.company, id, 'VAT_return.json');
        if (!file) throw new MtdvatError(`message ${id} has no VAT_return.json: run Generate report first`);
        const ret = buildReturn(parseJsonExact(new TextDecoder().decode(attachmentContent(kit.ctx.db, kit.ctx.company, file.id))) as Record<string, unknown>);
        const fields = getFields(kit.ctx.db, kit.ctx.company, id);
        // A page for people: like the Preview VAT return workbook, it carries no period key (HMRC requires
        // that software never shows it to the user).
        const { workbook } = await vat100Workbook({ ...ret, periodKey: '' }, {
          company: kit.ctx.company,
          vrn: fields[VRN_FIELD] || undefined,
          periodStart: row.fromDate ?? undefined,
          periodEnd: row.toDate ?? undefined,
        });
        const buf = Buffer.from((await workbook.xlsx.writeBuffer()) as ArrayBuffer);
        return c.body(buf as unknown as ArrayBuffer, 200, {
          'Content-Type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          'Content-Disposition': `attachment; filename="VAT100-message-${id}.xlsx"`,
        });
      } catch (e) {
        if (!(e instanceof MtdvatError)) throw e;
        kit.flash(c, 'error', e.message);
        return kit.seeOther(c, back);
      }
    });
  },
};
