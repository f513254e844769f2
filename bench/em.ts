/**
 * Electronic messages benchmarks (part of `npm run bench`; alone with `--only em`):
 *   - Collect data from a CSV of 100,000 VAT lines, Ready to generate, and Generate report, through
 *     the built CLI (target: collect + generate under 3 s beyond start-up, memory flat);
 *   - `em list` over 10,000 messages, filled through the store functions (target: under 0.3 s beyond
 *     start-up).
 * "Start-up" is the median wall time of `mtdvat em processings --json` on the same store: Node, the
 * bundle, opening the store and reading the setup — what every em command pays before its own work.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDb, migrate } from '../src/store/db.js';
import { insertMessage, setField } from '../src/store/em.js';
import { parseJsonExact } from '../src/lib/exact-json.js';
import { writeVatLinesCsv } from './em-data.js';

export interface ChildRun {
  ms: number;
  code: number | null;
  rssMb?: number;
  cpuMs?: number;
  stderr: string;
  stdout?: string;
}

export type RunChild = (args: string[], options?: { env?: NodeJS.ProcessEnv; measureRss?: boolean; stdout?: boolean }) => Promise<ChildRun>;

export interface EmBenchResult {
  lines: number;
  csvMb: number;
  startupMs: number;
  /** The median start-up run (its CPU and memory). */
  startup: ChildRun;
  collect: ChildRun;
  ready: ChildRun;
  generate: ChildRun;
  /** Collect + generate wall time, each less one start-up. */
  collectGenerateBeyondMs: number;
  /** The same with Ready to generate (which moves every item's status) included. */
  flowBeyondMs: number;
  boxesMatch: boolean;
  messages: number;
  listMs: number;
  /** The median `em list` run. */
  list: ChildRun;
  listBeyondMs: number;
  collectGenerateCpuBeyondMs?: number;
  listCpuBeyondMs?: number;
  listCount: number;
}

const PROCESSING = 'UK MTD VAT TEST';
const PERIOD = { from: '2026-01-01', to: '2026-03-31' };

/** The run with the median wall time (an odd number of runs). */
function medianRun(runs: ChildRun[]): ChildRun {
  return [...runs].sort((a, b) => a.ms - b.ms)[(runs.length - 1) >> 1];
}

/** A message in "New VAT return" for the period, as the obligations import makes one. */
function newReturnMessage(home: string, periodKey: string, vrn: string): number {
  const db = openDb(join(home, 'mtdvat.db'));
  try {
    migrate(db);
    return db.transaction(() => {
      const at = new Date().toISOString();
      const m = insertMessage(db, 'DAT', { processing: PROCESSING, description: `VAT return ${PERIOD.from} to ${PERIOD.to}`, fromDate: PERIOD.from, toDate: PERIOD.to, status: 'New VAT return', at });
      setField(db, 'DAT', m, 'periodKey', periodKey);
      setField(db, 'DAT', m, 'Tax registration number', vrn);
      setField(db, 'DAT', m, 'HMRC status', 'O');
      setField(db, 'DAT', m, 'Due date', '2026-05-07');
      return m;
    })();
  } finally {
    db.close();
  }
}

/** `n` messages spread over statuses and periods, with their additional fields, in one transaction. */
function fillMessages(home: string, n: number): void {
  const db = openDb(join(home, 'mtdvat.db'));
  try {
    migrate(db);
    const statuses = ['New VAT return', 'Ready to generate VAT return', 'Generated VAT return', 'Completed VAT return', 'Error VAT return submission'];
    db.transaction(() => {
      const at = new Date().toISOString();
      for (let i = 0; i < n; i++) {
        const year = 2000 + Math.floor(i / 4);
        const q = i % 4;
        const from = `${year}-${String(q * 3 + 1).padStart(2, '0')}-01`;
        const to = `${year}-${String(q * 3 + 3).padStart(2, '0')}-${q === 0 || q === 3 ? '31' : '30'}`;
        const m = insertMessage(db, 'DAT', { processing: PROCESSING, description: `VAT return ${from} to ${to}`, fromDate: from, toDate: to, status: statuses[i % statuses.length], at });
        setField(db, 'DAT', m, 'periodKey', `${String(year % 100).padStart(2, '0')}A${q + 1}`);
        setField(db, 'DAT', m, 'Tax registration number', '666555497');
        setField(db, 'DAT', m, 'HMRC status', i % 5 === 3 ? 'F' : 'O');
        setField(db, 'DAT', m, 'Due date', to);
      }
    })();
  } finally {
    db.close();
  }
}

export async function benchEm(work: string, runChild: RunChild, bin: string, predefinedLocal: string, lines = 100_000, messages = 10_000): Promise<EmBenchResult> {
  const key = Buffer.alloc(32, 7).toString('base64');
  const env = { MTDVAT_MASTER_KEY: key };
  const cli = async (home: string, args: string[], measureRss = false) => {
    const r = await runChild([bin, '--home', home, ...args], { env, measureRss, stdout: true });
    if (r.code !== 0) throw new Error(`mtdvat ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim().slice(0, 2000)}`);
    return r;
  };

  // Collect + generate
  const home = mkdtempSync(join(work, 'em-home-'));
  await cli(home, ['import-package', predefinedLocal]);
  await cli(home, ['em', 'processings', 'set', PROCESSING, '--field', 'Tax registration number=666555497']);
  const message = newReturnMessage(home, '26A1', '666555497');
  const csv = join(work, 'lines.csv');
  process.stderr.write(`generating ${lines.toLocaleString('en-GB')} VAT lines… `);
  const expected = await writeVatLinesCsv(csv, lines, PERIOD);
  const startups: ChildRun[] = [];
  for (let i = 0; i < 5; i++) startups.push(await cli(home, ['em', 'processings', '--json'], true));
  const startup = medianRun(startups);
  const startupMs = startup.ms;
  process.stderr.write(`start-up ${Math.round(startupMs)} ms; collect… `);
  const collect = await cli(home, ['em', 'collect-data', String(message), '--file', csv, '--json'], true);
  process.stderr.write(`${Math.round(collect.ms)} ms; ready… `);
  const ready = await cli(home, ['em', 'update-status', String(message), '--action', 'Ready to generate VAT return', '--json'], true);
  process.stderr.write(`${Math.round(ready.ms)} ms; generate… `);
  const generate = await cli(home, ['em', 'generate-report', String(message), '--json'], true);
  process.stderr.write(`${Math.round(generate.ms)} ms\n`);
  // What was timed must also be right: the generated file's boxes against the lines' own sums.
  const saved = mkdtempSync(join(work, 'em-saved-'));
  await cli(home, ['em', 'attachments', String(message), '--save', saved]);
  const savedName = readdirSync(saved).find((n) => n.endsWith('VAT_return.json'));
  if (!savedName) throw new Error('em attachments --save wrote no VAT_return.json');
  const generated = parseJsonExact(readFileSync(join(saved, savedName), 'utf8')) as Record<string, unknown>;
  const boxesMatch = Object.entries(expected).every(([field, value]) => String(generated[field]) === value);

  // em list over many messages
  const listHome = mkdtempSync(join(work, 'em-list-'));
  await cli(listHome, ['import-package', predefinedLocal]);
  fillMessages(listHome, messages);
  const listStartups: ChildRun[] = [];
  for (let i = 0; i < 5; i++) listStartups.push(await cli(listHome, ['em', 'processings', '--json'], true));
  const listStartup = medianRun(listStartups);
  const listRuns: ChildRun[] = [];
  for (let i = 0; i < 5; i++) listRuns.push(await cli(listHome, ['em', 'list', '--json'], true));
  const listCount = (JSON.parse(listRuns[0].stdout ?? '[]') as unknown[]).length;
  const list = medianRun(listRuns);
  const listMs = list.ms;
  const cpuBeyond = (runs: (ChildRun | undefined)[], base: ChildRun) =>
    runs.every((r) => r?.cpuMs !== undefined) && base.cpuMs !== undefined ? runs.reduce((acc, r) => acc + r!.cpuMs! - base.cpuMs!, 0) : undefined;

  return {
    lines,
    csvMb: readFileSync(csv).length / 1024 / 1024,
    startupMs,
    startup,
    collect,
    ready,
    generate,
    collectGenerateBeyondMs: collect.ms + generate.ms - 2 * startupMs,
    flowBeyondMs: collect.ms + ready.ms + generate.ms - 3 * startupMs,
    boxesMatch,
    messages,
    listMs,
    list,
    listBeyondMs: listMs - listStartup.ms,
    listCount,
    collectGenerateCpuBeyondMs: cpuBeyond([collect, generate], startup),
    listCpuBeyondMs: cpuBeyond([list], listStartup),
  };
}
