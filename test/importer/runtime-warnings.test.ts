/**
 * A re-import that changes what the Electronic messages runtime depends on (actions, statuses, web
 * services, executable classes) while messages of that processing are mid-way warns in the import
 * result, naming those messages (Microsoft's FAQ: "everything returns 404 after re-importing the
 * package"). Through the built CLI; messages are made with the store functions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { insertMessage } from '../../src/store/em.js';
import { buildPackage, type TestEntity } from '../helpers/package-builder.js';
import { listRecords } from '../../src/store/records.js';
import { makeHome, runCli, type TestHome } from '../helpers/setup-web-app.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
let t: TestHome;
let dir: string;
const messages: Record<string, number> = {};

interface Result {
  status: string;
  warnings: string[];
}

async function importJson(zip: string): Promise<Result> {
  const r = await runCli(t, ['import-package', zip, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Result;
}

/** A package of one entity holding the stored records of `entity` (as the local package imported them), changed by `change`. */
async function changed(name: string, entity: string, label: string, change: (r: Record<string, string>) => void): Promise<string> {
  const ctx = t.open();
  let records: Record<string, string>[];
  try {
    records = listRecords(ctx.db, ctx.company, entity).map((r) => ({ ...r.data }));
  } finally {
    ctx.close();
  }
  expect(records.length).toBeGreaterThan(0);
  records.forEach(change);
  const e: TestEntity = { entityName: label, records, format: 'xml-element' };
  return buildPackage(dir, name, { entities: [e] });
}

beforeAll(async () => {
  t = makeHome();
  dir = mkdtempSync(join(tmpdir(), 'mtdvat-reimport-'));
  expect((await runCli(t, ['import-package', join(ROOT, 'packages-data', 'mtd-vat-local.zip')])).code).toBe(0);
  const ctx = t.open();
  try {
    const at = new Date().toISOString();
    const add = (key: string, processing: string, status: string) => (messages[key] = insertMessage(ctx.db, ctx.company, { processing, description: key, status, at }));
    add('testGenerated', 'UK MTD VAT TEST', 'Generated VAT return');
    add('testNew', 'UK MTD VAT TEST', 'New VAT return');
    add('testCompleted', 'UK MTD VAT TEST', 'Completed VAT return');
    add('prodNew', 'UK MTD VAT returns', 'New VAT return');
  } finally {
    ctx.close();
  }
}, 60_000);

afterAll(() => {
  rmSync(t.home, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('re-import while messages are mid-way', () => {
  it('the same package again: nothing changed, no warning', async () => {
    const r = await importJson(join(ROOT, 'packages-data', 'mtd-vat-local.zip'));
    expect(r.warnings.filter((w) => w.includes('electronic message'))).toEqual([]);
  });

  it('FAQ "404": the submit action reverted to type Web service warns, naming the open messages of that processing only', async () => {
    const zip = await changed('reverted.zip', 'MessageProcessingAction', 'Message processing actions', (r) => {
      if (r.ACTION === 'Test submits VAT return') r.ACTIONTYPE = 'WEBService';
    });
    const r = await importJson(zip);
    const w = r.warnings.filter((x) => x.includes('electronic message'));
    expect(w).toHaveLength(1);
    expect(w[0]).toContain('processing "UK MTD VAT TEST": this import changed its actions');
    expect(w[0]).toContain(`${messages.testGenerated} ("Generated VAT return")`);
    expect(w[0]).toContain(`${messages.testNew} ("New VAT return")`);
    expect(w[0]).not.toContain(`${messages.testCompleted} (`); // final: nothing can strand it
    expect(w[0]).toContain('mtdvat em show MSG');
  });

  it('a web service both processings use → one warning per processing; a dry run warns too', async () => {
    const zip = await changed('services.zip', 'WebService', 'Web service settings', (r) => {
      r.REQUESTACCEPT = `${r.REQUESTACCEPT};q=0.9`;
    });
    const dry = await runCli(t, ['import-package', zip, '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect((JSON.parse(dry.stdout) as Result).warnings.filter((x) => x.includes('web services'))).toHaveLength(2);
    const r = await importJson(zip);
    const w = r.warnings.filter((x) => x.includes('electronic message'));
    expect(w.map((x) => x.slice(0, x.indexOf(':')))).toEqual(['processing "UK MTD VAT TEST"', 'processing "UK MTD VAT returns"']);
    expect(w[1]).toContain(`${messages.prodNew} ("New VAT return")`);
    expect(w.every((x) => x.includes('changed its web services'))).toBe(true);
  });

  it('a status change names "statuses"; an unrelated entity (additional field values) warns nothing', async () => {
    const zip = await changed('statuses.zip', 'MessageProcessingActionStatus', 'Message processing action statuses', (r) => {
      if (r.ACTION === 'Test submits VAT return' && r.STATUSKIND === 'Result' && r.RESPONSETYPE === 'TechnicalError') r.MESSAGESTATUS = 'Error VAT return generation';
    });
    const w = (await importJson(zip)).warnings.filter((x) => x.includes('electronic message'));
    expect(w).toHaveLength(1);
    expect(w[0]).toContain('changed its statuses');
    const other = await changed('values.zip', 'AdditionalFieldValue', 'Message additional field values', (r) => {
      r.DESCRIPTION = `${r.DESCRIPTION ?? ''} (edited)`;
    });
    expect((await importJson(other)).warnings.filter((x) => x.includes('electronic message'))).toEqual([]);
  });
});
