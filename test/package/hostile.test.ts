/**
 * Hostile packages through the BUILT CLI: every case must fail with exit 1 and a clear one-line
 * message naming the file (and record/field where there is one), leave the stored setup exactly as it
 * was, write nothing outside the home folder, and stay within bounded memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { constants as zlibConstants, crc32, deflateRawSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import ExcelJS from 'exceljs';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { writePackage, type PackageEntityInput } from '../../src/package/writer.js';
import { loadSchemas } from '../../src/schema/registry.js';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/mtdvat.js');
const GOOD = join(ROOT, 'packages-data/mtd-vat.zip');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const HEAP_MB = 200;
const MAX_RSS_MB = 250;

const WEB_APPS = 'Web applications.xml';
const MiB = 1024 * 1024;

interface ZipItem {
  name: string;
  data: Buffer | (() => Readable);
  compress?: boolean;
}

async function entriesOf(source: string | Buffer): Promise<ZipItem[]> {
  const zip = await (typeof source === 'string' ? yauzl.openPromise(source) : yauzl.fromBufferPromise(source));
  const items: ZipItem[] = [];
  for await (const entry of zip.eachEntry()) {
    if (entry.fileName.endsWith('/')) continue; // directory entries (exceljs writes some) carry no data
    const chunks: Buffer[] = [];
    for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    items.push({ name: entry.fileName, data: Buffer.concat(chunks) });
  }
  zip.close();
  return items;
}

function zipOf(items: ZipItem[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const mtime = new Date(2024, 0, 1);
  for (const item of items) {
    const options = { compress: item.compress ?? true, mtime, forceDosTimestamp: true };
    if (Buffer.isBuffer(item.data)) zip.addBuffer(item.data, item.name, options);
    else zip.addReadStream(item.data(), item.name, options);
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
  });
}

/** Replaces every occurrence of `from` with `to` (same byte length): how names yazl refuses get in. */
function patchBytes(buf: Buffer, from: string, to: string): Buffer {
  const a = Buffer.from(from, 'latin1');
  const b = Buffer.from(to, 'latin1');
  if (a.length !== b.length) throw new Error('patch must keep the length');
  const out = Buffer.from(buf);
  let at = out.indexOf(a);
  if (at < 0) throw new Error(`"${from}" not found`);
  for (; at >= 0; at = out.indexOf(a, at + 1)) b.copy(out, at);
  return out;
}

/** Rewrites the central-directory sizes of one entry (yauzl trusts the central directory). */
function lieAboutSize(buf: Buffer, name: string, uncompressed: number): Buffer {
  const out = Buffer.from(buf);
  for (let at = out.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at >= 0; at = out.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at - 1)) {
    const nameLen = out.readUInt16LE(at + 28);
    if (out.toString('latin1', at + 46, at + 46 + nameLen) === name) {
      out.writeUInt32LE(uncompressed, at + 24);
      return out;
    }
  }
  throw new Error(`no central directory record for ${name}`);
}

/** One entry of a zip written byte by byte: `data` is what the zip holds (already compressed, or not). */
interface RawEntry {
  name: string;
  method: number;
  flags?: number;
  crc: number;
  size: number;
  data: Buffer;
}

/** A zip written by hand (APPNOTE.TXT 4.3): for entries no zip library would write (a bomb, a method, a flag). */
function rawZip(entries: RawEntry[]): Buffer {
  const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1;
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const flags = (e.flags ?? 0) | 0x800; // bit 11: UTF-8 names
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(flags, 8);
    dir.writeUInt16LE(e.method, 10);
    dir.writeUInt16LE(DOS_DATE, 14);
    dir.writeUInt32LE(e.crc >>> 0, 16);
    dir.writeUInt32LE(e.data.length, 20);
    dir.writeUInt32LE(e.size, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    parts.push(local, name, e.data);
    central.push(dir, name);
    offset += local.length + name.length + e.data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}

/** The good package by hand, every entry deflated, with `override` deciding one entry's bytes. */
function rawGood(override: (item: ZipItem & { data: Buffer }) => RawEntry | undefined): Buffer {
  return rawZip(
    good.map((item) => {
      const data = item.data as Buffer;
      return override({ ...item, data }) ?? { name: item.name, method: 8, crc: crc32(data), size: data.length, data: deflateRawSync(data) };
    }),
  );
}

/**
 * A data file of `bytes` inflated bytes of the same records, built by repeating one deflate block:
 * each block ends with a full flush (byte-aligned, no back-references across blocks), so the blocks
 * can follow one another; an empty final block ends the stream. One random byte per record and
 * padding keep the ratio (~230:1) under the 250:1 bomb limit, as a careful attacker would.
 */
function duplicateBomb(item: { name: string }, bytes: number): RawEntry {
  const head = Buffer.from('\uFEFF<?xml version="1.0" encoding="utf-8"?><Document>');
  const records: string[] = [];
  for (let n = 0; n < MiB; ) {
    const r = `<EMMESSAGEITEMTYPEENTITY><DESCRIPTION>Bomb ${randomBytes(1).toString('hex')}</DESCRIPTION><MESSAGEITEMTYPE>VAT return</MESSAGEITEMTYPE></EMMESSAGEITEMTYPEENTITY>${' '.repeat(1500)}`;
    records.push(r);
    n += r.length;
  }
  const chunk = Buffer.from(records.join(''));
  const tail = Buffer.from('</Document>');
  const flush = { finishFlush: zlibConstants.Z_FULL_FLUSH };
  const repeats = Math.floor(bytes / chunk.length);
  const block = deflateRawSync(chunk, flush);
  let crc = crc32(head);
  for (let i = 0; i < repeats; i++) crc = crc32(chunk, crc);
  crc = crc32(tail, crc);
  const data = Buffer.concat([deflateRawSync(head, flush), ...Array<Buffer>(repeats).fill(block), deflateRawSync(tail)]);
  return { name: item.name, method: 8, crc, size: head.length + repeats * chunk.length + tail.length, data };
}

function zeros(bytes: number, prefix = '', suffix = ''): () => Readable {
  return () =>
    Readable.from(
      (function* () {
        yield Buffer.from(prefix);
        const chunk = Buffer.alloc(MiB, 0x20);
        for (let left = bytes; left > 0; left -= MiB) yield left >= MiB ? chunk : chunk.subarray(0, left);
        yield Buffer.from(suffix);
      })(),
    );
}

function utf16le(text: string, bom: boolean): Buffer {
  const body = Buffer.from(text, 'utf16le');
  return bom ? Buffer.concat([Buffer.from([0xff, 0xfe]), body]) : body;
}

interface Case {
  name: string;
  build: () => Promise<Buffer>;
  /** The error line must match this. */
  message: RegExp;
  /** The error line must name this file. */
  names: string;
  env?: Record<string, string>;
}

let work: string;
let home: string;
let good: ZipItem[];
let baseline: string;

const registry = loadSchemas();

function replaced(name: string, data: Buffer | string, extra: Partial<ZipItem> = {}): ZipItem[] {
  return good.map((i) => (i.name === name ? { ...i, ...extra, data: typeof data === 'string' ? Buffer.from(data) : data } : i));
}

function webAppsXml(): string {
  return (good.find((i) => i.name === WEB_APPS)!.data as Buffer).toString('utf8').replace(/^\uFEFF/, '');
}

/** A package of a few entities written by the package writer (record-level lies live in the records). */
async function writtenPackage(entities: PackageEntityInput[]): Promise<Buffer> {
  const out = join(work, `written-${Math.random().toString(36).slice(2)}.zip`);
  await writePackage(out, { definitionGroupName: 'hostile', entities }, { mtime: new Date(2024, 0, 1) });
  return readFileSync(out);
}

/** One CSV entity (UTF-16LE with BOM, as the writer writes it) with the given text as its data file. */
async function csvPackage(text: string): Promise<Buffer> {
  const items = await entriesOf(
    await writtenPackage([{ schema: registry.byId('MessageItemType'), format: 'csv', records: [{ MESSAGEITEMTYPE: 'VAT return', DESCRIPTION: 'ok' }] }]),
  );
  return zipOf(items.map((i) => (i.name.endsWith('.csv') ? { ...i, data: utf16le(text, true) } : i)));
}

const webService = (overrides: Record<string, string>) => ({
  WEBSERVICE: 'Hostile service',
  DESCRIPTION: 'x',
  INTERNETADDRESS: 'https://api.service.hmrc.gov.uk',
  WEBAPPLICATIONNAME: 'Dynamics 365 Finance',
  REQUESTMETHOD: 'GET',
  SUCCESSFULRESPONSECODE: '200',
  ...overrides,
});

const webApp = (overrides: Record<string, string>) => ({
  WEBAPPLICATIONNAME: 'Hostile app',
  DESCRIPTION: 'x',
  BASEURL: 'https://test-api.service.hmrc.gov.uk',
  AUTHORIZATIONURLPATH: '/oauth/authorize',
  TOKENURLPATH: '/oauth/token',
  REDIRECTURL: 'urn:ietf:wg:oauth:2.0:oob',
  ...overrides,
});

async function xlsxWith(sheets: string[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  for (const name of sheets) {
    const ws = wb.addWorksheet(name);
    ws.addRow(['STATUS', 'DESCRIPTION']);
    ws.addRow(['Hostile', 'x']);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const XLSX = 'Message statuses.xlsx';

const CASES: Case[] = [
  // --- the zip itself
  { name: 'not a zip', build: async () => Buffer.from('this is not a zip file at all\n'.repeat(20)), message: /not a (readable|valid) zip/, names: 'case.zip' },
  { name: 'truncated zip', build: async () => readFileSync(GOOD).subarray(0, 9000), message: /not a (readable|valid) zip/, names: 'case.zip' },
  { name: 'empty zip', build: () => zipOf([]), message: /no Manifest\.xml/, names: 'case.zip' },
  { name: 'zip without Manifest.xml', build: () => zipOf(good.filter((i) => i.name !== 'Manifest.xml')), message: /no Manifest\.xml/, names: 'case.zip' },
  {
    name: 'manifest points at a missing file',
    build: () => zipOf(good.filter((i) => i.name !== WEB_APPS)),
    message: /names "Web applications\.xml".*no such file/,
    names: WEB_APPS,
  },
  {
    name: 'zip-slip ../',
    build: async () => patchBytes(await zipOf([...good, { name: 'QQ/evil.xml', data: Buffer.from('x'), compress: false }]), 'QQ/evil.xml', '../evil.xml'),
    message: /(unsafe entry name|invalid relative path).*\.\.\/evil\.xml/,
    names: 'evil.xml',
  },
  {
    name: 'zip-slip absolute path',
    build: async () => patchBytes(await zipOf([...good, { name: 'Qtmp/evil.xml', data: Buffer.from('x'), compress: false }]), 'Qtmp/evil.xml', '/tmp/evil.xml'),
    message: /(unsafe entry name|absolute path).*\/tmp\/evil\.xml/,
    names: 'evil.xml',
  },
  {
    name: 'zip-slip backslashes',
    build: async () => patchBytes(await zipOf([...good, { name: 'QQ/QQ/evil.xml', data: Buffer.from('x'), compress: false }]), 'QQ/QQ/evil.xml', '..\\..\\evil.xml'),
    message: /(unsafe entry name|invalid characters).*evil\.xml/,
    names: 'evil.xml',
  },
  {
    name: 'zip-slip drive letter',
    build: async () => patchBytes(await zipOf([...good, { name: 'QQWindows/evil.xml', data: Buffer.from('x'), compress: false }]), 'QQWindows/evil.xml', 'C:Windows/evil.xml'),
    message: /(unsafe entry name|absolute path).*C:Windows\/evil\.xml/,
    names: 'evil.xml',
  },
  {
    name: 'duplicate names differing only in case',
    build: () => zipOf([...good, { name: 'web applications.xml', data: Buffer.from('<Document/>') }]),
    message: /duplicate entries/i,
    names: 'web applications.xml',
  },
  {
    name: 'too many entries',
    build: () => zipOf([...good, ...Array.from({ length: 1000 }, (_, i) => ({ name: `extra/${i}.txt`, data: Buffer.from('x') }))]),
    message: /1017 entries; at most 1000/,
    names: 'case.zip',
  },
  {
    name: 'an entry over the size limit',
    env: { MTDVAT_LIMIT_MAX_ENTRY_BYTES: String(MiB) },
    build: () => zipOf(replaced(WEB_APPS, webAppsXml().replace('<Document>', `<Document><!--${'a'.repeat(2 * MiB)}-->`), { compress: false })),
    message: /entry "Web applications\.xml" inflates to \d+ bytes; at most 1048576/,
    names: WEB_APPS,
  },
  {
    name: 'total over the size limit',
    env: { MTDVAT_LIMIT_MAX_TOTAL_BYTES: '100000' },
    build: () => zipOf(good),
    message: /inflates to \d+ bytes in total; at most 100000/,
    names: 'case.zip',
  },
  {
    name: 'compression-ratio bomb (128 MiB of spaces)',
    build: () =>
      zipOf([
        ...good.filter((i) => i.name !== WEB_APPS),
        { name: WEB_APPS, data: zeros(128 * MiB, '<?xml version="1.0" encoding="utf-8"?><Document>', '</Document>') },
      ]),
    message: /compression ratio of \d+:1.*zip bomb/,
    names: WEB_APPS,
  },
  {
    name: 'compression-ratio bomb inside the .xlsx',
    build: async () => {
      const inner = await entriesOf(good.find((i) => i.name === XLSX)!.data as Buffer);
      const bombed = await zipOf([...inner, { name: 'xl/media/image1.png', data: zeros(64 * MiB) }]);
      return zipOf(replaced(XLSX, bombed));
    },
    message: /compression ratio of \d+:1.*zip bomb/,
    names: 'image1.png',
  },
  {
    name: 'lying size header (declares fewer bytes than it inflates to)',
    build: async () => lieAboutSize(await zipOf(good), WEB_APPS, 100),
    message: /Web applications\.xml.*(too many bytes|corrupt|cannot be read)/,
    names: WEB_APPS,
  },
  {
    name: 'lying size header (declares more bytes than it has)',
    build: async () => lieAboutSize(await zipOf(good), WEB_APPS, 5000),
    message: /Web applications\.xml.*(not enough bytes|corrupt|cannot be read)/,
    names: WEB_APPS,
  },
  {
    name: 'CRC mismatch (one byte changed in a stored entry)',
    build: async () =>
      patchBytes(await zipOf(replaced(WEB_APPS, webAppsXml(), { compress: false })), 'The HMRC web application for Microsoft', 'The HMRC web applicatioN for Microsoft'),
    message: /"Web applications\.xml" is corrupt \(CRC-32 mismatch\)/,
    names: WEB_APPS,
  },
  {
    name: 'a 4 MB package whose data file inflates to 1 GiB of duplicate records stops at the error cap',
    build: async () => rawGood((item) => (item.name === 'Message item types.xml' ? duplicateBomb(item, 1024 * MiB) : undefined)),
    message: /at least 101 problems: the import stopped reading/,
    names: 'Message item types.xml',
  },
  {
    name: 'an encrypted entry',
    build: async () =>
      // Traditional PKWARE encryption: a 12-byte header before the (here stored) data.
      rawGood((item) =>
        item.name === WEB_APPS
          ? { name: item.name, method: 0, flags: 1, crc: crc32(item.data), size: item.data.length, data: Buffer.concat([randomBytes(12), item.data]) }
          : undefined,
      ),
    message: /case\.zip: entry "Web applications\.xml" is encrypted/,
    names: WEB_APPS,
  },
  {
    name: 'an unsupported compression method (bzip2)',
    build: async () =>
      rawGood((item) => (item.name === WEB_APPS ? { name: item.name, method: 12, crc: crc32(item.data), size: item.data.length, data: item.data } : undefined)),
    message: /case\.zip: entry "Web applications\.xml" uses compression method 12 \(bzip2\); only stored \(0\) and deflate \(8\)/,
    names: WEB_APPS,
  },
  // --- XML
  {
    name: 'XML with a DOCTYPE',
    build: () => zipOf(replaced(WEB_APPS, webAppsXml().replace('<Document>', '<!DOCTYPE Document><Document>'))),
    message: /DOCTYPE/,
    names: WEB_APPS,
  },
  {
    name: 'XML external entity',
    build: () =>
      zipOf(
        replaced(
          WEB_APPS,
          webAppsXml()
            .replace('<Document>', '<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Document>')
            .replace('<DESCRIPTION>The HMRC web application', '<DESCRIPTION>&xxe;The HMRC web application'),
        ),
      ),
    message: /DOCTYPE/,
    names: WEB_APPS,
  },
  {
    name: 'XML entity expansion (billion laughs)',
    build: () => {
      const ents = ['<!ENTITY l0 "lol">'];
      for (let i = 1; i < 10; i++) ents.push(`<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`);
      return zipOf(
        replaced(
          WEB_APPS,
          webAppsXml()
            .replace('<Document>', `<!DOCTYPE Document [${ents.join('')}]><Document>`)
            .replace('<DESCRIPTION>The HMRC web application', '<DESCRIPTION>&l9;The HMRC web application'),
        ),
      );
    },
    message: /DOCTYPE/,
    names: WEB_APPS,
  },
  {
    name: 'DOCTYPE in Manifest.xml',
    build: async () => {
      const manifest = (good.find((i) => i.name === 'Manifest.xml')!.data as Buffer).subarray(2).toString('utf16le');
      return zipOf(replaced('Manifest.xml', utf16le(`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${manifest}`, true)));
    },
    message: /DOCTYPE|DTD/,
    names: 'Manifest.xml',
  },
  {
    name: 'malformed XML',
    build: () => zipOf(replaced(WEB_APPS, webAppsXml().replace('</ACCEPT>', ''))),
    message: /not well-formed|line \d+/,
    names: WEB_APPS,
  },
  {
    name: 'UTF-16 without BOM (data file)',
    build: () => zipOf(replaced(WEB_APPS, utf16le(webAppsXml(), false))),
    message: /UTF-16 without a byte-order mark/,
    names: WEB_APPS,
  },
  {
    name: 'UTF-16 without BOM (Manifest.xml)',
    build: () => zipOf(replaced('Manifest.xml', (good.find((i) => i.name === 'Manifest.xml')!.data as Buffer).subarray(2))),
    message: /UTF-16 without a byte-order mark/,
    names: 'Manifest.xml',
  },
  // --- Excel
  {
    name: '.xlsx without any worksheet',
    build: async () => {
      const inner = await entriesOf(await xlsxWith(['Message_statuses']));
      const book = inner.find((i) => i.name === 'xl/workbook.xml')!;
      const noSheets = (book.data as Buffer).toString('utf8').replace(/<sheets>.*<\/sheets>/s, '<sheets/>');
      return zipOf(replaced(XLSX, await zipOf(inner.map((i) => (i === book ? { ...i, data: Buffer.from(noSheets) } : i)))));
    },
    message: /has no worksheet/,
    names: XLSX,
  },
  {
    name: '.xlsx whose sheets all have the wrong name',
    build: async () => zipOf(replaced(XLSX, await xlsxWith(['Sheet1', 'Statuses', 'Notes']))),
    message: /has no sheet named "Message_statuses"/,
    names: XLSX,
  },
  // --- records
  {
    name: 'CSV with an unterminated quote',
    build: () => csvPackage('DESCRIPTION,MESSAGEITEMTYPE\r\n"unterminated,VAT return\r\n'),
    message: /not valid CSV.*Quote Not Closed/,
    names: 'Message item types.csv',
  },
  {
    name: 'CSV with a stray quote inside a quoted field',
    build: () => csvPackage('DESCRIPTION,MESSAGEITEMTYPE\r\nok,"x"y\r\nok,VAT return\r\n'),
    message: /not valid CSV/,
    names: 'Message item types.csv',
  },
  {
    name: 'field longer than the schema allows',
    build: () =>
      writtenPackage([{ schema: registry.byId('WebService'), format: 'xml-element', records: [webService({ WEBSERVICE: 'W'.repeat(61) })] }]),
    message: /WEBSERVICE is 61 characters long.*record 1.*field WEBSERVICE/,
    names: 'Web service settings.xml',
  },
  {
    name: 'duplicate natural keys',
    build: () =>
      writtenPackage([
        {
          schema: registry.byId('MessageItemType'),
          format: 'xml-element',
          records: [
            { MESSAGEITEMTYPE: 'Hostile type', DESCRIPTION: 'first' },
            { MESSAGEITEMTYPE: 'Hostile type', DESCRIPTION: 'second' },
          ],
        },
      ]),
    message: /duplicate key.*Hostile type.*record 2/,
    names: 'Message item types.xml',
  },
  {
    name: 'natural keys that differ only in case and trailing spaces',
    build: () =>
      writtenPackage([
        {
          schema: registry.byId('MessageItemType'),
          format: 'xml-element',
          records: [
            { MESSAGEITEMTYPE: 'Hostile type', DESCRIPTION: 'first' },
            { MESSAGEITEMTYPE: 'HOSTILE type  ', DESCRIPTION: 'look-alike' },
          ],
        },
      ]),
    message: /duplicate key.*"Hostile type", the same key as "HOSTILE type  " to D365.*record 2/,
    names: 'Message item types.xml',
  },
  {
    name: 'natural keys that differ only in Unicode normal form (NFC / NFD)',
    build: () =>
      writtenPackage([
        {
          schema: registry.byId('MessageItemType'),
          format: 'xml-element',
          records: [
            { MESSAGEITEMTYPE: 'Caf\u00e9', DESCRIPTION: 'NFC' },
            { MESSAGEITEMTYPE: 'Cafe\u0301', DESCRIPTION: 'NFD' },
          ],
        },
      ]),
    message: /duplicate key.*the same key as .* to D365.*record 2/,
    names: 'Message item types.xml',
  },
  {
    name: 'reference to a web application that does not exist',
    build: () =>
      writtenPackage([{ schema: registry.byId('WebService'), format: 'xml-element', records: [webService({ WEBAPPLICATIONNAME: 'No such application' })] }]),
    message: /No such application.*does not exist.*key "Hostile service", field WEBAPPLICATIONNAME/,
    names: 'Web service settings.xml',
  },
  // --- credentials that would leave the application's origin (issue 10)
  {
    name: 'token path that is an absolute URL on another host',
    build: () => writtenPackage([{ schema: registry.byId('WebApplication'), format: 'xml-element', records: [webApp({ TOKENURLPATH: 'http://other.host/steal' })] }]),
    message: /TOKENURLPATH "http:\/\/other\.host\/steal" is an absolute URL.*record 1.*key "Hostile app", field TOKENURLPATH/,
    names: 'Web applications.xml',
  },
  {
    name: 'authorization path that is scheme-relative (//host)',
    build: () => writtenPackage([{ schema: registry.byId('WebApplication'), format: 'xml-element', records: [webApp({ AUTHORIZATIONURLPATH: '//other.host/x' })] }]),
    message: /AUTHORIZATIONURLPATH "\/\/other\.host\/x" starts with "\/\/".*record 1.*field AUTHORIZATIONURLPATH/,
    names: 'Web applications.xml',
  },
  {
    name: 'web service whose address is not on its web application\'s origin',
    build: () =>
      writtenPackage([{ schema: registry.byId('WebService'), format: 'xml-element', records: [webService({ INTERNETADDRESS: 'https://other.host' })] }]),
    message: /INTERNETADDRESS "https:\/\/other\.host" is not on the origin of its web application \(https:\/\/api\.service\.hmrc\.gov\.uk\).*record 1.*key "Hostile service", field INTERNETADDRESS/,
    names: 'Web service settings.xml',
  },
  {
    name: 'base URL moved to another origin while the application holds credentials',
    build: () =>
      writtenPackage([
        {
          schema: registry.byId('WebApplication'),
          format: 'xml-element',
          records: [webApp({ WEBAPPLICATIONNAME: 'Dynamics 365 Finance', BASEURL: 'https://test-api.service.hmrc.gov.uk' })],
        },
      ]),
    message: /BASEURL moves web application "Dynamics 365 Finance" from https:\/\/api\.service\.hmrc\.gov\.uk to https:\/\/test-api\.service\.hmrc\.gov\.uk, but it holds credentials.*--replace-credentials.*field BASEURL/,
    names: 'Web applications.xml',
  },
  {
    name: 'unknown enum value',
    build: () => writtenPackage([{ schema: registry.byId('WebService'), format: 'xml-element', records: [webService({ REQUESTMETHOD: 'FETCH' })] }]),
    message: /REQUESTMETHOD "FETCH" is not one of.*record 1.*field REQUESTMETHOD/,
    names: 'Web service settings.xml',
  },
];

/** Every table but the import and audit journals, rows in a stable order, blobs as hex. */
function dumpSetup(): string {
  const db = new Database(join(home, 'mtdvat.db'), { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[])
      .map((t) => t.name)
      .filter((t) => t !== 'import_jobs' && t !== 'audit_log' && !t.startsWith('sqlite_'));
    const out: Record<string, unknown[]> = {};
    for (const t of tables) {
      out[t] = (db.prepare(`SELECT * FROM "${t}"`).all() as Record<string, unknown>[])
        .map((r) => JSON.stringify(r, (_k, v: unknown) => (v && typeof v === 'object' && 'type' in v && (v as { type: string }).type === 'Buffer' ? Buffer.from((v as unknown as { data: number[] }).data).toString('hex') : v)))
        .sort();
    }
    return JSON.stringify(out);
  } finally {
    db.close();
  }
}

async function runImport(file: string, env: Record<string, string> = {}) {
  const childTmp = mkdtempSync(join(work, 'child-tmp-'));
  const cwd = mkdtempSync(join(work, 'child-cwd-'));
  const stats = join(work, `time-${Date.now()}-${Math.random().toString(36).slice(2)}.txt`);
  // Watched, not only listed at the end: a library could write a temp file and delete it again.
  const written: string[] = [];
  const watchers = [watch(childTmp, (_e, name) => written.push(`TMPDIR/${name}`)), watch(cwd, (_e, name) => written.push(`cwd/${name}`))];
  const nodeArgs = [`--max-old-space-size=${HEAP_MB}`, BIN, 'import-package', file, '--home', home];
  const [cmd, args] = TIME ? [TIME, ['-v', '-o', stats, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const r = await new Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { PATH: process.env.PATH, CI: 'true', NO_COLOR: '1', TMPDIR: childTmp, TMP: childTmp, TEMP: childTmp, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
  await new Promise((resolve) => setTimeout(resolve, 50)); // let the last file events arrive
  for (const w of watchers) w.close();
  let maxRssMb: number | undefined;
  if (TIME && existsSync(stats)) {
    const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(stats, 'utf8'))?.[1];
    if (kb) maxRssMb = Number(kb) / 1024;
  }
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, written, maxRssMb };
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/bundle/mtdvat.mjs'))) throw new Error('build first: npm run build');
  if (!TIME) console.warn('hostile corpus: /usr/bin/time not found; peak RSS is bounded by --max-old-space-size only');
  work = mkdtempSync(join(tmpdir(), 'mtdvat-hostile-'));
  home = join(work, 'home');
  mkdirSync(home);
  good = await entriesOf(GOOD);
  const first = await runImport(GOOD);
  expect(first.code, first.stderr).toBe(0);
  // The shipped package carries no credentials: enter some, as a user does, so cases can try to move them.
  const set = spawnSync(process.execPath, [BIN, 'web-apps', 'set-credentials', 'Dynamics 365 Finance', '--client-id-stdin', '--secret-stdin', '--home', home], {
    input: 'hostile-corpus-client-id\nhostile-corpus-client-secret',
    env: { PATH: process.env.PATH, CI: 'true', NO_COLOR: '1' },
    encoding: 'utf8',
  });
  expect(set.status, set.stderr).toBe(0);
  baseline = dumpSetup();
  expect(JSON.parse(baseline).records.length).toBeGreaterThan(100);
}, 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('hostile packages (built CLI, after a good import)', () => {
  const check = async (c: Case) => {
    // Cases run concurrently: each failing import leaves the store as it was, so they cannot disturb one another.
    const file = join(mkdtempSync(join(work, 'case-')), 'case.zip');
    writeFileSync(file, await c.build());
    const r = await runImport(file, c.env);
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.signal, output).toBeNull();
    expect(r.code, output).toBe(1);
    expect(output).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    const line = lines.find((l) => c.message.test(l));
    expect(line, `no stderr line matches ${c.message}:\n${r.stderr}`).toBeDefined();
    expect(line).toContain(c.names);
    if (process.env.HOSTILE_LOG) console.log(`${c.name}: ${line}`);
    expect(dumpSetup()).toBe(baseline);
    expect(r.written).toEqual([]);
    if (r.maxRssMb !== undefined) expect(r.maxRssMb).toBeLessThan(MAX_RSS_MB);
  };
  for (const c of CASES) {
    it.concurrent(c.name, () => check(c), 60_000);
  }

  it('the store still imports the good package afterwards', async () => {
    const r = await runImport(GOOD);
    expect(r.code, r.stderr).toBe(0);
    // A re-import only stamps last_job on unchanged records; everything else is as it was.
    const strip = (dump: string) => dump.replace(/\\"last_job\\":\d+/g, '');
    expect(strip(dumpSetup())).toBe(strip(baseline));
  }, 60_000);
});
