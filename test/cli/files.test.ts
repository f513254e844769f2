/**
 * Files mtdvat writes (export-package, vat100, verify --output): through the BUILT CLI, a failed write
 * leaves an existing output — and a symlink's target — as it was, and no write goes through a
 * predictable temp name.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedSetup, tempHome } from '../helpers/mtd-setup.js';
import { runCli } from '../helpers/cli.js';

let home: string;
let key: string;

beforeAll(async () => {
  // One description holds an emoji: the Excel export refuses it half-way through writing the zip.
  const seeded = await seedSetup({ mutate: (s) => (s.MessageItemType[0].DESCRIPTION = 'VAT return 🚀') });
  home = seeded.home;
  key = seeded.key;
  seeded.ctx.close();
});

function cli(args: string[]) {
  return runCli([...args, '--home', home], { env: { MTDVAT_MASTER_KEY: key } });
}

describe('export-package', () => {
  it('a failed export leaves an existing output file as it was, and no temp file behind', async () => {
    const dir = tempHome();
    const out = join(dir, 'setup.zip');
    writeFileSync(out, 'the previous export');
    const r = await cli(['export-package', out, '--format', 'excel']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/outside the Basic Multilingual Plane/);
    expect(readFileSync(out, 'utf8')).toBe('the previous export');
    expect(readdirSync(dir)).toEqual(['setup.zip']);
  });

  it('a failed export through a symlink leaves the link and its target as they were', async () => {
    const dir = tempHome();
    const target = join(dir, 'precious.txt');
    writeFileSync(target, 'not yours');
    const link = join(dir, 'setup.zip');
    symlinkSync(target, link);
    const r = await cli(['export-package', link, '--format', 'excel']);
    expect(r.code).toBe(1);
    expect(readFileSync(target, 'utf8')).toBe('not yours');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['precious.txt', 'setup.zip']);
  });

  it('a successful export replaces a symlink at the output, never writing its target', async () => {
    const dir = tempHome();
    const target = join(dir, 'precious.txt');
    writeFileSync(target, 'not yours');
    const link = join(dir, 'setup.zip');
    symlinkSync(target, link);
    const r = await cli(['export-package', link]);
    expect(r.code).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('not yours');
    expect(lstatSync(link).isFile()).toBe(true);
    expect(readFileSync(link).subarray(0, 2).toString('latin1')).toBe('PK');
  });
});

describe('vat100', () => {
  const RETURN = {
    periodKey: '18A1',
    vatDueSales: 100,
    vatDueAcquisitions: 0,
    totalVatDue: 100,
    vatReclaimedCurrPeriod: 0,
    netVatDue: 100,
    totalValueSalesExVAT: 500,
    totalValuePurchasesExVAT: 0,
    totalValueGoodsSuppliedExVAT: 0,
    totalAcquisitionsExVAT: 0,
    finalised: true,
  };

  it('never writes through a planted symlink at a guessable temp name', async () => {
    const dir = tempHome();
    const file = join(dir, 'RETURN.json');
    writeFileSync(file, JSON.stringify(RETURN));
    const target = join(dir, 'precious.txt');
    writeFileSync(target, 'not yours');
    // The old temp name was `.VAT100.json.<pid>.tmp`: plant it for the next few thousand process ids.
    const last = Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'));
    for (let pid = last + 1; pid <= last + 3000; pid++) symlinkSync(target, join(dir, `.VAT100.json.${pid}.tmp`));
    const out = join(dir, 'VAT100.json');
    const r = await cli(['vat100', '--file', file, '--output', out]);
    expect(r.code).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('not yours');
    expect(JSON.parse(readFileSync(out, 'utf8')).periodKey).toBe('18A1');
    expect(lstatSync(out).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => !/^\.VAT100\.json\.\d+\.tmp$/.test(f)).sort()).toEqual(['RETURN.json', 'VAT100.json', 'precious.txt']);
  });
});

describe('verify --output', () => {
  it('replaces a symlink at the output, never writing its target', async () => {
    const dir = tempHome();
    const target = join(dir, 'precious.txt');
    writeFileSync(target, 'not yours');
    const link = join(dir, 'report.txt');
    symlinkSync(target, link);
    await cli(['verify', '--output', link]);
    expect(readFileSync(target, 'utf8')).toBe('not yours');
    expect(readFileSync(link, 'utf8')).toMatch(/Setup verification/);
    expect(existsSync(link) && lstatSync(link).isFile()).toBe(true);
  });
});
