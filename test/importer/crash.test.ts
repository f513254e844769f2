/**
 * Crash safety: `import-package` (the BUILT CLI) is killed with SIGKILL at many points of a large
 * import. After every kill the database passes `PRAGMA integrity_check`, its records are exactly the
 * old or exactly the new state (never a mix), and the store takes the next import.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { writePackage } from '../../src/package/writer.js';
import { loadSchemas } from '../../src/schema/registry.js';
import type { EntitySchema } from '../../src/schema/types.js';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/mtdvat.js');
const RECORDS = 15_000;
/** Kills in all, in slices small enough that each test fits in a minute on a loaded 2-core machine. */
const KILLS = 50;
const SLICES = 10;
const PER_SLICE = KILLS / SLICES;

let work: string;
let home: string;
const pkgs = { A: '', B: '', probe: '' };
const sums = { A: '', B: '' };

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stderr: string;
}

function importCli(file: string, killAfterMs?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, 'import-package', file, '--home', home], {
      cwd: work,
      env: { PATH: process.env.PATH, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ms: performance.now() - started, stderr });
    });
  });
}

/** Integrity check plus a checksum of the records' content (bookkeeping columns left out). */
function inspect(): { integrity: string; sum: string; count: number } {
  const db = new Database(join(home, 'mtdvat.db'));
  try {
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
    const hash = createHash('sha256');
    let count = 0;
    for (const r of db.prepare('SELECT company, entity, natural_key, data FROM records ORDER BY company, entity, natural_key').iterate() as Iterable<
      Record<string, string>
    >) {
      hash.update(`${r.company}\u0000${r.entity}\u0000${r.natural_key}\u0000${r.data}\n`);
      count++;
    }
    return { integrity, sum: hash.digest('hex'), count };
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/bundle/mtdvat.mjs'))) throw new Error('build first: npm run build');
  work = mkdtempSync(join(tmpdir(), 'mtdvat-crash-'));
  home = join(work, 'home');
  mkdirSync(home);
  const schema = loadSchemas().byId('MessageItemType');
  for (const tag of ['A', 'B'] as const) {
    // Same keys, different descriptions: importing one over the other replaces every record, so a
    // half-applied import would show as a mix of the two.
    const records = Array.from({ length: RECORDS }, (_, i) => ({ MESSAGEITEMTYPE: `Type ${String(i).padStart(6, '0')}`, DESCRIPTION: `state ${tag} record ${i}` }));
    pkgs[tag] = join(work, `${tag}.zip`);
    await writePackage(pkgs[tag], { definitionGroupName: `crash ${tag}`, entities: [{ schema, records, format: 'xml-element' }] });
  }
  // A one-record entity mtdvat has no schema for: its import goes through the whole path (job, lock,
  // transaction, commit) but lands in raw_records, so it never changes the records checksum.
  const probe: EntitySchema = {
    ...schema,
    id: 'CrashProbe',
    label: 'Crash probe',
    targetEntity: 'MtdvatCrashProbeEntity',
    recordElement: 'MTDVATCRASHPROBEENTITY',
    aliases: [],
    references: [],
  };
  pkgs.probe = join(work, 'probe.zip');
  await writePackage(pkgs.probe, { definitionGroupName: 'probe', entities: [{ schema: probe, records: [{ MESSAGEITEMTYPE: 'probe' }], format: 'xml-element' }] });
}, 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('SIGKILL during import-package', () => {
  let full = 0;
  let state: 'A' | 'B' = 'B';
  let point = 0;
  let kills = 0;
  let completed = 0;
  const seenStates = { A: 0, B: 0 };

  it('two whole imports run and are measured', async () => {
    const a = await importCli(pkgs.A);
    expect(a.code, a.stderr).toBe(0);
    sums.A = inspect().sum;
    const b = await importCli(pkgs.B);
    expect(b.code, b.stderr).toBe(0);
    const afterB = inspect();
    sums.B = afterB.sum;
    expect(afterB.count).toBe(RECORDS);
    expect(sums.A).not.toBe(sums.B);
    full = Math.max(a.ms, b.ms);
  });

  /** One import towards the other state, killed after `delay` ms (or not, if it finished first). */
  async function killedImport(label: string, delay: number): Promise<boolean> {
    const target = state === 'A' ? 'B' : 'A';
    const run = await importCli(pkgs[target], delay);
    if (run.signal !== 'SIGKILL') {
      expect(run.code, run.stderr).toBe(0);
      completed++;
    }
    const after = inspect();
    expect(after.integrity, `${label} (kill at ${delay} ms)`).toBe('ok');
    const now = after.sum === sums.A ? 'A' : after.sum === sums.B ? 'B' : 'mix';
    expect(now, `${label} (kill at ${delay} ms, ${after.count} records)`).not.toBe('mix');
    if (run.signal !== 'SIGKILL') expect(now).toBe(target);
    state = now as 'A' | 'B';
    seenStates[state]++;
    if (run.signal === 'SIGKILL') {
      // The store takes the next import: no stale lock, no half-written job blocks it.
      const probe = await importCli(pkgs.probe);
      expect(probe.code, `probe after ${label}: ${probe.stderr}`).toBe(0);
      expect(inspect().sum).toBe(sums[state]);
    }
    return run.signal === 'SIGKILL';
  }

  // Kill points are spread from process start-up to just past the end of a full import (a
  // permutation of KILLS points, shared by the slices).
  it.each(Array.from({ length: SLICES }, (_, i) => i + 1))(`slice %i of ${SLICES}: ${PER_SLICE} kills leave the old or the new state, never a mix`, async (slice) => {
    let here = 0;
    for (let tries = 0; here < PER_SLICE && tries < PER_SLICE * 4; tries++) {
      const delay = Math.round(10 + ((point++ * 7919) % KILLS) * ((full * 1.1) / KILLS));
      if (await killedImport(`slice ${slice}`, delay)) here++;
    }
    kills += here;
    expect(here).toBe(PER_SLICE);
  });

  it(`${KILLS} kills in all, landing on both sides of the commit; the store takes the next import`, async () => {
    // Under load (CI runs test files side by side) an import can take far longer than the one
    // measured, so every kill may land before the commit; then go on with longer delays until one
    // run gets through, so both sides of the commit are covered.
    for (let i = 1; seenStates.A === 0 && i <= 4; i++) await killedImport(`longer run ${i}`, Math.min(20_000, Math.round(full * 2 ** i)));
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    // Some kills must have landed after the commit (new state) and some before (old state).
    expect(seenStates.A).toBeGreaterThan(0);
    expect(seenStates.B).toBeGreaterThan(0);
    const last = await importCli(pkgs[state === 'A' ? 'B' : 'A']);
    expect(last.code, last.stderr).toBe(0);
    expect(inspect().sum).toBe(sums[state === 'A' ? 'B' : 'A']);
    console.info(`crash test: ${kills} kills, ${completed} completed imports, full import ${Math.round(full)} ms`);
  });
});
