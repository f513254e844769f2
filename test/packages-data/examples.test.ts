/**
 * The README's sample returns stay valid: both are read through mtdvat's own readers (the ones
 * `vat submit` and `vat100` use), hold the same figures, and carry no periodKey of their own.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readReturnFields, readReturnFile } from '../../src/vat/return-file.js';
import { ValidationError } from '../../src/errors.js';
import { ROOT } from '../helpers/cli.js';

const EXAMPLES = join(ROOT, 'packages-data', 'examples');
const files = ['RETURN.json', 'RETURN.xlsx'].map((f) => join(EXAMPLES, f));

describe('packages-data/examples', () => {
  it('RETURN.json and RETURN.xlsx are valid returns with the same figures once a period key is given', async () => {
    const [json, xlsx] = await Promise.all(files.map((f) => readReturnFile(f, { periodKey: '26A3' })));
    expect(json.periodKey).toBe('26A3');
    expect(json.finalised).toBe(true);
    const figures = (r: typeof json) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)]));
    expect(figures(xlsx)).toEqual(figures(json));
    expect(String(json.vatDueSales)).toBe('1050.50');
    expect(String(json.netVatDue)).toBe('850.25');
  });

  it('neither holds a periodKey (so no period goes stale); without --period-key they say what is missing', async () => {
    for (const file of files) {
      expect(Object.keys(await readReturnFields(file))).not.toContain('periodKey');
      const error = await readReturnFile(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toContain('periodKey is missing: put it in the file or give --period-key');
    }
  });

  it('a periodKey in the file wins over nothing and is kept as written', async () => {
    const { readJsonFields } = await import('../../src/vat/return-file.js');
    const { buildReturn } = await import('../../src/vat/nine-box.js');
    const raw = readJsonFields('{"periodKey":"18A1","vatDueSales":1,"vatDueAcquisitions":0,"totalVatDue":1,"vatReclaimedCurrPeriod":0,"netVatDue":1,"totalValueSalesExVAT":0,"totalValuePurchasesExVAT":0,"totalValueGoodsSuppliedExVAT":0,"totalAcquisitionsExVAT":0,"finalised":true}');
    expect(buildReturn(raw).periodKey).toBe('18A1');
    expect(buildReturn(raw, { periodKey: '18A2' }).periodKey).toBe('18A1'); // the caller compares the two
  });
});
