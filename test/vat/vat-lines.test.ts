import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { lineBoxTexts, parseLineAmount, readVatLines, VatLinesError, type VatLine } from '../../src/vat/vat-lines.js';

const dir = mkdtempSync(join(tmpdir(), 'mtdvat-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

let n = 0;
function csv(text: string | Buffer): string {
  const path = join(dir, `lines-${++n}.csv`);
  writeFileSync(path, text);
  return path;
}

/** Lines in a compact form for table comparisons: document, date, box texts. */
function brief(lines: VatLine[]) {
  return lines.map((l) => ({ row: l.row, document: l.document, date: l.date, boxes: lineBoxTexts(l) }));
}

async function problemsOf(path: string, options = {}): Promise<string[]> {
  try {
    await readVatLines(path, options);
  } catch (error) {
    if (error instanceof VatLinesError) return error.problems.map((p) => `${p.row !== undefined ? `row ${p.row}: ` : ''}${p.message}`);
    throw error;
  }
  throw new Error('expected the file to be refused');
}

describe('VAT lines: what is accepted', () => {
  const cases: { name: string; text: string; expect: ReturnType<typeof brief> }[] = [
    {
      name: 'HMRC field names, any case, with optional columns',
      text: 'DOCUMENT,date,Account,description,VATDUESALES,totalValueSalesExVAT\nS1,2026-01-31,130100,Sale,20.00,100\n',
      expect: [{ row: 2, document: 'S1', date: '2026-01-31', boxes: { vatDueSales: '20.00', totalValueSalesExVAT: '100' } }],
    },
    {
      name: '"Box N" names with spaces, underscores or none',
      text: 'Document,Date,Box 1,box2,BOX_4,Box  6,Box 7,Box 8,Box 9\nA,2026-02-01,1,2,4.5,6,7,8,9\n',
      expect: [
        {
          row: 2,
          document: 'A',
          date: '2026-02-01',
          boxes: {
            vatDueSales: '1',
            vatDueAcquisitions: '2',
            vatReclaimedCurrPeriod: '4.5',
            totalValueSalesExVAT: '6',
            totalValuePurchasesExVAT: '7',
            totalValueGoodsSuppliedExVAT: '8',
            totalAcquisitionsExVAT: '9',
          },
        },
      ],
    },
    {
      name: 'negatives (credit notes), £, thousands commas, empty cells, exact scale kept',
      text: 'Document,Date,Box 1,Box 6\nC1,2026-03-01,-12.50,"-£1,000.25"\nC2,2026-03-02,,0.10\nC3,2026-03-03,+.5,\n',
      expect: [
        { row: 2, document: 'C1', date: '2026-03-01', boxes: { vatDueSales: '-12.50', totalValueSalesExVAT: '-1000.25' } },
        { row: 3, document: 'C2', date: '2026-03-02', boxes: { totalValueSalesExVAT: '0.10' } },
        { row: 4, document: 'C3', date: '2026-03-03', boxes: { vatDueSales: '0.5' } },
      ],
    },
    {
      name: 'a UTF-8 BOM, CRLF line ends, quoted commas and blank lines',
      text: '\uFEFFDocument,Date,Description,Box 4\r\n"P,1",2026-04-30,"Rent, April",300.00\r\n\r\n',
      expect: [{ row: 2, document: 'P,1', date: '2026-04-30', boxes: { vatReclaimedCurrPeriod: '300.00' } }],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      expect(brief(await readVatLines(csv(c.text)))).toEqual(c.expect);
    });
  }

  it('keeps account and description as written (trimmed)', async () => {
    const [line] = await readVatLines(csv('Document,Date,Account,Description,Box 1\n D9 ,2026-01-01, 4000 , Café sale ,1\n'));
    expect(line).toMatchObject({ document: 'D9', account: '4000', description: 'Café sale' });
  });

  it('the shipped sample packages-data/examples/VAT-lines.csv is valid', async () => {
    const lines = await readVatLines(join(ROOT, 'packages-data', 'examples', 'VAT-lines.csv'));
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines.some((l) => l.boxes.vatDueSales?.startsWith('-'))).toBe(true); // it shows a credit note
  });
});

describe('VAT lines: what is refused (every problem, by row)', () => {
  const cases: { name: string; text: string; options?: { from?: string; to?: string }; problems: (string | RegExp)[] }[] = [
    {
      name: 'box 3 and box 5 columns are derived',
      text: 'Document,Date,Box 1,Box 3,netVatDue\nA,2026-01-01,1,1,1\n',
      problems: [/column "Box 3" is box 3, which is derived/, /column "netVatDue" is box 5, which is derived/],
    },
    {
      name: 'unknown columns (typos) and duplicates',
      text: 'Document,Date,vatDueSale,Box 1,vatDueSales\nA,2026-01-01,1,1,1\n',
      problems: [/column "vatDueSale" is not a VAT lines column/, /columns "Box 1" and "vatDueSales" are the same column \(vatDueSales\)/],
    },
    {
      name: 'missing Document, Date and amount columns',
      text: 'Account,Description\n1,x\n',
      problems: [/required column "Document" is missing/, /required column "Date" is missing/, /no box amount column/],
    },
    {
      name: 'bad rows are all listed, each with its row',
      text: [
        'Document,Date,Box 1,Box 6',
        'A,2026-01-01,1.005,1',
        ',2026-01-02,1,1',
        'A,2026-01-03,1,1',
        'B,2026-02-30,1,1',
        'C,01/02/2026,1,1',
        'D,2026-01-04,1e3,abc',
        'E,2026-01-05,"1,00",--1',
        'F,2026-01-06,99999999999999.99,1',
        'G,,1,1',
      ].join('\n'),
      problems: [
        'row 2: Box 1: 1.005 has more than 2 decimal places',
        'row 3: Document is empty (every line needs its document number)',
        'row 4: document "A" is already on row 2 (a document may appear once)',
        'row 5: Date "2026-02-30" is not a date written YYYY-MM-DD',
        'row 6: Date "01/02/2026" is not a date written YYYY-MM-DD',
        'row 7: Box 1: "1e3" is not an amount (write e.g. 1234.50 or -12.00)',
        'row 7: Box 6: "abc" is not an amount (write e.g. 1234.50 or -12.00)',
        'row 8: Box 1: "1,00" is not an amount (write e.g. 1234.50 or -12.00)',
        'row 8: Box 6: "--1" is not an amount (write e.g. 1234.50 or -12.00)',
        'row 9: Box 1: 99999999999999.99 is out of range (at most 9,999,999,999,999.99 either way)',
        'row 10: Date is empty',
      ],
    },
    {
      name: "dates outside the message's period",
      text: 'Document,Date,Box 1\nA,2025-12-31,1\nB,2026-01-01,1\nC,2026-03-31,1\nD,2026-04-01,1\n',
      options: { from: '2026-01-01', to: '2026-03-31' },
      problems: ['row 2: Date 2025-12-31 is outside the period 2026-01-01 to 2026-03-31', 'row 5: Date 2026-04-01 is outside the period 2026-01-01 to 2026-03-31'],
    },
    {
      name: 'control characters in text fields',
      text: 'Document,Date,Description,Box 1\n"A\u001b[31m",2026-01-01,ok,1\nB,2026-01-01,"two\nlines",1\n',
      problems: ['row 2: Document contains a control character', 'row 3: Description contains a control character'],
    },
    { name: 'an empty file', text: '', problems: [/no VAT lines/] },
    { name: 'a header with no lines', text: 'Document,Date,Box 1\n', problems: [/no VAT lines/] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const problems = await problemsOf(csv(c.text), c.options);
      expect(problems).toHaveLength(c.problems.length);
      c.problems.forEach((p, i) => (typeof p === 'string' ? expect(problems[i]).toBe(p) : expect(problems[i]).toMatch(p)));
    });
  }

  it('the error message names the file and counts the problems and rows', async () => {
    await expect(readVatLines(csv('Document,Date,Box 1\nA,2026-01-01,x\nB,bad,y\n'))).rejects.toThrow(
      /VAT lines file "lines-\d+\.csv" is invalid \(3 problems in 2 rows\); nothing was read:\n {2}- row 2: Box 1: "x"/,
    );
  });

  it('broken CSV structure and non-UTF-8 bytes are file errors, not crashes', async () => {
    await expect(readVatLines(csv('Document,Date,Box 1\nA,2026-01-01,1,extra\n'))).rejects.toThrow(/is not valid CSV/);
    await expect(readVatLines(csv('Document,Date,Box 1\n"A,2026-01-01,1\n'))).rejects.toThrow(/is not valid CSV/);
    await expect(readVatLines(csv(Buffer.from([0x44, 0x6f, 0x63, 0x2c, 0xff, 0xfe, 0x0a, 0x41])))).rejects.toThrow(/not valid utf-8 text/);
  });

  it('refuses other extensions and missing files as usage errors', async () => {
    await expect(readVatLines(join(dir, 'lines.txt'))).rejects.toThrow(/must be \.csv or \.xlsx/);
    await expect(readVatLines(join(dir, 'missing.csv'))).rejects.toThrow(/does not exist/);
  });
});

describe('VAT lines from a workbook', () => {
  async function xlsx(rows: unknown[][], sheets: string[] = ['VAT lines']): Promise<string> {
    const wb = new ExcelJS.Workbook();
    for (const name of sheets) {
      const ws = wb.addWorksheet(name);
      if (name === 'VAT lines' || sheets.length === 1) for (const r of rows) ws.addRow(r as ExcelJS.CellValue[]);
    }
    const path = join(dir, `lines-${++n}.xlsx`);
    await wb.xlsx.writeFile(path);
    return path;
  }

  it('reads number cells at Excel precision, text with its scale, date cells and formulas; rows are Excel rows', async () => {
    const path = await xlsx(
      [
        ['Document', 'Date', 'Box 1', 'Box 6', 'Description'],
        [1001, new Date(Date.UTC(2026, 0, 15)), 0.1 + 0.2, { formula: 'C2*5', result: 1.5 }, 'Number cells'],
        [],
        ['T2', '2026-01-16', '-12.50', '£1,000', 'Text cells'],
      ],
      ['Notes', 'VAT lines'],
    );
    expect(brief(await readVatLines(path))).toEqual([
      { row: 2, document: '1001', date: '2026-01-15', boxes: { vatDueSales: '0.3', totalValueSalesExVAT: '1.5' } },
      { row: 4, document: 'T2', date: '2026-01-16', boxes: { vatDueSales: '-12.50', totalValueSalesExVAT: '1000' } },
    ]);
  });

  it('lists every bad row by its Excel row number', async () => {
    const path = await xlsx([['Document', 'Date', 'Box 4'], ['A', '2026-01-01', '0.125'], [], ['A', new Date(Date.UTC(2026, 0, 2, 13, 5)), 1.005]]);
    expect(await problemsOf(path)).toEqual([
      'row 2: Box 4: 0.125 has more than 2 decimal places',
      'row 4: document "A" is already on row 2 (a document may appear once)',
      'row 4: Date "2026-01-02 13:05:00" is not a date written YYYY-MM-DD',
      'row 4: Box 4: 1.005 has more than 2 decimal places',
    ]);
  });

  it('goes through the checked zip reader: a fake or ambiguous workbook is refused', async () => {
    const fake = join(dir, 'fake.xlsx');
    writeFileSync(fake, 'not a zip at all');
    await expect(readVatLines(fake)).rejects.toThrow(/fake\.xlsx/);
    const two = await xlsx([['Document']], ['Sheet1', 'Sheet2']);
    await expect(readVatLines(two)).rejects.toThrow(/has no sheet named "VAT lines"/);
  });
});

describe('parseLineAmount', () => {
  const table: [string, string | undefined, RegExp | undefined][] = [
    ['0', '0', undefined],
    ['-0.01', '-0.01', undefined],
    ['12,345,678.90', '12345678.90', undefined],
    ['£5', '5', undefined],
    ['-£5.5', '-5.5', undefined],
    ['  7.00  ', '7.00', undefined],
    ['', undefined, undefined],
    ['1.', undefined, /not an amount/],
    ['12,34', undefined, /not an amount/],
    ['0x10', undefined, /not an amount/],
    ['Infinity', undefined, /not an amount/],
    ['1.001', undefined, /more than 2 decimal places/],
    ['9'.repeat(400), undefined, /out of range/],
  ];
  for (const [text, value, error] of table) {
    it(`"${text.slice(0, 20)}"`, () => {
      const r = parseLineAmount(text);
      expect(r.value?.toString()).toBe(value);
      if (error) expect(r.error).toMatch(error);
      else expect(r.error).toBeUndefined();
    });
  }
});
