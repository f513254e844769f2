/**
 * The Electronic messages runtime without HMRC: obligations import from an attached answer, Collect data,
 * Ready to generate, Generate file for submission, preview, refusals, the run lock and the hidden period key.
 * (The HMRC classes run end to end in test/cli/em.test.ts against the emulator.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { Context } from '../../src/context.js';
import { openContext } from '../../src/open-context.js';
import { insertAttachment, listAttachments, listItems, updateMessage, attachmentContent, getFields, claimMessage } from '../../src/store/em.js';
import { messageDetail, newMessage, listMessageViews, deleteMessageChecked, setProcessingField, processingViews, listLogViews } from '../../src/em/messages.js';
import { runMessage, type RunIo } from '../../src/em/run.js';
import { RefusedError } from '../../src/em/engine.js';
import { MtdvatError, UsageError } from '../../src/errors.js';
import { shippedSetup, writeSetup } from '../helpers/em-setup.js';
import { importPackage } from '../../src/importer/import-package.js';

const TEST = 'UK MTD VAT TEST';
const io: RunIo = { consent: { yes: true, show: () => {}, ask: async () => true } };
const open: Context[] = [];
afterEach(() => {
  while (open.length) open.pop()!.close();
});

function context(): Context {
  const home = mkdtempSync(join(tmpdir(), 'mtdvat-em-'));
  const ctx = openContext({ home, env: { MTDVAT_MASTER_KEY: randomBytes(32).toString('base64') } });
  writeSetup(ctx.db, ctx.company, shippedSetup());
  open.push(ctx);
  return ctx;
}

const OBLIGATIONS = {
  obligations: [
    { periodKey: '18A1', start: '2018-01-01', end: '2018-03-31', due: '2018-05-07', status: 'F', received: '2018-05-06' },
    { periodKey: '18A2', start: '2018-04-01', end: '2018-06-30', due: '2018-08-07', status: 'O' },
    { periodKey: '#003', start: '2018-07-01', end: '2018-09-30', due: '2018-11-07', status: 'O' },
  ],
};

/** A request message whose retrieve step already attached HMRC's answer; the import then runs on it. */
async function importAnswer(ctx: Context, answer: unknown): Promise<number[]> {
  const req = newMessage(ctx, { processing: TEST, action: 'Create VAT obligation request', user: 'tester' });
  updateMessage(ctx.db, ctx.company, req.message, { status: 'Retrieved VAT obligation', at: new Date().toISOString() });
  insertAttachment(ctx.db, ctx.company, { message: req.message, logId: null, name: 'response.json.txt', mediaType: 'application/json', content: new TextEncoder().encode(JSON.stringify(answer)), at: new Date().toISOString() });
  const r = await runMessage(ctx, { message: req.message, kind: 'import', user: 'tester' }, io);
  expect(r.status).toBe('Completed VAT obligations request');
  return r.steps[0].created;
}

function returnFile(dir: string, fields: Record<string, unknown>): string {
  const path = join(dir, 'RETURN.json');
  writeFileSync(path, JSON.stringify(fields));
  return path;
}

const BOXES = {
  vatDueSales: 1050.5,
  vatDueAcquisitions: 0,
  totalVatDue: 1050.5,
  vatReclaimedCurrPeriod: 200.25,
  netVatDue: 850.25,
  totalValueSalesExVAT: 5253,
  totalValuePurchasesExVAT: 1001,
  totalValueGoodsSuppliedExVAT: 0,
  totalAcquisitionsExVAT: 0,
};

describe('em runtime (no HMRC)', () => {
  it('New: a Create message action, the processing defaults, one log row', () => {
    const ctx = context();
    setProcessingField(ctx, TEST, 'Tax registration number', 'GB 666 555 497');
    const m = newMessage(ctx, { processing: TEST, action: 'Create VAT obligation request', user: 'tester' });
    expect(m).toMatchObject({ processing: TEST, status: 'New obligation request', fields: { 'Tax registration number': '666555497' }, nextActions: ['Test retrieves VAT obligations'] });
    expect(listLogViews(ctx, m.message)).toMatchObject([{ action: 'Create VAT obligation request', from: '', to: 'New obligation request', responseType: 'Successfully executed', user: 'tester' }]);
    expect(() => newMessage(ctx, { processing: 'UK MTD VAT returns', user: 'x' })).toThrow(/several kinds of message; choose one with --action/);
    expect(() => setProcessingField(ctx, TEST, 'periodKey', '18A1')).toThrow(/hidden field/);
    expect(() => setProcessingField(ctx, TEST, 'Tax registration number', '12345')).toThrow(/9 digits/);
    expect(processingViews(ctx).find((p) => p.processing === TEST)!.actions.find((a) => a.action === 'Populate VAT return records')).toEqual({
      action: 'Populate VAT return records',
      type: 'Populate records',
      initialStatuses: ['New VAT return'],
      resultStatuses: ['item: Populated'],
      runSeparately: true,
    });
  });

  it('obligations import: one message per obligation, open → New VAT return, fulfilled → Completed; a second import updates, never duplicates', async () => {
    const ctx = context();
    const created = await importAnswer(ctx, OBLIGATIONS);
    expect(created).toHaveLength(3);
    const views = listMessageViews(ctx).filter((v) => created.includes(v.message));
    expect(views.map((v) => [v.fromDate, v.toDate, v.status])).toEqual([
      ['2018-01-01', '2018-03-31', 'Completed VAT return'],
      ['2018-04-01', '2018-06-30', 'New VAT return'],
      ['2018-07-01', '2018-09-30', 'New VAT return'],
    ]);
    expect(views[1].fields).toEqual({ 'Due date': '2018-08-07', 'HMRC status': 'O' });
    // The period key is stored, hidden.
    expect(getFields(ctx.db, ctx.company, created[1]).periodKey).toBe('18A2');
    const again = await importAnswer(ctx, { obligations: [{ ...OBLIGATIONS.obligations[1], status: 'F', received: '2018-08-01' }] });
    expect(again).toEqual([]);
    const updated = messageDetail(ctx, created[1]);
    expect(updated.status).toBe('Completed VAT return');
    expect(updated.fields).toMatchObject({ 'HMRC status': 'F', 'Received date': '2018-08-01' });
    const text = JSON.stringify([listMessageViews(ctx), listLogViews(ctx), created.map((m) => messageDetail(ctx, m))]);
    for (const pk of ['18A1', '18A2', '#003']) expect(text).not.toContain(pk);
  });

  it('an empty or hostile answer: nothing found, or a Technical error naming the file', async () => {
    const ctx = context();
    expect(await importAnswer(ctx, {})).toEqual([]);
    const req = newMessage(ctx, { processing: TEST, action: 'Create VAT obligation request', user: 't' });
    updateMessage(ctx.db, ctx.company, req.message, { status: 'Retrieved VAT obligation', at: new Date().toISOString() });
    insertAttachment(ctx.db, ctx.company, { message: req.message, logId: null, name: 'response.json.txt', mediaType: 'application/json', content: new TextEncoder().encode('{"obligations":[{"periodKey":"18A1","start":"x"}]}'), at: '' });
    const r = await runMessage(ctx, { message: req.message, kind: 'import', user: 't' }, io);
    expect(r.status).toBe('Error VAT obligations importing');
    expect(r.steps[0]).toMatchObject({ responseType: 'Technical error' });
    expect(r.steps[0].log).toMatch(/response.json.txt: obligation 1: "start" must be a date/);
    expect(r.steps[0].log).not.toContain('18A1');
  });

  it('collect data → ready (items To be reported) → generate VAT_return.json with exact decimals → refusals', async () => {
    const ctx = context();
    const [, open1] = await importAnswer(ctx, OBLIGATIONS);
    const dir = mkdtempSync(join(tmpdir(), 'mtdvat-ret-'));
    // Generate is refused before Ready to generate.
    await expect(runMessage(ctx, { message: open1, kind: 'generate', user: 't' }, io)).rejects.toThrow(RefusedError);
    await expect(runMessage(ctx, { message: open1, kind: 'collect', user: 't' }, io)).rejects.toThrow(/--file RETURN.json/);
    // A file for another period is refused without naming either period.
    const wrong = returnFile(dir, { periodKey: '18A1', ...BOXES });
    const refused = await runMessage(ctx, { message: open1, kind: 'collect', file: wrong, user: 't' }, io).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(RefusedError);
    expect((refused as Error).message).not.toContain('18A');

    const good = returnFile(dir, { periodKey: '18A2', ...BOXES });
    const collected = await runMessage(ctx, { message: open1, kind: 'collect', file: good, user: 't' }, io);
    expect(collected.steps).toMatchObject([{ action: 'Populate VAT return records', from: 'New VAT return', to: 'New VAT return', responseType: 'Successfully executed' }]);
    expect(listItems(ctx.db, ctx.company, open1)).toMatchObject([{ status: 'Populated', itemType: 'VAT return', document: 'RETURN.json', boxes: { vatDueSales: '1050.50', totalValueSalesExVAT: '5253' } }]);
    // Collecting again replaces the items (no double counting).
    await runMessage(ctx, { message: open1, kind: 'collect', file: returnFile(dir, BOXES), user: 't' }, io);
    expect(listItems(ctx.db, ctx.company, open1)).toHaveLength(1);

    // `em run` without --action: several non-user actions? Here only Populate is non-user.
    const ready = await runMessage(ctx, { message: open1, kind: 'update', action: 'Ready to generate VAT return', user: 't' }, io);
    expect(ready.status).toBe('Ready to generate VAT return');
    expect(listItems(ctx.db, ctx.company, open1).map((i) => i.status)).toEqual(['To be reported']);
    expect(messageDetail(ctx, open1).log.at(-1)!.items).toHaveLength(1);

    // Preview and Generate are both offered: plain `em run` lists them (usage error, exit 2).
    await expect(runMessage(ctx, { message: open1, user: 't' }, io)).rejects.toThrow(UsageError);
    const preview = await runMessage(ctx, { message: open1, action: 'Preview VAT return', user: 't' }, io);
    expect(preview.steps[0]).toMatchObject({ from: 'Ready to generate VAT return', to: 'Ready to generate VAT return', attachments: ['VAT statement.xlsx'] });

    const gen = await runMessage(ctx, { message: open1, kind: 'generate', user: 't' }, io);
    expect(gen.steps[0]).toMatchObject({ action: 'Generate file for submission', to: 'Generated VAT return', attachments: ['VAT_return.json'] });
    expect(listItems(ctx.db, ctx.company, open1).map((i) => i.status)).toEqual(['Reported']);
    const file = listAttachments(ctx.db, ctx.company, open1).find((a) => a.name === 'VAT_return.json')!;
    expect(new TextDecoder().decode(attachmentContent(ctx.db, ctx.company, file.id))).toBe(
      '{"periodKey":"18A2","vatDueSales":1050.50,"vatDueAcquisitions":0.00,"totalVatDue":1050.50,"vatReclaimedCurrPeriod":200.25,"netVatDue":850.25,"totalValueSalesExVAT":5253,"totalValuePurchasesExVAT":1001,"totalValueGoodsSuppliedExVAT":0,"totalAcquisitionsExVAT":0,"finalised":true}',
    );
    expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Nothing shown carries the period key (the attachment itself is the document as generated).
    expect(JSON.stringify(messageDetail(ctx, open1))).not.toContain('18A2');
    // Generated VAT return does not allow delete.
    expect(() => deleteMessageChecked(ctx, open1)).toThrow(/does not allow delete/);
    // Update to initial status VAT return has two Successfully executed results: --to-status chooses.
    await expect(runMessage(ctx, { message: open1, kind: 'update', action: 'Update to initial status VAT return', user: 't' }, io)).rejects.toThrow(/--to-status/);
    const back = await runMessage(ctx, { message: open1, kind: 'update', action: 'Update to initial status VAT return', toStatus: 'New VAT return', user: 't' }, io);
    expect(back.status).toBe('New VAT return');
    expect(listItems(ctx.db, ctx.company, open1).map((i) => i.status)).toEqual(['Populated']);
  });

  it('a second run on a message held by a live process says which process holds it', async () => {
    const ctx = context();
    const m = newMessage(ctx, { processing: TEST, action: 'Create VAT obligation request', user: 't' });
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
    try {
      expect(claimMessage(ctx.db, ctx.company, m.message, child.pid!, '2026-01-01T00:00:00Z', () => true)).toEqual({ ok: true });
      const e = await runMessage(ctx, { message: m.message, user: 't' }, io).catch((x: Error) => x);
      expect(e).toBeInstanceOf(MtdvatError);
      expect((e as Error).message).toContain(`is being processed by process ${child.pid}`);
    } finally {
      child.kill();
    }
  });

  it('New is refused for a processing that does not exist; delete works where the status allows it', () => {
    const ctx = context();
    expect(() => newMessage(ctx, { processing: 'Nope', user: 't' })).toThrow(/no electronic message processing "Nope"/);
    const m = newMessage(ctx, { processing: TEST, action: 'Create VAT obligation request', user: 't' });
    deleteMessageChecked(ctx, m.message);
    expect(listMessageViews(ctx)).toEqual([]);
  });

  it('a re-import of the package keeps the VRN the user set on the processing (as credentials are kept)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mtdvat-em-'));
    const ctx = openContext({ home, env: { MTDVAT_MASTER_KEY: randomBytes(32).toString('base64') } });
    open.push(ctx);
    const zip = join(import.meta.dirname, '..', '..', 'packages-data', 'mtd-vat.zip');
    expect((await importPackage(ctx, zip)).status).toBe('Succeeded');
    setProcessingField(ctx, TEST, 'Tax registration number', '666555497');
    expect((await importPackage(ctx, zip)).status).toBe('Succeeded');
    expect(processingViews(ctx).find((p) => p.processing === TEST)!.fields['Tax registration number']).toBe('666555497');
  });
});
