import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import type { Context } from '../../src/context.js';
import { openContext } from '../../src/open-context.js';
import { importPackage } from '../../src/importer/import-package.js';
import { exportSetup, EXPORT_FORMATS } from '../../src/importer/export.js';
import { openPackage } from '../../src/package/reader.js';
import { loadSchemas, schemasInImportOrder } from '../../src/schema/registry.js';
import { DEFAULT_SANDBOX_CLIENT } from '../../src/lib/emulator-defaults.js';
import { NotFoundError } from '../../src/errors.js';
import { getRecord, updateRecordData } from '../../src/store/records.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
import { writeSecret } from '../../src/vault/secrets.js';
import { spawnSync } from 'node:child_process';

const PACKAGE = join(ROOT, 'packages-data', 'mtd-vat.zip');
const BIN = join(ROOT, 'bin', 'mtdvat.js');
const KEY = randomBytes(32).toString('base64');
const env = { MTDVAT_MASTER_KEY: KEY };
const SECRET_VALUES = [DEFAULT_SANDBOX_CLIENT.clientSecret, DEFAULT_SANDBOX_CLIENT.clientId, 'DEMO-CLIENT-SECRET-replace-me', 'DEMO-CLIENT-ID-replace-me'];

const temp = mkdtempSync(join(tmpdir(), 'mtdvat-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
let homes = 0;
function freshContext(): Context {
  return openContext({ home: join(temp, `home-${++homes}`), env });
}

type Row = { company: string; entity: string; natural_key: string; data: string };
function recordRows(ctx: Context): Row[] {
  return ctx.db.prepare('SELECT company, entity, natural_key, data FROM records ORDER BY company, entity, natural_key').all() as Row[];
}

async function entryTexts(zip: string): Promise<Map<string, Buffer>> {
  const file = await yauzl.openPromise(zip, { lazyEntries: true });
  const out = new Map<string, Buffer>();
  try {
    for await (const entry of file.eachEntry()) {
      const chunks: Buffer[] = [];
      for await (const chunk of await file.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
      out.set(entry.fileName, Buffer.concat(chunks));
    }
  } finally {
    file.close();
  }
  return out;
}

describe('export-package', () => {
  let source: Context;
  let original: Row[];
  beforeAll(async () => {
    source = freshContext();
    const result = await importPackage(source, PACKAGE);
    expect(result.status).toBe('Succeeded');
    // The shipped package carries no credentials: store some, as a user would, to prove export leaves them out.
    const vault = await source.vault({ create: true });
    for (const app of ['Dynamics 365 Finance', 'Sandbox HMRC']) {
      writeSecret(source.db, vault, source.company, 'WebApplication', [app], 'CLIENTID', app === 'Sandbox HMRC' ? DEFAULT_SANDBOX_CLIENT.clientId : 'DEMO-CLIENT-ID-replace-me');
      writeSecret(source.db, vault, source.company, 'WebApplication', [app], 'CLIENTSECRET', app === 'Sandbox HMRC' ? DEFAULT_SANDBOX_CLIENT.clientSecret : 'DEMO-CLIENT-SECRET-replace-me');
    }
    // A value that needs escaping in every format survives the round trip.
    const key = ['VAT return'];
    const itemType = getRecord(source.db, source.company, 'MessageItemType', key)!;
    updateRecordData(source.db, source.company, 'MessageItemType', key, { ...itemType.data, DESCRIPTION: 'VAT & <return>, "quoted"\r\nsecond line' });
    original = recordRows(source);
    expect(original.some((r) => r.data.includes('\\r\\nsecond line'))).toBe(true);
    // 183: the package holds the checklist's initial statuses of Populate, Preview and Generate (issue 12),
    // and the TEST processing's liabilities and payments (2 classes, 2 actions, 8 statuses, 4 links; issue 13).
    expect(original.length).toBe(183);
  });
  afterAll(() => source.close());

  it.each(EXPORT_FORMATS)('round trip as %s: export → import into an empty store gives the same records, no secrets', async (format) => {
    const out = join(temp, `export-${format}.zip`);
    const result = await exportSetup(source, out, { format });
    expect(result.file).toBe(out);
    expect(result.entities.map((e) => e.entity)).toEqual(schemasInImportOrder(loadSchemas()).map((s) => s.label));
    expect(result.entities.reduce((n, e) => n + e.records, 0)).toBe(183);
    expect(result.secretsOmitted).toEqual([
      { entity: 'Web applications', key: 'Dynamics 365 Finance', field: 'CLIENTID' },
      { entity: 'Web applications', key: 'Dynamics 365 Finance', field: 'CLIENTSECRET' },
      { entity: 'Web applications', key: 'Sandbox HMRC', field: 'CLIENTID' },
      { entity: 'Web applications', key: 'Sandbox HMRC', field: 'CLIENTSECRET' },
    ]);

    // No secret value anywhere in the package, decompressed (and, for Excel, inside the workbook zip too).
    const entries = await entryTexts(out);
    for (const [name, bytes] of entries) {
      const texts = [bytes.toString('utf8'), bytes.toString('utf16le')];
      if (name.endsWith('.xlsx')) {
        const inner = join(temp, `inner-${format}.xlsx`);
        writeFileSync(inner, bytes);
        for (const part of (await entryTexts(inner)).values()) texts.push(part.toString('utf8'));
      }
      for (const text of texts) for (const secret of SECRET_VALUES) expect(text).not.toContain(secret);
    }

    // Import order preserved: the reader sorts by unit/level/sequence and gets the schema order back.
    const pkg = await openPackage(out);
    try {
      expect(pkg.entities.map((e) => e.entityName)).toEqual(result.entities.map((e) => e.entity));
      expect(pkg.entities.every((e) => e.format === format)).toBe(true);
    } finally {
      pkg.close();
    }

    const target = freshContext();
    try {
      const imported = await importPackage(target, out);
      expect(imported.errors).toEqual([]);
      expect(imported.status).toBe('Succeeded');
      expect(recordRows(target)).toEqual(original);
      expect((target.db.prepare('SELECT COUNT(*) AS n FROM secrets').get() as { n: number }).n).toBe(0);
    } finally {
      target.close();
    }
  });

  it.each(EXPORT_FORMATS)('writes entities without records as empty %s files that import cleanly', async (format) => {
    const partial = freshContext();
    const target = freshContext();
    try {
      await importPackage(partial, PACKAGE);
      partial.db.prepare("DELETE FROM records WHERE entity = 'AdditionalFieldValue'").run();
      const out = join(temp, `partial-${format}.zip`);
      const result = await exportSetup(partial, out, { format });
      expect(result.entities.find((e) => e.entity === 'Message additional field values')!.records).toBe(0);
      const imported = await importPackage(target, out);
      expect(imported.errors).toEqual([]);
      expect(recordRows(target)).toEqual(recordRows(partial));
    } finally {
      partial.close();
      target.close();
    }
  });

  it('audits the export by field name only', async () => {
    await exportSetup(source, join(temp, 'audited.zip'));
    const row = source.db.prepare("SELECT detail FROM audit_log WHERE event = 'export' ORDER BY id DESC LIMIT 1").get() as { detail: string };
    expect(row.detail).toContain('Sandbox HMRC / CLIENTSECRET');
    for (const secret of SECRET_VALUES) expect(row.detail).not.toContain(secret);
  });

  it('refuses an empty company and a missing folder', async () => {
    const empty = freshContext();
    try {
      await expect(exportSetup(empty, join(temp, 'empty.zip'))).rejects.toBeInstanceOf(NotFoundError);
      await expect(exportSetup(source, join(temp, 'no', 'such', 'dir.zip'))).rejects.toThrow(/does not exist/);
    } finally {
      empty.close();
    }
  });

  it('CLI: --json gives the result, human output says which secret fields were left empty', async () => {
    const run = promisify(execFile);
    const home = join(temp, 'cli-home');
    const opts = { cwd: temp, env: { ...process.env, ...env, CI: 'true', NO_COLOR: '1' } };
    await run(process.execPath, [BIN, '--home', home, 'import-package', PACKAGE], opts);
    for (const app of ['Dynamics 365 Finance', 'Sandbox HMRC']) {
      const set = spawnSync(process.execPath, [BIN, '--home', home, 'web-apps', 'set-credentials', app, '--client-id-stdin', '--secret-stdin'], { ...opts, input: `${DEFAULT_SANDBOX_CLIENT.clientId}\n${DEFAULT_SANDBOX_CLIENT.clientSecret}` });
      expect(set.status, String(set.stderr)).toBe(0);
    }
    const json = await run(process.execPath, [BIN, '--home', home, 'export-package', join(temp, 'cli.zip'), '--format', 'excel', '--json'], opts);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({ company: 'DAT', format: 'excel', file: join(temp, 'cli.zip') });
    expect(result.entities).toHaveLength(15);
    expect(result.secretsOmitted).toHaveLength(4);
    const human = await run(process.execPath, [BIN, '--home', home, 'export-package', join(temp, 'cli2.zip')], opts);
    expect(human.stdout).toContain('Message statuses.xml');
    expect(human.stdout).toMatch(/Secret fields were left empty.*Sandbox HMRC.*CLIENTSECRET/s);
    for (const secret of SECRET_VALUES) expect(human.stdout + human.stderr + json.stdout + json.stderr).not.toContain(secret);
  }, 30_000);
});
