/**
 * The house rule "all SQL of every table lives in store/", pinned: outside src/store/ (and the local
 * HMRC emulator, which keeps its own state) no module prepares or runs a statement; it calls the
 * store's typed functions. db.transaction() wrappers are fine: they hold no SQL.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.ts$/.test(e.name) && !/\.d\.ts$/.test(e.name) ? [p] : [];
  });
}

/** Statement calls on a database handle, and SQL statement text in a string. */
const SQL = [
  /\b(db|database)\s*\.\s*(prepare|exec|pragma)\s*\(/,
  /\.\s*prepare\s*\(\s*[`'"]/,
  /[`'"]\s*(SELECT\s[\s\S]*?\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX)|BEGIN(\s+IMMEDIATE)?\b|COMMIT\b|ROLLBACK\b)/i,
];

describe('SQL lives in store/', () => {
  it('no module outside src/store (and src/emulator) prepares, runs or spells a statement', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const rel = relative(SRC, file).split(sep).join('/');
      if (rel.startsWith('store/') || rel.startsWith('emulator/')) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (SQL.some((re) => re.test(line))) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });

  it('the check sees a statement where there is one', () => {
    const caught = ["ctx.db.prepare('SELECT 1 FROM consents')", "db.exec('BEGIN IMMEDIATE')", "const q = `INSERT INTO records (a) VALUES (?)`"];
    for (const line of caught) expect(SQL.some((re) => re.test(line)), line).toBe(true);
    expect(SQL.some((re) => re.test("const m = /^(\\d{4})$/.exec(value);"))).toBe(false);
  });
});
