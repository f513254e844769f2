/**
 * The Electronic messages page without HMRC (the local package imported, messages written by em/):
 * only the actions a status offers, refusals that change nothing, the gate on its forms and uploads,
 * pagination, the hidden period key never on a page, attachments only as downloads.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.js';
import { importPackage } from '../../src/importer/import-package.js';
import { getMessage, insertAttachment, insertMessage, setField } from '../../src/store/em.js';
import { startUi, type RunningUi } from '../../src/ui/server.js';
import { makeHome, type TestHome } from '../helpers/setup-web-app.js';

const ROOT_DIR = join(import.meta.dirname, '..', '..');
import { Browser } from './client.js';

const TEST = 'UK MTD VAT TEST';
const PERIOD_KEY = '#Q7Z';

describe('mtdvat ui: Electronic messages', () => {
  let t: TestHome;
  let ctx: Context;
  let ui: RunningUi;
  let b: Browser;
  let open: number;
  let other: number;

  beforeAll(async () => {
    t = makeHome();
    ctx = t.open();
    expect((await importPackage(ctx, join(ROOT_DIR, 'packages-data', 'mtd-vat-local.zip'))).status).toBe('Succeeded');
    const at = new Date().toISOString();
    ctx.db.transaction(() => {
      for (let i = 0; i < 120; i++) insertMessage(ctx.db, ctx.company, { processing: TEST, description: `Old ${i}`, status: 'Completed VAT return', at });
      open = insertMessage(ctx.db, ctx.company, { processing: TEST, description: 'Open period', fromDate: '2026-01-01', toDate: '2026-03-31', status: 'New VAT return', at });
      setField(ctx.db, ctx.company, open, 'periodKey', PERIOD_KEY);
      setField(ctx.db, ctx.company, open, 'HMRC status', 'O');
      other = insertMessage(ctx.db, ctx.company, { processing: TEST, description: 'Other', status: 'New VAT return', at });
      const generated = { periodKey: PERIOD_KEY, vatDueSales: 100, vatDueAcquisitions: 0, totalVatDue: 100, vatReclaimedCurrPeriod: 40, netVatDue: 60, totalValueSalesExVAT: 500, totalValuePurchasesExVAT: 200, totalValueGoodsSuppliedExVAT: 0, totalAcquisitionsExVAT: 0, finalised: true };
      insertAttachment(ctx.db, ctx.company, { message: open, logId: null, name: 'VAT_return.json', mediaType: 'application/json', content: new TextEncoder().encode(JSON.stringify(generated)), at });
      insertAttachment(ctx.db, ctx.company, { message: open, logId: null, name: 'response.json.txt', mediaType: 'text/html', content: new TextEncoder().encode(`<script>alert(1)</script>${PERIOD_KEY}`), at });
    })();
    ui = await startUi(ctx, { port: 0 });
    b = new Browser(ui.port);
    await b.signIn(ui.url);
  });
  afterAll(async () => {
    await ui?.close();
    ctx?.close();
  });

  const pageOf = (message?: number) => b.get(`/em?processing=${encodeURIComponent(TEST)}${message ? `&message=${message}` : ''}`);

  it('lists the messages a page at a time, newest first', async () => {
    const first = await pageOf();
    expect(first.status).toBe(200);
    expect(first.text).toContain('122 message(s) · page 1 of 3');
    expect(first.text.match(/<tr><td><a href="\/em\?/g)?.length).toBe(50);
    expect(first.text).toContain('rel="next"');
    const last = await b.get(`/em?processing=${encodeURIComponent(TEST)}&page=3`);
    expect(last.text.match(/<tr><td><a href="\/em\?/g)?.length).toBe(22);
    // Selecting an old message opens its page.
    const old = await pageOf(5);
    expect(old.text).toContain('page 3 of 3');
  });

  it('offers only the actions of the status, and never shows the period key', async () => {
    const a = await pageOf(open);
    expect(a.text).toContain('Message ' + open + ' · <span id="message-status">New VAT return</span>');
    expect(a.text).toContain('>Collect data<');
    expect(a.text).toContain('Update status: Ready to generate VAT return');
    expect(a.text).not.toContain('Send report</a>');
    expect(a.text).not.toContain('Generate report</button>');
    expect(a.text).toContain('<td>O</td>'); // HMRC status, a visible field
    expect(a.text).not.toContain(PERIOD_KEY);
    const done = await pageOf(5);
    expect(done.text).toContain('No action is offered in status "Completed VAT return".');
  });

  it('refuses an action the status does not offer, and changes nothing', async () => {
    const csrf = await b.csrf(`/em?processing=${encodeURIComponent(TEST)}`);
    const r = await b.post(`/em/messages/${other}/run`, { _csrf: csrf, kind: 'generate', action: 'Generate file for submission' });
    expect(r.status).toBe(303);
    for (let i = 0; i < 50 && /running/.test((await pageOf(other)).text); i++) await new Promise((res) => setTimeout(res, 50));
    const after = await pageOf(other);
    expect(after.text).toMatch(/id="run-state">[^<]*runs only on a message in status/);
    expect(getMessage(ctx.db, ctx.company, other)!.status).toBe('New VAT return');
  });

  it('sends nothing without the declaration', async () => {
    const csrf = await b.csrf(`/em?processing=${encodeURIComponent(TEST)}`);
    const r = await b.post(`/em/messages/${other}/run`, { _csrf: csrf, kind: 'send', action: 'Test submits VAT return' });
    expect(r.status).toBe(303);
    expect(r.headers.location).toContain('/send?action=');
    expect(getMessage(ctx.db, ctx.company, other)!.status).toBe('New VAT return');
  });

  it('answers 403 to forged forms and uploads, before anything is created or spooled', async () => {
    const csrf = await b.csrf(`/em?processing=${encodeURIComponent(TEST)}`);
    const count = () => (ctx.db.prepare('SELECT COUNT(*) AS n FROM em_messages').get() as { n: number }).n;
    const before = count();
    expect((await b.post('/em/new', { _csrf: csrf, processing: TEST }, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await b.post('/em/new', { processing: TEST })).status).toBe(403);
    expect(count()).toBe(before);
    const file = { field: 'file', name: 'RETURN.json', data: Buffer.from('{}') };
    expect((await b.upload(`/em/messages/${open}/run`, { kind: 'collect', action: 'Populate VAT return records' }, file)).status).toBe(403);
    expect((await b.upload(`/em/messages/${open}/run`, { _csrf: csrf, kind: 'collect', action: 'Populate VAT return records' }, file, { origin: 'http://127.0.0.1:1' })).status).toBe(403);
    const spool = join(t.home, 'tmp');
    expect(existsSync(spool) ? readdirSync(spool) : []).toEqual([]);
    // The real one creates a message.
    expect((await b.post('/em/new', { _csrf: csrf, processing: TEST, action: 'Create VAT obligation request' })).status).toBe(303);
    expect(count()).toBe(before + 1);
  });

  it('the VAT 100 download of a message carries the boxes but not the period key', async () => {
    const r = await b.get(`/vat/vat100?message=${open}`);
    expect(r.status).toBe(200);
    const { default: ExcelJS } = await import('exceljs');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.body as unknown as ArrayBuffer);
    const cells: string[] = [];
    wb.eachSheet((ws) => ws.eachRow((row) => row.eachCell((cell) => cells.push(String(cell.value)))));
    expect(cells.join('|')).toContain('VAT return (VAT 100)');
    expect(cells).toContain('60');
    expect(cells.join('|')).not.toContain(PERIOD_KEY);
    expect(cells).not.toContain('Period key');
  });

  it('serves attachments only as downloads, of their own message', async () => {
    const id = (ctx.db.prepare("SELECT id FROM em_attachments WHERE message = ? AND name = 'response.json.txt'").get(open) as { id: number }).id;
    const a = await b.get(`/em/messages/${open}/attachments/${id}`);
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('application/octet-stream');
    expect(a.headers['content-disposition']).toMatch(/^attachment; filename="\d+-response\.json\.txt"$/);
    expect(a.headers['x-content-type-options']).toBe('nosniff');
    expect(a.text).toBe(`<script>alert(1)</script>${PERIOD_KEY}`); // the document as received
    expect((await b.get(`/em/messages/${other}/attachments/${id}`)).status).toBe(404);
  });
});
