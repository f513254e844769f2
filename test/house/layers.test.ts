/**
 * The house rules, pinned: each folder of src/ imports only folders below it in this order, the local
 * HMRC emulator imports only lib/ and the root leaf modules, and only cli/ imports it. Type-only
 * imports count too: a type pulled from above is still an arrow pointing up.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', '..', 'src');

/** Bottom to top. Root leaf modules share the ground floor with lib/. */
const LAYERS: string[][] = [
  ['lib', 'errors.ts', 'version.ts', 'home.ts'],
  ['schema'],
  ['store'],
  ['vault'],
  ['context.ts'],
  ['setup'],
  ['package'],
  ['importer'],
  ['hmrc'],
  ['auth'],
  ['vat'],
  ['em'],
  ['verify'],
  ['ui'],
  ['open-context.ts'],
  ['cli'],
];
const EMULATOR = 'emulator';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.ts$/.test(e.name) && !/\.d\.ts$/.test(e.name) ? [p] : [];
  });
}

/** The room of a file: its top folder under src/, or the root module itself. */
function roomOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.js$/, '.ts');
}

function arrows(): { from: string; to: string; file: string }[] {
  const out: { from: string; to: string; file: string }[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      const from = roomOf(file);
      const to = roomOf(target);
      if (from !== to) out.push({ from, to, file: relative(SRC, file) });
    }
  }
  return out;
}

const level = new Map(LAYERS.flatMap((rooms, i) => rooms.map((r) => [r, i] as const)));

describe('layers of src/', () => {
  const all = arrows();

  it('knows every room of src/', () => {
    const rooms = new Set(sourceFiles(SRC).map(roomOf));
    const unknown = [...rooms].filter((r) => !level.has(r) && r !== EMULATOR);
    expect(unknown).toEqual([]);
  });

  it('each folder imports only folders below it', () => {
    const upward = all
      .filter((a) => a.from !== EMULATOR && a.to !== EMULATOR)
      // The ground floor (lib/ and the root leaves) may lean on itself; every other arrow points down.
      .filter((a) => level.get(a.to)! > level.get(a.from)! || (level.get(a.to) === level.get(a.from) && level.get(a.from) !== 0))
      .map((a) => `${a.file} -> ${a.to}`);
    expect(upward).toEqual([]);
  });

  it('the emulator imports only lib/ and root leaf modules, and only cli/ imports it', () => {
    const out = all.filter((a) => a.from === EMULATOR && level.get(a.to) !== 0).map((a) => `${a.file} -> ${a.to}`);
    const into = all.filter((a) => a.to === EMULATOR && a.from !== 'cli').map((a) => `${a.file} -> ${a.to}`);
    expect([...out, ...into]).toEqual([]);
  });
});
