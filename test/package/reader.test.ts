import { describe, expect, it, beforeAll } from 'vitest';
import { join } from 'node:path';
import { openPackage } from '../../src/package/reader.js';
import { parseManifest, importOrder } from '../../src/package/manifest.js';
import { chooseSheet, cellToString } from '../../src/package/xlsx-records.js';
import { PackageError } from '../../src/errors.js';
import { buildPackage, manifestXml, webAppsEntity, WEB_APPS, type TestEntity, type TestPackage } from '../helpers/package-builder.js';
import { REAL_D365, tempDir } from '../helpers/cli.js';


async function readAll(zip: string) {
  const pkg = await openPackage(zip);
  try {
    const out: { entity: string; format: string; records: Record<string, string>[] }[] = [];
    for (const entity of pkg.entities) {
      const records: Record<string, string>[] = [];
      for await (const r of pkg.readRecords(entity)) records.push({ ...r.values });
      out.push({ entity: entity.entityName, format: entity.format, records });
    }
    return { out, warnings: pkg.warnings, header: pkg.header };
  } finally {
    pkg.close();
  }
}

let dir: string;
beforeAll(() => {
  dir = tempDir();
});

describe('entity file formats and encodings', () => {
  const rows = [
    { WEBAPPLICATIONNAME: 'Sandbox HMRC', DESCRIPTION: 'Line one\r\nline "two" & <three>', BASEURL: 'https://test-api.service.hmrc.gov.uk' },
    { WEBAPPLICATIONNAME: 'Ünïcode app £', DESCRIPTION: '', BASEURL: 'https://api.service.hmrc.gov.uk' },
  ];
  const cases: [string, TestEntity['format'], string][] = [
    ['XML-Element (UTF-8 with BOM)', 'xml-element', 'xml-element'],
    ['XML-Attribute', 'xml-attribute', 'xml-attribute'],
    ['Excel', 'excel', 'excel'],
    ['CSV UTF-8', 'csv-utf8', 'csv'],
    ['CSV UTF-16LE', 'csv-utf16', 'csv'],
  ];
  it.each(cases)('%s', async (_name, format, expectedFormat) => {
    // exceljs (the test's writer) drops CR; D365 writes it as _x000D_, covered by cellToString below.
    const records = format === 'excel' ? rows.map((r) => ({ ...r, DESCRIPTION: r.DESCRIPTION.replace(/\r/g, '') })) : rows;
    const zip = await buildPackage(dir, `fmt-${format}.zip`, { entities: [webAppsEntity({ records, format })] });
    const { out } = await readAll(zip);
    expect(out).toHaveLength(1);
    expect(out[0].format).toBe(expectedFormat);
    expect(out[0].records).toEqual(records);
  });
});

describe('manifest', () => {
  const entities: TestEntity[] = [
    { entityName: 'Web service settings', records: [{ A: '1' }], level: 20, sequence: 10 },
    { entityName: 'Message statuses', records: [{ A: '1' }], level: 10, sequence: 30 },
    { entityName: 'Web applications', records: [{ A: '1' }], level: 10, sequence: 40 },
    { entityName: 'Message item types', records: [{ A: '1' }], level: 10, sequence: 10 },
    { entityName: 'Other unit', records: [{ A: '1' }], unit: 2, level: 1, sequence: 1 },
  ];
  const expectedOrder = ['Message item types', 'Message statuses', 'Web applications', 'Web service settings', 'Other unit'];

  it.each<[string, Partial<TestPackage>]>([
    ['UTF-16LE with BOM and no declaration (as D365 writes)', { manifestEncoding: 'utf-16le' }],
    ['UTF-8 with a declaration', { manifestEncoding: 'utf-8' }],
    ['children in another order', { reverseChildren: true }],
  ])('reads %s and imports in unit/level/sequence order, not the alphabetical list', async (_n, variant) => {
    const zip = await buildPackage(dir, `order-${Math.random()}.zip`, { entities, ...variant });
    const pkg = await openPackage(zip);
    expect(pkg.entities.map((e) => e.entityName)).toEqual(expectedOrder);
    expect(pkg.header?.packageType).toBe('DefinitionGroup');
    pkg.close();
  });

  it('treats i:nil as empty, keeps QueryData with newlines out of the way, and reads maps', () => {
    const m = parseManifest(manifestXml({ entities: [{ entityName: 'X', targetEntity: undefined, records: [{ COL: 'v' }], maps: [['col', 'FIELD']] }] }));
    expect(m.lines[0].targetEntity).toBeUndefined();
    expect(m.lines[0].maps).toEqual([{ xmlField: 'col', entityField: 'FIELD' }]);
    expect(m.definitionGroupName).toBe('Test package');
  });

  it('decodes numeric character references in the manifest (.NET writes &#xD;&#xA;)', () => {
    const xml = manifestXml({ entities: [{ entityName: 'Fish & chips', records: [{ A: '1' }] }] }).replace('Test package', 'Line&#xD;&#xA;two &#65;');
    const m = parseManifest(xml);
    expect(m.definitionGroupName).toBe('Line\r\ntwo A');
    expect(m.lines[0].entityName).toBe('Fish & chips');
  });

  it('sort is stable on ties (manifest position breaks them)', () => {
    const base = { sourceFormat: 'XML-Element', inputFilePath: 'x', excelSheetName: '', disable: false, maps: [] };
    const lines = [
      { ...base, entityName: 'b', unit: 1, level: 1, sequence: 1, index: 0 },
      { ...base, entityName: 'a', unit: 1, level: 1, sequence: 1, index: 1 },
    ];
    expect(importOrder(lines).map((l) => l.entityName)).toEqual(['b', 'a']);
  });

  it('skips disabled lines with a warning', async () => {
    const zip = await buildPackage(dir, 'disabled.zip', { entities: [webAppsEntity(), { entityName: 'Off', records: [{ A: '1' }], disable: true }] });
    const pkg = await openPackage(zip);
    expect(pkg.entities.map((e) => e.entityName)).toEqual(['Web applications']);
    expect(pkg.warnings.join('\n')).toMatch(/"Off" is disabled/);
    pkg.close();
  });
});

describe('Excel sheet selection', () => {
  it.each<[string, { name: string }[], string, string, number | 'error', boolean]>([
    ['manifest name with the OLE DB $', [{ name: 'Web_applications' }], 'Web_applications$', 'Web applications', 0, false],
    ['quoted name', [{ name: 'Other' }, { name: 'Web_applications' }], "'Web_applications$'", 'Web applications', 1, false],
    ['empty ExcelSheetName: D365 rule from the label', [{ name: 'x' }, { name: 'Web_service_settings' }], '', 'Web service settings', 1, false],
    ['30-character cut', [{ name: 'Electronic_message_processing_' }, { name: 'z' }], '', 'Electronic message processing additional fields', 0, false],
    ['case-insensitive', [{ name: 'WEB_APPLICATIONS' }], 'web_applications$', 'Web applications', 0, false],
    ['only sheet with another name → warning', [{ name: 'Sheet1' }], 'Web_applications$', 'Web applications', 0, true],
    ['several sheets, none matches → error', [{ name: 'Sheet1' }, { name: 'Sheet2' }], 'Web_applications$', 'Web applications', 'error', false],
    ['no sheet → error', [], '', 'Web applications', 'error', false],
  ])('%s', (_n, sheets, excelSheetName, label, expected, warns) => {
    if (expected === 'error') {
      expect(() => chooseSheet(sheets, excelSheetName, label, 'f.xlsx')).toThrow(PackageError);
      return;
    }
    const chosen = chooseSheet(sheets, excelSheetName, label, 'f.xlsx');
    expect(chosen.index).toBe(expected);
    expect(!!chosen.warning).toBe(warns);
  });

  it('reads the named sheet of a multi-sheet workbook', async () => {
    const entity = webAppsEntity({ format: 'excel', excelSheetName: 'Web_applications$', sheets: ['Web_applications', 'Notes'] });
    const zip = await buildPackage(dir, 'multi.zip', { entities: [entity] });
    const { out } = await readAll(zip);
    expect(out[0].records.map((r) => r.WEBAPPLICATIONNAME)).toEqual(WEB_APPS.map((a) => a.WEBAPPLICATIONNAME));
  });

  it.each<[string, unknown, string]>([
    ['null', null, ''],
    ['number', 200, '200'],
    ['boolean', true, 'Yes'],
    ['date (UTC fields hold the wall clock)', new Date('2024-01-31T00:00:00.000Z'), '2024-01-31'],
    ['date-time', new Date('2024-01-31T10:20:30.000Z'), '2024-01-31 10:20:30'],
    ['rich text', { richText: [{ text: 'a' }, { text: 'b' }] }, 'ab'],
    ['formula', { formula: 'A1', result: 5 }, '5'],
    ['shared formula', { sharedFormula: 'A1', result: 'x' }, 'x'],
    ['hyperlink', { text: 'site', hyperlink: 'https://x' }, 'site'],
    ['error', { error: '#N/A' }, '#N/A'],
    ['OOXML escape', 'a_x000D_\nb', 'a\r\nb'],
  ])('cellToString: %s', (_n, value, expected) => {
    expect(cellToString(value)).toBe(expected);
  });
});

describe('Excel cells end to end', () => {
  /** A one-sheet workbook written by exceljs (shared strings, styles) with the given rows. */
  async function workbook(rows: unknown[][], date1904 = false, numFmt?: string): Promise<Buffer> {
    const { default: ExcelJS } = await import('exceljs');
    const wb = new ExcelJS.Workbook();
    wb.properties.date1904 = date1904;
    const ws = wb.addWorksheet('Web_applications');
    for (const row of rows) ws.addRow(row);
    if (numFmt) ws.getColumn(2).numFmt = numFmt;
    return Buffer.from(await wb.xlsx.writeBuffer());
  }

  it.each([
    ['1900 date system', false],
    ['1904 date system', true],
  ])('reads strings, numbers, booleans, formulas and dates (%s)', async (_n, date1904) => {
    const content = await workbook(
      [
        ['WEBAPPLICATIONNAME', 'DESCRIPTION', 'BASEURL'],
        ['Dates', new Date('2024-01-31T00:00:00.000Z'), 'x'],
        ['Date-time', new Date('2024-01-31T10:20:30.000Z'), 'x'],
        ['Number', 200.5, 'x'],
        ['Boolean', true, 'x'],
        ['Formula', { formula: '1+1', result: 2 }, 'x'],
      ],
      date1904,
    );
    const zip = await buildPackage(dir, `cells-${date1904}.zip`, { entities: [webAppsEntity({ format: 'excel', content })] });
    const { out } = await readAll(zip);
    expect(out[0].records.map((r) => r.DESCRIPTION)).toEqual(['2024-01-31', '2024-01-31 10:20:30', '200.5', 'Yes', '2']);
  });

  it('keeps characters whole across the chunks the sheet is parsed in', async () => {
    // Several hundred KB of two- and three-byte UTF-8 characters, so chunk edges fall inside them.
    // (No astral characters: exceljs's writer, which builds this fixture, garbles some of those.)
    const records = Array.from({ length: 3000 }, (_, i) => ({
      WEBAPPLICATIONNAME: `App ${i} ${'é'.repeat(i % 7)}`,
      DESCRIPTION: `£${i} € ${'ß€中文'.repeat(20 + (i % 5))}`,
      BASEURL: 'https://test-api.service.hmrc.gov.uk',
    }));
    const zip = await buildPackage(dir, 'multibyte.zip', { entities: [webAppsEntity({ format: 'excel', records })] });
    const { out } = await readAll(zip);
    expect(out[0].records).toEqual(records);
  });

  it('finds the sheet through the workbook relationships, whatever its part is called', async () => {
    const { default: yauzl } = await import('yauzl');
    const { default: yazl } = await import('yazl');
    const original = await workbook([['WEBAPPLICATIONNAME', 'DESCRIPTION', 'BASEURL'], ['Renamed part', 'd', 'u']]);
    // Move xl/worksheets/sheet1.xml to xl/worksheets/data.xml and point the relationship at it.
    const zipIn = await yauzl.fromBufferPromise(original, { lazyEntries: true });
    const out = new yazl.ZipFile();
    for await (const entry of zipIn.eachEntry()) {
      if (entry.fileName.endsWith('/')) continue;
      const stream = await zipIn.openReadStreamPromise(entry);
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      let body = Buffer.concat(chunks);
      let name = entry.fileName;
      if (name === 'xl/worksheets/sheet1.xml') name = 'xl/worksheets/data.xml';
      if (name === 'xl/_rels/workbook.xml.rels' || name === '[Content_Types].xml') body = Buffer.from(body.toString('utf8').replace(/sheet1\.xml/g, 'data.xml'));
      out.addBuffer(body, name);
    }
    out.end();
    const parts: Buffer[] = [];
    for await (const c of out.outputStream) parts.push(c as Buffer);
    const zip = await buildPackage(dir, 'renamed-part.zip', { entities: [webAppsEntity({ format: 'excel', content: Buffer.concat(parts) })] });
    const { out: read } = await readAll(zip);
    expect(read[0].records).toEqual([{ WEBAPPLICATIONNAME: 'Renamed part', DESCRIPTION: 'd', BASEURL: 'u' }]);
  });
});

describe('column names that are Object.prototype members', () => {
  it.each<[string, TestEntity['format']]>([
    ['XML', 'xml-element'],
    ['CSV', 'csv-utf8'],
  ])('%s: __proto__, constructor and toString are plain columns', async (_n, format) => {
    // fromEntries makes "__proto__" an own key (in a literal it would set the prototype).
    const records = [Object.fromEntries([['__proto__', 'p'], ['constructor', 'c'], ['toString', 't'], ['NAME', 'n']])];
    const zip = await buildPackage(dir, `proto-${format}.zip`, { entities: [{ entityName: 'Odd columns', records, format }] });
    const pkg = await openPackage(zip);
    try {
      const read = [];
      for await (const r of pkg.readRecords(pkg.entities[0])) read.push(r.values);
      expect(read).toHaveLength(1);
      expect(Object.keys(read[0]).sort()).toEqual(['NAME', '__proto__', 'constructor', 'toString']);
      expect(read[0].__proto__).toBe('p');
      expect(read[0].toString).toBe('t');
      expect(read[0].hasOwnProperty).toBeUndefined(); // nothing inherited from Object.prototype
    } finally {
      pkg.close();
    }
  });
});

describe('XML details', () => {
  it('decodes numeric character references (&#xD;&#xA;) and keeps empty self-closing fields as empty', async () => {
    const content = Buffer.from(
      '\ufeff<?xml version="1.0" encoding="utf-8"?><Document><ERMESSAGEWEBAPPLICATIONENTITY><WEBAPPLICATIONNAME>A&#xD;&#xA;B &amp; C</WEBAPPLICATIONNAME><DESCRIPTION /><BASEURL xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:nil="true" /></ERMESSAGEWEBAPPLICATIONENTITY></Document>',
    );
    const zip = await buildPackage(dir, 'refs.zip', { entities: [webAppsEntity({ content, records: [{ WEBAPPLICATIONNAME: '', DESCRIPTION: '', BASEURL: '' }] })] });
    const { out } = await readAll(zip);
    expect(out[0].records).toEqual([{ WEBAPPLICATIONNAME: 'A\r\nB & C', DESCRIPTION: '', BASEURL: '' }]);
  });

  it.each<[string, string, RegExp]>([
    ['DOCTYPE', '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><Document><A><B>&x;</B></A></Document>', /DOCTYPE/],
    ['external entity', '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document><A><B>&x;</B></A></Document>', /DOCTYPE/],
    ['undefined entity', '<Document><A><B>&x;</B></A></Document>', /not well-formed/],
    ['malformed', '<Document><A><B></A></Document>', /not well-formed/],
  ])('refuses %s with the file name', async (_n, xml, message) => {
    const zip = await buildPackage(dir, `bad-${Math.random()}.zip`, { entities: [webAppsEntity({ content: Buffer.from(xml) })] });
    const pkg = await openPackage(zip);
    const read = async () => {
      for await (const _ of pkg.readRecords(pkg.entities[0])) void _;
    };
    await expect(read()).rejects.toThrow(message);
    await expect(read()).rejects.toThrow(/Web applications\.xml/);
    pkg.close();
  });
});

describe('the real D365 export', () => {
  it('reads PackageTemplate.zip (UTF-16 manifest, one-line UTF-8 data file with self-closing fields)', async () => {
    const { out, header } = await readAll(REAL_D365);
    expect(header).toMatchObject({ description: 'TestImport', packageType: 'DefinitionGroup', packageVersion: '2' });
    expect(out).toEqual([
      {
        entity: 'Customer groups',
        format: 'xml-element',
        records: [
          {
            CLEARINGPERIODPAYMENTTERMNAME: '',
            CUSTOMERACCOUNTNUMBERSEQUENCE: '',
            CUSTOMERGROUPID: '',
            DEFAULTDIMENSIONDISPLAYVALUE: '',
            DESCRIPTION: '',
            ISSALESTAXINCLUDEDINPRICE: '',
            PAYMENTTERMID: '',
            TAXGROUPID: '',
            WRITEOFFREASON: '',
          },
        ],
      },
    ]);
  });
});

describe('workbook limits', () => {
  it('refuses a workbook whose parts inflate past MTDVAT_LIMIT_MAX_WORKBOOK_BYTES (they are held in memory)', async () => {
    const { limitsFromEnv } = await import('../../src/package/limits.js');
    const zip = await buildPackage(dir, 'wb-limit.zip', { entities: [webAppsEntity({ format: 'excel' })] });
    const read = async (maxWorkbookBytes: string) => {
      const pkg = await openPackage(zip, { limits: limitsFromEnv({ MTDVAT_LIMIT_MAX_WORKBOOK_BYTES: maxWorkbookBytes }) });
      try {
        let n = 0;
        for await (const _ of pkg.readRecords(pkg.entities[0])) n++;
        return n;
      } finally {
        pkg.close();
      }
    };
    expect(await read(String(10 * 1024 * 1024))).toBe(2);
    await expect(read('8000')).rejects.toThrow(/Web applications\.xlsx" inflates to \d+ bytes in total; at most 8000/);
  });
});
