/**
 * `npm run bench`: generates packages of 10k, 100k and 1M records (XML-Element; Excel at 10k and
 * 100k), then measures in the same run the whole `import-package` through the built CLI and its
 * floor (unzip + parse alone, and plain SQLite inserts of the same rows), the predefined package end
 * to end, and CLI start-up against `node -e 0`. Prints a table and writes BENCHMARKS.md.
 *
 * Also: `mtdvat ui` from spawn to listening (its `{"url"}` line), and its Electronic messages page with
 * 10,000 messages.
 *
 * Options: `--sizes 10000,100000` (XML sizes), `--excel-sizes 10000`, `--no-write` (do not touch BENCHMARKS.md),
 * `--ui-only` (only the `mtdvat ui` figures, printed; BENCHMARKS.md untouched), `--em-only` (only the
 * Electronic messages figures; replaces just that section of BENCHMARKS.md), `--em-lines N`, `--em-messages N`.
 *
 * Also: Electronic messages — collect data from a CSV of 100,000 VAT lines and generate, and `em list`
 * over 10,000 messages (bench/em.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openPackage } from '../src/package/reader.js';
import { writePackage, type PackageFormat } from '../src/package/writer.js';
import { loadSchemas } from '../src/schema/registry.js';
import { benchEm, type EmBenchResult } from './em.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(ROOT, 'bin/mtdvat.js');
const PREDEFINED = join(ROOT, 'packages-data/mtd-vat.zip');
const PREDEFINED_LOCAL = join(ROOT, 'packages-data/mtd-vat-local.zip');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const ENTITY = 'AdditionalField';

const TARGETS = {
  xmlRecordsPerSecond: 100_000,
  xmlFloorRatio: 1.5,
  excelRowsPerSecond: 30_000,
  rssMbAt1M: 300,
  predefinedMs: 1000,
  startupRatio: 1.5,
  uiListenMs: 1000,
  emPageMs: 200,
  emCollectGenerateMs: 3000,
  emListMs: 300,
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const sizesOf = (text: string | undefined, fallback: number[]) => (text !== undefined ? text.split(',').map(Number).filter((n) => n > 0) : fallback);
const XML_SIZES = sizesOf(arg('--sizes'), [10_000, 100_000, 1_000_000]);
const EXCEL_SIZES = sizesOf(arg('--excel-sizes'), [10_000, 100_000]);
const WRITE = !process.argv.includes('--no-write');
/** Other work on the machine skews every figure: recorded with the results. */
const LOAD_AT_START = loadavg()[0];

/** The i-th benchmark record: 5 fields of AdditionalField (strings and Yes/No enums). */
function record(i: number): Record<string, string> {
  return {
    FIELDNAME: `Field ${String(i).padStart(7, '0')}`,
    DESCRIPTION: `Additional field number ${i} for the benchmark`,
    USEREDIT: i % 2 ? 'Yes' : 'No',
    COUNTER: i % 3 ? 'No' : 'Yes',
    HIDDEN: 'No',
  };
}

interface ChildRun {
  ms: number;
  code: number | null;
  rssMb?: number;
  /** User + system CPU time from /usr/bin/time: other work on the machine does not inflate it. */
  cpuMs?: number;
  stderr: string;
  stdout?: string;
}

function runChild(args: string[], options: { env?: NodeJS.ProcessEnv; measureRss?: boolean; nodeArgs?: string[]; stdout?: boolean } = {}): Promise<ChildRun> {
  const stats = join(tmpdir(), `mtdvat-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const nodeArgs = [...(options.nodeArgs ?? []), ...args];
  const [cmd, argv] = options.measureRss && TIME ? [TIME, ['-v', '-o', stats, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(cmd, argv, { env: { ...process.env, CI: 'true', NO_COLOR: '1', ...options.env }, stdio: ['ignore', options.stdout ? 'pipe' : 'ignore', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      let rssMb: number | undefined;
      let cpuMs: number | undefined;
      if (existsSync(stats)) {
        const text = readFileSync(stats, 'utf8');
        const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(text)?.[1];
        rssMb = kb ? Number(kb) / 1024 : undefined;
        const user = /User time \(seconds\): ([\d.]+)/.exec(text)?.[1];
        const sys = /System time \(seconds\): ([\d.]+)/.exec(text)?.[1];
        if (user !== undefined && sys !== undefined) cpuMs = (Number(user) + Number(sys)) * 1000;
        rmSync(stats, { force: true });
      }
      resolvePromise({ ms, code, rssMb, cpuMs, stderr, ...(options.stdout ? { stdout } : {}) });
    });
  });
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function importCli(zip: string, work: string, extra: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<ChildRun> {
  const home = mkdtempSync(join(work, 'home-'));
  const run = await runChild([BIN, 'import-package', zip, '--home', home], { measureRss: true, ...extra });
  rmSync(home, { recursive: true, force: true });
  if (run.code !== 0) throw new Error(`import of ${zip} failed (exit ${run.code}): ${run.stderr.trim()}`);
  return run;
}

/** Unzip + parse alone: the reader's records, counted. */
async function parseFloor(zip: string): Promise<{ ms: number; count: number }> {
  const started = performance.now();
  const pkg = await openPackage(zip);
  let count = 0;
  try {
    for (const entity of pkg.entities) for await (const _ of pkg.readRecords(entity)) count++;
  } finally {
    pkg.close();
  }
  return { ms: performance.now() - started, count };
}

/** Plain prepared inserts of the same rows, one transaction, into a table shaped like `records`. */
function insertFloor(n: number, work: string): number {
  const path = join(work, `floor-${n}.db`);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE records (company TEXT NOT NULL, entity TEXT NOT NULL, natural_key TEXT NOT NULL, data TEXT NOT NULL,
    last_job INTEGER, updated_at TEXT NOT NULL, PRIMARY KEY (company, entity, natural_key)) STRICT, WITHOUT ROWID`);
  const rows: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    const r = record(i);
    rows.push([JSON.stringify([r.FIELDNAME]), JSON.stringify(r)]);
  }
  const insert = db.prepare('INSERT INTO records (company, entity, natural_key, data, last_job, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
  const now = new Date().toISOString();
  const started = performance.now();
  db.transaction(() => {
    for (const [key, data] of rows) insert.run('DAT', ENTITY, key, data, 1, now);
  })();
  const ms = performance.now() - started;
  db.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  return ms;
}

interface Row {
  format: string;
  records: number;
  zipMb: number;
  importMs: number;
  perSecond: number;
  parseMs: number;
  insertMs: number;
  ratio: number;
  rssMb?: number;
  /** Records per second once the fixed cost of a 1-record import is taken off. */
  marginalPerSecond: number;
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-GB');
const fmtMs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

/** `mtdvat ui --port 0 --no-open --json`: ms from spawn until its one line `{"url": …}` (it prints that once listening). */
function uiListenOnce(home: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, 'ui', '--port', '0', '--no-open', '--json', '--home', home], {
      env: { ...process.env, CI: 'true', NO_COLOR: '1', MTDVAT_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (!out.includes('\n')) return;
      const ms = performance.now() - started;
      child.once('close', () => resolvePromise(ms));
      child.kill('SIGTERM');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (!out.includes('\n')) reject(new Error(`mtdvat ui exited ${code} before listening: ${stderr.trim()}`));
    });
  });
}

/**
 * The Electronic messages page with 10,000 messages of one processing (the predefined local setup
 * imported, messages written straight into the store): GET /em answered by the running workspace,
 * median of 20 requests after one warm-up.
 */
async function emPageBench(work: string, messages: number): Promise<number> {
  const { openContext } = await import('../src/open-context.js');
  const { insertMessage, setField } = await import('../src/store/em.js');
  const { startUi } = await import('../src/ui/server.js');
  const { request } = await import('node:http');
  const home = mkdtempSync(join(work, 'ui-em-'));
  const env = { ...process.env, MTDVAT_MASTER_KEY: Buffer.alloc(32, 9).toString('base64') };
  const imported = await runChild([BIN, 'import-package', join(ROOT, 'packages-data/mtd-vat-local.zip'), '--home', home], { env });
  if (imported.code !== 0) throw new Error(`import failed: ${imported.stderr}`);
  const ctx = openContext({ home, env });
  const processing = 'UK MTD VAT TEST';
  const at = new Date().toISOString();
  ctx.db.transaction(() => {
    for (let i = 0; i < messages; i++) {
      const month = String((i % 12) + 1).padStart(2, '0');
      const m = insertMessage(ctx.db, ctx.company, { processing, description: 'VAT return', fromDate: `2020-${month}-01`, toDate: `2020-${month}-28`, status: i % 3 ? 'Completed VAT return' : 'New VAT return', at });
      setField(ctx.db, ctx.company, m, 'HMRC status', i % 3 ? 'F' : 'O');
      setField(ctx.db, ctx.company, m, 'Tax registration number', '666555497');
      setField(ctx.db, ctx.company, m, 'periodKey', `#${String(i % 1000).padStart(3, '0')}`);
    }
  })();
  const ui = await startUi(ctx, { port: 0 });
  const get = (path: string, cookie = '') =>
    new Promise<{ status: number; cookie: string }>((resolvePromise, reject) => {
      const req = request({ host: '127.0.0.1', port: ui.port, path, headers: { host: `127.0.0.1:${ui.port}`, cookie } }, (res) => {
        res.resume();
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, cookie: String(res.headers['set-cookie'] ?? '').split(';')[0] }));
      });
      req.on('error', reject);
      req.end();
    });
  try {
    const u = new URL(ui.url);
    const { cookie } = await get(u.pathname + u.search);
    const path = `/em?processing=${encodeURIComponent(processing)}`;
    if ((await get(path, cookie)).status !== 200) throw new Error('the Electronic messages page did not answer 200');
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      await get(i % 2 ? `${path}&page=${1 + (i % 200)}` : path, cookie);
      times.push(performance.now() - started);
    }
    return median(times);
  } finally {
    await ui.close();
    ctx.close();
  }
}

async function uiBench(work: string): Promise<{ listenMs: number; emPageMs: number }> {
  const home = mkdtempSync(join(work, 'ui-'));
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) runs.push(await uiListenOnce(home));
  return { listenMs: median(runs), emPageMs: await emPageBench(work, 10_000) };
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist/bundle/mtdvat.mjs'))) throw new Error('build first (npm run bench builds)');
  const work = mkdtempSync(join(tmpdir(), 'mtdvat-bench-'));
  const emLines = Number(arg('--em-lines') ?? 100_000);
  const emMessages = Number(arg('--em-messages') ?? 10_000);
  if (process.argv.includes('--em-only')) {
    try {
      const em = renderEm(await benchEm(work, runChild, BIN, PREDEFINED_LOCAL, emLines, emMessages));
      process.stdout.write(em.console);
      if (WRITE) {
        // Only the Electronic messages section of BENCHMARKS.md is replaced (or added), with its own date.
        const path = join(ROOT, 'BENCHMARKS.md');
        const old = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
        const cpu = cpus();
        const stamp = `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`npm run bench -- --em-only\` on ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}; 1-minute load average ${LOAD_AT_START.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end.`;
        const section = [em.markdown[0], '', stamp, '', ...em.markdown.slice(2), '### Targets', '', '| Target | Measured | Result |', '|---|---|---|', ...em.checks.map((c) => `| ${c.label} | ${c.measured} | ${c.ok ? 'met' : '**missed**'} |`), ''].join('\n');
        const start = old.indexOf('## Electronic messages');
        let next = start < 0 ? -1 : old.indexOf('\n## ', start + 3);
        if (next >= 0) next += 1;
        const updated = start < 0 ? `${old.trimEnd()}\n\n${section}` : `${old.slice(0, start)}${section}${next >= 0 ? `\n${old.slice(next)}` : ''}`;
        writeFileSync(path, updated.endsWith('\n') ? updated : `${updated}\n`);
        process.stderr.write(`updated the Electronic messages section of ${path}\n`);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return;
  }
  if (process.argv.includes('--ui-only')) {
    try {
      const ui = await uiBench(work);
      const baseline: number[] = [];
      for (let i = 0; i < 5; i++) baseline.push((await runChild(['-e', '0'])).ms);
      const nodeMs = median(baseline);
      process.stdout.write(`node -e 0: ${fmtMs(nodeMs)} (median of 5, for scale)\n`);
      process.stdout.write(`mtdvat ui listening: ${fmtMs(ui.listenMs)} (median of 5; target < ${TARGETS.uiListenMs} ms)\n`);
      process.stdout.write(`Electronic messages page, 10,000 messages: ${fmtMs(ui.emPageMs)} (median of 20; target < ${TARGETS.emPageMs} ms)\n`);
      if (WRITE) {
        // Only the workspace's section of BENCHMARKS.md is replaced; the import figures stay as measured.
        const file = join(ROOT, 'BENCHMARKS.md');
        const before = existsSync(file) ? readFileSync(file, 'utf8').replace(/\n## mtdvat ui \(--ui-only\)[\s\S]*$/, '\n') : '# Benchmarks\n';
        const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
        const row = (label: string, ms: number, target: number) => `| ${label} | ${fmtMs(ms)} | ${ms < target ? 'met' : '**missed**'} |`;
        const section = [
          '## mtdvat ui (--ui-only)',
          '',
          `Measured ${date} with \`npm run bench -- --ui-only\`; 1-minute load average ${LOAD_AT_START.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end (${cpus().length} cores).`,
          'Listening: the built CLI from spawn to its `{"url"}` line (median of 5). The Electronic messages page: GET /em of a processing',
          'with 10,000 messages (50 to a page) from the running workspace, median of 20 after a warm-up.',
          '',
          '| Target | Measured | Result |',
          '|---|---|---|',
          row(`mtdvat ui listening < ${TARGETS.uiListenMs} ms`, ui.listenMs, TARGETS.uiListenMs),
          row(`Electronic messages page with 10,000 messages < ${TARGETS.emPageMs} ms`, ui.emPageMs, TARGETS.emPageMs),
          '',
          `For scale, \`node -e 0\` took ${fmtMs(nodeMs)} (median of 5) in the same run.`,
          '',
        ].join('\n');
        writeFileSync(file, before.replace(/\n*$/, '\n\n') + section);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return;
  }
  const schema = loadSchemas().byId(ENTITY);
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    // Fixed cost of any import (Node start-up, store creation, schemas, one commit): a 1-record package.
    const tiny = join(work, 'tiny.zip');
    await writePackage(tiny, { definitionGroupName: 'tiny', entities: [{ schema, records: [record(0)], format: 'xml-element' }] });
    const tinyRuns: number[] = [];
    for (let i = 0; i < 5; i++) tinyRuns.push((await importCli(tiny, work)).ms);
    const fixedMs = median(tinyRuns);
    notes.push(
      `A 1-record XML import takes ${fmtMs(fixedMs)} (median of 5): start-up, creating the store and one commit. "Marginal" divides the records by the import time minus that fixed cost.`,
    );
    const plan: { format: PackageFormat; n: number }[] = [
      ...XML_SIZES.map((n) => ({ format: 'xml-element' as const, n })),
      ...EXCEL_SIZES.map((n) => ({ format: 'excel' as const, n })),
    ];
    for (const { format, n } of plan) {
      const zip = join(work, `${format}-${n}.zip`);
      process.stderr.write(`generating ${format} ${fmtInt(n)} records… `);
      let started = performance.now();
      const records = Array.from({ length: n }, (_, i) => record(i));
      await writePackage(zip, { definitionGroupName: `bench ${n}`, entities: [{ schema, records, format }] });
      records.length = 0;
      process.stderr.write(`${fmtMs(performance.now() - started)}; importing… `);
      const imported = await importCli(zip, work);
      process.stderr.write(`${fmtMs(imported.ms)}; floor… `);
      started = performance.now();
      const parsed = await parseFloor(zip);
      if (parsed.count !== n) throw new Error(`the reader returned ${parsed.count} records, expected ${n}`);
      const insertMs = insertFloor(n, work);
      process.stderr.write(`parse ${fmtMs(parsed.ms)}, insert ${fmtMs(insertMs)}\n`);
      rows.push({
        format: format === 'excel' ? 'Excel' : 'XML-Element',
        records: n,
        zipMb: statSync(zip).size / 1024 / 1024,
        importMs: imported.ms,
        perSecond: (n / imported.ms) * 1000,
        parseMs: parsed.ms,
        insertMs,
        ratio: imported.ms / (parsed.ms + insertMs),
        rssMb: imported.rssMb,
        marginalPerSecond: (n / Math.max(imported.ms - fixedMs, 1)) * 1000,
      });
      rmSync(zip, { force: true });
    }

    // An XML-only package must never load exceljs: watch module resolution in the child.
    const hooks = join(work, 'hooks.mjs');
    const register = join(work, 'register.mjs');
    const loadLog = join(work, 'loaded.txt');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (/(^|[\\\\/])exceljs([\\\\/]|$)/.test(specifier)) appendFileSync(${JSON.stringify(loadLog)}, specifier + '\\n');
  return next(specifier, context);
}\n`,
    );
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`);
    const xmlOnly = join(work, 'xml-only.zip');
    await writePackage(xmlOnly, { definitionGroupName: 'xml only', entities: [{ schema, records: [record(1)], format: 'xml-element' }] });
    await importCli(xmlOnly, work, { nodeArgs: ['--import', register] });
    const xmlLoadsExceljs = existsSync(loadLog);
    const excelProbe = join(work, 'excel-probe.zip');
    await writePackage(excelProbe, { definitionGroupName: 'excel', entities: [{ schema, records: [record(1)], format: 'excel' }] });
    await importCli(excelProbe, work, { nodeArgs: ['--import', register] });
    const probeWorks = existsSync(loadLog); // the watcher does see exceljs when a workbook is imported
    if (!probeWorks) notes.push('The exceljs load watcher saw nothing even for an Excel package; the XML-only check is inconclusive.');

    // The predefined package, end to end (fresh home each run).
    const predefinedRuns: number[] = [];
    for (let i = 0; i < 5; i++) predefinedRuns.push((await importCli(PREDEFINED, work)).ms);
    const predefinedMs = median(predefinedRuns);

    // Start-up: median of several runs each.
    const startupHome = mkdtempSync(join(work, 'startup-'));
    const startup = async (args: string[]) => {
      const times: number[] = [];
      for (let i = 0; i < 9; i++) times.push((await runChild(args)).ms);
      return median(times);
    };
    const nodeBaseline = await startup(['-e', '0']);
    const helpMs = await startup([BIN, '--help']);
    const authStatusMs = await startup([BIN, 'auth', 'status', '--home', startupHome]);

    const ui = await uiBench(work);
    const em = await benchEm(work, runChild, BIN, PREDEFINED_LOCAL, emLines, emMessages);
    const report = render(rows, { predefinedMs, xmlLoadsExceljs, probeWorks, nodeBaseline, helpMs, authStatusMs, uiListenMs: ui.listenMs, emPageMs: ui.emPageMs, em }, notes);
    process.stdout.write(report.console);
    if (WRITE) {
      writeFileSync(join(ROOT, 'BENCHMARKS.md'), report.markdown);
      process.stderr.write(`wrote ${join(ROOT, 'BENCHMARKS.md')}\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

interface Extras {
  predefinedMs: number;
  xmlLoadsExceljs: boolean;
  probeWorks: boolean;
  nodeBaseline: number;
  helpMs: number;
  authStatusMs: number;
  uiListenMs: number;
  emPageMs: number;
  em: EmBenchResult;
}

function render(rows: Row[], x: Extras, notes: string[]): { console: string; markdown: string } {
  const head = ['Format', 'Records', 'Zip', 'import-package', 'Records/s', 'Marginal/s', 'Parse floor', 'Insert floor', 'Ratio to floor', 'Peak RSS'];
  const body = rows.map((r) => [
    r.format,
    fmtInt(r.records),
    `${r.zipMb.toFixed(1)} MB`,
    fmtMs(r.importMs),
    fmtInt(r.perSecond),
    fmtInt(r.marginalPerSecond),
    fmtMs(r.parseMs),
    fmtMs(r.insertMs),
    `${r.ratio.toFixed(2)}×`,
    r.rssMb === undefined ? 'n/a' : `${Math.round(r.rssMb)} MB`,
  ]);
  const checks: { label: string; ok: boolean; measured: string }[] = [];
  for (const r of rows.filter((r) => r.format === 'XML-Element')) {
    checks.push({ label: `XML-Element ${fmtInt(r.records)}: ≥ ${fmtInt(TARGETS.xmlRecordsPerSecond)} records/s`, ok: r.perSecond >= TARGETS.xmlRecordsPerSecond, measured: `${fmtInt(r.perSecond)} records/s` });
    checks.push({ label: `XML-Element ${fmtInt(r.records)}: ≤ ${TARGETS.xmlFloorRatio}× the floor`, ok: r.ratio <= TARGETS.xmlFloorRatio, measured: `${r.ratio.toFixed(2)}×` });
  }
  for (const r of rows.filter((r) => r.format === 'Excel')) {
    checks.push({ label: `Excel ${fmtInt(r.records)}: ≥ ${fmtInt(TARGETS.excelRowsPerSecond)} rows/s`, ok: r.perSecond >= TARGETS.excelRowsPerSecond, measured: `${fmtInt(r.perSecond)} rows/s` });
  }
  const million = rows.find((r) => r.format === 'XML-Element' && r.records === 1_000_000);
  if (million?.rssMb !== undefined) {
    checks.push({ label: `Peak RSS at 1M records < ${TARGETS.rssMbAt1M} MB`, ok: million.rssMb < TARGETS.rssMbAt1M, measured: `${Math.round(million.rssMb)} MB` });
  }
  checks.push({ label: 'packages-data/mtd-vat.zip imported end to end < 1 s', ok: x.predefinedMs < TARGETS.predefinedMs, measured: fmtMs(x.predefinedMs) });
  checks.push({
    label: 'An XML-only package never loads exceljs',
    ok: !x.xmlLoadsExceljs && x.probeWorks,
    measured: x.xmlLoadsExceljs ? 'exceljs was loaded' : x.probeWorks ? 'not loaded' : 'inconclusive',
  });
  checks.push({ label: `mtdvat --help within ${TARGETS.startupRatio}× of node -e 0`, ok: x.helpMs <= x.nodeBaseline * TARGETS.startupRatio, measured: `${fmtMs(x.helpMs)} vs ${fmtMs(x.nodeBaseline)} (${(x.helpMs / x.nodeBaseline).toFixed(2)}×)` });
  checks.push({ label: `mtdvat auth status within ${TARGETS.startupRatio}× of node -e 0`, ok: x.authStatusMs <= x.nodeBaseline * TARGETS.startupRatio, measured: `${fmtMs(x.authStatusMs)} vs ${fmtMs(x.nodeBaseline)} (${(x.authStatusMs / x.nodeBaseline).toFixed(2)}×)` });

  checks.push({ label: `mtdvat ui listening < ${TARGETS.uiListenMs} ms (spawn to its {"url"} line, median of 5)`, ok: x.uiListenMs < TARGETS.uiListenMs, measured: fmtMs(x.uiListenMs) });
  checks.push({ label: `mtdvat ui: the Electronic messages page with 10,000 messages < ${TARGETS.emPageMs} ms (paginated, median of 20)`, ok: x.emPageMs < TARGETS.emPageMs, measured: fmtMs(x.emPageMs) });
  const em = renderEm(x.em);
  checks.push(...em.checks);

  const cpu = cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 1024 ** 3)} GiB memory, ${platform()} ${release()}, Node ${process.version}; 1-minute load average ${LOAD_AT_START.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end`;
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const consoleText = [
    '',
    line(head),
    ...body.map(line),
    '',
    ...checks.map((c) => `${c.ok ? 'PASS' : 'MISS'}  ${c.label}: ${c.measured}`),
    '',
    ...em.lines,
    '',
    ...notes,
  ].join('\n');
  const markdown = [
    '# Benchmarks',
    '',
    `Measured ${date} with \`npm run bench\` (\`bench/run.ts\`).`,
    '',
    `Machine: ${machine}.`,
    '',
    `Each package holds one entity (${ENTITY}, 5 fields). "import-package" is the built CLI in a child process with a fresh home`,
    '(wall time from spawn to exit, including Node start-up). Its floor, measured in the same run, is the reader alone (unzip + parse,',
    'records counted) plus plain better-sqlite3 prepared inserts of the same rows in one transaction (WAL, synchronous=FULL).',
    `Peak RSS is the child's maximum resident set size from ${TIME ? '`/usr/bin/time -v`' : '(unavailable: /usr/bin/time missing)'}.`,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i < 1 ? '---' : '---:')).join('|')}|`,
    ...body.map((b) => `| ${b.join(' | ')} |`),
    '',
    '## Targets',
    '',
    '| Target | Measured | Result |',
    '|---|---|---|',
    ...checks.map((c) => `| ${c.label} | ${c.measured} | ${c.ok ? 'met' : '**missed**'} |`),
    '',
    ...em.markdown,
    ...(notes.length ? ['## Notes', '', ...notes.map((n) => `- ${n}`), ''] : []),
  ].join('\n');
  return { console: consoleText + '\n', markdown };
}

/** The Electronic messages figures: table rows, target checks, and the section for BENCHMARKS.md. */
function renderEm(e: EmBenchResult): { console: string; lines: string[]; markdown: string[]; checks: { label: string; ok: boolean; measured: string }[] } {
  const rss = (r: { rssMb?: number }) => (r.rssMb === undefined ? 'n/a' : `${Math.round(r.rssMb)} MB`);
  const cpu = (r: { cpuMs?: number }) => (r.cpuMs === undefined ? 'n/a' : fmtMs(r.cpuMs));
  const rows: [string, string, string, string][] = [
    [`em collect-data (${fmtInt(e.lines)} VAT lines, ${e.csvMb.toFixed(1)} MB CSV)`, fmtMs(e.collect.ms), cpu(e.collect), rss(e.collect)],
    ['em update-status "Ready to generate VAT return" (every item moves)', fmtMs(e.ready.ms), cpu(e.ready), rss(e.ready)],
    ['em generate-report (VAT_return.json from every item)', fmtMs(e.generate.ms), cpu(e.generate), rss(e.generate)],
    [`em list --json (${fmtInt(e.messages)} messages, median of 5)`, fmtMs(e.listMs), cpu(e.list), rss(e.list)],
    ['em processings --json (start-up of an em command, median of 5)', fmtMs(e.startupMs), cpu(e.startup), rss(e.startup)],
  ];
  const checks = [
    {
      label: `Collect ${fmtInt(e.lines)} VAT lines + generate < ${fmtMs(TARGETS.emCollectGenerateMs)} beyond start-up`,
      ok: e.collectGenerateBeyondMs < TARGETS.emCollectGenerateMs && e.boxesMatch,
      measured: `${fmtMs(e.collectGenerateBeyondMs)}${e.boxesMatch ? '' : ' (generated boxes DIFFER from the lines)'}`,
    },
    {
      label: `em list over ${fmtInt(e.messages)} messages < ${fmtMs(TARGETS.emListMs)} beyond start-up`,
      ok: e.listBeyondMs < TARGETS.emListMs && e.listCount === e.messages,
      measured: `${fmtMs(e.listBeyondMs)}${e.listCount === e.messages ? '' : ` (listed ${e.listCount})`}`,
    },
  ];
  const lines = [
    'Electronic messages',
    ...rows.map(([what, ms, cpuTime, mem]) => `  ${what}: ${ms} (CPU ${cpuTime}), peak RSS ${mem}`),
    `  CPU beyond start-up: collect + generate ${e.collectGenerateCpuBeyondMs === undefined ? 'n/a' : fmtMs(e.collectGenerateCpuBeyondMs)}; em list ${e.listCpuBeyondMs === undefined ? 'n/a' : fmtMs(e.listCpuBeyondMs)}`,
    `  collect + generate beyond start-up: ${fmtMs(e.collectGenerateBeyondMs)}; with Ready to generate: ${fmtMs(e.flowBeyondMs)}; generated boxes ${e.boxesMatch ? 'match' : 'DIFFER from'} the lines' sums`,
    ...checks.map((c) => `${c.ok ? 'PASS' : 'MISS'}  ${c.label}: ${c.measured}`),
  ];
  const markdown = [
    '## Electronic messages',
    '',
    `Built CLI in a child process against one store holding the local predefined package. A "New VAT return" message for 2026-01-01 to`,
    `2026-03-31 is made with the store functions; the VAT lines CSV is generated in code (bench/em-data.ts; sales, purchases, credit notes`,
    `and Northern Ireland–EU lines), and the generated VAT_return.json is checked against the lines' own sums. For \`em list\`, ${fmtInt(e.messages)}`,
    `messages with their additional fields are written with the store functions. "Beyond start-up" subtracts the median wall time of`,
    '`mtdvat em processings --json` on the same store (Node, the bundle, opening the store, reading the setup) once per command.',
    '',
    '| Step | Wall time | CPU (user + sys) | Peak RSS |',
    '|---|---:|---:|---:|',
    ...rows.map(([what, ms, cpuTime, mem]) => `| ${what} | ${ms} | ${cpuTime} | ${mem} |`),
    '',
    `Collect + generate beyond start-up: **${fmtMs(e.collectGenerateBeyondMs)}** (with Ready to generate, which moves every item's status: ${fmtMs(e.flowBeyondMs)}).`,
    `Generated boxes ${e.boxesMatch ? 'match' : '**differ from**'} the lines' sums. \`em list\` beyond start-up: **${fmtMs(e.listBeyondMs)}** (${fmtInt(e.listCount)} messages listed).`,
    `CPU time beyond start-up (not inflated by other work on the machine): collect + generate ${e.collectGenerateCpuBeyondMs === undefined ? 'n/a' : fmtMs(e.collectGenerateCpuBeyondMs)}, \`em list\` ${e.listCpuBeyondMs === undefined ? 'n/a' : fmtMs(e.listCpuBeyondMs)}.`,
    '',
  ];
  return { console: [...lines, ''].join('\n'), lines, markdown, checks };
}

await main();
