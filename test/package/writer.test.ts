import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { XMLParser } from 'fast-xml-parser';
import { EntityDecoder } from '@nodable/entities';
import ExcelJS from 'exceljs';
import { loadSchemas } from '../../src/schema/registry.js';
import type { EntitySchema } from '../../src/schema/types.js';
import {
  csvField,
  entityXlsx,
  entityXml,
  fileNameFor,
  manifestXml,
  packageHeaderXml,
  sheetNameFor,
  writePackage,
} from '../../src/package/writer.js';
import { PackageError, ValidationError } from '../../src/errors.js';
import { utf16leWithBom, utf8WithBom } from '../../src/package/writer-xml.js';
import { REAL_D365 } from '../helpers/cli.js';


const dir = mkdtempSync(join(tmpdir(), 'mtdvat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const schemas = loadSchemas();
const webApp = schemas.byId('WebApplication');
const status = schemas.byId('MessageStatus');
const itemType = schemas.byId('MessageItemType');

export async function unzip(file: string): Promise<Map<string, Buffer>> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true });
  const entries = new Map<string, Buffer>();
  try {
    for await (const entry of zip.eachEntry()) {
      const chunks: Buffer[] = [];
      for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
      entries.set(entry.fileName, Buffer.concat(chunks));
    }
  } finally {
    zip.close();
  }
  return entries;
}

function parseXml(text: string, arrays: string[] = []) {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    ignoreDeclaration: true,
    removeNSPrefix: true,
    isArray: (name) => arrays.includes(name),
    entityDecoder: new EntityDecoder({ numericAllowed: true }),
  }).parse(text);
}

/** Element names of the direct children of the first `<name>` element, in document order. */
function childNames(xml: string, name: string): string[] {
  const start = xml.indexOf(`<${name}`);
  const open = xml.indexOf('>', start) + 1;
  const names: string[] = [];
  let depth = 0;
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)[^>]*?(\/?)>/g;
  tag.lastIndex = open;
  for (let m = tag.exec(xml); m; m = tag.exec(xml)) {
    const [, closing, tagName, selfClosing] = m;
    if (closing) {
      if (depth === 0) break;
      depth--;
      continue;
    }
    if (depth === 0) names.push(tagName);
    if (!selfClosing) depth++;
  }
  return names;
}

const sorted = (names: string[]) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

const tricky = 'A & B <tag> "quoted" it\'s\r\nline two\ttab';

async function buildSample(format: 'xml-element' | 'xml-attribute' | 'excel' | 'csv') {
  const file = join(dir, `sample-${format}.zip`);
  await writePackage(
    file,
    {
      definitionGroupName: 'Sample group',
      description: 'Sample & description',
      entities: [
        { schema: webApp, format, records: [{ WEBAPPLICATIONNAME: 'Sandbox HMRC', DESCRIPTION: tricky, BASEURL: 'https://x.test' }] },
        {
          schema: status,
          format,
          records: [
            { MESSAGESTATUS: 'New, "first"', DESCRIPTION: 'one', ALLOWDELETE: 'Yes', RESPONSETYPE: 'Successfull' },
            { MESSAGESTATUS: 'Second', DESCRIPTION: '', ALLOWDELETE: 'No', RESPONSETYPE: 'TechnicalError' },
          ],
        },
        { schema: itemType, format, records: [{ MESSAGEITEMTYPE: 'VAT return', DESCRIPTION: 'VAT return' }] },
      ],
    },
    { mtime: new Date(2024, 0, 1) },
  );
  return { file, entries: await unzip(file) };
}

describe('names', () => {
  it.each([
    ['Currencies', 'Currencies'],
    ['Country/regions', 'Country_regions'],
    ['Fixed asset major type', 'Fixed_asset_major_type'],
    ['Address and contact information purpose', 'Address_and_contact_informatio'],
    ['Organization hierarchy V2 - published', 'Organization_hierarchy_V2___pu'],
    ['Electronic message processing additional fields', 'Electronic_message_processing_'],
  ])('sheet name of %s is %s', (label, sheet) => {
    expect(sheetNameFor(label)).toBe(sheet);
    expect(sheetNameFor(label).length).toBeLessThanOrEqual(30);
  });

  it.each([
    ['Customer groups', 'xml-element', 'Customer groups.xml'],
    ['Country/regions', 'excel', 'Countryregions.xlsx'],
    ['A: B?', 'csv', 'A B.csv'],
    ['Web applications', 'xml-attribute', 'Web applications.xml'],
  ] as const)('file name of %s (%s) is %s', (label, format, name) => {
    expect(fileNameFor(label, format)).toBe(name);
  });
});

describe('manifest and header', () => {
  const lines = [
    { entityName: 'Web applications', targetEntity: webApp.targetEntity, fields: ['ZED', 'ACCEPT'], format: 'excel' as const, fileName: 'Web applications.xlsx', order: { unit: 1, level: 10, sequence: 50 } },
    { entityName: 'Message statuses', targetEntity: status.targetEntity, fields: ['B', 'A'], format: 'xml-element' as const, fileName: 'Message statuses.xml', order: { unit: 1, level: 20, sequence: 10 } },
  ];
  const xml = manifestXml({ definitionGroupName: 'G', lines });

  it('has the namespaces, one line, no declaration', () => {
    expect(xml.startsWith('<DataManagementPackageManifest xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/dynamics/2015/01/DataManagement">')).toBe(true);
    expect(xml).not.toContain('<?xml');
    expect(xml).not.toContain('\n');
    expect(xml).toContain('<Description />');
    expect(xml).toContain('<RulesData i:nil="true" />');
    expect(xml).toContain('<EntityTransformList i:nil="true" />');
  });

  it('orders every level alphabetically', () => {
    const root = childNames(xml, 'DataManagementPackageManifest');
    expect(root).toEqual(['DefinitionGroupName', 'Description', 'PackageEntityList', 'ProjectCategory', 'RulesData']);
    const entity = childNames(xml, 'DataManagementPackageEntityData');
    expect(entity).toEqual(sorted(entity));
    expect(entity).toEqual([
      'Disable', 'EntityMapList', 'EntityName', 'EntityTransformList', 'ExcelSheetName', 'ExecutionUnit',
      'FailExecutionUnitOnError', 'FailLevelOnError', 'InputFilePath', 'LevelInExecutionUnit', 'QueryFilter',
      'RunBusinessLogic', 'RunBusinessValidation', 'SampleFilePath', 'SequenceInLevel', 'SourceFormat',
      'TargetEntity', 'ValidationStatus',
    ]);
    const map = childNames(xml, 'EntityMap');
    expect(map).toEqual(sorted(map));
  });

  it('lists entities alphabetically with their order, format and sheet', () => {
    const parsed = parseXml(xml, ['DataManagementPackageEntityData', 'EntityMap']).DataManagementPackageManifest;
    const list = parsed.PackageEntityList.DataManagementPackageEntityData;
    expect(list.map((e: { EntityName: string }) => e.EntityName)).toEqual(['Message statuses', 'Web applications']);
    expect(list[0]).toMatchObject({ SourceFormat: 'XML-Element', ExcelSheetName: '', LevelInExecutionUnit: '20', SequenceInLevel: '10', ExecutionUnit: '1', InputFilePath: 'Message statuses.xml', TargetEntity: 'EMMessageStatusEntity' });
    expect(list[1]).toMatchObject({ SourceFormat: 'EXCEL', ExcelSheetName: 'Web_applications$', SequenceInLevel: '50' });
    expect(list[0].EntityMapList.EntityMap.map((m: { XMLField: string; EntityField: string }) => [m.EntityField, m.XMLField])).toEqual([
      ['A', 'A'],
      ['B', 'B'],
    ]);
  });

  it('header names the definition group', () => {
    const header = packageHeaderXml('UK MTD VAT setup');
    expect(header).toBe(
      '<DataManagementPackageHeader xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/dynamics/2015/01/DataManagement"><Description>UK MTD VAT setup</Description><ManifestType>Microsoft.Dynamics.AX.Framework.Tools.DataManagement.Serialization.DataManagementPackageManifest</ManifestType><PackageType>DefinitionGroup</PackageType><PackageVersion>2</PackageVersion></DataManagementPackageHeader>',
    );
  });

  it('reproduces the real D365 export (PackageTemplate.zip) byte for byte, export-only members aside', async () => {
    const real = await unzip(REAL_D365);
    expect(utf16leWithBom(packageHeaderXml('TestImport')).equals(real.get('PackageHeader.xml')!)).toBe(true);
    const fields = ['CLEARINGPERIODPAYMENTTERMNAME', 'CUSTOMERACCOUNTNUMBERSEQUENCE', 'CUSTOMERGROUPID', 'DEFAULTDIMENSIONDISPLAYVALUE', 'DESCRIPTION', 'ISSALESTAXINCLUDEDINPRICE', 'PAYMENTTERMID', 'TAXGROUPID', 'WRITEOFFREASON'];
    const ours = manifestXml({
      definitionGroupName: 'TestImport',
      lines: [{ entityName: 'Customer groups', targetEntity: 'CustCustomerGroupEntity', fields, format: 'xml-element', fileName: 'Customer groups.xml', order: { unit: 1, level: 1, sequence: 1 } }],
    });
    // QueryData (packed export query) and SampleFilePath (blob id) only mean something inside the exporting environment.
    const theirs = real
      .get('Manifest.xml')!
      .subarray(2)
      .toString('utf16le')
      .replace(/<QueryData>[^<]*<\/QueryData>/, '')
      .replace(/<SampleFilePath>[^<]*<\/SampleFilePath>/, '<SampleFilePath />');
    expect(ours).toBe(theirs);
    const schema = { ...itemType, label: 'Customer groups', recordElement: 'CUSTCUSTOMERGROUPENTITY', fields: fields.map((name) => ({ name, type: 'string' as const })) };
    expect(utf8WithBom(entityXml(schema, [{}])).equals(real.get('Customer groups.xml')!)).toBe(true);
  });
});

describe('entity XML', () => {
  it('escapes &<>" and line ends, self-closes empty fields', () => {
    const xml = entityXml(itemType, [{ MESSAGEITEMTYPE: tricky, DESCRIPTION: '' }]);
    expect(xml.startsWith('<?xml version="1.0" encoding="utf-8"?><Document><EMMESSAGEITEMTYPEENTITY>')).toBe(true);
    expect(xml).toContain('<DESCRIPTION />');
    expect(xml).toContain('A &amp; B &lt;tag&gt; "quoted" it\'s&#xD;&#xA;line two\ttab');
    expect(parseXml(xml).Document.EMMESSAGEITEMTYPEENTITY.MESSAGEITEMTYPE).toBe(tricky);
  });

  it('escapes attribute values', () => {
    const xml = entityXml(itemType, [{ MESSAGEITEMTYPE: tricky }], 'attribute');
    expect(xml).toContain('MESSAGEITEMTYPE="A &amp; B &lt;tag&gt; &quot;quoted&quot; it\'s&#xD;&#xA;line two&#x9;tab"');
    expect(parseXml(xml).Document.EMMESSAGEITEMTYPEENTITY['@MESSAGEITEMTYPE']).toBe(tricky);
  });

  it.each(['\u0000', '\u0001', '\u000b', '\uFFFE', '\uD800'])('rejects the illegal XML character %j without echoing the value', (c) => {
    const secretish = `s3cret${c}`;
    try {
      entityXml(itemType, [{ MESSAGEITEMTYPE: secretish }]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PackageError);
      expect((error as Error).message).not.toContain('s3cret');
      expect((error as PackageError).location).toMatchObject({ field: 'MESSAGEITEMTYPE', record: 1 });
    }
  });

  it('rejects fields the schema does not know', () => {
    expect(() => entityXml(itemType, [{ NOPE: 'x' }])).toThrow(/not a field/);
  });
});

describe('csv', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\r\nlines', '"two\r\nlines"'],
    ['', ''],
  ])('%j → %j', (value, out) => expect(csvField(value)).toBe(out));
});

describe('writePackage', () => {
  it.each(['xml-element', 'xml-attribute'] as const)('writes %s packages D365 can read', async (format) => {
    const { entries } = await buildSample(format);
    expect([...entries.keys()].sort()).toEqual(['Manifest.xml', 'Message item types.xml', 'Message statuses.xml', 'PackageHeader.xml', 'Web applications.xml']);
    const manifest = entries.get('Manifest.xml')!;
    expect([...manifest.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    const manifestText = manifest.subarray(2).toString('utf16le');
    expect(manifestText).not.toContain('<?xml');
    expect(manifestText.startsWith('<DataManagementPackageManifest')).toBe(true);
    const header = entries.get('PackageHeader.xml')!;
    expect([...header.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    expect(header.subarray(2).toString('utf16le')).toBe(packageHeaderXml('Sample group'));

    const parsed = parseXml(manifestText, ['DataManagementPackageEntityData']).DataManagementPackageManifest;
    expect(parsed.Description).toBe('Sample & description');
    const list = parsed.PackageEntityList.DataManagementPackageEntityData;
    expect(list.map((e: { EntityName: string }) => e.EntityName)).toEqual(['Message item types', 'Message statuses', 'Web applications']);
    expect(list.every((e: { SourceFormat: string }) => e.SourceFormat === (format === 'xml-element' ? 'XML-Element' : 'XML-Attribute'))).toBe(true);

    const data = entries.get('Web applications.xml')!;
    expect([...data.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const doc = parseXml(data.subarray(3).toString('utf8'), ['ERMESSAGEWEBAPPLICATIONENTITY']).Document;
    const record = doc.ERMESSAGEWEBAPPLICATIONENTITY[0];
    const get = (f: string) => (format === 'xml-element' ? record[f] : record[`@${f}`]);
    expect(get('DESCRIPTION')).toBe(tricky);
    expect(get('CLIENTSECRET')).toBe('');
    expect(get('WEBAPPLICATIONNAME')).toBe('Sandbox HMRC');
    // one child/attribute per schema field
    const count = format === 'xml-element' ? Object.keys(record).length : Object.keys(record).filter((k) => k.startsWith('@')).length;
    expect(count).toBe(webApp.fields.length);
  });

  it('writes Excel with D365 sheet names, upper-case header row and string cells', async () => {
    const { entries } = await buildSample('excel');
    const manifestText = entries.get('Manifest.xml')!.subarray(2).toString('utf16le');
    expect(manifestText).toContain('<ExcelSheetName>Message_statuses$</ExcelSheetName>');
    expect(manifestText).toContain('<InputFilePath>Message statuses.xlsx</InputFilePath>');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(entries.get('Message statuses.xlsx')! as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['Message_statuses']);
    const sheet = workbook.worksheets[0];
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    expect(header).toEqual(['ALLOWDELETE', 'DESCRIPTION', 'MESSAGEITEMSTATUS', 'MESSAGESTATUS', 'RESPONSETYPE']);
    expect((sheet.getRow(2).values as unknown[]).slice(1)).toEqual(['Yes', 'one', undefined, 'New, "first"', 'Successfull']);
    expect(sheet.getRow(3).getCell(2).value).toBe(null); // empty values are omitted cells
    sheet.eachRow((row) => row.eachCell((cell) => expect(typeof cell.value).toBe('string')));
    const web = new ExcelJS.Workbook();
    await web.xlsx.load(entries.get('Web applications.xlsx')! as unknown as ArrayBuffer);
    const webHeader = (web.worksheets[0].getRow(1).values as unknown[]).slice(1);
    expect(web.worksheets[0].getRow(2).getCell(webHeader.indexOf('DESCRIPTION') + 1).value).toBe(tricky); // CR/LF intact
  });

  it('refuses, naming record and field, a value exceljs cannot write intact (characters beyond the BMP)', async () => {
    const schema = loadSchemas().byId('MessageStatus');
    const records = [{ MESSAGESTATUS: 'Ready', DESCRIPTION: 'fine £ € ß' }, { MESSAGESTATUS: 'Sent', DESCRIPTION: 'sent 🚀' }];
    const error = await entityXlsx(schema, records, new Date(2024, 0, 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/"Sent": DESCRIPTION holds a character outside the Basic Multilingual Plane/);
    expect((error as ValidationError).location).toMatchObject({ field: 'DESCRIPTION', key: 'Sent' });
    await expect(entityXlsx(schema, records.slice(0, 1), new Date(2024, 0, 1))).resolves.toBeInstanceOf(Buffer);
  });

  it('writes CSV-Unicode: UTF-16LE BOM, CRLF, RFC 4180 quoting, header row', async () => {
    const { entries } = await buildSample('csv');
    const csv = entries.get('Message statuses.csv')!;
    expect([...csv.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    const text = csv.subarray(2).toString('utf16le');
    expect(text).toBe(
      'ALLOWDELETE,DESCRIPTION,MESSAGEITEMSTATUS,MESSAGESTATUS,RESPONSETYPE\r\n' +
        'Yes,one,,"New, ""first""",Successfull\r\n' +
        'No,,,Second,TechnicalError\r\n',
    );
    expect(entries.get('Manifest.xml')!.subarray(2).toString('utf16le')).toContain('<SourceFormat>CSV-Unicode</SourceFormat>');
  });

  it('is reproducible with a fixed mtime, Excel included', async () => {
    const first = readFileSync((await buildSample('excel')).file);
    const second = readFileSync((await buildSample('excel')).file);
    expect(first.equals(second)).toBe(true);
  });

  it('refuses duplicate entities and leaves no partial file on error', async () => {
    const file = join(dir, 'bad.zip');
    await expect(
      writePackage(file, { definitionGroupName: 'G', entities: [{ schema: itemType, format: 'csv', records: [] }, { schema: itemType, format: 'excel', records: [] }] }),
    ).rejects.toThrow(/listed twice/);
    await expect(
      writePackage(file, { definitionGroupName: 'G', entities: [{ schema: itemType as EntitySchema, format: 'xml-element', records: [{ MESSAGEITEMTYPE: '\u0000' }] }] }),
    ).rejects.toBeInstanceOf(PackageError);
    expect(() => readFileSync(file)).toThrow();
  });
});
